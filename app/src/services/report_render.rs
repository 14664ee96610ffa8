//! How reports look: HTML tables for the pages, XLSX laid out like the official forms,
//! and SVG charts — all rendered on the server, so they read without JavaScript, print,
//! and keep the browser bundle small.

use domain::{Decimal, Money};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::reports::*;
use crate::error::AppError;
use crate::i18n::Lang;

/// Escapes text for HTML content and attribute values (the sandbox pay page uses it too).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn th(cells: &[&str]) -> String {
    cells
        .iter()
        .map(|c| format!("<th scope=\"col\">{}</th>", esc(c)))
        .collect()
}

fn num(n: i64) -> String {
    format!("<td class=\"num\">{n}</td>")
}

fn dec(d: Decimal) -> String {
    format!("<td class=\"num\">{d:.2}</td>")
}

fn money(m: Money) -> String {
    format!("<td class=\"num\">{m}</td>")
}

fn target_cell(t: Option<i64>, assumed: bool) -> String {
    match t {
        Some(n) if assumed => format!("<td class=\"num\">{n}<sup title=\"demo\">*</sup></td>"),
        Some(n) => num(n),
        None => "<td class=\"num muted\">—</td>".into(),
    }
}

fn link(h: &ReportHeader, kind: &str, code: &str, name: &str) -> String {
    format!(
        "<a href=\"/reports/{kind}?area={}&amp;as_of={}\" data-testid=\"drill\">{}</a>",
        esc(code),
        h.as_of,
        esc(name)
    )
}

fn footer(h: &ReportHeader, lang: Lang) -> String {
    format!(
        "<p class=\"report-footer muted\" data-testid=\"report-footer\">{}</p>",
        esc(pick(lang, &h.footer, &h.footer_en))
    )
}

fn caption(h: &ReportHeader, lang: Lang) -> String {
    format!(
        "<p class=\"muted\" data-testid=\"report-head\">{} · {} {} · {} {}–{} · {} {} ({} {})</p>",
        esc(pick(lang, &h.area_name, &h.area_name_en)),
        pick(lang, "截止", "As of"),
        h.as_of,
        pick(lang, "参保缴费期", "Collection"),
        h.collection_start,
        h.collection_end,
        pick(lang, "缴费截止", "Deadline"),
        h.deadline,
        pick(lang, "剩余天数", "days left"),
        h.days_to_deadline
    )
}

