//! The OpenAPI 3.1 document for `/api/v1`, built from the code: the JSON Schemas are
//! derived from the very types the handlers (de)serialise, and the paths come from
//! each feature's `ENDPOINTS` beside its handlers (`rest::endpoints()`), which a test checks
//! against the running router.

use app::error::ErrorBody;
use app::model::AreaNode;
use app::services::quotes::PolicySummary;
use domain::policy::{PolicyPack, Quote, QuoteRequest};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

pub use crate::api_doc::Endpoint;

/// This document's own entry.
const ENDPOINTS: &[Endpoint] = &[Endpoint {
    method: "get",
    path: "/api/v1/openapi.json",
    summary: "This document",
    request: None,
    responses: &[(200, "OpenAPI 3.1", "Object")],
}];

/// Every `/api/v1` endpoint the document lists.
pub fn endpoints() -> impl Iterator<Item = &'static Endpoint> {
    crate::rest::endpoints().chain(ENDPOINTS)
}

/// `GET /api/v1/openapi.json`.
pub fn routes() -> axum::Router<crate::ServerState> {
    axum::Router::new().route("/openapi.json", axum::routing::get(openapi_document))
}

async fn openapi_document() -> axum::Json<Value> {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    axum::Json(DOC.get_or_init(document).clone())
}

