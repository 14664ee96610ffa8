//! REST `/api/v1`: the door other systems use. Thin: parse, call a service, map.

use app::error::AppError;
use app::model::AreaNode;
use app::prefs::{ELDER_COOKIE, LANG_COOKIE};
use app::services::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;

use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/health", get(health))
        .route("/areas", get(list_areas))
        .route("/areas/{code}", get(get_area))
        .fallback(unknown_endpoint)
}

/// 200 `{"status":"ok"}` when the database answers; 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::error!("health check: database unavailable: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

async fn list_areas(State(state): State<AppState>) -> Result<Json<Vec<AreaNode>>, AppError> {
    Ok(Json(app::store::areas::list(&state.db).await?))
}

async fn get_area(State(state): State<AppState>, Path(code): Path<String>) -> Result<Json<AreaNode>, AppError> {
    let list = app::store::areas::list(&state.db).await?;
    list.into_iter().find(|a| a.code == code).map(Json).ok_or_else(|| {
        AppError::not_found(
            "area_not_found",
            format!("未找到区划代码 {code}"),
            format!("No area with code {code}"),
        )
    })
}

async fn unknown_endpoint() -> AppError {
    AppError::not_found("endpoint_not_found", "接口不存在", "No such API endpoint")
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
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
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
