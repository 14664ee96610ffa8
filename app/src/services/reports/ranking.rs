//! A ranking of areas by the efficacy coefficient method, with the weights the pack's notice
//! sets (Weifang 七、); areas whose notice sets none have no ranking.

use chrono::{Datelike, Duration, NaiveDate};
use domain::report::{efficacy_scores, Indicator};
use domain::Decimal;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::services::access::Actor;
use crate::services::AppState;

/// Age from which a person marked as a student counts as a college student (大中专学生):
/// the system records "student", not the school type (an assumption, stated on the page).
pub(super) const COLLEGE_AGE: i32 = 16;

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

pub async fn ranking(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<Ranking, AppError> {
    let ctx = context(state, actor, q).await?;
    let Some(rule) = ctx.pack.reports.ranking.as_ref() else {
        return Err(AppError::invalid(
            "area",
            "no_ranking_rule",
            "该地区的通知没有规定参保工作量化排名办法，请选择潍坊的地区",
            "This area's notice sets no ranking; choose an area in Weifang",
        ));
    };
    let (w1, w2, w3) = (
        rule.overall_points,
        rule.college_student_points,
        rule.improvement_points,
    );
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
        Indicator { weight: w1 },
        Indicator { weight: w2 },
        Indicator { weight: w3 },
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
            "得分 = {w1}×d(总体参保率) + {w2}×d(大中专学生参保率) + {w3}×d(较上年提升幅度)，再除以100；功效系数 d = 60 + 40×(x − 最小值)/(最大值 − 最小值)（各单位相同时 d = 100）。参保率 = 已参保 ÷ 应参保；大中专学生按登记为学生且{COLLEGE_AGE}周岁以上（{year}年1月1日）计（系统未记录学校类别，为假设）；提升幅度 = 本年参保率 − 上年同日参保率（百分点）。"
        ),
        formula_en: format!(
            "Score = ({w1}×d(overall coverage) + {w2}×d(college-student coverage) + {w3}×d(improvement over last year)) / 100, with the efficacy coefficient d = 60 + 40×(x − min)/(max − min) (d = 100 when all units are equal). Coverage = enrolled ÷ should enrol; college students are people marked as students aged {COLLEGE_AGE}+ on 1 January {year} (the system does not record the school type: an assumption); improvement = this year's coverage − last year's on the same day, in percentage points."
        ),
        notice: rule.notice.to_string(),
        clause: rule.clause.to_string(),
        rows: out,
    })
}

pub(super) fn ranking_html(r: &Ranking, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str(&format!(
        "<p data-testid=\"formula\">{}</p><p class=\"muted\">{} {}</p>",
        esc(pick(lang, &r.formula, &r.formula_en)),
        esc(&r.notice),
        esc(&r.clause)
    ));
    s.push_str(
        "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"ranking-table\"><thead><tr>",
    );
    s.push_str(&th(&[
        pick(lang, "名次", "Rank"),
        pick(lang, "地区", "Area"),
        pick(lang, "应参保", "Should enrol"),
        pick(lang, "已参保", "Enrolled"),
        pick(lang, "参保率%", "Coverage %"),
        pick(lang, "大中专学生", "College students"),
        pick(lang, "学生已参保", "Students enrolled"),
        pick(lang, "学生参保率%", "Student coverage %"),
        pick(lang, "上年参保率%", "Last year %"),
        pick(lang, "提升（百分点）", "Improvement (points)"),
        pick(lang, "得分", "Score"),
    ]));
    s.push_str("</tr></thead><tbody>");
    for x in &r.rows {
        s.push_str(&format!(
            "<tr data-area=\"{}\"><td class=\"num\">{}</td><th scope=\"row\">{}</th>{}{}{}{}{}{}{}{}{}</tr>",
            esc(&x.area_code),
            x.rank,
            esc(&x.area_name),
            num(x.should_enrol),
            num(x.enrolled),
            dec(x.coverage_percent),
            num(x.students),
            num(x.students_enrolled),
            dec(x.student_percent),
            dec(x.last_year_percent),
            dec(x.improvement),
            dec(x.score)
        ));
    }
    s.push_str("</tbody></table></div>");
    s.push_str(&footer(&r.header, lang));
    s
}

impl ReportKind for Ranking {
    const KIND: &'static str = "ranking";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, _lang: Lang) -> Result<Self, AppError> {
        ranking(state, actor, q).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        ranking_html(self, lang)
    }

    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        let (rk, h) = (self, &self.header);
        book_with("排名", |s| {
            let head = [
                "名次",
                "地区",
                "应参保",
                "已参保",
                "参保率%",
                "大中专学生",
                "学生已参保",
                "学生参保率%",
                "上年参保率%",
                "提升（百分点）",
                "得分",
            ];
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in &rk.rows {
                s.count(row, 0, i64::from(x.rank))?;
                s.text(row, 1, &x.area_name)?;
                s.count(row, 2, x.should_enrol)?;
                s.count(row, 3, x.enrolled)?;
                s.decimal(row, 4, format!("{:.2}", x.coverage_percent))?;
                s.count(row, 5, x.students)?;
                s.count(row, 6, x.students_enrolled)?;
                s.decimal(row, 7, format!("{:.2}", x.student_percent))?;
                s.decimal(row, 8, format!("{:.2}", x.last_year_percent))?;
                s.decimal(row, 9, format!("{:.2}", x.improvement))?;
                s.decimal(row, 10, format!("{:.2}", x.score))?;
                row += 1;
            }
            s.ws.write_string(row + 1, 0, &rk.formula).map_err(xerr)?;
            sheet_foot(s, row + 2, h)
        })
        .map(Some)
    }
}
