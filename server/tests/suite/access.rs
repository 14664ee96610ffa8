//! The access matrix: every REST endpoint and every server function, called by every
//! role from inside and from outside the data's area, answers as the table says, on both
//! databases. A new endpoint or server function without a row fails the test.
//!
//! Classes per actor: `a` 401 (sign in first), `d` denied (403, or 404 where a resident
//! is not told the thing exists), `o` allowed (the call passed the checks: 2xx, 3xx, or a
//! 409/422 about the data, e.g. "already paid"), `p` public (anything but 403/5xx; a
//! wrong password is still 401).

use crate::common::{bearer, resident_token, spawn_app, Backend, TestApp, ADULT, HOSPITAL, OTHER, VILLAGE};
use serde_json::{json, Value};

both_backends! {
    every_endpoint_checks_role_and_area,
    refused_pages_leak_no_name_id_or_phone,
}

const OTHER_VILLAGE: &str = "141102002001";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
/// A department list with only its header (nothing to apply, everything checked).
const LIST: &str = "身份证号码,动态调整类型,人员类别,动态调整时间\n";

/// The callers, in the order of each row's class string.
const ACTORS: [&str; 12] = [
    "anonymous",
    "resident (own household)",
    "resident (another household)",
    "cadre (in area)",
    "cadre (other village)",
    "township officer (in area)",
    "township officer (other township)",
    "department officer (civil affairs, in district)",
    "department officer (civil affairs, Beijing)",
    "bureau officer (Lishi)",
    "bureau officer (Beijing)",
    "admin",
];

