//! Data shared by the browser and the server (what server functions return).

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

use crate::i18n::Texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Cadre,
    TownshipOfficer,
    DepartmentOfficer,
    BureauOfficer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Resident,
        Role::Cadre,
        Role::TownshipOfficer,
        Role::DepartmentOfficer,
        Role::BureauOfficer,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Cadre => "cadre",
            Role::TownshipOfficer => "township_officer",
            Role::DepartmentOfficer => "department_officer",
            Role::BureauOfficer => "bureau_officer",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn is_staff(self) -> bool {
        self != Role::Resident
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Role::Resident => t.role_resident,
            Role::Cadre => t.role_cadre,
            Role::TownshipOfficer => t.role_township_officer,
            Role::DepartmentOfficer => t.role_department_officer,
            Role::BureauOfficer => t.role_bureau_officer,
            Role::Admin => t.role_admin,
        }
    }

    /// The area level a role's scope must have (`None`: any level; residents have none).
    pub fn scope_levels(self) -> &'static [AreaLevel] {
        match self {
            Role::Resident => &[],
            Role::Cadre => &[AreaLevel::Village],
            Role::TownshipOfficer => &[AreaLevel::Township],
            Role::DepartmentOfficer => &[AreaLevel::District],
            Role::BureauOfficer => &[AreaLevel::District, AreaLevel::City],
            Role::Admin => &[AreaLevel::Country, AreaLevel::City, AreaLevel::District],
        }
    }
}

/// Certifying departments (认定部门) a department officer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    CivilAffairs,
    RuralRevitalisation,
    DisabledPersonsFederation,
    Veterans,
    Health,
    VeteranCadres,
    TradeUnion,
    PartyOrganisation,
}

impl Department {
    pub const ALL: [Department; 8] = [
        Department::CivilAffairs,
        Department::RuralRevitalisation,
        Department::DisabledPersonsFederation,
        Department::Veterans,
        Department::Health,
        Department::VeteranCadres,
        Department::TradeUnion,
        Department::PartyOrganisation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Department::CivilAffairs => "civil_affairs",
            Department::RuralRevitalisation => "rural_revitalisation",
            Department::DisabledPersonsFederation => "disabled_persons_federation",
            Department::Veterans => "veterans",
            Department::Health => "health",
            Department::VeteranCadres => "veteran_cadres",
            Department::TradeUnion => "trade_union",
            Department::PartyOrganisation => "party_organisation",
        }
    }

    pub fn from_code(code: &str) -> Option<Department> {
        Department::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Department::CivilAffairs => "民政局",
            Department::RuralRevitalisation => "乡村振兴局",
            Department::DisabledPersonsFederation => "残疾人联合会",
            Department::Veterans => "退役军人事务局",
            Department::Health => "卫生健康委员会",
            Department::VeteranCadres => "老干部局",
            Department::TradeUnion => "总工会",
            Department::PartyOrganisation => "党委组织部",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Department::CivilAffairs => "Civil affairs",
            Department::RuralRevitalisation => "Rural revitalisation",
            Department::DisabledPersonsFederation => "Disabled persons' federation",
            Department::Veterans => "Veterans affairs",
            Department::Health => "Health",
            Department::VeteranCadres => "Veteran cadres",
            Department::TradeUnion => "Trade union",
            Department::PartyOrganisation => "Party organisation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Country,
    City,
    District,
    Township,
    Village,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 5] = [
        AreaLevel::Country,
        AreaLevel::City,
        AreaLevel::District,
        AreaLevel::Township,
        AreaLevel::Village,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AreaLevel::Country => "country",
            AreaLevel::City => "city",
            AreaLevel::District => "district",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
        }
    }

    pub fn from_code(code: &str) -> Option<AreaLevel> {
        AreaLevel::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The level directly below, if any.
    pub fn child(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::Country => Some(AreaLevel::City),
            AreaLevel::City => Some(AreaLevel::District),
            AreaLevel::District => Some(AreaLevel::Township),
            AreaLevel::Township => Some(AreaLevel::Village),
            AreaLevel::Village => None,
        }
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            AreaLevel::Country => t.level_country,
            AreaLevel::City => t.level_city,
            AreaLevel::District => t.level_district,
            AreaLevel::Township => t.level_township,
            AreaLevel::Village => t.level_village,
        }
    }
}

