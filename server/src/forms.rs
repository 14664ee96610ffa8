//! Keeps what was typed into a form its server function refused, for the page the refusal
//! redirects back to (see `app::services::typed`): a resident who mistyped one digit of an
//! ID number finds the rest of the form as they left it.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

use app::services::{typed, AppState};

/// Runs inside the server functions' body limit, which has buffered the body already.
pub async fn keep_typed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let form_post = req.method() == Method::POST
        && crate::hardening::server_fn_limit(req.uri().path()).is_some()
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if !form_post {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    let mut res = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;
    // A refusal of a plain form post is a redirect back with the error in the URL.
    let refused = res.status().is_redirection()
        && res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.contains("__err="));
    if refused {
        let fields = form_urlencoded::parse(&bytes).into_owned().collect();
        if let Some(token) = state.typed.keep(fields, Instant::now()) {
            let cookie = typed::cookie(&token, state.settings.secure_cookies, typed::KEPT_FOR.as_secs());
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    res
}
