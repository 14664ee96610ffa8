//! Departments' dynamic adjustment lists (动态调整名单, Lishi's form 3): a CSV or XLSX of
//! people added to or leaving a subsidised category. The officer first gets a dry run
//! (every row valid, invalid, duplicate or conflicting, nothing written); confirming
//! applies the valid rows in one transaction and queues the rest for review.
//!
//! Additions become certifications confirmed by the department, waiting for the bureau's
//! flag like any other; exits revoke the person's flagged certification of that category.

mod analyse;
mod apply;
mod review;
mod store;

use crate::services::sheets::file_error;
pub use crate::services::sheets::{
    file_error as list_error, is_mobile, normalise_header, read_sheet_off_thread, read_table, Cells, Table,
};
pub use analyse::*;
pub use apply::*;
pub use review::*;

use std::collections::HashMap;

use domain::policy::Category;

use crate::error::AppError;

/// Largest list file (a million CSV rows fit).
pub const MAX_LIST_BYTES: usize = 160 * 1024 * 1024;
/// Problems listed in the JSON answer; the XLSX report has them all.
pub(super) const PROBLEMS_SHOWN: usize = 200;
/// Rows per multi-row INSERT (9 columns × 2,000 stays under both engines' parameter limits).
pub(super) const CHUNK: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    No,
    Township,
    Village,
    Name,
    IdNumber,
    Phone,
    Kind,
    Category,
    Date,
}

/// Header names in Lishi's form 3 and their English equivalents.
pub(super) const HEADERS: &[(Field, &[&str])] = &[
    (Field::No, &["序号", "no", "no."]),
    (Field::Township, &["乡镇街道", "乡镇（街道）", "乡镇", "township"]),
    (Field::Village, &["村社区", "村（社区）", "村", "village"]),
    (Field::Name, &["姓名", "name"]),
    (
        Field::IdNumber,
        &["身份证号码", "身份证号", "公民身份号码", "id_number", "id number"],
    ),
    (Field::Phone, &["联系电话", "电话", "phone"]),
    (
        Field::Kind,
        &["动态调整类型", "调整类型", "adjustment", "adjustment_type", "type"],
    ),
    (Field::Category, &["人员类别", "类别", "category"]),
    (Field::Date, &["动态调整时间", "调整时间", "adjusted_on", "date"]),
];

pub(super) const REQUIRED: [Field; 4] = [Field::IdNumber, Field::Kind, Field::Category, Field::Date];

pub(super) fn field_label(f: Field) -> &'static str {
    HEADERS
        .iter()
        .find(|(k, _)| *k == f)
        .map(|(_, names)| names[0])
        .unwrap_or("")
}

/// Category names as departments write them.
pub(super) fn category_from_name(s: &str) -> Option<Category> {
    let s = s.trim();
    if let Some(c) = Category::from_code(s) {
        return Some(c);
    }
    let c = match s {
        "特困" | "特困人员" | "特困供养" | "特困供养人员" | "五保" | "五保户" => {
            Category::ExtremePoverty
        }
        "孤儿" => Category::Orphan,
        "事实无人抚养儿童" => Category::UnsupportedChild,
        "低保" | "低保对象" | "城乡低保" | "低保户" | "最低生活保障对象" => {
            Category::MinimumLiving
        }
        "脱贫人口" | "建档立卡贫困人口" | "脱贫享受政策人口" | "建档立卡低收入户" | "脱贫户" => {
            Category::RegisteredPoor
        }
        "易返贫致贫人口" | "脱贫不稳定人口" | "边缘易致贫人口" | "监测对象" => {
            Category::AtRiskOfPoverty
        }
        "返贫致贫人口" => Category::ReturnedToPoverty,
        "一、二级残疾人" | "重度残疾人" | "一二级残疾人" => Category::SevereDisability,
        "重点优抚对象" => Category::EntitledGroup,
        _ => Category::ALL.into_iter().find(|c| c.name_zh() == s)?,
    };
    Some(c)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Add,
    Exit,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "新增" | "增加" | "纳入" => Some(Kind::Add),
            "退出" | "减少" | "取消" => Some(Kind::Exit),
            s if s.eq_ignore_ascii_case("add") => Some(Kind::Add),
            s if s.eq_ignore_ascii_case("exit") => Some(Kind::Exit),
            _ => None,
        }
    }
    fn code(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Exit => "exit",
        }
    }
}

#[derive(Debug)]
pub struct Parsed {
    kind: &'static str,
    /// Header text per field, as written in the file.
    columns: HashMap<Field, (usize, String)>,
    /// (line, cells)
    rows: Vec<(u64, Cells)>,
}

/// `parse` on the blocking pool: parsing a large sheet takes seconds of CPU that would stall
/// every request on the async workers.
pub async fn parse_off_thread(bytes: Vec<u8>) -> Result<Parsed, AppError> {
    crate::services::off_thread(move || parse(&bytes)).await
}

