//! The payment exceptions queue (支付异常, issue 22): money a provider verified as paid but
//! that could not be applied as sent — the amount differs from the order, the order was
//! cancelled or closed by another payment, or its enrolments moved to a newer order. It is
//! never answered 409 and forgotten: a late payment is applied to the household's unpaid
//! enrolments when it is exactly what they owe (so re-opening an order never makes the
//! resident pay twice), and otherwise kept here until a bureau officer in scope refunds it or
//! applies it. Refunds and top-ups that certification re-pricing creates are settled the
//! same way. Every step is audited in the household's area.

use domain::Money;

use super::{record_payment, CallbackBody, CallbackResult, NewPayment};
use crate::error::{AppError, UserMessage};
use crate::model::{AdjustmentView, PaymentExceptionView, Role, SettleRequest};
use crate::services::access::{mask_id, Actor};
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store, EnrolmentRow, OrderRow};
use crate::services::payments::store::{self as xstore, ExceptionRow, NewException, Settlement};
use crate::services::AppState;

/// Longest settlement channel and note kept (characters).
const CHANNEL_MAX: usize = 40;
const NOTE_MAX: usize = 200;

/// The channel of money that came through the online provider.
fn online_channel(state: &AppState) -> String {
    format!("{}_online", state.payments.name())
}

/// A verified paid callback whose money cannot be applied to its own order: applied to
/// the household's unpaid enrolments when it is exactly what they owe, else kept in the
/// queue. `reason`: `amount_mismatch`, `order_superseded` or `order_closed`.
pub(super) async fn paid_but_inapplicable(
    state: &AppState,
    order: &OrderRow,
    parsed: &CallbackBody,
    reason: &str,
    body: &str,
    client_ip: &str,
) -> Result<CallbackResult, AppError> {
    let db = &state.db;
    let now = state.clock.now();
    let answer = |result: &str, receipt_no: Option<String>| CallbackResult {
        result: result.into(),
        order_no: order.order_no.clone(),
        receipt_no,
    };
    // A re-sent callback: recorded before, as a payment or as an exception.
    if let Some(p) = store::payment_by_transaction(db, &parsed.transaction_id).await? {
        store::record_callback(db, "duplicate", Some(&order.order_no), body, now).await?;
        return Ok(answer("duplicate", Some(p.receipt_no)));
    }
    let household = match order.household_id {
        Some(id) => store::household(db, id).await?,
        None => None,
    };
    let area = household.as_ref().map(|h| h.area_code.clone());
    let fresh_exception = xstore::by_transaction(db, &parsed.transaction_id).await?.is_none();
    if reason != "amount_mismatch" && fresh_exception {
        if let Some(h) = &household {
            let detail = format!("{reason}: applied to the household's unpaid enrolments");
            let payment = NewPayment {
                transaction_id: &parsed.transaction_id,
                channel: &online_channel(state),
                order_id: None,
                amount_fen: parsed.amount.to_fen(),
                paid_at: parsed.paid_at,
                collector: None,
                callback: Some((order.order_no.as_str(), body)),
                // The order the money was sent for is what was paid.
                closes_order: Some(order.id),
                audit: Some(audit::AuditEntry {
                    actor_account_id: None,
                    action: "late_payment_applied",
                    subject: None,
                    detail: Some(&detail),
                    client_ip: Some(client_ip),
                    area_code: area.as_deref(),
                }),
            };
            if let Some(receipt) = apply_to_household(state, h.id, &payment).await? {
                return Ok(answer("applied", Some(receipt)));
            }
        }
    }
    let detail = format!("{reason}: {} yuan", parsed.amount);
    let entry = audit::AuditEntry {
        actor_account_id: None,
        action: "payment_exception",
        subject: Some(&order.order_no),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: area.as_deref(),
    };
    let new = xstore::insert(
        db,
        &NewException {
            transaction_id: &parsed.transaction_id,
            order_no: &order.order_no,
            household_id: order.household_id,
            area_code: area.as_deref(),
            amount_fen: parsed.amount.to_fen(),
            paid_at: parsed.paid_at,
            reason,
        },
        (body, &entry),
        now,
    )
    .await?;
    if new {
        tracing::warn!(order_no = %order.order_no, reason, "paid callback kept as a payment exception");
    }
    Ok(answer("exception", None))
}

/// Pays the household's unpaid enrolments with `payment` when its amount is exactly what
/// they owe. The receipt number, or None (nothing unpaid, a different amount, or paid by
/// someone else meanwhile): nothing written then.
async fn apply_to_household(
    state: &AppState,
    household_id: i64,
    payment: &NewPayment<'_>,
) -> Result<Option<String>, AppError> {
    let rows: Vec<EnrolmentRow> = store::enrolments_of_household(&state.db, household_id)
        .await?
        .into_iter()
        .filter(|e| e.status == "unpaid")
        .collect();
    let due: i64 = rows.iter().map(|r| r.due_fen).sum();
    if rows.is_empty() || due != payment.amount_fen {
        return Ok(None);
    }
    match record_payment(state, payment, &rows).await {
        Ok((receipt, _)) => Ok(Some(receipt)),
        Err(AppError::Conflict(m)) if m.code == "already_paid" => Ok(None),
        Err(e) => Err(e),
    }
}

