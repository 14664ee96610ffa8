//! Quotes for the API and the quote page: find the pack, run the engine, map errors.

use domain::policy::{quote, CategoryRule, PolicyPack, Quote, QuoteRequest, Tier};
use serde::{Deserialize, Serialize};

use super::policies::PolicyRegistry;
use crate::error::AppError;

/// A pack as listed by `GET /api/v1/policies`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySummary {
    pub id: String,
    pub jurisdiction: String,
    pub jurisdiction_en: String,
    pub insurance_year: i32,
    pub notice: String,
    pub area_codes: Vec<String>,
    pub tiers: Vec<Tier>,
    pub categories: Vec<CategoryRule>,
    /// The published version (1 for a first publication; more after corrections).
    pub version: u32,
    /// `draft` (or `submitted`, `returned`, `approved`) for a draft listed to staff in
    /// scope; absent for a published pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<i64>,
}

impl From<&PolicyPack> for PolicySummary {
    fn from(p: &PolicyPack) -> Self {
        Self {
            id: p.id.clone(),
            jurisdiction: p.jurisdiction.clone(),
            jurisdiction_en: p.jurisdiction_en.clone(),
            insurance_year: p.insurance_year,
            notice: p.notice.to_string(),
            area_codes: p.area_codes.clone(),
            tiers: p.tiers.clone(),
            categories: p.categories.clone(),
            version: p.version,
            status: None,
            draft_id: None,
        }
    }
}

pub fn run(registry: &PolicyRegistry, req: &QuoteRequest, today: chrono::NaiveDate) -> Result<Quote, AppError> {
    let pack = registry.by_id(&req.policy, today)?;
    quote(pack, req).map_err(|e| AppError::invalid(&e.field, &e.code, e.message, e.message_en))
}
