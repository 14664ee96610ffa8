//! Staff-authored policy packs: drafts, their review and publication (issue 26). Each action
//! answers JSON to programs; the draft page's plain HTML forms post here too and are sent
//! back to the page (with the first problem and its field when refused), so editing works
//! before the WASM loads.

use app::error::AppError;
use app::services::policies::drafts;
use app::services::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/policy-drafts", get(list_drafts).post(post_draft))
        .route(
            "/policy-drafts/import",
            post(post_import).layer(axum::extract::DefaultBodyLimit::max(
                drafts::MAX_PACK_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/policy-drafts/{id}", get(get_draft).put(put_draft))
        .route("/policy-drafts/{id}/form", post(post_form))
        .route("/policy-drafts/{id}/validate", post(post_validate))
        .route("/policy-drafts/{id}/submit", post(post_submit))
        .route("/policy-drafts/{id}/approve", post(post_approve))
        .route("/policy-drafts/{id}/return", post(post_return))
        .route("/policy-drafts/{id}/publish", post(post_publish))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/policy-drafts",
        summary: "Policy pack drafts of the officer's area, newest first (bureau officers, administrators)",
        request: None,
        responses: &[
            (200, "the drafts", "DraftList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts",
        summary: "Start a draft from a published pack of the officer's area: for `year` (default the next; the pack's own year makes a correction)",
        request: Some("DraftCreateRequest"),
        responses: &[
            (201, "the new draft's id", "DraftCreated"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (422, "no such pack in the area, or a year out of range; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/import",
        summary: "Start a draft from a pack file in the seed packs' TOML format (multipart `file`, or the raw body with ?file_name=)",
        request: Some("File"),
        responses: &[
            (201, "the new draft's id", "DraftCreated"),
            (400, "a malformed multipart body", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (422, "the file is over 256 KB, cannot be read as a pack (the line is named), or its areas are out of scope", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/policy-drafts/{id}",
        summary: "One draft: its state, its pack and what keeps it from being submitted",
        request: None,
        responses: &[
            (200, "the draft", "DraftDetail"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "put",
        path: "/api/v1/policy-drafts/{id}",
        summary: "Replace a draft's pack (while it is a draft or returned); problems are allowed until it is submitted",
        request: Some("DraftUpdateRequest"),
        responses: &[
            (200, "the draft", "DraftDetail"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "submitted or published: no longer editable", "ErrorBody"),
            (422, "a value of the wrong shape, or areas out of scope; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/form",
        summary: "The draft page's form (application/x-www-form-urlencoded): each field named by its path in the pack (`tiers[0].personal.value`); `op` adds or removes a row (`add:categories`, `remove:periods[1]`); all or nothing",
        request: None,
        responses: &[
            (200, "the draft", "DraftDetail"),
            (303, "a browser's form: back to the draft page", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "no longer editable", "ErrorBody"),
            (422, "a value that does not read (yuan, date, whole number, choice); error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/validate",
        summary: "What keeps the draft from being submitted: the pack loader's checks, each naming its field in Chinese and English",
        request: None,
        responses: &[
            (200, "the problems (empty: ready)", "ProblemList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/submit",
        summary: "Submit the draft for approval; refused while it has problems",
        request: None,
        responses: &[
            (200, "the draft", "DraftDetail"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "already submitted or published", "ErrorBody"),
            (422, "problems left; error.field names the first", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/approve",
        summary: "Approve a submitted draft (another officer than its author)",
        request: None,
        responses: &[
            (200, "the draft", "DraftDetail"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator, or the draft's author", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "not waiting for review", "ErrorBody"),
            (422, "problems found on approval", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/return",
        summary: "Return a submitted draft to its author with a reason (another officer than its author)",
        request: Some("ReviewRequest"),
        responses: &[
            (200, "the draft", "DraftDetail"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator, or the draft's author", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "not waiting for review", "ErrorBody"),
            (422, "no reason given", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/policy-drafts/{id}/publish",
        summary: "Publish an approved draft as the next immutable version of its id, offered from `offered_from` (default: its collection's first day)",
        request: Some("PublishRequest"),
        responses: &[
            (200, "the draft, published", "DraftDetail"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer or administrator, or the draft's author", "ErrorBody"),
            (404, "no such draft in your area", "ErrorBody"),
            (409, "not approved, or published meanwhile", "ErrorBody"),
            (422, "a date after the collection ends", "ErrorBody"),
        ],
    },
];

/// `POST /api/v1/policy-drafts`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DraftCreateRequest {
    /// The published pack to start from (`lishi-2023`).
    pub from: String,
    /// The insurance year of the new pack (default: the next one).
    #[serde(default)]
    pub year: Option<i32>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DraftCreated {
    pub id: i64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DraftUpdateRequest {
    pub pack: domain::policy::PolicyPack,
    /// Why this version (required before submitting a correction of a published id).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReviewRequest {
    /// Why it is returned (required to return).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PublishRequest {
    /// The day residents are first offered it (default: its collection's first day).
    #[serde(default)]
    pub offered_from: Option<NaiveDate>,
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A body as JSON, or as a plain form's fields (the draft page); an empty body is the
/// type's default.
fn body_of<T: serde::de::DeserializeOwned + Default>(headers: &HeaderMap, body: &[u8]) -> Result<T, AppError> {
    if is_form(headers) {
        let map: serde_json::Map<String, serde_json::Value> = pairs(body)
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        return json_body(&serde_json::to_vec(&map).unwrap_or_default());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json_body(body)
}

/// The answer to an action: the draft as JSON, or for the page's form a redirect back to
/// the page (saying what happened, or the refusal and its field).
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    id: i64,
    done: &str,
    result: Result<app::services::access::Actor, AppError>,
) -> Response {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let page = format!("/policies/drafts/{id}");
    match (result, wants_html(headers)) {
        (Ok(_), true) => Redirect::to(&format!("{page}?done={done}")).into_response(),
        (Err(e), true) if e.status() == 401 => Redirect::to("/login/staff").into_response(),
        (Err(e), true) => {
            let field = e.field().map(|f| format!("&field={}", encode(f))).unwrap_or_default();
            Redirect::to(&format!("{page}?{}{field}", refusal(&e))).into_response()
        }
        (Ok(actor), false) => match drafts::detail(state, &actor, id).await {
            Ok(d) => Json(d).into_response(),
            Err(e) => e.into_response(),
        },
        (Err(e), false) => e.into_response(),
    }
}

pub(super) async fn list_drafts(
    State(state): State<AppState>,
    Authed(actor): Authed,
) -> Result<Json<Vec<app::model::DraftSummary>>, AppError> {
    Ok(Json(drafts::list(&state, &actor).await?))
}

pub(super) async fn post_draft(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        let actor = actor(&state, &headers).await?;
        // The role first: someone who may not draft is refused whatever they sent.
        drafts::may_author(&actor)?;
        #[derive(Deserialize, Default)]
        struct Form {
            from: Option<String>,
            year: Option<String>,
        }
        let (from, year) = if is_form(&headers) {
            let f: Form = body_of(&headers, &body)?;
            let year = match f.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
                None => None,
                Some(y) => Some(y.parse::<i32>().map_err(|_| {
                    AppError::invalid("year", "invalid_year", "年度须为四位数字", "The year is four digits")
                })?),
            };
            (f.from.unwrap_or_default(), year)
        } else {
            let r: DraftCreateRequest = json_body(&body)?;
            (r.from, r.year)
        };
        let id = drafts::create(&state, &actor, &from, year, &ip).await?;
        Ok::<_, AppError>(id)
    }
    .await;
    created(&headers, result)
}

/// A refusal for the page it returns to, in both languages (the page shows the reader's).
fn refusal(e: &AppError) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "error={}&error_en={}",
        encode(&e.message(app::i18n::Lang::Zh)),
        encode(&e.message(app::i18n::Lang::En))
    )
}

fn created(headers: &HeaderMap, result: Result<i64, AppError>) -> Response {
    match (result, wants_html(headers)) {
        (Ok(id), true) => Redirect::to(&format!("/policies/drafts/{id}")).into_response(),
        (Ok(id), false) => (StatusCode::CREATED, Json(DraftCreated { id })).into_response(),
        (Err(e), true) if e.status() == 401 => Redirect::to("/login/staff").into_response(),
        (Err(e), true) => Redirect::to(&format!("/policies/drafts?{}", refusal(&e))).into_response(),
        (Err(e), false) => e.into_response(),
    }
}

pub(super) async fn post_import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (actor, name, bytes) =
            signed_upload(&state, &headers, request, drafts::MAX_PACK_BYTES, "pack.toml").await?;
        drafts::import(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    created(&headers, result)
}

pub(super) async fn get_draft(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<app::model::DraftDetail>, AppError> {
    let id = numeric_id(&id, "draft")?;
    Ok(Json(drafts::detail(&state, &actor, id).await?))
}

pub(super) async fn put_draft(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::DraftDetail>, AppError> {
    let id = numeric_id(&id, "draft")?;
    drafts::check_access(&state, &actor, id).await?;
    let req: DraftUpdateRequest = json_body(&body)?;
    drafts::replace(&state, &actor, id, req.pack, req.reason.as_deref(), &ip).await?;
    Ok(Json(drafts::detail(&state, &actor, id).await?))
}

/// Runs an action for a signed-in actor on draft `id`, answering as [`answer`] does.
async fn act<F, Fut>(state: &AppState, headers: &HeaderMap, id: &str, done: &str, run: F) -> Response
where
    F: FnOnce(app::services::access::Actor, i64) -> Fut,
    Fut: std::future::Future<Output = Result<app::services::access::Actor, AppError>>,
{
    let id = match numeric_id(id, "draft") {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = match actor(state, headers).await {
        Ok(a) => run(a, id).await,
        Err(e) => Err(e),
    };
    answer(state, headers, id, done, result).await
}

pub(super) async fn post_form(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let (state, headers, ip) = (&state, &headers, ip.as_str());
    act(state, headers, &id, "saved", |actor, id| async move {
        drafts::check_access(state, &actor, id).await?;
        if !is_form(headers) {
            return Err(AppError::invalid(
                "body",
                "form_expected",
                "请以表单（application/x-www-form-urlencoded）提交",
                "Send the form as application/x-www-form-urlencoded",
            ));
        }
        drafts::save_form(state, &actor, id, &form, ip).await?;
        Ok(actor)
    })
    .await
}

pub(super) async fn post_validate(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<domain::policy::Problem>>, AppError> {
    let id = numeric_id(&id, "draft")?;
    Ok(Json(drafts::validate(&state, &actor, id).await?))
}

pub(super) async fn post_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (state, headers, ip) = (&state, &headers, ip.as_str());
    act(state, headers, &id, "submitted", |actor, id| async move {
        drafts::submit(state, &actor, id, ip).await?;
        Ok(actor)
    })
    .await
}

pub(super) async fn post_approve(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (state, headers, ip) = (&state, &headers, ip.as_str());
    act(state, headers, &id, "approved", |actor, id| async move {
        drafts::review(state, &actor, id, true, None, ip).await?;
        Ok(actor)
    })
    .await
}

pub(super) async fn post_return(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (state, headers, ip, body) = (&state, &headers, ip.as_str(), &body[..]);
    act(state, headers, &id, "returned", |actor, id| async move {
        drafts::check_access(state, &actor, id).await?;
        let req: ReviewRequest = body_of(headers, body)?;
        drafts::review(state, &actor, id, false, req.note.as_deref(), ip).await?;
        Ok(actor)
    })
    .await
}

pub(super) async fn post_publish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (state, headers, ip, body) = (&state, &headers, ip.as_str(), &body[..]);
    act(state, headers, &id, "published", |actor, id| async move {
        drafts::check_access(state, &actor, id).await?;
        let req: PublishRequest = body_of(headers, body)?;
        drafts::publish(state, &actor, id, req.offered_from, ip).await?;
        Ok(actor)
    })
    .await
}
