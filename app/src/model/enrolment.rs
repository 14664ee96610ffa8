//! Households, enrolments and the coverage page (我的参保).

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

use super::{PaymentExceptionView, ReceiptBrief};
use crate::i18n::Texts;

/// A designated medical institution (定点医疗机构).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct HospitalView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: String,
    pub address: String,
    pub area_code: String,
    /// The township it sits in, for filtering the list.
    #[serde(default)]
    pub area_name: String,
    #[serde(default)]
    pub area_name_en: String,
}

/// Where an enrolment stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// 待缴费: submitted, not yet paid.
    Unpaid,
    /// 等待期: paid, cover not yet started.
    Waiting,
    /// 已生效: covered today.
    Active,
    /// 已终止: the insurance year is over, or the enrolment was ended.
    Ended,
}

impl CoverageStatus {
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Self::Unpaid => t.status_unpaid,
            Self::Waiting => t.status_waiting,
            Self::Active => t.status_active,
            Self::Ended => t.status_ended,
        }
    }
}

/// A household member as the household's own pages show them (ID number masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct MemberView {
    pub person_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub birth_date: NaiveDate,
    pub relationship: Option<String>,
    pub student: bool,
}

/// One person's enrolment for one insurance year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct EnrolmentView {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub household_id: Option<i64>,
    pub insurance_year: i32,
    pub policy: String,
    pub status: CoverageStatus,
    pub tier: Option<String>,
    pub benefit_tier: Option<String>,
    pub applied_category: Option<String>,
    pub add_ons: Vec<String>,
    pub standard_contribution: Money,
    pub subsidy: Money,
    pub late_surcharge: Money,
    pub add_ons_total: Money,
    pub personal_due: Money,
    pub paid: Money,
    pub paid_on: Option<NaiveDate>,
    /// Once paid: the start the engine gave for the payment date. Before: the start if paid today.
    pub benefit_start: Option<NaiveDate>,
    pub benefit_end: Option<NaiveDate>,
    pub start_rule: Option<String>,
    /// Last day to pay and keep the on-time start (unpaid only).
    pub payment_deadline: Option<NaiveDate>,
    pub explanation: Vec<std::sync::Arc<str>>,
    pub explanation_en: Vec<std::sync::Arc<str>>,
    /// Figures, periods or rules the pack took from another document than its notice (each
    /// with where it comes from), in Chinese and English: shown as assumptions, not as the
    /// notice's word.
    #[serde(default)]
    pub assumptions: Vec<std::sync::Arc<str>>,
    #[serde(default)]
    pub assumptions_en: Vec<std::sync::Arc<str>>,
    /// The member's own answers the price and start date were decided on (as stored with
    /// the enrolment): the day employee insurance ended, work, school.
    #[serde(default)]
    pub employee_insurance_ended_on: Option<String>,
    #[serde(default)]
    pub work: Option<String>,
    #[serde(default)]
    pub school: Option<String>,
    pub citations: Vec<domain::policy::Citation>,
    pub hospitals: Vec<HospitalView>,
    /// How many more times this year the hospital choice may change (the pack's rule).
    #[serde(default)]
    pub hospital_changes_left: u32,
    pub order_no: Option<String>,
    /// True when this submission found the enrolment already there (nothing new was created).
    pub existing: bool,
    /// Refunds or top-ups owed because a certification changed the price after payment.
    #[serde(default)]
    pub adjustments: Vec<AdjustmentView>,
}

/// A refund (paid too much) or top-up (owes more) after a certification changed the price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AdjustmentView {
    pub id: i64,
    /// "refund" or "top_up".
    pub kind: String,
    pub amount: Money,
    /// "pending" or "settled".
    pub status: String,
    pub category: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was settled (refunded, or the top-up collected), through which channel, with
    /// the officer's note, and by whom.
    #[serde(default)]
    pub settled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub settlement_channel: Option<String>,
    #[serde(default)]
    pub settlement_note: Option<String>,
    #[serde(default)]
    pub settled_by: Option<String>,
}

/// A payment order waiting for the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct OrderView {
    pub order_no: String,
    pub amount: Money,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    /// The payment page for this order (the sandbox provider's, locally).
    pub pay_url: String,
}

/// The answer to an enrolment submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SubmissionView {
    pub household_id: i64,
    pub insurance_year: i32,
    pub policy: String,
    pub enrollments: Vec<EnrolmentView>,
    /// What is still to pay for these enrolments.
    pub total_due: Money,
    pub order: Option<OrderView>,
}

/// The open insurance year's pack, as the coverage page needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackBrief {
    pub id: String,
    pub jurisdiction: String,
    pub jurisdiction_en: String,
    pub insurance_year: i32,
    /// (code, Chinese name, English name, personal contribution) per tier.
    /// Code, names and the personal contribution (None where the notice sets none).
    pub tiers: Vec<(String, String, String, Option<Money>)>,
    pub max_hospitals: u32,
    pub deadline: NaiveDate,
    /// Optional add-ons: (code, Chinese name, English name, amount), e.g. Rugao's supplement.
    pub add_ons: Vec<(String, String, String, Money)>,
}

/// One household member on the coverage page: their enrolment, or what enrolling today
/// would mean (the engine's quote with today's date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLine {
    pub member: MemberView,
    pub enrolment: Option<EnrolmentView>,
    pub preview: Option<domain::policy::Quote>,
    /// The engine's input behind `preview`, so the browser can re-quote as the tier or the
    /// add-ons change. The birth date stands in for the ID number (which stays masked).
    #[serde(default)]
    pub preview_request: Option<domain::policy::QuoteRequest>,
    /// Staff view only: the phone on record, masked.
    #[serde(default)]
    pub phone_masked: Option<String>,
    /// Staff view only: no phone account is linked yet, so a cadre may confirm the phone
    /// the resident controls.
    #[serde(default)]
    pub phone_confirmable: bool,
}

/// Everything 我的参保 shows for one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveragePage {
    /// False for a resident who has not given their name and ID number yet.
    pub registered: bool,
    pub household_id: Option<i64>,
    pub area_path: Vec<String>,
    #[serde(default)]
    pub area_path_en: Vec<String>,
    pub policy: Option<PackBrief>,
    /// Why nobody can enrol right now (e.g. outside the collection window).
    pub policy_problem: Option<String>,
    pub policy_problem_en: Option<String>,
    pub members: Vec<MemberLine>,
    pub hospitals: Vec<HospitalView>,
    pub unpaid_total: Money,
    pub open_order: Option<OrderView>,
    pub receipts: Vec<ReceiptBrief>,
    /// Payments of this household that could not be applied, until settled and after.
    #[serde(default)]
    pub payment_exceptions: Vec<PaymentExceptionView>,
    /// The viewer is staff acting for the household (cash collection allowed).
    pub staff: bool,
    /// For staff with an open order: the provider's payment page, as a link and as a QR code
    /// (SVG drawn on the server) for the resident's own phone.
    #[serde(default)]
    pub pay_link: Option<String>,
    #[serde(default)]
    pub pay_qr_svg: Option<String>,
    /// The whole pack when members can enrol, for the in-browser re-quote.
    #[serde(default)]
    pub pack: Option<domain::policy::PolicyPack>,
}

/// A person found by a staff search (ID masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonHit {
    pub name: String,
    pub id_number_masked: String,
    pub household_id: Option<i64>,
    pub area_code: Option<String>,
}
