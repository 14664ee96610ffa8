//! The subsidy fund request: heads and amounts per category and paying department.

use domain::policy::{Category, SubsidyMode};
use domain::Money;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::Department;
use crate::services::access::Actor;
use crate::services::AppState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundRow {
    pub category: String,
    pub category_name: String,
    pub certified_by: Option<String>,
    /// Who pays: the finance office (财政), or for advanced-and-settled groups the
    /// department the advance is settled with.
    pub paying_department: String,
    /// The three names above in English.
    #[serde(default)]
    pub category_name_en: String,
    #[serde(default)]
    pub certified_by_en: Option<String>,
    #[serde(default)]
    pub paying_department_en: String,
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

pub async fn fund_request(state: &AppState, actor: &Actor, q: &ReportQuery) -> Result<FundRequest, AppError> {
    let ctx = context(state, actor, q).await?;
    let year = ctx.pack.insurance_year;
    let (lo, hi) = range(&ctx.prefix);
    let rows = subsidies_paid(&state.db, year, ctx.as_of, (&lo, &hi)).await?;
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
        let dept_en = |code: &str| Department::from_code(code).map_or(code.to_owned(), |d| d.name_en().to_owned());
        let certified_by = rule.and_then(|r| r.certified_by.as_deref());
        let row = FundRow {
            category_name: category.map_or(code.clone(), |c| c.name_zh().to_owned()),
            category_name_en: category.map_or(code.clone(), |c| c.name_en().to_owned()),
            category: code,
            certified_by: certified_by.map(dept_name),
            certified_by_en: certified_by.map(dept_en),
            paying_department: settled.as_deref().map_or_else(|| "财政局".to_owned(), dept_name),
            paying_department_en: settled.as_deref().map_or_else(|| "Finance bureau".to_owned(), dept_en),
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

pub(super) fn fund_table(rows: &[FundRow], lang: Lang, testid: &str, total: Money) -> String {
    let mut s = format!(
        "<div class=\"table-wrap\" tabindex=\"0\"><table class=\"report\" data-testid=\"{testid}\"><thead><tr>"
    );
    s.push_str(&th(&[
        pick(lang, "人员类别", "Category"),
        pick(lang, "认定部门", "Certified by"),
        pick(lang, "资金来源 / 结算部门", "Paid by / settled with"),
        pick(lang, "人数", "Head count"),
        pick(lang, "人均资助（元）", "Per head (yuan)"),
        pick(lang, "金额（元）", "Amount (yuan)"),
        pick(lang, "依据", "Source"),
    ]));
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}{}{}<td class=\"muted\">{} {}</td></tr>",
            esc(pick(lang, &r.category_name, &r.category_name_en)),
            esc(match lang {
                Lang::Zh => r.certified_by.as_deref().unwrap_or(""),
                Lang::En => r.certified_by_en.as_deref().unwrap_or(""),
            }),
            esc(pick(lang, &r.paying_department, &r.paying_department_en)),
            num(r.head_count),
            money(r.per_head),
            money(r.amount),
            esc(&r.notice),
            esc(&r.clause)
        ));
    }
    let heads: i64 = rows.iter().map(|r| r.head_count).sum();
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\"><th scope=\"row\" colspan=\"3\">{}</th>{}<td></td>{}<td></td></tr></tfoot></table></div>",
        pick(lang, "合计", "Total"),
        num(heads),
        money(total)
    ));
    s
}

pub(super) fn fund_html(r: &FundRequest, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str(&format!(
        "<h2>{}</h2>",
        pick(lang, "财政资助", "Paid by the finance office")
    ));
    s.push_str(&fund_table(&r.rows, lang, "fund-table", r.total));
    if !r.advanced_rows.is_empty() {
        s.push_str(&format!(
            "<h2>{}</h2>",
            pick(lang, "财政代垫、事后结算", "Advanced now, settled later")
        ));
        s.push_str(&fund_table(&r.advanced_rows, lang, "advanced-table", r.advanced_total));
    }
    s.push_str(&footer(&r.header, lang));
    s
}

impl ReportKind for FundRequest {
    const KIND: &'static str = "fund-request";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, _lang: Lang) -> Result<Self, AppError> {
        fund_request(state, actor, q).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        fund_html(self, lang)
    }

    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        let (f, h) = (self, &self.header);
        book_with("资金申请", |s| {
            let head = [
                "人员类别",
                "认定部门",
                "资金来源/结算部门",
                "人数",
                "人均资助（元）",
                "金额（元）",
                "依据",
            ];
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in f.rows.iter().chain(&f.advanced_rows) {
                s.text(row, 0, &x.category_name)?;
                s.text(row, 1, x.certified_by.as_deref().unwrap_or(""))?;
                let payer = if x.advanced_settled {
                    format!("代垫，与{}结算", x.paying_department)
                } else {
                    x.paying_department.clone()
                };
                s.text(row, 2, &payer)?;
                s.count(row, 3, x.head_count)?;
                s.decimal(row, 4, x.per_head)?;
                s.decimal(row, 5, x.amount)?;
                s.text(row, 6, &format!("{} {}", x.notice, x.clause))?;
                row += 1;
            }
            s.text(row, 0, "合计")?;
            s.count(row, 3, f.head_count)?;
            s.decimal(row, 5, f.total + f.advanced_total)?;
            sheet_foot(s, row + 1, h)
        })
        .map(Some)
    }
}
