//! Cash collected by a cadre, receipts, and the day's cash summary.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::{ReceiptView, Role};
use crate::secrets::random_token;
use crate::services::access::Actor;
use crate::services::audit::store as audit;
use crate::services::auth::store as accounts;
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::enrolment::{self};
use crate::services::AppState;

/// A cadre records cash for a household's unpaid enrolments; the amount must equal what is due.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn collect_cash(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
    amount_input: &str,
    client_ip: &str,
) -> Result<ReceiptView, AppError> {
    if actor.role == Role::Resident {
        return Err(AppError::forbidden(
            "staff_only",
            "只有协办员等工作人员可以登记现金收款",
            "Only staff record cash",
        ));
    }
    let h = enrolment::household_for(state, actor, household_id).await?;
    let amount: Money = amount_input.trim().parse().map_err(|e: domain::MoneyError| {
        AppError::invalid("amount", e.code(), format!("收款金额：{e}"), e.message_en())
    })?;
    let rows: Vec<EnrolmentRow> = store::enrolments_of_household(&state.db, h.id)
        .await?
        .into_iter()
        .filter(|e| e.status == "unpaid")
        .collect();
    let due: i64 = rows.iter().map(|r| r.due_fen).sum();
    if rows.is_empty() {
        return Err(AppError::Conflict(UserMessage::new(
            "nothing_to_pay",
            Some("amount"),
            "本户没有待缴费的参保登记",
            "Nothing is waiting for payment",
        )));
    }
    if amount.to_fen() != due {
        return Err(AppError::invalid(
            "amount",
            "amount_not_due",
            format!("收款金额应等于应缴金额{}元", Money::from_fen(due)),
            format!("The amount must equal the amount due, {} yuan", Money::from_fen(due)),
        ));
    }
    let txn = format!("CASH{}", random_token(8).to_uppercase());
    let detail = format!("household {} amount {}", h.id, Money::from_fen(due));
    let payment = NewPayment {
        transaction_id: &txn,
        channel: "cadre_cash",
        order_id: None,
        amount_fen: due,
        // On the business clock: the receipt and the day's cash carry the app's date.
        paid_at: state.clock.business_now(),
        collector: Some(actor.account.id),
        callback: None,
        closes_order: None,
        // In the household's area, with the payment (its subject: the receipt number).
        audit: Some(audit::AuditEntry {
            actor_account_id: Some(actor.account.id),
            action: "cash_collected",
            subject: None,
            detail: Some(&detail),
            client_ip: Some(client_ip),
            area_code: Some(&h.area_code),
        }),
    };
    let (receipt_no, _) = record_payment(state, &payment, &rows).await?;
    receipt(state, actor, &receipt_no).await
}

/// A receipt, if the actor may see the households it paid for.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn receipt(state: &AppState, actor: &Actor, receipt_no: &str) -> Result<ReceiptView, AppError> {
    let not_found = || AppError::not_found("receipt_not_found", "未找到该收据", "No such receipt");
    let p = store::payment_by_receipt(&state.db, receipt_no)
        .await?
        .ok_or_else(not_found)?;
    let rows = store::enrolments_of_payment(&state.db, p.id).await?;
    // The households the receipt concerns: its lines', or (a receipt with no lines, which a
    // late callback leaves) its order's. None at all: nobody's to read.
    let mut households: Vec<i64> = rows.iter().filter_map(|r| r.household_id).collect();
    if rows.iter().any(|r| r.household_id.is_none()) {
        return Err(not_found());
    }
    if households.is_empty() {
        if let Some(order_id) = p.order_id {
            households.extend(store::order(&state.db, order_id).await?.and_then(|o| o.household_id));
        }
    }
    if households.is_empty() {
        return Err(not_found());
    }
    for hh in households {
        enrolment::household_for(state, actor, hh)
            .await
            .map_err(|_| not_found())?;
    }
    receipt_view(state, p, &rows).await
}

pub(super) async fn receipt_view(
    state: &AppState,
    p: store::PaymentRow,
    rows: &[EnrolmentRow],
) -> Result<ReceiptView, AppError> {
    let mut lines = Vec::with_capacity(rows.len());
    for r in rows {
        lines.push(line_for(state, r).await?);
    }
    let collected_by = match p.collected_by_account_id {
        Some(id) => accounts::by_id(&state.db, id).await?.map(|a| a.display_name),
        None => None,
    };
    Ok(ReceiptView {
        receipt_no: p.receipt_no,
        transaction_id: p.transaction_id,
        channel: p.channel,
        amount: Money::from_fen(p.amount_fen),
        paid_at: p.paid_at,
        collected_by,
        lines,
    })
}

/// A cadre's cash for one day, for handing over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSummary {
    pub date: NaiveDate,
    pub people: usize,
    pub total: Money,
    pub receipts: Vec<ReceiptView>,
}

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn cash_summary(state: &AppState, actor: &Actor, date: NaiveDate) -> Result<CashSummary, AppError> {
    if !actor.enrols_for_others() {
        return Err(AppError::forbidden(
            "cash_staff_only",
            "只有代办人员可以查看现金收款",
            "Only staff who collect cash see cash summaries",
        ));
    }
    let from = shanghai_midnight(date);
    let to = from + Duration::days(1);
    let mut receipts = Vec::new();
    for p in store::cash_collected(&state.db, actor.account.id, from, to).await? {
        let rows = store::enrolments_of_payment(&state.db, p.id).await?;
        receipts.push(receipt_view(state, p, &rows).await?);
    }
    Ok(CashSummary {
        date,
        people: receipts.iter().map(|r| r.lines.len()).sum(),
        total: receipts.iter().map(|r| r.amount).sum(),
        receipts,
    })
}

pub(super) fn shanghai_midnight(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    domain::dates::SHANGHAI
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&local), |d| d.with_timezone(&Utc))
}

// ---------------------------------------------------------------------------------------
// Tax-bureau reconciliation file
