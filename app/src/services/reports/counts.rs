//! Counting the roster, the enrolled and the targets per area (both databases), shared
//! by every report.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::report::percent;
use domain::Decimal;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::model::area_prefix;
use crate::services::AppState;
use crate::store::{with_pool, Db};

/// Ledger reasons that take a person out of the should-enrol count.
pub(super) const NOT_OURS: [&str; 4] = ["deceased", "insured_elsewhere", "employee_insurance", "ineligible"];

/// One line of the weekly progress form (附件5) and the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportRow {
    pub area_code: String,
    pub area_name: String,
    pub area_name_en: String,
    /// The area has sub-areas to drill into.
    pub has_children: bool,
    pub target: Option<i64>,
    /// The target is a demo figure, not a notice's.
    pub target_assumed: bool,
    pub roster: i64,
    pub should_enrol: i64,
    pub should_local: i64,
    pub should_non_local: i64,
    pub enrolled: i64,
    pub enrolled_local: i64,
    pub enrolled_non_local: i64,
    /// Enrolled as a percentage of should-enrol (two decimals; 0 for an empty area).
    pub coverage_percent: Decimal,
    /// Enrolled as a percentage of the target (0 without a target).
    pub target_percent: Decimal,
    pub unenrolled: i64,
    /// Target minus enrolled, never below 0 (0 without a target).
    pub gap: i64,
    pub self_paid: i64,
    pub self_paid_local: i64,
    pub self_paid_non_local: i64,
    pub subsidised: i64,
    /// 特困人员 (incl. orphans and de-facto unsupported children).
    pub extreme_poverty: i64,
    /// 低保对象.
    pub minimum_living: i64,
    /// 易返贫致贫人员.
    pub at_risk_of_poverty: i64,
    /// 返贫致贫人员.
    pub returned_to_poverty: i64,
    /// Every other subsidised category.
    pub other_subsidised: i64,
    /// Known (from the ledger) to be in employee insurance / insured elsewhere.
    pub employee_insurance: i64,
    pub insured_elsewhere: i64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) roster: i64,
    pub(super) roster_local: i64,
    pub(super) excluded: i64,
    pub(super) excluded_local: i64,
    pub(super) enrolled: i64,
    pub(super) enrolled_local: i64,
    pub(super) subsidised: i64,
    pub(super) subsidised_local: i64,
    pub(super) by_category: [i64; 5],
    pub(super) employee: i64,
    pub(super) elsewhere: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.roster += o.roster;
        self.roster_local += o.roster_local;
        self.excluded += o.excluded;
        self.excluded_local += o.excluded_local;
        self.enrolled += o.enrolled;
        self.enrolled_local += o.enrolled_local;
        self.subsidised += o.subsidised;
        self.subsidised_local += o.subsidised_local;
        for (a, b) in self.by_category.iter_mut().zip(o.by_category) {
            *a += b;
        }
        self.employee += o.employee;
        self.elsewhere += o.elsewhere;
    }
}

/// The form's subsidised columns: 特困, 低保, 易返贫致贫, 返贫致贫, other.
pub(super) fn bucket(category: &str) -> usize {
    match category {
        "extreme_poverty" | "orphan" | "unsupported_child" => 0,
        "minimum_living" => 1,
        "at_risk_of_poverty" => 2,
        "returned_to_poverty" => 3,
        _ => 4,
    }
}

/// The range of `report_area` values under a prefix: codes are digits, and ':' sorts
/// right after '9', so `[prefix, prefix + ":")` holds exactly the codes starting with it
/// (and reads as an index range on both databases, where LIKE might not).
pub(super) fn range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}:"))
}

/// Counts per area-code prefix of `len` characters (one group per sub-area): the register,
/// the enrolled and the ledger's reasons for the unenrolled, from the counters of
/// migration 0008.
/// `students_born_by`: only students born on or before that day (the ranking's college
/// students).
pub(super) async fn counts(
    state: &AppState,
    prefix: &str,
    len: usize,
    year: i32,
    as_of: NaiveDate,
    students_born_by: Option<NaiveDate>,
) -> Result<HashMap<String, Counts>, AppError> {
    let (lo, hi) = range(prefix);
    let len = len as i32;
    let (roster, enrolled, reasons) = match students_born_by {
        None => counted(state, &lo, &hi, len, year, as_of).await?,
        Some(born_by) => students(state, &lo, &hi, len, year, as_of, born_by).await?,
    };
    let mut out: HashMap<String, Counts> = HashMap::new();
    for (sub, local, n) in roster {
        let c = out.entry(sub.unwrap_or_default()).or_default();
        c.roster += n;
        if local == 1 {
            c.roster_local += n;
        }
    }
    for (sub, local, category, n) in enrolled {
        let c = out.entry(sub.unwrap_or_default()).or_default();
        let local = local == 1;
        c.enrolled += n;
        if local {
            c.enrolled_local += n;
        }
        if let Some(cat) = &category {
            c.subsidised += n;
            c.by_category[bucket(cat)] += n;
            if local {
                c.subsidised_local += n;
            }
        }
    }
    for (sub, local, reason, n) in reasons {
        let c = out.entry(sub.unwrap_or_default()).or_default();
        if NOT_OURS.contains(&reason.as_str()) {
            c.excluded += n;
            if local == 1 {
                c.excluded_local += n;
            }
        }
        match reason.as_str() {
            "employee_insurance" => c.employee += n,
            "insured_elsewhere" => c.elsewhere += n,
            _ => {}
        }
    }
    Ok(out)
}

