//! The per-head incentive for villages that met their target, at the rate the pack's
//! notice sets (Rugao 六、(三)2.); areas whose notice sets none have no incentive.

use domain::report::incentive;
use domain::Money;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::AreaNode;
use crate::services::access::Actor;
use crate::services::AppState;

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

pub async fn incentive_report(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<Incentive, AppError> {
    let ctx = context(state, actor, q).await?;
    let Some(rule) = ctx.pack.reports.incentive.as_ref() else {
        return Err(AppError::invalid(
            "area",
            "no_incentive_rule",
            "只有如皋的通知规定了按参保人数的考核补助，请选择如皋的地区",
            "Only Rugao's notice sets a per-head incentive; choose an area in Rugao",
        ));
    };
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
    let per_head = rule.per_head;
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
        notice: rule.notice.to_string(),
        clause: rule.clause.to_string(),
        total: rows.iter().fold(Money::ZERO, |a, r| a + r.amount),
        rows,
    })
}

pub(super) fn incentive_html(r: &Incentive, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str(&format!(
        "<p>{} {} {}（{} {}）</p>",
        pick(
            lang,
            "完成任务的村（社区）按实际征缴人数每人",
            "Villages that met their target earn, per person enrolled,"
        ),
        r.per_head,
        pick(lang, "元。", "yuan."),
        esc(&r.notice),
        esc(&r.clause)
    ));
    s.push_str(
        "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"incentive-table\"><thead><tr>",
    );
    s.push_str(&th(&[
        pick(lang, "村（社区）", "Village"),
        pick(lang, "任务数", "Target"),
        pick(lang, "实际征缴人数", "Enrolled"),
        pick(lang, "完成", "Met"),
        pick(lang, "补助（元）", "Incentive (yuan)"),
    ]));
    s.push_str("</tr></thead><tbody>");
    for x in &r.rows {
        s.push_str(&format!(
            "<tr data-area=\"{}\"><th scope=\"row\">{}</th>{}{}<td>{}</td>{}</tr>",
            esc(&x.area_code),
            esc(&x.area_name),
            target_cell(x.target, x.target_assumed),
            num(x.enrolled),
            if x.met { "✓" } else { "✗" },
            money(x.amount)
        ));
    }
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\"><th scope=\"row\" colspan=\"4\">{}</th>{}</tr></tfoot></table></div>",
        pick(lang, "合计", "Total"),
        money(r.total)
    ));
    if r.rows.iter().any(|x| x.target_assumed) {
        s.push_str(&format!(
            "<p class=\"muted\">* {}</p>",
            pick(
                lang,
                "附表1未随通知文本提供，村级任务数为演示拆分（合计62390）。",
                "The notice's table 1 is not in the text; the village targets are a demo split (total 62,390)."
            )
        ));
    }
    s.push_str(&footer(&r.header, lang));
    s
}

impl ReportKind for Incentive {
    const KIND: &'static str = "incentive";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, _lang: Lang) -> Result<Self, AppError> {
        incentive_report(state, actor, q).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        incentive_html(self, lang)
    }

    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        let (inc, h) = (self, &self.header);
        book_with("考核补助", |s| {
            let head = ["村（社区）", "任务数", "实际征缴人数", "是否完成", "补助（元）"];
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in &inc.rows {
                s.text(row, 0, &x.area_name)?;
                match x.target {
                    Some(t) => s.count(row, 1, t)?,
                    None => s.text(row, 1, "")?,
                }
                s.count(row, 2, x.enrolled)?;
                s.text(row, 3, if x.met { "是" } else { "否" })?;
                s.decimal(row, 4, x.amount)?;
                row += 1;
            }
            s.text(row, 0, "合计")?;
            s.decimal(row, 4, inc.total)?;
            sheet_foot(s, row + 1, h)
        })
        .map(Some)
    }
}
