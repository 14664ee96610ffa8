//! The site's static files (the WASM, its JS glue, the CSS, icons, the web manifest) held in
//! memory with their brotli and gzip forms, compressed once when the server starts.
//!
//! Before, every static request went through `ServeDir` built per request by Leptos's file
//! handler: three file-system lookups (the `.br`, `.gz` and plain file) on the blocking pool,
//! no compression (no precompressed files existed), and the request's conditional headers
//! dropped, so `If-None-Match` / `If-Modified-Since` always got a full 200. Here a request is a
//! map lookup; the answer carries an `ETag` (a hash of the content), a matching
//! `If-None-Match` gets 304, and the body is the smallest encoding the client accepts.
//! Anything not found here falls through to the app's own 404 page.
//!
//! Every file is also served under a content-addressed name (`/pkg/canbao.wasm` as
//! `/pkg/canbao.<16 hex digits of its SHA-256>.wasm`), which the pages use (`versioned`,
//! handed to the app as `SiteFiles`): that name never changes meaning, so it is cached for a
//! year (`immutable`) and a returning phone downloads nothing; a new release has new names.
//! The plain name stays, revalidated on every use (`no-cache`), for links from outside.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use sha2::{Digest, Sha256};

/// Larger files are not kept in memory (the site has none; a stray large file is served by
/// the fallback).
const MAX_FILE: u64 = 16 * 1024 * 1024;

struct Asset {
    /// The first 16 hex digits of the content's SHA-256 (its versioned name).
    hash: String,
    content_type: HeaderValue,
    etag: HeaderValue,
    identity: bytes::Bytes,
    br: Option<bytes::Bytes>,
    gzip: Option<bytes::Bytes>,
}

/// How long a content-addressed file may be kept: a year, and never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[derive(Default)]
pub struct Assets {
    /// URL → the file, and whether the URL is its content-addressed name.
    files: HashMap<String, (Arc<Asset>, bool)>,
    /// Plain URL → content-addressed URL.
    versioned: HashMap<String, String>,
}

impl Assets {
    /// Reads and compresses every file under `root` (a missing root gives an empty set: the
    /// tests run without a built site).
    pub fn load(root: &Path) -> Assets {
        let mut files = HashMap::new();
        let mut versioned = HashMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                // Precompressed copies on disk are not assets of their own.
                if meta.len() > MAX_FILE || name.ends_with(".br") || name.ends_with(".gz") {
                    continue;
                }
                let Ok(rel) = path.strip_prefix(root) else { continue };
                let Some(url) = rel.to_str().map(|r| format!("/{}", r.replace('\\', "/"))) else {
                    continue;
                };
                let Ok(data) = std::fs::read(&path) else { continue };
                let data = if url.ends_with(".js") && !url.starts_with("/pkg/") {
                    without_comment_lines(data)
                } else {
                    data
                };
                let asset = Arc::new(Asset::new(name, data));
                let hashed = versioned_name(&url, &asset.hash);
                files.insert(hashed.clone(), (asset.clone(), true));
                versioned.insert(url.clone(), hashed);
                files.insert(url, (asset, false));
            }
        }
        tracing::info!(files = versioned.len(), "static files loaded and compressed");
        Assets { files, versioned }
    }
}

/// A hand-written script (`public/*.js`: the page loader) without its whole-line `//`
/// comments. They explain the code to its readers and would cost every phone a kilobyte on
/// every first visit; cargo-leptos minifies only the islands' own glue under /pkg. Only
/// lines that are nothing but a comment go: a `//` inside code or a string stays.
fn without_comment_lines(data: Vec<u8>) -> Vec<u8> {
    let Ok(text) = String::from_utf8(data.clone()) else {
        return data;
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") || t.is_empty() {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

impl Assets {
    /// Plain URL → content-addressed URL of every file, for the pages to link to.
    pub fn versioned(&self) -> HashMap<String, String> {
        self.versioned.clone()
    }

    pub fn len(&self) -> usize {
        self.versioned.len()
    }

    pub fn is_empty(&self) -> bool {
        self.versioned.is_empty()
    }

    /// The answer for a static file, or `None` when `path` is not one.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let (asset, immutable) = self.files.get(path)?;
        let cache = if *immutable { IMMUTABLE } else { "no-cache" };
        let mut res = Response::builder()
            .header(header::ETAG, asset.etag.clone())
            .header(header::CACHE_CONTROL, HeaderValue::from_static(cache))
            .header(header::VARY, HeaderValue::from_static("accept-encoding"));
        let fresh = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim().trim_start_matches("W/");
                tag == "*" || tag.as_bytes() == asset.etag.as_bytes()
            });
        if fresh {
            return res.status(StatusCode::NOT_MODIFIED).body(Body::empty()).ok();
        }
        let accepts = |coding: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|part| {
                    let mut it = part.split(';');
                    let name = it.next().unwrap_or("").trim();
                    let refused = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                    name.eq_ignore_ascii_case(coding) && !refused
                })
        };
        let (body, coding) = match (&asset.br, &asset.gzip) {
            (Some(b), _) if accepts("br") => (b.clone(), Some("br")),
            (_, Some(g)) if accepts("gzip") => (g.clone(), Some("gzip")),
            _ => (asset.identity.clone(), None),
        };
        if let Some(c) = coding {
            res = res.header(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        res = res
            .header(header::CONTENT_TYPE, asset.content_type.clone())
            .header(header::CONTENT_LENGTH, body.len());
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        };
        res.status(StatusCode::OK).body(body).ok()
    }
}

