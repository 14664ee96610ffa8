//! Enrolment, payment and reconciliation over HTTP, on SQLite and PostgreSQL.
//! The pinned date (2022-10-08) lies inside Lishi's 2023 collection period.

use crate::common::{
    bearer, count, get, post, resident_token, spawn_app, synthetic_id, Backend, TestApp, ADULT, HOSPITAL, OTHER,
    VILLAGE,
};
use app::services::payments::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::{json, Value};

both_backends! {
    cadre_enrols_a_new_household_and_collects_cash,
    cadre_cannot_reach_people_outside_their_villages,
    idempotency_key_replays_the_answer_and_refuses_another_body,
    concurrent_submissions_create_one_enrolment_and_one_order,
    callbacks_must_be_signed_fresh_and_apply_once,
    sandbox_pay_page_pays_the_order,
    fully_subsidised_members_are_enrolled_at_once,
    reconciliation_file_applies_matches_and_lists_exceptions,
    bad_input_names_the_field_and_writes_nothing,
    residents_register_add_members_and_see_only_their_household,
    the_enrol_form_passes_hospitals_tiers_and_add_ons_through,
    hospitals_change_as_often_as_the_pack_allows_and_are_recorded,
    queued_submissions_and_payments_share_statements,
    queued_reads_answer_each_request,
    an_unpriced_person_is_not_enrolled,
    enrolment_uses_the_facts_a_quote_would,
}

/// New people for the tests (valid GB 11643 numbers in 离石区).
const BABY: &str = "141102202203050012"; // born 2022-03-05
/// Demo seed: 李凤英, 低保 since 2022-03-01, in no household.
const LI_FENGYING: &str = "141102194905060023";
/// Demo seed: 孙玉山, in 凤山底社区 (outside the demo cadre's 东关社区).
const SUN_YUSHAN: &str = "141102194702150037";

fn member(id: &str, name: &str) -> Value {
    json!({"id_number": id, "name": name, "relationship": "parent", "hospitals": [HOSPITAL]})
}

async fn cadre_enrols_a_new_household_and_collects_cash(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let body = json!({
        "area_code": VILLAGE,
        "members": [
            {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]},
            member(LI_FENGYING, "李凤英"),
        ]
    });
    let (status, sub) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["insurance_year"], 2023);
    assert_eq!(sub["policy"], "lishi-2023");
    let e = sub["enrollments"].as_array().unwrap();
    assert_eq!(e.len(), 2);
    // 离政办发〔2022〕34号: 350 yuan; 低保 pays 70 (280 subsidised).
    assert_eq!(e[0]["personal_due"], "350.00");
    assert_eq!(e[0]["status"], "unpaid");
    assert_eq!(e[0]["benefit_start"], "2023-01-01", "start if paid today");
    assert_eq!(e[0]["payment_deadline"], "2022-12-25");
    assert_eq!(e[0]["id_number_masked"], "1411**********0036");
    assert_eq!(e[1]["personal_due"], "70.00");
    assert_eq!(e[1]["applied_category"], "minimum_living");
    assert_eq!(e[1]["hospitals"][0]["name"], "吕梁市人民医院");
    assert_eq!(sub["total_due"], "420.00");
    assert_eq!(sub["order"]["amount"], "420.00");
    let household = sub["household_id"].as_i64().unwrap();

    // Cash must match the amount due exactly.
    let path = format!("/api/v1/households/{household}/cash");
    let (status, err) = post(&app, &cadre, &path, &json!({"amount": "400.00"})).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "amount");
    assert_eq!(err["error"]["message"], "收款金额应等于应缴金额420.00元");
    let (status, receipt) = post(&app, &cadre, &path, &json!({"amount": "420.00"})).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["channel"], "cadre_cash");
    assert_eq!(receipt["amount"], "420.00");
    assert_eq!(receipt["collected_by"], "东关社区协办员 张伟");
    assert_eq!(receipt["lines"].as_array().unwrap().len(), 2);
    // A second collection (double click) takes nothing.
    let (status, _) = post(&app, &cadre, &path, &json!({"amount": "420.00"})).await;
    assert_eq!(status, 409);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);

    let id = e[0]["id"].as_i64().unwrap();
    let (status, got) = get(&app, &cadre, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got["status"], "waiting", "paid in October, covered from 1 January");
    assert_eq!(got["paid"], "350.00");
    assert_eq!(got["paid_on"], "2022-10-08");
    assert_eq!(got["start_rule"], "on_time");
    let no = receipt["receipt_no"].as_str().unwrap();
    let (status, again) = get(&app, &cadre, &format!("/api/v1/receipts/{no}")).await;
    assert_eq!(status, 200);
    assert_eq!(again, receipt);

    // The cadre's hand-over summary for the day, and the audit trail with the cadre's id.
    let account = app::services::auth::store::by_username(&app.state.db, "cadre_dongguan")
        .await
        .unwrap()
        .unwrap();
    let actor = app::services::access::Actor::new(account.clone());
    // Cash is taken, receipted and handed over on the app's date: a demo pinned to
    // 2022-10-08 does not print today's real date beside its banner.
    let day = chrono::NaiveDate::from_ymd_opt(2022, 10, 8).unwrap();
    assert!(no.starts_with("R20221008"), "{no}");
    let paid_at: chrono::DateTime<chrono::Utc> = receipt["paid_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(app::services::clock::shanghai_date(paid_at), day, "{paid_at}");
    let summary = app::services::payments::cash_summary(&app.state, &actor, day)
        .await
        .unwrap();
    assert_eq!(summary.people, 2);
    assert_eq!(summary.total.to_string(), "420.00");
    assert_eq!(summary.receipts.len(), 1);
    let audited = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor_account_id = {} AND action IN ('enrolment_submitted', 'cash_collected')",
            account.id
        ),
    )
    .await;
    assert_eq!(audited, 2);
    app.stop().await;
}