/// Every REST endpoint: method, path as documented, body, classes per actor.
const REST: &[(&str, &str, &str, &str)] = &[
    ("get", "/api/v1/health", "", "pppppppppppp"),
    ("get", "/api/v1/areas", "", "pppppppppppp"),
    ("get", "/api/v1/areas/{code}", "", "pppppppppppp"),
    ("get", "/api/v1/policies", "", "pppppppppppp"),
    ("get", "/api/v1/policies/{id}", "", "pppppppppppp"),
    // Policy drafts: bureau officers and admins over their own areas. The Beijing officer's
    // list is empty; starting from or importing a Lishi pack is refused on its field (422:
    // out of scope looks like unknown). The fixture's draft is by a second Lishi officer, so
    // the Lishi officer may review and publish it; each step's second caller finds it moved on (409).
    ("get", "/api/v1/policy-drafts", "", "addddddddooo"),
    ("post", "/api/v1/policy-drafts", "draft", "addddddddooo"),
    ("post", "/api/v1/policy-drafts/import", "pack", "addddddddooo"),
    ("get", "/api/v1/policy-drafts/{id}", "", "addddddddodo"),
    ("put", "/api/v1/policy-drafts/{id}", "draft_put", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/form", "", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/validate", "", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/submit", "", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/approve", "", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/return", "review", "addddddddodo"),
    ("post", "/api/v1/policy-drafts/{id}/publish", "", "addddddddodo"),
    ("post", "/api/v1/quote", "quote", "pppppppppppp"),
    ("post", "/api/v1/sessions", "session", "pppppppppppp"),
    ("post", "/api/v1/enrollments", "enrol", "aodododddodo"),
    ("get", "/api/v1/enrollments/{id}", "", "aodododddodo"),
    // The first allowed caller changes the hospital; the rest get 422 (unchanged or used up).
    ("put", "/api/v1/enrollments/{id}/hospitals", "hospitals", "aodododddodo"),
    ("post", "/api/v1/households/{id}/payment-order", "", "aodododddodo"),
    ("post", "/api/v1/households/{id}/cash", "cash", "addododddodo"),
    ("get", "/api/v1/receipts/{receipt_no}", "", "aodododddodo"),
    ("get", "/api/v1/hospitals", "", "pppppppppppp"),
    // Signed by the payment provider, not by a session: unsigned is 401 for everyone.
    ("post", "/api/v1/payments/callback", "", "aaaaaaaaaaaa"),
    ("post", "/api/v1/payments/reconciliation", "csv", "addddddddooo"),
    // Bureau officers and admins; the Beijing officer's queue is empty, its settling 404.
    ("get", "/api/v1/payment-exceptions", "", "addddddddooo"),
    (
        "post",
        "/api/v1/payment-exceptions/{id}/settle",
        "settle",
        "addddddddodo",
    ),
    ("post", "/api/v1/adjustments/{id}/settle", "settle", "addddddddodo"),
    ("get", "/api/v1/certifications", "", "aooooooooooo"),
    ("post", "/api/v1/certifications", "certify", "aodododddodo"),
    ("post", "/api/v1/certifications/bulk", "bulk", "addddodddddd"),
    ("get", "/api/v1/certifications/{id}", "", "aodododododo"),
    ("post", "/api/v1/certifications/{id}/actions", "step", "addddodddddd"),
    ("post", "/api/v1/certifications/{id}/documents", "png", "aodododododo"),
    ("get", "/api/v1/certifications/{id}/documents/{doc}", "", "aodododododo"),
    ("get", "/api/v1/audit", "", "addooooddooo"),
    ("post", "/api/v1/adjustment-lists", "list", "addddddooood"),
    // A list is its uploader's (here the Lishi civil affairs officer) until applied.
    ("get", "/api/v1/adjustment-lists/{id}", "", "addddddodddd"),
    ("post", "/api/v1/adjustment-lists/{id}/apply", "", "addddddodddd"),
    ("get", "/api/v1/adjustment-lists/{id}/errors.xlsx", "", "addddddodddd"),
    // Asked for the fixture's village (see path_for).
    ("get", "/api/v1/ledger", "", "addododddodo"),
    ("get", "/api/v1/ledger/changes", "", "addododddodo"),
    ("post", "/api/v1/ledger/{person}/visits", "visit", "addododddodo"),
    // Reports and targets asked for the fixture's village; every staff role in scope sees them.
    ("get", "/api/v1/reports/{kind}", "", "addododododo"),
    ("get", "/api/v1/targets", "", "addododododo"),
    // Bureau officers in scope and admins set targets (here 滨河街道's).
    ("put", "/api/v1/targets/{area}/{year}", "target", "addddddddodo"),
    ("post", "/api/v1/targets/import", "targets", "addddddddodo"),
    // Township and bureau officers; a Beijing officer is refused by the row's area.
    ("post", "/api/v1/roster/import", "roster", "addddodddodd"),
    ("get", "/api/v1/openapi.json", "", "pppppppppppp"),
];

/// Form arguments of a server-function call.
type Args = &'static [(&'static str, &'static str)];

/// Every server function: its name (the macro's struct), form arguments, classes.
const SERVER_FNS: &[(&str, Args, &str)] = &[
    ("GetShellInfo", &[], "pppppppppppp"),
    ("ListAreas", &[], "pppppppppppp"),
    ("MyAreas", &[], "addooooooooo"),
    ("MyTodo", &[], "addooooooooo"),
    ("PolicyPacks", &[], "pppppppppppp"),
    ("PolicyDrafts", &[], "addddddddooo"),
    ("PolicyDraft", &[("id", "{draft}")], "addddddddodo"),
    ("RequestCode", &[("phone", "13800000099")], "pppppppppppp"),
    (
        "VerifyCode",
        &[("phone", "13800000099"), ("code", "000000")],
        "pppppppppppp",
    ),
    ("PendingSignIn", &[], "pppppppppppp"),
    (
        "StaffSignIn",
        &[("username", "nobody"), ("password", "wrong")],
        "pppppppppppp",
    ),
    // A resident always gets their own household, whatever the argument says.
    ("Coverage", &[("household", "{household}")], "aooododddodo"),
    (
        "RegisterMe",
        &[("name", "陈建国"), ("id_number", ADULT), ("area_code", VILLAGE)],
        "aooddddddddd",
    ),
    (
        "AddHouseholdMember",
        &[
            ("household_id", "{household}"),
            ("name", "陈建国"),
            ("id_number", ADULT),
            ("relationship", "spouse"),
        ],
        "aodododddodo",
    ),
    (
        "EnrolHousehold",
        &[("household_id", "{household}"), ("choices[0]", "{person}:H141102001")],
        "aodododddodo",
    ),
    ("PayHousehold", &[("household_id", "{household}")], "aodododddodo"),
    (
        "CollectCash",
        &[("household_id", "{household}"), ("amount", "350.00")],
        "addododddodo",
    ),
    // The fixture's person is linked to a phone account: in scope answers 409 already_linked.
    (
        "ConfirmMemberPhone",
        &[
            ("household_id", "{household}"),
            ("person_id", "{person}"),
            ("phone", "13900000177"),
        ],
        "addododddodo",
    ),
    ("Receipt", &[("receipt_no", "{receipt}")], "aodododddodo"),
    (
        "ChangeHospitals",
        &[("enrolment_id", "{enrolment}"), ("choices[0]", "H141102003")],
        "aodododddodo",
    ),
    ("SearchPeople", &[("query", "陈")], "addooooddooo"),
    (
        "NewHousehold",
        &[("area_code", VILLAGE), ("name", "陈建国"), ("id_number", ADULT)],
        "addododddodo",
    ),
    ("MyCashToday", &[], "addooooddooo"),
    ("ImportReconciliation", &[("csv", "{csv}")], "addddddddooo"),
    ("PaymentExceptions", &[("all", "true")], "addddddddooo"),
    (
        "SettlePaymentException",
        &[("id", "{exception}"), ("outcome", "refunded"), ("channel", "原路退回")],
        "addddddddodo",
    ),
    (
        "SettleAdjustment",
        &[("id", "{adjustment}"), ("channel", "银行转账")],
        "addddddddodo",
    ),
    ("CertificationQueue", &[], "aooooooooooo"),
    ("CertificationDetail", &[("id", "{cert}")], "aodododododo"),
    (
        "RequestCertification",
        &[("id_number", ADULT), ("category", "minimum_living")],
        "aodododddodo",
    ),
    (
        "CertificationStep",
        &[("id", "{cert}"), ("action", "accept")],
        "addddodddddd",
    ),
    (
        "BulkPreview",
        &[("action", "accept"), ("ids[0]", "{cert}")],
        "addddodddddd",
    ),
    (
        "BulkApply",
        &[("action", "accept"), ("ids[0]", "{cert}")],
        "addddodddddd",
    ),
    ("AuditEntries", &[], "addooooddooo"),
    ("ListReport", &[("id", "{import}")], "addddddodddd"),
    ("LedgerEntries", &[("area", VILLAGE)], "addododddodo"),
    // Each caller's own scope.
    ("LedgerMonth", &[], "addooooddooo"),
    (
        "RecordVisit",
        &[("person_id", "{unenrolled}"), ("outcome", "declined")],
        "addododddodo",
    ),
    ("ApplyList", &[("id", "{import}")], "addddddodddd"),
    // Department and bureau officers, each over their own department and area.
    ("ReviewQueue", &[], "addddddooood"),
    // No note: refused as incomplete (422) once the caller may settle rows at all.
    ("ResolveReview", &[("id", "0")], "addddddooood"),
    ("ReportView", &[("kind", "weekly"), ("area", VILLAGE)], "addododododo"),
    ("TargetList", &[("area", VILLAGE)], "addododododo"),
    (
        "SetTarget",
        &[("area_code", "141102001"), ("year", "2023"), ("count", "22611")],
        "addddddddodo",
    ),
    // Last: it ends each caller's session.
    ("SignOut", &[], "pppppppppppp"),
];

struct Fixture {
    household: i64,
    person: i64,
    enrolment: i64,
    receipt: String,
    cert: i64,
    doc: i64,
    import: i64,
    /// A payment exception of the household (a late payment of 350.00).
    exception: i64,
    /// A refund owed to 陈建国 after a re-pricing.
    adjustment: i64,
    /// 赵德明 (demo seed, 东关社区), on the unenrolled ledger.
    unenrolled: i64,
    /// A policy draft by a second Lishi bureau officer, and its pack as JSON.
    draft: i64,
    draft_pack: Value,
    /// `Authorization` header per actor (None: anonymous).
    auth: Vec<Option<String>>,
}

async fn staff(app: &TestApp, username: &str, role: &str, area: &str, department: Option<&str>) -> String {
    let hash = app::services::auth::hash_password(app::services::seed::DEMO_PASSWORD);
    app::services::auth::store::create(
        &app.state.db,
        &app::services::auth::store::NewAccount {
            role,
            username: Some(username),
            phone: None,
            password_hash: Some(&hash),
            display_name: username,
            area_code: Some(area),
            department,
            person_id: None,
        },
        app.state.clock.now(),
    )
    .await
    .unwrap();
    bearer(app, username).await
}

/// A resident registered in `village`; `Bearer <token>`.
async fn resident(app: &TestApp, phone: &str, name: &str, id: &str, village: &str) -> String {
    let auth = resident_token(app, phone).await;
    let s = &app.state;
    let account = app::services::auth::store::by_phone(&s.db, phone)
        .await
        .unwrap()
        .unwrap();
    let actor = app::services::access::Actor::new(account);
    app::services::enrolment::register_self(s, &actor, name, id, village, "127.0.0.1")
        .await
        .unwrap();
    auth
}

async fn call(app: &TestApp, auth: Option<&str>, method: &str, path: &str, body: impl AsRef<[u8]>) -> (u16, Value) {
    let body = body.as_ref();
    let mut req = match method {
        "get" => app.client.get(app.url(path)),
        "put" => app.client.put(app.url(path)),
        _ => app.client.post(app.url(path)),
    };
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    req = match body.first() {
        None => req,
        Some(b'{' | b'[') => req.header("Content-Type", "application/json").body(body.to_vec()),
        Some(_) => req.body(body.to_vec()),
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn setup(app: &TestApp) -> Fixture {
    let owner = resident(app, "13800000021", "陈建国", ADULT, VILLAGE).await;
    let stranger = resident(app, "13800000022", "刘秀英", OTHER, OTHER_VILLAGE).await;
    let cadre = bearer(app, "cadre_dongguan").await;
    let (status, sub) = call(
        app,
        Some(&owner),
        "post",
        "/api/v1/enrollments",
        json!({"members": [{"id_number": ADULT, "hospitals": [HOSPITAL]}]}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    let household = sub["household_id"].as_i64().unwrap();
    let enrolment = sub["enrollments"][0]["id"].as_i64().unwrap();
    let person = sub["enrollments"][0]["person_id"].as_i64().unwrap();
    let (status, receipt) = call(
        app,
        Some(&cadre),
        "post",
        &format!("/api/v1/households/{household}/cash"),
        r#"{"amount": "350.00"}"#,
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    let (status, cert) = call(
        app,
        Some(&owner),
        "post",
        "/api/v1/certifications",
        r#"{"id_number": "141102198511200036", "category": "minimum_living"}"#,
    )
    .await;
    assert_eq!(status, 201, "{cert}");
    let cert_id = cert["id"].as_i64().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/certifications/{cert_id}/documents?file_name=a.png")))
        .header("Authorization", &owner)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let doc: Value = res.json().await.unwrap();
    let civil = bearer(app, "civil_lishi").await;
    let (status, list) = call(
        app,
        Some(&civil),
        "post",
        "/api/v1/adjustment-lists?file_name=l.csv",
        LIST,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let auth = vec![
        None,
        Some(owner),
        Some(stranger),
        Some(cadre),
        Some(staff(app, "cadre_fengshan", "cadre", OTHER_VILLAGE, None).await),
        Some(bearer(app, "township_binhe").await),
        Some(staff(app, "township_other", "township_officer", "141102002", None).await),
        Some(civil),
        Some(
            staff(
                app,
                "civil_beijing",
                "department_officer",
                "110101",
                Some("civil_affairs"),
            )
            .await,
        ),
        Some(bearer(app, "bureau_lishi").await),
        Some(bearer(app, "bureau_beijing").await),
        Some(bearer(app, "admin").await),
    ];
    let author = staff(app, "bureau_lishi_author", "bureau_officer", "141102", None).await;
    let (status, draft) = call(
        app,
        Some(&author),
        "post",
        "/api/v1/policy-drafts",
        r#"{"from": "lishi-2023"}"#,
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let draft = draft["id"].as_i64().unwrap();
    let (status, detail) = call(app, Some(&author), "get", &format!("/api/v1/policy-drafts/{draft}"), "").await;
    assert_eq!(status, 200, "{detail}");
    let now = app.state.clock.now();
    let exception: i64 = app::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "INSERT INTO payment_exceptions (transaction_id, order_no, household_id, area_code, amount_fen, paid_at,
            reason, received_at, status) VALUES ('SBXLATE', 'CB20221008LATE', $1, $2, 35000, $3, 'order_superseded', $3, 'open')
         RETURNING id")
        .bind(household).bind(VILLAGE).bind(now).fetch_one(p).await)
    .unwrap();
    let adjustment: i64 = app::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "INSERT INTO contribution_adjustments (enrolment_id, person_id, kind, amount_fen, status, created_at)
         VALUES ($1, $2, 'refund', 28000, 'pending', $3) RETURNING id")
        .bind(enrolment).bind(person).bind(now).fetch_one(p).await)
    .unwrap();
    Fixture {
        household,
        person,
        exception,
        adjustment,
        enrolment,
        receipt: receipt["receipt_no"].as_str().unwrap().to_owned(),
        cert: cert_id,
        doc: doc["id"].as_i64().unwrap(),
        import: list["import_id"].as_i64().unwrap(),
        draft,
        draft_pack: detail["pack"].clone(),
        unenrolled: app::with_pool!(&app.state.db, p => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM people WHERE id_number = '141102195208120013'").fetch_one(p).await)
        .unwrap(),
        auth,
    }
}

fn body_for(kind: &str, f: &Fixture) -> Vec<u8> {
    let text = match kind {
        "quote" => json!({"policy": "lishi-2023", "person": {"id_number": ADULT}, "paid_on": "2022-10-08"}).to_string(),
        "session" => json!({"username": "admin", "password": app::services::seed::DEMO_PASSWORD}).to_string(),
        "enrol" => {
            json!({"household_id": f.household, "members": [{"id_number": ADULT, "hospitals": [HOSPITAL]}]}).to_string()
        }
        "cash" => r#"{"amount": "350.00"}"#.to_owned(),
        "settle" => r#"{"outcome": "refunded", "channel": "原路退回", "note": "退回微信零钱"}"#.to_owned(),
        "hospitals" => r#"{"hospitals": ["H141102002"]}"#.to_owned(),
        "csv" => "id_number,insurance_year,amount,paid_at,channel,transaction_id\n".to_owned(),
        "certify" => json!({"id_number": ADULT, "category": "minimum_living"}).to_string(),
        "bulk" => json!({"action": "accept", "ids": [f.cert]}).to_string(),
        "step" => r#"{"action": "accept"}"#.to_owned(),
        "png" => return PNG.to_vec(),
        "list" => LIST.to_owned(),
        "visit" => r#"{"outcome": "declined", "note": "外出务工"}"#.to_owned(),
        "target" => r#"{"count": 22611}"#.to_owned(),
        "targets" => "区划代码,年度,任务数\n141102001,2023,22611\n".to_owned(),
        // Someone the demo already registers there: allowed callers change nothing.
        "roster" => "区划代码,姓名,身份证号码\n141102001001,张秀英,141102195603120021\n".to_owned(),
        "draft" => r#"{"from": "lishi-2023"}"#.to_owned(),
        "draft_put" => json!({"pack": f.draft_pack}).to_string(),
        "review" => r#"{"note": "请补充文号"}"#.to_owned(),
        "pack" => app::services::policies::export_pack(
            app::services::policies::PolicyRegistry::embedded()
                .get("lishi-2023")
                .unwrap(),
        )
        .unwrap(),
        _ => String::new(),
    };
    text.into_bytes()
}

fn path_for(path: &str, f: &Fixture) -> String {
    let id = if path.starts_with("/api/v1/enrollments") {
        f.enrolment.to_string()
    } else if path.starts_with("/api/v1/households") {
        f.household.to_string()
    } else if path.starts_with("/api/v1/certifications") {
        f.cert.to_string()
    } else if path.starts_with("/api/v1/adjustment-lists") {
        f.import.to_string()
    } else if path.starts_with("/api/v1/payment-exceptions") {
        f.exception.to_string()
    } else if path.starts_with("/api/v1/adjustments") {
        f.adjustment.to_string()
    } else if path.starts_with("/api/v1/policy-drafts") {
        f.draft.to_string()
    } else {
        "lishi-2023".to_owned()
    };
    let path = path
        .replace("{code}", "141102001")
        .replace("{id}", &id)
        .replace("{receipt_no}", &f.receipt)
        .replace("{doc}", &f.doc.to_string())
        .replace("{person}", &f.unenrolled.to_string())
        .replace("{kind}", "weekly")
        .replace("{area}", "141102001")
        .replace("{year}", "2023");
    match path.as_str() {
        "/api/v1/hospitals" => "/api/v1/hospitals?policy=lishi-2023".to_owned(),
        "/api/v1/ledger" | "/api/v1/ledger/changes" | "/api/v1/reports/weekly" | "/api/v1/targets" => {
            format!("{path}?area={VILLAGE}")
        }
        p if p.ends_with("/documents") => format!("{p}?file_name=b.png"),
        "/api/v1/policy-drafts/import" => "/api/v1/policy-drafts/import?file_name=lishi-2023.toml".to_owned(),
        _ => path,
    }
}

fn matches(class: char, status: u16) -> bool {
    match class {
        'a' => status == 401,
        'd' => status == 403 || status == 404,
        'o' => (200..400).contains(&status) || status == 409 || status == 422,
        // Public: a wrong password or code may still be 401.
        'p' => status != 403 && status < 500,
        other => panic!("unknown class {other}"),
    }
}

async fn every_endpoint_checks_role_and_area(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = setup(&app).await;
    let mut failures = Vec::new();

    // The table covers exactly the documented endpoints (which a test in openapi.rs
    // checks against the router).
    let documented: std::collections::BTreeSet<(String, String)> = server::openapi::endpoints()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    let tabled: std::collections::BTreeSet<(String, String)> = REST
        .iter()
        .map(|(m, p, _, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, tabled, "every REST endpoint has exactly one row");

    for (method, path, body, classes) in REST {
        assert_eq!(classes.len(), ACTORS.len(), "{method} {path}: one class per actor");
        let url = path_for(path, &f);
        let body = body_for(body, &f);
        for (i, class) in classes.chars().enumerate() {
            let (status, answer) = call(&app, f.auth[i].as_deref(), method, &url, &body).await;
            if !matches(class, status) {
                failures.push(format!(
                    "{method} {url} as {}: want {class}, got {status} {answer}",
                    ACTORS[i]
                ));
            }
            if matches!(class, 'a' | 'd') && OUTSIDERS.contains(&i) {
                if let Some(leak) = leaked(&answer.to_string()) {
                    failures.push(format!("{method} {url} as {}: refused, but names {leak}", ACTORS[i]));
                }
            }
        }
    }

    // Server functions: every registered one has a row (and no row names a missing one).
    let registered: std::collections::BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .collect();
    let mut tabled = std::collections::BTreeSet::new();
    let csv = "id_number,insurance_year,amount,paid_at,channel,transaction_id\n".to_owned();
    for (name, args, classes) in SERVER_FNS {
        assert_eq!(classes.len(), ACTORS.len(), "{name}: one class per actor");
        let path = registered
            .iter()
            .find(|p| {
                p.rsplit('/')
                    .next()
                    .is_some_and(|last| last.starts_with(&to_snake(name)))
            })
            .unwrap_or_else(|| panic!("server function {name} is registered"))
            .clone();
        tabled.insert(path.clone());
        let form: Vec<(String, String)> = args
            .iter()
            .map(|(k, v)| {
                let v = v
                    .replace("{household}", &f.household.to_string())
                    .replace("{enrolment}", &f.enrolment.to_string())
                    .replace("{person}", &f.person.to_string())
                    .replace("{receipt}", &f.receipt)
                    .replace("{cert}", &f.cert.to_string())
                    .replace("{unenrolled}", &f.unenrolled.to_string())
                    .replace("{import}", &f.import.to_string())
                    .replace("{exception}", &f.exception.to_string())
                    .replace("{adjustment}", &f.adjustment.to_string())
                    .replace("{draft}", &f.draft.to_string())
                    .replace("{csv}", &csv);
                ((*k).to_owned(), v)
            })
            .collect();
        for (i, class) in classes.chars().enumerate() {
            let mut req = app
                .client
                .post(app.url(&path))
                .header("Accept", "application/json")
                .form(&form);
            if let Some(auth) = &f.auth[i] {
                let token = auth.trim_start_matches("Bearer ");
                req = req.header("Cookie", format!("{}={token}", app::services::auth::SESSION_COOKIE));
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            if !matches(class, status) {
                failures.push(format!(
                    "server fn {name} as {}: want {class}, got {status} {text}",
                    ACTORS[i]
                ));
            }
            if matches!(class, 'a' | 'd') && OUTSIDERS.contains(&i) {
                if let Some(leak) = leaked(&text) {
                    failures.push(format!("server fn {name} as {}: refused, but names {leak}", ACTORS[i]));
                }
            }
        }
    }
    assert_eq!(registered, tabled, "every server function has exactly one row");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}

/// The fixture owner's name, ID number (whole or masked) and phone (whole or masked): none
/// may appear in an answer that refuses the caller.
const OWNER_MARKS: [&str; 5] = ["陈建国", ADULT, "1411**********0036", "13800000021", "138****0021"];

/// The callers outside the owner's household and area (anonymous, the other household, and
/// staff of another village, township, district or city): a refusal to them must not name
/// the owner. (Callers who may see the owner can be refused a step they have no role in,
/// and that refusal may say whose request it is.)
const OUTSIDERS: [usize; 6] = [0, 2, 4, 6, 8, 10];

fn leaked(body: &str) -> Option<&'static str> {
    OWNER_MARKS.iter().copied().find(|m| body.contains(m))
}

/// Server-rendered pages about the fixture owner, and who may see them (`v`) in the actors'
/// order; everyone else's page must not name the owner (issue 22: a refused answer leaks no
/// name, ID number or phone, and out of scope looks like unknown).
const PAGES: &[(&str, &str)] = &[
    ("/coverage?household={household}", "-v-v-v---v-v"),
    ("/receipt/{receipt}", "-v-v-v---v-v"),
    ("/certifications/{cert}", "-v-v-v-v-v-v"),
    ("/certifications?status=all", "-v-v-v-v-v-v"),
    ("/sandbox/pay/{order}", "-v-v-v---v-v"),
    ("/account", "-v----------"),
    // The payment exceptions queue names the payer to the area's bureau and the admin.
    ("/payment-exceptions?all=1", "---------v-v"),
];

async fn refused_pages_leak_no_name_id_or_phone(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = setup(&app).await;
    let order: String = app::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "SELECT order_no FROM payment_orders WHERE household_id = $1 ORDER BY id LIMIT 1")
        .bind(f.household).fetch_one(p).await)
    .unwrap();
    let mut failures = Vec::new();
    for (page, who) in PAGES {
        assert_eq!(who.len(), ACTORS.len(), "{page}: one mark per actor");
        let url = page
            .replace("{household}", &f.household.to_string())
            .replace("{receipt}", &f.receipt)
            .replace("{cert}", &f.cert.to_string())
            .replace("{order}", &order);
        for (i, may_see) in who.chars().enumerate() {
            let mut req = reqwest::Client::new().get(app.url(&url));
            if let Some(auth) = &f.auth[i] {
                let token = auth.trim_start_matches("Bearer ");
                req = req
                    .header("Cookie", format!("{}={token}", app::services::auth::SESSION_COOKIE))
                    .header("Authorization", auth);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let html = res.text().await.unwrap_or_default();
            assert!(status < 500, "{url} as {}: {status}", ACTORS[i]);
            match (may_see, leaked(&html)) {
                ('v', None) => failures.push(format!("{url} as {}: does not show the owner", ACTORS[i])),
                ('-', Some(leak)) => failures.push(format!("{url} as {}: names {leak}", ACTORS[i])),
                _ => {}
            }
        }
    }
    // The preference switch answers everyone, and only ever redirects within the site.
    for auth in &f.auth {
        let mut req = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url("/prefs"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("elder=1&back=//evil.example");
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/");
    }
    assert!(
        failures.is_empty(),
        "{} leaks:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}

/// `CertificationQueue` → `certification_queue` (the default path ends with the fn name
/// followed by a hash).
fn to_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