/// Query parameters the document declares: method, path, name, required, JSON Schema.
const QUERY: &[(&str, &str, &str, bool, &str)] = &[
    (
        "get",
        "/api/v1/hospitals",
        "policy",
        true,
        r#"{"type": "string", "pattern": "^[a-z]+-[0-9]{4}$"}"#,
    ),
    ("get", "/api/v1/hospitals", "q", false, r#"{"type": "string"}"#),
    (
        "get",
        "/api/v1/payment-exceptions",
        "status",
        false,
        r#"{"type": "string", "enum": ["open", "all"]}"#,
    ),
];

/// `work` and `school` as the quote and the enrolment both take them.
const WORK_CODES: &str = r#"{"enum": ["flexible_employment", "migrant_worker", null]}"#;
const SCHOOL_CODES: &str = r#"{"enum": ["kindergarten", "primary_secondary", "higher_education", null]}"#;

/// What the handlers check that the derived schemas do not say (schema, property or "" for
/// the schema itself, keywords merged in). Rules that depend on stored data or on a
/// checksum (an ID number's last digit, a pack's tiers) cannot be written here; the
/// fuzzer's configuration (.ci/schemathesis.toml) names the operations that have them.
const CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("SessionRequest", "username", r#"{"minLength": 1, "pattern": "\\S"}"#),
    ("SessionRequest", "password", r#"{"minLength": 1}"#),
    (
        "ActionRequest",
        "action",
        r#"{"enum": ["accept", "return", "resubmit", "confirm", "reject", "flag", "withdraw", "revoke"]}"#,
    ),
    (
        "BulkRequest",
        "action",
        r#"{"enum": ["accept", "return", "resubmit", "confirm", "reject", "flag", "withdraw", "revoke"]}"#,
    ),
    ("BulkRequest", "ids", r#"{"minItems": 1, "maxItems": 500}"#),
    ("EnrolRequest", "members", r#"{"minItems": 1}"#),
    // Kept as strings (a bad one gets a 422 naming its field), documented as the codes they are.
    ("PersonInput", "work", WORK_CODES),
    ("PersonInput", "school", SCHOOL_CODES),
    ("MemberRequest", "work", WORK_CODES),
    ("MemberRequest", "school", SCHOOL_CODES),
    ("CertifyRequest", "id_number", r#"{"pattern": "^[0-9]{17}[0-9Xx]$"}"#),
    ("SettleRequest", "outcome", r#"{"enum": ["refunded", "applied", null]}"#),
    (
        "CashRequest",
        "amount",
        r#"{"pattern": "^[0-9]{1,9}(\\.[0-9]{1,2})?$"}"#,
    ),
];

/// OpenAPI 3.1 is JSON Schema 2020-12: an array of `items` (what the generator writes for a
/// tuple such as `(String, i64)`) is not a schema there.
fn tuples_to_prefix_items(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(items)) = map.get("items").cloned() {
                // `prefixItems` would be exact, but fuzzers that rewrite 3.1 schemas for
                // older JSON Schema drafts (Schemathesis) turn it back into this array and
                // then refuse it; "any of the element types, exactly n of them" is valid in
                // every draft.
                let n = items.len();
                map.insert("items".into(), json!({"anyOf": items}));
                map.insert("minItems".into(), json!(n));
                map.insert("maxItems".into(), json!(n));
            }
            for child in map.values_mut() {
                tuples_to_prefix_items(child);
            }
        }
        Value::Array(list) => list.iter_mut().for_each(tuples_to_prefix_items),
        _ => {}
    }
}

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
    put("DraftList", generator.subschema_for::<Vec<app::model::DraftSummary>>());
    put(
        "DraftCreateRequest",
        generator.subschema_for::<crate::rest::policies::DraftCreateRequest>(),
    );
    put(
        "DraftCreated",
        generator.subschema_for::<crate::rest::policies::DraftCreated>(),
    );
    put("DraftDetail", generator.subschema_for::<app::model::DraftDetail>());
    put(
        "DraftUpdateRequest",
        generator.subschema_for::<crate::rest::policies::DraftUpdateRequest>(),
    );
    put("ProblemList", generator.subschema_for::<Vec<domain::policy::Problem>>());
    put(
        "ReviewRequest",
        generator.subschema_for::<crate::rest::policies::ReviewRequest>(),
    );
    put(
        "PublishRequest",
        generator.subschema_for::<crate::rest::policies::PublishRequest>(),
    );
    put("AreaNode", generator.subschema_for::<AreaNode>());
    put("AreaList", generator.subschema_for::<Vec<AreaNode>>());
    put("ErrorBody", generator.subschema_for::<ErrorBody>());
    put(
        "SessionRequest",
        generator.subschema_for::<crate::rest::sessions::SessionRequest>(),
    );
    put(
        "SessionResponse",
        generator.subschema_for::<crate::rest::sessions::SessionResponse>(),
    );
    put(
        "EnrolRequest",
        generator.subschema_for::<app::services::enrolment::EnrolRequest>(),
    );
    put(
        "SubmissionView",
        generator.subschema_for::<app::model::SubmissionView>(),
    );
    put("EnrolmentView", generator.subschema_for::<app::model::EnrolmentView>());
    put("OrderView", generator.subschema_for::<app::model::OrderView>());
    put(
        "CashRequest",
        generator.subschema_for::<crate::rest::enrolment::CashRequest>(),
    );
    put(
        "HospitalChangeRequest",
        generator.subschema_for::<crate::rest::enrolment::HospitalChangeRequest>(),
    );
    put("ReceiptView", generator.subschema_for::<app::model::ReceiptView>());
    put(
        "PaymentExceptionList",
        generator.subschema_for::<app::model::PaymentExceptionList>(),
    );
    put(
        "PaymentExceptionView",
        generator.subschema_for::<app::model::PaymentExceptionView>(),
    );
    put("SettleRequest", generator.subschema_for::<app::model::SettleRequest>());
    put(
        "AdjustmentView",
        generator.subschema_for::<app::model::AdjustmentView>(),
    );
    put(
        "HospitalList",
        generator.subschema_for::<Vec<app::model::HospitalView>>(),
    );
    put(
        "CallbackBody",
        generator.subschema_for::<app::services::payments::CallbackBody>(),
    );
    put(
        "CallbackResult",
        generator.subschema_for::<app::services::payments::CallbackResult>(),
    );
    put(
        "ReconciliationReport",
        generator.subschema_for::<app::services::payments::ReconciliationReport>(),
    );
    put(
        "CertifyRequest",
        generator.subschema_for::<app::services::certification::CertifyRequest>(),
    );
    put(
        "ActionRequest",
        generator.subschema_for::<app::services::certification::ActionRequest>(),
    );
    put(
        "BulkRequest",
        generator.subschema_for::<app::services::certification::BulkRequest>(),
    );
    put("BulkOutcome", generator.subschema_for::<app::model::BulkOutcome>());
    put(
        "CertificationList",
        generator.subschema_for::<Vec<app::model::CertificationSummary>>(),
    );
    put(
        "CertificationView",
        generator.subschema_for::<app::model::CertificationView>(),
    );
    put("DocumentView", generator.subschema_for::<app::model::DocumentView>());
    put("ImportReport", generator.subschema_for::<app::model::ImportReport>());
    put("LedgerList", generator.subschema_for::<Vec<app::model::LedgerEntry>>());
    put("LedgerEntry", generator.subschema_for::<app::model::LedgerEntry>());
    put("LedgerChanges", generator.subschema_for::<app::model::LedgerChanges>());
    put(
        "VisitRequest",
        generator.subschema_for::<app::services::ledger::VisitRequest>(),
    );
    put("AuditList", generator.subschema_for::<Vec<app::model::AuditView>>());
    put("Report", generator.subschema_for::<app::services::reports::Report>());
    put("TargetList", generator.subschema_for::<Vec<app::model::TargetView>>());
    put("TargetView", generator.subschema_for::<app::model::TargetView>());
    put(
        "TargetRequest",
        generator.subschema_for::<app::services::targets::TargetRequest>(),
    );
    put(
        "TargetImport",
        generator.subschema_for::<app::services::targets::TargetImport>(),
    );
    put(
        "RosterImport",
        generator.subschema_for::<app::services::ledger::roster::RosterImport>(),
    );
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in named {
        schemas.entry(name).or_insert(schema);
    }
    for (name, property, extra) in CONSTRAINTS {
        let extra: Value = serde_json::from_str(extra).expect("a constraint is JSON");
        let target = match *property {
            "" => schemas.get_mut(*name),
            p => schemas
                .get_mut(*name)
                .and_then(|s| s.pointer_mut(&format!("/properties/{p}"))),
        };
        let target = target
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("no schema {name}.{property}"));
        for (k, v) in extra.as_object().expect("a constraint is an object") {
            target.insert(k.clone(), v.clone());
        }
    }
    let mut schemas = Value::Object(schemas);
    tuples_to_prefix_items(&mut schemas);
    let Value::Object(mut schemas) = schemas else {
        unreachable!("built as an object above")
    };
    schemas.insert(
        "Health".into(),
        json!({"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}}, "required": ["status"]}),
    );
    schemas.insert("Object".into(), json!({"type": "object"}));

    let mut paths: Map<String, Value> = Map::new();
    for e in endpoints() {
        let responses: Map<String, Value> = e
            .responses
            .iter()
            .map(|(status, description, schema)| {
                // `A|B`: either shape (an import's 422 is its problems or an unreadable file).
                let refs: Vec<Value> = schema
                    .split('|')
                    .map(|s| json!({"$ref": format!("#/components/schemas/{s}")}))
                    .collect();
                let schema = match refs.len() {
                    1 => refs[0].clone(),
                    _ => json!({"anyOf": refs}),
                };
                (
                    status.to_string(),
                    json!({
                        "description": description,
                        "content": {"application/json": {"schema": schema}}
                    }),
                )
            })
            .collect();
        let mut responses = responses;
        // What the layers in front of every handler may answer (server/src/hardening.rs,
        // limits.rs), in the same error shape.
        let error = |description: &str| {
            json!({
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
            })
        };
        responses
            .entry("503")
            .or_insert_with(|| error("no answer within the request timeout"));
        if matches!(e.method, "post" | "put") {
            responses
                .entry("413")
                .or_insert_with(|| error("the body is over this route's limit"));
            // Every body is parsed before it is used: malformed is 400, a wrong value 422.
            responses
                .entry("400")
                .or_insert_with(|| error("a malformed body (not JSON, or not the file's format)"));
            responses
                .entry("422")
                .or_insert_with(|| error("an invalid value; error.field names it"));
        }
        if e.path.contains('{') {
            responses
                .entry("404")
                .or_insert_with(|| error("no such thing, or not one the caller may see"));
        }
        if crate::limits::Kind::of(e.path).is_some() {
            responses
                .entry("429")
                .or_insert_with(|| error("too many requests from this client; Retry-After says when to try again"));
        }
        let mut op = json!({"summary": e.summary, "responses": responses});
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut params = params;
        params.extend(
            QUERY
                .iter()
                .filter(|(method, path, ..)| *method == e.method && *path == e.path)
                .map(|(_, _, name, required, schema)| {
                    let schema: Value = serde_json::from_str(schema).expect("a query parameter's schema is JSON");
                    json!({"name": name, "in": "query", "required": required, "schema": schema})
                }),
        );
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        match e.request {
            // An upload: the file itself (CSV as text, XLSX or a document as bytes).
            Some("File") => {
                op["requestBody"] = json!({
                    "required": true,
                    "content": {
                        "text/csv": {"schema": {"type": "string", "minLength": 1}},
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary", "minLength": 1}}
                    }
                });
            }
            Some(req) => {
                op["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{req}")}}}
                });
            }
            None => {}
        }
        let entry = paths.entry(e.path.to_owned()).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Canbao public API",
            "version": "1",
            "description": "Resident basic medical insurance: policies, quotes, areas, enrolment and payment, identity certification, departments' lists, the unenrolled ledger, reports and targets, and the audit log. Money is a decimal string with two places; dates are YYYY-MM-DD. Errors are {\"error\": {\"code\", \"message\" (Chinese), \"field\"}}."
        },
        "paths": paths,
        "components": {"schemas": schemas}
    })
}