async fn cadre_cannot_reach_people_outside_their_villages(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let body = json!({"members": [member(SUN_YUSHAN, "孙玉山")]});
    let (status, err) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["error"]["code"], "out_of_scope");
    // A new household in another village is refused too.
    let body = json!({"area_code": "141102002001", "members": [member(OTHER, "王丽")]});
    let (status, _) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 0);

    // The township officer above both villages may enrol him; the cadre still cannot read it.
    let township = bearer(&app, "township_binhe").await;
    let (status, _) = post(
        &app,
        &township,
        "/api/v1/enrollments",
        &json!({"members": [member(SUN_YUSHAN, "孙玉山")]}),
    )
    .await;
    // 孙玉山 lives in 凤山街道, outside 滨河街道 as well.
    assert_eq!(status, 403);
    let bureau = bearer(&app, "bureau_lishi").await;
    let (status, sub) = post(
        &app,
        &bureau,
        "/api/v1/enrollments",
        &json!({"members": [member(SUN_YUSHAN, "孙玉山")]}),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    let id = sub["enrollments"][0]["id"].as_i64().unwrap();
    let (status, _) = get(&app, &cadre, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(status, 403);
    let household = sub["household_id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &cadre,
        &format!("/api/v1/households/{household}/cash"),
        &json!({"amount": "350.00"}),
    )
    .await;
    assert_eq!(status, 403);
    // Department officers do not enrol people.
    let civil = bearer(&app, "civil_lishi").await;
    let (status, _) = post(
        &app,
        &civil,
        "/api/v1/enrollments",
        &json!({"members": [member(OTHER, "王丽")]}),
    )
    .await;
    assert_eq!(status, 403);
    app.stop().await;
}

async fn idempotency_key_replays_the_answer_and_refuses_another_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    // Two members: the first answer is built from what was written, the replay reads it
    // back; both must be the same JSON.
    let body = json!({"area_code": VILLAGE, "members": [
        {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]},
        {"id_number": BABY, "name": "陈小宝", "relationship": "child", "hospitals": [HOSPITAL]}
    ]});
    let send = |b: Value| {
        app.client
            .post(app.url("/api/v1/enrollments"))
            .header("Authorization", &cadre)
            .header("Idempotency-Key", "key-1")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let second = send(body.clone()).await.unwrap();
    assert_eq!(second.status(), 201, "the same answer, status included");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    let other =
        json!({"area_code": VILLAGE, "members": [{"id_number": OTHER, "name": "王丽", "hospitals": [HOSPITAL]}]});
    let res = send(other).await.unwrap();
    assert_eq!(res.status(), 409);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "idempotency_key_reused");
    assert_eq!(first["enrollments"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(first["enrollments"][1]["name"], "陈小宝", "{first}");
    assert_eq!(first["order"]["amount"], "700.00", "one order for both: {first}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_orders").await, 1);

    // Without a key, a second submission shows the existing enrolment (200, existing).
    let (status, again) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["enrollments"][0]["existing"], true);
    assert_eq!(again["enrollments"][0]["id"], first["enrollments"][0]["id"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payment_orders").await,
        1,
        "no order when everyone who owes is enrolled already"
    );
    // One enrolled, one new: the order is for the new one only.
    let mixed = json!({"area_code": VILLAGE, "members": [
        {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]},
        {"id_number": OTHER, "name": "王丽", "relationship": "spouse", "hospitals": [HOSPITAL]}
    ]});
    let (_, mixed) = post(&app, &cadre, "/api/v1/enrollments", &mixed).await;
    assert_eq!(mixed["enrollments"][0]["existing"], true, "{mixed}");
    assert_eq!(mixed["enrollments"][1]["existing"], false, "{mixed}");
    assert_eq!(mixed["order"]["amount"], "350.00", "{mixed}");
    assert_eq!(mixed["total_due"], "700.00", "both still owe: {mixed}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_orders").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT MAX(amount_fen) FROM payment_orders WHERE id = (SELECT MAX(id) FROM payment_orders)"
        )
        .await,
        35_000
    );
    app.stop().await;
}

async fn concurrent_submissions_create_one_enrolment_and_one_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    // Put the person in a household first, so every request targets the same one.
    let body =
        json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]}]});
    let (status, _) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 201);
    let household: i64 = count(
        &app,
        &format!("SELECT household_id FROM people WHERE id_number = '{ADULT}'"),
    )
    .await;
    let twice = json!({"household_id": household, "members": [{"id_number": OTHER, "name": "王丽", "relationship": "spouse", "hospitals": [HOSPITAL]}]});
    let mut tasks = Vec::new();
    for _ in 0..8 {
        tasks.push(spawn_post(&app, &cadre, "/api/v1/enrollments", twice.clone()));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().0);
    }
    assert!(statuses.iter().all(|s| [200, 201, 409].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&201), "{statuses:?}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM enrolments e JOIN people p ON p.id = e.person_id WHERE p.id_number = '{OTHER}'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payment_orders").await,
        2,
        "one order per created enrolment set"
    );
    app.stop().await;
}

/// Submits one adult and returns (order_no, amount, enrolment id).
async fn one_order(app: &TestApp, auth: &str, id: &str) -> (String, String, i64) {
    let body = json!({"area_code": VILLAGE, "members": [{"id_number": id, "name": "陈建国", "hospitals": [HOSPITAL]}]});
    let (status, sub) = post(app, auth, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 201, "{sub}");
    (
        sub["order"]["order_no"].as_str().unwrap().to_owned(),
        sub["order"]["amount"].as_str().unwrap().to_owned(),
        sub["enrollments"][0]["id"].as_i64().unwrap(),
    )
}

/// POSTs JSON with an `Authorization` header from a task of its own (concurrent requests):
/// the status and the JSON answer.
fn spawn_post(app: &TestApp, auth: &str, path: &str, body: Value) -> tokio::task::JoinHandle<(u16, Value)> {
    let (client, url, auth) = (app.client.clone(), app.url(path), auth.to_owned());
    tokio::spawn(async move {
        let res = client
            .post(url)
            .header("Authorization", auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    })
}

/// A callback signed by the sandbox provider at `ts`, sent from a task of its own: the
/// status and the JSON answer.
fn spawn_callback(app: &TestApp, ts: &str, body: Vec<u8>) -> tokio::task::JoinHandle<(u16, Value)> {
    let sig = app.state.sandbox_signer.sign(ts, &body);
    let (client, url, ts) = (app.client.clone(), app.url("/api/v1/payments/callback"), ts.to_owned());
    tokio::spawn(async move {
        let res = client
            .post(url)
            .header(TIMESTAMP_HEADER, ts)
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    })
}

fn callback_body(order_no: &str, txn: &str, amount: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "order_no": order_no, "transaction_id": txn, "status": "paid", "amount": amount,
        "paid_at": "2022-10-08T02:00:00Z"
    }))
    .unwrap()
}

