//! Departments' dynamic adjustment lists (动态调整名单, Lishi's form 3): a CSV or XLSX of
//! people added to or leaving a subsidised category. The officer first gets a dry run
//! (every row valid, invalid, duplicate or conflicting, nothing written); confirming
//! applies the valid rows in one transaction and queues the rest for review.
//!
//! Additions become certifications confirmed by the department, waiting for the bureau's
//! flag like any other; exits revoke the person's flagged certification of that category.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use domain::policy::{Category, PolicyPack};
use domain::IdNumber;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::Digest;

use super::enrolment::Actor;
use super::AppState;
use crate::error::{AppError, UserMessage};
use crate::model::{AreaLevel, ImportProblem, ImportReport, ReviewItem, Role};
use crate::store::with_pool;

/// Largest list file (a million CSV rows fit).
pub const MAX_LIST_BYTES: usize = 160 * 1024 * 1024;
/// Problems listed in the JSON answer; the XLSX report has them all.
const PROBLEMS_SHOWN: usize = 200;
/// Rows per multi-row INSERT (9 columns × 2,000 stays under both engines' parameter limits).
const CHUNK: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
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
const HEADERS: &[(Field, &[&str])] = &[
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

const REQUIRED: [Field; 4] = [Field::IdNumber, Field::Kind, Field::Category, Field::Date];

fn field_label(f: Field) -> &'static str {
    HEADERS
        .iter()
        .find(|(k, _)| *k == f)
        .map(|(_, names)| names[0])
        .unwrap_or("")
}

/// Category names as departments write them.
fn category_from_name(s: &str) -> Option<Category> {
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
enum Kind {
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

/// A cell as text, whatever the file stored (dates from XLSX come as ISO dates).
type Cells = Vec<String>;
/// A file's rows as (line, cells).
pub type Table = Vec<(u64, Cells)>;

#[derive(Debug)]
pub struct Parsed {
    kind: &'static str,
    /// Header text per field, as written in the file.
    columns: HashMap<Field, (usize, String)>,
    /// (line, cells)
    rows: Vec<(u64, Cells)>,
}

fn list_error(code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid("file", code, zh, en)
}

fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .collect::<String>()
        .to_lowercase()
}

/// Reads a CSV (UTF-8) or XLSX table as (line, cells); the type is decided by the
/// content, and other files (PDF, images, old .xls) are refused by name. Targets use it too.
pub fn read_table(bytes: &[u8]) -> Result<(&'static str, Table), AppError> {
    if bytes.is_empty() {
        return Err(list_error("file_empty", "文件是空的", "The file is empty"));
    }
    if bytes.len() > MAX_LIST_BYTES {
        return Err(list_error(
            "file_too_large",
            format!("文件不能超过{}MB", MAX_LIST_BYTES / 1024 / 1024),
            format!("A list may be at most {} MB", MAX_LIST_BYTES / 1024 / 1024),
        ));
    }
    if let Some(kind) = super::certification::sniff(bytes) {
        return Err(list_error(
            "file_type",
            format!("这是{kind}文件，不是名单；请上传XLSX或UTF-8编码的CSV"),
            format!("This is a {kind} file, not a list; upload XLSX or UTF-8 CSV"),
        ));
    }
    let (kind, table) = if bytes.starts_with(b"PK\x03\x04") {
        ("xlsx", read_xlsx(bytes)?)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(list_error(
            "file_type",
            "不支持旧版Excel（.xls）文件，请另存为.xlsx或UTF-8编码的CSV",
            "Old Excel (.xls) files are not supported; save as .xlsx or UTF-8 CSV",
        ));
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            list_error(
                "file_type",
                "文件不是XLSX，也不是UTF-8编码的CSV；请用Excel另存为.xlsx或“CSV UTF-8”",
                "The file is neither XLSX nor UTF-8 CSV; save it from Excel as .xlsx or CSV UTF-8",
            )
        })?;
        if text.contains('\0') {
            return Err(list_error(
                "file_type",
                "文件不是文本格式的CSV",
                "The file is not a text CSV",
            ));
        }
        ("csv", read_csv(text)?)
    };
    Ok((kind, table))
}

/// An import's table (targets, the roster): refused above `max_bytes`, blank rows dropped,
/// the first row returned apart as the header.
pub fn read_sheet(bytes: &[u8], max_bytes: usize) -> Result<(Vec<String>, Table), AppError> {
    if bytes.len() > max_bytes {
        let mb = max_bytes / 1024 / 1024;
        return Err(AppError::invalid(
            "file",
            "file_too_large",
            format!("文件不能超过{mb} MB"),
            format!("The file must be at most {mb} MB"),
        ));
    }
    let (_, table) = read_table(bytes)?;
    let mut rows = table
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((_, head)) = rows.next() else {
        return Err(AppError::invalid(
            "file",
            "file_empty",
            "文件是空的",
            "The file is empty",
        ));
    };
    Ok((head, rows.collect()))
}

/// A mainland mobile number as the departments' forms write it: 11 digits starting with 1.
pub fn is_mobile(p: &str) -> bool {
    p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit())
}

/// `parse` on the blocking pool: parsing a large sheet takes seconds of CPU that would stall
/// every request on the async workers.
pub async fn parse_off_thread(bytes: Vec<u8>) -> Result<Parsed, AppError> {
    super::off_thread(move || parse(&bytes)).await
}

/// `read_sheet` on the blocking pool.
pub async fn read_sheet_off_thread(bytes: Vec<u8>, max_bytes: usize) -> Result<(Vec<String>, Table), AppError> {
    super::off_thread(move || read_sheet(&bytes, max_bytes)).await
}

