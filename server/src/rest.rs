//! REST `/api/v1`: the door other systems use. Thin: parse, call a service, map.

use app::error::{AppError, UserMessage};
use app::model::AreaNode;
use app::prefs::{ELDER_COOKIE, LANG_COOKIE};
use app::services::quotes::{self, PolicySummary};
use app::services::AppState;
use std::net::SocketAddr;

use app::model::{
    BulkOutcome, CertificationSummary, CertificationView, EnrolmentView, HospitalView, OrderView, ReceiptView,
    SubmissionView,
};
use app::services::enrolment::{self, Actor, EnrolRequest};
use app::services::payments;
use app::services::{adjustments, audit, certification, ledger, reports, roster, targets};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
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
        .route("/sessions", axum::routing::post(post_session))
        .route("/enrollments", axum::routing::post(post_enrollments))
        .route("/enrollments/{id}", get(get_enrollment))
        .route(
            "/enrollments/{id}/hospitals",
            axum::routing::put(put_enrollment_hospitals),
        )
        .route(
            "/households/{id}/payment-order",
            axum::routing::post(post_payment_order),
        )
        .route("/households/{id}/cash", axum::routing::post(post_cash))
        .route("/receipts/{receipt_no}", get(get_receipt))
        .route("/hospitals", get(list_hospitals))
        .route("/payments/callback", axum::routing::post(post_callback))
        .route("/payments/reconciliation", axum::routing::post(post_reconciliation))
        .route("/payment-exceptions", get(list_payment_exceptions))
        .route(
            "/payment-exceptions/{id}/settle",
            axum::routing::post(post_settle_payment_exception),
        )
        .route("/adjustments/{id}/settle", axum::routing::post(post_settle_adjustment))
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
        .route(
            "/adjustment-lists",
            axum::routing::post(post_adjustment_list).layer(axum::extract::DefaultBodyLimit::max(
                adjustments::MAX_LIST_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/adjustment-lists/{id}", get(get_adjustment_list))
        .route("/adjustment-lists/{id}/apply", axum::routing::post(post_apply_list))
        .route("/adjustment-lists/{id}/errors.xlsx", get(get_list_errors))
        .route("/ledger", get(get_ledger))
        .route("/ledger/changes", get(get_ledger_changes))
        .route("/ledger/{person}/visits", axum::routing::post(post_visit))
        .route(
            "/roster/import",
            axum::routing::post(post_roster_import).layer(axum::extract::DefaultBodyLimit::max(
                roster::MAX_ROSTER_FILE_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/reports/{kind}", get(get_report))
        .route("/targets", get(list_targets))
        .route(
            "/targets/import",
            axum::routing::post(post_targets_import).layer(axum::extract::DefaultBodyLimit::max(
                targets::MAX_TARGET_FILE_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/targets/{area}/{year}", axum::routing::put(put_target))
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
    let req: QuoteRequest = json_body(&body)?;
    Ok(Json(quotes::run(&state.policies, &req)?))
}

/// Parses a JSON body: malformed JSON is 400, the wrong shape 422 naming the field.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::BadRequest(UserMessage::new(
            "malformed_json",
            None,
            format!("请求内容不是合法的JSON：{e}"),
            format!("The request body is not valid JSON: {e}"),
        ))
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
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
    })
}

/// The signed-in account: `Authorization: Bearer <token>` (from `POST /sessions`) or the
/// browser's session cookie.
pub async fn actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let token = bearer.or_else(|| {
        headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| app::services::auth::token_from_cookie_header(&state.settings, c))
    });
    let Some(token) = token else {
        return Err(AppError::sign_in_required());
    };
    app::services::auth::account_for_token(state, &token)
        .await?
        .map(Actor::new)
        .ok_or_else(AppError::sign_in_required)
}

/// The peer's address ("unknown" when the server runs without connect info).
pub struct ClientIp(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        // The address middleware's answer (the forwarded client behind a trusted proxy).
        let addr = parts
            .extensions
            .get::<app::services::ClientAddr>()
            .map(|c| c.0)
            .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
        Ok(ClientIp(addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string())))
    }
}

