//! Reports (统计报表) and targets (任务数).

use app::error::AppError;
use app::services::AppState;

use app::services::{reports, targets};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/reports/{kind}", get(get_report))
        .route("/targets", get(list_targets))
        .route(
            "/targets/import",
            axum::routing::post(post_targets_import).layer(axum::extract::DefaultBodyLimit::max(
                targets::MAX_TARGET_FILE_BYTES + UPLOAD_SLACK,
            )),
        )
        .route("/targets/{area}/{year}", axum::routing::put(put_target))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/reports/{kind}",
        summary: "A report for an area and as-of day (kind: weekly, dashboard, fund-request, statistics, ranking, incentive; query: area, as_of, year, format=json|xlsx|svg, chart=coverage|trend for the dashboard's SVG, lang=zh|en)",
        request: None,
        responses: &[
            (200, "the report (JSON), its XLSX laid out like the official form, or the dashboard's SVG chart", "Report"),
            (401, "not signed in", "ErrorBody"),
            (403, "a resident, or the area is out of scope", "ErrorBody"),
            (404, "no such report kind or area", "ErrorBody"),
            (422, "an as-of day in the future or before the collection period, or another invalid parameter; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/targets",
        summary: "Targets (任务数) in the viewer's scope (query: area), each with its source",
        request: None,
        responses: &[
            (200, "the targets", "TargetList"),
            (401, "not signed in", "ErrorBody"),
            (403, "a resident, or the area is out of scope", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "put",
        path: "/api/v1/targets/{area}/{year}",
        summary: "Set an area's target for a year by hand (bureau officers; the seed never overwrites it)",
        request: Some("TargetRequest"),
        responses: &[
            (200, "the target", "TargetView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer, or the area is out of scope", "ErrorBody"),
            (404, "no such area", "ErrorBody"),
            (422, "an invalid year or count; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/targets/import",
        summary: "Import targets from XLSX or CSV (columns: area code or area name, year, count; multipart field file or the raw body): every row checked, all or nothing",
        request: Some("File"),
        responses: &[
            (200, "how many were set", "TargetImport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer, or a row's area is out of scope", "ErrorBody"),
            (422, "problems, per row and column (nothing set), or an unreadable file", "TargetImport|ErrorBody"),
        ],
    },
];

#[derive(Debug, Deserialize)]
pub(super) struct ReportParams {
    area: Option<String>,
    as_of: Option<String>,
    year: Option<i32>,
    format: Option<String>,
    chart: Option<String>,
    lang: Option<String>,
}

/// A report as JSON, as the official form's XLSX (`format=xlsx`), or one of the
/// dashboard's charts as SVG (`format=svg&chart=coverage|trend`).
pub(super) async fn get_report(
    State(state): State<AppState>,
    Authed(actor): Authed,
    _headers: HeaderMap,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
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
        ("xlsx", _) => match report.xlsx()? {
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
pub(super) struct AreaParam {
    area: Option<String>,
}

pub(super) async fn list_targets(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<app::model::TargetView>>, AppError> {
    let q: AreaParam = query_params(raw.as_deref())?;
    Ok(Json(targets::list(&state, &actor, q.area.as_deref()).await?))
}

pub(super) async fn put_target(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path((area, year)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::TargetView>, AppError> {
    let year = targets::parse_year(&year)?;
    let req: targets::TargetRequest = json_body(&body)?;
    Ok(Json(targets::set(&state, &actor, &area, year, req.count, &ip).await?))
}

/// Targets from a file; the page's plain form is answered with a redirect back.
pub(super) async fn post_targets_import(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let result = async {
        let (actor, name, bytes) =
            signed_upload(&state, &headers, request, targets::MAX_TARGET_FILE_BYTES, "targets.csv").await?;
        targets::import(&state, &actor, &name, &bytes, &ip).await
    }
    .await;
    let problem = |r: &targets::TargetImport| r.problems.first().cloned();
    import_answer(&headers, "/targets", result, problem, |r| {
        format!("imported={}", r.applied)
    })
}
