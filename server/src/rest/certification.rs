//! Identity certification (身份认定): records, actions, documents, and the audit log.

use app::error::AppError;
use app::services::AppState;

use app::model::{BulkOutcome, CertificationSummary, CertificationView};
use app::services::{audit, certification};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/certifications", get(list_certifications).post(post_certification))
        .route("/certifications/bulk", axum::routing::post(post_certifications_bulk))
        .route("/certifications/{id}", get(get_certification))
        .route(
            "/certifications/{id}/actions",
            axum::routing::post(post_certification_action),
        )
        .route(
            "/certifications/{id}/documents",
            axum::routing::post(post_document).layer(axum::extract::DefaultBodyLimit::max(
                certification::MAX_DOCUMENT_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/certifications/{id}/documents/{doc}", get(get_document))
        .route("/audit", get(list_audit))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/certifications",
        summary: "Certification work queue (query: status|all, category, area, older_than_days); residents see their household's requests",
        request: None,
        responses: &[
            (200, "oldest first, each with the steps the viewer may take", "CertificationList"),
            (401, "not signed in", "ErrorBody"),
            (403, "area outside the viewer's scope", "ErrorBody"),
            (422, "an invalid filter; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications",
        summary: "Request an identity certification (身份认定) for a registered person",
        request: Some("CertifyRequest"),
        responses: &[
            (201, "submitted", "CertificationView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "person outside the viewer's scope, or a department officer", "ErrorBody"),
            (404, "person not registered", "ErrorBody"),
            (409, "an open request or certification for this category exists", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/bulk",
        summary: "One step for many requests: without confirm=true nothing changes and the people are listed for checking",
        request: Some("BulkRequest"),
        responses: &[
            (200, "the preview or the applied list", "BulkOutcome"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "the role may not take this step for item ids[i] (error.field)", "ErrorBody"),
            (404, "item ids[i] does not exist or is not the viewer's", "ErrorBody"),
            (409, "item ids[i] is not in a status the step starts from", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/certifications/{id}",
        summary: "One request with its history, documents and any refund or top-up it caused",
        request: None,
        responses: &[
            (200, "the request", "CertificationView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's area or department", "ErrorBody"),
            (404, "no such request (or not the resident's)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/{id}/actions",
        summary: "A step: accept/return (township), confirm/reject (department), flag/revoke (bureau), resubmit/withdraw (submitter)",
        request: Some("ActionRequest"),
        responses: &[
            (200, "the request after the step", "CertificationView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "the role may not take this step here", "ErrorBody"),
            (404, "no such request", "ErrorBody"),
            (409, "the request is not in a status this step starts from", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/{id}/documents",
        summary: "Upload a supporting document (JPG, PNG or PDF by content, at most 10 MB): multipart field `file`, or raw bytes with ?file_name=",
        request: Some("File"),
        responses: &[
            (201, "stored", "DocumentView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's scope", "ErrorBody"),
            (404, "no such request", "ErrorBody"),
            (409, "the request is decided", "ErrorBody"),
            (422, "empty, too large or not an accepted type", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/certifications/{id}/documents/{doc}",
        summary: "A document's bytes, for viewers who may see the request",
        request: None,
        responses: &[
            (200, "the file, with its content type", "Object"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's scope", "ErrorBody"),
            (404, "no such document", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/audit",
        summary: "The audit log, newest first (query: action, actor, area, from, to, before); admins see all, bureau officers their area",
        request: None,
        responses: &[
            (200, "entries", "AuditList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not an admin or bureau officer, or area out of scope", "ErrorBody"),
            (422, "an invalid filter", "ErrorBody"),
        ],
    },
];

pub(super) async fn list_certifications(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<CertificationSummary>>, AppError> {
    let q: certification::QueueQuery = query_params(raw.as_deref())?;
    Ok(Json(certification::queue(&state, &actor, &q).await?))
}

pub(super) async fn post_certification(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CertificationView>), AppError> {
    let req: certification::CertifyRequest = json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(certification::submit(&state, &actor, &req, &ip).await?),
    ))
}

pub(super) async fn get_certification(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<CertificationView>, AppError> {
    Ok(Json(
        certification::view(&state, &actor, numeric_id(&id, "certification")?).await?,
    ))
}

pub(super) async fn post_certification_action(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CertificationView>, AppError> {
    let id = numeric_id(&id, "certification")?;
    let req: certification::ActionRequest = json_body(&body)?;
    Ok(Json(certification::act(&state, &actor, id, &req, &ip).await?))
}

pub(super) async fn post_certifications_bulk(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    body: axum::body::Bytes,
) -> Result<Json<BulkOutcome>, AppError> {
    let req: certification::BulkRequest = json_body(&body)?;
    Ok(Json(certification::bulk(&state, &actor, &req, &ip).await?))
}

/// A supporting document: `multipart/form-data` with a `file` field (the page's form,
/// which is answered with a redirect back to the request), or the raw bytes with
/// `?file_name=`. The type is decided from the content, never from the name.
pub(super) async fn post_document(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let html_form = wants_html(&headers);
    let result = upload(&state, &ip, &id, &headers, request).await;
    match (result, html_form) {
        (Ok(doc), false) => (StatusCode::CREATED, Json(doc)).into_response(),
        (Err(e), false) => e.into_response(),
        (Ok(_), true) => Redirect::to(&format!("/certifications/{id}?uploaded=1")).into_response(),
        (Err(e), true) => {
            let back = format!("/certifications/{}?upload_error={}", id.trim(), e.code());
            if numeric_id(&id, "certification").is_ok() {
                Redirect::to(&back).into_response()
            } else {
                e.into_response()
            }
        }
    }
}

pub(super) async fn upload(
    state: &AppState,
    ip: &str,
    id: &str,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<app::model::DocumentView, AppError> {
    let actor = actor(state, headers).await?;
    let id = numeric_id(id, "certification")?;
    let (name, bytes) = upload_body(headers, request, certification::MAX_DOCUMENT_BYTES, "document").await?;
    certification::add_document(state, &actor, id, &name, &bytes, ip).await
}

pub(super) async fn get_document(
    State(state): State<AppState>,
    Authed(actor): Authed,
    _headers: HeaderMap,
    Path((id, doc)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (meta, body) = certification::document(
        &state,
        &actor,
        numeric_id(&id, "certification")?,
        numeric_id(&doc, "document")?,
    )
    .await?;
    let disposition = format!(
        "inline; filename*=UTF-8''{}",
        form_urlencoded::byte_serialize(meta.file_name.as_bytes()).collect::<String>()
    );
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // An uploaded file is the uploader's content, not ours: opened in a tab it runs no
    // script and reaches nothing of this origin.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    Ok(res)
}

pub(super) async fn list_audit(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::AuditView>>, AppError> {
    let q: audit::AuditQuery = query_params(raw.as_deref())?;
    Ok(Json(audit::search(&state, &actor, &q).await?))
}