/// A row's origin as 1 (local) or 0, the same type on both databases.
pub(super) const LOCAL: &str = "CAST(CASE WHEN hukou_local THEN 1 ELSE 0 END AS BIGINT)";

pub(super) type Groups = (
    Vec<(Option<String>, i64, i64)>,
    Vec<(Option<String>, i64, Option<String>, i64)>,
    Vec<(Option<String>, i64, String, i64)>,
);

/// The three groupings from the counters of migration 0008: a few rows per area and day,
/// however many people there are.
pub(super) async fn counted(
    state: &AppState,
    lo: &str,
    hi: &str,
    len: i32,
    year: i32,
    as_of: NaiveDate,
) -> Result<Groups, AppError> {
    let roster = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(report_area, 1, $3) AS sub, {LOCAL} AS local, CAST(SUM(n) AS BIGINT) AS n
         FROM report_roster WHERE report_area >= $1 AND report_area < $2
         GROUP BY 1, 2"))
        .bind(lo).bind(hi).bind(len).fetch_all(p).await)?;
    let enrolled = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(report_area, 1, $5) AS sub, {LOCAL} AS local, NULLIF(category, '') AS category,
            CAST(SUM(n) AS BIGINT) AS n
         FROM report_enrolled
         WHERE insurance_year = $1 AND report_area >= $3 AND report_area < $4 AND paid_on <= $2
         GROUP BY 1, 2, 3"))
        .bind(year).bind(as_of).bind(lo).bind(hi).bind(len).fetch_all(p).await)?;
    // A reason counts while its person was not enrolled by the as-of day.
    let reasons = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(report_area, 1, $5) AS sub, {LOCAL} AS local, reason, CAST(SUM(n) AS BIGINT) AS n
         FROM report_reasons
         WHERE insurance_year = $1 AND report_area >= $3 AND report_area < $4 AND enrolled_on > $2
         GROUP BY 1, 2, 3"))
        .bind(year).bind(as_of).bind(lo).bind(hi).bind(len).fetch_all(p).await)?;
    Ok((roster, enrolled, reasons))
}

