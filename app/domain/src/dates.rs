//! Calendar helpers over `chrono::NaiveDate`: strict parsing, month arithmetic with
//! end-of-month clamping, ages, insurance years and inclusive date ranges.
//!
//! There is no clock here: callers pass `today` in, which keeps the rules testable and
//! identical in the browser and on the server.

use std::fmt;

use chrono::{Datelike, Days, FixedOffset, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Asia/Shanghai: UTC+8 without daylight saving since 1991, so a fixed offset is exact.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Why a date, year or range is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("请填写日期")]
    Empty,
    #[error("日期格式应为“年-月-日”，例如 2023-01-01")]
    InvalidFormat,
    #[error("日期不存在，请检查年、月、日")]
    InvalidDate,
    #[error("参保年度应在1990年至2100年之间，当前为{year}年")]
    YearOutOfRange { year: i32 },
    #[error("结束日期（{end}）不能早于开始日期（{start}）")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
}

impl DateError {
    /// Stable snake_case machine code (API `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "date_empty",
            Self::InvalidFormat => "date_invalid_format",
            Self::InvalidDate => "date_invalid",
            Self::YearOutOfRange { .. } => "insurance_year_out_of_range",
            Self::EndBeforeStart { .. } => "date_range_end_before_start",
        }
    }

    /// English message for the English UI.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "Please enter a date.".to_owned(),
            Self::InvalidFormat => "Dates are written YYYY-MM-DD, e.g. 2023-01-01.".to_owned(),
            Self::InvalidDate => "This date does not exist; check the year, month and day.".to_owned(),
            Self::YearOutOfRange { year } => {
                format!("The insurance year must be between 1990 and 2100; got {year}.")
            }
            Self::EndBeforeStart { start, end } => {
                format!("The end date ({end}) is before the start date ({start}).")
            }
        }
    }
}

/// Parses exactly `YYYY-MM-DD` (zero-padded, ASCII digits), ignoring surrounding
/// whitespace. Stricter than chrono's `FromStr`, which accepts signs and other widths.
pub fn parse_date(s: &str) -> Result<NaiveDate, DateError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(DateError::InvalidFormat);
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    let year = i32::try_from(num(0..4)).expect("four digits fit in i32");
    NaiveDate::from_ymd_opt(year, num(5..7), num(8..10)).ok_or(DateError::InvalidDate)
}

/// Parses the ways people write a day in spreadsheets: `2022-09-01`, `2022-9-1`,
/// `2022/9/1`, `2022.9.1` and `2022年9月1日`. None for anything else or a day that does
/// not exist (2022-02-30).
pub fn parse_flexible(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let body = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = if body.contains('年') {
        let (y, rest) = body.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        if !s.ends_with('日') {
            return None;
        }
        vec![y, m, d]
    } else {
        if body.len() != s.len() {
            return None;
        }
        let sep = ['-', '/', '.'].into_iter().find(|c| body.contains(*c))?;
        body.split(sep).collect()
    };
    let [y, m, d] = parts.as_slice() else { return None };
    let digits = |p: &str, max: usize| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
    if y.len() != 4 || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The same day of the month `months` later, clamped to that month's last day:
/// 2022-12-31 + 2 → 2023-02-28; 2023-11-29 + 3 → 2024-02-29.
///
/// # Panics
/// If the result is beyond chrono's range (year 262143).
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the month's end, which is the rule the notices use for
    // "N months waiting period".
    date.checked_add_months(Months::new(months)).expect("date out of range")
}

/// `days` calendar days later.
///
/// # Panics
/// If the result is beyond chrono's range (year 262143).
pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .expect("date out of range")
}

pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists in every month")
}

pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(days_in_month(date.year(), date.month()))
        .expect("last day exists in its month")
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`.
///
/// # Panics
/// If `month` is not 1–12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => panic!("month out of range: {month}"),
    }
}

/// Age in full years (周岁) on `on`; 0 if `on` is before `birth`.
///
/// The age goes up on the birthday itself. Someone born on 29 February reaches their
/// birthday on 1 March in common years (the convention in most statutes that address
/// it), so 2000-02-29 is 0 on 2001-02-28 and 1 on 2001-03-01.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    // Comparing (month, day) pairs gives the 1 March rule for free: (2, 28) < (2, 29).
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).expect("on >= birth so years >= 0")
}

/// Serde helpers for a `NaiveDate` as exactly `"YYYY-MM-DD"`, for use with
/// `#[serde(with = "domain::dates::ymd")]`.
pub mod ymd {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format("%Y-%m-%d"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        // Owned: JSON strings with escapes cannot be borrowed.
        let s = String::deserialize(deserializer)?;
        super::parse_date(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar insurance year (参保年度), 1 January to 31 December.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct InsuranceYear(i32);

impl InsuranceYear {
    pub const MIN: i32 = 1990;
    pub const MAX: i32 = 2100;

    /// Accepts 1990..=2100: resident insurance started in the 2000s, so anything
    /// outside is a typo rather than a real year.
    pub fn new(year: i32) -> Result<InsuranceYear, DateError> {
        if (Self::MIN..=Self::MAX).contains(&year) {
            Ok(InsuranceYear(year))
        } else {
            Err(DateError::YearOutOfRange { year })
        }
    }

    /// The insurance year containing `date`.
    pub fn of(date: NaiveDate) -> Result<InsuranceYear, DateError> {
        InsuranceYear::new(date.year())
    }

    pub fn year(self) -> i32 {
        self.0
    }

    /// 1 January.
    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 1, 1).expect("year in range")
    }

    /// 31 December.
    pub fn end(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 12, 31).expect("year in range")
    }

