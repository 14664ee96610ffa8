//! Identity certification (身份认定) and the audit log.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::AdjustmentView;

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
