//! What every report starts from: the query, the resolved area / pack / as-of day, and
//! the header each report carries.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::policy::PolicyPack;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{area_prefix, AreaLevel, AreaNode, Role};
use crate::services::access::Actor;
use crate::services::AppState;

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

impl ReportHeader {
    /// The heading of a report's first column, in Chinese and English: its rows are the
    /// area's sub-areas (the forms print 乡镇（街道）, right for a county's report; a
    /// township's rows are villages).
    pub fn rows_heading(&self) -> (&'static str, &'static str) {
        match AreaLevel::from_code(&self.area_level).and_then(AreaLevel::child) {
            Some(AreaLevel::City) => ("市（地区）", "City"),
            Some(AreaLevel::District) => ("县（市、区）", "County or district"),
            Some(AreaLevel::Township) => ("乡镇（街道）", "Township or subdistrict"),
            Some(AreaLevel::Village) | None | Some(AreaLevel::Country) => ("村（社区）", "Village or community"),
        }
    }
}

/// The resolved request: the area, its sub-areas, the pack and the as-of day.
pub struct Ctx {
    pub area: AreaNode,
    pub prefix: String,
    /// The pack that speaks for the area (a copy: the registry may be replaced meanwhile).
    pub pack: PolicyPack,
    pub as_of: NaiveDate,
    pub children: Vec<AreaNode>,
}

pub(super) fn may_report(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::Resident => Err(AppError::forbidden(
            "reports_forbidden",
            "只有工作人员可以查看统计报表",
            "Only staff can see reports",
        )),
        _ => Ok(()),
    }
}

pub(super) fn unknown_kind(kind: &str) -> AppError {
    AppError::not_found(
        "report_not_found",
        format!("没有名为“{kind}”的报表"),
        format!("No report called {kind:?}"),
    )
}

/// Resolves area, pack and as-of day, with the errors the issue lists: an unknown area
/// 404, an area out of scope 403, an as-of day in the future or before the collection
/// period 422.
pub async fn context(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<Ctx, AppError> {
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
    let policies = state.policies.current();
    let pack = policies.for_report(&prefix, q.year, state.clock.today())?.clone();
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

pub(super) fn header(state: &AppState, ctx: &Ctx, kind: &str, title: String, title_en: String) -> ReportHeader {
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