/// One administrative area with its target for the year shown, if the notices set one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AreaNode {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: AreaLevel,
    pub parent: Option<String>,
    pub kind: Option<String>,
    pub code_assumed: bool,
    pub target: Option<AreaTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AreaTarget {
    pub insurance_year: i32,
    pub count: i64,
    pub notice: String,
    pub clause: String,
}

/// The signed-in account as the UI sees it (no secrets; phone masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub display_name: String,
    pub role: Role,
    pub area_code: Option<String>,
    /// Names from the top of the hierarchy down to the scope area.
    pub area_path: Vec<String>,
    pub department: Option<Department>,
    pub phone_masked: Option<String>,
}

/// The code page's header: where the code went (masked), and the code itself in demo mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub phone_masked: String,
    pub demo_code: Option<String>,
}

/// What every page needs: who is signed in and what "today" is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    pub user: Option<UserView>,
    pub today: NaiveDate,
    pub date_pinned: bool,
    pub demo: bool,
}

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

/// A verified payment that could not be applied (支付异常): kept until a bureau officer
/// refunds it or applies it to the household's current enrolments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PaymentExceptionView {
    pub id: i64,
    /// The provider's transaction id.
    pub transaction_id: String,
    pub order_no: String,
    pub household_id: Option<i64>,
    pub area_code: Option<String>,
    /// The household's head (name, masked ID number), for the officer who refunds.
    pub payer_name: Option<String>,
    pub payer_id_masked: Option<String>,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// `amount_mismatch`, `order_superseded` (its enrolments moved to a newer order) or
    /// `order_closed` (cancelled, paid by another transaction, or paid another way).
    pub reason: String,
    pub received_at: DateTime<Utc>,
    /// `open`, `refunded` or `applied`.
    pub status: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    pub settlement_channel: Option<String>,
    pub settlement_note: Option<String>,
    /// The receipt of the payment it became (`applied`).
    pub receipt_no: Option<String>,
}

/// A refund or top-up waiting for a bureau officer, with whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PendingAdjustment {
    pub id: i64,
    /// "refund" or "top_up".
    pub kind: String,
    pub amount: Money,
    pub enrolment_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub created_at: DateTime<Utc>,
}

/// The payment exceptions queue, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PaymentExceptionList {
    pub exceptions: Vec<PaymentExceptionView>,
    /// Refunds and top-ups from re-pricing still to settle in the same area.
    #[serde(default)]
    pub adjustments: Vec<PendingAdjustment>,
}

/// How an officer settles a payment exception or a refund / top-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SettleRequest {
    /// Payment exceptions: `refunded` or `applied`. Adjustments: optional (a refund is
    /// refunded, a top-up collected).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Through which channel the money went back or came in (原路退回, 银行转账, 现金 …).
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
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

/// A payment received (any channel), as a receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReceiptView {
    pub receipt_no: String,
    pub transaction_id: String,
    pub channel: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub collected_by: Option<String>,
    pub lines: Vec<ReceiptLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReceiptLine {
    pub name: String,
    pub id_number_masked: String,
    pub insurance_year: i32,
    pub amount: Money,
    /// The price's assumptions (see `EnrolmentView::assumptions`).
    #[serde(default)]
    pub assumptions: Vec<std::sync::Arc<str>>,
    #[serde(default)]
    pub assumptions_en: Vec<std::sync::Arc<str>>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBrief {
    pub receipt_no: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub channel: String,
}

/// Everything 我的参保 shows for one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveragePage {
    /// False for a resident who has not given their name and ID number yet.
    pub registered: bool,
    pub household_id: Option<i64>,
    pub area_path: Vec<String>,
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

/// What a reconciliation import did, for the bureau's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationOutcome {
    pub rows_total: usize,
    pub applied: usize,
    pub duplicates: usize,
    /// (line, masked ID number, reason code, Chinese message)
    pub exceptions: Vec<(usize, String, String, String)>,
}

