//! The unenrolled ledger (未参保台账).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

// The unenrolled ledger (未参保台账)

/// Why someone is not enrolled, as the notices' ledgers record it (异地参保、死亡、失联 are
/// the Beijing notice's words), and where the cadres' follow-up stands: 已联系 and 承诺缴费
/// are steps towards paying (the notice is silent on them; they still count as should-enrol).
pub const LEDGER_REASONS: [&str; 9] = [
    "not_contacted",
    "contacted",
    "promised",
    "lost_contact",
    "declined",
    "insured_elsewhere",
    "employee_insurance",
    "deceased",
    "ineligible",
];

/// The follow-up steps among [`LEDGER_REASONS`] (not reasons a notice names).
pub const FOLLOW_UP_REASONS: [&str; 2] = ["contacted", "promised"];

pub fn ledger_reason_zh(code: &str) -> &'static str {
    match code {
        "insured_elsewhere" => "异地参保",
        "deceased" => "死亡",
        "lost_contact" => "失联",
        "contacted" => "已联系，未缴费",
        "promised" => "承诺缴费",
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
        "contacted" => "Contacted, not paid",
        "promised" => "Promised to pay",
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
