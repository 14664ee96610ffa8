//! Identity certification (身份认定): a request names a person and a category; the
//! township office accepts it (or returns it), the certifying department confirms it (or
//! rejects it), and the medical insurance bureau flags it (标识), from which day the
//! subsidy prices the person's quotes. A flag after payment records a refund or top-up.

mod documents;
mod read;
mod steps;
pub mod store;
mod submit;

pub use documents::*;
pub use read::*;
pub use steps::*;
pub use submit::*;

use chrono::NaiveDate;
use domain::policy::{Category, PolicyPack};
use serde::{Deserialize, Serialize};

use super::access::Actor;
use super::enrolment::own_household;
use super::AppState;
use crate::error::AppError;
use crate::model::{Role, CERT_ACTIONS};
use store::{CertRow, Repricing};

/// Largest supporting document.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most documents one request may carry.
pub const MAX_DOCUMENTS: i64 = 20;
/// Most requests one bulk step may touch.
pub const MAX_BULK: usize = 500;

/// `POST /api/v1/certifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertifyRequest {
    pub id_number: String,
    /// A category code of the public API contract (e.g. `minimum_living`).
    pub category: String,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /api/v1/certifications/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActionRequest {
    /// accept, return, resubmit, confirm, reject, flag, withdraw or revoke.
    pub action: String,
    /// Required when returning, rejecting or revoking.
    #[serde(default)]
    pub comment: Option<String>,
    /// The department may limit how long a confirmed category lasts.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// `POST /api/v1/certifications/bulk`: without `confirm` nothing changes and the answer
/// lists the people for the officer to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkRequest {
    pub action: String,
    pub ids: Vec<i64>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub confirm: bool,
}

/// `GET /api/v1/certifications` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueQuery {
    /// One status, or "all"; by default the status the viewer's role works on.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// An area code inside the viewer's scope.
    #[serde(default)]
    pub area: Option<String>,
    /// Only requests submitted at least this many days ago.
    #[serde(default)]
    pub older_than_days: Option<i64>,
}

/// The actor plus, for a resident, their household (looked up once per call).
pub(super) struct Viewer<'a> {
    pub(super) actor: &'a Actor,
    pub(super) household: Option<i64>,
}

impl Viewer<'_> {
    async fn new<'a>(state: &AppState, actor: &'a Actor) -> Result<Viewer<'a>, AppError> {
        let household = if actor.role == Role::Resident {
            own_household(state, actor).await?.map(|h| h.id)
        } else {
            None
        };
        Ok(Viewer { actor, household })
    }

    fn in_area(&self, area: Option<&str>) -> bool {
        match (self.actor.scope(), area) {
            (Some(scope), Some(area)) => area.starts_with(scope),
            _ => false,
        }
    }

    fn same_department(&self, cert: &CertRow) -> bool {
        self.actor.account.department.as_deref() == Some(cert.department.as_str())
    }

    /// The submitter, or the resident whose household the person is in.
    fn owns(&self, cert: &CertRow) -> bool {
        cert.submitted_by_account_id == Some(self.actor.account.id)
            || (self.household.is_some() && cert.household_id == self.household)
    }

    /// Residents who may not see a request are told it does not exist; staff out of
    /// scope are told so.
    fn check_visible(&self, cert: &CertRow) -> Result<(), AppError> {
        let visible = match self.actor.role {
            Role::Resident => self.owns(cert),
            Role::DepartmentOfficer => self.in_area(cert.area_code.as_deref()) && self.same_department(cert),
            _ => self.in_area(cert.area_code.as_deref()) || self.owns(cert),
        };
        match (visible, self.actor.role) {
            (true, _) => Ok(()),
            (false, Role::Resident) => Err(not_found()),
            (false, _) => Err(AppError::forbidden(
                "out_of_scope",
                "该认定申请不在您的管辖范围内",
                "This request is outside your area or department",
            )),
        }
    }

    /// Whether the role may ever take `action` (status aside).
    fn role_may(&self, action: &str, cert: &CertRow) -> bool {
        let r = self.actor.role;
        let area = self.in_area(cert.area_code.as_deref());
        match action {
            "accept" | "return" => r == Role::TownshipOfficer && area,
            "confirm" | "reject" => r == Role::DepartmentOfficer && area && self.same_department(cert),
            "flag" => r == Role::BureauOfficer && area,
            "revoke" => {
                area && (r == Role::BureauOfficer || (r == Role::DepartmentOfficer && self.same_department(cert)))
            }
            "resubmit" | "withdraw" => self.owns(cert),
            _ => false,
        }
    }

    fn allowed(&self, cert: &CertRow) -> Vec<String> {
        CERT_ACTIONS
            .iter()
            .filter(|a| from_statuses(a).contains(&cert.status.as_str()) && self.role_may(a, cert))
            .map(|a| (*a).to_owned())
            .collect()
    }
}