async fn send_callback(app: &TestApp, body: &[u8], ts: Option<String>, sig: Option<String>) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/payments/callback"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(ts) = ts {
        req = req.header(TIMESTAMP_HEADER, ts);
    }
    if let Some(sig) = sig {
        req = req.header(SIGNATURE_HEADER, sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn callbacks_must_be_signed_fresh_and_apply_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (order_no, amount, id) = one_order(&app, &cadre, ADULT).await;
    assert_eq!(amount, "350.00");
    let body = callback_body(&order_no, "WX0001", &amount);
    let now = chrono::Utc::now().timestamp().to_string();
    let signer = &app.state.sandbox_signer;

    let (status, err) = send_callback(&app, &body, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "callback_unsigned");
    let forged = signer.sign(&now, b"{\"something\":\"else\"}");
    let (status, err) = send_callback(&app, &body, Some(now.clone()), Some(forged)).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "callback_bad_signature");
    let old = (chrono::Utc::now().timestamp() - 3600).to_string();
    let stale = signer.sign(&old, &body);
    let (status, err) = send_callback(&app, &body, Some(old), Some(stale)).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "callback_stale");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 0, "nothing applied");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'payment_callback_rejected'"
        )
        .await,
        3
    );

    // A wrong amount, correctly signed, is not applied: the money is kept as a payment
    // exception (the provider is told it was received, so it stops re-sending).
    let wrong = callback_body(&order_no, "WX0002", "1.00");
    let (status, v) = send_callback(&app, &wrong, Some(now.clone()), Some(signer.sign(&now, &wrong))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"], "exception");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 0, "not applied");

    // The real one, delivered four times at once and once more later: applied exactly once.
    let sig = signer.sign(&now, &body);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        tasks.push(spawn_callback(&app, &now, body.clone()));
    }
    let mut results = Vec::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        results.push((status, v["result"].as_str().unwrap_or("").to_owned()));
    }
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    assert_eq!(results.iter().filter(|(_, r)| r == "applied").count(), 1, "{results:?}");
    let (status, replay) = send_callback(&app, &body, Some(now.clone()), Some(sig)).await;
    assert_eq!(status, 200);
    assert_eq!(replay["result"], "duplicate");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    // Every callback is on record: the applied one with its payment, the rest after.
    let outcomes = |o: &str| {
        let sql = format!("SELECT COUNT(*) FROM payment_callbacks WHERE outcome = '{o}' AND order_no = '{order_no}'");
        let app = &app;
        async move { count(app, &sql).await }
    };
    assert_eq!(outcomes("applied").await, 1);
    assert_eq!(outcomes("duplicate").await, 4);
    assert_eq!(outcomes("exception").await, 1);
    let (_, got) = get(&app, &cadre, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(got["status"], "waiting");
    assert_eq!(got["paid"], "350.00");
    // Another transaction for the order just paid: not charged twice, kept as an exception
    // for the bureau to refund, with the wrong-amount one.
    let again = callback_body(&order_no, "WX0003", &amount);
    let (status, v) = send_callback(&app, &again, Some(now.clone()), Some(signer.sign(&now, &again))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"], "exception");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_enrolments").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM payment_exceptions WHERE status = 'open' AND reason IN ('amount_mismatch', 'order_closed')"
        )
        .await,
        2
    );
    // The report counters followed the person, the enrolment and the payment.
    let village = |sql: &str| sql.replace("{v}", VILLAGE);
    assert_eq!(
        count(
            &app,
            &village("SELECT CAST(SUM(n) AS BIGINT) FROM report_enrolled WHERE report_area = '{v}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &village("SELECT CAST(SUM(n) AS BIGINT) FROM report_roster WHERE report_area = '{v}'")
        )
        .await,
        count(&app, &village("SELECT COUNT(*) FROM people WHERE report_area = '{v}'")).await
    );
    assert_eq!(
        count(
            &app,
            &village("SELECT COUNT(*) FROM enrolments WHERE report_area = '{v}' AND status = 'paid'")
        )
        .await,
        1
    );
    app.stop().await;
}

/// Presses pay or cancel in the sandbox payment app, as its plain HTML form does, signed in
/// as `auth` (the page serves only the order's household and staff in scope).
async fn sandbox(app: &TestApp, auth: &str, order_no: &str, action: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/sandbox/pay/{order_no}")))
        .header("Authorization", auth)
        .form(&[("action", action)])
        .send()
        .await
        .unwrap()
}

async fn sandbox_html(app: &TestApp, auth: &str, order_no: &str) -> String {
    app.client
        .get(app.url(&format!("/sandbox/pay/{order_no}")))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn sandbox_pay_page_pays_the_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (order_no, _, id) = one_order(&app, &cadre, ADULT).await;
    let html = sandbox_html(&app, &cadre, &order_no).await;
    assert!(html.contains("¥350.00") && html.contains("陈建国"), "{html}");
    assert!(
        html.contains("1411**********0036") && !html.contains(ADULT),
        "ID masked"
    );
    let res = sandbox(&app, &cadre, &order_no, "pay").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/coverage?order={order_no}&result=applied")
    );
    let (_, got) = get(&app, &cadre, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(got["status"], "waiting");
    // Paid orders cannot be paid again.
    let html = sandbox_html(&app, &cadre, &order_no).await;
    assert!(html.contains("已支付") && !html.contains("sandbox-pay"));
    let res = sandbox(&app, &cadre, &order_no, "pay").await;
    assert_eq!(res.status(), 409);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);

    // Cancelling another order closes it without payment.
    let (order2, _, _) = one_order(&app, &cadre, OTHER).await;
    let res = sandbox(&app, &cadre, &order2, "cancel").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM payment_orders WHERE order_no = '{order2}' AND status = 'cancelled'")
        )
        .await,
        1
    );
    app.stop().await;
}

async fn fully_subsidised_members_are_enrolled_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    // 特困 (extreme poverty) is fully subsidised in Lishi (离政办发〔2022〕34号 三、(一)).
    let id = domain::IdNumber::parse(OTHER).unwrap();
    let person = app::services::enrolment::store::NewPerson {
        id_number: &id,
        name: "王丽",
        phone: None,
        area_code: Some(VILLAGE),
        hukou_local: true,
    };
    let now = app.state.clock.now();
    let pid = app::services::enrolment::store::upsert(&app.state.db, &person, now)
        .await
        .unwrap();
    let since = chrono::NaiveDate::from_ymd_opt(2022, 5, 1).unwrap();
    app::services::enrolment::store::insert_flagged_certification(
        &app.state.db,
        pid,
        "extreme_poverty",
        "civil_affairs",
        since,
        now,
    )
    .await
    .unwrap();
    let (status, sub) = post(
        &app,
        &cadre,
        "/api/v1/enrollments",
        &json!({"area_code": VILLAGE, "members": [member(OTHER, "王丽")]}),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["total_due"], "0.00");
    assert!(sub["order"].is_null(), "nothing to pay, no order");
    let e = &sub["enrollments"][0];
    assert_eq!(e["personal_due"], "0.00");
    assert_eq!(e["status"], "waiting");
    assert_eq!(e["paid_on"], "2022-10-08");
    assert_eq!(e["benefit_start"], "2023-01-01");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 0);
    app.stop().await;
}

