//! Changes after submission: another designated hospital, and a fresh payment order.

use chrono::Duration;

use crate::error::AppError;
use crate::model::{CoverageStatus, EnrolmentView, OrderView};
use crate::services::access::Actor;
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::AppState;
use crate::store::with_pool;

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
    let pack = state
        .policies
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
    with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        // Touch the enrolment first: on PostgreSQL this locks the row, so two changes at
        // once are counted one after the other (SQLite serialises writers anyway).
        sqlx::query("UPDATE enrolments SET id = id WHERE id = $1").bind(enrolment_id).execute(&mut *tx).await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM hospital_choices WHERE enrolment_id = $1 AND previous_codes IS NOT NULL")
            .bind(enrolment_id).fetch_one(&mut *tx).await?;
        if used >= limit {
            tx.rollback().await?;
            return Err(limit_reached());
        }
        sqlx::query("DELETE FROM enrolment_hospitals WHERE enrolment_id = $1")
            .bind(enrolment_id).execute(&mut *tx).await?;
        for h in &codes {
            sqlx::query("INSERT INTO enrolment_hospitals (enrolment_id, hospital_code) VALUES ($1, $2)")
                .bind(enrolment_id).bind(h).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
                     VALUES ($1, $2, $3, $4, $5)")
            .bind(enrolment_id).bind(&new_codes).bind(&old_codes).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'hospital_changed', $3, $4, $5, $6)")
            .bind(now).bind(actor_id).bind(&subject).bind(&detail).bind(client_ip).bind(&household.area_code)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    })?;
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
    let order_no = order_number(now);
    let expires = now + Duration::minutes(state.settings.order_minutes);
    // In the household's area, committed with the order it records.
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "payment_order_opened",
        subject: Some(&order_no),
        detail: None,
        client_ip: Some(client_ip),
        area_code: Some(&h.area_code),
    };
    let id = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            INSERT_ORDER)
            .bind(&order_no).bind(h.id).bind(total).bind(state.payments.name()).bind(actor.account.id).bind(now).bind(expires)
            .fetch_one(&mut *tx).await?;
        for e in &unpaid {
            sqlx::query(SET_ORDER).bind(id).bind(e.id).execute(&mut *tx).await?;
        }
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    store::order(db, id)
        .await?
        .map(order_view)
        .ok_or_else(|| AppError::internal("order", "order vanished"))
}
