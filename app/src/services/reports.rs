//! Reports (统计报表): coverage against targets for any area and as-of day — Lishi's weekly
//! progress form (附件5) and statistics form (附件6), the coverage dashboard with SVG
//! charts, the subsidy fund request, Weifang's ranking and Rugao's village incentive.
//!
//! Definitions used throughout (stated on every page's footer and in the README):
//! - roster: everyone the system knows in the area (today's register: people are not
//!   dated by when the system learnt of them, only enrolments by when they were paid);
//! - should enrol (应参保): the roster minus the unenrolled whose ledger reason settles
//!   that they are not ours to enrol (deceased, insured elsewhere, in employee insurance,
//!   ineligible);
//! - enrolled (已参保): paid (or fully subsidised) for the insurance year on or before the
//!   as-of day; subsidised means the enrolment carries a category subsidy.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use domain::policy::{Category, PolicyPack, SubsidyMode};
use domain::report::{efficacy_scores, incentive, percent, weekly_points, Indicator};
use domain::{Decimal, Money};
use serde::{Deserialize, Serialize};

use super::enrolment::Actor;
use super::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::{area_prefix, AreaNode, Department, LedgerEntry, Role};
use crate::store::{with_pool, Db};

/// The report kinds, as in `/api/v1/reports/{kind}` and `/reports/{kind}`.
pub const KINDS: [&str; 6] = [
    "weekly",
    "dashboard",
    "fund-request",
    "statistics",
    "ranking",
    "incentive",
];

/// Ledger reasons that take a person out of the should-enrol count.
const NOT_OURS: [&str; 4] = ["deceased", "insured_elsewhere", "employee_insurance", "ineligible"];

/// Rugao: 1.5 yuan per person actually enrolled for villages that met their target.
const RUGAO_PER_HEAD_FEN: i64 = 150;
const RUGAO_NOTICE: &str = "如皋工业园区(如城街道)2020年度城乡居民基本医疗保险基金筹集工作的通知";
const RUGAO_CLAUSE: &str = "五、(三)2.";
const WEIFANG_NOTICE: &str = "潍坊市医疗保障局等三部门关于做好2021年度居民基本医疗保险参保缴费工作的通知";
const WEIFANG_CLAUSE: &str = "一、(三)(总体目标占60分,大中专学生任务完成情况占25分,较上年提升幅度占15分)";
/// Age from which a person marked as a student counts as a college student (大中专学生):
/// the system records "student", not the school type (an assumption, stated on the page).
const COLLEGE_AGE: i32 = 16;

/// `GET /api/v1/reports/{kind}` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportQuery {
    /// An area code in the viewer's scope (default: the viewer's own area).
    #[serde(default)]
    pub area: Option<String>,
    /// The as-of day (default: today, or the end of the collection window if earlier).
    #[serde(default)]
    pub as_of: Option<String>,
    /// The insurance year (default: the year whose collection is open, else the latest).
    #[serde(default)]
    pub year: Option<i32>,
}