/// The statuses an action starts from, and where it leads.
pub(super) fn from_statuses(action: &str) -> &'static [&'static str] {
    match action {
        "accept" | "return" => &["submitted"],
        "resubmit" => &["returned"],
        "confirm" | "reject" => &["accepted"],
        "flag" => &["confirmed"],
        "withdraw" => &["submitted", "accepted", "returned"],
        "revoke" => &["flagged"],
        _ => &[],
    }
}

pub(super) fn to_status(action: &str) -> &'static str {
    match action {
        "accept" => "accepted",
        "return" => "returned",
        "resubmit" => "submitted",
        "confirm" => "confirmed",
        "reject" => "rejected",
        "flag" => "flagged",
        "withdraw" => "withdrawn",
        _ => "revoked",
    }
}

pub(super) fn not_found() -> AppError {
    AppError::not_found(
        "certification_not_found",
        "未找到该认定申请",
        "No such certification request",
    )
}

pub(super) fn field_err(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid(field, code, zh, en)
}

pub(super) fn parse_comment(field: &str, input: Option<&str>, required: bool) -> Result<Option<String>, AppError> {
    let c = input.map(str::trim).filter(|s| !s.is_empty());
    match c {
        None if required => Err(field_err(
            field,
            "comment_required",
            "请填写理由",
            "Please give a reason",
        )),
        Some(c) if c.chars().count() > 500 || c.chars().any(|ch| ch.is_control() && ch != '\n') => Err(field_err(
            field,
            "comment_invalid",
            "说明不能超过500字，且不能含有特殊控制字符",
            "A comment has at most 500 characters and no control characters",
        )),
        c => Ok(c.map(str::to_owned)),
    }
}

pub(super) fn parse_category(field: &str, code: &str) -> Result<Category, AppError> {
    Category::from_code(code.trim()).ok_or_else(|| {
        field_err(
            field,
            "category_unknown",
            format!("人员类别“{code}”无效"),
            format!("Unknown category {code:?}"),
        )
    })
}

pub(super) fn parse_action(field: &str, action: &str) -> Result<&'static str, AppError> {
    CERT_ACTIONS
        .iter()
        .copied()
        .find(|a| *a == action.trim())
        .ok_or_else(|| {
            field_err(
                field,
                "action_unknown",
                format!("操作“{action}”无效"),
                format!("Unknown action {action:?}"),
            )
        })
}

/// The department a pack names for a category; civil affairs when the pack is silent.
pub(super) fn certifying_department(pack: &PolicyPack, category: Category) -> Option<String> {
    pack.categories
        .iter()
        .find(|r| r.category == category)
        .map(|r| r.certified_by.clone().unwrap_or_else(|| "civil_affairs".to_owned()))
        .or_else(|| {
            pack.combinations
                .iter()
                .any(|c| c.all_of.contains(&category) || c.any_of.contains(&category))
                .then(|| "civil_affairs".to_owned())
        })
}

// ---------------------------------------------------------------------------------------
// Submission