async fn reconciliation_file_applies_matches_and_lists_exceptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (_, _, adult_id) = one_order(&app, &cadre, ADULT).await;
    let household: i64 = count(
        &app,
        &format!("SELECT household_id FROM people WHERE id_number = '{ADULT}'"),
    )
    .await;
    let (status, _) = post(
        &app,
        &cadre,
        "/api/v1/enrollments",
        &json!({"household_id": household, "members": [member(OTHER, "王丽")]}),
    )
    .await;
    assert_eq!(status, 201);
    let csv = format!(
        "id_number,insurance_year,amount,paid_at,channel,transaction_id\n\
         {ADULT},2023,350.00,2022-10-08 09:30:00,tax_bureau,TAX001\n\
         {OTHER},2023,300.00,2022-10-08 09:31:00,tax_bureau,TAX002\n\
         110101199003070011,2023,350.00,2022-10-08,tax_bureau,TAX003\n\
         {ADULT},2023,350.00,2022-10-08,tax_bureau,TAX001\n"
    );
    let send = |auth: String, text: String| {
        app.client
            .post(app.url("/api/v1/payments/reconciliation?file_name=tax-20221008.csv"))
            .header("Authorization", auth)
            .header("content-type", "text/csv")
            .body(text)
            .send()
    };
    let res = send(cadre.clone(), csv.clone()).await.unwrap();
    assert_eq!(res.status(), 403, "cadres do not import files");
    let bureau = bearer(&app, "bureau_lishi").await;
    let res = send(bureau.clone(), csv.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["rows_total"], 4);
    assert_eq!(report["applied"], 1);
    assert_eq!(report["duplicates"], 1, "TAX001 twice in the file");
    let ex = report["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["line"], 3);
    assert_eq!(ex[0]["reason"], "amount_mismatch");
    assert_eq!(ex[0]["message"], "金额300.00元与应缴350.00元不一致");
    assert_eq!(ex[1]["reason"], "unknown_person");
    let (_, got) = get(&app, &cadre, &format!("/api/v1/enrollments/{adult_id}")).await;
    assert_eq!(got["status"], "waiting");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM payments WHERE channel = 'tax_reconciliation'"
        )
        .await,
        1
    );

    // The same file again changes nothing.
    let res = send(bureau.clone(), csv).await.unwrap();
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["applied"], 0);
    assert_eq!(again["duplicates"], 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reconciliation_exceptions").await, 4);

    // A file in the wrong layout is refused whole.
    let res = send(bureau, "name,amount\n张三,350\n".into()).await.unwrap();
    assert_eq!(res.status(), 422);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["field"], "file");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reconciliation_imports").await, 2);
    app.stop().await;
}

async fn bad_input_names_the_field_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let people_before = count(&app, "SELECT COUNT(*) FROM people").await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"area_code": VILLAGE, "members": []}),
            422,
            "members",
            "members_required",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": "141102198511200037", "name": "陈建国", "hospitals": [HOSPITAL]}]}),
            422,
            "members[0].id_number",
            "id_number_check_character_mismatch",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "hospitals": [HOSPITAL]}]}),
            422,
            "members[0].name",
            "name_required",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国"}]}),
            422,
            "members[0].hospitals",
            "hospital_required",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": ["H110101001"]}]}),
            422,
            "members[0].hospitals",
            "hospital_unknown",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": ["H141102001", "H141102002"]}]}),
            422,
            "members[0].hospitals",
            "too_many_hospitals",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "tier": "high", "hospitals": [HOSPITAL]}]}),
            422,
            "members[0].tier",
            "tier_not_offered",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]}, {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]}]}),
            422,
            "members[1].id_number",
            "duplicate_member",
        ),
        (
            json!({"area_code": "141102001", "members": [member(ADULT, "陈建国")]}),
            422,
            "area_code",
            "area_not_village",
        ),
        (
            json!({"members": [member(ADULT, "陈建国")]}),
            422,
            "area_code",
            "area_required",
        ),
        (
            json!({"area_code": VILLAGE, "policy": "beijing-2020", "members": [member(ADULT, "陈建国")]}),
            422,
            "policy",
            "policy_not_for_area",
        ),
        (
            json!({"area_code": VILLAGE, "members": [{"id_number": LI_FENGYING, "name": "李芳", "hospitals": [HOSPITAL]}]}),
            422,
            "members[0].name",
            "name_mismatch",
        ),
        (json!({"members": "nope"}), 422, "members", "invalid_field"),
    ];
    for (body, status, field, code) in cases {
        let (got, err) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
        assert_eq!(got, status, "{body} → {err}");
        assert_eq!(err["error"]["field"], field, "{body} → {err}");
        assert_eq!(err["error"]["code"], code, "{body} → {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese message: {message}"
        );
    }
    let res = app
        .client
        .post(app.url("/api/v1/enrollments"))
        .header("Authorization", &cadre)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .post(app.url("/api/v1/enrollments"))
        .json(&json!({"members": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "not signed in");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM households WHERE id > 3").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, people_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_orders").await, 0);
    app.stop().await;
}