/// Ids in paths are numbers; anything else names nothing (404).
fn numeric_id(s: &str, what: &str) -> Result<i64, AppError> {
    s.parse().map_err(|_| {
        AppError::not_found(
            &format!("{what}_not_found"),
            format!("未找到编号为“{s}”的记录"),
            format!("No {what} {s:?}"),
        )
    })
}

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
async fn post_session(
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

/// 201 when this request created an enrolment; 200 when every member was already enrolled.
/// The same `Idempotency-Key` with the same body answers the same; with another body, 409.
async fn post_enrollments(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SubmissionView>), AppError> {
    let actor = actor(&state, &headers).await?;
    let req: EnrolRequest = json_body(&body)?;
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or(""));
    let view = enrolment::submit(&state, &actor, &req, key, &ip).await?;
    let created = view.enrollments.iter().any(|e| !e.existing);
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(view)))
}

async fn get_enrollment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<EnrolmentView>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(
        enrolment::get(&state, &actor, numeric_id(&id, "enrolment")?).await?,
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HospitalChangeRequest {
    /// The designated institutions' codes (as many as the pack allows, at least one).
    pub hospitals: Vec<String>,
}

/// Changes the designated hospitals later in the year, as often as the pack allows.
async fn put_enrollment_hospitals(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<EnrolmentView>, AppError> {
    let actor = actor(&state, &headers).await?;
    let id = numeric_id(&id, "enrolment")?;
    let req: HospitalChangeRequest = json_body(&body)?;
    Ok(Json(
        enrolment::change_hospitals(&state, &actor, id, &req.hospitals, &ip).await?,
    ))
}

async fn post_payment_order(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(
        enrolment::open_order(&state, &actor, numeric_id(&id, "household")?, &ip).await?,
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CashRequest {
    /// The cash received, e.g. "70.00"; must equal the household's amount due.
    pub amount: String,
}

async fn post_cash(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ReceiptView>), AppError> {
    let actor = actor(&state, &headers).await?;
    let req: CashRequest = json_body(&body)?;
    let receipt = payments::collect_cash(&state, &actor, numeric_id(&id, "household")?, &req.amount, &ip).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

async fn get_receipt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(no): Path<String>,
) -> Result<Json<ReceiptView>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(payments::receipt(&state, &actor, &no).await?))
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

async fn list_hospitals(
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
    let pack = quotes::pack(&state.policies, id)?;
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

/// The payment provider's signed callback. Unsigned or badly signed: 401 (logged).
async fn post_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<payments::CallbackResult>, AppError> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (ts, sig) = (h(payments::TIMESTAMP_HEADER), h(payments::SIGNATURE_HEADER));
    Ok(Json(
        payments::handle_callback(&state, ts.as_deref(), sig.as_deref(), &body, &ip).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct ReconciliationQuery {
    file_name: Option<String>,
}

/// Body: the CSV itself (`text/csv`, UTF-8).
async fn post_reconciliation(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Json<payments::ReconciliationReport>, AppError> {
    let actor = actor(&state, &headers).await?;
    let query: ReconciliationQuery = query_params(raw.as_deref())?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        AppError::BadRequest(UserMessage::new(
            "encoding",
            Some("file"),
            "对账文件应为UTF-8编码的CSV",
            "The reconciliation file must be UTF-8 CSV",
        ))
    })?;
    let name = query.file_name.unwrap_or_else(|| "reconciliation.csv".into());
    Ok(Json(
        payments::import_reconciliation(&state, &actor, &name, text, &ip).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct ExceptionsQuery {
    /// `open` (the default) or `all`.
    status: Option<String>,
}

/// Bureau officers: the payment exceptions queue of their area and the refunds and top-ups
/// still to settle there.
async fn list_payment_exceptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<app::model::PaymentExceptionList>, AppError> {
    use app::services::payment_exceptions as px;
    let actor = actor(&state, &headers).await?;
    let q: ExceptionsQuery = query_params(raw.as_deref())?;
    let all = match q.status.as_deref() {
        None | Some("open") => false,
        Some("all") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "invalid_parameter",
                "查询参数status应为open或all",
                "status must be open or all",
            ))
        }
    };
    Ok(Json(app::model::PaymentExceptionList {
        exceptions: px::list(&state, &actor, all).await?,
        adjustments: px::pending_adjustments(&state, &actor).await?,
    }))
}

async fn post_settle_payment_exception(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::PaymentExceptionView>, AppError> {
    let actor = actor(&state, &headers).await?;
    let req: app::model::SettleRequest = json_body(&body)?;
    let id = numeric_id(&id, "payment_exception")?;
    Ok(Json(
        app::services::payment_exceptions::settle(&state, &actor, id, &req, &ip).await?,
    ))
}

async fn post_settle_adjustment(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::AdjustmentView>, AppError> {
    let actor = actor(&state, &headers).await?;
    let req: app::model::SettleRequest = json_body(&body)?;
    let id = numeric_id(&id, "adjustment")?;
    Ok(Json(
        app::services::payment_exceptions::settle_adjustment(&state, &actor, id, &req, &ip).await?,
    ))
}

/// Parses a query string: a value of the wrong type is 422 naming the parameter.
fn query_params<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(raw.unwrap_or("")));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        AppError::Invalid(UserMessage::new(
            "invalid_parameter",
            (field != ".").then_some(field.as_str()),
            format!("查询参数{field}有误：{}", e.inner()),
            format!("Query parameter {field} is invalid: {}", e.inner()),
        ))
    })
}

fn form_urlencoded_parse(raw: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(raw.as_bytes())
}

async fn list_certifications(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<CertificationSummary>>, AppError> {
    let actor = actor(&state, &headers).await?;
    let q: certification::QueueQuery = query_params(raw.as_deref())?;
    Ok(Json(certification::queue(&state, &actor, &q).await?))
}

async fn post_certification(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CertificationView>), AppError> {
    let actor = actor(&state, &headers).await?;
    let req: certification::CertifyRequest = json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(certification::submit(&state, &actor, &req, &ip).await?),
    ))
}

async fn get_certification(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<CertificationView>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(
        certification::view(&state, &actor, numeric_id(&id, "certification")?).await?,
    ))
}

async fn post_certification_action(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CertificationView>, AppError> {
    let actor = actor(&state, &headers).await?;
    let id = numeric_id(&id, "certification")?;
    let req: certification::ActionRequest = json_body(&body)?;
    Ok(Json(certification::act(&state, &actor, id, &req, &ip).await?))
}

async fn post_certifications_bulk(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<BulkOutcome>, AppError> {
    let actor = actor(&state, &headers).await?;
    let req: certification::BulkRequest = json_body(&body)?;
    Ok(Json(certification::bulk(&state, &actor, &req, &ip).await?))
}

/// Room for multipart framing around the largest document.
const UPLOAD_SLACK: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
struct DocumentQuery {
    file_name: Option<String>,
}

/// A supporting document: `multipart/form-data` with a `file` field (the page's form,
/// which is answered with a redirect back to the request), or the raw bytes with
/// `?file_name=`. The type is decided from the content, never from the name.
async fn post_document(
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

fn too_large() -> AppError {
    AppError::invalid(
        "file",
        "file_too_large",
        "文件不能超过10MB",
        "A file may be at most 10 MB",
    )
}

async fn upload(
    state: &AppState,
    ip: &str,
    id: &str,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<app::model::DocumentView, AppError> {
    let actor = actor(state, headers).await?;
    let id = numeric_id(id, "certification")?;
    let (name, bytes) = upload_body(
        headers,
        request,
        certification::MAX_DOCUMENT_BYTES + UPLOAD_SLACK,
        "document",
    )
    .await?;
    certification::add_document(state, &actor, id, &name, &bytes, ip).await
}

async fn get_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, doc)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let actor = actor(&state, &headers).await?;
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

async fn list_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::AuditView>>, AppError> {
    let actor = actor(&state, &headers).await?;
    let q: audit::AuditQuery = query_params(raw.as_deref())?;
    Ok(Json(audit::search(&state, &actor, &q).await?))
}

/// The file of an upload: a multipart `file` field, or the raw body with `?file_name=`.
async fn upload_body(
    headers: &HeaderMap,
    request: axum::extract::Request,
    limit: usize,
    default_name: &str,
) -> Result<(String, axum::body::Bytes), AppError> {
    use axum::extract::FromRequest;
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if multipart {
        let mut form = axum::extract::Multipart::from_request(request, &())
            .await
            .map_err(|_| {
                AppError::BadRequest(UserMessage::new(
                    "malformed_form",
                    Some("file"),
                    "上传内容格式有误",
                    "The upload is malformed",
                ))
            })?;
        while let Some(field) = form.next_field().await.map_err(|_| too_large())? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or(default_name).to_owned();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                return Ok((name, bytes));
            }
        }
        Err(AppError::invalid(
            "file",
            "file_empty",
            "请选择要上传的文件",
            "Choose a file to upload",
        ))
    } else {
        let raw = request.uri().query().map(str::to_owned);
        let q: DocumentQuery = query_params(raw.as_deref())?;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| too_large())?;
        Ok((q.file_name.unwrap_or_else(|| default_name.into()), bytes))
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The dry run of a department's list (CSV or XLSX). The page's form is answered with a
/// redirect to the report page.
async fn post_adjustment_list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let actor = actor(&state, &headers).await?;
        let (name, bytes) = upload_body(&headers, request, adjustments::MAX_LIST_BYTES + 1, "list.csv").await?;
        adjustments::preview(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    match (result, wants_html(&headers)) {
        (Ok(r), false) => Json(r).into_response(),
        (Err(e), false) => e.into_response(),
        (Ok(r), true) => Redirect::to(&format!("/lists/{}", r.import_id)).into_response(),
        (Err(e), true) => Redirect::to(&format!("/lists?error={}", e.code())).into_response(),
    }
}

async fn get_adjustment_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<app::model::ImportReport>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(
        adjustments::show(&state, &actor, numeric_id(&id, "import")?).await?,
    ))
}

async fn post_apply_list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<app::model::ImportReport>, AppError> {
    let actor = actor(&state, &headers).await?;
    Ok(Json(
        adjustments::apply(&state, &actor, numeric_id(&id, "import")?, &ip).await?,
    ))
}

async fn get_list_errors(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = actor(&state, &headers).await?;
    let (name, bytes) = adjustments::error_report(&state, &actor, numeric_id(&id, "import")?).await?;
    Ok(xlsx_response(&name, bytes))
}

/// A workbook download: the file name survives non-ASCII, and nothing is cached.
fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    );
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