/// Reads a CSV (UTF-8) or XLSX list; the type is decided by the content.
pub fn parse(bytes: &[u8]) -> Result<Parsed, AppError> {
    let (kind, table) = read_table(bytes)?;
    let mut iter = table.into_iter();
    let header = loop {
        match iter.next() {
            Some((_, cells)) if cells.iter().all(|c| c.trim().is_empty()) => continue,
            Some(h) => break h,
            None => return Err(list_error("no_header", "文件中没有表头", "The file has no header row")),
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
        return Err(list_error(
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

fn read_csv(text: &str) -> Result<Vec<(u64, Cells)>, AppError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            list_error(
                "csv_malformed",
                format!("CSV第{line}行格式有误（引号不配对？）"),
                format!("CSV line {line} is malformed (unbalanced quotes?)"),
            )
        })?;
        let line = rec.position().map_or(out.len() as u64 + 1, |p| p.line());
        out.push((line, rec.iter().map(str::to_owned).collect()));
    }
    Ok(out)
}

/// The most cells an XLSX sheet may span (the bounding box of its non-empty cells, which
/// calamine allocates whole, 32 bytes a cell plus a String each here): a million rows of the
/// nine-column list form with room to spare. A few-KB file with cells in A1 and XFD1048576
/// spans 17 billion and would abort the process.
pub const MAX_XLSX_CELLS: u64 = 12_000_000;
/// The most bytes an XLSX's parts may unpack to (calamine holds the shared strings in memory;
/// a deflate bomb packs about 1000:1).
pub const MAX_XLSX_UNPACKED: u64 = 768 * 1024 * 1024;
const MAX_XLSX_ENTRIES: usize = 10_000;

fn xlsx_unreadable() -> AppError {
    list_error("file_type", "无法读取该Excel文件", "The Excel file cannot be read")
}

/// Refuses an XLSX whose parts unpack to too much, counting what actually comes out (the
/// sizes in the zip's headers can lie).
fn check_unpacked_size(bytes: &[u8]) -> Result<(), AppError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| xlsx_unreadable())?;
    if zip.len() > MAX_XLSX_ENTRIES {
        return Err(xlsx_unreadable());
    }
    let mut left = MAX_XLSX_UNPACKED;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| xlsx_unreadable())?;
        let n = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|_| xlsx_unreadable())?;
        if n > left {
            let mb = MAX_XLSX_UNPACKED / 1024 / 1024;
            return Err(list_error(
                "file_too_large",
                format!("Excel文件解压后超过{mb} MB，请删除多余内容或另存为CSV后重新上传"),
                format!("The Excel file unpacks to more than {mb} MB; remove stray content or save as CSV"),
            ));
        }
        left -= n;
    }
    Ok(())
}

/// The first sheet's span, from calamine's own cell reader (exactly the cells its range
/// keeps), refused before any range is allocated when it is over `MAX_XLSX_CELLS`.
fn check_sheet_span<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<(), AppError> {
    use calamine::DataRef;
    let mut cells = book.worksheet_cells_reader(name).map_err(|_| xlsx_unreadable())?;
    let d = cells.dimensions();
    if d.end.0 < d.start.0 || d.end.1 < d.start.1 {
        return Err(xlsx_unreadable());
    }
    let mut span: Option<(u64, u64, u64, u64)> = None;
    while let Some(cell) = cells.next_cell().map_err(|_| xlsx_unreadable())? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (r, c) = cell.get_position();
        let (r, c) = (u64::from(r), u64::from(c));
        let b = span.get_or_insert((r, r, c, c));
        *b = (b.0.min(r), b.1.max(r), b.2.min(c), b.3.max(c));
        if (b.1 - b.0 + 1) * (b.3 - b.2 + 1) > MAX_XLSX_CELLS {
            return Err(list_error(
                "sheet_too_large",
                "Excel表格的范围过大（可能有远处的零散单元格），请删除多余的行和列后重新上传",
                "The sheet spans too many cells (stray cells far away?); delete extra rows and columns and upload again",
            ));
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<(u64, Cells)>, AppError> {
    use calamine::{Data, DataType, Reader};
    let bad = xlsx_unreadable;
    check_unpacked_size(bytes)?;
    // XLSX only: the auto opener would also take ODS and XLSB zips, whose readers size
    // their ranges differently.
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
    let name = book.sheet_names().into_iter().next().ok_or_else(bad)?;
    check_sheet_span(&mut book, &name)?;
    let range = book.worksheet_range(&name).map_err(|_| bad())?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let mut out = Vec::with_capacity(range.height());
    for (i, row) in range.rows().enumerate() {
        let cells = row
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                // Long numbers typed into Excel come back as floats; IDs lose digits there
                // and the check character then fails, which the report says.
                Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(_) | Data::DateTimeIso(_) => c.as_date().map(|d| d.to_string()).unwrap_or_default(),
                Data::DurationIso(s) => s.clone(),
                Data::Error(_) => "#ERROR".to_owned(),
            })
            .collect();
        out.push((first_row + i as u64 + 1, cells));
    }
    Ok(out)
}

/// What the analysis decided for one row.
#[derive(Debug, Clone)]
enum Verdict {
    Valid,
    Problem {
        outcome: &'static str,
        column: Option<Field>,
        message: String,
    },
}

#[derive(Debug, Clone)]
struct Row<'s> {
    line: u64,
    id: Option<IdNumber>,
    name: Option<String>,
    phone: Option<String>,
    kind: Option<Kind>,
    category: Option<Category>,
    date: Option<NaiveDate>,
    village: Option<Arc<str>>,
    /// For a valid row: the department that certifies its category and the pack's id.
    certifier: Option<(&'s str, &'s str)>,
    verdict: Verdict,
}

struct Known {
    person_id: i64,
    area: Option<String>,
}

/// The analysis of a whole file against the database (nothing written). Borrows the
/// loaded policy packs (`'s`), so a million rows do not copy department and pack names.
struct Analysis<'s> {
    rows: Vec<Row<'s>>,
    columns: HashMap<Field, (usize, String)>,
    known: FxHashMap<String, Known>,
    /// (person_id, category) → id of the flagged certification.
    flagged: FxHashMap<(i64, String), i64>,
}

fn problem(outcome: &'static str, column: Option<Field>, message: String) -> Verdict {
    Verdict::Problem {
        outcome,
        column,
        message,
    }
}

/// An ID number as one integer (17 digits, then the check character as 0–10), so the
/// per-row duplicate checks hash eight bytes instead of a string.
fn id_key(id: &IdNumber) -> u64 {
    id.as_str().bytes().fold(0u64, |acc, b| match b {
        b'0'..=b'9' => acc * 11 + u64::from(b - b'0'),
        _ => acc * 11 + 10,
    })
}

/// A cell without surrounding blanks, keeping the allocation when there are none.
fn trimmed(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_owned())
    }
}