/// A resident signs in with a code and gets a bearer-equivalent session token.
async fn residents_register_add_members_and_see_only_their_household(backend: Backend) {
    let app = spawn_app(backend).await;
    let s = &app.state;
    let auth = resident_token(&app, "13900000002").await;
    let account = app::services::auth::store::by_phone(&s.db, "13900000002")
        .await
        .unwrap()
        .unwrap();
    let actor = app::services::access::Actor::new(account);
    // Before registering there is no household to enrol.
    let (status, err) = post(
        &app,
        &auth,
        "/api/v1/enrollments",
        &json!({"members": [member(ADULT, "陈建国")]}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "register_first");

    use app::services::enrolment::{add_member, register_self};
    let e = register_self(s, &actor, "陈建国", "141102198511200037", VILLAGE, "ip")
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("id_number"));
    assert_eq!(e.code(), "id_number_check_character_mismatch");
    register_self(s, &actor, "陈建国", ADULT, VILLAGE, "ip").await.unwrap();
    let account = app::services::auth::store::by_phone(&s.db, "13900000002")
        .await
        .unwrap()
        .unwrap();
    let actor = app::services::access::Actor::new(account);
    let household = app::services::enrolment::own_household(s, &actor)
        .await
        .unwrap()
        .unwrap();
    add_member(s, &actor, household.id, "陈小宝", BABY, "child", false, "ip")
        .await
        .unwrap();
    add_member(s, &actor, household.id, "李凤英", LI_FENGYING, "parent", false, "ip")
        .await
        .unwrap();
    // 赵德明 already has a household of his own.
    let e = add_member(
        s,
        &actor,
        household.id,
        "赵德明",
        "141102195208120013",
        "parent",
        false,
        "ip",
    )
    .await
    .unwrap_err();
    // A resident is told the same for every refusal, naming no one (issue 22).
    assert_eq!(e.code(), "cannot_add_person");
    assert_eq!(e.status(), 409);
    assert!(!e.to_string().contains("赵德明"));

    let members = json!({"members": [
        {"id_number": ADULT, "hospitals": [HOSPITAL]},
        {"id_number": BABY, "hospitals": [HOSPITAL]},
        {"id_number": LI_FENGYING, "hospitals": ["H141102002"]},
    ]});
    let (status, sub) = post(&app, &auth, "/api/v1/enrollments", &members).await;
    assert_eq!(status, 201, "{sub}");
    let dues: Vec<&str> = sub["enrollments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["personal_due"].as_str().unwrap())
        .collect();
    assert_eq!(dues, ["350.00", "350.00", "70.00"]);
    assert_eq!(sub["total_due"], "770.00");

    // Another resident sees none of it.
    let stranger = resident_token(&app, "13900000003").await;
    let id = sub["enrollments"][0]["id"].as_i64().unwrap();
    let (status, _) = get(&app, &stranger, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, &auth, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(status, 200);
    // Residents cannot record cash for themselves.
    let hh = sub["household_id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &auth,
        &format!("/api/v1/households/{hh}/cash"),
        &json!({"amount": "770.00"}),
    )
    .await;
    assert_eq!(status, 403);
    app.stop().await;
}

/// The 我的参保 form posts `choices[i]`, `tiers[i]` and `add_ons[i]` as "<person id>:<value>";
/// the server function maps them onto members and the engine judges them.
async fn the_enrol_form_passes_hospitals_tiers_and_add_ons_through(backend: Backend) {
    use app::api::coverage::{EnrolHousehold, RegisterMe};
    use app::api::{RequestCode, VerifyCode};
    use leptos::server_fn::ServerFn;
    let app = spawn_app(backend).await;
    let phone = "13900000005";
    assert_eq!(
        app.server_fn(RequestCode::PATH, &[("phone", phone)]).await.status(),
        200
    );
    let code = app::services::auth::demo_code(&app.state, phone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", &code)])
            .await
            .status(),
        200
    );
    let res = app
        .server_fn(
            RegisterMe::PATH,
            &[("name", "陈建国"), ("id_number", ADULT), ("area_code", VILLAGE)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let pid = count(&app, &format!("SELECT id FROM people WHERE id_number = '{ADULT}'")).await;
    let hid = count(
        &app,
        &format!("SELECT household_id FROM people WHERE id_number = '{ADULT}'"),
    )
    .await;
    let (h, choice) = (hid.to_string(), format!("{pid}:{HOSPITAL}"));

    // Lishi offers no add-on: the engine refuses it, naming the member's field; nothing is written.
    let add_on = format!("{pid}:commercial_supplement");
    let res = app
        .server_fn(
            EnrolHousehold::PATH,
            &[("household_id", &h), ("choices[0]", &choice), ("add_ons[0]", &add_on)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "members[0].add_ons[0]");
    assert_eq!(body["Invalid"]["code"], "add_on_unknown");
    // Lishi has one tier: asking for "high" is refused the same way.
    let tier = format!("{pid}:high");
    let res = app
        .server_fn(
            EnrolHousehold::PATH,
            &[("household_id", &h), ("choices[0]", &choice), ("tiers[0]", &tier)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "members[0].tier");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 0);

    // "Enrol this member?" is its own question: ticked without a hospital is refused by name;
    // unticked, a chosen hospital does not enrol anyone.
    let none = format!("{pid}:");
    let tick = format!("{pid}:enrol:on");
    let pid_s = pid.to_string();
    for (form, field) in [
        (
            vec![
                ("household_id", h.as_str()),
                ("facts[4]", "0:enrol:asked"),
                ("facts[3]", tick.as_str()),
                ("choices[0]", none.as_str()),
            ],
            "hospitals",
        ),
        (
            vec![
                ("household_id", h.as_str()),
                ("facts[4]", "0:enrol:asked"),
                ("choices[0]", choice.as_str()),
            ],
            "members",
        ),
    ] {
        let res = app.server_fn(EnrolHousehold::PATH, &form).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        if field == "hospitals" {
            assert_eq!(body["Invalid"]["zh"], "请为陈建国选择定点医疗机构");
        }
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 0);

    // The form's facts reach the engine with their field: a bad date, then a good one, which
    // is kept with the enrolment (issue 23 §4); the work answer goes through too.
    let work = format!("{pid}:work:migrant_worker");
    let res = app
        .server_fn(
            EnrolHousehold::PATH,
            &[
                ("household_id", &h),
                ("choices[0]", &choice),
                ("ended_pid[0]", &pid_s),
                ("ended[0]", "2022-13-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "members[0].employee_insurance_ended_on");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 0);

    let res = app
        .server_fn(
            EnrolHousehold::PATH,
            &[
                ("household_id", &h),
                ("facts[4]", "0:enrol:asked"),
                ("facts[3]", &tick),
                ("choices[0]", &choice),
                ("ended_pid[0]", &pid_s),
                ("ended[0]", "2022-09-20"),
                ("facts[1]", &work),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // The page says what was submitted, at its top.
    assert_eq!(res.headers()["location"], "/coverage?submitted=1");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM enrolments WHERE quote_request LIKE '%2022-09-20%' AND quote_request LIKE '%migrant_worker%'"
        )
        .await,
        1
    );
    app.stop().await;
}

async fn put(app: &TestApp, auth: &str, path: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .put(app.url(path))
        .header("Authorization", auth)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Issue 4: "a change later in the year follows the pack's rule (e.g. once a year) and is
/// recorded". Lishi's pack: one institution, one change a year (both marked as assumptions).
async fn hospitals_change_as_often_as_the_pack_allows_and_are_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let body = json!({"area_code": VILLAGE, "members": [
        {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]},
        {"id_number": OTHER, "name": "刘秀英", "relationship": "spouse", "hospitals": [HOSPITAL]},
    ]});
    let (status, sub) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 201, "{sub}");
    let e = &sub["enrollments"][0];
    assert_eq!(e["hospital_changes_left"], 1);
    assert_eq!(
        e["hospitals"][0]["area_name"], "滨河街道",
        "the township, for the filter"
    );
    let id = e["id"].as_i64().unwrap();
    let path = format!("/api/v1/enrollments/{id}/hospitals");

    // Every refusal names the field and writes nothing.
    for (hospitals, code) in [
        (json!(["H999"]), "hospital_unknown"),
        (json!([HOSPITAL]), "hospital_unchanged"),
        (json!([]), "hospital_required"),
        (json!(["H141102002", "H141102003"]), "too_many_hospitals"),
    ] {
        let (status, err) = put(&app, &cadre, &path, &json!({ "hospitals": hospitals })).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["field"], "hospitals");
        assert_eq!(err["error"]["code"], code);
    }
    let (status, err) = put(&app, &cadre, &path, &json!({"hospital": "H141102002"})).await;
    assert_eq!(status, 422, "missing field: {err}");
    assert_eq!(err["error"]["field"], "hospitals");
    let res = app
        .client
        .put(app.url(&path))
        .header("Authorization", &cadre)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "malformed JSON");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM hospital_choices WHERE previous_codes IS NOT NULL"
        )
        .await,
        0
    );

    let (status, changed) = put(&app, &cadre, &path, &json!({"hospitals": ["H141102002"]})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["hospitals"][0]["code"], "H141102002");
    assert_eq!(changed["hospitals"].as_array().unwrap().len(), 1);
    assert_eq!(changed["hospital_changes_left"], 0);
    let previous: String = app::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "SELECT previous_codes FROM hospital_choices WHERE enrolment_id = $1 AND previous_codes IS NOT NULL")
        .bind(id).fetch_one(p).await)
    .unwrap();
    assert_eq!(previous, HOSPITAL);
    // Audited in the household's village, where the bureau's officers over it look.
    let audited = count(
        &app,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'hospital_changed' AND area_code = '{VILLAGE}'"),
    )
    .await;
    assert_eq!(audited, 1);

    // The year's one change is used: the next is refused and the choice stays.
    let (status, err) = put(&app, &cadre, &path, &json!({"hospitals": ["H141102003"]})).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "hospital_change_limit");
    assert_eq!(
        err["error"]["message"],
        "本年度更换定点医疗机构的次数已用完（每年可更换1次）"
    );
    let (_, got) = get(&app, &cadre, &format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(got["hospitals"][0]["code"], "H141102002");

    // Two changes at once for the other member: exactly one is taken.
    let other = sub["enrollments"][1]["id"].as_i64().unwrap();
    let path = format!("/api/v1/enrollments/{other}/hospitals");
    let (to_2, to_3) = (
        json!({"hospitals": ["H141102002"]}),
        json!({"hospitals": ["H141102003"]}),
    );
    let (a, b) = tokio::join!(put(&app, &cadre, &path, &to_2), put(&app, &cadre, &path, &to_3));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 422], "{a:?} {b:?}");
    let changes = count(
        &app,
        &format!("SELECT COUNT(*) FROM hospital_choices WHERE enrolment_id = {other} AND previous_codes IS NOT NULL"),
    )
    .await;
    assert_eq!(changes, 1);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM enrolment_hospitals WHERE enrolment_id = {other}")
        )
        .await,
        1
    );
    app.stop().await;
}