const WEEKLY_HEAD_ZH: [&str; 17] = [
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
const WEEKLY_HEAD_EN: [&str; 17] = [
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

fn weekly_cells(r: &ReportRow) -> String {
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

fn weekly_html(r: &WeeklyReport, lang: Lang) -> String {
    let h = &r.header;
    let mut s = caption(h, lang);
    let head = match lang {
        Lang::Zh => WEEKLY_HEAD_ZH,
        Lang::En => WEEKLY_HEAD_EN,
    };
    s.push_str("<div class=\"table-wrap\"><table class=\"report\" data-testid=\"weekly-table\"><thead><tr>");
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
                "<div class=\"table-wrap\"><table class=\"report\" data-testid=\"unenrolled-table\"><thead><tr>",
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

fn fund_table(rows: &[FundRow], lang: Lang, testid: &str, total: Money) -> String {
    let mut s = format!("<div class=\"table-wrap\"><table class=\"report\" data-testid=\"{testid}\"><thead><tr>");
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
            esc(&r.category_name),
            esc(r.certified_by.as_deref().unwrap_or("")),
            esc(&r.paying_department),
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

fn fund_html(r: &FundRequest, lang: Lang) -> String {
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

fn statistics_html(r: &StatisticsForm, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str("<div class=\"table-wrap\"><table class=\"report\" data-testid=\"statistics-table\"><thead><tr>");
    s.push_str(&format!(
        "<th scope=\"col\">{}</th>",
        pick(lang, "乡镇（街道）", "Area")
    ));
    for c in &r.columns {
        let group = if c.group.is_empty() {
            String::new()
        } else {
            format!("{} · ", c.group)
        };
        let mark = if c.supported { "" } else { " †" };
        s.push_str(&format!(
            "<th scope=\"col\"{}>{}{}{}</th>",
            if c.supported { "" } else { " class=\"muted\"" },
            esc(&group),
            esc(&c.label),
            mark
        ));
    }
    s.push_str("</tr></thead><tbody>");
    let cells = |v: &[Option<i64>]| -> String {
        v.iter()
            .map(|x| x.map_or("<td class=\"num muted\">—</td>".to_owned(), num))
            .collect()
    };
    for row in &r.rows {
        s.push_str(&format!(
            "<tr><th scope=\"row\">{}</th>{}</tr>",
            esc(&row.area_name),
            cells(&row.values)
        ));
    }
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\"><th scope=\"row\">{}</th>{}</tr></tfoot></table></div>",
        pick(lang, "合计", "Total"),
        cells(&r.total.values)
    ));
    s.push_str(&format!(
        "<p class=\"muted\">† {}</p>",
        pick(
            lang,
            "系统无此数据（如职工医保参保、居住证去向），此列留空，由乡镇按摸底情况填写。",
            "The system does not hold this (e.g. employee insurance, residence permits elsewhere); left blank for the township to fill in."
        )
    ));
    s.push_str(&footer(&r.header, lang));
    s
}

fn ranking_html(r: &Ranking, lang: Lang) -> String {
    let mut s = caption(&r.header, lang);
    s.push_str(&format!(
        "<p data-testid=\"formula\">{}</p><p class=\"muted\">{} {}</p>",
        esc(pick(lang, &r.formula, &r.formula_en)),
        esc(&r.notice),
        esc(&r.clause)
    ));
    s.push_str("<div class=\"table-wrap\"><table class=\"report\" data-testid=\"ranking-table\"><thead><tr>");
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

fn incentive_html(r: &Incentive, lang: Lang) -> String {
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
    s.push_str("<div class=\"table-wrap\"><table class=\"report\" data-testid=\"incentive-table\"><thead><tr>");
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

fn dashboard_html(r: &Dashboard, lang: Lang) -> String {
    let h = &r.header;
    let mut s = format!(
        "<p class=\"countdown\" data-testid=\"countdown\"><strong>{}</strong> {} {}（{}）</p>",
        h.days_to_deadline,
        pick(lang, "天后缴费截止", "days to the payment deadline"),
        h.deadline,
        pick(lang, "集中缴费期", "concentrated period")
    );
    s.push_str(&caption(h, lang));
    s.push_str(&format!(
        "<h2>{}</h2><figure class=\"chart\">{}</figure>",
        pick(lang, "参保进度与任务", "Coverage against target"),
        r.coverage_svg
    ));
    s.push_str(&format!(
        "<h2>{}</h2><figure class=\"chart\">{}</figure>",
        pick(lang, "每周参保率", "Weekly coverage"),
        r.trend_svg
    ));
    s.push_str(&footer(h, lang));
    s
}

/// The page body for a report.
pub fn html(r: &Report, lang: Lang) -> String {
    match r {
        Report::Weekly(x) => weekly_html(x, lang),
        Report::Dashboard(x) => dashboard_html(x, lang),
        Report::Fund(x) => fund_html(x, lang),
        Report::Statistics(x) => statistics_html(x, lang),
        Report::Ranking(x) => ranking_html(x, lang),
        Report::Incentive(x) => incentive_html(x, lang),
    }
}

// ---------------------------------------------------------------------------------------
// Charts

/// A percentage as an SVG length on a scale where `full` percent spans `px` pixels.
fn scale(pct: Decimal, full: i64, px: i64) -> Decimal {
    let capped = pct.max(Decimal::ZERO).min(Decimal::from(full));
    (capped * Decimal::from(px) / Decimal::from(full)).round_dp(1)
}

const PALETTE: [&str; 8] = [
    "#1d6fb8", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d", "#a61e4d",
];

/// Horizontal bars, one per area: enrolled as a share of the target (of should-enrol
/// where an area has no target), with the target line at 100 %.
pub fn coverage_chart(rows: &[ReportRow], lang: Lang) -> String {
    const LABEL: i64 = 120;
    const PLOT: i64 = 200;
    const ROW: i64 = 30;
    const FULL: i64 = 120;
    let height = ROW * rows.len() as i64 + 30;
    let target_x = Decimal::from(LABEL) + scale(Decimal::ONE_HUNDRED, FULL, PLOT);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"coverage-chart\" viewBox=\"0 0 {} {height}\" width=\"100%\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        LABEL + PLOT + 70,
        pick(lang, "各地区完成任务比例", "Share of target enrolled per area"),
        pick(lang, "各地区完成任务比例", "Share of target enrolled per area"),
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as i64 * ROW + 6;
        let (pct, base) = match r.target {
            Some(_) => (r.target_percent, pick(lang, "任务", "target")),
            None => (r.coverage_percent, pick(lang, "应参保", "should enrol")),
        };
        let w = scale(pct, FULL, PLOT);
        let name = pick(lang, &r.area_name, &r.area_name_en);
        s.push_str(&format!(
            "<g class=\"bar\" data-area=\"{code}\"><text class=\"label\" x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{name}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{fill}\"><title>{name}: {enrolled} / {base} {pct:.2}%</title></rect><text class=\"value\" x=\"{vx}\" y=\"{ty}\" font-size=\"11\">{pct:.1}%</text></g>",
            code = esc(&r.area_code),
            lx = LABEL - 6,
            ty = y + 13,
            name = esc(name),
            fill = if pct >= Decimal::ONE_HUNDRED { "#2b8a3e" } else { "#1d6fb8" },
            enrolled = r.enrolled,
            vx = Decimal::from(LABEL) + w + Decimal::from(4),
        ));
    }
    s.push_str(&format!(
        "<line class=\"target\" x1=\"{target_x}\" x2=\"{target_x}\" y1=\"0\" y2=\"{}\" stroke=\"#c92a2a\" stroke-dasharray=\"4 3\"/><text x=\"{target_x}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#c92a2a\">100%</text></svg>",
        height - 22,
        height - 8
    ));
    s
}

/// Lines of weekly coverage (% of should-enrol), the whole area in bold.
pub fn trend_chart(series: &[TrendSeries], lang: Lang) -> String {
    const W: i64 = 320;
    const H: i64 = 160;
    const LEFT: i64 = 36;
    const TOP: i64 = 10;
    let n = series.first().map_or(0, |s| s.points.len()) as i64;
    let legend_h = 16 * series.len() as i64;
    let total_h = TOP + H + 24 + legend_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend-chart\" viewBox=\"0 0 {} {total_h}\" width=\"100%\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        LEFT + W + 10,
        t = pick(lang, "每周参保率走势", "Weekly coverage trend"),
    );
    for pct in [0, 50, 100] {
        let y = TOP + H - H * pct / 100;
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{pct}%</text>",
            LEFT + W,
            LEFT - 4,
            y + 3
        ));
    }
    if let (Some(first), Some(last)) = (
        series.first().and_then(|s| s.points.first()),
        series.first().and_then(|s| s.points.last()),
    ) {
        s.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            TOP + H + 14,
            first.0.format("%m-%d"),
            LEFT + W,
            TOP + H + 14,
            last.0.format("%m-%d")
        ));
    }
    for (i, line) in series.iter().enumerate() {
        let colour = if i == 0 {
            "#111"
        } else {
            PALETTE[(i - 1) % PALETTE.len()]
        };
        let points: Vec<String> = line
            .points
            .iter()
            .enumerate()
            .map(|(k, (_, _, pct))| {
                let x = if n <= 1 {
                    Decimal::from(LEFT + W)
                } else {
                    Decimal::from(LEFT) + Decimal::from(W * k as i64) / Decimal::from(n - 1)
                };
                let y = Decimal::from(TOP + H) - scale(*pct, 100, H);
                format!("{},{}", x.round_dp(1), y)
            })
            .collect();
        s.push_str(&format!(
            "<polyline class=\"series\" data-area=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{}\" points=\"{}\"/>",
            esc(&line.area_code),
            if i == 0 { 3 } else { 1 },
            points.join(" ")
        ));
        let ly = TOP + H + 24 + 16 * i as i64;
        let last = line.points.last().map(|p| p.2).unwrap_or_default();
        s.push_str(&format!(
            "<rect x=\"{LEFT}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{} {last:.1}%</text>",
            ly - 9,
            LEFT + 14,
            ly,
            esc(&line.area_name)
        ));
    }
    s.push_str("</svg>");
    s
}

