//! What an enrolment looks like to its readers (JSON, 我的参保, receipts).

use chrono::NaiveDate;
use domain::policy::{Quote, QuoteRequest};
use domain::Money;

use crate::error::AppError;
use crate::model::{CoverageStatus, EnrolmentView, HospitalView, MemberView, OrderView, Role};
use crate::services::access::{mask_id, Actor};
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::AppState;

use super::*;

pub fn order_view(o: store::OrderRow) -> OrderView {
    OrderView {
        pay_url: format!("/sandbox/pay/{}", o.order_no),
        order_no: o.order_no,
        amount: Money::from_fen(o.amount_fen),
        status: o.status,
        expires_at: o.expires_at,
    }
}

/// The add-on codes stored on an enrolment (comma-separated).
pub fn add_on_codes(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Status on `today`: unpaid, waiting (paid, not yet covered), active, ended.
pub fn coverage_status(row: &EnrolmentRow, today: NaiveDate) -> CoverageStatus {
    match row.status.as_str() {
        "unpaid" => CoverageStatus::Unpaid,
        "ended" => CoverageStatus::Ended,
        _ => match (row.benefit_start, row.benefit_end) {
            (Some(s), _) if today < s => CoverageStatus::Waiting,
            (_, Some(e)) if today > e => CoverageStatus::Ended,
            _ => CoverageStatus::Active,
        },
    }
}

pub async fn enrolment_view(state: &AppState, row: EnrolmentRow, today: NaiveDate) -> Result<EnrolmentView, AppError> {
    let person = store::person(&state.db, row.person_id)
        .await?
        .ok_or_else(|| AppError::internal("enrolment view", "person vanished"))?;
    let hospitals = store::hospitals_of(&state.db, row.id)
        .await?
        .into_iter()
        .map(to_view_hospital)
        .collect();
    let status = coverage_status(&row, today);
    let changes_used = match state.policies.current().get(&row.policy_id).is_some() {
        true if status != CoverageStatus::Ended => store::hospital_changes(&state.db, row.id).await?,
        _ => 0,
    };
    let order_no = match (status, row.order_id) {
        (CoverageStatus::Unpaid, Some(o)) => store::order(&state.db, o)
            .await?
            .filter(|o| o.status == "pending")
            .map(|o| o.order_no),
        _ => None,
    };
    let adjustments = crate::services::certification::store::adjustments_of_enrolment(&state.db, row.id)
        .await?
        .into_iter()
        .map(adjustment_view)
        .collect();
    let parts = ViewParts {
        name: person.name,
        id_number: &person.id_number,
        quote: serde_json::from_str(&row.quote_json).ok(),
        hospitals,
        changes_used,
        order_no,
        adjustments,
    };
    Ok(view_from_parts(state, row, parts, today))
}

/// What an enrolment's view needs beyond its row: loaded by `enrolment_view`, or known
/// already when the enrolment was just written.
pub(super) struct ViewParts<'a> {
    pub(super) name: String,
    pub(super) id_number: &'a str,
    pub(super) quote: Option<Quote>,
    pub(super) hospitals: Vec<HospitalView>,
    /// Hospital changes made since enrolling.
    pub(super) changes_used: i64,
    /// The pending order's number, for an unpaid enrolment.
    pub(super) order_no: Option<String>,
    pub(super) adjustments: Vec<crate::model::AdjustmentView>,
}