/// Takes a lock that the writers' statements wait for (PostgreSQL; nothing on SQLite).
async fn hold_lock(app: &TestApp, table: &str) -> Option<sqlx::Transaction<'static, sqlx::Postgres>> {
    hold_lock_in(app, table, "SHARE").await
}

/// Takes a lock of `mode` on `table` (PostgreSQL; nothing on SQLite): ACCESS EXCLUSIVE
/// holds readers too.
async fn hold_lock_in(app: &TestApp, table: &str, mode: &str) -> Option<sqlx::Transaction<'static, sqlx::Postgres>> {
    let app::store::Db::Postgres(pool) = &app.state.db else {
        return None;
    };
    let mut tx = pool.begin().await.unwrap();
    let sql = format!("LOCK TABLE {table} IN {mode} MODE");
    sqlx::query(&sql).execute(&mut *tx).await.unwrap();
    Some(tx)
}

/// Waits until `n` statements of this database wait for a lock.
async fn lock_waiters(app: &TestApp, n: i64) {
    let sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..500 {
        if count(app, sql).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{n} statements never waited for the lock");
}

/// Waits until `n` jobs have been handed to a writer.
async fn queued(submitted: impl Fn() -> u64, n: u64) {
    for _ in 0..500 {
        if submitted() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{n} jobs never reached the writers");
}

/// On PostgreSQL, requests that arrive while the writers are busy share one statement
/// (`services/batch.rs`). The writer's first statement is held on a lock while the rest
/// queue; a batch holding one submission whose person someone else stored meanwhile, or a
/// payment for an order already paid, fails as a whole and is written one job at a time, so
/// every request gets its own answer. On SQLite the same requests run concurrently, each in
/// its own transaction: the answers and the rows must be the same.
async fn queued_submissions_and_payments_share_statements(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let writes = app.state.batches.clone();
    let ids: Vec<String> = (0..12).map(synthetic_id).collect();
    let submit = |id: String| {
        let body =
            json!({"area_code": VILLAGE, "members": [{"id_number": id, "name": "陈建国", "hospitals": [HOSPITAL]}]});
        spawn_post(&app, &cadre, "/api/v1/enrollments", body)
    };

    let lock = hold_lock(&app, "households").await;
    let mut tasks = Vec::new();
    let mut conflicted = None;
    if let Some(tx) = lock {
        tasks.push(submit(ids[0].clone()));
        lock_waiters(&app, 1).await;
        tasks.extend(ids[1..].iter().cloned().map(submit));
        let writer = writes.new_people.as_ref().unwrap();
        queued(|| writer.submitted(), 12).await;
        // Someone else stores one of the queued people first.
        let sql = format!(
            "INSERT INTO people (id_number, name, birth_date, sex, area_code, created_at)
             VALUES ('{}', '王某', '1950-06-06', 'male', '{VILLAGE}', CURRENT_TIMESTAMP)",
            ids[6]
        );
        app::with_pool!(&app.state.db, p => sqlx::query(&sql).execute(p).await.map(|_| ())).unwrap();
        conflicted = Some(6);
        tx.commit().await.unwrap();
    } else {
        tasks.extend(ids.iter().cloned().map(submit));
    }
    let mut orders = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let (status, sub) = t.await.unwrap();
        if Some(i) == conflicted {
            assert_eq!(status, 409, "{sub}");
            assert_eq!(sub["error"]["code"], "concurrent_change");
            continue;
        }
        assert_eq!(status, 201, "{sub}");
        // The answer names exactly the rows stored for this person.
        let (e, order_no) = (&sub["enrollments"][0], sub["order"]["order_no"].as_str().unwrap());
        let sql = format!(
            "SELECT COUNT(*) FROM enrolments e JOIN people p ON p.id = e.person_id
             JOIN households h ON h.id = e.household_id AND h.head_person_id = p.id AND p.household_id = h.id
             JOIN payment_orders o ON o.id = e.order_id AND o.household_id = h.id
             WHERE e.id = {} AND h.id = {} AND p.id_number = '{}' AND o.order_no = '{order_no}'
               AND o.amount_fen = 35000 AND e.due_fen = 35000 AND e.status = 'unpaid'",
            e["id"], sub["household_id"], ids[i]
        );
        assert_eq!(count(&app, &sql).await, 1, "submission {i}: {sub}");
        orders.push((order_no.to_owned(), e["id"].as_i64().unwrap()));
    }
    let n = orders.len() as i64;
    assert_eq!(n, if conflicted.is_some() { 11 } else { 12 });
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, n);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_orders").await, n);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'enrolment_submitted'";
    assert_eq!(count(&app, audited).await, n);
    if let Some(writer) = &writes.new_people {
        let (batches, jobs) = writer.taken();
        assert_eq!(jobs, 12);
        assert!(
            batches <= 4,
            "the held statement, then the queue in one or a few: {batches}"
        );
    }

    // Payments: the same with callbacks, and two more while the first is held: a replay of
    // the first (same transaction) and another transaction for the second order.
    let now = chrono::Utc::now().timestamp().to_string();
    let callback = |order_no: &str, txn: String| spawn_callback(&app, &now, callback_body(order_no, &txn, "350.00"));
    let txn = |i: usize| format!("WXB{i:04}");
    let lock = hold_lock(&app, "payment_orders").await;
    let mut calls = vec![callback(&orders[0].0, txn(0))];
    if lock.is_some() {
        lock_waiters(&app, 1).await;
    }
    calls.extend((1..orders.len()).map(|i| callback(&orders[i].0, txn(i))));
    calls.push(callback(&orders[0].0, txn(0)));
    calls.push(callback(&orders[1].0, "WXB-OTHER".into()));
    if let Some(tx) = lock {
        let writer = writes.payments.as_ref().unwrap();
        queued(|| writer.submitted(), orders.len() as u64 + 2).await;
        tx.commit().await.unwrap();
    }
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.unwrap());
    }
    let (other, replayed) = (answers.pop().unwrap(), answers.pop().unwrap());
    let (first, second) = (answers[0].clone(), answers[1].clone());
    for (i, (status, a)) in answers.iter().enumerate().skip(2) {
        assert_eq!(
            (*status, a["result"].as_str()),
            (200, Some("applied")),
            "callback {i}: {a}"
        );
    }
    // The replay and the first: one applied, one duplicate, with the same receipt.
    let mut pair = [
        first.1["result"].as_str().unwrap_or("?"),
        replayed.1["result"].as_str().unwrap_or("?"),
    ];
    pair.sort();
    assert_eq!(pair, ["applied", "duplicate"], "{first:?} {replayed:?}");
    assert_eq!(first.1["receipt_no"], replayed.1["receipt_no"]);
    // The second order: one transaction applied, the other kept as a payment exception
    // (money the provider took is never refused and forgotten), nothing else written.
    let mut pair = [
        second.1["result"].as_str().unwrap_or("?"),
        other.1["result"].as_str().unwrap_or("?"),
    ];
    pair.sort();
    assert_eq!(pair, ["applied", "exception"], "{second:?} {other:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_exceptions").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, n);
    let linked = "SELECT COUNT(*) FROM enrolments e JOIN payment_enrolments l ON l.enrolment_id = e.id
        JOIN payments p ON p.id = l.payment_id AND p.order_id = e.order_id AND p.amount_fen = l.amount_fen
        JOIN payment_orders o ON o.id = e.order_id AND o.status = 'paid'
        WHERE e.status = 'paid' AND e.paid_on = '2022-10-08' AND e.benefit_start = '2023-01-01'";
    assert_eq!(count(&app, linked).await, n);
    let applied = "SELECT COUNT(*) FROM payment_callbacks WHERE outcome = 'applied'";
    assert_eq!(count(&app, applied).await, n);
    let counted = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_enrolled WHERE insurance_year = 2023";
    assert_eq!(
        count(&app, counted).await,
        n,
        "the report counters followed every payment"
    );
    if let Some(writer) = &writes.payments {
        let (batches, jobs) = writer.taken();
        assert_eq!(jobs, n as u64 + 2);
        assert!(
            batches <= 4,
            "the held statement, then the queue in one or a few: {batches}"
        );
    }
    app.stop().await;
}

