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

/// Decides one person's case against one pack (amounts, dates, rules, citations).
pub fn decide<'a>(pack: &'a PolicyPack, req: &'a QuoteRequest) -> Result<Decision<'a>, QuoteError> {
    let p = &req.person;
    let paid_on = date_field("paid_on", &req.paid_on)?;
    let birth = match (&p.id_number, &p.birth_date) {
        (Some(id), _) if !id.trim().is_empty() => IdNumber::parse(id)
            .map_err(|e| err("person.id_number", e.code(), e.to_string(), e.message_en()))?
            .birth_date(),
        (_, Some(b)) => date_field("person.birth_date", b)?,
        _ => {
            return Err(err(
                "person.id_number",
                "person_identity_required",
                "请填写身份证号码或出生日期",
                "Give an ID number or a birth date",
            ))
        }
    };
    if birth > paid_on {
        return Err(err(
            "person.birth_date",
            "birth_after_payment",
            "出生日期不能晚于缴费日期",
            "The birth date cannot be after the payment date",
        ));
    }
    let certified_on = opt_date("person.certified_on", &p.certified_on)?;
    let ended_on = opt_date("person.employee_insurance_ended_on", &p.employee_insurance_ended_on)?;
    let work = match p.work.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(code) => Some(Work::from_code(code).ok_or_else(|| {
            err(
                "person.work",
                "work_unknown",
                format!("就业情况“{code}”无效，应为 flexible_employment（灵活就业人员）或 migrant_worker（农民工）"),
                format!("Unknown work {code:?}; use flexible_employment or migrant_worker"),
            )
        })?),
    };
    let school = match p.school.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(code) => Some(School::from_code(code).ok_or_else(|| {
            err(
                "person.school",
                "school_unknown",
                format!("学校类别“{code}”无效，应为 kindergarten、primary_secondary 或 higher_education"),
                format!("Unknown school {code:?}; use kindergarten, primary_secondary or higher_education"),
            )
        })?),
    };
    if let Some(m) = p.months_resident.filter(|m| *m < 0) {
        return Err(err(
            "person.months_resident",
            "months_resident_negative",
            format!("居住月数不能为负数（当前为{m}）"),
            format!("Months of residence cannot be negative (got {m})"),
        ));
    }

    let year = pack.insurance_year;
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).expect("validated year");
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).expect("validated year");
    let (window_start, window_end) = pack.collection_window();
    if paid_on < window_start || paid_on > window_end {
        return Err(err(
            "paid_on",
            "outside_collection_window",
            format!("缴费日期{paid_on}不在{year}年度的参保缴费期内（{window_start}至{window_end}）"),
            format!("{paid_on} is outside the {year} collection window ({window_start} to {window_end})"),
        ));
    }

    // The tier the person asked for.
    let single = pack.tiers.len() == 1;
    // Students and children whose tier the notice fixes (Weifang 四、(一)) choose none.
    let fixed_tier = pack.fixed_tier_rule(birth, p.student);
    let chosen = match (req.tier.as_deref(), single) {
        (None | Some("standard"), true) => Some(TierCode::Standard),
        (Some("high"), false) => Some(TierCode::High),
        (Some("low"), false) => Some(TierCode::Low),
        (None, false) if fixed_tier.is_some() => None,
        (None, false) => {
            return Err(err(
                "tier",
                "tier_required",
                "请选择缴费档次（高档或低档）",
                "Choose a tier: high or low",
            ))
        }
        (Some(t @ ("high" | "low")), true) => {
            return Err(err(
                "tier",
                "tier_not_offered",
                format!("该地区只有一个缴费档次，不能选择“{t}”"),
                format!("This jurisdiction has a single tier; {t:?} is not offered"),
            ))
        }
        (Some(other), _) => {
            return Err(err(
                "tier",
                "tier_unknown",
                format!("缴费档次“{other}”不存在，应为 high（高档）或 low（低档）"),
                format!("Unknown tier {other:?}; use high or low"),
            ))
        }
    };
    let mut add_ons: Vec<&AddOn> = Vec::new();
    for (i, code) in req.add_ons.iter().enumerate() {
        let Some(a) = pack.add_ons.iter().find(|a| &a.code == code) else {
            return Err(err(
                &format!("add_ons[{i}]"),
                "add_on_unknown",
                format!("本地没有“{code}”这一可选项目"),
                format!("{code:?} is not offered here"),
            ));
        };
        if !add_ons.iter().any(|x| x.code == a.code) {
            add_ons.push(a);
        }
    }

    let mut story = Story::new(&pack.sentences);
    let base = |q: &mut Quote| q.policy = pack.id.clone();
    let mut out = Quote {
        policy: String::new(),
        eligible: true,
        priced: true,
        ineligible_reasons: Vec::new(),
        tier: None,
        benefit_tier: None,
        standard_contribution: None,
        subsidy: None,
        late_surcharge: None,
        add_ons_total: None,
        personal_due: None,
        applied_category: None,
        benefit_start: None,
        benefit_end: None,
        start_rule: None,
        continuity: None,
        explanation: Vec::new(),
        explanation_en: Vec::new(),
        citations: Vec::new(),
        assumptions: Vec::new(),
        assumptions_en: Vec::new(),
    };
    base(&mut out);

    // Eligibility.
    let el = &pack.eligibility;
    let el_cite = cite(&el.notice, &el.clause);
    let mut reasons = Vec::new();
    if p.employee_insurance_active && el.excludes_employee_insurance {
        reasons.push(Reason {
            code: "in_employee_insurance".into(),
            message: "已参加职工基本医疗保险的人员不能参加城乡居民医保".into(),
            message_en: "People covered by employee medical insurance cannot enrol here".into(),
        });
    }
    if p.insured_elsewhere && el.excludes_insured_elsewhere {
        reasons.push(Reason {
            code: "insured_elsewhere".into(),
            message: "已在其他地方参加基本医保的人员不能重复参保".into(),
            message_en: "People already insured elsewhere cannot enrol twice".into(),
        });
    }
    let mut by_work = false;
    let mut school_rule = false;
    if !p.hukou_local {
        // A school not given is not held against the student (the API's clients may not
        // send it); one given outside the notice's list is refused, and the rule is said.
        let school_ok =
            el.nonlocal_student_schools.is_empty() || school.is_none_or(|s| el.nonlocal_student_schools.contains(&s));
        school_rule = p.student && el.nonlocal_students && !el.nonlocal_student_schools.is_empty();
        let by_school = p.student && el.nonlocal_students && school_ok;
        let by_residence = match (el.nonlocal_min_months, p.months_resident) {
            (Some(min), Some(m)) => m >= i64::from(min),
            _ => false,
        };
        by_work = el.workers_any_hukou && work.is_some() && !by_school && !by_residence;
        if !(by_school || by_residence || by_work) {
            reasons.push(not_local_reason(el));
        }
    }
    // Local registration qualifies under every notice; an assumed rule matters when it
    // decided the case: a non-local person (admitted or not) or a refusal.
    if el.assumption && (!p.hukou_local || !reasons.is_empty()) {
        story.assume(
            slot::ELIGIBILITY_ASSUMED,
            ("参保范围", "eligibility rules"),
            Notes::of(&el.note_zh, &el.note_en),
        );
    }
    if !reasons.is_empty() {
        for r in &reasons {
            let (zh, en) = (r.message.clone(), r.message_en.clone());
            story.say(
                move |l| match l {
                    Lang::Zh => zh.clone(),
                    Lang::En => en.clone(),
                },
                el_cite,
            );
        }
        out.eligible = false;
        out.ineligible_reasons = reasons;
        return Ok(finish(out, story));
    }

    if school_rule {
        let schools = &el.nonlocal_student_schools;
        story.say(
            move |l| {
                let names: Vec<&str> = schools
                    .iter()
                    .map(|s| match l {
                        Lang::Zh => s.name_zh(),
                        Lang::En => s.name_en(),
                    })
                    .collect();
                match l {
                    Lang::Zh => format!("非本地户籍学生仅限在本地{}就读的在校学生参保。", names.join("、")),
                    Lang::En => format!("Non-local students may enrol only at local {}.", names.join(" or ")),
                }
            },
            el_cite,
        );
    }
    if by_work {
        story.say(
            |l| match l {
                Lang::Zh => "灵活就业人员、农民工参加城乡居民医保不受户籍限制。".to_owned(),
                Lang::En => {
                    "Flexible workers and migrant workers may enrol whatever their household registration.".to_owned()
                }
            },
            el_cite,
        );
    }
    // Tier actually paid and benefits received (students and children: low pays, high benefits).
    let (pay_tier, benefit_tier) = match (fixed_tier, chosen) {
        (Some(rule), _) => (rule.pays, rule.benefits),
        (None, Some(tier)) => (tier, tier),
        (None, None) => unreachable!("a tier is chosen or fixed by the student rule"),
    };
    let tier_index = pack
        .tiers
        .iter()
        .position(|t| t.code == pay_tier)
        .expect("validated tiers");
    let tier = &pack.tiers[tier_index];
    let standard = tier.personal.as_ref().map(|c| c.value);
    match &tier.personal {
        Some(personal) => {
            let amount = personal.value;
            story.say_fixed(
                slot::TIER + tier_index,
                move |l| match l {
                    Lang::Zh => format!(
                        "{}{}年度城乡居民医保{}个人缴费标准为每人{}元。",
                        pack.jurisdiction, year, tier.name_zh, amount
                    ),
                    Lang::En => format!(
                        "In {} the {} personal contribution for {} is {} yuan.",
                        pack.jurisdiction_en, tier.name_en, year, amount
                    ),
                },
                Some(personal.cite_ref()),
            );
            if personal.assumption {
                story.assume(
                    slot::TIER_ASSUMED + tier_index,
                    ("个人缴费标准", "personal contribution"),
                    personal.notes(),
                );
            }
        }
        // The notice sets no contribution: say so, with no figure from anywhere else.
        None => story.say_fixed(
            slot::TIER + tier_index,
            move |l| match l {
                Lang::Zh => format!(
                    "本通知（{}）未规定{}{}年度城乡居民医保个人缴费标准。",
                    pack.notice, pack.jurisdiction, year
                ),
                Lang::En => format!(
                    "The notice ({}) sets no personal contribution for residents of {} in {}.",
                    pack.notice, pack.jurisdiction_en, year
                ),
            },
            None,
        ),
    }
    if let Some(rule) = fixed_tier {
        let benefits = pack.tier(rule.benefits).expect("validated tiers");
        story.say_fixed(
            slot::STUDENT,
            move |l| match l {
                Lang::Zh => format!("学生和儿童按{}缴费，享受{}待遇。", tier.name_zh, benefits.name_zh),
                Lang::En => format!(
                    "Students and children pay the {} and receive {} benefits.",
                    tier.name_en, benefits.name_en
                ),
            },
            cite(&rule.notice, &rule.clause),
        );
        // A tier asked for against the rule is not silently dropped: the reader is told why.
        if let Some(asked) = chosen.filter(|c| *c != rule.pays).and_then(|c| pack.tier(c)) {
            story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您选择的{}不适用：学生和儿童统一按{}缴费。",
                        asked.name_zh, tier.name_zh
                    ),
                    Lang::En => format!(
                        "The {} you chose does not apply: students and children all pay the {}.",
                        asked.name_en, tier.name_en
                    ),
                },
                cite(&rule.notice, &rule.clause),
            );
        }
        if rule.assumption {
            story.assume(
                slot::STUDENT_ASSUMED,
                ("学生和儿童的认定", "definition of students and children"),
                Notes::of(&rule.note_zh, &rule.note_en),
            );
        }
    }
    for (i, c) in pack.components.iter().enumerate() {
        let at = if i < 8 { slot::COMPONENT + i } else { usize::MAX };
        story.say_fixed(
            at,
            move |l| match l {
                Lang::Zh => format!("个人缴费已包含{}。", c.name_zh),
                Lang::En => format!("The contribution includes {}.", c.name_en),
            },
            cite(&c.notice, &c.clause),
        );
    }

    // Subsidy: the most favourable category (or combination) the person holds.
    let mut held = Vec::new();
    for code in &p.categories {
        match Category::from_code(code) {
            Some(c)
                if pack.category(c).is_some()
                    || pack
                        .combinations
                        .iter()
                        .any(|r| r.all_of.contains(&c) || r.any_of.contains(&c)) =>
            {
                if !held.contains(&c) {
                    held.push(c)
                }
            }
            Some(c) => story.say(
                move |l| match l {
                    Lang::Zh => format!("本地政策未将“{}”列为资助类别，未计入费用。", c.name_zh()),
                    Lang::En => format!(
                        "This policy does not list {} as a subsidised group; it is not counted.",
                        c.name_en()
                    ),
                },
                None,
            ),
            None => story.say(
                move |l| match l {
                    Lang::Zh => format!("“{code}”不是已知的资助类别，未计入费用。"),
                    Lang::En => format!("{code:?} is not a known category; it is not counted."),
                },
                None,
            ),
        }
    }
    struct Best<'a> {
        share: Share,
        category: Category,
        mode: &'a SubsidyMode,
        cite: Option<CiteRef<'a>>,
        /// (index of the category rule, its notes) when its figure is assumed.
        assumption: Option<(usize, Notes<'a>)>,
    }
    let mut candidates: Vec<Best> = Vec::new();
    for c in &held {
        if let Some(idx) = pack.categories.iter().position(|r| r.category == *c) {
            let rule = &pack.categories[idx];
            candidates.push(Best {
                share: Share::of(&rule.subsidy, standard),
                category: *c,
                mode: &rule.subsidy,
                cite: cite(&rule.notice, &rule.clause),
                assumption: rule
                    .assumption
                    .then_some((idx, Notes::of(&rule.note_zh, &rule.note_en))),
            });
        }
    }
    for rule in &pack.combinations {
        let all = rule.all_of.iter().all(|c| held.contains(c));
        let any = rule.any_of.iter().find(|c| held.contains(c));
        if all && (rule.any_of.is_empty() || any.is_some()) {
            candidates.push(Best {
                share: Share::of(&rule.subsidy, standard),
                category: any.copied().unwrap_or(rule.all_of[0]),
                mode: &rule.subsidy,
                cite: cite(&rule.notice, &rule.clause),
                assumption: None,
            });
        }
    }
    // The most favourable wins; on a tie the earlier rule in the pack (stable order).
    let best = candidates.into_iter().fold(None::<Best>, |acc, b| match acc {
        Some(a) if a.share.rank() >= b.share.rank() => Some(a),
        _ => Some(b),
    });
    // The subsidy and the person's share of the contribution, each where it is known.
    let (subsidy, base_due) = match best.as_ref().map(|b| b.share) {
        None => (standard.map(|_| Money::ZERO), standard),
        Some(Share::Known(m)) => (Some(m), standard.map(|s| s - m)),
        Some(Share::AllPaid) => (standard, Some(Money::ZERO)),
        Some(Share::Unknown) => (None, None),
    };
    if let Some(b) = &best {
        // Copies for the deferred sentences (they must not borrow locals).
        let (category, mode) = (b.category, b.mode);
        if held.len() > 1 {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("您同时属于多个资助类别，按最优惠的“{}”计算。", category.name_zh()),
                    Lang::En => format!(
                        "You hold several categories; the most favourable, {}, applies.",
                        category.name_en()
                    ),
                },
                None,
            );
        }
        match (subsidy, base_due) {
            (Some(subsidy), Some(due)) => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}：财政资助{}元，个人缴纳{}元。",
                        category.name_zh(),
                        mode_words(mode).0,
                        subsidy,
                        due
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}: government pays {}, you pay {}.",
                        category.name_en(),
                        mode_words(mode).1,
                        subsidy,
                        due
                    ),
                },
                b.cite,
            ),
            (None, Some(due)) => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}：个人缴纳{}元。",
                        category.name_zh(),
                        mode_words(mode).0,
                        due
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}: you pay {}.",
                        category.name_en(),
                        mode_words(mode).1,
                        due
                    ),
                },
                b.cite,
            ),
            _ => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}；但通知未载明相应金额，无法计算资助金额和个人应缴金额。",
                        category.name_zh(),
                        mode_words(mode).0
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}; but the notice gives no amount, so neither the subsidy nor \
                         what you pay can be calculated.",
                        category.name_en(),
                        mode_words(mode).1
                    ),
                },
                b.cite,
            ),
        }
        if let Some((idx, note)) = b.assumption {
            let at = if idx < slot::ON_TIME - slot::CATEGORY_ASSUMED {
                slot::CATEGORY_ASSUMED + idx
            } else {
                usize::MAX
            };
            story.assume(
                at,
                (
                    format!("“{}”的资助标准", category.name_zh()),
                    format!("subsidy for {}", category.name_en()),
                ),
                note,
            );
        }
    }
    // A category the pack knows only inside a combination (Sanya: 低保 with 建档立卡), held
    // without its partner: the notice sets nothing for it alone, and the reader is told.
    if best.is_none() {
        for c in held.iter().copied() {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("本通知未规定“{}”单独的资助标准，未计入费用。", c.name_zh()),
                    Lang::En => format!(
                        "The notice sets no subsidy for {} on their own; it is not counted.",
                        c.name_en()
                    ),
                },
                None,
            );
        }
    }
    let applied_category = best.as_ref().map(|b| b.category);

    // Reused for the sentences that depend on the person (see `arc_concat`).
    let mut scratch = String::with_capacity(256);
    // When cover starts: every rule that applies proposes a date; the earliest wins.
    let on_time_period = pack
        .periods
        .iter()
        .find(|x| x.on_time && x.start <= paid_on && paid_on <= x.end);
    let before_periods = pack.periods.iter().filter(|x| x.on_time).all(|x| paid_on < x.start);
    // Exempt: the applied category pays the whole personal share (免缴人员, 代垫).
    let exempt = matches!(best.as_ref().map(|b| b.share), Some(Share::AllPaid));
    // Rugao 五、(二)3.: the exempt need no payment entry, so they are never late payers.
    let never_late = pack.exempt_never_late.is_some() && exempt;
    let on_time = on_time_period.is_some() || (before_periods && paid_on < year_start) || never_late;
    let mut starts: Vec<(NaiveDate, StartRule)> = Vec::new();
    let late = &pack.late;
    if on_time {
        starts.push((year_start, StartRule::OnTime));
    } else {
        let start = match (late.waiting_months, late.waiting_days) {
            (Some(m), _) => add_months_clamped(paid_on, m),
            (None, Some(d)) => add_days(paid_on, d),
            (None, None) => paid_on,
        };
        starts.push((start, StartRule::LateWaiting));
    }
    if pack.newborn_from_birth.is_some() && birth.year() == year && paid_on.year() == year {
        starts.push((birth, StartRule::Newborn));
    }
    if let (Some(t), Some(ended)) = (&pack.employee_transfer, ended_on) {
        let in_time = t.days.is_none_or(|d| (paid_on - ended).num_days() <= i64::from(d));
        // Only for whom the notice says (Sanya 四、(二): 建档立卡; Beijing 三、: 免缴人员).
        let for_them = if t.only_exempt {
            exempt
        } else {
            t.only_categories.is_empty() || t.only_categories.iter().any(|c| held.contains(c))
        };
        if !p.employee_insurance_active && paid_on >= ended && in_time && for_them {
            let from = match t.starts {
                TransferStart::Payment => paid_on,
                TransferStart::DayAfterEnd => add_days(ended, 1),
            };
            starts.push((from, StartRule::EmployeeInsuranceTransfer));
        }
    }
    // Beijing 三、: 免缴人员 already held (certified before the year, or with no date) are
    // covered for the whole year; the newly certified from the month of certification.
    let in_database =
        pack.exempt_in_database_whole_year.is_some() && exempt && certified_on.is_none_or(|c| c < year_start);
    if in_database {
        starts.push((year_start, StartRule::NewlyCertified));
    } else if let (Some(_), Some(certified), Some(_)) =
        (&pack.newly_certified_from_month, certified_on, applied_category)
    {
        starts.push((first_of_month(certified), StartRule::NewlyCertified));
    }
    let (start, rule) = starts
        .into_iter()
        .map(|(d, r)| (d.max(year_start), r))
        .min_by_key(|(d, r)| (*d, *r != StartRule::OnTime))
        .expect("at least one start rule");

    // Whether the payment counted as on time rests on period dates and kinds; where the notice
    // does not state them (Beijing 2020, Sanya's start, Rugao's sweep-up), the quote says they
    // are assumed, whichever way it fell: the first assumed on-time period, and the period
    // the payment falls in. One cache slot per period: the sentence depends on the pack only.
    if matches!(rule, StartRule::OnTime | StartRule::LateWaiting) && !never_late {
        let first_on_time = pack.periods.iter().position(|x| x.on_time && x.assumption);
        let paid_in = pack
            .periods
            .iter()
            .position(|x| x.assumption && x.start <= paid_on && paid_on <= x.end);
        for i in [first_on_time, paid_in.filter(|i| Some(*i) != first_on_time)]
            .into_iter()
            .flatten()
        {
            let x = &pack.periods[i];
            story.assume(
                if i < 4 { slot::PERIOD_ASSUMED + i } else { usize::MAX },
                (
                    "缴费期的起止日期及是否按时缴费的认定",
                    "payment period and what counts as paying on time",
                ),
                Notes::of(&x.note_zh, &x.note_en),
            );
        }
    }
    let mut late_surcharge = Money::ZERO;
    match rule {
        StartRule::OnTime if never_late && on_time_period.is_none() => story.say_fixed(
            slot::NEVER_LATE,
            move |l| match l {
                Lang::Zh => format!("免缴对象无需缴费录入，不按过期缴费处理，待遇从{}起享受。", year_start),
                Lang::En => format!(
                    "People exempt from paying need no payment entry and are never late payers; cover starts on {}.",
                    year_start
                ),
            },
            cite_of(&pack.exempt_never_late),
        ),
        StartRule::OnTime => match on_time_period {
            Some(x) => story.say_fixed(
                pack.periods
                    .iter()
                    .position(|p| std::ptr::eq(p, x))
                    .filter(|i| *i < 4)
                    .map_or(usize::MAX, |i| slot::ON_TIME + i),
                move |l| match l {
                    Lang::Zh => format!(
                        "您在集中缴费期（{}至{}）内缴费，待遇从{}起享受。",
                        x.start, x.end, year_start
                    ),
                    Lang::En => format!(
                        "You pay inside the collection period ({} to {}); cover starts on {}.",
                        x.start, x.end, year_start
                    ),
                },
                cite(&x.notice, &x.clause),
            ),
            None => story.say_fixed(
                slot::BEFORE_PERIODS,
                move |l| match l {
                    Lang::Zh => format!("您在集中缴费期开始前缴费，待遇从{}起享受。", year_start),
                    Lang::En => format!("You pay before the collection period; cover starts on {}.", year_start),
                },
                None,
            ),
        },
        StartRule::LateWaiting => {
            let (n, unit_zh, unit_en) = match (late.waiting_months, late.waiting_days) {
                (Some(m), _) => (m, "个月", " months"),
                (_, Some(d)) => (d, "天", " days"),
                _ => (0, "天", " days"),
            };
            let (mut n_buf, mut start_buf) = ([0u8; 10], [0u8; 10]);
            let (n, start_s) = (digits(n, &mut n_buf), iso(start, &mut start_buf));
            story.say_text(
                arc_concat(
                    &mut scratch,
                    &[
                        "您在集中缴费期之后缴费，需经过",
                        n,
                        unit_zh,
                        "等待期，待遇从",
                        start_s,
                        "起享受。",
                    ],
                ),
                arc_concat(
                    &mut scratch,
                    &[
                        "You pay after the collection period, so cover starts after a waiting period of ",
                        n,
                        unit_en,
                        ", on ",
                        start_s,
                        ".",
                    ],
                ),
                cite(&late.notice, &late.clause),
            );
            if late.assumption {
                story.assume(
                    slot::LATE_ASSUMED,
                    ("集中缴费期后参保的等待期", "waiting period after the collection period"),
                    Notes::of(&late.note_zh, &late.note_en),
                );
            }
            if late.pays_government_subsidy {
                if let Some(g) = &pack.government_subsidy {
                    late_surcharge = g.value;
                    story.say_fixed(
                        slot::SURCHARGE,
                        move |l| match l {
                            Lang::Zh => format!("集中缴费期外参保，个人需同时缴纳财政补助部分{}元。", g.value),
                            Lang::En => format!(
                                "Outside the collection period you also pay the government subsidy share, {} yuan.",
                                g.value
                            ),
                        },
                        Some(g.cite_ref()),
                    );
                    if g.assumption {
                        story.assume(
                            slot::SUBSIDY_ASSUMED,
                            ("人均财政补助标准", "per-capita government subsidy"),
                            g.notes(),
                        );
                    }
                }
            }
            if start > year_end {
                story.say(
                    move |l| match l {
                        Lang::Zh => format!("注意：等待期结束时{year}年度已结束，本年度将无法享受待遇。"),
                        Lang::En => format!(
                            "Note: the waiting period ends after {year} is over, so there is no cover this year."
                        ),
                    },
                    None,
                );
            }
        }
        StartRule::Newborn => {
            let c = cite_of(&pack.newborn_from_birth);
            story.say(
                move |l| match l {
                    Lang::Zh => format!("新生儿在出生当年参保，自出生之日（{birth}）起享受待遇。"),
                    Lang::En => format!("A newborn enrolled in the year of birth is covered from birth ({birth})."),
                },
                c,
            );
        }
        StartRule::EmployeeInsuranceTransfer => {
            let t = pack.employee_transfer.as_ref().expect("rule applied");
            let within = t.days;
            match t.starts {
                TransferStart::Payment => story.say(
                    move |l| match (l, within) {
                        (Lang::Zh, Some(d)) => {
                            format!("职工医保因解除劳动关系终止后{d}日内参加居民医保，自缴费之日（{paid_on}）起享受待遇。")
                        }
                        (Lang::Zh, None) => format!("职工医保终止后参加居民医保，自缴费之日（{paid_on}）起享受待遇。"),
                        (Lang::En, Some(d)) => format!(
                            "Enrolled within {d} days after employee insurance ended, you are covered from payment ({paid_on})."
                        ),
                        (Lang::En, None) => {
                            format!("Moving from employee insurance, you are covered from payment ({paid_on}).")
                        }
                    },
                    cite(&t.notice, &t.clause),
                ),
                TransferStart::DayAfterEnd => story.say(
                    move |l| match l {
                        Lang::Zh => format!("职工医保终止后转入城乡居民医保，待遇无缝衔接，自职工医保终止次日（{start}）起享受。"),
                        Lang::En => format!(
                            "Moving from employee insurance, you are covered without a gap from the day after it ended ({start})."
                        ),
                    },
                    cite(&t.notice, &t.clause),
                ),
            }
            if t.assumption {
                story.assume(
                    slot::TRANSFER_ASSUMED,
                    (
                        "职工医保中断后的参保期限和待遇起始日",
                        "time limit and start of cover after employee insurance ends",
                    ),
                    Notes::of(&t.note_zh, &t.note_en),
                );
            }
        }
        StartRule::NewlyCertified if in_database => story.say(
            move |l| match l {
                Lang::Zh => format!(
                    "已入库的免缴人员全年享受待遇，自{start}起；参保信息完善前发生的当年度医药费用实行手工报销。"
                ),
                Lang::En => format!(
                    "People exempt from paying already on record are covered for the whole year, from {start}; \
                     costs before their record is completed are reimbursed by hand."
                ),
            },
            cite_of(&pack.exempt_in_database_whole_year),
        ),
        StartRule::NewlyCertified => {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("新认定的资助对象自认定当月起享受待遇，即{start}起。"),
                    Lang::En => format!(
                        "Newly certified people are covered from the month of certification, i.e. from {start}."
                    ),
                },
                cite_of(&pack.newly_certified_from_month),
            );
        }
    }

    let mut add_ons_total = Money::ZERO;
    for a in add_ons.iter().copied() {
        add_ons_total += a.amount.value;
        story.say(
            move |l| match l {
                Lang::Zh => format!("您选择了{}，另缴{}元。", a.name_zh, a.amount.value),
                Lang::En => format!("You chose the {}, {} yuan extra.", a.name_en, a.amount.value),
            },
            Some(a.amount.cite_ref()),
        );
    }
    let personal_due = base_due.map(|b| b + late_surcharge + add_ons_total);
    match personal_due {
        Some(due) => {
            let mut due_buf = [0u8; 40];
            let due_s = due.write_plain(&mut due_buf);
            story.say_text(
                arc_concat(&mut scratch, &["合计个人应缴", due_s, "元。"]),
                arc_concat(&mut scratch, &["In total you pay ", due_s, " yuan."]),
                None,
            );
        }
        None => story.say_fixed(
            slot::UNPRICED,
            |l| match l {
                Lang::Zh => "通知未规定相应金额，暂无法计算个人应缴金额；金额公布前不能缴费参保。".to_owned(),
                Lang::En => "The notice sets no amount for this, so what you pay cannot be calculated; \
                             enrolment waits until an amount is published."
                    .to_owned(),
            },
            None,
        ),
    }

    out.continuity = pack.continuity.as_ref().map(|c| continuity(c, year, &p.enrolled_years));
    if let (Some(c), Some(rule)) = (&out.continuity, &pack.continuity) {
        let c = c.clone();
        if c.inpatient_bonus_points > 0 {
            story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您已连续参保缴费{}年，住院报销比例提高{}个百分点。",
                        c.consecutive_years, c.inpatient_bonus_points
                    ),
                    Lang::En => format!(
                        "You have paid {} years in a row: inpatient reimbursement rises by {} percentage point(s).",
                        c.consecutive_years, c.inpatient_bonus_points
                    ),
                },
                cite(&rule.notice, &rule.clause),
            );
        }
    }
    out.tier = (!single).then_some(pay_tier);
    out.benefit_tier = (!single).then_some(benefit_tier);
    out.priced = personal_due.is_some();
    out.standard_contribution = standard;
    out.subsidy = subsidy;
    out.late_surcharge = Some(late_surcharge);
    out.add_ons_total = Some(add_ons_total);
    out.personal_due = personal_due;
    out.applied_category = applied_category;
    out.benefit_start = Some(start);
    out.benefit_end = Some(year_end);
    out.start_rule = Some(rule);
    Ok(finish(out, story))
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
