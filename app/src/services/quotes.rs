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
        }
    }
}

pub fn run(registry: &PolicyRegistry, req: &QuoteRequest) -> Result<Quote, AppError> {
    let pack = registry.by_id(&req.policy)?;
    quote(pack, req).map_err(|e| AppError::invalid(&e.field, &e.code, e.message, e.message_en))
}
