//! Households' enrolments: submit, read, change hospitals, open a payment order, cash, receipts.

use app::error::AppError;
use app::services::AppState;

use app::model::{EnrolmentView, OrderView, ReceiptView, SubmissionView};
use app::services::enrolment::{self, EnrolRequest};
use app::services::payments;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
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
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/api/v1/enrollments",
        summary: "Enrol a household's members for the open insurance year (Authorization: Bearer; optional Idempotency-Key header)",
        request: Some("EnrolRequest"),
        responses: &[
            (201, "enrolments created (with a payment order when something is owed)", "SubmissionView"),
            (200, "every member was already enrolled: the existing enrolments", "SubmissionView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (409, "Idempotency-Key reused with another body, or a member in another household", "ErrorBody"),
            (422, "an invalid value; error.field names it (members[i].id_number …)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/enrollments/{id}",
        summary: "One enrolment: status, amounts, benefit dates, explanation, hospitals",
        request: None,
        responses: &[
            (200, "the enrolment", "EnrolmentView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (404, "unknown, or not the caller's household", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "put",
        path: "/api/v1/enrollments/{id}/hospitals",
        summary: "Change the designated hospitals later in the year (as often as the pack's hospitals.changes_per_year allows; recorded and audited)",
        request: Some("HospitalChangeRequest"),
        responses: &[
            (200, "the enrolment with its new hospitals", "EnrolmentView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (404, "unknown, or not the caller's household", "ErrorBody"),
            (409, "the enrolment has ended", "ErrorBody"),
            (422, "unknown hospital, too many, the same as now, or this year's changes used up (field hospitals)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/households/{id}/payment-order",
        summary: "Open (or return the open) payment order for a household's unpaid enrolments",
        request: None,
        responses: &[
            (200, "the order", "OrderView"),
            (401, "not signed in", "ErrorBody"),
            (404, "unknown household", "ErrorBody"),
            (409, "nothing to pay", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/households/{id}/cash",
        summary: "A cadre records cash collected for a household (amount must equal the amount due)",
        request: Some("CashRequest"),
        responses: &[
            (201, "the receipt", "ReceiptView"),
            (401, "not signed in", "ErrorBody"),
            (403, "not staff, or outside the caller's area", "ErrorBody"),
            (409, "nothing to pay", "ErrorBody"),
            (422, "the amount differs from the amount due", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/receipts/{receipt_no}",
        summary: "A payment receipt",
        request: None,
        responses: &[
            (200, "the receipt", "ReceiptView"),
            (401, "not signed in", "ErrorBody"),
            (404, "unknown, or not the caller's", "ErrorBody"),
        ],
    },
];

/// 201 when this request created an enrolment; 200 when every member was already enrolled.
/// The same `Idempotency-Key` with the same body answers the same; with another body, 409.
pub(super) async fn post_enrollments(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SubmissionView>), AppError> {
    let req: EnrolRequest = json_body(&body)?;
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or(""));
    let view = enrolment::submit(&state, &actor, &req, key, &ip).await?;
    let created = view.enrollments.iter().any(|e| !e.existing);
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(view)))
}

pub(super) async fn get_enrollment(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<EnrolmentView>, AppError> {
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
pub(super) async fn put_enrollment_hospitals(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<EnrolmentView>, AppError> {
    let id = numeric_id(&id, "enrolment")?;
    let req: HospitalChangeRequest = json_body(&body)?;
    Ok(Json(
        enrolment::change_hospitals(&state, &actor, id, &req.hospitals, &ip).await?,
    ))
}

pub(super) async fn post_payment_order(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, AppError> {
    Ok(Json(
        enrolment::open_order(&state, &actor, numeric_id(&id, "household")?, &ip).await?,
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CashRequest {
    /// The cash received, e.g. "70.00"; must equal the household's amount due.
    pub amount: String,
}

pub(super) async fn post_cash(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ReceiptView>), AppError> {
    let req: CashRequest = json_body(&body)?;
    let receipt = payments::collect_cash(&state, &actor, numeric_id(&id, "household")?, &req.amount, &ip).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

pub(super) async fn get_receipt(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(no): Path<String>,
) -> Result<Json<ReceiptView>, AppError> {
    Ok(Json(payments::receipt(&state, &actor, &no).await?))
}