/// Masks a mobile number for display: `138****0001`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for d in Department::ALL {
            assert_eq!(Department::from_code(d.code()), Some(d));
        }
        for l in AreaLevel::ALL {
            assert_eq!(AreaLevel::from_code(l.code()), Some(l));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn phone_is_masked() {
        assert_eq!(mask_phone("13800000001"), "138****0001");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn every_staff_role_has_a_scope_level() {
        for r in Role::ALL {
            assert_eq!(r.scope_levels().is_empty(), r == Role::Resident, "{r:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Identity certification (身份认定)

/// Where a certification request stands.
pub const CERT_STATUSES: [&str; 8] = [
    "submitted",
    "accepted",
    "returned",
    "confirmed",
    "rejected",
    "flagged",
    "withdrawn",
    "revoked",
];

/// The steps of the chain, as the actions endpoint names them.
pub const CERT_ACTIONS: [&str; 8] = [
    "accept", "return", "resubmit", "confirm", "reject", "flag", "withdraw", "revoke",
];

/// One row of a work queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CertificationSummary {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub area_code: String,
    pub category: String,
    pub category_name: String,
    pub department: String,
    pub status: String,
    pub policy: Option<String>,
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// Whole days since it was submitted.
    pub age_days: i64,
    pub documents: i64,
    /// What the viewer may do next.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CertificationEventView {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct DocumentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// A certification with its history and documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CertificationView {
    #[serde(flatten)]
    pub summary: CertificationSummary,
    pub submitter_role: Option<String>,
    pub events: Vec<CertificationEventView>,
    pub document_list: Vec<DocumentView>,
    /// Refunds or top-ups this certification caused.
    pub adjustments: Vec<AdjustmentView>,
}

/// What a bulk step would do (preview) or did (applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct BulkOutcome {
    pub action: String,
    /// False: nothing was changed; the list is for the officer to confirm.
    pub applied: bool,
    pub items: Vec<CertificationSummary>,
}

/// Entries per page of the audit log (a full page means there may be older ones).
pub const AUDIT_PAGE: usize = 200;

/// One audit-log entry for the audit page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
    pub area_code: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Departments' dynamic adjustment lists (动态调整名单)

/// One row that will not be applied as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ImportProblem {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// "invalid", "duplicate" or "conflict".
    pub outcome: String,
    /// The column concerned, by its header in the file.
    pub column: Option<String>,
    pub message: String,
    pub id_number_masked: Option<String>,
}

/// A row of an applied list that was not applied, waiting in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ReviewItem {
    pub id: i64,
    pub import_id: i64,
    pub file_name: String,
    /// The uploading department's code.
    pub department: Option<String>,
    pub line: i64,
    pub id_number_masked: Option<String>,
    /// The category code the row named, if it named a known one.
    pub category: Option<String>,
    /// "add" or "exit".
    pub kind: Option<String>,
    /// "invalid", "duplicate" or "conflict".
    pub outcome: String,
    pub message: String,
    pub resolved: bool,
    /// What the officer did about it.
    pub resolution: Option<String>,
}

/// A dry run (nothing written) or an applied list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ImportReport {
    pub import_id: i64,
    pub file_name: String,
    pub applied: bool,
    pub rows_total: u64,
    pub valid: u64,
    pub invalid: u64,
    pub duplicate: u64,
    pub conflict: u64,
    /// Among the valid rows: additions, exits, and people new to the system.
    pub adds: u64,
    pub exits: u64,
    pub new_people: u64,
    /// The first problems (all of them are in the XLSX error report).
    pub problems: Vec<ImportProblem>,
}

