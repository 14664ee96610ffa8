//! Policy packs: one jurisdiction's rules for one insurance year, as data.
//!
//! Every figure carries the notice and clause it comes from. Where a notice is silent
//! the pack may still fill a value, but must mark it `assumption = true` with a `note`
//! saying where the value comes from; the engine then says so in its explanation.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Where a figure comes from: the notice's number (or title when it has none) and the clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Citation {
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

/// A value with its citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Cited<T> {
    pub value: T,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    /// The notice does not state this value; `note` says where it comes from.
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    /// Where an assumed value comes from, in Chinese and in English (the reader's language is
    /// shown; validation requires both on every assumption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

impl<T> Cited<T> {
    pub fn citation(&self) -> Citation {
        Citation {
            notice: self.notice.clone(),
            clause: self.clause.clone(),
        }
    }

    /// The citation, borrowed.
    pub fn cite_ref(&self) -> (&Arc<str>, &Arc<str>) {
        (&self.notice, &self.clause)
    }

    /// The assumption note in both languages.
    pub fn notes(&self) -> Notes<'_> {
        Notes {
            zh: &self.note_zh,
            en: &self.note_en,
        }
    }
}

/// An assumption's note in Chinese and English, borrowed from the pack.
#[derive(Debug, Clone, Copy)]
pub struct Notes<'a> {
    pub zh: &'a Option<String>,
    pub en: &'a Option<String>,
}

impl<'a> Notes<'a> {
    pub fn of(zh: &'a Option<String>, en: &'a Option<String>) -> Notes<'a> {
        Notes { zh, en }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn first_version() -> u32 {
    1
}

/// Subsidy categories (身份类别), as named in the public API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ExtremePoverty,
    Orphan,
    UnsupportedChild,
    MinimumLiving,
    RegisteredPoor,
    AtRiskOfPoverty,
    ReturnedToPoverty,
    SevereDisability,
    EntitledGroup,
    Pre1954PartyMember,
    // snake_case would give "downsized1960s_worker"; the API contract spells it with an underscore.
    #[serde(rename = "downsized_1960s_worker")]
    Downsized1960sWorker,
    HardshipWorker,
    ImmediateAssistance,
    DeceasedCadreSpouse,
}

impl Category {
    pub const ALL: [Category; 14] = [
        Category::ExtremePoverty,
        Category::Orphan,
        Category::UnsupportedChild,
        Category::MinimumLiving,
        Category::RegisteredPoor,
        Category::AtRiskOfPoverty,
        Category::ReturnedToPoverty,
        Category::SevereDisability,
        Category::EntitledGroup,
        Category::Pre1954PartyMember,
        Category::Downsized1960sWorker,
        Category::HardshipWorker,
        Category::ImmediateAssistance,
        Category::DeceasedCadreSpouse,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::ExtremePoverty => "extreme_poverty",
            Category::Orphan => "orphan",
            Category::UnsupportedChild => "unsupported_child",
            Category::MinimumLiving => "minimum_living",
            Category::RegisteredPoor => "registered_poor",
            Category::AtRiskOfPoverty => "at_risk_of_poverty",
            Category::ReturnedToPoverty => "returned_to_poverty",
            Category::SevereDisability => "severe_disability",
            Category::EntitledGroup => "entitled_group",
            Category::Pre1954PartyMember => "pre1954_party_member",
            Category::Downsized1960sWorker => "downsized_1960s_worker",
            Category::HardshipWorker => "hardship_worker",
            Category::ImmediateAssistance => "immediate_assistance",
            Category::DeceasedCadreSpouse => "deceased_cadre_spouse",
        }
    }

    pub fn from_code(code: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Category::ExtremePoverty => "特困人员",
            Category::Orphan => "孤儿",
            Category::UnsupportedChild => "事实无人抚养儿童",
            Category::MinimumLiving => "低保对象",
            Category::RegisteredPoor => "建档立卡贫困人口（脱贫人口）",
            Category::AtRiskOfPoverty => "易返贫致贫人口",
            Category::ReturnedToPoverty => "返贫致贫人口",
            Category::SevereDisability => "一、二级重度残疾人",
            Category::EntitledGroup => "重点优抚对象",
            Category::Pre1954PartyMember => "1954年10月31日前入党的老党员",
            Category::Downsized1960sWorker => "60年代精减退职职工",
            Category::HardshipWorker => "特困职工及其家庭成员",
            Category::ImmediateAssistance => "即时帮扶人口",
            Category::DeceasedCadreSpouse => "去世离休干部无工作配偶",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Category::ExtremePoverty => "people in extreme poverty",
            Category::Orphan => "orphans",
            Category::UnsupportedChild => "de-facto unsupported children",
            Category::MinimumLiving => "minimum-living-allowance recipients",
            Category::RegisteredPoor => "registered poor / people lifted out of poverty",
            Category::AtRiskOfPoverty => "people at risk of (re)poverty",
            Category::ReturnedToPoverty => "people who fell back into poverty",
            Category::SevereDisability => "people with level 1-2 disability",
            Category::EntitledGroup => "key entitled groups (veterans' preferential treatment)",
            Category::Pre1954PartyMember => "party members who joined before 31 Oct 1954",
            Category::Downsized1960sWorker => "workers downsized in the 1960s",
            Category::HardshipWorker => "hardship workers and their families",
            Category::ImmediateAssistance => "people under immediate assistance",
            Category::DeceasedCadreSpouse => "unemployed spouses of deceased retired cadres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TierCode {
    /// The only tier of a one-tier pack.
    Standard,
    High,
    Low,
}

