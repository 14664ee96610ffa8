//! REST `/api/v1`: the door other systems use. Thin: parse, call a service, map. One file
//! per feature holds its routes, its handlers and its OpenAPI entries side by side; this
//! file merges them and holds what they share (the signed-in actor, body and query parsing).

pub mod certification;
pub mod enrolment;
pub mod ledger;
pub mod lists;
pub mod payments;
pub mod policies;
pub mod reference;
pub mod reports;
pub mod sessions;

use app::error::{AppError, UserMessage};
use app::services::AppState;
use std::net::SocketAddr;

use app::services::access::Actor;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, Router};

use crate::api_doc::Endpoint;
use crate::ServerState;

/// Every feature's routes, merged in one place.
pub fn routes() -> Router<ServerState> {
    Router::new()
        .merge(reference::routes())
        .merge(policies::routes())
        .merge(sessions::routes())
        .merge(enrolment::routes())
        .merge(payments::routes())
        .merge(certification::routes())
        .merge(lists::routes())
        .merge(ledger::routes())
        .merge(reports::routes())
}

/// Unknown paths under `/api/v1`: 404 in the error shape.
pub async fn unknown_endpoint() -> AppError {
    AppError::not_found("endpoint_not_found", "接口不存在", "No such API endpoint")
}

/// Every feature's OpenAPI entries, in the document's order.
pub fn endpoints() -> impl Iterator<Item = &'static Endpoint> {
    [
        reference::ENDPOINTS,
        policies::ENDPOINTS,
        sessions::ENDPOINTS,
        enrolment::ENDPOINTS,
        payments::ENDPOINTS,
        certification::ENDPOINTS,
        lists::ENDPOINTS,
        ledger::ENDPOINTS,
        reports::ENDPOINTS,
    ]
    .into_iter()
    .flatten()
}

/// The signed-in actor, taken before the handler runs: 401 without a valid session.
pub struct Authed(pub Actor);

impl axum::extract::FromRequestParts<ServerState> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &ServerState) -> Result<Self, AppError> {
        let state = <AppState as axum::extract::FromRef<ServerState>>::from_ref(state);
        actor(&state, &parts.headers).await.map(Authed)
    }
}

/// Parses a JSON body: malformed JSON is 400, the wrong shape 422 naming the field.
pub(super) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
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
pub(super) fn numeric_id(s: &str, what: &str) -> Result<i64, AppError> {
    s.parse().map_err(|_| {
        AppError::not_found(
            &format!("{what}_not_found"),
            format!("未找到编号为“{s}”的记录"),
            format!("No {what} {s:?}"),
        )
    })
}

/// Parses a query string: a value of the wrong type is 422 naming the parameter.
pub(super) fn query_params<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, AppError> {
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

pub(super) fn form_urlencoded_parse(raw: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(raw.as_bytes())
}

/// Room for multipart framing around the largest document.
pub(super) const UPLOAD_SLACK: usize = 64 * 1024;

/// A signed-in actor's upload: who sent it, the file's name and its bytes. The sign-in is
/// checked here, in the handler's body, rather than by the `Authed` extractor, so that a
/// plain HTML form's refusal can still be answered with its redirect.
pub(super) async fn signed_upload(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
    max_bytes: usize,
    default_name: &str,
) -> Result<(Actor, String, axum::body::Bytes), AppError> {
    let actor = actor(state, headers).await?;
    let (name, bytes) = upload_body(headers, request, max_bytes, default_name).await?;
    Ok((actor, name, bytes))
}

/// The file of an upload: a multipart `file` field, or the raw body with `?file_name=`.
/// A file over `max_bytes` is refused, saying that limit, before more of it is read (the
/// route's body limit leaves room for the multipart framing around it).
pub(super) async fn upload_body(
    headers: &HeaderMap,
    request: axum::extract::Request,
    max_bytes: usize,
    default_name: &str,
) -> Result<(String, axum::body::Bytes), AppError> {
    use axum::extract::FromRequest;
    let too_large = || app::services::sheets::too_large(max_bytes);
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
                if bytes.len() > max_bytes {
                    return Err(too_large());
                }
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
        let bytes = axum::body::to_bytes(request.into_body(), max_bytes)
            .await
            .map_err(|_| too_large())?;
        Ok((q.file_name.unwrap_or_else(|| default_name.into()), bytes))
    }
}

pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// A workbook download: the file name survives non-ASCII, and nothing is cached.
pub(super) fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
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

/// An import's answer: JSON for programs (422 with the problems, nothing written), and for
/// the page's plain upload form a redirect back to the page with the count or the first
/// problem, so it works without JavaScript.
pub(super) fn import_answer<T: serde::Serialize>(
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

/// serde reports a missing field at the parent's path; name the field itself.
pub(super) fn missing_field(e: &serde_json::Error) -> Option<String> {
    let msg = e.to_string();
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

/// `?file_name=` on an upload sent as raw bytes.
#[derive(Debug, serde::Deserialize)]
pub struct DocumentQuery {
    pub file_name: Option<String>,
}