#[derive(Debug, Deserialize)]
struct ReportParams {
    area: Option<String>,
    as_of: Option<String>,
    year: Option<i32>,
    format: Option<String>,
    chart: Option<String>,
    lang: Option<String>,
}

/// A report as JSON, as the official form's XLSX (`format=xlsx`), or one of the
/// dashboard's charts as SVG (`format=svg&chart=coverage|trend`).
async fn get_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let actor = actor(&state, &headers).await?;
    let p: ReportParams = query_params(raw.as_deref())?;
    let lang = p
        .lang
        .as_deref()
        .and_then(app::i18n::Lang::from_code)
        .unwrap_or_default();
    let q = reports::ReportQuery {
        area: p.area,
        as_of: p.as_of,
        year: p.year,
    };
    let format = p.format.as_deref().unwrap_or("json");
    if !["json", "xlsx", "svg"].contains(&format) {
        return Err(AppError::invalid(
            "format",
            "format_unknown",
            "格式应为 json、xlsx 或 svg",
            "format must be json, xlsx or svg",
        ));
    }
    let report = reports::report(&state, &actor, &kind, &q, lang).await?;
    match (format, &report) {
        ("xlsx", _) => match reports::xlsx(&report)? {
            Some((name, bytes)) => Ok(xlsx_response(&name, bytes)),
            None => Err(AppError::invalid(
                "format",
                "no_xlsx",
                "参保进度图没有Excel格式，请用 format=svg",
                "The dashboard has no XLSX; use format=svg",
            )),
        },
        ("svg", reports::Report::Dashboard(d)) => {
            let svg = match p.chart.as_deref().unwrap_or("coverage") {
                "coverage" => d.coverage_svg.clone(),
                "trend" => d.trend_svg.clone(),
                _ => {
                    return Err(AppError::invalid(
                        "chart",
                        "chart_unknown",
                        "图表应为 coverage 或 trend",
                        "chart must be coverage or trend",
                    ))
                }
            };
            let mut res = svg.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            );
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            Ok(res)
        }
        ("svg", _) => Err(AppError::invalid(
            "format",
            "no_svg",
            "只有参保进度图（dashboard）有SVG格式",
            "Only the dashboard has SVG charts",
        )),
        _ => Ok(Json(report).into_response()),
    }
}

