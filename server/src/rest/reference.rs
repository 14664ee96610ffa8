//! Reference data anyone may read: health, areas, policy packs, quotes, designated hospitals.

use app::error::AppError;
use app::model::AreaNode;
use app::services::quotes::{self, PolicySummary};
use app::services::AppState;

use app::model::HospitalView;
use app::services::enrolment::{self};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::policy::{Quote, QuoteRequest};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/health", get(health))
        .route("/areas", get(list_areas))
        .route("/areas/{code}", get(get_area))
        .route("/policies", get(list_policies))
        .route("/policies/{id}", get(get_policy))
        .route("/quote", axum::routing::post(post_quote))
        .route("/hospitals", get(list_hospitals))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/health",
        summary: "Readiness: 200 {\"status\":\"ok\"} once the database answers",
        request: None,
        responses: &[(200, "ready", "Health"), (503, "database unavailable", "Health")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/areas",
        summary: "The area hierarchy with each area's latest target",
        request: None,
        responses: &[(200, "all areas, parents first", "AreaList")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/areas/{code}",
        summary: "One area by administrative code",
        request: None,
        responses: &[(200, "the area", "AreaNode"), (404, "unknown code", "ErrorBody")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/policies",
        summary: "The policy packs loaded (the five seed packs and any from CANBAO_POLICY_DIR)",
        request: None,
        responses: &[(200, "pack summaries", "PolicyList")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/policies/{id}",
        summary: "One whole policy pack, every figure with its notice and clause; ?format=toml: the same pack as a TOML file in the seed packs' format (application/toml, a download)",
        request: None,
        responses: &[
            (200, "the pack", "PolicyPack"),
            (404, "unknown policy", "ErrorBody"),
            (422, "format other than json or toml", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/quote",
        summary: "Whether a person may enrol, what they pay after subsidies and when cover starts",
        request: Some("QuoteRequest"),
        responses: &[
            (
                200,
                "the quote (also for an ineligible person: eligible=false with reasons)",
                "Quote",
            ),
            (400, "malformed JSON", "ErrorBody"),
            (404, "unknown policy", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/hospitals",
        summary: "Designated medical institutions of a pack's jurisdiction (?policy=&area=&q=)",
        request: None,
        responses: &[
            (200, "the institutions", "HospitalList"),
            (404, "unknown policy", "ErrorBody"),
            (422, "policy missing", "ErrorBody"),
        ],
    },
];

/// 200 `{"status":"ok"}` when the database answers; 503 otherwise.
pub(super) async fn health(State(state): State<AppState>) -> Response {
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

pub(super) async fn list_areas(State(state): State<AppState>) -> Result<Json<Vec<AreaNode>>, AppError> {
    Ok(Json(app::services::reference::areas(&state).await?))
}

pub(super) async fn get_area(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<AreaNode>, AppError> {
    Ok(Json(app::services::reference::area(&state, &code).await?))
}

/// Published packs offered today; a signed-in bureau officer (or administrator) also sees
/// the drafts of their area, marked with their status. Anyone else gets the public list,
/// whatever their session says.
pub(super) async fn list_policies(State(state): State<AppState>, headers: HeaderMap) -> Json<Vec<PolicySummary>> {
    let mut out: Vec<PolicySummary> = state
        .policies
        .current()
        .offered(state.clock.today())
        .map(PolicySummary::from)
        .collect();
    if let Ok(actor) = super::actor(&state, &headers).await {
        if let Ok(drafts) = app::services::policies::drafts::listed(&state, &actor).await {
            out.extend(drafts.into_iter().map(|(d, pack)| PolicySummary {
                status: Some(d.status),
                draft_id: Some(d.id),
                ..PolicySummary::from(&pack)
            }));
        }
    }
    Json(out)
}

#[derive(Debug, Deserialize)]
pub struct PolicyFormat {
    /// `json` (the default) or `toml`.
    pub format: Option<String>,
}

pub(super) async fn get_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query: PolicyFormat = query_params(raw.as_deref())?;
    let policies = state.policies.current();
    let pack = policies.by_id(&id, state.clock.today())?;
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(pack.clone()).into_response()),
        "toml" => {
            let text = app::services::policies::export_pack(pack)?;
            let disposition = format!("attachment; filename=\"{}.toml\"", pack.id);
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/toml; charset=utf-8".to_owned(),
                    ),
                    (axum::http::header::CONTENT_DISPOSITION, disposition),
                ],
                text,
            )
                .into_response())
        }
        other => Err(AppError::invalid(
            "format",
            "format_unknown",
            format!("格式“{other}”无效，可选：json、toml"),
            format!("Unknown format {other:?}; use json or toml"),
        )),
    }
}

/// Malformed JSON is 400; JSON of the wrong shape is 422 naming the field; the engine's
/// objections are 422 with their field; an unknown policy is 404.
pub(super) async fn post_quote(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Quote>, AppError> {
    let req: QuoteRequest = json_body(&body)?;
    Ok(Json(quotes::run(&state.policies.current(), &req, state.clock.today())?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HospitalQuery {
    /// Pack id: its jurisdiction's institutions (required).
    pub policy: Option<String>,
    /// Only those in this township (or any area code prefix).
    pub area: Option<String>,
    /// Name contains this.
    pub q: Option<String>,
}

pub(super) async fn list_hospitals(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<HospitalView>>, AppError> {
    // Parsed like every other query: a bad or repeated parameter is 422 in the error shape
    // (axum's `Query` answered a plain-text 400).
    let query: HospitalQuery = query_params(raw.as_deref())?;
    let id = query.policy.as_deref().unwrap_or("");
    if id.is_empty() {
        return Err(AppError::invalid(
            "policy",
            "policy_required",
            "请指定政策（policy）",
            "Give the policy id (policy=…)",
        ));
    }
    let policies = state.policies.current();
    let pack = policies.by_id(id, state.clock.today())?;
    let list = state.reference.hospitals_under(&state.db, &pack.area_codes).await?;
    let q = query.q.as_deref().map(str::trim).unwrap_or("");
    let area = query.area.as_deref().map(str::trim).unwrap_or("");
    Ok(Json(
        list.into_iter()
            .filter(|h| h.area_code.starts_with(area) && (q.is_empty() || h.name.contains(q)))
            .map(enrolment::to_view_hospital)
            .collect(),
    ))
}
