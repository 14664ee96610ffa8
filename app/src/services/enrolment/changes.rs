//! Changes after submission: another designated hospital, and a fresh payment order.

use chrono::Duration;

use crate::error::AppError;
use crate::model::{CoverageStatus, EnrolmentView, OrderView};
use crate::services::access::Actor;
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::AppState;

use super::*;

/// Changes an enrolment's designated hospitals during the year, as often as the pack allows
/// (`hospitals.changes_per_year`). The change is recorded with the previous choice and audited.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn change_hospitals(
    state: &AppState,
    actor: &Actor,
    enrolment_id: i64,
    chosen: &[String],
    client_ip: &str,
) -> Result<EnrolmentView, AppError> {
    let before = get(state, actor, enrolment_id).await?;
    let policies = state.policies.current();
    let pack = policies
        .get(&before.policy)
        .ok_or_else(|| AppError::internal("change hospitals", "enrolment's pack is gone"))?;
    if before.status == CoverageStatus::Ended {
        return Err(conflict(
            Some("hospitals"),
            "enrolment_ended",
            "该参保记录已终止，不能再更换定点医疗机构",
            "This enrolment has ended; its hospital can no longer be changed",
        ));
    }
    let allowed: Vec<String> = state
        .reference
        .hospitals_under(&state.db, &pack.area_codes)
        .await?
        .into_iter()
        .map(|h| h.code)
        .collect();
    let mut codes = check_hospitals(pack, &allowed, chosen, "hospitals")?;
    codes.sort();
    let mut previous: Vec<String> = before.hospitals.iter().map(|h| h.code.clone()).collect();
    previous.sort();
    if codes == previous {
        return Err(field_err(
            "hospitals",
            "hospital_unchanged",
            "所选定点医疗机构与现在的相同",
            "That is already the chosen hospital",
        ));
    }
    let limit = i64::from(pack.hospital_changes_per_year());
    let limit_reached = || {
        field_err(
            "hospitals",
            "hospital_change_limit",
            format!("本年度更换定点医疗机构的次数已用完（每年可更换{limit}次）"),
            format!("This year's hospital changes are used up ({limit} a year)"),
        )
    };
    let (new_codes, old_codes) = (codes.join(","), previous.join(","));
    let now = state.clock.now();
    let actor_id = actor.account.id;
    // Audited under the household's area, so the bureau officers over it see the change.
    let household = household_for(state, actor, before.household_id.unwrap_or_default()).await?;
    let subject = format!("enrolment {enrolment_id} {}", before.id_number_masked);
    let detail = format!("{old_codes} -> {new_codes}");
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor_id),
        action: "hospital_changed",
        subject: Some(&subject),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(&household.area_code),
    };
    let change = store::HospitalChange {
        enrolment_id,
        codes: &codes,
        new_codes: &new_codes,
        old_codes: &old_codes,
        limit,
        actor_id,
        now,
    };
    if !store::change_hospitals(&state.db, &change, &entry).await? {
        return Err(limit_reached());
    }
    get(state, actor, enrolment_id).await
}

/// Opens a new payment order for a household's unpaid enrolments (after the previous
/// order expired or was cancelled). Returns the pending order if one is still open.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn open_order(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
    client_ip: &str,
) -> Result<OrderView, AppError> {
    let h = household_for(state, actor, household_id).await?;
    let db = &state.db;
    let now = state.clock.now();
    store::expire_orders(db, now).await?;
    let unpaid: Vec<EnrolmentRow> = store::enrolments_of_household(db, h.id)
        .await?
        .into_iter()
        .filter(|e| e.status == "unpaid")
        .collect();
    if unpaid.is_empty() {
        return Err(conflict(
            None,
            "nothing_to_pay",
            "本户没有待缴费的参保登记",
            "Nothing is waiting for payment",
        ));
    }
    for e in &unpaid {
        if let Some(o) = e.order_id {
            if let Some(o) = store::order(db, o).await?.filter(|o| o.status == "pending") {
                return Ok(order_view(o));
            }
        }
    }
    let total: i64 = unpaid.iter().map(|e| e.due_fen).sum();
    if total <= 0 {
        // Nothing to collect (an order must be for a positive amount); found by the API fuzzer
        // as a 500 from the CHECK constraint.
        return Err(conflict(
            None,
            "nothing_to_pay",
            "本户没有需要缴费的金额",
            "Nothing is owed",
        ));
    }
    let order = NewOrder {
        order_no: order_number(now),
        owed: total,
        expires: now + Duration::minutes(state.settings.order_minutes),
    };
    // In the household's area, committed with the order it records.
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "payment_order_opened",
        subject: Some(&order.order_no),
        detail: None,
        client_ip: Some(client_ip),
        area_code: Some(&h.area_code),
    };
    let ids: Vec<i64> = unpaid.iter().map(|e| e.id).collect();
    let id = insert_order(state, h.id, actor.account.id, &order, &ids, &entry, now).await?;
    store::order(db, id)
        .await?
        .map(order_view)
        .ok_or_else(|| AppError::internal("order", "order vanished"))
}