    pub fn range(self) -> DateRange {
        DateRange {
            start: self.start(),
            end: self.end(),
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        date.year() == self.0
    }

    /// `None` after 2100.
    pub fn next(self) -> Option<InsuranceYear> {
        InsuranceYear::new(self.0 + 1).ok()
    }

    /// `None` before 1990.
    pub fn previous(self) -> Option<InsuranceYear> {
        InsuranceYear::new(self.0 - 1).ok()
    }

    /// "2023年度".
    pub fn label_zh(self) -> String {
        format!("{}年度", self.0)
    }

    /// "2023".
    pub fn label_en(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for InsuranceYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<i32> for InsuranceYear {
    type Error = DateError;

    fn try_from(year: i32) -> Result<Self, Self::Error> {
        InsuranceYear::new(year)
    }
}

impl From<InsuranceYear> for i32 {
    fn from(year: InsuranceYear) -> i32 {
        year.0
    }
}

/// An inclusive range of days, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "DateRangeRaw")]
pub struct DateRange {
    #[serde(with = "ymd")]
    start: NaiveDate,
    #[serde(with = "ymd")]
    end: NaiveDate,
}

/// Unvalidated wire form, so deserialization goes through [`DateRange::new`].
#[derive(Deserialize)]
struct DateRangeRaw {
    #[serde(with = "ymd")]
    start: NaiveDate,
    #[serde(with = "ymd")]
    end: NaiveDate,
}

impl TryFrom<DateRangeRaw> for DateRange {
    type Error = DateError;

    fn try_from(raw: DateRangeRaw) -> Result<Self, Self::Error> {
        DateRange::new(raw.start, raw.end)
    }
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<DateRange, DateError> {
        if start <= end {
            Ok(DateRange { start, end })
        } else {
            Err(DateError::EndBeforeStart { start, end })
        }
    }

    /// A range of one day.
    pub fn single(day: NaiveDate) -> DateRange {
        DateRange { start: day, end: day }
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// True when the ranges share at least one day.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// The shared days, if any.
    pub fn intersection(&self, other: &DateRange) -> Option<DateRange> {
        DateRange::new(self.start.max(other.start), self.end.min(other.end)).ok()
    }

    /// Number of days, both ends included (a single day is 1).
    pub fn days(&self) -> u32 {
        // chrono's whole range is under 200 million days, so this always fits.
        u32::try_from((self.end - self.start).num_days() + 1).expect("span fits in u32")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn flexible_dates_in_the_forms_spreadsheets_use() {
        let d = NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();
        for s in [
            "2022-09-01",
            "2022-9-1",
            "2022/9/1",
            "2022/09/01",
            "2022.9.1",
            "2022年9月1日",
            " 2022年09月01日 ",
        ] {
            assert_eq!(parse_flexible(s), Some(d), "{s}");
        }
        for s in [
            "2022-02-30",
            "2022年2月30日",
            "22/9/1",
            "2022-9",
            "2022年9月1",
            "2022-09-01x",
            "",
            "2022/9-1",
            "９/1/2022",
        ] {
            assert_eq!(parse_flexible(s), None, "{s}");
        }
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn parse_date_strict() {
        assert_eq!(d("2023-01-01"), NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
        assert_eq!(d(" 2024-02-29 "), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert_eq!(parse_date("  "), Err(DateError::Empty));
        for bad in [
            "2023-1-01",
            "2023-01-1",
            "2023/01/01",
            "20230101",
            "+2023-01-01",
            "2023-01-01T00:00:00",
            "２０２３-01-01",
            "abcd-ef-gh",
            "2023-0a-01",
        ] {
            assert_eq!(parse_date(bad), Err(DateError::InvalidFormat), "{bad:?}");
        }
        for bad in ["2023-02-29", "2023-13-01", "2023-00-10", "2023-04-31", "2023-01-00"] {
            assert_eq!(parse_date(bad), Err(DateError::InvalidDate), "{bad:?}");
        }
        assert_eq!(DateError::InvalidDate.code(), "date_invalid");
        assert!(DateError::InvalidFormat.to_string().contains("2023-01-01"));
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(add_months_clamped(d("2022-12-31"), 2), d("2023-02-28"));
        assert_eq!(add_months_clamped(d("2024-11-30"), 3), d("2025-02-28"));
        assert_eq!(add_months_clamped(d("2023-11-29"), 3), d("2024-02-29"));
        assert_eq!(add_months_clamped(d("2023-11-30"), 3), d("2024-02-29"));
        assert_eq!(add_months_clamped(d("2022-10-08"), 3), d("2023-01-08"));
        assert_eq!(add_months_clamped(d("2023-01-31"), 1), d("2023-02-28"));
        assert_eq!(add_months_clamped(d("2023-03-31"), 1), d("2023-04-30"));
        assert_eq!(add_months_clamped(d("2019-11-26"), 6), d("2020-05-26"));
        assert_eq!(add_months_clamped(d("2020-08-31"), 6), d("2021-02-28"));
        assert_eq!(add_months_clamped(d("2023-05-15"), 0), d("2023-05-15"));
        assert_eq!(add_months_clamped(d("2023-05-15"), 24), d("2025-05-15"));
    }

    #[test]
    fn add_days_and_month_bounds() {
        // Rugao: 180 days after paying on 2019-11-26.
        assert_eq!(add_days(d("2019-11-26"), 180), d("2020-05-24"));
        assert_eq!(add_days(d("2023-12-31"), 1), d("2024-01-01"));
        assert_eq!(add_days(d("2023-12-31"), 0), d("2023-12-31"));
        assert_eq!(first_of_month(d("2023-03-10")), d("2023-03-01"));
        assert_eq!(last_of_month(d("2023-02-10")), d("2023-02-28"));
        assert_eq!(last_of_month(d("2024-02-01")), d("2024-02-29"));
        assert_eq!(last_of_month(d("2023-12-31")), d("2023-12-31"));
        assert_eq!(last_of_month(d("2023-04-01")), d("2023-04-30"));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(2023));
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d("1990-01-01"), d("2023-01-01")), 33);
        assert_eq!(age_on(d("1990-01-01"), d("2022-12-31")), 32);
        assert_eq!(age_on(d("2020-05-05"), d("2020-05-05")), 0);
        assert_eq!(age_on(d("2020-05-05"), d("2019-05-05")), 0);
        // Feb 29: birthday reached on Mar 1 in common years, on Feb 29 in leap years.
        assert_eq!(age_on(d("2000-02-29"), d("2001-02-28")), 0);
        assert_eq!(age_on(d("2000-02-29"), d("2001-03-01")), 1);
        assert_eq!(age_on(d("2000-02-29"), d("2004-02-28")), 3);
        assert_eq!(age_on(d("2000-02-29"), d("2004-02-29")), 4);
        // Born on Mar 1 in a leap year: not yet on Feb 29.
        assert_eq!(age_on(d("2003-03-01"), d("2004-02-29")), 0);
    }

    #[test]
    fn insurance_year() {
        let y = InsuranceYear::new(2023).unwrap();
        assert_eq!(y.year(), 2023);
        assert_eq!(y.start(), d("2023-01-01"));
        assert_eq!(y.end(), d("2023-12-31"));
        assert!(y.contains(d("2023-06-30")));
        assert!(!y.contains(d("2022-12-31")));
        assert!(!y.contains(d("2024-01-01")));
        assert_eq!(InsuranceYear::of(d("2022-09-01")).unwrap().year(), 2022);
        assert_eq!(y.next().unwrap().year(), 2024);
        assert_eq!(y.previous().unwrap().year(), 2022);
        assert_eq!(InsuranceYear::new(2100).unwrap().next(), None);
        assert_eq!(InsuranceYear::new(1990).unwrap().previous(), None);
        assert_eq!(y.to_string(), "2023");
        assert_eq!(y.label_zh(), "2023年度");
        assert_eq!(y.label_en(), "2023");
        assert_eq!(y.range().days(), 365);
        assert_eq!(InsuranceYear::new(2024).unwrap().range().days(), 366);
        let e = InsuranceYear::new(1989).unwrap_err();
        assert_eq!(e, DateError::YearOutOfRange { year: 1989 });
        assert_eq!(e.to_string(), "参保年度应在1990年至2100年之间，当前为1989年");
        assert_eq!(e.code(), "insurance_year_out_of_range");
        assert!(InsuranceYear::new(2101).is_err());
        assert!(InsuranceYear::of(d("1980-01-01")).is_err());
        assert!(InsuranceYear::new(2022).unwrap() < y);
    }

    #[test]
    fn insurance_year_serde() {
        let y = InsuranceYear::new(2021).unwrap();
        assert_eq!(serde_json::to_string(&y).unwrap(), "2021");
        assert_eq!(serde_json::from_str::<InsuranceYear>("2021").unwrap(), y);
        let err = serde_json::from_str::<InsuranceYear>("1800").unwrap_err();
        assert!(err.to_string().contains("1990"), "{err}");
        assert!(serde_json::from_str::<InsuranceYear>("\"2021\"").is_err());
    }

    #[test]
    fn date_range() {
        let period = DateRange::new(d("2022-09-01"), d("2022-12-25")).unwrap();
        assert_eq!(period.start(), d("2022-09-01"));
        assert_eq!(period.end(), d("2022-12-25"));
        assert!(period.contains(d("2022-09-01")));
        assert!(period.contains(d("2022-12-25")));
        assert!(!period.contains(d("2022-08-31")));
        assert!(!period.contains(d("2022-12-26")));
        assert_eq!(period.days(), 116);
        assert_eq!(DateRange::single(d("2022-09-01")).days(), 1);

        let touching = DateRange::new(d("2022-12-25"), d("2023-01-10")).unwrap();
        let after = DateRange::new(d("2022-12-26"), d("2023-01-10")).unwrap();
        assert!(period.overlaps(&touching));
        assert!(touching.overlaps(&period));
        assert!(!period.overlaps(&after));
        assert!(!after.overlaps(&period));
        assert!(period.overlaps(&period));
        assert_eq!(period.intersection(&touching), Some(DateRange::single(d("2022-12-25"))));
        assert_eq!(period.intersection(&after), None);

        let e = DateRange::new(d("2023-01-02"), d("2023-01-01")).unwrap_err();
        assert_eq!(e.code(), "date_range_end_before_start");
        assert_eq!(e.to_string(), "结束日期（2023-01-01）不能早于开始日期（2023-01-02）");
        assert!(e.message_en().contains("2023-01-02"));
    }

    #[test]
    fn date_range_serde() {
        let r = DateRange::new(d("2019-11-16"), d("2019-11-25")).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"start":"2019-11-16","end":"2019-11-25"}"#);
        assert_eq!(serde_json::from_str::<DateRange>(&json).unwrap(), r);
        let err = serde_json::from_str::<DateRange>(r#"{"start":"2019-11-26","end":"2019-11-25"}"#).unwrap_err();
        assert!(err.to_string().contains("不能早于"), "{err}");
        assert!(serde_json::from_str::<DateRange>(r#"{"start":"2019-11-6","end":"2019-11-25"}"#).is_err());
        assert!(serde_json::from_str::<DateRange>(r#"{"start":"2019-11-16"}"#).is_err());
    }
}
