//! The unenrolled ledger (未参保台账): everyone the system knows in an area (the roster,
//! grown by registration, enrolment and the departments' lists) who has not paid for the
//! insurance year, with why and the cadres' follow-up visits.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::access::{mask_id, Actor};
use super::AppState;
use crate::error::AppError;
use crate::model::{LedgerChanges, LedgerEntry, Role, LEDGER_REASONS};
use crate::store::with_pool;

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
    state
        .policies
        .speaking_for(&probe, state.clock.today())
        .or_else(|| {
            state
                .policies
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
        "not_contacted" => 1,
        "lost_contact" => 2,
        "declined" => 3,
        "ineligible" => 4,
        "employee_insurance" => 5,
        "insured_elsewhere" => 6,
        _ => 7,
    }
}

/// The ledger, sorted by what to do next: submitted but unpaid first (a reminder closes
/// it), then never contacted, lost contact, declined …, settled reasons last; within a
/// group, the longest without a visit first.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn ledger(state: &AppState, actor: &Actor, q: &LedgerQuery) -> Result<Vec<LedgerEntry>, AppError> {
    may_keep_ledger(actor)?;
    let area = super::access::area_within(actor, q.area.as_deref())?;
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
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        id_number: String,
        area: Option<String>,
        household_id: Option<i64>,
        reason: Option<String>,
        note: Option<String>,
        status: Option<String>,
        visits: i64,
        last_visit: Option<NaiveDate>,
    }
    // The area as a range of report_area (a person's own area, else their household's,
    // kept by migration 0006), so PostgreSQL walks people in id order and stops at a page
    // instead of joining every household; a recorded reason starts from the reasons' index.
    const COLUMNS: &str = "SELECT p.id, p.name, p.id_number, p.report_area AS area, p.household_id,
            r.reason, r.note, e.status,
            (SELECT COUNT(*) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS visits,
            (SELECT MAX(v.visited_on) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS last_visit";
    let sql = match reason.as_deref() {
        // The page's people are picked from the reasons alone, then joined to people: joined
        // first, PostgreSQL hashes every person (150 ms at 1 M) for a few thousand reasons.
        Some(r) if r != "not_contacted" => "WITH picked AS (
                 SELECT r.person_id, r.reason, r.note, e.status FROM ledger_reasons r
                 LEFT JOIN enrolments e ON e.person_id = r.person_id AND e.insurance_year = $1
                 WHERE r.insurance_year = $1 AND r.report_area >= $2 AND r.report_area < $3 AND r.reason = $4
                   AND (e.id IS NULL OR e.status = 'unpaid')
                 ORDER BY r.person_id LIMIT $5)
             SELECT p.id, p.name, p.id_number, p.report_area AS area, p.household_id, x.reason, x.note, x.status,
                 (SELECT COUNT(*) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS visits,
                 (SELECT MAX(v.visited_on) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS last_visit
             FROM picked x JOIN people p ON p.id = x.person_id
             ORDER BY p.id"
            .to_owned(),
        _ => format!(
            "{COLUMNS} FROM people p
             LEFT JOIN ledger_reasons r ON r.person_id = p.id AND r.insurance_year = $1
             LEFT JOIN enrolments e ON e.person_id = p.id AND e.insurance_year = $1
             WHERE p.report_area >= $2 AND p.report_area < $3
               AND (e.id IS NULL OR e.status = 'unpaid')
               AND ($4 IS NULL OR COALESCE(r.reason, 'not_contacted') = $4)
             ORDER BY p.id LIMIT $5"
        ),
    };
    let rows: Vec<Row> = with_pool!(&state.db, p => sqlx::query_as(&sql)
        .bind(year).bind(&area).bind(format!("{area}:")).bind(&reason).bind(PAGE).fetch_all(p).await)?;
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
    let area = super::pricing::person_area(state, &person).await?;
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
    let now = state.clock.now();
    let actor_id = actor.account.id;
    with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO followup_visits (person_id, insurance_year, visited_on, outcome, note, account_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(person_id).bind(year).bind(visited_on).bind(outcome).bind(note).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        let previous: Option<String> = sqlx::query_scalar(
            "SELECT reason FROM ledger_reasons WHERE person_id = $1 AND insurance_year = $2")
            .bind(person_id).bind(year).fetch_optional(&mut *tx).await?;
        sqlx::query("INSERT INTO ledger_reasons (person_id, insurance_year, reason, note, updated_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (person_id, insurance_year) DO UPDATE SET reason = excluded.reason, note = excluded.note,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(person_id).bind(year).bind(outcome).bind(note).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        if previous.as_deref() != Some(outcome) {
            sqlx::query("INSERT INTO ledger_reason_history (person_id, insurance_year, reason, previous, changed_by, changed_at, changed_on)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(person_id).bind(year).bind(outcome).bind(&previous).bind(actor_id).bind(now).bind(today)
                .execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'ledger_visit_recorded', $3, $4, $5, $6)")
            .bind(now).bind(actor_id).bind(mask_id(&person.id_number)).bind(outcome).bind(client_ip).bind(&area)
            .execute(&mut *tx).await?;
        tx.commit().await
    })?;
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
    let area = super::access::area_within(actor, area)?;
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
    let from = super::audit::day_start(start);
    let to = super::audit::day_start(next);
    let today = state.clock.today();
    let db = &state.db;
    // Paid in the month, the register and the unenrolled's reasons: the report counters
    // (migration 0008), a few rows per village and day however many people there are.
    let newly_enrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_enrolled
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND paid_on >= $4 AND paid_on < $5")
        .bind(year).bind(&lo).bind(&hi).bind(start).bind(next).fetch_one(p).await)?;
    let roster: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_roster WHERE report_area >= $1 AND report_area < $2")
        .bind(&lo).bind(&hi).fetch_one(p).await)?;
    let enrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_enrolled
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND paid_on <= $4")
        .bind(year).bind(&lo).bind(&hi).bind(today).fetch_one(p).await)?;
    let reasons: Vec<(String, i64)> = with_pool!(db, p => sqlx::query_as(
        "SELECT reason, CAST(SUM(n) AS BIGINT) FROM report_reasons
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND enrolled_on > $4
         GROUP BY reason")
        .bind(year).bind(&lo).bind(&hi).bind(today).fetch_all(p).await)?;
    // The unenrolled without a recorded reason have not been contacted yet.
    let with_reason: i64 = reasons.iter().map(|r| r.1).sum();
    let mut by_reason: std::collections::BTreeMap<String, i64> = reasons.into_iter().collect();
    *by_reason.entry("not_contacted".to_owned()).or_default() += roster - enrolled - with_reason;
    let by_reason: Vec<(String, i64)> = by_reason.into_iter().filter(|r| r.1 > 0).collect();
    // People stored in the month and not enrolled, and reasons changed in the month: index
    // ranges on the day, then the area.
    let newly_unenrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM people p
         WHERE p.created_at >= $2 AND p.created_at < $3 AND p.report_area >= $4 AND p.report_area < $5
           AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.insurance_year = $1
                           AND e.status <> 'unpaid')")
        .bind(year).bind(from).bind(to).bind(&lo).bind(&hi).fetch_one(p).await)?;
    let reasons_changed: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_reason_history x JOIN people p ON p.id = x.person_id
         WHERE x.insurance_year = $1 AND x.changed_on >= $2 AND x.changed_on < $3
           AND p.report_area >= $4 AND p.report_area < $5")
        .bind(year).bind(start).bind(next).bind(&lo).bind(&hi).fetch_one(p).await)?;
    Ok(LedgerChanges {
        month: start.format("%Y-%m").to_string(),
        insurance_year: year,
        newly_enrolled,
        newly_unenrolled,
        reasons_changed,
        by_reason,
    })
}