async fn analyse<'s>(state: &'s AppState, actor: &Actor, parsed: Parsed) -> Result<Analysis<'s>, AppError> {
    let scope = actor.staff_scope()?.to_owned();
    let today = state.clock.today();
    let Parsed { columns, rows: raw, .. } = parsed;
    let at = |f: Field| columns.get(&f).map(|(i, _)| *i);
    let (c_name, c_phone, c_id, c_kind, c_cat, c_date, c_town, c_village) = (
        at(Field::Name),
        at(Field::Phone),
        at(Field::IdNumber),
        at(Field::Kind),
        at(Field::Category),
        at(Field::Date),
        at(Field::Township),
        at(Field::Village),
    );
    // Villages under the officer's scope, by township then village, and by village alone.
    let areas = crate::store::areas::list(&state.db).await?;
    let names: HashMap<&str, &str> = areas.iter().map(|a| (a.code.as_str(), a.name.as_str())).collect();
    let mut by_town: HashMap<String, HashMap<String, Arc<str>>> = HashMap::new();
    let mut by_village: HashMap<String, Vec<Arc<str>>> = HashMap::new();
    for a in areas
        .iter()
        .filter(|a| a.level == AreaLevel::Village && a.code.starts_with(&scope))
    {
        let town = a.parent.as_deref().and_then(|p| names.get(p)).copied().unwrap_or("");
        let code: Arc<str> = Arc::from(a.code.as_str());
        by_town
            .entry(town.to_owned())
            .or_default()
            .insert(a.name.clone(), code.clone());
        by_village.entry(a.name.clone()).or_default().push(code);
    }
    let only_village = |v: &str| by_village.get(v).filter(|v| v.len() == 1).map(|v| v[0].clone());

    let mut rows = Vec::with_capacity(raw.len());
    for (line, mut cells) in raw {
        let mut take = |i: Option<usize>| i.and_then(|i| cells.get_mut(i)).map(std::mem::take).and_then(trimmed);
        let name = take(c_name);
        let phone = take(c_phone);
        let text = |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or("", |s| s.trim());
        let mut r = Row {
            line,
            id: None,
            name,
            phone,
            kind: None,
            category: None,
            date: None,
            village: None,
            certifier: None,
            verdict: Verdict::Valid,
        };
        let (raw_id, raw_kind, raw_cat, raw_date) = (text(c_id), text(c_kind), text(c_cat), text(c_date));
        r.verdict = match IdNumber::parse(raw_id) {
            Err(e) => problem("invalid", Some(Field::IdNumber), e.to_string()),
            Ok(id) => {
                r.id = Some(id);
                match (
                    Kind::parse(raw_kind),
                    category_from_name(raw_cat),
                    domain::dates::parse_flexible(raw_date),
                ) {
                    (None, _, _) => problem(
                        "invalid",
                        Some(Field::Kind),
                        format!("动态调整类型“{raw_kind}”无效，应为“新增”或“退出”"),
                    ),
                    (_, None, _) => problem("invalid", Some(Field::Category), format!("人员类别“{raw_cat}”无法识别")),
                    (_, _, None) => problem(
                        "invalid",
                        Some(Field::Date),
                        format!("日期“{raw_date}”无效（可写作2022-09-01、2022/9/1或2022年9月1日）"),
                    ),
                    (_, _, Some(d)) if d > today => {
                        problem("invalid", Some(Field::Date), format!("调整时间{d}晚于今天"))
                    }
                    (Some(k), Some(c), Some(d)) => {
                        r.kind = Some(k);
                        r.category = Some(c);
                        r.date = Some(d);
                        match r.phone.as_deref() {
                            Some(p) if !is_mobile(p) => {
                                problem("invalid", Some(Field::Phone), format!("联系电话“{p}”应为11位手机号码"))
                            }
                            _ => Verdict::Valid,
                        }
                    }
                }
            }
        };
        let (town, village) = (text(c_town), text(c_village));
        if !village.is_empty() {
            r.village = if town.is_empty() {
                only_village(village)
            } else {
                by_town
                    .get(town)
                    .and_then(|v| v.get(village))
                    .cloned()
                    .or_else(|| only_village(village))
            };
        }
        rows.push(r);
    }

    // Duplicates and contradictions inside the file.
    let mut first: FxHashMap<(u64, Category, Kind), u64> = FxHashMap::default();
    let mut kinds: FxHashMap<(u64, Category), u8> = FxHashMap::default();
    let bit = |k: Kind| if k == Kind::Add { 1u8 } else { 2 };
    for r in rows.iter_mut().filter(|r| matches!(r.verdict, Verdict::Valid)) {
        let (Some(id), Some(c), Some(k)) = (&r.id, r.category, r.kind) else {
            continue;
        };
        let key = id_key(id);
        match first.entry((key, c, k)) {
            std::collections::hash_map::Entry::Occupied(line) => {
                r.verdict = problem("duplicate", Some(Field::IdNumber), format!("与第{}行重复", line.get()));
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(r.line);
                *kinds.entry((key, c)).or_default() |= bit(k);
            }
        }
    }
    for r in rows.iter_mut().filter(|r| matches!(r.verdict, Verdict::Valid)) {
        let (Some(id), Some(c)) = (&r.id, r.category) else {
            continue;
        };
        if kinds.get(&(id_key(id), c)) == Some(&3) {
            r.verdict = problem(
                "conflict",
                Some(Field::Kind),
                format!("本文件中此人的“{}”既有新增又有退出，请核实", c.name_zh()),
            );
        }
    }

    // What the database knows about these people (in chunks).
    let mut unique: FxHashSet<&str> = FxHashSet::default();
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Valid))
        .filter_map(|r| r.id.as_ref().map(IdNumber::as_str))
        .filter(|id| unique.insert(id))
        .collect();
    let Lookup {
        known,
        flagged,
        open,
        ledger,
    } = lookup(&state.db, &ids).await?;
    drop(ids);
    drop(unique);

    // The pack per area, looked up once per area rather than once per row.
    let mut packs: HashMap<String, Option<&'s PolicyPack>> = HashMap::new();
    let my_department = actor.account.department.as_deref();
    for r in rows.iter_mut() {
        if !matches!(r.verdict, Verdict::Valid) {
            continue;
        }
        let (Some(id), Some(c), Some(k)) = (&r.id, r.category, r.kind) else {
            continue;
        };
        let person = known.get(id.as_str());
        let area = person.and_then(|p| p.area.as_deref()).or(r.village.as_deref());
        let Some(area) = area else {
            r.verdict = problem(
                "invalid",
                Some(Field::Village),
                "系统中没有此人，且乡镇街道、村社区无法对应到您辖区内的村（社区）".to_owned(),
            );
            continue;
        };
        if !area.starts_with(&scope) {
            r.verdict = problem(
                "conflict",
                Some(Field::IdNumber),
                format!("此人登记在其他地区（{area}），不在您的管辖范围内"),
            );
            continue;
        }
        if person.is_none() && k == Kind::Add && r.name.is_none() {
            r.verdict = problem(
                "invalid",
                Some(Field::Name),
                "系统中没有此人，新增时请填写姓名".to_owned(),
            );
            continue;
        }
        let pack = match packs.get(area) {
            Some(p) => *p,
            None => {
                let p = super::enrolment::current_pack(state, area, today);
                packs.insert(area.to_owned(), p);
                p
            }
        };
        let Some(pack) = pack else {
            r.verdict = problem("invalid", Some(Field::Village), "此地区暂无参保政策".to_owned());
            continue;
        };
        let Some(rule) = pack.categories.iter().find(|x| x.category == c) else {
            r.verdict = problem(
                "invalid",
                Some(Field::Category),
                format!("{}的政策不资助“{}”", pack.jurisdiction, c.name_zh()),
            );
            continue;
        };
        let dept = rule.certified_by.as_deref().unwrap_or("civil_affairs");
        if let Some(mine) = my_department {
            if mine != dept {
                let name = crate::model::Department::from_code(dept).map_or(dept, |d| d.name_zh());
                r.verdict = problem(
                    "invalid",
                    Some(Field::Category),
                    format!("“{}”由{name}认定，不属于本部门", c.name_zh()),
                );
                continue;
            }
        }
        let pid = person.map(|p| p.person_id);
        let noted = pid.and_then(|p| ledger.get(&p));
        match (k, noted) {
            (Kind::Add, Some((year, reason))) if reason == "deceased" || reason == "employee_insurance" => {
                let what = if reason == "deceased" {
                    "已死亡"
                } else {
                    "参加职工医保"
                };
                r.verdict = problem(
                    "conflict",
                    Some(Field::IdNumber),
                    format!("未参保台账记录此人{what}（{year}年度），请核实后再新增"),
                );
                continue;
            }
            _ => {}
        }
        match k {
            Kind::Add if pid.is_some_and(|p| open.contains(&(p, c.code().to_owned()))) => {
                r.verdict = problem(
                    "duplicate",
                    Some(Field::Category),
                    format!("此人已有“{}”的认定或在办申请", c.name_zh()),
                );
                continue;
            }
            Kind::Exit if !pid.is_some_and(|p| flagged.contains_key(&(p, c.code().to_owned()))) => {
                r.verdict = problem(
                    "conflict",
                    Some(Field::Kind),
                    format!("此人没有有效的“{}”认定，无法退出", c.name_zh()),
                );
                continue;
            }
            _ => {}
        }
        r.certifier = Some((dept, pack.id.as_str()));
    }
    Ok(Analysis {
        rows,
        columns,
        known,
        flagged,
    })
}