/// On PostgreSQL the point reads of an enrolment with payment are shared statements too
/// (`services/batch.rs`): the session of every signed-in request, the people a submission
/// names, the order a callback names. Each is held on a lock while more requests queue
/// behind it, and every request must still get the answer it would have had alone: an
/// expired session, a deactivated account and an unknown token sign in nobody beside valid
/// sessions of two roles; a name that does not match a stored person is refused beside new
/// people; an unknown order and a wrong amount are refused beside orders paid. On SQLite
/// (no batching) the same requests must answer the same.
async fn queued_reads_answer_each_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let batches = app.state.batches.clone();
    let exec = |sql: String| {
        let db = app.state.db.clone();
        async move { app::with_pool!(&db, p => sqlx::query(&sql).execute(p).await.map(|_| ())).unwrap() }
    };

    // Sessions: GET /audit answers 200 to the admin, 403 to department officers, 401 to
    // anyone not signed in.
    let admin = bearer(&app, "admin").await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let dept = bearer(&app, "rural_lishi").await;
    let expired = bearer(&app, "bureau_lishi").await;
    let inactive = bearer(&app, "civil_lishi").await;
    let past = app.state.clock.now() - chrono::Duration::hours(1);
    app::with_pool!(&app.state.db, p => sqlx::query(
        "UPDATE sessions SET expires_at = $1 WHERE account_id = (SELECT id FROM accounts WHERE username = 'bureau_lishi')")
        .bind(past).execute(p).await.map(|_| ())).unwrap();
    exec("UPDATE accounts SET active = FALSE WHERE username = 'civil_lishi'".into()).await;
    let audit = |auth: String| {
        let (client, url) = (app.client.clone(), app.url("/api/v1/audit"));
        tokio::spawn(async move {
            let res = client.get(url).header("Authorization", auth).send().await.unwrap();
            res.status().as_u16()
        })
    };
    let cases = [
        (admin.clone(), 200),
        (dept.clone(), 403),
        (expired, 401),
        (inactive, 401),
        ("Bearer not-a-token".to_owned(), 401),
        (admin, 200),
        (dept, 403),
    ];
    let lock = hold_lock_in(&app, "sessions", "ACCESS EXCLUSIVE").await;
    let mut calls = vec![audit(cases[0].0.clone())];
    if lock.is_some() {
        lock_waiters(&app, 1).await;
    }
    calls.extend(cases[1..].iter().map(|(auth, _)| audit(auth.clone())));
    if let (Some(tx), Some(reader)) = (lock, &batches.sessions) {
        queued(|| reader.submitted(), cases.len() as u64).await;
        tx.commit().await.unwrap();
    }
    for (i, (call, (_, want))) in calls.into_iter().zip(&cases).enumerate() {
        assert_eq!(call.await.unwrap(), *want, "session {i}");
    }
    if let Some(reader) = &batches.sessions {
        let (batches, jobs) = reader.taken();
        assert_eq!(jobs, cases.len() as u64);
        assert!(batches <= 3, "the held read, then the queue in one or a few: {batches}");
    }

    // People: new people enrol; a stored person named wrongly is refused, field and all.
    let submit = |id: &str, name: &str| {
        let body = json!({"area_code": VILLAGE, "members": [{"id_number": id, "name": name, "hospitals": [HOSPITAL]}]});
        spawn_post(&app, &cadre, "/api/v1/enrollments", body)
    };
    let extra = synthetic_id(40);
    let people = [
        (ADULT, "陈建国"),
        (LI_FENGYING, "李芳"),
        (OTHER, "王秀英"),
        (extra.as_str(), "赵小红"),
    ];
    let lock = hold_lock_in(&app, "people", "ACCESS EXCLUSIVE").await;
    let mut calls = vec![submit(people[0].0, people[0].1)];
    if lock.is_some() {
        lock_waiters(&app, 1).await;
    }
    calls.extend(people[1..].iter().map(|(id, name)| submit(id, name)));
    if let (Some(tx), Some(reader)) = (lock, &batches.people) {
        queued(|| reader.submitted(), people.len() as u64).await;
        tx.commit().await.unwrap();
    }
    let mut answers = Vec::new();
    for c in calls {
        answers.push(c.await.unwrap());
    }
    let (status, refused) = &answers[1];
    assert_eq!(*status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "name_mismatch");
    assert_eq!(refused["error"]["field"], "members[0].name");
    let mut orders = Vec::new();
    for (i, (status, sub)) in answers.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert_eq!(*status, 201, "submission {i}: {sub}");
        let sql = format!(
            "SELECT COUNT(*) FROM enrolments e JOIN people p ON p.id = e.person_id
             WHERE e.id = {} AND p.id_number = '{}' AND p.name = '{}'",
            sub["enrollments"][0]["id"], people[i].0, people[i].1
        );
        assert_eq!(count(&app, &sql).await, 1, "submission {i}: {sub}");
        orders.push(sub["order"]["order_no"].as_str().unwrap().to_owned());
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM enrolments").await, 3);
    if let Some(reader) = &batches.people {
        let (batches, jobs) = reader.taken();
        assert_eq!(jobs, people.len() as u64);
        assert!(batches <= 3, "the held read, then the queue in one or a few: {batches}");
    }

    // Orders: two paid, an unknown order refused, a wrong amount kept as an exception.
    let now = chrono::Utc::now().timestamp().to_string();
    let callback =
        |order_no: &str, txn: &str, amount: &str| spawn_callback(&app, &now, callback_body(order_no, txn, amount));
    let calls_for = [
        (orders[0].as_str(), "WXR0", "350.00", 200, "applied"),
        ("CB-NO-SUCH-ORDER", "WXR1", "350.00", 404, "order_not_found"),
        (orders[1].as_str(), "WXR2", "349.00", 200, "exception"),
        (orders[2].as_str(), "WXR3", "350.00", 200, "applied"),
    ];
    let lock = hold_lock_in(&app, "payment_orders", "ACCESS EXCLUSIVE").await;
    let (o, t, a, _, _) = calls_for[0];
    let mut calls = vec![callback(o, t, a)];
    if lock.is_some() {
        lock_waiters(&app, 1).await;
    }
    calls.extend(calls_for[1..].iter().map(|(o, t, a, _, _)| callback(o, t, a)));
    if let (Some(tx), Some(reader)) = (lock, &batches.orders) {
        queued(|| reader.submitted(), calls_for.len() as u64).await;
        tx.commit().await.unwrap();
    }
    for (call, (order_no, _, _, status, outcome)) in calls.into_iter().zip(&calls_for) {
        let (got, answer) = call.await.unwrap();
        assert_eq!(got, *status, "{order_no}: {answer}");
        let said = answer["result"].as_str().or(answer["error"]["code"].as_str());
        assert_eq!(said, Some(*outcome), "{order_no}: {answer}");
    }
    let paid = format!(
        "SELECT COUNT(*) FROM payment_orders WHERE status = 'paid' AND order_no IN ('{}', '{}')",
        orders[0], orders[2]
    );
    assert_eq!(count(&app, &paid).await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 2);
    if let Some(reader) = &batches.orders {
        let (batches, jobs) = reader.taken();
        assert_eq!(jobs, calls_for.len() as u64);
        assert!(batches <= 3, "the held read, then the queue in one or a few: {batches}");
    }
    app.stop().await;
}