/// Reads a CSV (UTF-8) or XLSX list; the type is decided by the content.
pub fn parse(bytes: &[u8]) -> Result<Parsed, AppError> {
    let (kind, table) = read_table(bytes, MAX_LIST_BYTES)?;
    let mut iter = table.into_iter();
    let header = loop {
        match iter.next() {
            Some((_, cells)) if cells.iter().all(|c| c.trim().is_empty()) => continue,
            Some(h) => break h,
            None => return Err(file_error("no_header", "文件中没有表头", "The file has no header row")),
        }
    };
    let mut columns = HashMap::new();
    for (i, h) in header.1.iter().enumerate() {
        let n = normalise_header(h);
        if let Some((f, _)) = HEADERS
            .iter()
            .find(|(_, names)| names.iter().any(|x| normalise_header(x) == n))
        {
            columns.entry(*f).or_insert((i, h.trim().to_owned()));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|f| !columns.contains_key(f))
        .map(|f| field_label(*f))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(
            "columns_missing",
            format!("缺少列：{}（表头应为：序号、乡镇街道、村社区、姓名、身份证号码、联系电话、动态调整类型、人员类别、动态调整时间）", missing.join("、")),
            format!("Missing columns: {}", missing.join(", ")),
        ));
    }
    let rows: Vec<(u64, Cells)> = iter
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .collect();
    Ok(Parsed { kind, columns, rows })
}

/// Milliseconds between successive laps, for the phase timings the dry run and the apply log.
pub(super) struct Laps(std::time::Instant);

impl Laps {
    pub(super) fn start() -> Laps {
        Laps(std::time::Instant::now())
    }
    /// Milliseconds since the previous lap (or the start).
    pub(super) fn lap(&mut self) -> u64 {
        let now = std::time::Instant::now();
        let ms = (now - self.0).as_millis() as u64;
        self.0 = now;
        ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_any_order_and_in_english_are_read() {
        let zh = "动态调整时间,身份证号码,人员类别,动态调整类型,姓名\n2022/9/1,141102198511200036,低保,新增,陈建国\n";
        let p = parse(zh.as_bytes()).unwrap();
        assert_eq!(p.kind, "csv");
        assert_eq!(p.columns[&Field::IdNumber].0, 1);
        assert_eq!(p.columns[&Field::Date].0, 0);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].0, 2, "data starts on line 2");
        let en = "\u{feff}no,township,village,name,id_number,phone,adjustment,category,adjusted_on\n";
        let p = parse(en.as_bytes()).unwrap();
        assert_eq!(p.columns.len(), 9);
        assert!(p.rows.is_empty());
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse("序号,姓名,身份证号码\n1,陈建国,141102198511200036\n".as_bytes()).unwrap_err();
        assert_eq!(e.code(), "columns_missing");
        let msg = e.message(crate::i18n::Lang::Zh);
        assert!(
            msg.contains("动态调整类型") && msg.contains("人员类别") && msg.contains("动态调整时间"),
            "{msg}"
        );
        assert!(!msg.starts_with("缺少列：身份证号码"), "{msg}");
    }

    #[test]
    fn wrong_files_are_refused_by_content() {
        assert_eq!(parse(b"").unwrap_err().code(), "file_empty");
        assert_eq!(parse(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]).unwrap_err().code(), "file_type");
        assert_eq!(parse(&[0xFF, 0xFE, 0x00, 0x41]).unwrap_err().code(), "file_type");
        assert_eq!(parse(b"PK\x03\x04 not really a zip").unwrap_err().code(), "file_type");
    }

    #[test]
    fn an_xlsx_written_here_reads_back_with_dates_and_text_ids() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["序号", "身份证号码", "动态调整类型", "人员类别", "动态调整时间"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_number(1, 0, 1).unwrap();
        sheet.write_string(1, 1, "141102198511200036").unwrap();
        sheet.write_string(1, 2, "新增").unwrap();
        sheet.write_string(1, 3, "特困供养").unwrap();
        sheet.write_string(1, 4, "2022年9月1日").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let p = parse(&bytes).unwrap();
        assert_eq!(p.kind, "xlsx");
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].1[0], "1");
        assert_eq!(p.rows[0].1[1], "141102198511200036");
        assert_eq!(category_from_name(&p.rows[0].1[3]), Some(Category::ExtremePoverty));
    }

    #[test]
    fn category_names_departments_use() {
        assert_eq!(category_from_name("低保"), Some(Category::MinimumLiving));
        assert_eq!(category_from_name("城乡低保"), Some(Category::MinimumLiving));
        assert_eq!(category_from_name("脱贫享受政策人口"), Some(Category::RegisteredPoor));
        assert_eq!(category_from_name("minimum_living"), Some(Category::MinimumLiving));
        assert_eq!(
            category_from_name("1954年10月31日前入党的老党员"),
            Some(Category::Pre1954PartyMember)
        );
        assert_eq!(category_from_name("富人"), None);
        assert_eq!(Kind::parse("新增"), Some(Kind::Add));
        assert_eq!(Kind::parse("EXIT"), Some(Kind::Exit));
        assert_eq!(Kind::parse("变更"), None);
    }
}