/// What the database knows about a list's people.
#[derive(Default)]
struct Lookup {
    known: FxHashMap<String, Known>,
    /// (person_id, category) → id of the flagged certification.
    flagged: FxHashMap<(i64, String), i64>,
    /// (person_id, category) with a certification in progress or in force.
    open: FxHashSet<(i64, String)>,
    /// The ledger's latest (year, reason) per person.
    ledger: FxHashMap<i64, (i32, String)>,
}

const LOOKUP_PEOPLE: &str = "SELECT p.id, p.id_number, COALESCE(p.area_code, h.area_code) FROM people p
    LEFT JOIN households h ON h.id = p.household_id WHERE p.id_number";
const LOOKUP_CERTS: &str = "SELECT id, person_id, category, status FROM certifications
    WHERE status IN ('submitted', 'accepted', 'returned', 'confirmed', 'flagged') AND person_id";
const LOOKUP_LEDGER: &str = "SELECT person_id, insurance_year, reason FROM ledger_reasons WHERE person_id";

/// Looks the people up in chunks: on PostgreSQL one array parameter per chunk of 50,000
/// (a 2,000-placeholder IN list costs more to parse than to run), on SQLite IN lists.
async fn lookup(db: &crate::store::Db, ids: &[&str]) -> Result<Lookup, AppError> {
    type Person = (i64, String, Option<String>);
    type Cert = (i64, i64, String, String);
    type Reason = (i64, i32, String);
    let mut out = Lookup::default();
    let chunk_size = match db {
        crate::store::Db::Postgres(_) => 50_000,
        crate::store::Db::Sqlite(_) => CHUNK,
    };
    for chunk in ids.chunks(chunk_size) {
        let (found, certs, reasons): (Vec<Person>, Vec<Cert>, Vec<Reason>) = match db {
            crate::store::Db::Postgres(p) => {
                let found: Vec<Person> = sqlx::query_as(&format!("{LOOKUP_PEOPLE} = ANY($1)"))
                    .bind(chunk)
                    .fetch_all(p)
                    .await?;
                let pids: Vec<i64> = found.iter().map(|f| f.0).collect();
                if pids.is_empty() {
                    (found, Vec::new(), Vec::new())
                } else {
                    let certs = sqlx::query_as(&format!("{LOOKUP_CERTS} = ANY($1)"))
                        .bind(&pids)
                        .fetch_all(p)
                        .await?;
                    let reasons = sqlx::query_as(&format!("{LOOKUP_LEDGER} = ANY($1) ORDER BY insurance_year"))
                        .bind(&pids)
                        .fetch_all(p)
                        .await?;
                    (found, certs, reasons)
                }
            }
            crate::store::Db::Sqlite(p) => {
                let sql = format!("{LOOKUP_PEOPLE} IN ({})", placeholders(chunk.len()));
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                let found: Vec<Person> = q.fetch_all(p).await?;
                let pids: Vec<i64> = found.iter().map(|f| f.0).collect();
                if pids.is_empty() {
                    (found, Vec::new(), Vec::new())
                } else {
                    let list = placeholders(pids.len());
                    let sql = format!("{LOOKUP_CERTS} IN ({list})");
                    let mut q = sqlx::query_as(&sql);
                    for id in &pids {
                        q = q.bind(id);
                    }
                    let certs = q.fetch_all(p).await?;
                    let sql = format!("{LOOKUP_LEDGER} IN ({list}) ORDER BY insurance_year");
                    let mut q = sqlx::query_as(&sql);
                    for id in &pids {
                        q = q.bind(id);
                    }
                    let reasons = q.fetch_all(p).await?;
                    (found, certs, reasons)
                }
            }
        };
        for (pid, id, area) in found {
            out.known.insert(id, Known { person_id: pid, area });
        }
        for (cid, pid, cat, status) in certs {
            if status == "flagged" {
                out.flagged.insert((pid, cat.clone()), cid);
            }
            out.open.insert((pid, cat));
        }
        // The ledger's latest word on each person: a death or employee insurance recorded
        // there contradicts a department adding them to a subsidised category.
        for (pid, year, reason) in reasons {
            out.ledger.insert(pid, (year, reason));
        }
    }
    Ok(out)
}