fn not_found() -> AppError {
    AppError::not_found(
        "payment_exception_not_found",
        "未找到该支付异常记录",
        "No such payment exception",
    )
}

/// Bureau officers and administrators settle money; everyone else is refused.
fn settles_money(actor: &Actor) -> Result<&str, AppError> {
    if !matches!(actor.role, Role::BureauOfficer | Role::Admin) {
        return Err(AppError::forbidden(
            "bureau_only",
            "只有医保经办机构工作人员可以处理支付异常和退补费",
            "Only bureau officers settle payment exceptions, refunds and top-ups",
        ));
    }
    actor.staff_scope()
}

fn in_scope(scope: &str, area: Option<&str>) -> bool {
    match area {
        Some(a) => a.starts_with(scope),
        // No household known: only the root sees it.
        None => scope.is_empty(),
    }
}

pub fn view(r: ExceptionRow) -> PaymentExceptionView {
    PaymentExceptionView {
        id: r.id,
        transaction_id: r.transaction_id,
        order_no: r.order_no,
        household_id: r.household_id,
        area_code: r.area_code,
        payer_name: r.payer_name,
        payer_id_masked: r.payer_id_number.as_deref().map(mask_id),
        amount: Money::from_fen(r.amount_fen),
        paid_at: r.paid_at,
        reason: r.reason,
        received_at: r.received_at,
        status: r.status,
        settled_at: r.settled_at,
        settled_by: r.settled_by,
        settlement_channel: r.settlement_channel,
        settlement_note: r.settlement_note,
        receipt_no: r.receipt_no,
    }
}