// ---------------------------------------------------------------------------------------
// The unenrolled ledger (未参保台账)

/// Why someone is not enrolled, as the notices' ledgers record it.
pub const LEDGER_REASONS: [&str; 7] = [
    "not_contacted",
    "lost_contact",
    "declined",
    "insured_elsewhere",
    "employee_insurance",
    "deceased",
    "ineligible",
];

pub fn ledger_reason_zh(code: &str) -> &'static str {
    match code {
        "insured_elsewhere" => "异地参保",
        "deceased" => "死亡",
        "lost_contact" => "失联",
        "employee_insurance" => "参加职工医保",
        "declined" => "自愿放弃",
        "ineligible" => "不符合条件",
        _ => "未联系",
    }
}

pub fn ledger_reason_en(code: &str) -> &'static str {
    match code {
        "insured_elsewhere" => "Insured elsewhere",
        "deceased" => "Deceased",
        "lost_contact" => "Lost contact",
        "employee_insurance" => "In employee insurance",
        "declined" => "Declined",
        "ineligible" => "Not eligible",
        _ => "Not yet contacted",
    }
}

/// One person of the roster who is not enrolled (paid) for the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct LedgerEntry {
    pub person_id: i64,
    pub name: String,
    pub id_number_masked: String,
    pub area_code: String,
    pub household_id: Option<i64>,
    pub insurance_year: i32,
    /// A reason code of [`LEDGER_REASONS`]; `not_contacted` until someone records one.
    pub reason: String,
    pub reason_note: Option<String>,
    /// True when an enrolment was submitted but is not paid yet.
    pub unpaid_enrolment: bool,
    pub visits: i64,
    pub last_visit: Option<NaiveDate>,
}

/// What changed in a month: enrolled, newly on the ledger, reasons recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct LedgerChanges {
    pub month: String,
    pub insurance_year: i32,
    pub newly_enrolled: i64,
    pub newly_unenrolled: i64,
    pub reasons_changed: i64,
    /// Unenrolled now, by reason code.
    pub by_reason: Vec<(String, i64)>,
}

/// The prefix every area code inside `code` starts with: a province or city code's
/// trailing "00" pairs dropped (370700 → 3707, 110000 → 11), the country root "" and
/// other codes as they are.
pub fn area_prefix(code: &str) -> &str {
    if code == "000000" {
        return "";
    }
    if code.len() == 6 {
        let mut end = 6;
        while end > 2 && &code[end - 2..end] == "00" {
            end -= 2;
        }
        return &code[..end];
    }
    code
}

/// A target (任务数) as the targets page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TargetView {
    pub area_code: String,
    pub area_name: String,
    pub area_name_en: String,
    pub insurance_year: i32,
    pub count: i64,
    pub notice: String,
    pub clause: String,
    /// A demo figure, not a notice's.
    pub assumed: bool,
    /// Who set it by hand (None: from the seed).
    pub updated_by: Option<String>,
}

/// A report rendered on the server for a page: its title and its HTML (tables, SVG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportHtml {
    pub title: String,
    pub area_code: String,
    pub as_of: String,
    /// The XLSX download (None for the dashboard).
    pub xlsx_href: Option<String>,
    pub html: String,
}

#[cfg(test)]
mod prefix_tests {
    use super::area_prefix;

    #[test]
    fn area_prefixes_drop_the_trailing_zero_pairs_of_cities_and_provinces() {
        assert_eq!(area_prefix("370700"), "3707");
        assert_eq!(area_prefix("110000"), "11");
        assert_eq!(area_prefix("141102"), "141102");
        assert_eq!(area_prefix("141102001"), "141102001");
        assert_eq!(area_prefix("000000"), "");
    }
}