/// The same groupings for students born by a day (the ranking's college students), which
/// the counters do not split: index-range reads of the rows themselves.
pub(super) async fn students(
    state: &AppState,
    lo: &str,
    hi: &str,
    len: i32,
    year: i32,
    as_of: NaiveDate,
    born_by: NaiveDate,
) -> Result<Groups, AppError> {
    let roster = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(report_area, 1, $3) AS sub, {LOCAL} AS local, COUNT(*) AS n
         FROM people p
         WHERE p.report_area >= $1 AND p.report_area < $2 AND p.student AND p.birth_date <= $4
         GROUP BY 1, 2"))
        .bind(lo).bind(hi).bind(len).bind(born_by).fetch_all(p).await)?;
    let enrolled = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(report_area, 1, $5) AS sub, {LOCAL} AS local,
            CASE WHEN subsidy_fen > 0 THEN applied_category END AS category, COUNT(*) AS n
         FROM enrolments e
         WHERE e.insurance_year = $1 AND e.report_area >= $3 AND e.report_area < $4
           AND e.paid_on <= $2 AND e.status IN ('paid', 'ended')
           AND EXISTS (SELECT 1 FROM people p WHERE p.id = e.person_id AND p.student AND p.birth_date <= $6)
         GROUP BY 1, 2, 3"))
        .bind(year).bind(as_of).bind(lo).bind(hi).bind(len).bind(born_by).fetch_all(p).await)?;
    let reasons = with_pool!(&state.db, p => sqlx::query_as(&format!(
        "SELECT SUBSTR(r.report_area, 1, $5) AS sub, {LOCAL} AS local, r.reason, COUNT(*) AS n
         FROM ledger_reasons r
         WHERE r.insurance_year = $1 AND r.report_area >= $3 AND r.report_area < $4
           AND EXISTS (SELECT 1 FROM people p WHERE p.id = r.person_id AND p.student AND p.birth_date <= $6)
           -- A count, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join that
           -- reads every enrolment; this stays one unique-index probe per reason.
           AND (SELECT COUNT(*) FROM enrolments e WHERE e.person_id = r.person_id AND e.insurance_year = $1
                 AND e.status IN ('paid', 'ended') AND e.paid_on <= $2) = 0
         GROUP BY 1, 2, 3"))
        .bind(year).bind(as_of).bind(lo).bind(hi).bind(len).bind(born_by).fetch_all(p).await)?;
    Ok((roster, enrolled, reasons))
}

/// Recomputes the report counters (migration 0008) from the rows they summarise, in one
/// transaction: after a bulk load that ran without the triggers, or to repair.
pub async fn rebuild_counters(db: &Db) -> Result<(), AppError> {
    const SQL: [&str; 6] = [
        "DELETE FROM report_roster",
        "DELETE FROM report_enrolled",
        "DELETE FROM report_reasons",
        "INSERT INTO report_roster (report_area, hukou_local, n)
         SELECT report_area, hukou_local, COUNT(*) FROM people GROUP BY report_area, hukou_local",
        "INSERT INTO report_enrolled (insurance_year, report_area, hukou_local, category, paid_on, n)
         SELECT insurance_year, report_area, hukou_local,
             CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END, paid_on, COUNT(*)
         FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5",
        "INSERT INTO report_reasons (insurance_year, report_area, hukou_local, reason, enrolled_on, n)
         SELECT r.insurance_year, r.report_area, r.hukou_local, r.reason,
             COALESCE((SELECT e.paid_on FROM enrolments e
                 WHERE e.person_id = r.person_id AND e.insurance_year = r.insurance_year
                   AND e.status IN ('paid', 'ended') AND e.paid_on IS NOT NULL), '9999-12-31'), COUNT(*)
         FROM ledger_reasons r GROUP BY 1, 2, 3, 4, 5",
    ];
    with_pool!(db, p => async {
        let mut tx = p.begin().await?;
        for sql in SQL {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await
    }.await)?;
    Ok(())
}

/// Targets for the year of every area under the prefix: code → (count, assumed).
pub(super) async fn targets(
    state: &AppState,
    prefix: &str,
    year: i32,
) -> Result<HashMap<String, (i64, bool)>, AppError> {
    let rows: Vec<(String, i64, bool)> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT area_code, target_count, assumed FROM area_targets WHERE insurance_year = $1 AND area_code LIKE $2")
        .bind(year).bind(format!("{prefix}%")).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(c, n, a)| (c, (n, a))).collect())
}

/// An area's own target, else the sum of the targets below it (assumed if any part is).
pub(super) fn target_of(code: &str, all: &HashMap<String, (i64, bool)>) -> Option<(i64, bool)> {
    if let Some(t) = all.get(code) {
        return Some(*t);
    }
    let p = area_prefix(code);
    let below: Vec<&(i64, bool)> = all
        .iter()
        .filter(|(c, _)| c.as_str() != code && c.starts_with(p) && !all_between(c, code, all))
        .map(|(_, t)| t)
        .collect();
    (!below.is_empty()).then(|| (below.iter().map(|t| t.0).sum(), below.iter().any(|t| t.1)))
}

/// True when a target sits between `code` and `c` (so `c` is already counted in it).
pub(super) fn all_between(c: &str, code: &str, all: &HashMap<String, (i64, bool)>) -> bool {
    all.keys().any(|m| {
        m.as_str() != c
            && m.as_str() != code
            && m.len() < c.len()
            && c.starts_with(area_prefix(m))
            && m.starts_with(area_prefix(code))
    })
}

pub(super) fn row_from(
    node: (&str, &str, &str),
    has_children: bool,
    c: &Counts,
    target: Option<(i64, bool)>,
) -> ReportRow {
    let should = c.roster - c.excluded;
    let should_local = c.roster_local - c.excluded_local;
    ReportRow {
        area_code: node.0.to_owned(),
        area_name: node.1.to_owned(),
        area_name_en: node.2.to_owned(),
        has_children,
        target: target.map(|t| t.0),
        target_assumed: target.is_some_and(|t| t.1),
        roster: c.roster,
        should_enrol: should,
        should_local,
        should_non_local: should - should_local,
        enrolled: c.enrolled,
        enrolled_local: c.enrolled_local,
        enrolled_non_local: c.enrolled - c.enrolled_local,
        coverage_percent: percent(c.enrolled, should),
        target_percent: target.map_or(Decimal::ZERO, |t| percent(c.enrolled, t.0)),
        unenrolled: (should - c.enrolled).max(0),
        gap: target.map_or(0, |t| (t.0 - c.enrolled).max(0)),
        self_paid: c.enrolled - c.subsidised,
        self_paid_local: c.enrolled_local - c.subsidised_local,
        self_paid_non_local: (c.enrolled - c.enrolled_local) - (c.subsidised - c.subsidised_local),
        subsidised: c.subsidised,
        extreme_poverty: c.by_category[0],
        minimum_living: c.by_category[1],
        at_risk_of_poverty: c.by_category[2],
        returned_to_poverty: c.by_category[3],
        other_subsidised: c.by_category[4],
        employee_insurance: c.employee,
        insured_elsewhere: c.elsewhere,
    }
}

