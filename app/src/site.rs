//! The site's static files as the pages name them, and the script that brings the islands'
//! code to life only on a page that has an island.
//!
//! The server holds every static file under its plain name and a content-addressed one
//! (`/pkg/canbao.<hash>.wasm`, cached for a year) and hands the map to each page render as
//! [`SiteFiles`]. Leptos's own `HydrationScripts` preloads the WASM and its JS glue on every
//! page, with plain names; here the pages without an island (most of them: the home page,
//! sign-in, the staff queues) fetch neither, and the ones with one preload both
//! ([`PreloadIslands`]) under names a phone keeps.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Link;

/// Plain URL → content-addressed URL of every static file the server holds (empty when
/// there is no built site, as in the Rust tests: pages then use the plain names).
#[derive(Clone, Debug, Default)]
pub struct SiteFiles(pub Arc<HashMap<String, String>>);

/// The URL a page should use for a static file.
pub fn asset_url(path: &str) -> String {
    use_context::<SiteFiles>()
        .and_then(|f| f.0.get(path).cloned())
        .unwrap_or_else(|| path.to_owned())
}

/// The islands' JS glue and WASM (cargo-leptos's output name `canbao`).
const ISLANDS_JS: &str = "/pkg/canbao.js";
const ISLANDS_WASM: &str = "/pkg/canbao.wasm";
/// The page loader (`public/nav.js`).
const LOADER: &str = "/nav.js";

/// Starts fetching the islands' code with the page, for a page that has an island.
#[component]
pub fn PreloadIslands() -> impl IntoView {
    view! {
        <Link rel="modulepreload" href=asset_url(ISLANDS_JS) crossorigin="anonymous"/>
        <Link rel="preload" href=asset_url(ISLANDS_WASM) as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
    }
}

/// In place of `HydrationScripts`: the site's page loader (`public/nav.js`), which on a page
/// with an island loads the WASM and hydrates each island (on any other page it fetches
/// neither), and moves between pages by fetching the next one and swapping `<body>`: see the
/// script's own comments. (Canbao's islands are not nested and take no children, so each is
/// hydrated on its own.)
#[component]
pub fn IslandLoader() -> impl IntoView {
    // What `HydrationScripts` does in islands mode: outside an island the server renders
    // no hydration markers.
    #[cfg(feature = "ssr")]
    if let Some(sc) = Owner::current_shared_context() {
        sc.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    view! {
        <script type="module" src=asset_url(LOADER) nonce=nonce
            data-islands-js=asset_url(ISLANDS_JS) data-islands-wasm=asset_url(ISLANDS_WASM)></script>
    }
}