/// `?, ?, …` for a SQLite IN list (anonymous parameters; see `values`).
fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3);
    for i in 0..n {
        out.push_str(if i == 0 { "?" } else { ", ?" });
    }
    out
}

fn report(a: &Analysis, import_id: i64, file_name: &str, applied: bool) -> ImportReport {
    let mut r = ImportReport {
        import_id,
        file_name: file_name.to_owned(),
        applied,
        rows_total: a.rows.len() as u64,
        valid: 0,
        invalid: 0,
        duplicate: 0,
        conflict: 0,
        adds: 0,
        exits: 0,
        new_people: 0,
        problems: Vec::new(),
    };
    for row in &a.rows {
        match &row.verdict {
            Verdict::Valid => {
                r.valid += 1;
                match row.kind {
                    Some(Kind::Add) => r.adds += 1,
                    _ => r.exits += 1,
                }
                if row.id.as_ref().is_some_and(|i| !a.known.contains_key(i.as_str())) {
                    r.new_people += 1;
                }
            }
            Verdict::Problem { outcome, .. } => {
                match *outcome {
                    "invalid" => r.invalid += 1,
                    "duplicate" => r.duplicate += 1,
                    _ => r.conflict += 1,
                }
                if r.problems.len() < PROBLEMS_SHOWN {
                    r.problems.push(problem_view(a, row));
                }
            }
        }
    }
    r
}

fn problem_view(a: &Analysis, row: &Row) -> ImportProblem {
    let Verdict::Problem {
        outcome,
        column,
        message,
    } = &row.verdict
    else {
        unreachable!("only problems are viewed")
    };
    ImportProblem {
        line: row.line,
        outcome: (*outcome).to_owned(),
        column: column.map(|c| {
            a.columns
                .get(&c)
                .map_or_else(|| field_label(c).to_owned(), |(_, h)| h.clone())
        }),
        message: message.clone(),
        id_number_masked: row.id.as_ref().map(|i| i.masked()),
    }
}

fn may_import(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::DepartmentOfficer | Role::BureauOfficer) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "lists_forbidden",
            "只有认定部门和医保局经办人员可以导入动态调整名单",
            "Only department and bureau officers import adjustment lists",
        ))
    }
}

/// Milliseconds between successive laps, for the phase timings the dry run and the apply log.
struct Laps(std::time::Instant);

impl Laps {
    fn start() -> Laps {
        Laps(std::time::Instant::now())
    }
    /// Milliseconds since the previous lap (or the start).
    fn lap(&mut self) -> u64 {
        let now = std::time::Instant::now();
        let ms = (now - self.0).as_millis() as u64;
        self.0 = now;
        ms
    }
}

/// The dry run: reads and checks the file, stores it for the confirmation, writes nothing else.
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    client_ip: &str,
) -> Result<ImportReport, AppError> {
    may_import(actor)?;
    let mut laps = Laps::start();
    let parsed = parse_off_thread(bytes.to_vec()).await?;
    let parse_ms = laps.lap();
    let kind = parsed.kind;
    let analysis = analyse(state, actor, parsed).await?;
    let analyse_ms = laps.lap();
    let name: String = file_name.chars().filter(|c| !c.is_control()).take(100).collect();
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let now = state.clock.now();
    let mut r = report(&analysis, 0, &name, false);
    let detail = format!("rows {} valid {}", r.rows_total, r.valid);
    // The stored file and its audit entry (subject: the import) commit together.
    let id: i64 = with_pool!(&state.db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO adjustment_imports (file_name, file_kind, sha256, body, uploaded_by, department, area_code, status,
                rows_total, rows_valid, rows_problem, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'previewed', $8, $9, $10, $11) RETURNING id")
            .bind(&name).bind(kind).bind(&sha).bind(bytes).bind(actor.account.id).bind(&actor.account.department)
            .bind(actor.account.area_code.as_deref().unwrap_or("")).bind(r.rows_total as i64).bind(r.valid as i64)
            .bind((r.rows_total - r.valid) as i64).bind(now)
            .fetch_one(&mut *tx).await?;
        let subject = format!("import {id} {name}");
        let entry = crate::store::audit::AuditEntry {
            actor_account_id: Some(actor.account.id),
            action: "adjustment_list_previewed",
            subject: Some(&subject),
            detail: Some(&detail),
            client_ip: Some(client_ip),
            area_code: actor.account.area_code.as_deref(),
        };
        crate::store::audit::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    r.import_id = id;
    tracing::info!(
        import = id,
        rows = r.rows_total,
        parse_ms,
        analyse_ms,
        store_ms = laps.lap(),
        "adjustment list previewed"
    );
    Ok(r)
}

struct Stored {
    file_name: String,
    body: Vec<u8>,
    uploaded_by: i64,
    status: String,
}

async fn stored(state: &AppState, actor: &Actor, id: i64) -> Result<Stored, AppError> {
    may_import(actor)?;
    let row: Option<(String, Vec<u8>, i64, String)> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT file_name, body, uploaded_by, status FROM adjustment_imports WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    let (file_name, body, uploaded_by, status) = row
        .filter(|r| r.2 == actor.account.id)
        .ok_or_else(|| AppError::not_found("import_not_found", "未找到该导入记录", "No such import"))?;
    Ok(Stored {
        file_name,
        body,
        uploaded_by,
        status,
    })
}

/// A person a list adds who is not in the register yet (borrowed from the analysed rows).
struct NewPerson<'r> {
    id_number: &'r str,
    name: &'r str,
    birth_date: NaiveDate,
    sex: &'static str,
    phone: Option<&'r str>,
    area: &'r str,
}

/// A certification a list adds, confirmed by the department; the list and line it came
/// from are its history's first step.
struct NewCert<'r> {
    person_id: i64,
    category: &'static str,
    department: &'r str,
    policy_id: &'r str,
    area: &'r str,
    line: i64,
    listed_on: Option<NaiveDate>,
}

/// A flagged certification a list revokes.
struct Exit {
    certification_id: i64,
    valid_until: Option<NaiveDate>,
    note: String,
}

/// A row that goes to the review queue.
struct Problem {
    line: i64,
    id_number_masked: Option<String>,
    category: Option<&'static str>,
    kind: Option<&'static str>,
    outcome: String,
    message: String,
}

/// Who applies a list, and when.
struct Writer {
    account_id: i64,
    role: &'static str,
    at: chrono::DateTime<chrono::Utc>,
    import_id: i64,
}