#[derive(Debug, Deserialize)]
struct AreaParam {
    area: Option<String>,
}

async fn list_targets(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::TargetView>>, AppError> {
    let actor = actor(&state, &headers).await?;
    let q: AreaParam = query_params(raw.as_deref())?;
    Ok(Json(targets::list(&state, &actor, q.area.as_deref()).await?))
}

async fn put_target(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((area, year)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::TargetView>, AppError> {
    let actor = actor(&state, &headers).await?;
    let year = targets::parse_year(&year)?;
    let req: targets::TargetRequest = json_body(&body)?;
    Ok(Json(targets::set(&state, &actor, &area, year, req.count, &ip).await?))
}

/// Targets from a file; the page's plain form is answered with a redirect back.
async fn post_targets_import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let actor = actor(&state, &headers).await?;
        let (name, bytes) = upload_body(&headers, request, targets::MAX_TARGET_FILE_BYTES + 1, "targets.csv").await?;
        targets::import(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    let problem = |r: &targets::TargetImport| r.problems.first().cloned();
    import_answer(&headers, "/targets", result, problem, |r| {
        format!("imported={}", r.applied)
    })
}

/// An import's answer: JSON for programs (422 with the problems, nothing written), and for
/// the page's plain upload form a redirect back to the page with the count or the first
/// problem, so it works without JavaScript.
fn import_answer<T: serde::Serialize>(
    headers: &HeaderMap,
    page: &str,
    result: Result<T, AppError>,
    problem: impl Fn(&T) -> Option<app::model::ImportProblem>,
    done: impl Fn(&T) -> String,
) -> Response {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match (result, wants_html(headers)) {
        (Ok(r), false) if problem(&r).is_none() => Json(r).into_response(),
        (Ok(r), false) => (StatusCode::UNPROCESSABLE_ENTITY, Json(r)).into_response(),
        (Err(e), false) => e.into_response(),
        (Ok(r), true) => match problem(&r) {
            None => Redirect::to(&format!("{page}?{}", done(&r))).into_response(),
            Some(first) => {
                let msg = format!(
                    "第{}行 {}：{}",
                    first.line,
                    first.column.clone().unwrap_or_default(),
                    first.message
                );
                Redirect::to(&format!("{page}?error={}", encode(&msg))).into_response()
            }
        },
        (Err(e), true) => Redirect::to(&format!("{page}?error={}", encode(&e.to_string()))).into_response(),
    }
}

async fn post_roster_import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let actor = actor(&state, &headers).await?;
        let (name, bytes) = upload_body(&headers, request, roster::MAX_ROSTER_FILE_BYTES + 1, "roster.csv").await?;
        roster::import(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    let problem = |r: &roster::RosterImport| r.problems.first().cloned();
    import_answer(&headers, "/ledger", result, problem, |r| {
        format!("imported={}&known={}", r.added, r.known)
    })
}

async fn get_ledger(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::LedgerEntry>>, AppError> {
    let actor = actor(&state, &headers).await?;
    let q: ledger::LedgerQuery = query_params(raw.as_deref())?;
    Ok(Json(ledger::ledger(&state, &actor, &q).await?))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    month: Option<String>,
    area: Option<String>,
    year: Option<i32>,
}

async fn get_ledger_changes(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<app::model::LedgerChanges>, AppError> {
    let actor = actor(&state, &headers).await?;
    let q: ChangesQuery = query_params(raw.as_deref())?;
    let month = q
        .month
        .unwrap_or_else(|| state.clock.today().format("%Y-%m").to_string());
    Ok(Json(
        ledger::changes(&state, &actor, &month, q.area.as_deref(), q.year).await?,
    ))
}

async fn post_visit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(person): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<app::model::LedgerEntry>), AppError> {
    let actor = actor(&state, &headers).await?;
    let person = numeric_id(&person, "person")?;
    let req: ledger::VisitRequest = json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(ledger::record_visit(&state, &actor, person, &req, &ip).await?),
    ))
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