/// What every report states at its head and foot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReportHeader {
    pub kind: String,
    pub title: String,
    pub title_en: String,
    pub area_code: String,
    pub area_name: String,
    pub area_name_en: String,
    pub area_level: String,
    pub policy: String,
    pub insurance_year: i32,
    pub as_of: NaiveDate,
    pub collection_start: NaiveDate,
    pub collection_end: NaiveDate,
    /// The last on-time payment day after the as-of day, and the days left until it.
    pub deadline: NaiveDate,
    pub days_to_deadline: i64,
    pub generated_at: DateTime<Utc>,
    /// The footer: as-of time and the data's scope, in Chinese and English.
    pub footer: String,
    pub footer_en: String,
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WeeklyReport {
    pub header: ReportHeader,
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
    /// For a village: its unenrolled people from the ledger, with reasons.
    pub unenrolled: Option<Vec<LedgerEntry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrendSeries {
    pub area_code: String,
    pub area_name: String,
    /// (reporting day, enrolled by then, coverage % of should-enrol).
    pub points: Vec<(NaiveDate, i64, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Dashboard {
    pub header: ReportHeader,
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
    pub trend: Vec<TrendSeries>,
    /// Server-rendered charts (readable without JavaScript, printable).
    pub coverage_svg: String,
    pub trend_svg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundRow {
    pub category: String,
    pub category_name: String,
    pub certified_by: Option<String>,
    /// Who pays: the finance office (财政), or for advanced-and-settled groups the
    /// department the advance is settled with.
    pub paying_department: String,
    pub advanced_settled: bool,
    pub head_count: i64,
    pub per_head: Money,
    pub amount: Money,
    pub notice: String,
    pub clause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundRequest {
    pub header: ReportHeader,
    /// Subsidies the finance office pays.
    pub rows: Vec<FundRow>,
    /// Advanced now, settled later with the named department (Rugao).
    pub advanced_rows: Vec<FundRow>,
    pub head_count: i64,
    pub total: Money,
    pub advanced_total: Money,
}

/// A column of the statistics form; `supported == false` columns are blank by design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatColumn {
    pub key: String,
    pub group: String,
    pub label: String,
    pub supported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatRow {
    pub area_code: String,
    pub area_name: String,
    pub values: Vec<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatisticsForm {
    pub header: ReportHeader,
    pub columns: Vec<StatColumn>,
    pub rows: Vec<StatRow>,
    pub total: StatRow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RankRow {
    pub rank: u32,
    pub area_code: String,
    pub area_name: String,
    pub should_enrol: i64,
    pub enrolled: i64,
    pub coverage_percent: Decimal,
    pub students: i64,
    pub students_enrolled: i64,
    pub student_percent: Decimal,
    pub last_year_percent: Decimal,
    /// Percentage points over last year (may be negative).
    pub improvement: Decimal,
    pub score: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ranking {
    pub header: ReportHeader,
    pub formula: String,
    pub formula_en: String,
    pub notice: String,
    pub clause: String,
    pub rows: Vec<RankRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IncentiveRow {
    pub area_code: String,
    pub area_name: String,
    pub target: Option<i64>,
    pub target_assumed: bool,
    pub enrolled: i64,
    pub met: bool,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Incentive {
    pub header: ReportHeader,
    pub per_head: Money,
    pub notice: String,
    pub clause: String,
    pub rows: Vec<IncentiveRow>,
    pub total: Money,
}

/// Any report, for the one REST endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Report {
    Weekly(WeeklyReport),
    Dashboard(Dashboard),
    Fund(FundRequest),
    Statistics(StatisticsForm),
    Ranking(Ranking),
    Incentive(Incentive),
}

impl Report {
    pub fn header(&self) -> &ReportHeader {
        match self {
            Report::Weekly(r) => &r.header,
            Report::Dashboard(r) => &r.header,
            Report::Fund(r) => &r.header,
            Report::Statistics(r) => &r.header,
            Report::Ranking(r) => &r.header,
            Report::Incentive(r) => &r.header,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Where, when, which policy

/// The resolved request: the area, its sub-areas, the pack and the as-of day.
pub struct Ctx<'a> {
    pub area: AreaNode,
    pub prefix: String,
    pub pack: &'a PolicyPack,
    pub as_of: NaiveDate,
    pub children: Vec<AreaNode>,
}

fn may_report(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::Resident => Err(AppError::forbidden(
            "reports_forbidden",
            "只有工作人员可以查看统计报表",
            "Only staff can see reports",
        )),
        _ => Ok(()),
    }
}

fn unknown_kind(kind: &str) -> AppError {
    AppError::not_found(
        "report_not_found",
        format!("没有名为“{kind}”的报表"),
        format!("No report called {kind:?}"),
    )
}

/// Resolves area, pack and as-of day, with the errors the issue lists: an unknown area
/// 404, an area out of scope 403, an as-of day in the future or before the collection
/// period 422.
pub async fn context<'a>(state: &'a AppState, actor: &Actor, q: &ReportQuery) -> Result<Ctx<'a>, AppError> {
    may_report(actor)?;
    let own = actor
        .staff_scope()
        .map(|_| actor.account.area_code.clone().unwrap_or_default())?;
    let code = q
        .area
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&own)
        .to_owned();
    let area = crate::store::areas::get(&state.db, &code).await?.ok_or_else(|| {
        AppError::not_found(
            "area_not_found",
            format!("未找到区划代码 {code}"),
            format!("No area with code {code}"),
        )
    })?;
    let prefix = area_prefix(&area.code).to_owned();
    let scope = actor.staff_scope()?;
    if !prefix.starts_with(scope) {
        return Err(AppError::forbidden(
            "out_of_scope",
            "该地区不在您的管辖范围内",
            "This area is outside your scope",
        ));
    }
    let pack = pack_for_area(state, &prefix, q.year)?;
    let today = state.clock.today();
    let (start, end) = pack.collection_window();
    let as_of = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => today.min(end),
        Some(s) => domain::dates::parse_flexible(s).ok_or_else(|| {
            AppError::invalid(
                "as_of",
                "date_invalid",
                format!("截止日期“{s}”无效，请写成2022-10-08"),
                format!("Invalid as-of date {s:?}; write it as 2022-10-08"),
            )
        })?,
    };
    if as_of > today {
        return Err(AppError::invalid(
            "as_of",
            "as_of_future",
            format!("截止日期{as_of}晚于今天（{today}）"),
            format!("The as-of date {as_of} is after today ({today})"),
        ));
    }
    if as_of < start {
        return Err(AppError::invalid(
            "as_of",
            "as_of_before_collection",
            format!(
                "截止日期{as_of}早于{}{}年度参保缴费期的开始（{start}）",
                pack.jurisdiction, pack.insurance_year
            ),
            format!(
                "The as-of date {as_of} is before the {} {} collection period ({start})",
                pack.jurisdiction_en, pack.insurance_year
            ),
        ));
    }
    let children = crate::store::areas::children(&state.db, &area.code).await?;
    Ok(Ctx {
        area,
        prefix,
        pack,
        as_of,
        children,
    })
}

/// The pack that speaks for an area: it must lie inside one jurisdiction (or contain
/// exactly one); of that jurisdiction's years, the one asked for, else the one whose
/// collection is open, else the latest that has begun.
fn pack_for_area<'a>(state: &'a AppState, prefix: &str, year: Option<i32>) -> Result<&'a PolicyPack, AppError> {
    let mut cands: Vec<&PolicyPack> = state
        .policies
        .all()
        .filter(|p| {
            p.area_codes
                .iter()
                .any(|c| c.starts_with(prefix) || prefix.starts_with(c.as_str()))
        })
        .collect();
    let mut jurisdictions: Vec<&Vec<String>> = cands.iter().map(|p| &p.area_codes).collect();
    jurisdictions.sort();
    jurisdictions.dedup();
    if jurisdictions.len() > 1 {
        return Err(AppError::invalid(
            "area",
            "area_spans_jurisdictions",
            "该地区包含多个统筹地区，请选择其下的一个地区",
            "This area spans several jurisdictions; choose one below it",
        ));
    }
    if let Some(y) = year {
        cands.retain(|p| p.insurance_year == y);
        if cands.is_empty() {
            return Err(AppError::invalid(
                "year",
                "no_policy_for_year",
                format!("该地区没有{y}年度的参保政策"),
                format!("No policy for {y} covers this area"),
            ));
        }
    }
    let today = state.clock.today();
    if let Some(open) = cands.iter().find(|p| p.accepts_payment_on(today)) {
        return Ok(open);
    }
    cands.sort_by_key(|p| p.insurance_year);
    cands
        .iter()
        .rev()
        .find(|p| p.collection_window().0 <= today)
        .or_else(|| cands.first())
        .copied()
        .ok_or_else(|| {
            AppError::invalid(
                "area",
                "no_policy_for_area",
                "该地区暂无参保政策，无法统计",
                "No policy covers this area, so there is nothing to report",
            )
        })
}

fn header(state: &AppState, ctx: &Ctx<'_>, kind: &str, title: String, title_en: String) -> ReportHeader {
    let (start, end) = ctx.pack.collection_window();
    let deadline = ctx.pack.payment_deadline(ctx.as_of);
    let now = state.clock.now();
    let local = (now + Duration::hours(8)).format("%Y-%m-%d %H:%M");
    ReportHeader {
        kind: kind.to_owned(),
        title,
        title_en,
        area_code: ctx.area.code.clone(),
        area_name: ctx.area.name.clone(),
        area_name_en: ctx.area.name_en.clone(),
        area_level: ctx.area.level.code().to_owned(),
        policy: ctx.pack.id.clone(),
        insurance_year: ctx.pack.insurance_year,
        as_of: ctx.as_of,
        collection_start: start,
        collection_end: end,
        deadline,
        days_to_deadline: (deadline - ctx.as_of).num_days().max(0),
        generated_at: now,
        footer: format!(
            "数据截至{}（{}北京时间生成）；范围：{}（{}）及其下级地区，{}年度，政策 {}。应参保 = 系统登记人员减去台账中已死亡、异地参保、参加职工医保、不符合条件的人员；已参保 = 截至当日已缴费（含全额资助）。",
            ctx.as_of, local, ctx.area.name, ctx.area.code, ctx.pack.insurance_year, ctx.pack.id
        ),
        footer_en: format!(
            "Data as of {} (generated {} Beijing time); scope: {} ({}) and the areas below it, insurance year {}, policy {}. Should enrol = people registered in the system minus those the ledger records as deceased, insured elsewhere, in employee insurance or ineligible; enrolled = paid (or fully subsidised) by that day.",
            ctx.as_of, local, ctx.area.name_en, ctx.area.code, ctx.pack.insurance_year, ctx.pack.id
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Counting

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    roster: i64,
    roster_local: i64,
    excluded: i64,
    excluded_local: i64,
    enrolled: i64,
    enrolled_local: i64,
    subsidised: i64,
    subsidised_local: i64,
    by_category: [i64; 5],
    employee: i64,
    elsewhere: i64,
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
fn bucket(category: &str) -> usize {
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
fn range(prefix: &str) -> (String, String) {
    (prefix.to_owned(), format!("{prefix}:"))
}

/// Counts per area-code prefix of `len` characters (one group per sub-area): the register,
/// the enrolled and the ledger's reasons for the unenrolled, from the counters of
/// migration 0008.
/// `students_born_by`: only students born on or before that day (the ranking's college
/// students).
async fn counts(
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
const LOCAL: &str = "CAST(CASE WHEN hukou_local THEN 1 ELSE 0 END AS BIGINT)";

type Groups = (
    Vec<(Option<String>, i64, i64)>,
    Vec<(Option<String>, i64, Option<String>, i64)>,
    Vec<(Option<String>, i64, String, i64)>,
);

/// The three groupings from the counters of migration 0008: a few rows per area and day,
/// however many people there are.
async fn counted(
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
async fn students(
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
async fn targets(state: &AppState, prefix: &str, year: i32) -> Result<HashMap<String, (i64, bool)>, AppError> {
    let rows: Vec<(String, i64, bool)> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT area_code, target_count, assumed FROM area_targets WHERE insurance_year = $1 AND area_code LIKE $2")
        .bind(year).bind(format!("{prefix}%")).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(c, n, a)| (c, (n, a))).collect())
}

/// An area's own target, else the sum of the targets below it (assumed if any part is).
fn target_of(code: &str, all: &HashMap<String, (i64, bool)>) -> Option<(i64, bool)> {
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
fn all_between(c: &str, code: &str, all: &HashMap<String, (i64, bool)>) -> bool {
    all.keys().any(|m| {
        m.as_str() != c
            && m.as_str() != code
            && m.len() < c.len()
            && c.starts_with(area_prefix(m))
            && m.starts_with(area_prefix(code))
    })
}

fn row_from(node: (&str, &str, &str), has_children: bool, c: &Counts, target: Option<(i64, bool)>) -> ReportRow {
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
async fn rows_for(
    state: &AppState,
    ctx: &Ctx<'_>,
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

// ---------------------------------------------------------------------------------------
// The reports

pub async fn weekly(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<WeeklyReport, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, total, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let unenrolled = if ctx.children.is_empty() && actor.role != Role::DepartmentOfficer {
        let lq = super::ledger::LedgerQuery {
            area: Some(ctx.area.code.clone()),
            year: Some(year),
            reason: None,
        };
        Some(super::ledger::ledger(state, actor, &lq).await?)
    } else {
        None
    };
    let h = header(
        state,
        &ctx,
        "weekly",
        format!("{}{}年度城乡居民医保参保缴费工作进度周报表", ctx.area.name, year),
        format!(
            "{} {year} resident insurance enrolment weekly progress report",
            ctx.area.name_en
        ),
    );
    Ok(WeeklyReport {
        header: h,
        rows,
        total,
        unenrolled,
    })
}

pub async fn dashboard(state: &AppState, actor: &Actor, q: &ReportQuery, lang: Lang) -> Result<Dashboard, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, total, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let trend = trend(state, &ctx, &rows, &total).await?;
    let h = header(
        state,
        &ctx,
        "dashboard",
        format!("{}{}年度参保进度", ctx.area.name, year),
        format!("{} {year} coverage dashboard", ctx.area.name_en),
    );
    Ok(Dashboard {
        coverage_svg: coverage_chart(&rows, lang),
        trend_svg: trend_chart(&trend, lang),
        header: h,
        rows,
        total,
        trend,
    })
}

/// Enrolled by each reporting day (Fridays from the start of collection to the as-of
/// day) per sub-area and in total, as counts and as coverage of today's should-enrol.
async fn trend(
    state: &AppState,
    ctx: &Ctx<'_>,
    rows: &[ReportRow],
    total: &ReportRow,
) -> Result<Vec<TrendSeries>, AppError> {
    let len = rows
        .iter()
        .map(|r| r.area_code.len())
        .max()
        .unwrap_or(ctx.area.code.len()) as i32;
    #[derive(sqlx::FromRow)]
    struct Paid {
        sub: Option<String>,
        day: Option<NaiveDate>,
        n: i64,
    }
    const SQL: &str = "SELECT SUBSTR(report_area, 1, $5) AS sub, paid_on AS day, CAST(SUM(n) AS BIGINT) AS n
        FROM report_enrolled
        WHERE insurance_year = $1 AND report_area >= $3 AND report_area < $4 AND paid_on <= $2
        GROUP BY 1, 2";
    let (lo, hi) = range(&ctx.prefix);
    let paid: Vec<Paid> = with_pool!(&state.db, p => sqlx::query_as(SQL)
        .bind(ctx.pack.insurance_year).bind(ctx.as_of).bind(&lo).bind(&hi).bind(len)
        .fetch_all(p).await)?;
    let (start, _) = ctx.pack.collection_window();
    let days = weekly_points(start, ctx.as_of);
    let mut series: Vec<TrendSeries> = Vec::new();
    let mut add = |code: &str, name: &str, should: i64, filter: &dyn Fn(&str) -> bool| {
        let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for p in paid.iter().filter(|p| filter(p.sub.as_deref().unwrap_or(""))) {
            if let Some(d) = p.day {
                *by_day.entry(d).or_default() += p.n;
            }
        }
        let points = days
            .iter()
            .map(|d| {
                let n: i64 = by_day.range(..=*d).map(|(_, n)| n).sum();
                (*d, n, percent(n, should))
            })
            .collect();
        series.push(TrendSeries {
            area_code: code.to_owned(),
            area_name: name.to_owned(),
            points,
        });
    };
    add(&total.area_code, &total.area_name, total.should_enrol, &|_| true);
    for r in rows {
        let p = area_prefix(&r.area_code).to_owned();
        let exact = !r.has_children && r.area_code == ctx.area.code && !ctx.children.is_empty();
        add(&r.area_code, &r.area_name, r.should_enrol, &|sub: &str| {
            if exact {
                sub == p
            } else {
                sub.starts_with(&p)
            }
        });
    }
    Ok(series)
}

pub async fn fund_request(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<FundRequest, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (lo, hi) = range(&ctx.prefix);
    let rows: Vec<(Option<String>, i64, i64, i64)> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT e.applied_category, e.subsidy_fen, COUNT(*), CAST(SUM(e.subsidy_fen) AS BIGINT)
         FROM enrolments e
         WHERE e.insurance_year = $1 AND e.report_area >= $3 AND e.report_area < $4
           AND e.paid_on <= $2 AND e.status IN ('paid', 'ended') AND e.subsidy_fen > 0
         GROUP BY 1, 2 ORDER BY 1, 2")
        .bind(year).bind(ctx.as_of).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let mut finance = Vec::new();
    let mut advanced = Vec::new();
    for (cat, per, n, sum) in rows {
        let code = cat.unwrap_or_default();
        let category = Category::from_code(&code);
        let rule = category.and_then(|c| ctx.pack.categories.iter().find(|r| r.category == c));
        let settled = rule.and_then(|r| match &r.subsidy {
            SubsidyMode::AdvancedSettled { settled_with } => Some(settled_with.clone()),
            _ => None,
        });
        let dept_name = |code: &str| Department::from_code(code).map_or(code.to_owned(), |d| d.name_zh().to_owned());
        let row = FundRow {
            category_name: category.map_or(code.clone(), |c| c.name_zh().to_owned()),
            category: code,
            certified_by: rule.and_then(|r| r.certified_by.as_deref()).map(dept_name),
            paying_department: settled.as_deref().map_or_else(|| "财政局".to_owned(), dept_name),
            advanced_settled: settled.is_some(),
            head_count: n,
            per_head: Money::from_fen(per),
            amount: Money::from_fen(sum),
            notice: rule.map(|r| r.notice.to_string()).unwrap_or_default(),
            clause: rule.map(|r| r.clause.to_string()).unwrap_or_default(),
        };
        if row.advanced_settled {
            advanced.push(row);
        } else {
            finance.push(row);
        }
    }
    let sum = |rows: &[FundRow]| rows.iter().fold(Money::ZERO, |a, r| a + r.amount);
    let h = header(
        state,
        &ctx,
        "fund-request",
        format!("{}{}年度城乡居民医保资助参保资金申请表", ctx.area.name, year),
        format!("{} {year} subsidy fund request", ctx.area.name_en),
    );
    Ok(FundRequest {
        header: h,
        head_count: finance.iter().chain(&advanced).map(|r| r.head_count).sum(),
        total: sum(&finance),
        advanced_total: sum(&advanced),
        rows: finance,
        advanced_rows: advanced,
    })
}

/// The columns of Lishi's 附件6 the system can fill, and those it cannot (blank).
const STAT_COLUMNS: [(&str, &str, &str, bool); 20] = [
    ("A1", "", "应参保人数", true),
    ("A2", "", "实际参保人数", true),
    ("A3", "", "未参保人数", true),
    ("local", "相关人数", "户籍人数（应参保）", true),
    (
        "non_local",
        "相关人数",
        "外地户籍长期本地居住持有本地居住证人数（应参保）",
        true,
    ),
    ("local_only", "相关人数", "长期本地居住无外地居住证的户籍人数", false),
    ("away_permit", "相关人数", "长期外地居住持有外地居住证人数", false),
    ("employee", "职工医保", "参加职工医保人数（台账记录）", true),
    ("employee_staff", "职工医保", "职工", false),
    ("flexible", "职工医保", "灵活就业人员", false),
    ("resident_local", "居民医保", "户籍人口参保人数", true),
    (
        "resident_non_local",
        "居民医保",
        "外地户籍长期本地居住持有本地居住证参保人数",
        true,
    ),
    ("elsewhere", "居民医保", "参加外地医保人数（台账记录）", true),
    ("unenrolled", "居民医保", "未参保人数", true),
    ("tekun", "户籍困难群众资助参保对象", "特困人员 参保人数", true),
    ("dibao", "户籍困难群众资助参保对象", "低保对象 参保人数", true),
    ("fanpin", "户籍困难群众资助参保对象", "返贫致贫人口 参保人数", true),
    ("yifanpin", "户籍困难群众资助参保对象", "易返贫致贫人口 参保人数", true),
    ("other_subsidised", "户籍困难群众资助参保对象", "其他资助参保人数", true),
    ("note", "", "备注", false),
];

fn stat_values(r: &ReportRow) -> Vec<Option<i64>> {
    STAT_COLUMNS
        .iter()
        .map(|(key, ..)| match *key {
            "A1" => Some(r.should_enrol),
            "A2" => Some(r.enrolled),
            "A3" | "unenrolled" => Some(r.unenrolled),
            "local" => Some(r.should_local),
            "non_local" => Some(r.should_non_local),
            "employee" => Some(r.employee_insurance),
            "resident_local" => Some(r.enrolled_local),
            "resident_non_local" => Some(r.enrolled_non_local),
            "elsewhere" => Some(r.insured_elsewhere),
            "tekun" => Some(r.extreme_poverty),
            "dibao" => Some(r.minimum_living),
            "fanpin" => Some(r.returned_to_poverty),
            "yifanpin" => Some(r.at_risk_of_poverty),
            "other_subsidised" => Some(r.other_subsidised),
            _ => None,
        })
        .collect()
}

pub async fn statistics(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<StatisticsForm, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, total, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let h = header(
        state,
        &ctx,
        "statistics",
        format!("{}{}年度参保摸底情况统计表", ctx.area.name, year),
        format!("{} {year} enrolment census statistics", ctx.area.name_en),
    );
    let stat = |r: &ReportRow| StatRow {
        area_code: r.area_code.clone(),
        area_name: r.area_name.clone(),
        values: stat_values(r),
    };
    Ok(StatisticsForm {
        header: h,
        columns: STAT_COLUMNS
            .iter()
            .map(|(k, g, l, s)| StatColumn {
                key: (*k).into(),
                group: (*g).into(),
                label: (*l).into(),
                supported: *s,
            })
            .collect(),
        rows: rows.iter().map(stat).collect(),
        total: stat(&total),
    })
}

pub async fn ranking(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<Ranking, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, _, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let born_by = NaiveDate::from_ymd_opt(year - COLLEGE_AGE, 1, 1);
    let (students, _, _) = rows_for(state, &ctx, year, ctx.as_of, born_by).await?;
    let last_day = ctx
        .as_of
        .with_year(ctx.as_of.year() - 1)
        .unwrap_or(ctx.as_of - Duration::days(365));
    let (last, _, _) = rows_for(state, &ctx, year - 1, last_day, None).await?;
    let mut out: Vec<RankRow> = rows
        .iter()
        .zip(&students)
        .zip(&last)
        .map(|((r, s), l)| RankRow {
            rank: 0,
            area_code: r.area_code.clone(),
            area_name: r.area_name.clone(),
            should_enrol: r.should_enrol,
            enrolled: r.enrolled,
            coverage_percent: r.coverage_percent,
            students: s.should_enrol,
            students_enrolled: s.enrolled,
            student_percent: s.coverage_percent,
            last_year_percent: l.coverage_percent,
            improvement: r.coverage_percent - l.coverage_percent,
            score: Decimal::ZERO,
        })
        .collect();
    let values: Vec<Vec<Decimal>> = out
        .iter()
        .map(|r| vec![r.coverage_percent, r.student_percent, r.improvement])
        .collect();
    let weights = [
        Indicator { weight: 60 },
        Indicator { weight: 25 },
        Indicator { weight: 15 },
    ];
    for (r, s) in out.iter_mut().zip(efficacy_scores(&values, &weights)) {
        r.score = s;
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.area_code.cmp(&b.area_code)));
    let mut rank = 0;
    let mut prev: Option<Decimal> = None;
    for (i, r) in out.iter_mut().enumerate() {
        if prev != Some(r.score) {
            rank = i as u32 + 1;
            prev = Some(r.score);
        }
        r.rank = rank;
    }
    let h = header(
        state,
        &ctx,
        "ranking",
        format!("{}{}年度参保工作量化排名", ctx.area.name, year),
        format!("{} {year} enrolment ranking", ctx.area.name_en),
    );
    Ok(Ranking {
        header: h,
        formula: format!(
            "得分 = 60×d(总体参保率) + 25×d(大中专学生参保率) + 15×d(较上年提升幅度)，再除以100；功效系数 d = 60 + 40×(x − 最小值)/(最大值 − 最小值)（各单位相同时 d = 100）。参保率 = 已参保 ÷ 应参保；大中专学生按登记为学生且{COLLEGE_AGE}周岁以上（{year}年1月1日）计（系统未记录学校类别，为假设）；提升幅度 = 本年参保率 − 上年同日参保率（百分点）。"
        ),
        formula_en: format!(
            "Score = (60×d(overall coverage) + 25×d(college-student coverage) + 15×d(improvement over last year)) / 100, with the efficacy coefficient d = 60 + 40×(x − min)/(max − min) (d = 100 when all units are equal). Coverage = enrolled ÷ should enrol; college students are people marked as students aged {COLLEGE_AGE}+ on 1 January {year} (the system does not record the school type: an assumption); improvement = this year's coverage − last year's on the same day, in percentage points."
        ),
        notice: WEIFANG_NOTICE.into(),
        clause: WEIFANG_CLAUSE.into(),
        rows: out,
    })
}

pub async fn incentive_report(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<Incentive, AppError> {
    let ctx = context(state, actor, q).await?;
    if !ctx.pack.id.starts_with("rugao") {
        return Err(AppError::invalid(
            "area",
            "no_incentive_rule",
            "只有如皋的通知规定了按参保人数的考核补助，请选择如皋的地区",
            "Only Rugao's notice sets a per-head incentive; choose an area in Rugao",
        ));
    }
    let year = ctx.pack.insurance_year;
    // Villages: the children of a township, or every village below a wider area.
    let len = 12;
    let groups = counts(state, &ctx.prefix, len, year, ctx.as_of, None).await?;
    let all_targets = targets(state, &ctx.prefix, year).await?;
    let villages: Vec<AreaNode> = crate::store::areas::list(&state.db)
        .await?
        .into_iter()
        .filter(|a| a.level == crate::model::AreaLevel::Village && a.code.starts_with(&ctx.prefix))
        .collect();
    let per_head = Money::from_fen(RUGAO_PER_HEAD_FEN);
    let rows: Vec<IncentiveRow> = villages
        .iter()
        .map(|v| {
            let enrolled = groups.get(&v.code).map_or(0, |c| c.enrolled);
            let t = all_targets.get(&v.code).copied();
            let amount = incentive(enrolled, t.map(|t| t.0), per_head);
            IncentiveRow {
                area_code: v.code.clone(),
                area_name: v.name.clone(),
                target: t.map(|t| t.0),
                target_assumed: t.is_some_and(|t| t.1),
                enrolled,
                met: t.is_some_and(|t| enrolled >= t.0),
                amount,
            }
        })
        .collect();
    let h = header(
        state,
        &ctx,
        "incentive",
        format!("{}{}年度村(社区)征缴考核补助", ctx.area.name, year),
        format!("{} {year} village incentive", ctx.area.name_en),
    );
    Ok(Incentive {
        header: h,
        per_head,
        notice: RUGAO_NOTICE.into(),
        clause: RUGAO_CLAUSE.into(),
        total: rows.iter().fold(Money::ZERO, |a, r| a + r.amount),
        rows,
    })
}

/// Any report by its kind.
pub async fn report(
    state: &AppState,
    actor: &Actor,
    kind: &str,
    q: &ReportQuery,
    lang: Lang,
) -> Result<Report, AppError> {
    Ok(match kind {
        "weekly" => Report::Weekly(weekly(state, actor, q).await?),
        "dashboard" => Report::Dashboard(dashboard(state, actor, q, lang).await?),
        "fund-request" => Report::Fund(fund_request(state, actor, q).await?),
        "statistics" => Report::Statistics(statistics(state, actor, q).await?),
        "ranking" => Report::Ranking(ranking(state, actor, q).await?),
        "incentive" => Report::Incentive(incentive_report(state, actor, q).await?),
        other => return Err(unknown_kind(other)),
    })
}

pub use super::report_render::{coverage_chart, html, trend_chart, xlsx};