/// Groups counts by sub-area: one row per child (zeros when empty), plus a row for
/// people registered directly on the area itself when there are any; and the total.
pub(super) async fn rows_for(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    as_of: NaiveDate,
    students_born_by: Option<NaiveDate>,
) -> Result<(Vec<ReportRow>, ReportRow, HashMap<String, Counts>), AppError> {
    let len = ctx
        .children
        .iter()
        .map(|c| c.code.len())
        .max()
        .unwrap_or(ctx.area.code.len())
        .max(ctx.prefix.len());
    let groups = counts(state, &ctx.prefix, len, year, as_of, students_born_by).await?;
    let all_targets = targets(state, &ctx.prefix, year).await?;
    let mut per_child: Vec<Counts> = vec![Counts::default(); ctx.children.len()];
    let mut direct = Counts::default();
    let mut total = Counts::default();
    for (sub, c) in &groups {
        total.add(c);
        match ctx
            .children
            .iter()
            .position(|ch| sub.starts_with(area_prefix(&ch.code)))
        {
            Some(i) => per_child[i].add(c),
            None => direct.add(c),
        }
    }
    let mut rows = Vec::new();
    for (ch, c) in ctx.children.iter().zip(&per_child) {
        let has_children = ch.level != crate::model::AreaLevel::Village;
        rows.push(row_from(
            (&ch.code, &ch.name, &ch.name_en),
            has_children,
            c,
            target_of(&ch.code, &all_targets),
        ));
    }
    if direct.roster > 0 || ctx.children.is_empty() {
        let (name, name_en) = if ctx.children.is_empty() {
            (ctx.area.name.clone(), ctx.area.name_en.clone())
        } else {
            (
                format!("{}（未细分到下级）", ctx.area.name),
                format!("{} (not in a sub-area)", ctx.area.name_en),
            )
        };
        let target = ctx
            .children
            .is_empty()
            .then(|| target_of(&ctx.area.code, &all_targets))
            .flatten();
        rows.push(row_from((&ctx.area.code, &name, &name_en), false, &direct, target));
    }
    let total_row = row_from(
        (&ctx.area.code, "合计", "Total"),
        false,
        &total,
        target_of(&ctx.area.code, &all_targets),
    );
    Ok((rows, total_row, groups))
}

/// Paid enrolments by sub-area (the first `len` digits of the reporting area) and day paid.
#[derive(sqlx::FromRow)]
pub(super) struct Paid {
    pub(super) sub: Option<String>,
    pub(super) day: Option<NaiveDate>,
    pub(super) n: i64,
}

/// The paid enrolments of a year by sub-area and day, up to `as_of`, within `[lo, hi)`.
pub(super) async fn paid_by_day(
    db: &Db,
    year: i32,
    as_of: NaiveDate,
    (lo, hi): (&str, &str),
    len: i32,
) -> Result<Vec<Paid>, sqlx::Error> {
    const SQL: &str = "SELECT SUBSTR(report_area, 1, $5) AS sub, paid_on AS day, CAST(SUM(n) AS BIGINT) AS n
        FROM report_enrolled
        WHERE insurance_year = $1 AND report_area >= $3 AND report_area < $4 AND paid_on <= $2
        GROUP BY 1, 2";
    with_pool!(db, p => sqlx::query_as(SQL)
        .bind(year).bind(as_of).bind(lo).bind(hi).bind(len)
        .fetch_all(p).await)
}

/// Subsidised enrolments paid by `as_of` within `[lo, hi)`: category, subsidy per head,
/// heads, total subsidy (fen).
pub(super) async fn subsidies_paid(
    db: &Db,
    year: i32,
    as_of: NaiveDate,
    (lo, hi): (&str, &str),
) -> Result<Vec<(Option<String>, i64, i64, i64)>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT e.applied_category, e.subsidy_fen, COUNT(*), CAST(SUM(e.subsidy_fen) AS BIGINT)
         FROM enrolments e
         WHERE e.insurance_year = $1 AND e.report_area >= $3 AND e.report_area < $4
           AND e.paid_on <= $2 AND e.status IN ('paid', 'ended') AND e.subsidy_fen > 0
         GROUP BY 1, 2 ORDER BY 1, 2")
        .bind(year).bind(as_of).bind(lo).bind(hi).fetch_all(p).await)
}
