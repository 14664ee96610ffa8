//! What a resident typed into a form the server refused, kept for the page the refusal
//! returns to (issue 25 §3).
//!
//! Without the islands' code a form posts to its server function, which answers a refusal
//! with a redirect back to the page (the error in the URL); the page was rendered afresh and
//! everything typed was gone. The server middleware that buffers a server function's body
//! hands a refused form's fields here and sets a short-lived cookie naming them; the next
//! page render takes them (once) and fills its inputs. Kept in memory and never in the URL
//! or the cookie: the fields hold names and ID numbers. Passwords and one-time codes are
//! never kept. Bounded: a few minutes, and at most [`MAX_BYTES`] in all (beyond it a refused
//! form is simply not kept); behind several servers without sticky sessions a refusal may
//! land on another server and show empty fields, as before.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie naming a kept form.
pub const COOKIE: &str = "canbao_typed";
/// How long a kept form waits for its page.
pub const KEPT_FOR: Duration = Duration::from_secs(300);
/// Every kept form together stays below this.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Fields never kept.
const SECRET_FIELDS: [&str; 4] = ["password", "new_password", "code", "secret"];

#[derive(Default)]
pub struct TypedForms {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    forms: HashMap<String, (Instant, Vec<(String, String)>)>,
    /// Tokens in the order they were kept, so expiry looks only at the oldest (a form taken
    /// already leaves its token here until it would have expired).
    order: VecDeque<(Instant, String)>,
    bytes: usize,
}

fn size(fields: &[(String, String)]) -> usize {
    fields.iter().map(|(k, v)| k.len() + v.len()).sum()
}

impl TypedForms {
    /// Keeps a refused form's fields (without secrets); the token for its cookie, or `None`
    /// when nothing is worth keeping or there is no room.
    pub fn keep(&self, fields: Vec<(String, String)>, now: Instant) -> Option<String> {
        let fields: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(k, v)| !v.is_empty() && !SECRET_FIELDS.contains(&k.as_str()))
            .collect();
        if fields.is_empty() {
            return None;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((at, token)) = kept.order.front().cloned() {
            if now.duration_since(at) <= KEPT_FOR {
                break;
            }
            kept.order.pop_front();
            if let Some((_, f)) = kept.forms.remove(&token) {
                kept.bytes -= size(&f);
            }
        }
        let n = size(&fields);
        if kept.bytes + n > MAX_BYTES {
            return None;
        }
        let token = crate::secrets::random_token(16);
        kept.bytes += n;
        kept.order.push_back((now, token.clone()));
        kept.forms.insert(token.clone(), (now, fields));
        Some(token)
    }

    /// The fields kept under `token`, once.
    pub fn take(&self, token: &str, now: Instant) -> Option<Vec<(String, String)>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let (at, fields) = kept.forms.remove(token)?;
        kept.bytes -= size(&fields);
        (now.duration_since(at) <= KEPT_FOR).then_some(fields)
    }
}

/// The token of the `canbao_typed` cookie in a `Cookie` header.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a kept form (HttpOnly, SameSite=Lax, Secure where sessions are).
pub fn cookie(token: &str, secure: bool, max_age: u64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn kept_once_without_secrets_and_not_after_it_expires() {
        let forms = TypedForms::default();
        let t0 = Instant::now();
        let token = forms
            .keep(
                pairs(&[("name", "张三"), ("password", "x"), ("code", "123456"), ("phone", "")]),
                t0,
            )
            .unwrap();
        assert_eq!(forms.take(&token, t0), Some(pairs(&[("name", "张三")])));
        assert_eq!(forms.take(&token, t0), None, "taken once");
        assert_eq!(
            forms.keep(pairs(&[("password", "x")]), t0),
            None,
            "nothing worth keeping"
        );
        let late = forms.keep(pairs(&[("name", "李四")]), t0).unwrap();
        assert_eq!(forms.take(&late, t0 + KEPT_FOR + Duration::from_secs(1)), None);
        assert_eq!(forms.kept.lock().unwrap().bytes, 0, "every byte given back");
    }

    #[test]
    fn memory_is_bounded() {
        let forms = TypedForms::default();
        let t0 = Instant::now();
        let big = "x".repeat(MAX_BYTES / 2);
        assert!(forms.keep(pairs(&[("a", &big)]), t0).is_some());
        assert!(forms.keep(pairs(&[("b", &big)]), t0).is_none(), "no room");
        // Once the first has expired, its room is given back.
        assert!(forms
            .keep(pairs(&[("b", &big)]), t0 + KEPT_FOR + Duration::from_secs(1))
            .is_some());
    }

    #[test]
    fn the_cookie_is_read_by_its_name_only() {
        assert_eq!(token_from_cookie_header("a=1; canbao_typed=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookie_header("xcanbao_typed=abc"), None);
        assert_eq!(token_from_cookie_header("canbao_typed="), None);
    }
}
