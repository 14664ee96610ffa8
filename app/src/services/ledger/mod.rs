//! The unenrolled ledger (未参保台账): everyone the system knows in an area (the roster,
//! grown by registration, enrolment and the departments' lists) who has not paid for the
//! insurance year, with why and the cadres' follow-up visits.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

pub mod roster;
pub mod store;

use crate::error::AppError;
use crate::model::{LedgerChanges, LedgerEntry, Role, LEDGER_REASONS};
use crate::services::access::{mask_id, Actor};
use crate::services::AppState;

/// Most rows one ledger page lists.
pub const PAGE: i64 = 500;

/// `GET /api/v1/ledger` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerQuery {
    /// An area code inside the viewer's scope (default: the whole scope).
    #[serde(default)]
    pub area: Option<String>,
    /// Default: the year of the pack whose collection is open (or latest) for the area.
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/ledger/{person}/visits`: a follow-up visit and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisitRequest {
    /// The reason code the visit established (e.g. `declined`, `insured_elsewhere`).
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Default: today.
    #[serde(default)]
    pub visited_on: Option<NaiveDate>,
    #[serde(default)]
    pub year: Option<i32>,
}

fn may_keep_ledger(actor: &Actor) -> Result<&str, AppError> {
    match actor.role {
        Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer | Role::Admin => actor.staff_scope(),
        _ => Err(AppError::forbidden(
            "ledger_forbidden",
            "只有村（社区）协办员、乡镇和医保局经办人员可以查看未参保台账",
            "Only cadres, township and bureau officers keep the unenrolled ledger",
        )),
    }
}

/// The insurance year the ledger is about for an area.
fn year_for(state: &AppState, area: &str, asked: Option<i32>) -> Result<i32, AppError> {
    if let Some(y) = asked {
        if !(2000..=2100).contains(&y) {
            return Err(AppError::invalid(
                "year",
                "year_invalid",
                "年度应在2000到2100之间",
                "The year must be 2000–2100",
            ));
        }
        return Ok(y);
    }
    // A district- or village-level area has one pack; a wider scope uses its first pack.
    let probe = if area.len() >= 6 {
        area.to_owned()
    } else {
        format!("{area}0000")
    };
    let policies = state.policies.current();
    policies
        .speaking_for(&probe, state.clock.today())
        .or_else(|| {
            policies
                .all()
                .find(|p| p.area_codes.iter().any(|c| c.starts_with(area)))
        })
        .map(|p| p.insurance_year)
        .ok_or_else(|| {
            AppError::invalid(
                "year",
                "year_required",
                "请指定年度",
                "Give the insurance year (year=…)",
            )
        })
}

fn rank(e: &LedgerEntry) -> u8 {
    match e.reason.as_str() {
        _ if e.unpaid_enrolment => 0,
        // A promise is the nearest to paying: a reminder before the deadline settles it.
        "promised" => 1,
        "not_contacted" => 2,
        "contacted" => 3,
        "lost_contact" => 4,
        "declined" => 5,
        "ineligible" => 6,
        "employee_insurance" => 7,
        "insured_elsewhere" => 8,
        _ => 9,
    }
}

/// The ledger, sorted by what to do next: submitted but unpaid first (a reminder closes
/// it), then promised to pay, never contacted, contacted, lost contact, declined …, settled reasons last; within a
/// group, the longest without a visit first.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn ledger(state: &AppState, actor: &Actor, q: &LedgerQuery) -> Result<Vec<LedgerEntry>, AppError> {
    may_keep_ledger(actor)?;
    let area = crate::services::access::area_within(actor, q.area.as_deref())?;
    let year = year_for(state, &area, q.year)?;
    let reason = match q.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) if LEDGER_REASONS.contains(&r) => Some(r.to_owned()),
        Some(r) => {
            return Err(AppError::invalid(
                "reason",
                "reason_unknown",
                format!("未参保原因“{r}”无效"),
                format!("Unknown reason {r:?}"),
            ))
        }
        None => None,
    };
    let rows = store::page(&state.db, year, &area, reason.as_deref(), PAGE).await?;
    let mut out: Vec<LedgerEntry> = rows
        .into_iter()
        .map(|r| LedgerEntry {
            person_id: r.id,
            name: r.name,
            id_number_masked: mask_id(&r.id_number),
            area_code: r.area.unwrap_or_default(),
            household_id: r.household_id,
            insurance_year: year,
            reason: r.reason.unwrap_or_else(|| "not_contacted".to_owned()),
            reason_note: r.note,
            unpaid_enrolment: r.status.is_some(),
            visits: r.visits,
            last_visit: r.last_visit,
        })
        .collect();
    out.sort_by_key(|e| (rank(e), e.last_visit, e.person_id));
    Ok(out)
}

/// Records a visit and the reason it established; returns the person's ledger entry.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn record_visit(
    state: &AppState,
    actor: &Actor,
    person_id: i64,
    req: &VisitRequest,
    client_ip: &str,
) -> Result<LedgerEntry, AppError> {
    let scope = may_keep_ledger(actor)?.to_owned();
    let not_found = || AppError::not_found("person_not_found", "未找到此人", "No such person");
    let person = crate::services::enrolment::store::person(&state.db, person_id)
        .await?
        .ok_or_else(not_found)?;
    let area = crate::services::pricing::person_area(state, &person).await?;
    if !area.starts_with(&scope) {
        return Err(AppError::forbidden(
            "out_of_scope",
            "该居民不在您的管辖范围内",
            "This resident is outside your area",
        ));
    }
    let outcome = req.outcome.trim();
    if !LEDGER_REASONS.contains(&outcome) {
        return Err(AppError::invalid(
            "outcome",
            "reason_unknown",
            format!("走访结果“{outcome}”无效"),
            format!("Unknown outcome {outcome:?}"),
        ));
    }
    let note = req.note.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::invalid(
            "note",
            "note_too_long",
            "备注不能超过500字",
            "A note has at most 500 characters",
        ));
    }
    let today = state.clock.today();
    let visited_on = req.visited_on.unwrap_or(today);
    if visited_on > today || visited_on < today - chrono::Duration::days(366) {
        return Err(AppError::invalid(
            "visited_on",
            "visited_on_invalid",
            "走访日期应在过去一年内，且不能晚于今天",
            "The visit date must be within the past year and not after today",
        ));
    }
    let year = year_for(state, &area, req.year)?;
    if crate::services::enrolment::store::enrolment_for(&state.db, person_id, year)
        .await?
        .is_some_and(|e| e.status != "unpaid")
    {
        return Err(AppError::Conflict(crate::error::UserMessage::new(
            "already_enrolled",
            None,
            "此人本年度已参保，不在未参保台账上",
            "This person is enrolled for the year; they are not on the ledger",
        )));
    }
    let visit = store::NewVisit {
        person_id,
        year,
        visited_on,
        outcome,
        note,
        actor_id: actor.account.id,
        now: state.clock.now(),
        today,
        subject: mask_id(&person.id_number),
        client_ip,
        area: &area,
    };
    store::record_visit(&state.db, &visit).await?;
    let entries = ledger(
        state,
        actor,
        &LedgerQuery {
            area: Some(area),
            year: Some(year),
            reason: None,
        },
    )
    .await?;
    entries.into_iter().find(|e| e.person_id == person_id).ok_or_else(|| {
        AppError::not_found(
            "not_on_ledger",
            "此人已参保，不在未参保台账上",
            "This person is enrolled",
        )
    })
}

/// `2022-10` → the first day of that month and of the next.
fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = month.trim().split_once('-')?;
    let start = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if start.month() == 12 {
        NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)?
    };
    Some((start, next))
}

/// The month's comparison: paid in the month, people new to the roster in the month and
/// still unenrolled, and reasons recorded or changed in the month. Payments and reasons
/// count by the service's day (which the demo pins); new people by when they were stored.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn changes(
    state: &AppState,
    actor: &Actor,
    month: &str,
    area: Option<&str>,
    year: Option<i32>,
) -> Result<LedgerChanges, AppError> {
    may_keep_ledger(actor)?;
    let area = crate::services::access::area_within(actor, area)?;
    let (start, next) = month_bounds(month).ok_or_else(|| {
        AppError::invalid(
            "month",
            "month_invalid",
            "月份应写作2022-10",
            "Write the month as 2022-10",
        )
    })?;
    let year = year_for(state, &area, year)?;
    let (lo, hi) = (area.clone(), format!("{area}:"));
    let from = crate::services::audit::day_start(start);
    let to = crate::services::audit::day_start(next);
    let today = state.clock.today();
    let store::MonthCounts {
        newly_enrolled,
        roster,
        enrolled,
        reasons,
        newly_unenrolled,
        reasons_changed,
    } = store::month_counts(&state.db, year, (&lo, &hi), (start, next), (from, to), today).await?;
    // The unenrolled without a recorded reason have not been contacted yet.
    let with_reason: i64 = reasons.iter().map(|r| r.1).sum();
    let mut by_reason: std::collections::BTreeMap<String, i64> = reasons.into_iter().collect();
    *by_reason.entry("not_contacted".to_owned()).or_default() += roster - enrolled - with_reason;
    let by_reason: Vec<(String, i64)> = by_reason.into_iter().filter(|r| r.1 > 0).collect();
    Ok(LedgerChanges {
        month: start.format("%Y-%m").to_string(),
        insurance_year: year,
        newly_enrolled,
        newly_unenrolled,
        reasons_changed,
        by_reason,
    })
}
