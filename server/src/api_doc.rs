//! One `/api/v1` endpoint as the OpenAPI document lists it. Each feature's REST file
//! declares its own entries next to its handlers (`rest::*::ENDPOINTS`).

/// Every `/api/v1` endpoint: method, path, summary, request schema, (status, response schema).
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub request: Option<&'static str>,
    pub responses: &'static [(u16, &'static str, &'static str)],
}