/// An applied list's writes, inside the caller's transaction. PostgreSQL takes each table in
/// one statement over array parameters (a million rows in seconds, where multi-row VALUES
/// spend their time parsing placeholders); SQLite, in process, takes multi-row VALUES.
trait ListWrites {
    /// Inserts the people; answers (ID number, person id).
    fn add_people(
        &mut self,
        people: &[NewPerson<'_>],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<Vec<(String, i64)>, sqlx::Error>> + Send;
    fn add_certifications(
        &mut self,
        certs: &[NewCert<'_>],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    fn revoke_certifications(
        &mut self,
        exits: &[Exit],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    fn queue_for_review(
        &mut self,
        import_id: i64,
        problems: &[Problem],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Rows per statement on PostgreSQL (bounds one statement's memory, not its parameters).
const PG_BATCH: usize = 100_000;

impl ListWrites for sqlx::PgConnection {
    async fn add_people(&mut self, people: &[NewPerson<'_>], by: &Writer) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut out = Vec::with_capacity(people.len());
        for chunk in people.chunks(PG_BATCH) {
            let ids: Vec<(String, i64)> = sqlx::query_as(
                "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, report_area, hukou_local, created_at)
                 SELECT t.id_number, t.name, t.birth_date, t.sex, t.phone, t.area_code, t.area_code, TRUE, $7
                 FROM UNNEST($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[])
                      AS t(id_number, name, birth_date, sex, phone, area_code)
                 RETURNING id_number, id",
            )
            .bind(chunk.iter().map(|p| p.id_number).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.name).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.birth_date).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.sex).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.phone).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.area).collect::<Vec<_>>())
            .bind(by.at)
            .fetch_all(&mut *self)
            .await?;
            out.extend(ids);
        }
        Ok(out)
    }

    async fn add_certifications(&mut self, certs: &[NewCert<'_>], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in certs.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at,
                     policy_id, area_code, submitter_role, source, import_id, import_line, listed_on)
                 SELECT t.person_id, t.category, t.department, 'confirmed', $1, $1, t.policy_id, t.area_code, $2, 'list',
                     $3, t.line, t.listed_on
                 FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::date[])
                     AS t(person_id, category, department, policy_id, area_code, line, listed_on)",
            )
            .bind(by.at)
            .bind(by.role)
            .bind(by.import_id)
            .bind(chunk.iter().map(|c| c.person_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.category).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.department).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.policy_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.area).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.line).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.listed_on).collect::<Vec<_>>())
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn revoke_certifications(&mut self, exits: &[Exit], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in exits.chunks(PG_BATCH) {
            sqlx::query(
                "WITH t AS (
                     SELECT * FROM UNNEST($1::bigint[], $2::date[], $3::text[]) AS t(id, valid_until, note)),
                 r AS (
                     UPDATE certifications c SET status = 'revoked', valid_until = t.valid_until, updated_at = $4
                     FROM t WHERE c.id = t.id AND c.status = 'flagged' RETURNING c.id)
                 INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                 SELECT r.id, 'list_exit', 'flagged', 'revoked', $5, t.note, $4 FROM r JOIN t ON t.id = r.id",
            )
            .bind(chunk.iter().map(|e| e.certification_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.valid_until).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.note.as_str()).collect::<Vec<_>>())
            .bind(by.at)
            .bind(by.account_id)
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn queue_for_review(&mut self, import_id: i64, problems: &[Problem], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in problems.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO adjustment_review (import_id, line, id_number_masked, category, kind, outcome, message, resolved, created_at)
                 SELECT $1, t.line, t.masked, t.category, t.kind, t.outcome, t.message, FALSE, $2
                 FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                     AS t(line, masked, category, kind, outcome, message)",
            )
            .bind(import_id)
            .bind(by.at)
            .bind(chunk.iter().map(|p| p.line).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.id_number_masked.as_deref()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.category).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.kind).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.outcome.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.message.as_str()).collect::<Vec<_>>())
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }
}

/// The groups of a multi-row VALUES: `shape` (with anonymous `?` parameters) repeated
/// `rows` times. SQLite only: numbered parameters (`$k`) cost a linear search per bind in
/// SQLite's parameter-name list, quadratic over 20,000 parameters (a 100,000-row list took
/// 50 s to apply; anonymous ones bind in order).
fn values(rows: usize, shape: &str) -> String {
    let mut out = String::with_capacity(rows * (shape.len() + 2));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push_str(shape);
    }
    out
}

impl ListWrites for sqlx::SqliteConnection {
    async fn add_people(&mut self, people: &[NewPerson<'_>], by: &Writer) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut out = Vec::with_capacity(people.len());
        for chunk in people.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
                 VALUES {} RETURNING id_number, id",
                values(chunk.len(), "(?, ?, ?, ?, ?, ?, TRUE, ?)")
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for p in chunk {
                q = q
                    .bind(p.id_number)
                    .bind(p.name)
                    .bind(p.birth_date)
                    .bind(p.sex)
                    .bind(p.phone)
                    .bind(p.area)
                    .bind(by.at);
            }
            out.extend(q.fetch_all(&mut *self).await?);
        }
        Ok(out)
    }

    async fn add_certifications(&mut self, certs: &[NewCert<'_>], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in certs.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at, policy_id,
                    area_code, submitter_role, source, import_id, import_line, listed_on)
                 VALUES {}",
                values(chunk.len(), "(?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 'list', ?, ?, ?)")
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q
                    .bind(c.person_id)
                    .bind(c.category)
                    .bind(c.department)
                    .bind(by.at)
                    .bind(by.at)
                    .bind(c.policy_id)
                    .bind(c.area)
                    .bind(by.role)
                    .bind(by.import_id)
                    .bind(c.line)
                    .bind(c.listed_on);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn revoke_certifications(&mut self, exits: &[Exit], by: &Writer) -> Result<(), sqlx::Error> {
        for e in exits {
            let n = sqlx::query(
                "UPDATE certifications SET status = 'revoked', valid_until = $1, updated_at = $2 WHERE id = $3 AND status = 'flagged'",
            )
            .bind(e.valid_until)
            .bind(by.at)
            .bind(e.certification_id)
            .execute(&mut *self)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                     VALUES ($1, 'list_exit', 'flagged', 'revoked', $2, $3, $4)",
                )
                .bind(e.certification_id)
                .bind(by.account_id)
                .bind(&e.note)
                .bind(by.at)
                .execute(&mut *self)
                .await?;
            }
        }
        Ok(())
    }

    async fn queue_for_review(&mut self, import_id: i64, problems: &[Problem], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in problems.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO adjustment_review (import_id, line, id_number_masked, category, kind, outcome, message, resolved, created_at)
                 VALUES {}",
                values(chunk.len(), "(?, ?, ?, ?, ?, ?, ?, FALSE, ?)")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(import_id)
                    .bind(p.line)
                    .bind(&p.id_number_masked)
                    .bind(p.category)
                    .bind(p.kind)
                    .bind(&p.outcome)
                    .bind(&p.message)
                    .bind(by.at);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }
}

