//! The provider's callback, the tax bureau's reconciliation file, and settling exceptions.

use app::error::{AppError, UserMessage};
use app::services::AppState;

use app::services::payments;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::*;
use crate::api_doc::Endpoint;
use crate::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/payments/callback", axum::routing::post(post_callback))
        .route("/payments/reconciliation", axum::routing::post(post_reconciliation))
        .route("/payment-exceptions", get(list_payment_exceptions))
        .route(
            "/payment-exceptions/{id}/settle",
            axum::routing::post(post_settle_payment_exception),
        )
        .route("/adjustments/{id}/settle", axum::routing::post(post_settle_adjustment))
}

/// This feature's entries in the OpenAPI document.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/api/v1/payments/callback",
        summary: "Payment provider callback, signed: X-Canbao-Timestamp (Unix seconds) and X-Canbao-Signature (hex HMAC-SHA256 of \"{timestamp}.{body}\"). Idempotent on transaction_id",
        request: Some("CallbackBody"),
        responses: &[
            (200, "applied, duplicate (nothing changed), cancelled, or exception (paid but not applicable to its order: kept in the payment exceptions queue, or applied to the household's unpaid enrolments when it is exactly what they owe)", "CallbackResult"),
            (400, "malformed body", "ErrorBody"),
            (401, "unsigned, badly signed or stale", "ErrorBody"),
            (404, "unknown order", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payments/reconciliation",
        summary: "Bureau officers: import the tax bureau's CSV (id_number,insurance_year,amount,paid_at,channel,transaction_id); one transaction, idempotent on transaction_id",
        request: Some("File"),
        responses: &[
            (200, "what was applied, duplicated and refused", "ReconciliationReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (422, "the file is not in the expected layout", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/payment-exceptions",
        summary: "Bureau officers: payments that could not be applied (支付异常) in their area (?status=open|all), and the refunds and top-ups from re-pricing still to settle",
        request: None,
        responses: &[
            (200, "the queue, newest first", "PaymentExceptionList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (422, "status is neither open nor all", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payment-exceptions/{id}/settle",
        summary: "Bureau officers settle a payment exception: outcome refunded (channel required) or applied (to the household's unpaid enrolments, when the amount is exactly what they owe). Audited",
        request: Some("SettleRequest"),
        responses: &[
            (200, "settled", "PaymentExceptionView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (404, "unknown, or outside the officer's area", "ErrorBody"),
            (409, "already settled, or not what the household owes", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustments/{id}/settle",
        summary: "Bureau officers record a refund paid back or a top-up collected (channel required, note optional). Audited; shown on the enrolment",
        request: Some("SettleRequest"),
        responses: &[
            (200, "settled", "AdjustmentView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (404, "unknown, or outside the officer's area", "ErrorBody"),
            (409, "already settled", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
];

/// The payment provider's signed callback. Unsigned or badly signed: 401 (logged).
pub(super) async fn post_callback(
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
pub(super) struct ReconciliationQuery {
    file_name: Option<String>,
}

/// Body: the CSV itself (`text/csv`, UTF-8).
pub(super) async fn post_reconciliation(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Json<payments::ReconciliationReport>, AppError> {
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
pub(super) struct ExceptionsQuery {
    /// `open` (the default) or `all`.
    status: Option<String>,
}

/// Bureau officers: the payment exceptions queue of their area and the refunds and top-ups
/// still to settle there.
pub(super) async fn list_payment_exceptions(
    State(state): State<AppState>,
    Authed(actor): Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<app::model::PaymentExceptionList>, AppError> {
    use app::services::payments::exceptions as px;
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

pub(super) async fn post_settle_payment_exception(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::PaymentExceptionView>, AppError> {
    let req: app::model::SettleRequest = json_body(&body)?;
    let id = numeric_id(&id, "payment_exception")?;
    Ok(Json(
        app::services::payments::exceptions::settle(&state, &actor, id, &req, &ip).await?,
    ))
}

pub(super) async fn post_settle_adjustment(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authed(actor): Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<app::model::AdjustmentView>, AppError> {
    let req: app::model::SettleRequest = json_body(&body)?;
    let id = numeric_id(&id, "adjustment")?;
    Ok(Json(
        app::services::payments::exceptions::settle_adjustment(&state, &actor, id, &req, &ip).await?,
    ))
}
