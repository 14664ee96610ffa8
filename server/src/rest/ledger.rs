//! The unenrolled ledger (未参保台账), visits, and the roster import.

use app::error::AppError;
use app::services::AppState;

use app::services::ledger::{self, roster};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/ledger", get(get_ledger))
        .route("/ledger/changes", get(get_ledger_changes))
        .route("/ledger/{person}/visits", axum::routing::post(post_visit))
        .route(
            "/roster/import",
            axum::routing::post(post_roster_import).layer(axum::extract::DefaultBodyLimit::max(
                roster::MAX_ROSTER_FILE_BYTES + UPLOAD_SLACK,
            )),
        )
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/ledger",
        summary: "The unenrolled ledger (未参保台账) for an area and year (query: area, year, reason), sorted by what to do next",
        request: None,
        responses: &[
            (200, "people known in the area without a paid enrolment", "LedgerList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a cadre, township, bureau officer or admin, or area out of scope", "ErrorBody"),
            (422, "an invalid filter", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/ledger/changes",
        summary: "A month's comparison (query: month=2022-10, area, year): newly enrolled, newly unenrolled, reasons changed",
        request: None,
        responses: &[
            (200, "the counts", "LedgerChanges"),
            (401, "not signed in", "ErrorBody"),
            (403, "not allowed or out of scope", "ErrorBody"),
            (422, "an invalid month", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/roster/import",
        summary: "Import the roster of who should enrol (应参保人员) from XLSX or CSV (columns: 村社区 or 区划代码, 姓名, 身份证号码; optional 乡镇街道, 联系电话, 户籍): new people are registered in their village; every row checked, all or nothing",
        request: Some("File"),
        responses: &[
            (200, "how many were registered and how many were known", "RosterImport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a township or bureau officer, or a row's area is out of scope", "ErrorBody"),
            (422, "problems, per row and column (nothing written), or an unreadable file", "RosterImport|ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/ledger/{person}/visits",
        summary: "Record a follow-up visit and the reason it established",
        request: Some("VisitRequest"),
        responses: &[
            (201, "the person's ledger entry", "LedgerEntry"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not allowed or out of scope", "ErrorBody"),
            (404, "no such person, or enrolled", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
];

pub(super) async fn get_ledger(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::LedgerEntry>>, AppError> {
    let q: ledger::LedgerQuery = query_params(raw.as_deref())?;
    Ok(Json(ledger::ledger(&state, &actor, &q).await?))
}

#[derive(Debug, Deserialize)]
pub(super) struct ChangesQuery {
    month: Option<String>,
    area: Option<String>,
    year: Option<i32>,
}

pub(super) async fn get_ledger_changes(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<app::model::LedgerChanges>, AppError> {
    let q: ChangesQuery = query_params(raw.as_deref())?;
    let month = q
        .month
        .unwrap_or_else(|| state.clock.today().format("%Y-%m").to_string());
    Ok(Json(
        ledger::changes(&state, &actor, &month, q.area.as_deref(), q.year).await?,
    ))
}

pub(super) async fn post_visit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(person): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<app::model::LedgerEntry>), AppError> {
    let person = numeric_id(&person, "person")?;
    let req: ledger::VisitRequest = json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(ledger::record_visit(&state, &actor, person, &req, &ip).await?),
    ))
}

pub(super) async fn post_roster_import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (actor, name, bytes) =
            signed_upload(&state, &headers, request, roster::MAX_ROSTER_FILE_BYTES, "roster.csv").await?;
        roster::import(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    let problem = |r: &roster::RosterImport| r.problems.first().cloned();
    import_answer(&headers, "/ledger", result, problem, |r| {
        format!("imported={}&known={}", r.added, r.known)
    })
}