/// Applies a previewed list: valid rows in one transaction, problems to the review queue.
pub async fn apply(state: &AppState, actor: &Actor, id: i64, client_ip: &str) -> Result<ImportReport, AppError> {
    let mut laps = Laps::start();
    let s = stored(state, actor, id).await?;
    if s.status != "previewed" {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    let read_ms = laps.lap();
    let parsed = parse_off_thread(s.body.clone()).await?;
    let parse_ms = laps.lap();
    let analysis = analyse(state, actor, parsed).await?;
    let analyse_ms = laps.lap();
    let r = report(&analysis, id, &s.file_name, true);
    let now = state.clock.now();

    // Everything to write, worked out before the transaction.
    let scope = actor.staff_scope()?.to_owned();
    let mut people: Vec<NewPerson> = Vec::new();
    let mut seen_new = FxHashSet::default();
    let mut adds: Vec<&Row> = Vec::new();
    let mut exits: Vec<Exit> = Vec::new();
    for row in &analysis.rows {
        if !matches!(row.verdict, Verdict::Valid) {
            continue;
        }
        let Some(idn) = &row.id else { continue };
        match row.kind {
            Some(Kind::Add) => {
                if !analysis.known.contains_key(idn.as_str()) && seen_new.insert(idn.as_str()) {
                    people.push(NewPerson {
                        id_number: idn.as_str(),
                        name: row.name.as_deref().unwrap_or_default(),
                        birth_date: idn.birth_date(),
                        sex: if idn.sex() == domain::Sex::Male {
                            "male"
                        } else {
                            "female"
                        },
                        phone: row.phone.as_deref(),
                        area: row.village.as_deref().unwrap_or_default(),
                    });
                }
                adds.push(row);
            }
            Some(Kind::Exit) => {
                let pid = analysis.known[idn.as_str()].person_id;
                let cat = row.category.map(|c| c.code().to_owned()).unwrap_or_default();
                if let Some(cid) = analysis.flagged.get(&(pid, cat)) {
                    let date = row.date.map(|d| d.to_string()).unwrap_or_default();
                    exits.push(Exit {
                        certification_id: *cid,
                        valid_until: row.date,
                        note: format!("动态调整名单#{id} 第{}行 退出 {date}", row.line),
                    });
                }
            }
            None => {}
        }
    }
    let problems: Vec<Problem> = analysis
        .rows
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Valid))
        .map(|row| {
            let p = problem_view(&analysis, row);
            Problem {
                line: row.line as i64,
                message: match &p.column {
                    Some(c) => format!("【{c}】{}", p.message),
                    None => p.message.clone(),
                },
                id_number_masked: p.id_number_masked,
                category: row.category.map(|c| c.code()),
                kind: row.kind.map(Kind::code),
                outcome: p.outcome,
            }
        })
        .collect();
    let by = Writer {
        account_id: s.uploaded_by,
        role: actor.role.code(),
        at: now,
        import_id: id,
    };

    let plan_ms = laps.lap();
    let (mut people_ms, mut certifications_ms) = (0, 0);
    let applied = with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query("UPDATE adjustment_imports SET status = 'applied', applied_at = $1 WHERE id = $2 AND status = 'previewed'")
            .bind(now).bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            Ok::<bool, sqlx::Error>(false)
        } else {
            let new_ids: FxHashMap<String, i64> = tx.add_people(&people, &by).await?.into_iter().collect();
            people_ms = laps.lap();
            let certs: Vec<NewCert> = adds.iter().map(|row| {
                let idn = row.id.as_ref().expect("valid rows have an ID").as_str();
                let known = analysis.known.get(idn);
                let (department, policy_id) = row.certifier.unwrap_or_default();
                NewCert {
                    person_id: known.map(|k| k.person_id).or_else(|| new_ids.get(idn).copied()).unwrap_or_default(),
                    category: row.category.map(|c| c.code()).unwrap_or_default(),
                    department,
                    policy_id,
                    area: known.and_then(|k| k.area.as_deref()).or(row.village.as_deref()).unwrap_or(&scope),
                    line: row.line as i64,
                    listed_on: row.date,
                }
            }).collect();
            tx.add_certifications(&certs, &by).await?;
            certifications_ms = laps.lap();
            tx.revoke_certifications(&exits, &by).await?;
            tx.queue_for_review(id, &problems, &by).await?;
            sqlx::query("UPDATE adjustment_imports SET report_json = $1 WHERE id = $2")
                .bind(serde_json::to_string(&r).unwrap_or_default()).bind(id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                         VALUES ($1, $2, 'adjustment_list_applied', $3, $4, $5, $6)")
                .bind(now).bind(by.account_id).bind(format!("import {id} {}", s.file_name))
                .bind(format!("adds {} exits {} new people {} problems {}", r.adds, r.exits, r.new_people, r.rows_total - r.valid))
                .bind(client_ip).bind(&scope).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }
    })?;
    if !applied {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    tracing::info!(
        import = id,
        rows = r.rows_total,
        read_ms,
        parse_ms,
        analyse_ms,
        plan_ms,
        people_ms,
        certifications_ms,
        rest_ms = laps.lap(),
        "adjustment list applied"
    );
    Ok(r)
}

/// The review queue: the rows of applied lists that were not applied (invalid, duplicated
/// in the file, in conflict), for the officers of the uploading department within their
/// area and for the bureau's officers over their whole scope. Open rows by default.
pub async fn review_queue(
    state: &AppState,
    actor: &Actor,
    outcome: Option<&str>,
    resolved: bool,
) -> Result<Vec<ReviewItem>, AppError> {
    may_import(actor)?;
    let outcome = outcome.map(str::trim).filter(|o| !o.is_empty());
    if let Some(o) = outcome {
        if !["invalid", "duplicate", "conflict"].contains(&o) {
            return Err(AppError::invalid(
                "outcome",
                "outcome_unknown",
                format!("未知的问题类型“{o}”，可选：invalid、duplicate、conflict"),
                format!("Unknown outcome {o:?}; use invalid, duplicate or conflict"),
            ));
        }
    }
    review_rows(state, actor, None, outcome, Some(resolved)).await
}

