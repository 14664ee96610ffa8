//! REST `/api/v1`: the door other systems use. Thin: parse, call a service, map.

use app::error::{AppError, UserMessage};
use app::model::AreaNode;
use app::prefs::{ELDER_COOKIE, LANG_COOKIE};
use app::services::quotes::{self, PolicySummary};
use app::services::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use domain::policy::{PolicyPack, Quote, QuoteRequest};
use serde::Deserialize;

use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/health", get(health))
        .route("/areas", get(list_areas))
        .route("/areas/{code}", get(get_area))
        .route("/policies", get(list_policies))
        .route("/policies/{id}", get(get_policy))
        .route("/quote", axum::routing::post(post_quote))
        .route("/openapi.json", get(openapi_document))
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
    app::store::areas::get_with_target(&state.db, &code)
        .await?
        .map(Json)
        .ok_or_else(|| {
            AppError::not_found(
                "area_not_found",
                format!("未找到区划代码 {code}"),
                format!("No area with code {code}"),
            )
        })
}

async fn openapi_document() -> Json<serde_json::Value> {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(DOC.get_or_init(crate::openapi::document).clone())
}

async fn list_policies(State(state): State<AppState>) -> Json<Vec<PolicySummary>> {
    Json(state.policies.all().map(PolicySummary::from).collect())
}

async fn get_policy(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<PolicyPack>, AppError> {
    Ok(Json(quotes::pack(&state.policies, &id)?.clone()))
}

/// Malformed JSON is 400; JSON of the wrong shape is 422 naming the field; the engine's
/// objections are 422 with their field; an unknown policy is 404.
async fn post_quote(State(state): State<AppState>, body: axum::body::Bytes) -> Result<Json<Quote>, AppError> {
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(UserMessage::new(
            "malformed_json",
            None,
            format!("请求内容不是合法的JSON：{e}"),
            format!("The request body is not valid JSON: {e}"),
        ))
    })?;
    let req: QuoteRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." {
            missing_field(e.inner()).unwrap_or_default()
        } else {
            field
        };
        AppError::Invalid(UserMessage::new(
            "invalid_field",
            (!field.is_empty()).then_some(field.as_str()),
            format!("字段{field}有误：{}", e.inner()),
            format!("Field {field} is invalid: {}", e.inner()),
        ))
    })?;
    Ok(Json(quotes::run(&state.policies, &req)?))
}

/// serde reports a missing field at the parent's path; name the field itself.
fn missing_field(e: &serde_json::Error) -> Option<String> {
    let msg = e.to_string();
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
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
