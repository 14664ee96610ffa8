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
        method: "post",
        path: "/api/v1/sessions",
        summary: "Staff sign-in for other systems: returns a bearer token",
        request: Some("SessionRequest"),
        responses: &[
            (200, "signed in", "SessionResponse"),
            (401, "wrong username or password", "ErrorBody"),
            (422, "an invalid value", "ErrorBody"),
            (429, "too many attempts", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/enrollments",
        summary: "Enrol a household's members for the open insurance year (Authorization: Bearer; optional Idempotency-Key header)",
        request: Some("EnrolRequest"),
        responses: &[
            (201, "enrolments created (with a payment order when something is owed)", "SubmissionView"),
            (200, "every member was already enrolled: the existing enrolments", "SubmissionView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (409, "Idempotency-Key reused with another body, or a member in another household", "ErrorBody"),
            (422, "an invalid value; error.field names it (members[i].id_number …)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/enrollments/{id}",
        summary: "One enrolment: status, amounts, benefit dates, explanation, hospitals",
        request: None,
        responses: &[
            (200, "the enrolment", "EnrolmentView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (404, "unknown, or not the caller's household", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "put",
        path: "/api/v1/enrollments/{id}/hospitals",
        summary: "Change the designated hospitals later in the year (as often as the pack's hospitals.changes_per_year allows; recorded and audited)",
        request: Some("HospitalChangeRequest"),
        responses: &[
            (200, "the enrolment with its new hospitals", "EnrolmentView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the caller's area", "ErrorBody"),
            (404, "unknown, or not the caller's household", "ErrorBody"),
            (409, "the enrolment has ended", "ErrorBody"),
            (422, "unknown hospital, too many, the same as now, or this year's changes used up (field hospitals)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/households/{id}/payment-order",
        summary: "Open (or return the open) payment order for a household's unpaid enrolments",
        request: None,
        responses: &[
            (200, "the order", "OrderView"),
            (401, "not signed in", "ErrorBody"),
            (404, "unknown household", "ErrorBody"),
            (409, "nothing to pay", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/households/{id}/cash",
        summary: "A cadre records cash collected for a household (amount must equal the amount due)",
        request: Some("CashRequest"),
        responses: &[
            (201, "the receipt", "ReceiptView"),
            (401, "not signed in", "ErrorBody"),
            (403, "not staff, or outside the caller's area", "ErrorBody"),
            (409, "nothing to pay", "ErrorBody"),
            (422, "the amount differs from the amount due", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/receipts/{receipt_no}",
        summary: "A payment receipt",
        request: None,
        responses: &[
            (200, "the receipt", "ReceiptView"),
            (401, "not signed in", "ErrorBody"),
            (404, "unknown, or not the caller's", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/hospitals",
        summary: "Designated medical institutions of a pack's jurisdiction (?policy=&area=&q=)",
        request: None,
        responses: &[
            (200, "the institutions", "HospitalList"),
            (404, "unknown policy", "ErrorBody"),
            (422, "policy missing", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payments/callback",
        summary: "Payment provider callback, signed: X-Canbao-Timestamp (Unix seconds) and X-Canbao-Signature (hex HMAC-SHA256 of \"{timestamp}.{body}\"). Idempotent on transaction_id",
        request: Some("CallbackBody"),
        responses: &[
            (200, "applied, duplicate (nothing changed), cancelled, or exception (paid but not applicable to its order: kept in the payment exceptions queue, or applied to the household's unpaid enrolments when it is exactly what they owe)", "CallbackResult"),
            (400, "malformed body", "ErrorBody"),
            (401, "unsigned, badly signed or stale", "ErrorBody"),
            (404, "unknown order", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payments/reconciliation",
        summary: "Bureau officers: import the tax bureau's CSV (id_number,insurance_year,amount,paid_at,channel,transaction_id); one transaction, idempotent on transaction_id",
        request: Some("File"),
        responses: &[
            (200, "what was applied, duplicated and refused", "ReconciliationReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (422, "the file is not in the expected layout", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/payment-exceptions",
        summary: "Bureau officers: payments that could not be applied (支付异常) in their area (?status=open|all), and the refunds and top-ups from re-pricing still to settle",
        request: None,
        responses: &[
            (200, "the queue, newest first", "PaymentExceptionList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (422, "status is neither open nor all", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/payment-exceptions/{id}/settle",
        summary: "Bureau officers settle a payment exception: outcome refunded (channel required) or applied (to the household's unpaid enrolments, when the amount is exactly what they owe). Audited",
        request: Some("SettleRequest"),
        responses: &[
            (200, "settled", "PaymentExceptionView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (404, "unknown, or outside the officer's area", "ErrorBody"),
            (409, "already settled, or not what the household owes", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustments/{id}/settle",
        summary: "Bureau officers record a refund paid back or a top-up collected (channel required, note optional). Audited; shown on the enrolment",
        request: Some("SettleRequest"),
        responses: &[
            (200, "settled", "AdjustmentView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer", "ErrorBody"),
            (404, "unknown, or outside the officer's area", "ErrorBody"),
            (409, "already settled", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/certifications",
        summary: "Certification work queue (query: status|all, category, area, older_than_days); residents see their household's requests",
        request: None,
        responses: &[
            (200, "oldest first, each with the steps the viewer may take", "CertificationList"),
            (401, "not signed in", "ErrorBody"),
            (403, "area outside the viewer's scope", "ErrorBody"),
            (422, "an invalid filter; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications",
        summary: "Request an identity certification (身份认定) for a registered person",
        request: Some("CertifyRequest"),
        responses: &[
            (201, "submitted", "CertificationView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "person outside the viewer's scope, or a department officer", "ErrorBody"),
            (404, "person not registered", "ErrorBody"),
            (409, "an open request or certification for this category exists", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/bulk",
        summary: "One step for many requests: without confirm=true nothing changes and the people are listed for checking",
        request: Some("BulkRequest"),
        responses: &[
            (200, "the preview or the applied list", "BulkOutcome"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "the role may not take this step for item ids[i] (error.field)", "ErrorBody"),
            (404, "item ids[i] does not exist or is not the viewer's", "ErrorBody"),
            (409, "item ids[i] is not in a status the step starts from", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/certifications/{id}",
        summary: "One request with its history, documents and any refund or top-up it caused",
        request: None,
        responses: &[
            (200, "the request", "CertificationView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's area or department", "ErrorBody"),
            (404, "no such request (or not the resident's)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/{id}/actions",
        summary: "A step: accept/return (township), confirm/reject (department), flag/revoke (bureau), resubmit/withdraw (submitter)",
        request: Some("ActionRequest"),
        responses: &[
            (200, "the request after the step", "CertificationView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "the role may not take this step here", "ErrorBody"),
            (404, "no such request", "ErrorBody"),
            (409, "the request is not in a status this step starts from", "ErrorBody"),
            (422, "an invalid value; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/certifications/{id}/documents",
        summary: "Upload a supporting document (JPG, PNG or PDF by content, at most 10 MB): multipart field `file`, or raw bytes with ?file_name=",
        request: Some("File"),
        responses: &[
            (201, "stored", "DocumentView"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's scope", "ErrorBody"),
            (404, "no such request", "ErrorBody"),
            (409, "the request is decided", "ErrorBody"),
            (422, "empty, too large or not an accepted type", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/certifications/{id}/documents/{doc}",
        summary: "A document's bytes, for viewers who may see the request",
        request: None,
        responses: &[
            (200, "the file, with its content type", "Object"),
            (401, "not signed in", "ErrorBody"),
            (403, "outside the viewer's scope", "ErrorBody"),
            (404, "no such document", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/audit",
        summary: "The audit log, newest first (query: action, actor, area, from, to, before); admins see all, bureau officers their area",
        request: None,
        responses: &[
            (200, "entries", "AuditList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not an admin or bureau officer, or area out of scope", "ErrorBody"),
            (422, "an invalid filter", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustment-lists",
        summary: "Dry run of a department's dynamic adjustment list (Lishi form 3; CSV or XLSX, Chinese or English headers): multipart field `file`, or raw bytes with ?file_name=. Nothing is applied",
        request: Some("File"),
        responses: &[
            (200, "every row's verdict (first problems listed)", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (422, "wrong file type, missing columns, too large; error.field is file", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/adjustment-lists/{id}",
        summary: "A list's report (a fresh dry run until applied, then the applied report)",
        request: None,
        responses: &[
            (200, "the report", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list (or not the viewer's upload)", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/adjustment-lists/{id}/apply",
        summary: "Apply the valid rows in one transaction; invalid, duplicate and conflicting rows go to the review queue",
        request: None,
        responses: &[
            (200, "the applied report", "ImportReport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list", "ErrorBody"),
            (409, "already applied", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/adjustment-lists/{id}/errors.xlsx",
        summary: "Every problem row as an XLSX workbook (Chinese headers)",
        request: None,
        responses: &[
            (200, "the workbook", "Object"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a department or bureau officer", "ErrorBody"),
            (404, "no such list", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/ledger",
        summary: "The unenrolled ledger (未参保台账) for an area and year (query: area, year, reason), sorted by what to do next",
        request: None,
        responses: &[
            (200, "people known in the area without a paid enrolment", "LedgerList"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a cadre, township, bureau officer or admin, or area out of scope", "ErrorBody"),
            (422, "an invalid filter", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/ledger/changes",
        summary: "A month's comparison (query: month=2022-10, area, year): newly enrolled, newly unenrolled, reasons changed",
        request: None,
        responses: &[
            (200, "the counts", "LedgerChanges"),
            (401, "not signed in", "ErrorBody"),
            (403, "not allowed or out of scope", "ErrorBody"),
            (422, "an invalid month", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/reports/{kind}",
        summary: "A report for an area and as-of day (kind: weekly, dashboard, fund-request, statistics, ranking, incentive; query: area, as_of, year, format=json|xlsx|svg, chart=coverage|trend for the dashboard's SVG, lang=zh|en)",
        request: None,
        responses: &[
            (200, "the report (JSON), its XLSX laid out like the official form, or the dashboard's SVG chart", "Report"),
            (401, "not signed in", "ErrorBody"),
            (403, "a resident, or the area is out of scope", "ErrorBody"),
            (404, "no such report kind or area", "ErrorBody"),
            (422, "an as-of day in the future or before the collection period, or another invalid parameter; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "get",
        path: "/api/v1/targets",
        summary: "Targets (任务数) in the viewer's scope (query: area), each with its source",
        request: None,
        responses: &[
            (200, "the targets", "TargetList"),
            (401, "not signed in", "ErrorBody"),
            (403, "a resident, or the area is out of scope", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "put",
        path: "/api/v1/targets/{area}/{year}",
        summary: "Set an area's target for a year by hand (bureau officers; the seed never overwrites it)",
        request: Some("TargetRequest"),
        responses: &[
            (200, "the target", "TargetView"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer, or the area is out of scope", "ErrorBody"),
            (404, "no such area", "ErrorBody"),
            (422, "an invalid year or count; error.field names it", "ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/targets/import",
        summary: "Import targets from XLSX or CSV (columns: area code or area name, year, count; multipart field file or the raw body): every row checked, all or nothing",
        request: Some("File"),
        responses: &[
            (200, "how many were set", "TargetImport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a bureau officer, or a row's area is out of scope", "ErrorBody"),
            (422, "problems, per row and column (nothing set), or an unreadable file", "TargetImport|ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/roster/import",
        summary: "Import the roster of who should enrol (应参保人员) from XLSX or CSV (columns: 村社区 or 区划代码, 姓名, 身份证号码; optional 乡镇街道, 联系电话, 户籍): new people are registered in their village; every row checked, all or nothing",
        request: Some("File"),
        responses: &[
            (200, "how many were registered and how many were known", "RosterImport"),
            (401, "not signed in", "ErrorBody"),
            (403, "not a township or bureau officer, or a row's area is out of scope", "ErrorBody"),
            (422, "problems, per row and column (nothing written), or an unreadable file", "RosterImport|ErrorBody"),
        ],
    },
    Endpoint {
        method: "post",
        path: "/api/v1/ledger/{person}/visits",
        summary: "Record a follow-up visit and the reason it established",
        request: Some("VisitRequest"),
        responses: &[
            (201, "the person's ledger entry", "LedgerEntry"),
            (400, "malformed JSON", "ErrorBody"),
            (401, "not signed in", "ErrorBody"),
            (403, "not allowed or out of scope", "ErrorBody"),
            (404, "no such person, or enrolled", "ErrorBody"),
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
    put("AreaNode", generator.subschema_for::<AreaNode>());
    put("AreaList", generator.subschema_for::<Vec<AreaNode>>());
    put("ErrorBody", generator.subschema_for::<ErrorBody>());
    put(
        "SessionRequest",
        generator.subschema_for::<crate::rest::SessionRequest>(),
    );
    put(
        "SessionResponse",
        generator.subschema_for::<crate::rest::SessionResponse>(),
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
    put("CashRequest", generator.subschema_for::<crate::rest::CashRequest>());
    put(
        "HospitalChangeRequest",
        generator.subschema_for::<crate::rest::HospitalChangeRequest>(),
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
        generator.subschema_for::<app::services::roster::RosterImport>(),
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
    for e in ENDPOINTS {
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
