//! Households and enrolment: the request a household submits, its checks, the one
//! transaction that enrols it (with its payment order, or at once when nothing is owed),
//! and the views of what was enrolled. One file per job; this one holds the request types
//! and the parsing every job shares.

use domain::policy::QuoteRequest;
use domain::IdNumber;
use serde::{Deserialize, Serialize};

mod changes;
mod households;
pub mod store;
mod submit;
mod views;
mod write;

pub use crate::services::pricing::{person_area, quote_request, run_quote};
pub use changes::*;
pub use households::*;
pub use submit::*;
pub use views::*;
pub use write::*;

use super::access::mask_id;
use crate::error::{AppError, UserMessage};
use crate::model::{HospitalView, MemberView};
use crate::services::enrolment::store::{HospitalRow, PersonRow};

/// Most members one submission may hold.
pub const MAX_MEMBERS: usize = 20;
pub const RELATIONSHIPS: [&str; 8] = [
    "self",
    "spouse",
    "child",
    "parent",
    "grandchild",
    "grandparent",
    "sibling",
    "other",
];

/// One member of an enrolment submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemberRequest {
    pub id_number: String,
    /// Needed for a person the system does not know yet.
    #[serde(default)]
    pub name: Option<String>,
    /// spouse, child, parent … (for people joining the household).
    #[serde(default)]
    pub relationship: Option<String>,
    /// Student at a local school (students and children pay the low tier where the pack says so).
    #[serde(default)]
    pub student: Option<bool>,
    /// "high" or "low" where the pack has two tiers.
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub add_ons: Vec<String>,
    /// Designated medical institutions' codes (as many as the pack allows; at least one).
    #[serde(default)]
    pub hospitals: Vec<String>,
    /// Facts that can decide the price or the start date, as the quote takes them: the day
    /// employee insurance ended (someone who just left it may be covered without the wait) …
    #[serde(default)]
    pub employee_insurance_ended_on: Option<String>,
    /// … already insured elsewhere (refused where the notice excludes double enrolment) …
    #[serde(default)]
    pub insured_elsewhere: Option<bool>,
    /// … `"flexible_employment"` or `"migrant_worker"` (enrol whatever their hukou where the
    /// notice says so) …
    #[serde(default)]
    pub work: Option<String>,
    /// … and for a student, the school: `"kindergarten"`, `"primary_secondary"`,
    /// `"higher_education"`.
    #[serde(default)]
    pub school: Option<String>,
}

impl MemberRequest {
    /// The member's own answers onto the quote request built from the stored person: the
    /// real enrolment uses the same facts a quote would (and stores them with the request).
    pub fn apply_facts(&self, req: &mut QuoteRequest) {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(d) = given(&self.employee_insurance_ended_on) {
            req.person.employee_insurance_ended_on = Some(d);
        }
        if let Some(e) = self.insured_elsewhere {
            req.person.insured_elsewhere = e;
        }
        if let Some(w) = given(&self.work) {
            req.person.work = Some(w);
        }
        if let Some(s) = given(&self.school) {
            req.person.school = Some(s);
        }
    }
}

/// `POST /api/v1/enrollments` and the review screen's submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnrolRequest {
    /// The household; a resident's own is used when absent.
    #[serde(default)]
    pub household_id: Option<i64>,
    /// Village for a new household (staff registering people the system does not know).
    #[serde(default)]
    pub area_code: Option<String>,
    /// Pack id; by default the pack of the household's area whose collection window is open today.
    #[serde(default)]
    pub policy: Option<String>,
    pub members: Vec<MemberRequest>,
}

pub(super) fn field_err(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid(field, code, zh, en)
}

pub(super) fn conflict(field: Option<&str>, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::Conflict(UserMessage::new(code, field, zh, en))
}

pub(super) fn parse_id(field: &str, input: &str) -> Result<IdNumber, AppError> {
    IdNumber::parse(input).map_err(|e| field_err(field, e.code(), e.to_string(), e.message_en()))
}

pub(super) fn parse_name(field: &str, input: Option<&str>) -> Result<String, AppError> {
    let name = input.unwrap_or("").trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(field_err(field, "name_required", "请填写姓名", "Please enter the name"));
    }
    if count > 30 || name.chars().any(char::is_control) {
        return Err(field_err(
            field,
            "name_invalid",
            "姓名不能超过30个字，且不能含有特殊控制字符",
            "A name has at most 30 characters and no control characters",
        ));
    }
    Ok(name.to_owned())
}

pub(super) fn parse_relationship(field: &str, input: Option<&str>) -> Result<Option<String>, AppError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(r) if RELATIONSHIPS.contains(&r) => Ok(Some(r.to_owned())),
        Some(r) => Err(field_err(
            field,
            "relationship_unknown",
            format!("与户主关系“{r}”无效"),
            format!("Unknown relationship {r:?}"),
        )),
    }
}

pub fn to_view_hospital(h: HospitalRow) -> HospitalView {
    HospitalView {
        code: h.code,
        name: h.name,
        name_en: h.name_en,
        level: h.level,
        address: h.address,
        area_code: h.area_code,
        area_name: h.area_name,
        area_name_en: h.area_name_en,
    }
}

pub fn member_view(p: &PersonRow) -> MemberView {
    MemberView {
        person_id: p.id,
        name: p.name.clone(),
        id_number_masked: mask_id(&p.id_number),
        birth_date: p.birth_date,
        relationship: p.relationship.clone(),
        student: p.student,
    }
}