impl Asset {
    fn new(name: &str, data: Vec<u8>) -> Asset {
        let kind = content_type(name);
        let digest = Sha256::digest(&data);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex_prefix(&digest))).expect("hex is a valid header");
        let hash = hex_prefix(&digest)[..16].to_owned();
        // Images are compressed already; text and WASM shrink by two thirds or more.
        let compressible = !kind.starts_with("image/") || kind == "image/svg+xml";
        let (br, gzip) = if compressible && data.len() > 256 {
            (smaller(brotli(&data), data.len()), smaller(gzip(&data), data.len()))
        } else {
            (None, None)
        };
        Asset {
            hash,
            content_type: HeaderValue::from_static(kind),
            etag,
            identity: bytes::Bytes::from(data),
            br,
            gzip,
        }
    }
}

/// `/pkg/canbao.wasm` → `/pkg/canbao.<hash>.wasm` (a name without an extension gets the hash
/// at its end).
fn versioned_name(url: &str, hash: &str) -> String {
    let (dir, file) = url.rsplit_once('/').unwrap_or(("", url));
    match file.split_once('.') {
        Some((stem, ext)) => format!("{dir}/{stem}.{hash}.{ext}"),
        None => format!("{dir}/{file}.{hash}"),
    }
}

fn hex_prefix(hash: &[u8]) -> String {
    hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A compressed form only when it is actually smaller.
fn smaller(compressed: Option<Vec<u8>>, original: usize) -> Option<bytes::Bytes> {
    compressed.filter(|c| c.len() < original).map(bytes::Bytes::from)
}

fn brotli(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3);
    // Quality 11 (the smallest): compressed once at start-up, not per request.
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut std::io::Cursor::new(data), &mut out, &params).ok()?;
    Some(out)
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_scripts_go_out_without_their_comment_lines() {
        let js = "// Why this file exists.\n\nconst a = 1; // kept: code on the line\n  // indented\nconst u = \"http://x\";\n";
        let out = String::from_utf8(without_comment_lines(js.as_bytes().to_vec())).unwrap();
        assert_eq!(out, "const a = 1; // kept: code on the line\nconst u = \"http://x\";\n");
    }

    fn assets() -> Assets {
        let dir = std::env::temp_dir().join(format!("canbao-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/app.css"), "body { color: black; }\n".repeat(200)).unwrap();
        std::fs::write(dir.join("icon.png"), [0x89u8, b'P', b'N', b'G']).unwrap();
        let a = Assets::load(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        a
    }

    fn get(a: &Assets, path: &str, headers: &[(header::HeaderName, &str)]) -> Option<Response> {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        a.respond(&Method::GET, path, &h)
    }

    #[test]
    fn the_smallest_accepted_encoding_with_an_etag_and_304_when_fresh() {
        let a = assets();
        assert_eq!(a.len(), 2);
        let br = get(&a, "/pkg/app.css", &[(header::ACCEPT_ENCODING, "gzip, deflate, br")]).unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        let len: usize = br.headers()[header::CONTENT_LENGTH].to_str().unwrap().parse().unwrap();
        assert!(len < 200, "brotli shrinks repeated CSS ({len} bytes)");
        assert_eq!(br.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = br.headers()[header::ETAG].to_str().unwrap().to_owned();
        let gz = get(&a, "/pkg/app.css", &[(header::ACCEPT_ENCODING, "gzip, br;q=0")]).unwrap();
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        let plain = get(&a, "/pkg/app.css", &[]).unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::CONTENT_LENGTH], "4600");
        let again = get(&a, "/pkg/app.css", &[(header::IF_NONE_MATCH, &etag)]).unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let stale = get(&a, "/pkg/app.css", &[(header::IF_NONE_MATCH, "\"other\"")]).unwrap();
        assert_eq!(stale.status(), StatusCode::OK);
        // A PNG is sent as it is; an unknown path is not ours.
        let png = get(&a, "/icon.png", &[(header::ACCEPT_ENCODING, "br")]).unwrap();
        assert!(png.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(get(&a, "/nope.css", &[]).is_none());
        // The content-addressed name: the same bytes, kept for a year; the plain name
        // revalidates.
        let versioned = a.versioned();
        let hashed = &versioned["/pkg/app.css"];
        assert!(
            hashed.starts_with("/pkg/app.") && hashed.ends_with(".css") && hashed.len() == "/pkg/app..css".len() + 16
        );
        let kept = get(&a, hashed, &[]).unwrap();
        assert_eq!(
            kept.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(kept.headers()[header::CONTENT_LENGTH], "4600");
        assert_eq!(kept.headers()[header::ETAG], plain.headers()[header::ETAG]);
        assert_eq!(versioned_name("/favicon", "0123"), "/favicon.0123");
        assert!(a.respond(&Method::POST, "/pkg/app.css", &HeaderMap::new()).is_none());
    }
}
