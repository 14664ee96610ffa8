//! `quote()`: may a person enrol, what do they pay, and from when are they covered —
//! with the plain-words reasons and the notice behind each figure.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::pack::*;
use crate::dates::{add_days, add_months_clamped, first_of_month, parse_date};
use crate::id_number::IdNumber;
use crate::money::Money;

mod category;
mod decide;
mod start;
pub use decide::decide;

fn yes() -> bool {
    true
}

/// The person, as the public API describes them. Dates stay strings here so a bad one
/// is reported with its field instead of failing the whole request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PersonInput {
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub certified_on: Option<String>,
    #[serde(default)]
    pub student: bool,
    #[serde(default)]
    pub employee_insurance_active: bool,
    #[serde(default)]
    pub employee_insurance_ended_on: Option<String>,
    #[serde(default = "yes")]
    pub hukou_local: bool,
    #[serde(default)]
    pub months_resident: Option<i64>,
    #[serde(default)]
    pub insured_elsewhere: bool,
    /// Earlier insurance years the person paid for (continuity rewards).
    #[serde(default)]
    pub enrolled_years: Vec<i32>,
    /// `"flexible_employment"` (灵活就业人员), `"migrant_worker"` (农民工) or null.
    #[serde(default)]
    pub work: Option<String>,
    /// For a student: `"kindergarten"`, `"primary_secondary"` or `"higher_education"`.
    #[serde(default)]
    pub school: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuoteRequest {
    pub policy: String,
    pub person: PersonInput,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub add_ons: Vec<String>,
    pub paid_on: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StartRule {
    OnTime,
    LateWaiting,
    Newborn,
    EmployeeInsuranceTransfer,
    NewlyCertified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reason {
    pub code: String,
    pub message: String,
    pub message_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Continuity {
    pub consecutive_years: u32,
    pub inpatient_bonus_points: u32,
    pub employee_equivalent_months: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Quote {
    pub policy: String,
    pub eligible: bool,
    /// False when the pack's notice sets no amount for this person: the unknown figures and
    /// everything computed from them are null, never borrowed from elsewhere.
    #[serde(default = "yes")]
    pub priced: bool,
    pub ineligible_reasons: Vec<Reason>,
    pub tier: Option<TierCode>,
    pub benefit_tier: Option<TierCode>,
    pub standard_contribution: Option<Money>,
    pub subsidy: Option<Money>,
    pub late_surcharge: Option<Money>,
    pub add_ons_total: Option<Money>,
    pub personal_due: Option<Money>,
    pub applied_category: Option<Category>,
    pub benefit_start: Option<NaiveDate>,
    pub benefit_end: Option<NaiveDate>,
    pub start_rule: Option<StartRule>,
    pub continuity: Option<Continuity>,
    pub explanation: Vec<Arc<str>>,
    pub explanation_en: Vec<Arc<str>>,
    pub citations: Vec<Citation>,
    /// Figures used that the notices do not state (each with where it comes from).
    pub assumptions: Vec<Arc<str>>,
    /// The same, in English.
    #[serde(default)]
    pub assumptions_en: Vec<Arc<str>>,
}

/// A request the engine cannot answer: which field, and why (Chinese and English).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{field}: {message}")]
pub struct QuoteError {
    pub field: String,
    pub code: String,
    pub message: String,
    pub message_en: String,
}

fn err(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> QuoteError {
    QuoteError {
        field: field.into(),
        code: code.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

fn date_field(field: &str, value: &str) -> Result<NaiveDate, QuoteError> {
    parse_date(value).map_err(|e| err(field, e.code(), e.to_string(), e.message_en()))
}

fn opt_date(field: &str, value: &Option<String>) -> Result<Option<NaiveDate>, QuoteError> {
    value.as_deref().map(|v| date_field(field, v)).transpose()
}

/// Which language a sentence is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// One explanation sentence: rendered on demand, or fixed by the pack and cached on it.
enum Line<'a> {
    Lazy(Box<dyn Fn(Lang) -> String + 'a>),
    Fixed(&'a [Arc<str>; 4]),
    /// Already rendered (hot sentences whose pieces are at hand).
    Text(Arc<str>, Arc<str>),
}
type CiteRef<'a> = (&'a Arc<str>, &'a Arc<str>);

/// Cache slots for sentences that depend on the pack alone (never on the person).
mod slot {
    pub const TIER: usize = 0; // + tier index (up to 2)
    pub const TIER_ASSUMED: usize = 2; // + tier index
    pub const STUDENT: usize = 4;
    pub const STUDENT_ASSUMED: usize = 5;
    pub const ELIGIBILITY_ASSUMED: usize = 6;
    pub const LATE_ASSUMED: usize = 7;
    pub const SURCHARGE: usize = 8;
    pub const SUBSIDY_ASSUMED: usize = 9;
    pub const TRANSFER_ASSUMED: usize = 10;
    pub const COMPONENT: usize = 11; // + component index (up to 8)
    pub const CATEGORY_ASSUMED: usize = 19; // + category rule index (up to 29)
    pub const ON_TIME: usize = 48; // + period index (up to 4)
    pub const BEFORE_PERIODS: usize = 52;
    pub const UNPRICED: usize = 53;
    pub const NEVER_LATE: usize = 54;
    pub const PERIOD_ASSUMED: usize = 55; // + period index (up to 4)
}

/// Joins pieces into an `Arc<str>` through a reused scratch string: one allocation per
/// sentence, and no UTF-8 check (a stack buffer would need one, slow on Chinese text).
fn arc_concat(scratch: &mut String, parts: &[&str]) -> Arc<str> {
    scratch.clear();
    for p in parts {
        scratch.push_str(p);
    }
    Arc::from(scratch.as_str())
}

/// A number's decimal digits without `fmt` or allocation, written into `buf`.
fn digits(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

/// `YYYY-MM-DD` without `fmt` or allocation (years 0–9999, as the engine's dates are).
fn iso(d: NaiveDate, buf: &mut [u8; 10]) -> &str {
    let (y, m, day) = (d.year().clamp(0, 9999) as u32, d.month(), d.day());
    let n = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        m / 10,
        m % 10,
        day / 10,
        day % 10,
    ];
    *buf = [
        b'0' + n[0] as u8,
        b'0' + n[1] as u8,
        b'0' + n[2] as u8,
        b'0' + n[3] as u8,
        b'-',
        b'0' + n[4] as u8,
        b'0' + n[5] as u8,
        b'-',
        b'0' + n[6] as u8,
        b'0' + n[7] as u8,
    ];
    std::str::from_utf8(buf).expect("ASCII date")
}

/// The explanation as sentences (deferred, or cached on the pack) and the citations
/// behind it, borrowed from the pack.
pub struct Story<'a> {
    cache: &'a SentenceCache,
    lines: Vec<Line<'a>>,
    cites: Vec<CiteRef<'a>>,
    assumptions: Vec<(&'a Arc<str>, &'a Arc<str>)>,
    lazy_assumptions: Vec<(String, String)>,
}

impl<'a> Story<'a> {
    fn new(cache: &'a SentenceCache) -> Story<'a> {
        Story {
            cache,
            lines: Vec::with_capacity(12),
            cites: Vec::with_capacity(8),
            assumptions: Vec::new(),
            lazy_assumptions: Vec::new(),
        }
    }

    fn cite(&mut self, cite: Option<CiteRef<'a>>) {
        if let Some(c) = cite {
            // Citations borrow the pack's strings: the same pointers are the same citation.
            // Clauses are short and differ more often than notices, so compare them first.
            let eq = |a: &Arc<str>, b: &Arc<str>| Arc::ptr_eq(a, b) || a == b;
            let same = |x: &CiteRef<'a>| eq(x.1, c.1) && eq(x.0, c.0);
            if !self.cites.iter().any(same) {
                self.cites.push(c);
            }
        }
    }

    fn say(&mut self, line: impl Fn(Lang) -> String + 'a, cite: Option<CiteRef<'a>>) {
        self.lines.push(Line::Lazy(Box::new(line)));
        self.cite(cite);
    }

    /// A sentence rendered now, in both languages.
    fn say_text(&mut self, zh: Arc<str>, en: Arc<str>, cite: Option<CiteRef<'a>>) {
        self.lines.push(Line::Text(zh, en));
        self.cite(cite);
    }

    /// A sentence fixed by the pack: rendered once into `slot`, shared afterwards.
    /// `line` must depend on nothing but the pack.
    fn say_fixed(&mut self, slot: usize, line: impl Fn(Lang) -> String + 'a, cite: Option<CiteRef<'a>>) {
        match self.cache.0.get(slot) {
            Some(cell) => {
                let v = cell.get_or_init(|| {
                    [
                        line(Lang::Zh).into(),
                        line(Lang::En).into(),
                        Arc::from(""),
                        Arc::from(""),
                    ]
                });
                self.lines.push(Line::Fixed(v));
                self.cite(cite);
            }
            None => self.say(line, cite),
        }
    }

    /// A value the notice does not state: a sentence saying so in each language (with the
    /// note in that language), and an assumption line (Chinese).
    fn assume(
        &mut self,
        slot: usize,
        what: (impl Into<Cow<'static, str>>, impl Into<Cow<'static, str>>),
        notes: Notes<'a>,
    ) {
        let (what_zh, what_en) = (what.0.into(), what.1.into());
        let note_zh: &'a str = notes.zh.as_deref().unwrap_or("");
        let note_en: &'a str = notes.en.as_deref().unwrap_or("");
        let render = |zh: &str, en: &str| {
            [
                Arc::from(format!("注意：通知未明确{zh}，此处按假设计算。{note_zh}")),
                Arc::from(format!(
                    "Note: the notice does not state the {en}; this uses an assumption. {note_en}"
                )),
                Arc::from(format!("{zh}：{note_zh}")),
                Arc::from(format!("{en}: {note_en}")),
            ]
        };
        match self.cache.0.get(slot) {
            Some(cell) => {
                let v = cell.get_or_init(|| render(&what_zh, &what_en));
                self.lines.push(Line::Fixed(v));
                self.assumptions.push((&v[2], &v[3]));
            }
            None => {
                let [zh, en, entry, entry_en] = render(&what_zh, &what_en);
                self.lines.push(Line::Lazy(Box::new(move |l| match l {
                    Lang::Zh => zh.to_string(),
                    Lang::En => en.to_string(),
                })));
                self.lazy_assumptions.push((entry.to_string(), entry_en.to_string()));
            }
        }
    }

    /// The sentences in Chinese and in English, consuming the story (sentences already
    /// rendered move into the result instead of being shared and dropped).
    fn render_both(self) -> (Vec<Arc<str>>, Vec<Arc<str>>) {
        let mut zh = Vec::with_capacity(self.lines.len());
        let mut en = Vec::with_capacity(self.lines.len());
        for line in self.lines {
            match line {
                Line::Lazy(f) => {
                    zh.push(Arc::from(f(Lang::Zh)));
                    en.push(Arc::from(f(Lang::En)));
                }
                Line::Fixed(v) => {
                    zh.push(Arc::clone(&v[0]));
                    en.push(Arc::clone(&v[1]));
                }
                Line::Text(z, e) => {
                    zh.push(z);
                    en.push(e);
                }
            }
        }
        (zh, en)
    }
}

fn cite<'a>(notice: &'a Arc<str>, clause: &'a Arc<str>) -> Option<CiteRef<'a>> {
    Some((notice, clause))
}

fn cite_of(c: &Option<Citation>) -> Option<CiteRef<'_>> {
    c.as_ref().map(|c| (&c.notice, &c.clause))
}

/// The subsidy a mode gives on a contribution (never more than the contribution).
pub fn subsidy_amount(mode: &SubsidyMode, standard: Money) -> Money {
    let raw = match mode {
        SubsidyMode::Full | SubsidyMode::AdvancedSettled { .. } => standard,
        // Callers ask `share` first; an unpriced subsidy has no amount to give.
        SubsidyMode::Unpriced => Money::ZERO,
        SubsidyMode::Fixed { amount } => *amount,
        SubsidyMode::Percent { percent } => standard.percent(*percent),
        SubsidyMode::PersonalPays { amount } => {
            if *amount >= standard {
                Money::ZERO
            } else {
                standard - *amount
            }
        }
    };
    raw.max(Money::ZERO).min(standard)
}

fn mode_words(mode: &SubsidyMode) -> (String, String) {
    match mode {
        SubsidyMode::Full => (
            "个人缴费部分由财政全额资助".into(),
            "the personal contribution is paid in full by government".into(),
        ),
        SubsidyMode::Fixed { amount } => (
            format!("财政定额资助{amount}元"),
            format!("government pays a fixed {amount} yuan"),
        ),
        SubsidyMode::Percent { percent } => (
            format!("财政资助个人缴费的{percent}%"),
            format!("government pays {percent}% of the personal contribution"),
        ),
        SubsidyMode::PersonalPays { amount } => (
            format!("个人只需缴纳{amount}元"),
            format!("the person pays only {amount} yuan"),
        ),
        SubsidyMode::AdvancedSettled { settled_with } => (
            format!(
                "个人缴费部分先由财政代垫，再与{}结算，个人无需缴费",
                department_zh(settled_with)
            ),
            format!(
                "government advances the contribution and settles it later with {}; the person pays nothing",
                department_en(settled_with)
            ),
        ),
        SubsidyMode::Unpriced => (
            "由政府按规定标准资助参保".into(),
            "government subsidises the enrolment at the prescribed rate".into(),
        ),
    }
}

/// What a subsidy leaves the person to pay, where it can be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    /// The subsidy is this amount of a known contribution.
    Known(Money),
    /// The person pays nothing of the contribution, known or not.
    AllPaid,
    /// The notice sets no amount: neither the subsidy nor the person's share is known.
    Unknown,
}

impl Share {
    fn of(mode: &SubsidyMode, standard: Option<Money>) -> Share {
        match (mode, standard) {
            (m, _) if m.pays_all() => Share::AllPaid,
            (SubsidyMode::Unpriced, _) | (_, None) => Share::Unknown,
            (m, Some(s)) => Share::Known(subsidy_amount(m, s)),
        }
    }

    /// Most favourable first: paying nothing beats everything; an unknown subsidy beats a
    /// known one (it may be larger, so no figure is given rather than a possibly wrong one).
    fn rank(self) -> (u8, Money) {
        match self {
            Share::AllPaid => (2, Money::ZERO),
            Share::Unknown => (1, Money::ZERO),
            Share::Known(m) => (0, m),
        }
    }
}

/// A certifying department in English words (never its code in a sentence).
pub fn department_en(code: &str) -> &str {
    match code {
        "civil_affairs" => "the civil affairs department",
        "rural_revitalisation" => "the rural revitalisation department",
        "disabled_persons_federation" => "the disabled persons' federation",
        "veterans" => "the veterans affairs department",
        "health" => "the health department",
        "veteran_cadres" => "the veteran cadres bureau",
        "trade_union" => "the trade union",
        "party_organisation" => "the party organisation department",
        "finance" => "the finance department",
        other => other,
    }
}

pub fn department_zh(code: &str) -> &str {
    match code {
        "civil_affairs" => "民政部门",
        "rural_revitalisation" => "乡村振兴部门",
        "disabled_persons_federation" => "残联",
        "veterans" => "退役军人事务部门",
        "health" => "卫生健康部门",
        "veteran_cadres" => "老干部部门",
        "trade_union" => "工会",
        "party_organisation" => "党委组织部门",
        "finance" => "财政部门",
        other => other,
    }
}

/// Why a non-local person is not admitted, naming every way in that the pack has.
fn not_local_reason(el: &Eligibility) -> Reason {
    let (mut zh, mut en): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    if let Some(min) = el.nonlocal_min_months {
        zh.push(format!("在本地居住满{min}个月"));
        en.push(format!("after {min} months of residence"));
    }
    if el.nonlocal_students {
        if el.nonlocal_student_schools.is_empty() {
            zh.push("本地学校在校学生".into());
            en.push("as students at local schools".into());
        } else {
            let names_zh: Vec<&str> = el.nonlocal_student_schools.iter().map(|s| s.name_zh()).collect();
            let names_en: Vec<&str> = el.nonlocal_student_schools.iter().map(|s| s.name_en()).collect();
            zh.push(format!("本地{}在校学生", names_zh.join("、")));
            en.push(format!("as students at local {}", names_en.join(" or ")));
        }
    }
    if el.workers_any_hukou {
        zh.push("灵活就业人员、农民工".into());
        en.push("as flexible workers or migrant workers".into());
    }
    let (message, message_en) = if zh.is_empty() {
        (
            "本地政策只接受本地户籍居民参保".to_owned(),
            "Only residents with local household registration may enrol here".to_owned(),
        )
    } else {
        (
            format!("非本地户籍人员只有以下情况可以参保：{}", zh.join("，或")),
            format!("Non-local people qualify only {}", en.join(", or ")),
        )
    };
    Reason {
        code: "not_local".into(),
        message,
        message_en,
    }
}

fn finish<'a>(quote: Quote, story: Story<'a>) -> Decision<'a> {
    Decision { quote, story }
}

/// The engine's decision: every amount, date and rule, with the explanation still
/// unrendered (sentences are built only when [`Decision::render`] asks for them).
pub struct Decision<'a> {
    pub quote: Quote,
    pub story: Story<'a>,
}

impl Decision<'_> {
    /// The full quote with the explanation in Chinese and English.
    pub fn render(self) -> Quote {
        let Decision {
            quote: mut out,
            mut story,
        } = self;
        out.citations = story
            .cites
            .iter()
            .map(|(notice, clause)| Citation {
                notice: Arc::clone(notice),
                clause: Arc::clone(clause),
            })
            .collect();
        let lazy = std::mem::take(&mut story.lazy_assumptions);
        let n = story.assumptions.len() + lazy.len();
        (out.assumptions, out.assumptions_en) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (zh, en) in &story.assumptions {
            out.assumptions.push(Arc::clone(zh));
            out.assumptions_en.push(Arc::clone(en));
        }
        for (zh, en) in lazy {
            out.assumptions.push(Arc::from(zh));
            out.assumptions_en.push(Arc::from(en));
        }
        (out.explanation, out.explanation_en) = story.render_both();
        out
    }
}

/// Quotes one person against one pack: [`decide`] and render the explanation.
pub fn quote(pack: &PolicyPack, req: &QuoteRequest) -> Result<Quote, QuoteError> {
    decide(pack, req).map(Decision::render)
}

/// Consecutive paid years up to and including `year`, the reward they earn, and the
/// employee-insurance months they count for.
pub fn continuity(rule: &ContinuityRule, year: i32, history: &[i32]) -> Continuity {
    let paid = |y: i32| y == year || history.contains(&y);
    let mut consecutive = 0u32;
    let mut y = year;
    while y >= rule.counted_from && paid(y) {
        consecutive += 1;
        y -= 1;
    }
    // Only the bonus counts from `counted_from`; every resident year converts to employee months.
    // This year plus each distinct earlier year (counted without allocating: histories are short).
    let resident_years = 1 + history
        .iter()
        .enumerate()
        .filter(|(i, y)| **y < year && !history[..*i].contains(y))
        .count() as u32;
    Continuity {
        consecutive_years: consecutive,
        inpatient_bonus_points: if consecutive >= rule.consecutive_years {
            rule.inpatient_bonus_points
        } else {
            0
        },
        employee_equivalent_months: resident_years * 12 / rule.resident_years_per_employee_year,
    }
}

#[cfg(test)]
mod fast_text_tests {
    use super::*;

    #[test]
    fn continuity_counts_distinct_earlier_years() {
        let rule = ContinuityRule {
            counted_from: 2018,
            consecutive_years: 3,
            inpatient_bonus_points: 1,
            resident_years_per_employee_year: 5,
            notice: Arc::from("n"),
            clause: Arc::from("c"),
        };
        // Duplicates, a later year and this year itself are counted once or not at all.
        let c = continuity(&rule, 2021, &[2019, 2019, 2022, 2020, 2015, 2021]);
        assert_eq!((c.consecutive_years, c.inpatient_bonus_points), (3, 1));
        assert_eq!(c.employee_equivalent_months, 4 * 12 / 5);
        let c = continuity(&rule, 2021, &[]);
        assert_eq!(
            (
                c.consecutive_years,
                c.inpatient_bonus_points,
                c.employee_equivalent_months
            ),
            (1, 0, 2)
        );
    }

    #[test]
    fn iso_matches_chrono() {
        for (y, m, d) in [(2023, 1, 1), (1999, 12, 31), (2021, 3, 5), (980, 7, 9)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso(date, &mut [0; 10]), date.to_string());
        }
        let mut scratch = String::new();
        assert_eq!(
            &*arc_concat(&mut scratch, &["缴费", "", "2021-06-15"]),
            "缴费2021-06-15"
        );
        let long = "长".repeat(200);
        assert_eq!(&*arc_concat(&mut scratch, &[&long, "x"]), format!("{long}x"));
        for n in [0, 7, 10, 3650, u32::MAX] {
            assert_eq!(digits(n, &mut [0; 10]), n.to_string());
        }
    }
}
