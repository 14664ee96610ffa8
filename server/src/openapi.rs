//! The OpenAPI 3.1 document for `/api/v1`, built from the code: the JSON Schemas are
//! derived from the very types the handlers (de)serialise, and the paths come from
//! [`ENDPOINTS`], which a test checks against the running router.

use app::error::ErrorBody;
use app::model::AreaNode;
use app::services::quotes::PolicySummary;
use domain::policy::{PolicyPack, Quote, QuoteRequest};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

/// Every `/api/v1` endpoint: method, path, summary, request schema, (status, response schema).
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub request: Option<&'static str>,
    pub responses: &'static [(u16, &'static str, &'static str)],
}

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/health",
        summary: "Readiness: 200 {\"status\":\"ok\"} once the database answers",
        request: None,
        responses: &[(200, "ready", "Health"), (503, "database unavailable", "Health")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/areas",
        summary: "The area hierarchy with each area's latest target",
        request: None,
        responses: &[(200, "all areas, parents first", "AreaList")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/areas/{code}",
        summary: "One area by administrative code",
        request: None,
        responses: &[(200, "the area", "AreaNode"), (404, "unknown code", "ErrorBody")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/policies",
        summary: "The policy packs loaded (the five seed packs and any from CANBAO_POLICY_DIR)",
        request: None,
        responses: &[(200, "pack summaries", "PolicyList")],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/policies/{id}",
        summary: "One whole policy pack, every figure with its notice and clause",
        request: None,
        responses: &[(200, "the pack", "PolicyPack"), (404, "unknown policy", "ErrorBody")],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/quote",
        summary: "Whether a person may enrol, what they pay after subsidies and when cover starts",
        request: Some("QuoteRequest"),
        responses: &[
            (
                200,
                "the quote (also for an ineligible person: eligible=false with reasons)",
                "Quote",
            ),
            (400, "malformed JSON", "ErrorBody"),
            (404, "unknown policy", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/openapi.json",
        summary: "This document",
        request: None,
        responses: &[(200, "OpenAPI 3.1", "Object")],
    },
];

pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut named: Map<String, Value> = Map::new();
    let mut put = |name: &str, schema: schemars::Schema| {
        named.insert(name.to_owned(), schema.to_value());
    };
    put("QuoteRequest", generator.subschema_for::<QuoteRequest>());
    put("Quote", generator.subschema_for::<Quote>());
    put("PolicyPack", generator.subschema_for::<PolicyPack>());
    put("PolicyList", generator.subschema_for::<Vec<PolicySummary>>());
    put("AreaNode", generator.subschema_for::<AreaNode>());
    put("AreaList", generator.subschema_for::<Vec<AreaNode>>());
    put("ErrorBody", generator.subschema_for::<ErrorBody>());
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in named {
        schemas.entry(name).or_insert(schema);
    }
    schemas.insert(
        "Health".into(),
        json!({"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}}, "required": ["status"]}),
    );
    schemas.insert("Object".into(), json!({"type": "object"}));

    let mut paths: Map<String, Value> = Map::new();
    for e in ENDPOINTS {
        let responses: Map<String, Value> = e
            .responses
            .iter()
            .map(|(status, description, schema)| {
                (
                    status.to_string(),
                    json!({
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
                    }),
                )
            })
            .collect();
        let mut op = json!({"summary": e.summary, "responses": responses});
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(req) = e.request {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{req}")}}}
            });
        }
        let entry = paths.entry(e.path.to_owned()).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Canbao public API",
            "version": "1",
            "description": "Resident basic medical insurance: policies, quotes, areas. Money is a decimal string with two places; dates are YYYY-MM-DD. Errors are {\"error\": {\"code\", \"message\" (Chinese), \"field\"}}."
        },
        "paths": paths,
        "components": {"schemas": schemas}
    })
}