impl TierCode {
    pub fn code(self) -> &'static str {
        match self {
            TierCode::Standard => "standard",
            TierCode::High => "high",
            TierCode::Low => "low",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub code: TierCode,
    pub name_zh: String,
    pub name_en: String,
    /// The personal contribution (个人缴费) for the year; absent where the pack's notice sets
    /// none (Beijing 2020): the engine then answers unpriced instead of borrowing a figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<Cited<Money>>,
}

/// How a category's subsidy is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum SubsidyMode {
    /// Government pays the whole personal contribution (全额资助).
    Full,
    /// Government pays a fixed amount (定额资助), capped at the contribution.
    Fixed { amount: Money },
    /// Government pays a percentage of the contribution.
    Percent { percent: Decimal },
    /// The person pays this amount; government pays the rest.
    PersonalPays { amount: Money },
    /// The person pays nothing now; one finance office advances it and settles later
    /// with the named department (代垫).
    AdvancedSettled { settled_with: String },
    /// The notice names the group as subsidised "按规定标准" without an amount (Weifang
    /// 四、(三)): recognised, but its subsidy and what the person pays are unpriced.
    Unpriced,
}

impl SubsidyMode {
    /// The person pays nothing of the contribution, whatever the contribution is.
    pub fn pays_all(&self) -> bool {
        matches!(self, SubsidyMode::Full | SubsidyMode::AdvancedSettled { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CategoryRule {
    pub category: Category,
    #[serde(flatten)]
    pub subsidy: SubsidyMode,
    /// The department that certifies the category (a code of [`DEPARTMENTS`]).
    pub certified_by: Option<String>,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    /// Where an assumed value comes from, in Chinese and in English (the reader's language is
    /// shown; validation requires both on every assumption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

/// A rule that applies when a person holds several categories at once
/// (Sanya: registered poor who are also 特困 / 低保 / level 1–2 disabled pay nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CombinationRule {
    /// The person holds every one of these …
    pub all_of: Vec<Category>,
    /// … and at least one of these (empty: no further condition).
    #[serde(default)]
    pub any_of: Vec<Category>,
    #[serde(flatten)]
    pub subsidy: SubsidyMode,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// 动员准备 / preparation: no enrolment yet.
    Preparation,
    /// 集中参保缴费期: paying inside it means cover from 1 January.
    Concentrated,
    /// 扫尾 / sweep-up: still on time where the notice says so (`on_time`).
    SweepUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Paying inside this period counts as on time (cover from 1 January).
    pub on_time: bool,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    /// The notice does not state these dates (Beijing 2020): the quote says so.
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LateRule {
    /// Waiting period in months (same day N months later, clamped to month end) …
    pub waiting_months: Option<u32>,
    /// … or in days.
    pub waiting_days: Option<u32>,
    /// Late payers also pay the per-capita government subsidy (Weifang).
    #[serde(default)]
    pub pays_government_subsidy: bool,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    /// Where an assumed value comes from, in Chinese and in English (the reader's language is
    /// shown; validation requires both on every assumption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    /// Local household registration (户籍) qualifies.
    pub local_hukou: bool,
    /// Non-local residents qualify after this many months of residence (None: they do not, by residence).
    pub nonlocal_min_months: Option<u32>,
    /// Non-local students at local schools qualify.
    pub nonlocal_students: bool,
    /// People in employee insurance are excluded.
    pub excludes_employee_insurance: bool,
    /// People insured elsewhere are excluded.
    pub excludes_insured_elsewhere: bool,
    /// Flexible workers and migrant workers enrol whatever their hukou (Lishi 一、(三)
    /// "灵活就业人员、农民工(不受户籍限制)").
    #[serde(default)]
    pub workers_any_hukou: bool,
    /// Non-local students qualify only at these schools (Lishi 一、(二): 中小学、幼儿园); empty:
    /// at any local school.
    #[serde(default)]
    pub nonlocal_student_schools: Vec<School>,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    /// Where an assumed value comes from, in Chinese and in English (the reader's language is
    /// shown; validation requires both on every assumption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

/// The kind of school a student attends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum School {
    /// 幼儿园
    Kindergarten,
    /// 中小学
    PrimarySecondary,
    /// 大中专院校
    HigherEducation,
}

impl School {
    pub fn from_code(code: &str) -> Option<School> {
        match code {
            "kindergarten" => Some(School::Kindergarten),
            "primary_secondary" => Some(School::PrimarySecondary),
            "higher_education" => Some(School::HigherEducation),
            _ => None,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            School::Kindergarten => "幼儿园",
            School::PrimarySecondary => "中小学",
            School::HigherEducation => "大中专院校",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            School::Kindergarten => "kindergartens",
            School::PrimarySecondary => "primary and secondary schools",
            School::HigherEducation => "colleges and universities",
        }
    }
}

/// Work that lets some notices admit people whatever their hukou.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// 灵活就业人员
    FlexibleEmployment,
    /// 农民工
    MigrantWorker,
}

impl Work {
    pub fn from_code(code: &str) -> Option<Work> {
        match code {
            "flexible_employment" => Some(Work::FlexibleEmployment),
            "migrant_worker" => Some(Work::MigrantWorker),
            _ => None,
        }
    }
}

/// From when someone who left employee insurance is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransferStart {
    /// From the day the resident contribution is paid.
    Payment,
    /// From the day after employee insurance ended: no gap (无缝衔接).
    DayAfterEnd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferRule {
    /// Enrolment within this many days after employee insurance ended qualifies (None: the
    /// notice sets no limit).
    pub days: Option<u32>,
    pub starts: TransferStart,
    /// Only people holding one of these categories (Sanya: 建档立卡) …
    #[serde(default)]
    pub only_categories: Vec<Category>,
    /// … or only people whose share the pack pays in full (Beijing: 免缴人员); both empty
    /// and false: everyone.
    #[serde(default)]
    pub only_exempt: bool,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StudentRule {
    /// Tier students and children pay.
    pub pays: TierCode,
    /// Tier whose benefits they receive.
    pub benefits: TierCode,
    /// Children up to this age (inclusive, on 1 January of the insurance year) count too.
    pub child_max_age: Option<u32>,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub assumption: bool,
    /// Where an assumed value comes from, in Chinese and in English (the reader's language is
    /// shown; validation requires both on every assumption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ContinuityRule {
    /// Years are counted from this insurance year on.
    pub counted_from: i32,
    /// This many consecutive paid years …
    pub consecutive_years: u32,
    /// … raise inpatient reimbursement by this many percentage points.
    pub inpatient_bonus_points: u32,
    /// This many resident years count as one year of employee insurance (pro rata by month).
    pub resident_years_per_employee_year: u32,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AddOn {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub amount: Cited<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The number (文号) or, when the notice has none, its exact title; citations use it.
    pub number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    /// The seed file it was copied from.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyPack {
    pub id: String,
    pub jurisdiction: String,
    pub jurisdiction_en: String,
    /// Administrative codes the pack applies to (a person's area code starts with one of them).
    pub area_codes: Vec<String>,
    pub insurance_year: i32,
    /// The published version of this id: 1 for a pack's first publication (every seed file),
    /// one more for each correction. Published versions never change; an enrolment records
    /// the version it was priced with.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The main notice's number (or title), shown in listings.
    pub notice: Arc<str>,
    pub notices: Vec<Notice>,
    pub tiers: Vec<Tier>,
    pub government_subsidy: Option<Cited<Money>>,
    #[serde(default)]
    pub components: Vec<Component>,
    #[serde(default)]
    pub add_ons: Vec<AddOn>,
    pub periods: Vec<Period>,
    /// Last day an enrolment for this year is accepted (default: 31 December of the year).
    pub last_enrolment_day: Option<Cited<NaiveDate>>,
    pub late: LateRule,
    pub newborn_from_birth: Option<Citation>,
    /// People who leave employee insurance and enrol in time are covered without the
    /// waiting period: for whom, within how long, and from when.
    pub employee_transfer: Option<TransferRule>,
    /// Newly certified people are covered from the month of certification.
    pub newly_certified_from_month: Option<Citation>,
    /// People exempt from paying whom the bureau already holds (certified before the year, or
    /// with no certification date) are covered for the whole year, whenever their record is
    /// completed (Beijing 三、 "对已入库的免缴人员…当年度医药费用实行手工报销").
    pub exempt_in_database_whole_year: Option<Citation>,
    /// People exempt from paying (or whose share is advanced) need no payment entry, so
    /// they are never late payers (Rugao 五、(二)3. "无需进行缴费录入").
    pub exempt_never_late: Option<Citation>,
    pub eligibility: Eligibility,
    #[serde(default)]
    pub categories: Vec<CategoryRule>,
    #[serde(default)]
    pub combinations: Vec<CombinationRule>,
    pub student_rule: Option<StudentRule>,
    pub continuity: Option<ContinuityRule>,
    /// Choosing designated medical institutions (定点医疗机构); one if absent.
    pub hospitals: Option<HospitalRule>,
    /// What the notice sets for the bureau's own reports (a ranking's weights, a per-head
    /// incentive). A report the pack does not set is not offered for its areas.
    #[serde(default)]
    pub reports: ReportRules,
    /// Sentences that depend on the pack alone, rendered once on first use.
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub sentences: SentenceCache,
}

/// Number of cached sentence slots per pack (see `quote::slot`).
pub const SENTENCE_SLOTS: usize = 59;

/// Explanation sentences fixed by the pack, in Chinese and English (and, for assumption
/// notes, the assumption line in each language), built on first use and then shared by every quote. Not
/// data: skipped by serde, ignored by equality, emptied by clone.
pub struct SentenceCache(pub(crate) [std::sync::OnceLock<[std::sync::Arc<str>; 4]>; SENTENCE_SLOTS]);

impl Default for SentenceCache {
    fn default() -> Self {
        SentenceCache(std::array::from_fn(|_| std::sync::OnceLock::new()))
    }
}

impl Clone for SentenceCache {
    fn clone(&self) -> Self {
        SentenceCache::default()
    }
}

impl PartialEq for SentenceCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for SentenceCache {}

impl std::fmt::Debug for SentenceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SentenceCache")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HospitalRule {
    /// How many institutions a person chooses (at least one).
    pub max_choices: Cited<u32>,
    /// How many times a year the choice may be changed after enrolment.
    pub changes_per_year: Cited<u32>,
}

/// Report settings a notice states, cited like every other figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportRules {
    pub ranking: Option<RankingRule>,
    pub incentive: Option<IncentiveRule>,
}

/// A ranking of areas by the efficacy coefficient method (功效系数法): points for overall
/// coverage, for college students' coverage and for the rise over last year, out of 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RankingRule {
    pub overall_points: u32,
    pub college_student_points: u32,
    pub improvement_points: u32,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

/// A per-head incentive for villages (communities) that meet their target in time, paid on
/// the people actually enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IncentiveRule {
    pub per_head: Money,
    pub notice: Arc<str>,
    pub clause: Arc<str>,
}

impl PolicyPack {
    /// How many designated institutions a person may choose.
    pub fn max_hospital_choices(&self) -> u32 {
        self.hospitals.as_ref().map_or(1, |h| h.max_choices.value.max(1))
    }

    /// How many times a year a person may change their choice after enrolling.
    pub fn hospital_changes_per_year(&self) -> u32 {
        self.hospitals.as_ref().map_or(0, |h| h.changes_per_year.value)
    }

    /// The last day to pay on `today` and keep the on-time start: the end of the on-time
    /// period containing or following `today`, else the end of the collection window.
    pub fn payment_deadline(&self, today: NaiveDate) -> NaiveDate {
        self.periods
            .iter()
            .filter(|p| p.on_time && p.end >= today)
            .map(|p| p.end)
            .min()
            .unwrap_or_else(|| self.collection_window().1)
    }

    /// True when `today` lies inside the collection window for this insurance year.
    pub fn accepts_payment_on(&self, today: NaiveDate) -> bool {
        let (start, end) = self.collection_window();
        start <= today && today <= end
    }

    /// True when the pack applies to a person living in `area_code`.
    pub fn covers_area(&self, area_code: &str) -> bool {
        self.area_codes.iter().any(|c| area_code.starts_with(c.as_str()))
    }
}

/// Certifying departments' codes (as in the staff roles).
pub const DEPARTMENTS: [&str; 9] = [
    "civil_affairs",
    "rural_revitalisation",
    "disabled_persons_federation",
    "veterans",
    "health",
    "veteran_cadres",
    "trade_union",
    "party_organisation",
    "finance",
];