/// The queue for a bureau officer: the exceptions in their area, open ones only unless `all`.
#[tracing::instrument(skip(state, actor), fields(account = actor.account.id))]
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn list(state: &AppState, actor: &Actor, all: bool) -> Result<Vec<PaymentExceptionView>, AppError> {
    let scope = settles_money(actor)?;
    Ok(xstore::in_scope(&state.db, scope, all)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A household's own exceptions (for 我的参保; the caller has checked the household).
pub async fn of_household(state: &AppState, household_id: i64) -> Result<Vec<PaymentExceptionView>, AppError> {
    Ok(xstore::of_household(&state.db, household_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// Channel and note as typed: the channel is required, both bounded.
fn channel_and_note(req: &SettleRequest) -> Result<(String, Option<String>), AppError> {
    let channel = req.channel.as_deref().unwrap_or("").trim().to_owned();
    if channel.is_empty() {
        return Err(AppError::invalid(
            "channel",
            "channel_required",
            "请填写退款或收款渠道（如原路退回、银行转账、现金）",
            "Give the channel the money went through (original route, bank transfer, cash)",
        ));
    }
    if channel.chars().count() > CHANNEL_MAX {
        return Err(AppError::invalid(
            "channel",
            "channel_too_long",
            format!("渠道最多{CHANNEL_MAX}个字"),
            format!("The channel is at most {CHANNEL_MAX} characters"),
        ));
    }
    Ok((channel, note_of(req)?))
}

fn note_of(req: &SettleRequest) -> Result<Option<String>, AppError> {
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(AppError::invalid(
            "note",
            "note_too_long",
            format!("备注最多{NOTE_MAX}个字"),
            format!("The note is at most {NOTE_MAX} characters"),
        ));
    }
    Ok(note.map(str::to_owned))
}

fn settled_already() -> AppError {
    AppError::Conflict(UserMessage::new(
        "already_settled",
        None,
        "该笔款项已处理，未重复处理",
        "Already settled; nothing was done twice",
    ))
}

/// Settles an open exception: `refunded` (the money went back through `channel`) or
/// `applied` (it pays the household's unpaid enrolments, when it is exactly what they owe).
#[tracing::instrument(skip(state, actor, req), fields(account = actor.account.id))]
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn settle(
    state: &AppState,
    actor: &Actor,
    id: i64,
    req: &SettleRequest,
    client_ip: &str,
) -> Result<PaymentExceptionView, AppError> {
    let scope = settles_money(actor)?;
    let db = &state.db;
    let x = xstore::by_id(db, id)
        .await?
        .filter(|x| in_scope(scope, x.area_code.as_deref()))
        .ok_or_else(not_found)?;
    let outcome = req.outcome.as_deref().unwrap_or("").trim();
    if !matches!(outcome, "refunded" | "applied") {
        return Err(AppError::invalid(
            "outcome",
            "outcome_invalid",
            "请选择处理方式：已退款（refunded）或抵缴本户待缴费用（applied）",
            "Choose the outcome: refunded, or applied to the household's unpaid enrolments",
        ));
    }
    let (channel, note) = match outcome {
        // Applied money stays where the provider put it: its channel is the provider's.
        "applied" => (online_channel(state), note_of(req)?),
        _ => channel_and_note(req)?,
    };
    if x.status != "open" {
        return Err(settled_already());
    }
    let now = state.clock.now();
    let receipt = if outcome == "applied" {
        let Some(household) = x.household_id else {
            return Err(AppError::Conflict(UserMessage::new(
                "no_household",
                Some("outcome"),
                "该笔款项没有对应的家庭户，只能退款",
                "This payment belongs to no household; it can only be refunded",
            )));
        };
        let payment = NewPayment {
            transaction_id: &x.transaction_id,
            channel: &channel,
            order_id: None,
            amount_fen: x.amount_fen,
            paid_at: x.paid_at,
            collector: None,
            callback: None,
            closes_order: None,
            audit: None,
        };
        match apply_to_household(state, household, &payment).await? {
            // The payment is on record now; the exception's settlement follows below.
            Some(r) => Some(r),
            // Applied before (a retry after the status write failed): the same receipt.
            None => match store::payment_by_transaction(db, &x.transaction_id).await? {
                Some(p) => Some(p.receipt_no),
                None => {
                    return Err(AppError::Conflict(UserMessage::new(
                        "amount_not_due",
                        Some("outcome"),
                        format!(
                            "该笔款项{}元与本户待缴金额不一致（或本户没有待缴费用），请退款",
                            Money::from_fen(x.amount_fen)
                        ),
                        format!(
                            "This payment of {} yuan is not what the household owes (or it owes nothing); refund it",
                            Money::from_fen(x.amount_fen)
                        ),
                    )))
                }
            },
        }
    } else {
        None
    };
    let detail = format!(
        "{outcome} {} yuan via {channel}{}",
        Money::from_fen(x.amount_fen),
        receipt.as_deref().map(|r| format!(", receipt {r}")).unwrap_or_default()
    );
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "payment_exception_settled",
        subject: Some(&x.order_no),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(x.area_code.as_deref().unwrap_or("000000")),
    };
    let settled = xstore::settle(
        db,
        x.id,
        &Settlement {
            status: outcome,
            account_id: actor.account.id,
            at: now,
            channel: &channel,
            note: note.as_deref(),
            receipt_no: receipt.as_deref(),
        },
        &entry,
    )
    .await?;
    if !settled {
        return Err(settled_already());
    }
    xstore::by_id(db, x.id)
        .await?
        .map(view)
        .ok_or_else(|| AppError::internal("payment exception", "settled row vanished"))
}

/// Settles a pending refund or top-up that a certification's re-pricing created: the
/// refund paid back, or the top-up collected, through `channel`.
#[tracing::instrument(skip(state, actor, req), fields(account = actor.account.id))]
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn settle_adjustment(
    state: &AppState,
    actor: &Actor,
    id: i64,
    req: &SettleRequest,
    client_ip: &str,
) -> Result<AdjustmentView, AppError> {
    let scope = settles_money(actor)?;
    let db = &state.db;
    let a = xstore::adjustment(db, id)
        .await?
        .filter(|a| in_scope(scope, a.area_code.as_deref()))
        .ok_or_else(|| AppError::not_found("adjustment_not_found", "未找到该退补费记录", "No such refund or top-up"))?;
    let (channel, note) = channel_and_note(req)?;
    if a.status != "pending" {
        return Err(settled_already());
    }
    let now = state.clock.now();
    let s = Settlement {
        status: "settled",
        account_id: actor.account.id,
        at: now,
        channel: &channel,
        note: note.as_deref(),
        receipt_no: None,
    };
    let what = if a.kind == "refund" {
        "refunded"
    } else {
        "top-up collected"
    };
    let detail = format!("{what} {} yuan via {channel}", Money::from_fen(a.amount_fen));
    let subject = format!("enrolment {}", a.enrolment_id);
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "adjustment_settled",
        subject: Some(&subject),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(a.area_code.as_deref().unwrap_or("000000")),
    };
    if !xstore::settle_adjustment(db, a.id, &s, &entry).await? {
        return Err(settled_already());
    }
    crate::services::certification::store::adjustments_of_enrolment(db, a.enrolment_id)
        .await?
        .into_iter()
        .find(|r| r.id == a.id)
        .map(crate::services::enrolment::adjustment_view)
        .ok_or_else(|| AppError::internal("adjustment", "settled row vanished"))
}

/// Pending refunds and top-ups in the officer's area (the same page settles them).
pub async fn pending_adjustments(state: &AppState, actor: &Actor) -> Result<Vec<PendingAdjustment>, AppError> {
    let scope = settles_money(actor)?;
    let rows = xstore::pending_adjustments(&state.db, scope).await?;
    Ok(rows
        .into_iter()
        .map(|r| PendingAdjustment {
            id: r.id,
            kind: r.kind,
            amount: Money::from_fen(r.amount_fen),
            enrolment_id: r.enrolment_id,
            name: r.name,
            id_number_masked: mask_id(&r.id_number),
            created_at: r.created_at,
        })
        .collect())
}

pub use crate::model::PendingAdjustment;