// ---------------------------------------------------------------------------------------
// XLSX

struct Sheet<'a> {
    ws: &'a mut Worksheet,
    head: Format,
    cell: Format,
    title: Format,
}

fn xerr(e: XlsxError) -> AppError {
    AppError::internal("xlsx", e)
}

impl Sheet<'_> {
    fn title(&mut self, row: u32, cols: u16, text: &str) -> Result<(), AppError> {
        self.ws
            .merge_range(row, 0, row, cols - 1, text, &self.title)
            .map_err(xerr)?;
        Ok(())
    }
    fn text(&mut self, row: u32, col: u16, text: &str) -> Result<(), AppError> {
        self.ws
            .write_string_with_format(row, col, text, &self.cell)
            .map_err(xerr)?;
        Ok(())
    }
    fn header(&mut self, row: u32, cells: &[&str]) -> Result<(), AppError> {
        for (c, t) in cells.iter().enumerate() {
            self.ws
                .write_string_with_format(row, c as u16, *t, &self.head)
                .map_err(xerr)?;
        }
        Ok(())
    }
    fn count(&mut self, row: u32, col: u16, n: i64) -> Result<(), AppError> {
        // Head counts are whole numbers far below 2^53: exact as spreadsheet numbers.
        self.ws
            .write_number_with_format(row, col, n as f64, &self.cell)
            .map_err(xerr)?;
        Ok(())
    }
    /// Decimals (money, percentages) go in as text with their exact digits: the
    /// spreadsheet's own number type is binary floating point.
    fn decimal(&mut self, row: u32, col: u16, d: impl std::fmt::Display) -> Result<(), AppError> {
        self.text(row, col, &d.to_string())
    }
}

