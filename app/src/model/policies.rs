//! Staff-authored policy packs: drafts, their forms, differences and sample quotes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use domain::policy::Problem;

/// One draft in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct DraftSummary {
    pub id: i64,
    /// The id it publishes as (`lishi-2024`).
    pub pack_id: String,
    pub jurisdiction: String,
    pub jurisdiction_en: String,
    pub insurance_year: i32,
    /// `draft`, `submitted`, `returned`, `approved` or `published`.
    pub status: String,
    pub author: String,
    /// The published pack it was copied from, `id v<version>`.
    pub base: Option<String>,
    pub published_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

/// What kind of input a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    /// Yuan, two decimals.
    Money,
    Date,
    /// A whole number.
    Number,
    /// A decimal (a percentage).
    Decimal,
    Bool,
    /// One of `options`.
    Choice,
    /// Any of `options`.
    Choices,
}

/// One input of a draft's form: `path` is its name in the form and in problems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FieldView {
    pub path: String,
    /// The part of the pack it belongs to (one fieldset each), in Chinese and English.
    pub section_zh: String,
    pub section_en: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: FieldKind,
    /// The value as the input shows it; for `Choices`, the chosen codes.
    pub value: Vec<String>,
    /// (code, Chinese, English) for `Choice` and `Choices`.
    pub options: Vec<(String, String, String)>,
    /// An empty value is allowed (the pack leaves it out).
    pub optional: bool,
}

/// One difference from the pack the draft was copied from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FieldChange {
    pub path: String,
    pub label_zh: String,
    pub label_en: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A sample person quoted under the base pack and under the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SampleQuote {
    pub birth_date: String,
    /// A category code, or "" for none.
    pub category: String,
    pub student: bool,
    pub label_zh: String,
    pub label_en: String,
    /// What the person pays under each pack, or why there is no figure.
    pub before: SampleAnswer,
    pub after: SampleAnswer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SampleAnswer {
    /// Personal share in yuan ("70.00"); None when there is no figure.
    pub personal_due: Option<String>,
    pub standard: Option<String>,
    pub note_zh: String,
    pub note_en: String,
}

/// A change of the pack's shape the form offers: a row added to (or removed from) a list,
/// or an optional part added or removed, with its buttons' words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ShapeOp {
    /// The list or part (`categories`, `government_subsidy`).
    pub target: String,
    pub add_zh: String,
    pub add_en: String,
    pub remove_zh: String,
    pub remove_en: String,
}

/// A draft as the REST API gives it: its state, its pack and what keeps it from being
/// submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct DraftDetail {
    #[serde(flatten)]
    pub summary: DraftSummary,
    pub reason: Option<String>,
    pub reviewer: Option<String>,
    pub review_note: Option<String>,
    pub pack: domain::policy::PolicyPack,
    pub problems: Vec<Problem>,
}

/// A draft, whole, as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct DraftView {
    #[serde(flatten)]
    pub summary: DraftSummary,
    pub reason: Option<String>,
    pub reviewer: Option<String>,
    pub review_note: Option<String>,
    pub fields: Vec<FieldView>,
    /// Everything that keeps it from being submitted (empty: ready).
    pub problems: Vec<Problem>,
    pub changes: Vec<FieldChange>,
    pub samples: Vec<SampleQuote>,
    /// The day residents would be offered it: its collection period's first day.
    pub opens_on: Option<NaiveDate>,
    pub may_edit: bool,
    pub may_submit: bool,
    /// Another officer than the author, while it is submitted.
    pub may_review: bool,
    pub may_publish: bool,
    /// Categories the sample form offers (code, Chinese, English).
    pub categories: Vec<(String, String, String)>,
    /// Lists rows can be added to, and optional parts that can be added or removed.
    pub lists: Vec<ShapeOp>,
    pub parts: Vec<ShapeOp>,
}

/// The drafts page: the area's drafts, and the published packs a new one can start from
/// (id, Chinese label, English label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftsPage {
    pub drafts: Vec<DraftSummary>,
    pub starting_points: Vec<(String, String, String)>,
}