/// Issue 23 §1: 京医保发〔2020〕23号 sets no contribution, so a Beijing resident outside the
/// 免缴人员 cannot be enrolled at a guessed amount: refused with a clear message on the
/// member, and nothing written (no person, household, enrolment or order). A 免缴人员 in the
/// same household enrols at 0 by the notice.
async fn an_unpriced_person_is_not_enrolled(backend: Backend) {
    let db = crate::common::TestDb::new(backend).await;
    // Inside Beijing's (assumed) 2019-09-01..2019-12-25 collection period.
    let app = crate::common::spawn_with(db, |url| {
        crate::common::test_config_with(url, &[("CANBAO_TODAY", "2019-10-10")])
    })
    .await;
    let officer = bearer(&app, "bureau_beijing").await;
    let first17 = "11010119800505001";
    let id = format!("{first17}{}", domain::id_number::check_character(first17).unwrap());
    let body = json!({"area_code": "110101001001", "members": [
        {"id_number": id, "name": "王北京", "hospitals": ["H110101001"]}]});
    let before = [
        count(&app, "SELECT COUNT(*) FROM people").await,
        count(&app, "SELECT COUNT(*) FROM households").await,
        count(&app, "SELECT COUNT(*) FROM enrolments").await,
        count(&app, "SELECT COUNT(*) FROM payment_orders").await,
    ];
    let (status, err) = post(&app, &officer, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "amount_not_set", "{err}");
    assert_eq!(err["error"]["field"], "members[0].id_number", "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("未规定") && message.contains("2020"), "{message}");
    let after = [
        count(&app, "SELECT COUNT(*) FROM people").await,
        count(&app, "SELECT COUNT(*) FROM households").await,
        count(&app, "SELECT COUNT(*) FROM enrolments").await,
        count(&app, "SELECT COUNT(*) FROM payment_orders").await,
    ];
    assert_eq!(before, after, "nothing written");
    app.stop().await;
}

/// Issue 23 §4: the real enrolment path uses the same facts as the quote. Lishi 四、(三)
/// "因勞動關係終止導致職工醫保斷保的人員,在斷保90天內…自參保之日起享受居民醫保待遇": after the
/// concentrated period, a member who left employee insurance 30 days ago is covered from
/// payment; the same kind of member with the question unanswered waits the (assumed) 3 months.
/// The answer is stored with the enrolment, and a wrong date names its field.
async fn enrolment_uses_the_facts_a_quote_would(backend: Backend) {
    let db = crate::common::TestDb::new(backend).await;
    let app = crate::common::spawn_with(db, |url| {
        crate::common::test_config_with(url, &[("CANBAO_TODAY", "2023-03-01")])
    })
    .await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let bad = json!({"area_code": VILLAGE, "members": [
        {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL], "employee_insurance_ended_on": "2023-02-30"}]});
    let (status, err) = post(&app, &cadre, "/api/v1/enrollments", &bad).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "members[0].employee_insurance_ended_on", "{err}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM enrolments").await,
        0,
        "nothing written"
    );

    let body = json!({"area_code": VILLAGE, "members": [
        {"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL], "employee_insurance_ended_on": "2023-01-30"},
        {"id_number": OTHER, "name": "王秀英", "relationship": "spouse", "hospitals": [HOSPITAL]}]});
    let (status, sub) = post(&app, &cadre, "/api/v1/enrollments", &body).await;
    assert_eq!(status, 201, "{sub}");
    let by_name = |name: &str| {
        sub["enrollments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
            .unwrap()
    };
    let left = by_name("陈建国");
    assert_eq!(left["benefit_start"], "2023-03-01", "{left}");
    assert_eq!(
        left["employee_insurance_ended_on"], "2023-01-30",
        "shown with the enrolment: {left}"
    );
    assert!(left["citations"].to_string().contains("四、(三)"), "{left}");
    let other = by_name("王秀英");
    assert_eq!(other["benefit_start"], "2023-06-01", "{other}");
    let stored = count(
        &app,
        "SELECT COUNT(*) FROM enrolments WHERE quote_request LIKE '%\"employee_insurance_ended_on\":\"2023-01-30\"%'",
    )
    .await;
    assert_eq!(stored, 1, "the answer is kept with the enrolment");
    app.stop().await;
}