pub(super) fn view_from_parts(
    state: &AppState,
    row: EnrolmentRow,
    parts: ViewParts<'_>,
    today: NaiveDate,
) -> EnrolmentView {
    let q = parts.quote;
    // The answers stored with the request the enrolment was priced on.
    let asked: Option<QuoteRequest> = row.quote_request.as_deref().and_then(|j| serde_json::from_str(j).ok());
    let person = asked.map(|r| r.person).unwrap_or_default();
    let status = coverage_status(&row, today);
    let policies = state.policies.current();
    let hospital_changes_left = match policies.get(&row.policy_id) {
        Some(p) if status != CoverageStatus::Ended => i64::from(p.hospital_changes_per_year())
            .saturating_sub(parts.changes_used)
            .max(0) as u32,
        _ => 0,
    };
    let order_no = if status == CoverageStatus::Unpaid {
        parts.order_no
    } else {
        None
    };
    let deadline = (status == CoverageStatus::Unpaid)
        .then(|| policies.get(&row.policy_id).map(|p| p.payment_deadline(today)))
        .flatten();
    let (start, end, rule) = if row.status == "unpaid" {
        let q = q.as_ref();
        (
            q.and_then(|q| q.benefit_start),
            q.and_then(|q| q.benefit_end),
            q.and_then(|q| q.start_rule).map(|r| start_rule_code(r).to_owned()),
        )
    } else {
        (row.benefit_start, row.benefit_end, row.start_rule.clone())
    };
    EnrolmentView {
        id: row.id,
        person_id: row.person_id,
        name: parts.name,
        id_number_masked: mask_id(parts.id_number),
        household_id: row.household_id,
        insurance_year: row.insurance_year,
        policy: row.policy_id,
        status,
        tier: row.tier,
        benefit_tier: row.benefit_tier,
        applied_category: row.applied_category,
        add_ons: add_on_codes(&row.add_ons),
        standard_contribution: Money::from_fen(row.standard_fen),
        subsidy: Money::from_fen(row.subsidy_fen),
        late_surcharge: Money::from_fen(row.surcharge_fen),
        add_ons_total: Money::from_fen(row.add_ons_fen),
        personal_due: Money::from_fen(row.due_fen),
        paid: Money::from_fen(row.paid_fen),
        paid_on: row.paid_on,
        benefit_start: start,
        benefit_end: end,
        start_rule: rule,
        payment_deadline: deadline,
        explanation: q.as_ref().map(|q| q.explanation.clone()).unwrap_or_default(),
        explanation_en: q.as_ref().map(|q| q.explanation_en.clone()).unwrap_or_default(),
        assumptions: q.as_ref().map(|q| q.assumptions.clone()).unwrap_or_default(),
        assumptions_en: q.as_ref().map(|q| q.assumptions_en.clone()).unwrap_or_default(),
        employee_insurance_ended_on: person.employee_insurance_ended_on,
        work: person.work,
        school: person.school,
        citations: q.map(|q| q.citations).unwrap_or_default(),
        hospitals: parts.hospitals,
        hospital_changes_left,
        order_no,
        existing: false,
        adjustments: parts.adjustments,
    }
}

/// One enrolment, if the actor may see it.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> Result<EnrolmentView, AppError> {
    let not_found = || AppError::not_found("enrolment_not_found", "未找到该参保记录", "No such enrolment");
    let row = store::enrolment(&state.db, id).await?.ok_or_else(not_found)?;
    let hh = row.household_id.ok_or_else(not_found)?;
    household_for(state, actor, hh).await.map_err(|e| match e {
        AppError::Forbidden(_) if actor.role != Role::Resident => e,
        _ => not_found(),
    })?;
    enrolment_view(state, row, state.clock.today()).await
}

/// Everything a household's coverage page shows.
pub async fn household_enrolments(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
) -> Result<(Vec<MemberView>, Vec<EnrolmentView>), AppError> {
    let h = household_for(state, actor, household_id).await?;
    let members = store::members(&state.db, h.id).await?.iter().map(member_view).collect();
    let today = state.clock.today();
    let mut out = Vec::new();
    for row in store::enrolments_of_household(&state.db, h.id).await? {
        out.push(enrolment_view(state, row, today).await?);
    }
    Ok((members, out))
}

pub fn adjustment_view(a: crate::services::certification::store::AdjustmentRow) -> crate::model::AdjustmentView {
    crate::model::AdjustmentView {
        id: a.id,
        kind: a.kind,
        amount: Money::from_fen(a.amount_fen),
        status: a.status,
        category: a.category,
        created_at: a.created_at,
        settled_at: a.settled_at,
        settlement_channel: a.settlement_channel,
        settlement_note: a.settlement_note,
        settled_by: a.settled_by,
    }
}
