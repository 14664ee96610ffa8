//! How reports look, shared by every report: HTML helpers and the XLSX sheet laid out like
//! the official forms. All rendered on the server, so reports read without JavaScript,
//! print, and keep the browser bundle small.

use domain::{Decimal, Money};

use super::*;
use crate::error::AppError;
use crate::i18n::Lang;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

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

pub(super) fn pick<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    lang.pick(zh, en)
}

pub(super) fn th(cells: &[&str]) -> String {
    cells
        .iter()
        .map(|c| format!("<th scope=\"col\">{}</th>", esc(c)))
        .collect()
}

pub(super) fn num(n: i64) -> String {
    format!("<td class=\"num\">{n}</td>")
}

pub(super) fn dec(d: Decimal) -> String {
    format!("<td class=\"num\">{d:.2}</td>")
}

pub(super) fn money(m: Money) -> String {
    format!("<td class=\"num\">{m}</td>")
}

/// A cell with no figure (no target, a column the system cannot fill).
pub(super) fn no_value() -> String {
    "<td class=\"num muted\">—</td>".to_owned()
}

pub(super) fn target_cell(t: Option<i64>, assumed: bool) -> String {
    match t {
        Some(n) if assumed => format!("<td class=\"num\">{n}<sup title=\"demo\">*</sup></td>"),
        Some(n) => num(n),
        None => no_value(),
    }
}

pub(super) fn link(h: &ReportHeader, kind: &str, code: &str, name: &str) -> String {
    format!(
        "<a href=\"/reports/{kind}?area={}&amp;as_of={}\" data-testid=\"drill\">{}</a>",
        esc(code),
        h.as_of,
        esc(name)
    )
}

pub(super) fn footer(h: &ReportHeader, lang: Lang) -> String {
    format!(
        "<p class=\"report-footer muted\" data-testid=\"report-footer\">{}</p>",
        esc(pick(lang, &h.footer, &h.footer_en))
    )
}

pub(super) fn caption(h: &ReportHeader, lang: Lang) -> String {
    format!(
        "<p class=\"muted\" data-testid=\"report-head\">{} · {} <span class=\"date\">{}</span> · {} <span class=\"date\">{}</span>–<span class=\"date\">{}</span> · {} <span class=\"date\">{}</span> ({} {})</p>",
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

pub(super) struct Sheet<'a> {
    pub(super) ws: &'a mut Worksheet,
    pub(super) head: Format,
    pub(super) cell: Format,
    pub(super) title: Format,
}

pub(super) fn xerr(e: XlsxError) -> AppError {
    AppError::internal("xlsx", e)
}

impl Sheet<'_> {
    pub(super) fn title(&mut self, row: u32, cols: u16, text: &str) -> Result<(), AppError> {
        self.ws
            .merge_range(row, 0, row, cols - 1, text, &self.title)
            .map_err(xerr)?;
        Ok(())
    }
    pub(super) fn text(&mut self, row: u32, col: u16, text: &str) -> Result<(), AppError> {
        self.ws
            .write_string_with_format(row, col, text, &self.cell)
            .map_err(xerr)?;
        Ok(())
    }
    pub(super) fn header(&mut self, row: u32, cells: &[&str]) -> Result<(), AppError> {
        for (c, t) in cells.iter().enumerate() {
            self.ws
                .write_string_with_format(row, c as u16, *t, &self.head)
                .map_err(xerr)?;
        }
        Ok(())
    }
    pub(super) fn count(&mut self, row: u32, col: u16, n: i64) -> Result<(), AppError> {
        // Head counts are whole numbers far below 2^53: exact as spreadsheet numbers.
        self.ws
            .write_number_with_format(row, col, n as f64, &self.cell)
            .map_err(xerr)?;
        Ok(())
    }
    /// Decimals (money, percentages) go in as text with their exact digits: the
    /// spreadsheet's own number type is binary floating point.
    pub(super) fn decimal(&mut self, row: u32, col: u16, d: impl std::fmt::Display) -> Result<(), AppError> {
        self.text(row, col, &d.to_string())
    }
}

pub(super) fn book_with<F>(name: &str, fill: F) -> Result<Vec<u8>, AppError>
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

pub(super) fn sheet_head(s: &mut Sheet<'_>, h: &ReportHeader, cols: u16, headers: &[&str]) -> Result<(), AppError> {
    s.title(0, cols, &h.title)?;
    s.text(1, 0, &format!("填报单位：{}", h.area_name))?;
    s.text(1, 1, &format!("截止日期：{}", h.as_of.format("%Y年%m月%d日")))?;
    s.header(2, headers)
}

pub(super) fn sheet_foot(s: &mut Sheet<'_>, row: u32, h: &ReportHeader) -> Result<(), AppError> {
    s.ws.write_string(row + 1, 0, &h.footer).map_err(xerr)?;
    Ok(())
}
