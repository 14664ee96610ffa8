//! The sandbox provider's own pay page (demo and tests).

use chrono::{DateTime, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::ReceiptLine;
use crate::secrets::random_token;
use crate::services::access::{mask_id, Actor};
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::enrolment::{self};
use crate::services::AppState;

/// What the sandbox payment page shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxOrder {
    pub order_no: String,
    pub amount: Money,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub payable: bool,
    pub lines: Vec<ReceiptLine>,
}

/// The order as its payment page shows it, to its household and to staff whose area covers
/// the household only: anyone else (another resident, staff out of scope) is told there is
/// no such order, exactly as for a number that does not exist.
pub async fn sandbox_order(state: &AppState, actor: &Actor, order_no: &str) -> Result<SandboxOrder, AppError> {
    let not_found = || AppError::not_found("order_not_found", "未找到该缴费订单", "No such payment order");
    store::expire_orders(&state.db, state.clock.now()).await?;
    let order = store::order_by_no(&state.db, order_no).await?.ok_or_else(not_found)?;
    let household = order.household_id.ok_or_else(not_found)?;
    enrolment::household_for(state, actor, household)
        .await
        .map_err(|_| not_found())?;
    let mut lines = Vec::new();
    for r in store::enrolments_of_order(&state.db, order.id).await? {
        lines.push(line_for(state, &r).await?);
    }
    Ok(SandboxOrder {
        payable: order.status == "pending",
        order_no: order.order_no,
        amount: Money::from_fen(order.amount_fen),
        status: order.status,
        expires_at: order.expires_at,
        lines,
    })
}

pub(super) async fn line_for(state: &AppState, r: &EnrolmentRow) -> Result<ReceiptLine, AppError> {
    let person = store::person(&state.db, r.person_id).await?;
    // The price as quoted at enrolment, with what in it the notice does not state.
    let quoted: Option<domain::policy::Quote> = serde_json::from_str(&r.quote_json).ok();
    let (assumptions, assumptions_en) = quoted.map(|q| (q.assumptions, q.assumptions_en)).unwrap_or_default();
    Ok(ReceiptLine {
        name: person.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        id_number_masked: person.map(|p| mask_id(&p.id_number)).unwrap_or_default(),
        insurance_year: r.insurance_year,
        amount: Money::from_fen(r.due_fen),
        assumptions,
        assumptions_en,
    })
}

/// The sandbox "app" pays or cancels: it signs a callback exactly as a provider would and
/// hands it to the same handler the public callback endpoint uses.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn sandbox_complete(
    state: &AppState,
    actor: &Actor,
    order_no: &str,
    pay: bool,
    client_ip: &str,
) -> Result<CallbackResult, AppError> {
    let order = sandbox_order(state, actor, order_no).await?;
    if !order.payable {
        return Err(AppError::Conflict(UserMessage::new(
            "order_not_payable",
            None,
            "该订单已支付、已取消或已过期",
            "This order is paid, cancelled or expired",
        )));
    }
    let now = state.clock.now();
    let body = CallbackBody {
        order_no: order.order_no,
        transaction_id: format!("SBX{}", random_token(8).to_uppercase()),
        status: if pay {
            CallbackStatus::Paid
        } else {
            CallbackStatus::Cancelled
        },
        amount: order.amount,
        // The provider's payment time on the business clock (the signature's timestamp below
        // stays real: the callback's freshness check uses it).
        paid_at: state.clock.business_now(),
    };
    let json = serde_json::to_vec(&body).map_err(|e| AppError::internal("sandbox", e))?;
    let ts = now.timestamp().to_string();
    let sig = state.sandbox_signer.sign(&ts, &json);
    handle_callback(state, Some(&ts), Some(&sig), &json, client_ip).await
}

// ---------------------------------------------------------------------------------------
// Cash collected by a cadre