async fn review_rows(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    outcome: Option<&str>,
    resolved: Option<bool>,
) -> Result<Vec<ReviewItem>, AppError> {
    let scope = format!("{}%", actor.staff_scope()?);
    // Department officers see their own department's lists; the bureau sees them all.
    let department = (actor.role != Role::BureauOfficer).then(|| actor.account.department.clone().unwrap_or_default());
    type R = (
        i64,
        i64,
        String,
        Option<String>,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        bool,
        Option<String>,
    );
    let rows: Vec<R> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT r.id, r.import_id, i.file_name, i.department, r.line, r.id_number_masked, r.category, r.kind,
                r.outcome, r.message, r.resolved, r.resolution
         FROM adjustment_review r JOIN adjustment_imports i ON i.id = r.import_id
         WHERE i.area_code LIKE $1 AND ($2 IS NULL OR i.department = $2) AND ($3 IS NULL OR r.outcome = $3)
           AND ($4 IS NULL OR r.resolved = $4) AND ($5 IS NULL OR r.id = $5)
         ORDER BY r.import_id DESC, r.line LIMIT 500")
        .bind(&scope).bind(&department).bind(outcome).bind(resolved).bind(id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewItem {
            id: r.0,
            import_id: r.1,
            file_name: r.2,
            department: r.3,
            line: r.4,
            id_number_masked: r.5,
            category: r.6,
            kind: r.7,
            outcome: r.8,
            message: r.9,
            resolved: r.10,
            resolution: r.11,
        })
        .collect())
}

/// Settles one row of the review queue with what the officer did about it (a note is
/// required: the queue is the record that every problem row was dealt with).
pub async fn resolve_review(
    state: &AppState,
    actor: &Actor,
    id: i64,
    resolution: &str,
    client_ip: &str,
) -> Result<ReviewItem, AppError> {
    may_import(actor)?;
    let resolution: String = resolution.trim().chars().filter(|c| !c.is_control()).collect();
    if resolution.is_empty() {
        return Err(AppError::invalid(
            "resolution",
            "resolution_required",
            "请填写处理说明（例如：已更正后重新导入）",
            "Say what was done (e.g. corrected and uploaded again)",
        ));
    }
    if resolution.chars().count() > 200 {
        return Err(AppError::invalid(
            "resolution",
            "resolution_too_long",
            "处理说明不能超过200个字",
            "The note may be at most 200 characters",
        ));
    }
    let item = review_rows(state, actor, Some(id), None, None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("review_not_found", "未找到该待处理记录", "No such review item"))?;
    let already = || {
        AppError::Conflict(UserMessage::new(
            "already_resolved",
            None,
            "该记录已处理",
            "This item has already been resolved",
        ))
    };
    if item.resolved {
        return Err(already());
    }
    let now = state.clock.now();
    let subject = format!("import {} line {}", item.import_id, item.line);
    let entry = crate::store::audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "adjustment_review_resolved",
        subject: Some(&subject),
        detail: Some(&resolution),
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    // Resolved once, with its audit entry in the same transaction.
    let n = with_pool!(&state.db, p => {
        let mut tx = p.begin().await?;
        let n = sqlx::query(
            "UPDATE adjustment_review SET resolved = TRUE, resolution = $1, resolved_by = $2, resolved_at = $3
             WHERE id = $4 AND resolved = FALSE")
            .bind(&resolution).bind(actor.account.id).bind(now).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            crate::store::audit::audit_in_tx!(tx, &entry, now);
        }
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(n)
    })?;
    if n == 0 {
        return Err(already());
    }
    Ok(ReviewItem {
        resolved: true,
        resolution: Some(resolution),
        ..item
    })
}

/// A list's report: the dry run again while it waits for confirmation, the stored report
/// once applied.
pub async fn show(state: &AppState, actor: &Actor, id: i64) -> Result<ImportReport, AppError> {
    let s = stored(state, actor, id).await?;
    if s.status == "applied" {
        let json: Option<String> = with_pool!(&state.db, p => sqlx::query_scalar(
            "SELECT report_json FROM adjustment_imports WHERE id = $1").bind(id).fetch_one(p).await)?;
        return json
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| AppError::internal("adjustment report", "report missing"));
    }
    let analysis = analyse(state, actor, parse_off_thread(s.body.clone()).await?).await?;
    Ok(report(&analysis, id, &s.file_name, false))
}

/// line, masked ID number, outcome, column, message.
type ProblemLine = (u64, Option<String>, String, Option<String>, String);

/// Every problem row as an XLSX workbook with Chinese headers (from the review queue
/// once applied, from a fresh dry run before).
pub async fn error_report(state: &AppState, actor: &Actor, id: i64) -> Result<(String, Vec<u8>), AppError> {
    let s = stored(state, actor, id).await?;
    let rows: Vec<ProblemLine> = if s.status == "applied" {
        let stored: Vec<(i64, Option<String>, String, String)> = with_pool!(&state.db, p => sqlx::query_as(
            "SELECT line, id_number_masked, outcome, message FROM adjustment_review WHERE import_id = $1 ORDER BY line")
            .bind(id).fetch_all(p).await)?;
        stored
            .into_iter()
            .map(|(l, m, o, msg)| (l as u64, m, o, None, msg))
            .collect()
    } else {
        let analysis = analyse(state, actor, parse_off_thread(s.body.clone()).await?).await?;
        analysis
            .rows
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Valid))
            .map(|row| {
                let p = problem_view(&analysis, row);
                (row.line, p.id_number_masked, p.outcome, p.column, p.message)
            })
            .collect()
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let xerr = |e: rust_xlsxwriter::XlsxError| AppError::internal("xlsx", e);
    for (c, h) in ["行号", "身份证号码", "问题类型", "所在列", "说明"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(xerr)?;
    }
    for (r, (line, masked, outcome, column, message)) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        let outcome = match outcome.as_str() {
            "invalid" => "无效",
            "duplicate" => "重复",
            _ => "冲突",
        };
        sheet.write_number(r, 0, line as f64).map_err(xerr)?;
        sheet.write_string(r, 1, masked.unwrap_or_default()).map_err(xerr)?;
        sheet.write_string(r, 2, outcome).map_err(xerr)?;
        sheet.write_string(r, 3, column.unwrap_or_default()).map_err(xerr)?;
        sheet.write_string(r, 4, message).map_err(xerr)?;
    }
    let bytes = book.save_to_buffer().map_err(xerr)?;
    Ok((
        format!(
            "{}-问题行.xlsx",
            s.file_name.trim_end_matches(".xlsx").trim_end_matches(".csv")
        ),
        bytes,
    ))
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