fn book_with<F>(name: &str, fill: F) -> Result<Vec<u8>, AppError>
where
    F: FnOnce(&mut Sheet<'_>) -> Result<(), AppError>,
{
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(name).map_err(xerr)?;
    ws.set_column_width(0, 22).map_err(xerr)?;
    let mut sheet = Sheet {
        ws,
        head: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_border(FormatBorder::Thin),
        cell: Format::new().set_border(FormatBorder::Thin),
        title: Format::new()
            .set_bold()
            .set_font_size(14)
            .set_align(FormatAlign::Center),
    };
    fill(&mut sheet)?;
    book.save_to_buffer().map_err(xerr)
}

/// Row of the first data line in every sheet: title, unit and date, header.
pub const XLSX_FIRST_DATA_ROW: u32 = 3;

fn sheet_head(s: &mut Sheet<'_>, h: &ReportHeader, cols: u16, headers: &[&str]) -> Result<(), AppError> {
    s.title(0, cols, &h.title)?;
    s.text(1, 0, &format!("填报单位：{}", h.area_name))?;
    s.text(1, 1, &format!("截止日期：{}", h.as_of.format("%Y年%m月%d日")))?;
    s.header(2, headers)
}

fn sheet_foot(s: &mut Sheet<'_>, row: u32, h: &ReportHeader) -> Result<(), AppError> {
    s.ws.write_string(row + 1, 0, &h.footer).map_err(xerr)?;
    Ok(())
}

fn weekly_xlsx_row(s: &mut Sheet<'_>, row: u32, name: &str, r: &ReportRow) -> Result<(), AppError> {
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

/// The XLSX download of a report, laid out like the official form; `None` for the
/// dashboard (its charts are SVG).
pub fn xlsx(r: &Report) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let h = r.header();
    let name = format!("{}-{}-{}.xlsx", h.kind, h.area_code, h.as_of);
    let bytes = match r {
        Report::Dashboard(_) => return Ok(None),
        Report::Weekly(w) => book_with("周报表", |s| {
            sheet_head(s, h, WEEKLY_HEAD_ZH.len() as u16, &WEEKLY_HEAD_ZH)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in &w.rows {
                weekly_xlsx_row(s, row, &x.area_name, x)?;
                row += 1;
            }
            weekly_xlsx_row(s, row, "合计", &w.total)?;
            sheet_foot(s, row + 1, h)
        })?,
        Report::Fund(f) => book_with("资金申请", |s| {
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
        })?,
        Report::Statistics(st) => book_with("摸底统计", |s| {
            let labels: Vec<String> = st
                .columns
                .iter()
                .map(|c| {
                    let g = if c.group.is_empty() {
                        String::new()
                    } else {
                        format!("{}：", c.group)
                    };
                    let blank = if c.supported { "" } else { "（系统无此数据）" };
                    format!("{g}{}{blank}", c.label)
                })
                .collect();
            let mut head: Vec<&str> = vec!["乡镇（街道）"];
            head.extend(labels.iter().map(String::as_str));
            sheet_head(s, h, head.len() as u16, &head)?;
            let mut row = XLSX_FIRST_DATA_ROW;
            for x in st.rows.iter().chain(std::iter::once(&st.total)) {
                let name = if row as usize == XLSX_FIRST_DATA_ROW as usize + st.rows.len() {
                    "合计"
                } else {
                    x.area_name.as_str()
                };
                s.text(row, 0, name)?;
                for (c, v) in x.values.iter().enumerate() {
                    match v {
                        Some(n) => s.count(row, c as u16 + 1, *n)?,
                        None => s.text(row, c as u16 + 1, "")?,
                    }
                }
                row += 1;
            }
            sheet_foot(s, row, h)
        })?,
        Report::Ranking(rk) => book_with("排名", |s| {
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
        })?,
        Report::Incentive(inc) => book_with("考核补助", |s| {
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
        })?,
    };
    Ok(Some((name, bytes)))
}
