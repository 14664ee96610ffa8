//! Lishi's weekly progress form (附件5).

use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::{LedgerEntry, Role};
use crate::services::access::Actor;
use crate::services::AppState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WeeklyReport {
    pub header: ReportHeader,
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
    /// For a village: its unenrolled people from the ledger, with reasons.
    pub unenrolled: Option<Vec<LedgerEntry>>,
}

pub async fn weekly(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<WeeklyReport, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (rows, total, _) = rows_for(state, &ctx, year, ctx.as_of, None).await?;
    let unenrolled = if ctx.children.is_empty() && actor.role != Role::DepartmentOfficer {
        let lq = crate::services::ledger::LedgerQuery {
            area: Some(ctx.area.code.clone()),
            year: Some(year),
            reason: None,
        };
        Some(crate::services::ledger::ledger(state, actor, &lq).await?)
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

pub(super) const WEEKLY_HEAD_ZH: [&str; 17] = [
    "乡镇（街道）",
    "任务数",
    "应参保总人数",
    "其中：本地户籍应参人数",
    "其中：外地户籍持本地居住证应参人数",
    "目前已参保总人数",
    "参保率%",
    "自费参保：本地居民",
    "自费参保：外籍户口",
    "资助参保：特困人员",
    "资助参保：低保对象",
    "资助参保：易致贫返贫人员",
    "资助参保：返贫人员",
    "资助参保：其他",
    "差任务数",
    "完成任务%",
    "未参保人数",
];

pub(super) const WEEKLY_HEAD_EN: [&str; 17] = [
    "Area",
    "Target",
    "Should enrol",
    "of which local hukou",
    "of which non-local with residence permit",
    "Enrolled",
    "Coverage %",
    "Self-paid: local",
    "Self-paid: non-local",
    "Subsidised: 特困",
    "Subsidised: 低保",
    "Subsidised: 易返贫致贫",
    "Subsidised: 返贫致贫",
    "Subsidised: other",
    "Gap to target",
    "Target done %",
    "Unenrolled",
];

pub(super) fn weekly_cells(r: &ReportRow) -> String {
    [
        target_cell(r.target, r.target_assumed),
        num(r.should_enrol),
        num(r.should_local),
        num(r.should_non_local),
        num(r.enrolled),
        dec(r.coverage_percent),
        num(r.self_paid_local),
        num(r.self_paid_non_local),
        num(r.extreme_poverty),
        num(r.minimum_living),
        num(r.at_risk_of_poverty),
        num(r.returned_to_poverty),
        num(r.other_subsidised),
        num(r.gap),
        dec(r.target_percent),
        num(r.unenrolled),
    ]
    .concat()
}

pub(super) fn weekly_html(r: &WeeklyReport, lang: Lang) -> String {
    let h = &r.header;
    let mut s = caption(h, lang);
    let mut head = match lang {
        Lang::Zh => WEEKLY_HEAD_ZH,
        Lang::En => WEEKLY_HEAD_EN,
    };
    let (zh, en) = h.rows_heading();
    head[0] = pick(lang, zh, en);
    s.push_str(
        "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"weekly-table\"><thead><tr>",
    );
    s.push_str(&th(&head));
    s.push_str("</tr></thead><tbody>");
    for row in &r.rows {
        let name = pick(lang, &row.area_name, &row.area_name_en);
        let cell = if row.area_code != h.area_code {
            link(h, "weekly", &row.area_code, name)
        } else {
            esc(name)
        };
        s.push_str(&format!(
            "<tr data-area=\"{}\"><th scope=\"row\">{cell}</th>{}</tr>",
            esc(&row.area_code),
            weekly_cells(row)
        ));
    }
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\"><th scope=\"row\">{}</th>{}</tr></tfoot></table></div>",
        pick(lang, "合计", "Total"),
        weekly_cells(&r.total)
    ));
    if r.rows.iter().any(|x| x.target_assumed) || r.total.target_assumed {
        s.push_str(&format!(
            "<p class=\"muted\">* {}</p>",
            pick(
                lang,
                "演示用的任务数拆分，并非通知原文数据。",
                "A demo split of the target, not a figure from the notice."
            )
        ));
    }
    if let Some(list) = &r.unenrolled {
        s.push_str(&format!(
            "<h2>{} ({})</h2>",
            pick(lang, "未参保人员", "Unenrolled people"),
            list.len()
        ));
        if list.is_empty() {
            s.push_str(&format!("<p>{}</p>", pick(lang, "无。", "None.")));
        } else {
            s.push_str(
                "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"unenrolled-table\"><thead><tr>",
            );
            s.push_str(&th(&[
                pick(lang, "姓名", "Name"),
                pick(lang, "身份证号", "ID number"),
                pick(lang, "原因", "Reason"),
                pick(lang, "走访次数", "Visits"),
                pick(lang, "最近走访", "Last visit"),
            ]));
            s.push_str("</tr></thead><tbody>");
            for e in list {
                let reason = if e.unpaid_enrolment {
                    pick(lang, "已登记未缴费", "Submitted, unpaid").to_owned()
                } else {
                    match lang {
                        Lang::Zh => crate::model::ledger_reason_zh(&e.reason).to_owned(),
                        Lang::En => crate::model::ledger_reason_en(&e.reason).to_owned(),
                    }
                };
                s.push_str(&format!(
                    "<tr data-testid=\"unenrolled-row\"><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
                    esc(&e.name),
                    esc(&e.id_number_masked),
                    esc(&reason),
                    num(e.visits),
                    e.last_visit.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
            s.push_str("</tbody></table></div>");
        }
    }
    s.push_str(&footer(h, lang));
    s
}

pub(super) fn weekly_xlsx_row(s: &mut Sheet<'_>, row: u32, name: &str, r: &ReportRow) -> Result<(), AppError> {
    s.text(row, 0, name)?;
    match r.target {
        Some(t) => s.count(row, 1, t)?,
        None => s.text(row, 1, "")?,
    }
    let counts = [r.should_enrol, r.should_local, r.should_non_local, r.enrolled];
    for (i, n) in counts.into_iter().enumerate() {
        s.count(row, 2 + i as u16, n)?;
    }
    s.decimal(row, 6, format!("{:.2}", r.coverage_percent))?;
    let rest = [
        r.self_paid_local,
        r.self_paid_non_local,
        r.extreme_poverty,
        r.minimum_living,
        r.at_risk_of_poverty,
        r.returned_to_poverty,
        r.other_subsidised,
        r.gap,
    ];
    for (i, n) in rest.into_iter().enumerate() {
        s.count(row, 7 + i as u16, n)?;
    }
    s.decimal(row, 15, format!("{:.2}", r.target_percent))?;
    s.count(row, 16, r.unenrolled)
}

impl ReportKind for WeeklyReport {
    const KIND: &'static str = "weekly";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, _lang: Lang) -> Result<Self, AppError> {
        weekly(state, actor, q).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        weekly_html(self, lang)
    }

    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        let (w, h) = (self, &self.header);
        book_with("周报表", |s| {
            let mut head = WEEKLY_HEAD_ZH;
            head[0] = h.rows_heading().0;
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in &w.rows {
                weekly_xlsx_row(s, row, &x.area_name, x)?;
                row += 1;
            }
            weekly_xlsx_row(s, row, "合计", &w.total)?;
            sheet_foot(s, row + 1, h)
        })
        .map(Some)
    }
}
