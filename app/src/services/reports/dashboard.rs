//! The coverage dashboard: progress against target and the weekly trend, as SVG charts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::report::{percent, weekly_points};
use domain::Decimal;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::model::area_prefix;
use crate::services::access::Actor;
use crate::services::AppState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrendSeries {
    pub area_code: String,
    pub area_name: String,
    #[serde(default)]
    pub area_name_en: String,
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
pub(super) async fn trend(
    state: &AppState,
    ctx: &Ctx,
    rows: &[ReportRow],
    total: &ReportRow,
) -> Result<Vec<TrendSeries>, AppError> {
    let len = rows
        .iter()
        .map(|r| r.area_code.len())
        .max()
        .unwrap_or(ctx.area.code.len()) as i32;
    let (lo, hi) = range(&ctx.prefix);
    let paid = paid_by_day(&state.db, ctx.pack.insurance_year, ctx.as_of, (&lo, &hi), len).await?;
    let (start, _) = ctx.pack.collection_window();
    let days = weekly_points(start, ctx.as_of);
    let mut series: Vec<TrendSeries> = Vec::new();
    let mut add = |code: &str, (name, name_en): (&str, &str), should: i64, filter: &dyn Fn(&str) -> bool| {
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
            area_name_en: name_en.to_owned(),
            points,
        });
    };
    add(
        &total.area_code,
        (&total.area_name, &total.area_name_en),
        total.should_enrol,
        &|_| true,
    );
    for r in rows {
        let p = area_prefix(&r.area_code).to_owned();
        let exact = !r.has_children && r.area_code == ctx.area.code && !ctx.children.is_empty();
        add(
            &r.area_code,
            (&r.area_name, &r.area_name_en),
            r.should_enrol,
            &|sub: &str| {
                if exact {
                    sub == p
                } else {
                    sub.starts_with(&p)
                }
            },
        );
    }
    Ok(series)
}

pub(super) fn dashboard_html(r: &Dashboard, lang: Lang) -> String {
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
    s.push_str(&numbers_table(r, lang));
    s.push_str(&footer(h, lang));
    s
}

/// The charts' numbers with their denominators: coverage is enrolled of should-enrol, the
/// target share is enrolled of the task number — two different questions, which side by
/// side explain a township at 1 % of its target and 95 % of its people.
fn numbers_table(r: &Dashboard, lang: Lang) -> String {
    let mut s = format!(
        "<h2>{}</h2><div class=\"table-wrap\" tabindex=\"0\"><table class=\"report sticky-first\" data-testid=\"dashboard-table\"><thead><tr>",
        pick(lang, "数据", "The numbers")
    );
    let (zh, en) = r.header.rows_heading();
    s.push_str(&th(&[
        pick(lang, zh, en),
        pick(lang, "已参保", "Enrolled"),
        pick(lang, "应参保", "Should enrol"),
        pick(lang, "参保率%（已参保÷应参保）", "Coverage % (enrolled ÷ should enrol)"),
        pick(lang, "任务数", "Target"),
        pick(lang, "完成任务%（已参保÷任务数）", "Of target % (enrolled ÷ target)"),
    ]));
    s.push_str("</tr></thead><tbody>");
    let row = |x: &ReportRow, name: &str| {
        format!(
            "<th scope=\"row\">{}</th>{}{}{}{}{}",
            esc(name),
            num(x.enrolled),
            num(x.should_enrol),
            dec(x.coverage_percent),
            target_cell(x.target, x.target_assumed),
            if x.target.is_some() {
                dec(x.target_percent)
            } else {
                no_value()
            },
        )
    };
    for x in &r.rows {
        s.push_str(&format!(
            "<tr data-area=\"{}\">{}</tr>",
            esc(&x.area_code),
            row(x, pick(lang, &x.area_name, &x.area_name_en))
        ));
    }
    s.push_str(&format!(
        "</tbody><tfoot><tr data-testid=\"total-row\">{}</tr></tfoot></table></div>",
        row(&r.total, pick(lang, "合计", "Total"))
    ));
    s
}

/// A percentage as an SVG length on a scale where `full` percent spans `px` pixels.
pub(super) fn scale(pct: Decimal, full: i64, px: i64) -> Decimal {
    let capped = pct.max(Decimal::ZERO).min(Decimal::from(full));
    (capped * Decimal::from(px) / Decimal::from(full)).round_dp(1)
}

/// The trend lines' colours: Okabe and Ito's palette for colour-blind readers (without its
/// yellow, too faint on white), each also drawn solid, dashed and dotted — 18 lines before
/// two look alike, where eight colours alone repeated from the ninth area.
pub(super) const PALETTE: [&str; 6] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];
const DASHES: [&str; 3] = ["", "6 3", "2 2"];

/// The colour and dash pattern of the `i`-th area's line (0 is the whole area's, black).
fn line_style(i: usize) -> (&'static str, &'static str) {
    if i == 0 {
        return ("#111", "");
    }
    let k = i - 1;
    (PALETTE[k % PALETTE.len()], DASHES[(k / PALETTE.len()) % DASHES.len()])
}

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
        LABEL + PLOT + 130,
        pick(lang, "各地区完成任务比例", "Share of target enrolled per area"),
        pick(lang, "各地区完成任务比例", "Share of target enrolled per area"),
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as i64 * ROW + 6;
        let (pct, base, of) = match r.target {
            Some(t) => (r.target_percent, pick(lang, "任务", "target"), t),
            None => (r.coverage_percent, pick(lang, "应参保", "should enrol"), r.should_enrol),
        };
        let w = scale(pct, FULL, PLOT);
        let name = pick(lang, &r.area_name, &r.area_name_en);
        s.push_str(&format!(
            "<g class=\"bar\" data-area=\"{code}\"><text class=\"label\" x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{name}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"{fill}\"><title>{name}: {enrolled} / {of} {base} {pct:.2}%</title></rect><text class=\"value\" x=\"{vx}\" y=\"{ty}\" font-size=\"11\">{pct:.1}% ({enrolled}/{of})</text></g>",
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
        let (colour, dash) = line_style(i);
        let dash_attr = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
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
            "<polyline class=\"series\" data-area=\"{}\" fill=\"none\" stroke=\"{colour}\"{dash_attr} stroke-width=\"{}\" points=\"{}\"/>",
            esc(&line.area_code),
            if i == 0 { 3 } else { 2 },
            points.join(" ")
        ));
        let ly = TOP + H + 24 + 16 * i as i64;
        let last = line.points.last().map(|p| p.2).unwrap_or_default();
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{colour}\"{dash_attr} stroke-width=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{} {last:.1}%</text>",
            LEFT + 18,
            ly - 4,
            ly - 4,
            if i == 0 { 3 } else { 2 },
            LEFT + 22,
            ly,
            esc(pick(lang, &line.area_name, &line.area_name_en))
        ));
    }
    s.push_str("</svg>");
    s
}

impl ReportKind for Dashboard {
    const KIND: &'static str = "dashboard";

    async fn build(state: &AppState, actor: &Actor, q: &ReportQuery, lang: Lang) -> Result<Self, AppError> {
        dashboard(state, actor, q, lang).await
    }

    fn header(&self) -> &ReportHeader {
        &self.header
    }

    fn html(&self, lang: Lang) -> String {
        dashboard_html(self, lang)
    }

    /// None: the dashboard's charts are SVG (`format=svg`).
    fn xlsx(&self) -> Result<Option<Vec<u8>>, AppError> {
        Ok(None)
    }
}
