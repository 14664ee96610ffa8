//! Staff sign-in for other systems, and the language / elder-mode preference form.

use app::error::AppError;
use app::prefs::{ELDER_COOKIE, LANG_COOKIE};
use app::services::AppState;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new().route("/sessions", axum::routing::post(post_session))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[Endpoint {
    method: "post",
    path: "/api/v1/sessions",
    summary: "Staff sign-in for other systems: returns a bearer token",
    request: Some("SessionRequest"),
    responses: &[
        (200, "signed in", "SessionResponse"),
        (401, "wrong username or password", "ErrorBody"),
        (422, "an invalid value", "ErrorBody"),
        (429, "too many attempts", "ErrorBody"),
    ],
}];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SessionRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SessionResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_in: i64,
    pub role: String,
}

/// Staff sign-in for other systems and load tests (same limits and audit as the page).
pub(super) async fn post_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Json<SessionResponse>, AppError> {
    let req: SessionRequest = json_body(&body)?;
    let s = app::services::auth::staff_sign_in(&state, &req.username, &req.password, &ip).await?;
    Ok(Json(SessionResponse {
        token: s.token,
        expires_in: s.max_age_seconds,
        role: s.account.role,
    }))
}

/// True for a path on this site only: one leading '/', then no '/' or '\\' (which browsers
/// read as another host), and no whitespace or control characters anywhere (browsers drop
/// tabs and newlines, so "/\t/evil.example" would become "//evil.example").
pub fn is_local_path(target: &str) -> bool {
    let mut chars = target.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !target.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && target.len() <= 2048
}

#[derive(Debug, Deserialize)]
pub struct PrefsForm {
    lang: Option<String>,
    elder: Option<String>,
    back: Option<String>,
}

/// Stores language / elder-mode choices in cookies and goes back to the page (works without JS).
pub async fn set_prefs(headers: HeaderMap, Form(form): Form<PrefsForm>) -> Response {
    const YEAR: u32 = 365 * 24 * 3600;
    let mut cookies = Vec::new();
    if let Some(lang) = form.lang.as_deref().and_then(app::i18n::Lang::from_code) {
        cookies.push(format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age={YEAR}; SameSite=Lax",
            lang.code()
        ));
    }
    match form.elder.as_deref() {
        Some("1") => cookies.push(format!("{ELDER_COOKIE}=1; Path=/; Max-Age={YEAR}; SameSite=Lax")),
        Some("0") => cookies.push(format!("{ELDER_COOKIE}=0; Path=/; Max-Age={YEAR}; SameSite=Lax")),
        _ => {}
    }
    // Only same-site paths: an open redirect would let others bounce people through us.
    let back = form
        .back
        .filter(|b| is_local_path(b))
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|r| r.to_str().ok())
                .map(|_| "/".to_owned())
        })
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn redirects_stay_on_this_site() {
        for ok in ["/", "/coverage", "/reports?area=141102&as_of=2022-10-08", "/a/b#c"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "coverage",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "/x\\y",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
