//! A provider's callback: verified, matched to its order, applied once or queued as an exception.

use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{AppError, UserMessage};
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store, OrderRow};
use crate::services::AppState;

/// The answer to a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallbackResult {
    /// `applied`, `duplicate` (already recorded: nothing changed), `cancelled`, or
    /// `exception` (paid, but not applicable: kept in the payment exceptions queue).
    pub result: String,
    pub order_no: String,
    pub receipt_no: Option<String>,
}

/// How much of an unverified callback's body is stored.
pub const REJECTED_BODY_KEPT: usize = 4096;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(super) fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Verifies and applies a provider callback. Rejections are logged and recorded; a verified
/// payment that cannot be applied becomes a payment exception (never a 409 forgotten).
#[tracing::instrument(skip_all)]
pub async fn handle_callback(
    state: &AppState,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    client_ip: &str,
) -> Result<CallbackResult, AppError> {
    let now = state.clock.now();
    let text = String::from_utf8_lossy(body);
    let parsed = match state.payments.verify(timestamp, signature, body, now) {
        Ok(b) => b,
        Err(r) => {
            tracing::warn!(
                reason = r.code(),
                client_ip,
                len = body.len(),
                "payment callback rejected"
            );
            // Counted and kept for inspection, but an unverified body is anyone's: only its
            // first few KB are stored.
            store::record_callback(&state.db, r.code(), None, clip(&text, REJECTED_BODY_KEPT), now).await?;
            let entry = audit::AuditEntry {
                actor_account_id: None,
                action: "payment_callback_rejected",
                subject: None,
                detail: Some(r.code()),
                client_ip: Some(client_ip),
                area_code: None,
            };
            audit::record(&state.db, &entry, now).await?;
            return Err(match r {
                Rejection::Malformed => AppError::BadRequest(UserMessage::new(
                    r.code(),
                    None,
                    "回调内容格式错误",
                    "The callback body is malformed",
                )),
                _ => AppError::unauthorized(
                    r.code(),
                    None,
                    "回调签名无效或已过期",
                    "Invalid or expired callback signature",
                ),
            });
        }
    };
    let found = match &state.batches.orders {
        Some(reader) => reader
            .submit(crate::services::enrolment::store::OrderLookup(parsed.order_no.clone()))
            .await
            .ok_or_else(|| AppError::internal("payment", "the order reader gave no answer"))??,
        None => store::order_with_enrolments(&state.db, &parsed.order_no).await?,
    };
    let (order, rows) =
        found.ok_or_else(|| AppError::not_found("order_not_found", "未找到该缴费订单", "No such payment order"))?;
    let outcome = match parsed.status {
        CallbackStatus::Cancelled => {
            cancel_order(state, &order).await?;
            CallbackResult {
                result: "cancelled".into(),
                order_no: order.order_no.clone(),
                receipt_no: None,
            }
        }
        CallbackStatus::Paid => {
            // Money the provider took stays visible until someone settles it: an amount
            // that is not the order's, or an order whose enrolments moved to a newer one.
            if parsed.amount.to_fen() != order.amount_fen {
                return super::exceptions::paid_but_inapplicable(
                    state,
                    &order,
                    &parsed,
                    "amount_mismatch",
                    &text,
                    client_ip,
                )
                .await;
            }
            if rows.is_empty() {
                return super::exceptions::paid_but_inapplicable(
                    state,
                    &order,
                    &parsed,
                    "order_superseded",
                    &text,
                    client_ip,
                )
                .await;
            }
            let payment = NewPayment {
                transaction_id: &parsed.transaction_id,
                channel: "sandbox_online",
                order_id: Some(order.id),
                amount_fen: order.amount_fen,
                paid_at: parsed.paid_at,
                collector: None,
                callback: Some((order.order_no.as_str(), text.as_ref())),
                closes_order: None,
                audit: None,
            };
            let (receipt, applied) = match record_payment(state, &payment, &rows).await {
                Ok(done) => done,
                // Cancelled, paid by another transaction, or its enrolments paid another way
                // (cash): the money is kept as an exception instead of a 409 nobody sees.
                Err(AppError::Conflict(m)) if m.code == "already_paid" => {
                    return super::exceptions::paid_but_inapplicable(
                        state,
                        &order,
                        &parsed,
                        "order_closed",
                        &text,
                        client_ip,
                    )
                    .await;
                }
                Err(e) => return Err(e),
            };
            CallbackResult {
                result: if applied { "applied" } else { "duplicate" }.into(),
                order_no: order.order_no.clone(),
                receipt_no: Some(receipt),
            }
        }
    };
    if outcome.result != "applied" {
        // An applied payment recorded its callback in its own transaction.
        store::record_callback(&state.db, &outcome.result, Some(&order.order_no), &text, now).await?;
    }
    Ok(outcome)
}

pub(super) async fn cancel_order(state: &AppState, order: &OrderRow) -> Result<(), AppError> {
    let now = state.clock.now();
    crate::services::payments::store::cancel_order(&state.db, order.id, now).await?;
    Ok(())
}
