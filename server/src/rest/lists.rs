//! Departments' dynamic adjustment lists (动态调整名单): upload, review, apply, errors.

use app::error::AppError;
use app::services::AppState;

use app::services::lists;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route(
            "/adjustment-lists",
            axum::routing::post(post_adjustment_list).layer(axum::extract::DefaultBodyLimit::max(
                lists::MAX_LIST_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/adjustment-lists/{id}", get(get_adjustment_list))
        .route("/adjustment-lists/{id}/apply", axum::routing::post(post_apply_list))
        .route("/adjustment-lists/{id}/errors.xlsx", get(get_list_errors))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/api/v1/adjustment-lists",
        summary: "Dry run of a department's dynamic adjustment list (Lishi form 3; CSV or XLSX, Chinese or English headers): multipart field `file`, or raw bytes with ?file_name=. Nothing is applied",
        request: Some("File"),
        responses: &[
            (200, "every row's verdict (first problems listed)", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (422, "wrong file type, missing columns, too large; error.field is file", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/adjustment-lists/{id}",
        summary: "A list's report (a fresh dry run until applied, then the applied report)",
        request: None,
        responses: &[
            (200, "the report", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list (or not the viewer's upload)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustment-lists/{id}/apply",
        summary: "Apply the valid rows in one transaction; invalid, duplicate and conflicting rows go to the review queue",
        request: None,
        responses: &[
            (200, "the applied report", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list", "ErrorBody"),
            (409, "already applied", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/adjustment-lists/{id}/errors.xlsx",
        summary: "Every problem row as an XLSX workbook (Chinese headers)",
        request: None,
        responses: &[
            (200, "the workbook", "Object"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list", "ErrorBody"),
        ],
    },
];

/// The dry run of a department's list (CSV or XLSX). The page's form is answered with a
/// redirect to the report page.
pub(super) async fn post_adjustment_list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (actor, name, bytes) = signed_upload(&state, &headers, request, lists::MAX_LIST_BYTES, "list.csv").await?;
        lists::preview(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    match (result, wants_html(&headers)) {
        (Ok(r), false) => Json(r).into_response(),
        (Err(e), false) => e.into_response(),
        (Ok(r), true) => Redirect::to(&format!("/lists/{}", r.import_id)).into_response(),
        (Err(e), true) => Redirect::to(&format!("/lists?error={}", e.code())).into_response(),
    }
}

pub(super) async fn get_adjustment_list(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<app::model::ImportReport>, AppError> {
    Ok(Json(lists::show(&state, &actor, numeric_id(&id, "import")?).await?))
}

pub(super) async fn post_apply_list(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<app::model::ImportReport>, AppError> {
    Ok(Json(
        lists::apply(&state, &actor, numeric_id(&id, "import")?, &ip).await?,
    ))
}

pub(super) async fn get_list_errors(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (name, bytes) = lists::error_report(&state, &actor, numeric_id(&id, "import")?).await?;
    Ok(xlsx_response(&name, bytes))
}
