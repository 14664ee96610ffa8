//! Reading uploaded sheets (CSV in UTF-8 or GB18030, XLSX), shared by every import: the
//! department lists, the roster and the targets. Limits are checked before anything is
//! loaded: the file's size by the caller, an XLSX's unpacked size, entry count and cell
//! span here, so a small zip cannot expand into gigabytes.

use crate::error::AppError;

/// A cell as text, whatever the file stored (dates from XLSX come as ISO dates).
pub type Cells = Vec<String>;
/// A file's rows as (line, cells).
pub type Table = Vec<(u64, Cells)>;

/// A problem with the file as a whole, on the `file` field.
pub fn file_error(code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid("file", code, zh, en)
}

pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .collect::<String>()
        .to_lowercase()
}

/// A file over `max_bytes`, refused with the limit that applies to it.
pub fn too_large(max_bytes: usize) -> AppError {
    // Below a megabyte (a policy pack's 256 KB) the limit is said in KB, not as "0 MB".
    let limit = if max_bytes >= 1024 * 1024 {
        format!("{} MB", max_bytes / 1024 / 1024)
    } else {
        format!("{} KB", max_bytes / 1024)
    };
    file_error(
        "file_too_large",
        format!("文件不能超过{}", limit.replace(' ', "")),
        format!("The file must be at most {limit}"),
    )
}

/// Reads a CSV (UTF-8) or XLSX table as (line, cells); the type is decided by the
/// content, and other files (PDF, images, old .xls) are refused by name; so is a file
/// over `max_bytes`.
pub fn read_table(bytes: &[u8], max_bytes: usize) -> Result<(&'static str, Table), AppError> {
    if bytes.is_empty() {
        return Err(file_error("file_empty", "文件是空的", "The file is empty"));
    }
    if bytes.len() > max_bytes {
        return Err(too_large(max_bytes));
    }
    if let Some(kind) = crate::services::certification::sniff(bytes) {
        return Err(file_error(
            "file_type",
            format!("这是{kind}文件，不是名单；请上传XLSX或UTF-8编码的CSV"),
            format!("This is a {kind} file, not a list; upload XLSX or UTF-8 CSV"),
        ));
    }
    let (kind, table) = if bytes.starts_with(b"PK\x03\x04") {
        ("xlsx", read_xlsx(bytes)?)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(file_error(
            "file_type",
            "不支持旧版Excel（.xls）文件，请另存为.xlsx或UTF-8编码的CSV",
            "Old Excel (.xls) files are not supported; save as .xlsx or UTF-8 CSV",
        ));
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            file_error(
                "file_type",
                "文件不是XLSX，也不是UTF-8编码的CSV；请用Excel另存为.xlsx或“CSV UTF-8”",
                "The file is neither XLSX nor UTF-8 CSV; save it from Excel as .xlsx or CSV UTF-8",
            )
        })?;
        if text.contains('\0') {
            return Err(file_error(
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
    let (_, table) = read_table(bytes, max_bytes)?;
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

/// `read_sheet` on the blocking pool.
pub async fn read_sheet_off_thread(bytes: Vec<u8>, max_bytes: usize) -> Result<(Vec<String>, Table), AppError> {
    crate::services::off_thread(move || read_sheet(&bytes, max_bytes)).await
}

/// A sheet's header row, each column named through an import's aliases.
pub struct Columns {
    head: Vec<String>,
    keys: Vec<Option<&'static str>>,
}

impl Columns {
    /// Names each header (trimmed, without a byte-order mark, lower-cased) with `aliases`.
    pub fn new(head: Vec<String>, aliases: fn(&str) -> Option<&'static str>) -> Columns {
        let head: Vec<String> = head
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let keys = head.iter().map(|h| aliases(&h.to_lowercase())).collect();
        Columns { head, keys }
    }

    /// The first column named `key`.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| *k == Some(key))
    }

    /// What a column was named as (None: a column the import does not read).
    pub fn key(&self, column: usize) -> Option<&'static str> {
        self.keys.get(column).copied().flatten()
    }

    /// A column's header as the file wrote it, for a problem's `column`.
    pub fn header(&self, column: Option<usize>) -> Option<String> {
        column.and_then(|c| self.head.get(c)).cloned()
    }
}

/// An import's sheet (roster, targets) read off the request's thread, its header row named
/// through `aliases`.
pub async fn read_columns(
    bytes: Vec<u8>,
    max_bytes: usize,
    aliases: fn(&str) -> Option<&'static str>,
) -> Result<(Columns, Table), AppError> {
    let (head, rows) = read_sheet_off_thread(bytes, max_bytes).await?;
    Ok((Columns::new(head, aliases), rows))
}

pub fn read_csv(text: &str) -> Result<Vec<(u64, Cells)>, AppError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            file_error(
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

pub const MAX_XLSX_ENTRIES: usize = 10_000;

pub fn xlsx_unreadable() -> AppError {
    file_error("file_type", "无法读取该Excel文件", "The Excel file cannot be read")
}

/// Refuses an XLSX whose parts unpack to too much, counting what actually comes out (the
/// sizes in the zip's headers can lie).
pub fn check_unpacked_size(bytes: &[u8]) -> Result<(), AppError> {
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
            return Err(file_error(
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
pub fn check_sheet_span<RS: std::io::Read + std::io::Seek>(
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
            return Err(file_error(
                "sheet_too_large",
                "Excel表格的范围过大（可能有远处的零散单元格），请删除多余的行和列后重新上传",
                "The sheet spans too many cells (stray cells far away?); delete extra rows and columns and upload again",
            ));
        }
    }
    Ok(())
}

pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<(u64, Cells)>, AppError> {
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
