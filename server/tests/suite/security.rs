//! Safe to deploy (issue 22): production is the default, the demo is opt-in, the first
//! administrator comes from a command, and the abuse counters hold under concurrency.

use crate::common::{
    count, production_config, spawn_app, spawn_production, test_config, Backend, TestDb, ADULT, HOSPITAL, OTHER,
    VILLAGE,
};
use app::services::access::Actor;
use leptos::server_fn::ServerFn;
use server::Application;

both_backends! {
    production_serves_no_demo,
    production_refuses_a_database_with_demo_passwords,
    the_binary_refuses_to_start_without_secrets,
    create_admin_makes_the_first_administrator,
    concurrent_wrong_passwords_lock_the_account,
    concurrent_wrong_codes_use_at_most_five_tries,
    a_resident_cannot_pull_a_stranger_into_their_household,
    a_phone_cannot_claim_a_person_by_name_and_id_number,
    refusals_name_no_one_out_of_scope,
    sandbox_pay_page_is_only_for_the_household_and_staff_in_scope,
    a_spreadsheet_bomb_is_refused_on_every_upload_route,
    bodies_over_the_limit_answer_413_in_the_error_shape,
    pages_carry_security_headers,
    preferences_only_redirect_within_the_site,
    a_receipt_is_only_for_its_household_even_with_no_lines,
    a_late_payment_of_a_reopened_order_pays_once,
    payments_that_cannot_be_applied_are_queued_and_settled,
    expired_sign_in_data_is_purged,
    an_idle_session_ends,
    an_audit_failure_undoes_the_change_it_records,
    per_client_limits_hold_and_follow_trusted_proxies,
    the_audit_log_is_hash_chained_and_verified,
}

/// Demo seed: 李凤英, 低保, in no household (as roster and list people are).
const LI_FENGYING: &str = "141102194905060023";
/// Demo seed: 孙玉山, in 凤山底社区, outside the demo cadre's 东关社区.
const SUN_YUSHAN: &str = "141102194702150037";

/// The demo cadre enrols 陈建国 in a new household of the village: the submission's answer.
async fn enrol_adult(app: &crate::common::TestApp, cadre: &str) -> serde_json::Value {
    let (status, sub) = crate::common::post(
        app,
        cadre,
        "/api/v1/enrollments",
        &serde_json::json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": [HOSPITAL]}]}),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    sub
}

/// A resident signed in with a new phone who has registered as `name` / `id`.
async fn registered_resident(app: &crate::common::TestApp, phone: &str, name: &str, id: &str) -> (String, Actor) {
    let token = crate::common::resident_token(app, phone).await;
    let actor = resident_actor(app, phone).await;
    app::services::enrolment::register_self(&app.state, &actor, name, id, VILLAGE, "127.0.0.1")
        .await
        .unwrap();
    (token, resident_actor(app, phone).await)
}

async fn resident_actor(app: &crate::common::TestApp, phone: &str) -> Actor {
    let account = app::services::auth::store::by_phone(&app.state.db, phone)
        .await
        .unwrap()
        .unwrap();
    Actor::new(account)
}

async fn a_resident_cannot_pull_a_stranger_into_their_household(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, _) = registered_resident(&app, "13900000101", "陈建国", ADULT).await;
    let enrol = |members: serde_json::Value| {
        let (app, token) = (&app, token.clone());
        async move {
            crate::common::post(
                app,
                &token,
                "/api/v1/enrollments",
                &serde_json::json!({"members": members}),
            )
            .await
        }
    };
    // The ID number alone, or with a wrong name: the same refusal, naming no one.
    for member in [
        serde_json::json!({"id_number": LI_FENGYING, "relationship": "parent", "hospitals": [HOSPITAL]}),
        serde_json::json!({"id_number": LI_FENGYING, "name": "李芳", "relationship": "parent", "hospitals": [HOSPITAL]}),
    ] {
        let (status, err) = enrol(serde_json::json!([member])).await;
        assert_eq!(status, 409, "{err}");
        assert_eq!(err["error"]["code"], "cannot_add_person", "{err}");
        assert_eq!(err["error"]["field"], "members[0].id_number");
        assert!(!err.to_string().contains("李凤英"), "{err}");
    }
    // Adding a member: the same.
    let actor = resident_actor(&app, "13900000101").await;
    let household = app::services::enrolment::own_household(&app.state, &actor)
        .await
        .unwrap()
        .unwrap();
    let e = app::services::enrolment::add_member(
        &app.state,
        &actor,
        household.id,
        "李芳",
        LI_FENGYING,
        "parent",
        false,
        "ip",
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "cannot_add_person");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM people WHERE id_number = '{LI_FENGYING}' AND household_id IS NOT NULL")
        )
        .await,
        0,
        "nothing written"
    );
    // With the exact name on record she joins, and the village's cadre sees it in the log.
    let (status, sub) = enrol(serde_json::json!([
        {"id_number": LI_FENGYING, "name": "李凤英", "relationship": "parent", "hospitals": [HOSPITAL]}
    ]))
    .await;
    assert_eq!(status, 201, "{sub}");
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let (status, log) = crate::common::get(&app, &cadre, "/api/v1/audit?action=household_member_attached").await;
    assert_eq!(status, 200, "{log}");
    let entries = log.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert!(entries[0].to_string().contains("1411**********0023"), "{log}");
    app.stop().await;
}

async fn a_phone_cannot_claim_a_person_by_name_and_id_number(backend: Backend) {
    let app = spawn_app(backend).await;
    // A cadre registers 王秀英's household; she has no phone of her own on record.
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let (status, sub) = crate::common::post(
        &app,
        &cadre,
        "/api/v1/enrollments",
        &serde_json::json!({"area_code": VILLAGE, "members": [
            {"id_number": OTHER, "name": "王秀英", "hospitals": [HOSPITAL]}]}),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    // Someone who knows her name and number signs in with a new phone and claims her.
    let phone = "13900000102";
    crate::common::resident_token(&app, phone).await;
    let claim = |name: &'static str, id: &'static str| {
        let app = &app;
        async move {
            let actor = resident_actor(app, phone).await;
            app::services::enrolment::register_self(&app.state, &actor, name, id, VILLAGE, "127.0.0.1")
                .await
                .unwrap_err()
        }
    };
    let right = claim("王秀英", OTHER).await;
    let wrong = claim("王丽", OTHER).await;
    for e in [&right, &wrong] {
        assert_eq!(e.code(), "identity_unverified");
        assert_eq!(e.status(), 409);
        assert!(!e.to_string().contains("王秀英"));
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM accounts WHERE phone = '{phone}' AND person_id IS NOT NULL")
        )
        .await,
        0,
        "the account is linked to no one"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM people WHERE id_number = '{OTHER}' AND phone IS NOT NULL")
        )
        .await,
        0,
        "her record did not take the claimant's phone"
    );
    // Confirming her phone is staff work, in her area only, and it names no one outside it.
    let her = sub["enrollments"][0]["person_id"].as_i64().expect("her person id");
    let claimant = resident_actor(&app, phone).await;
    let e = app::services::enrolment::confirm_resident_phone(&app.state, &claimant, her, phone, "ip")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 403, "a resident cannot confirm a phone: {e}");
    let beijing = Actor::new(
        app::services::auth::store::by_username(&app.state.db, "bureau_beijing")
            .await
            .unwrap()
            .unwrap(),
    );
    let e = app::services::enrolment::confirm_resident_phone(&app.state, &beijing, her, phone, "ip")
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (404, "person_not_found"));
    assert!(!e.to_string().contains("王秀英"), "{e}");
    let nobody = app::services::enrolment::confirm_resident_phone(&app.state, &beijing, i64::MAX, phone, "ip")
        .await
        .unwrap_err();
    assert_eq!(nobody.to_string(), e.to_string(), "out of scope reads like unknown");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM people WHERE id_number = '{OTHER}' AND phone IS NOT NULL")
        )
        .await,
        0,
        "refused confirmations wrote nothing"
    );
    // Her village's cadre, with her in front of them, confirms the phone she uses; a bad
    // number is refused on its field.
    let cadre_actor = Actor::new(
        app::services::auth::store::by_username(&app.state.db, "cadre_dongguan")
            .await
            .unwrap()
            .unwrap(),
    );
    let e = app::services::enrolment::confirm_resident_phone(&app.state, &cadre_actor, her, "12345", "ip")
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.field()), (422, Some("phone")), "{e}");
    let confirmed = app::services::enrolment::confirm_resident_phone(&app.state, &cadre_actor, her, phone, "ip")
        .await
        .unwrap();
    assert_eq!(confirmed.name, "王秀英");
    let (status, log) = crate::common::get(&app, &cadre, "/api/v1/audit?action=resident_phone_confirmed").await;
    assert_eq!(status, 200, "{log}");
    assert!(log.to_string().contains("139****0102"), "{log}");
    assert!(!log.to_string().contains(phone), "the log masks the phone: {log}");
    // The phone on record is proof: with it, the account links to her and her household.
    let actor = resident_actor(&app, phone).await;
    app::services::enrolment::register_self(&app.state, &actor, "王秀英", OTHER, VILLAGE, "127.0.0.1")
        .await
        .unwrap();
    let actor = resident_actor(&app, phone).await;
    let own = app::services::enrolment::own_household(&app.state, &actor)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(own.id), sub["household_id"].as_i64());
    // Once linked, no confirmation moves her to another phone.
    let e = app::services::enrolment::confirm_resident_phone(&app.state, &cadre_actor, her, "13900000103", "ip")
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "already_linked"));
    // One account per person, in the database too.
    let second = app::store::with_pool!(&app.state.db, p => sqlx::query(
        "UPDATE accounts SET person_id = (SELECT person_id FROM accounts WHERE phone = $1) WHERE phone = '13800000001'")
        .bind(phone).execute(p).await.map(|_| ()));
    assert!(second.is_err(), "accounts.person_id is unique");
    app.stop().await;
}

async fn refusals_name_no_one_out_of_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let cadre_actor = Actor::new(
        app::services::auth::store::by_username(&app.state.db, "cadre_dongguan")
            .await
            .unwrap()
            .unwrap(),
    );
    // A new household for 孙玉山 (another village): refused without his name.
    let e = app::services::enrolment::staff_new_household(&app.state, &cadre_actor, VILLAGE, "张三", SUN_YUSHAN, "ip")
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("孙玉山"), "{e}");
    assert_eq!(e.code(), "id_number_registered");

    // A certification for someone out of scope reads like one for no one.
    let unknown = crate::common::synthetic_id(4242);
    let mut answers = Vec::new();
    for id in [SUN_YUSHAN, unknown.as_str()] {
        let (status, err) = crate::common::post(
            &app,
            &cadre,
            "/api/v1/certifications",
            &serde_json::json!({"id_number": id, "category": "minimum_living"}),
        )
        .await;
        answers.push((status, err["error"]["code"].clone(), err["error"]["message"].clone()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 404);

    // The bulk action checks visibility before it names anyone.
    enrol_adult(&app, &cadre).await;
    let (status, cert) = crate::common::post(
        &app,
        &cadre,
        "/api/v1/certifications",
        &serde_json::json!({"id_number": ADULT, "category": "minimum_living"}),
    )
    .await;
    assert_eq!(status, 201, "{cert}");
    let id = cert["id"].as_i64().unwrap();
    let beijing = crate::common::bearer(&app, "bureau_beijing").await;
    let outsider = crate::common::resident_token(&app, "13900000103").await;
    for who in [&beijing, &outsider] {
        let (status, err) = crate::common::post(
            &app,
            who,
            "/api/v1/certifications/bulk",
            &serde_json::json!({"action": "flag", "ids": [id]}),
        )
        .await;
        assert_eq!(status, 404, "{err}");
        assert_eq!(err["error"]["code"], "certification_not_found", "{err}");
        let text = err.to_string();
        assert!(
            !text.contains("陈建国") && !text.contains("1411**********0036"),
            "{text}"
        );
    }

    // A staff account without an area gets nothing (never the whole country).
    let mut account = cadre_actor.account.clone();
    account.role = "bureau_officer".into();
    account.area_code = None;
    let no_area = Actor::new(account);
    let e = app::services::access::area_within(&no_area, None).unwrap_err();
    assert_eq!(e.status(), 403);
    let e = app::services::audit::search(&app.state, &no_area, &Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 403);
    let e = app::services::reports::context(&app.state, &no_area, &Default::default())
        .await
        .err()
        .unwrap();
    assert_eq!(e.status(), 403);
    app.stop().await;
}

/// Presses pay or cancel in the sandbox payment app, as its plain HTML form does.
async fn sandbox(app: &crate::common::TestApp, auth: &str, order_no: &str, action: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/sandbox/pay/{order_no}")))
        .header("Authorization", auth)
        .form(&[("action", action)])
        .send()
        .await
        .unwrap()
}

async fn sandbox_page(app: &crate::common::TestApp, auth: Option<&str>, order_no: &str) -> (u16, String) {
    let mut req = reqwest::Client::new().get(app.url(&format!("/sandbox/pay/{order_no}")));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn sandbox_pay_page_is_only_for_the_household_and_staff_in_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let sub = enrol_adult(&app, &cadre).await;
    let order_no = sub["order"]["order_no"].as_str().unwrap().to_owned();
    let beijing = crate::common::bearer(&app, "bureau_beijing").await;
    let stranger = crate::common::resident_token(&app, "13900000104").await;
    // Not signed in, another resident, staff out of scope: nothing about the order shows.
    let (status, html) = sandbox_page(&app, None, &order_no).await;
    assert_eq!(status, 401);
    assert!(!html.contains("陈建国") && !html.contains("350"), "{html}");
    for who in [&beijing, &stranger] {
        let (status, html) = sandbox_page(&app, Some(who), &order_no).await;
        assert_eq!(status, 404);
        assert!(!html.contains("陈建国") && !html.contains("0036"), "{html}");
        let (unknown_status, _) = sandbox_page(&app, Some(who), "NOSUCHORDER").await;
        assert_eq!(unknown_status, status, "out of scope looks like unknown");
        let res = sandbox(&app, who, &order_no, "pay").await;
        assert_eq!(res.status(), 404);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payments").await,
        0,
        "nobody else paid it"
    );
    // The cadre in scope sees it and can pay it.
    let (status, html) = sandbox_page(&app, Some(&cadre), &order_no).await;
    assert_eq!(status, 200);
    assert!(html.contains("陈建国"));
    let res = sandbox(&app, &cadre, &order_no, "pay").await;
    assert_eq!(res.status(), 303);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    app.stop().await;
}

async fn production_serves_no_demo(backend: Backend) {
    let app = spawn_production(backend).await;
    assert!(!app.state.settings.demo && app.state.settings.secure_cookies);

    // No demo staff, no demo resident.
    let res = app
        .client
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": "admin", "password": app::services::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "no admin with the published password");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM people").await, 0);

    // The sandbox payment app does not exist: nobody marks an order paid without a callback.
    for res in [
        app.client.get(app.url("/sandbox/pay/ANY")).send().await.unwrap(),
        app.client
            .post(app.url("/sandbox/pay/ANY"))
            .form(&[("action", "pay")])
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 404);
    }

    // A code is sent, but no page shows it.
    let phone = "13900000077";
    app::services::auth::request_code(&app.state, phone, "127.0.0.1")
        .await
        .unwrap();
    let body: String = app::store::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "SELECT body FROM sms_outbox WHERE phone = $1").bind(phone).fetch_one(p).await)
    .unwrap();
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    let html = app
        .client
        .get(app.url("/login/resident/verify"))
        .header("Cookie", format!("canbao_pending_phone={phone}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("139****0077"), "the page names the masked phone");
    assert!(
        !html.contains(&code) && !html.contains("demo-code"),
        "but never the code"
    );
    app.stop().await;
}

async fn production_refuses_a_database_with_demo_passwords(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Once run as a demo...
    let demo = Application::build(test_config(&db.url)).await.expect("demo starts");
    demo.state().db.close().await;
    drop(demo);
    // ...the database holds admin / the published password: production will not serve it.
    match Application::build(production_config(&db.url)).await {
        Err(server::StartError::DemoAccount(name)) => {
            assert_eq!(name, "admin");
            let line = server::StartError::DemoAccount(name).to_string();
            assert!(line.starts_with("CANBAO_DEMO:"), "{line}");
        }
        Err(e) => panic!("refused for the wrong reason: {e}"),
        Ok(_) => panic!("a production server started with the demo admin's published password"),
    }
    db.drop_db().await;
}

fn server_binary() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    cmd
}

async fn the_binary_refuses_to_start_without_secrets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = server_binary();
        cmd.env("DATABASE_URL", &db.url).env("LEPTOS_SITE_ADDR", "127.0.0.1:0");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(err.contains("CANBAO_SECRET"), "{err}");
    let out = run(&[
        ("CANBAO_SECRET", crate::common::PROD_SECRET),
        ("CANBAO_PAYMENT_SECRET", "test-secret"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("CANBAO_PAYMENT_SECRET"), "{err}");
    db.drop_db().await;
}

async fn create_admin_makes_the_first_administrator(backend: Backend) {
    use std::io::Write;
    let db = TestDb::new(backend).await;
    let create = |username: &str, password: &str| {
        let mut child = server_binary()
            .args(["create-admin", "--username", username])
            .env("DATABASE_URL", &db.url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let password = "a long enough passphrase 7";
    let out = create("ops", "short");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = create("ops", password);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = create("ops", password);
    assert_eq!(out.status.code(), Some(1), "the username is taken");

    let app = crate::common::spawn_with(db, production_config).await;
    let res = app
        .client
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": "ops", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    let token = format!("Bearer {}", body["token"].as_str().unwrap());
    // Scoped to the whole system: the audit log is readable, and records the creation.
    let (status, log) = crate::common::get(&app, &token, "/api/v1/audit").await;
    assert_eq!(status, 200, "{log}");
    assert!(log.to_string().contains("admin_created"), "{log}");

    // The browser's session cookie is Secure and __Host- prefixed in production.
    let res = app
        .client
        .post(app.url(app::api::StaffSignIn::PATH))
        .header("Accept", "application/json")
        .form(&[("username", "ops"), ("password", password)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-canbao_session=") && cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    // An unprefixed cookie carrying the same token is not a session there.
    let token_value = cookie
        .trim_start_matches("__Host-canbao_session=")
        .split(';')
        .next()
        .unwrap();
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/audit"))
        .header("Cookie", format!("canbao_session={token_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.stop().await;
}

async fn concurrent_wrong_passwords_lock_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let guesses = (0..20).map(|i| {
        let (client, url) = (app.client.clone(), app.url("/api/v1/sessions"));
        tokio::spawn(async move {
            client
                .post(url)
                .json(&serde_json::json!({"username": "civil_lishi", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    // At most five passwords were checked, and the account is locked.
    let checked = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed' AND subject = 'civil_lishi'",
    )
    .await;
    assert!(checked <= 5, "{checked} passwords checked");
    let res = app
        .client
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": "civil_lishi", "password": app::services::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "locked, even for the right password");
    app.stop().await;
}

async fn concurrent_wrong_codes_use_at_most_five_tries(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = "13900000088";
    app::services::auth::request_code(&app.state, phone, "127.0.0.1")
        .await
        .unwrap();
    let code = app::services::auth::demo_code(&app.state, phone)
        .await
        .unwrap()
        .unwrap();
    let tries: Vec<_> = (0..20)
        .map(|i| {
            let state = app.state.clone();
            let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
            tokio::spawn(async move {
                app::services::auth::verify_code(&state, phone, &wrong, "127.0.0.1")
                    .await
                    .err()
                    .map(|e| e.code().to_owned())
            })
        })
        .collect();
    for t in tries {
        let code = t.await.unwrap();
        assert!(
            matches!(code.as_deref(), Some("code_wrong" | "code_tries_exhausted")),
            "{code:?}"
        );
    }
    let used = count(
        &app,
        "SELECT CAST(MAX(attempts) AS BIGINT) FROM otp_codes WHERE phone = '13900000088'",
    )
    .await;
    assert!(used <= 5, "{used} tries used");
    let failed = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'otp_failed'").await;
    assert!(failed <= 5, "{failed} codes compared");
    // And the right code is now refused too.
    let e = app::services::auth::verify_code(&app.state, phone, &code, "127.0.0.1")
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), "code_tries_exhausted");
    app.stop().await;
}

/// A few-KB XLSX with cells in A1 and XFD1048576: calamine would allocate 17 billion cells.
fn spreadsheet_bomb() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "区划代码").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save_to_buffer().unwrap()
}

async fn a_spreadsheet_bomb_is_refused_on_every_upload_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let bomb = spreadsheet_bomb();
    assert!(bomb.len() < 16 * 1024, "a small file: {} bytes", bomb.len());
    let civil = crate::common::bearer(&app, "civil_lishi").await;
    let bureau = crate::common::bearer(&app, "bureau_lishi").await;
    for (auth, path) in [
        (&civil, "/api/v1/adjustment-lists?file_name=bomb.xlsx"),
        (&bureau, "/api/v1/roster/import?file_name=bomb.xlsx"),
        (&bureau, "/api/v1/targets/import?file_name=bomb.xlsx"),
    ] {
        let res = app
            .client
            .post(app.url(path))
            .header("Authorization", auth.as_str())
            .body(bomb.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["error"]["code"], "sheet_too_large", "{path}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("范围过大"),
            "{body}"
        );
    }
    // Still serving, and nothing was written.
    let res = app.client.get(app.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM adjustment_imports").await, 0);
    app.stop().await;
}

async fn bodies_over_the_limit_answer_413_in_the_error_shape(backend: Backend) {
    let app = spawn_app(backend).await;
    // A server function: far over its 64 KB, declared and chunked alike.
    let big = "9".repeat(200 * 1024);
    let res = app
        .client
        .post(app.url(app::api::RequestCode::PATH))
        .header("Accept", "application/json")
        .form(&[("phone", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["PayloadTooLarge"]["code"], "body_too_large", "{body}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = format!("phone={big}")
        .into_bytes()
        .chunks(8 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let res = app
        .client
        .post(app.url(app::api::RequestCode::PATH))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a chunked body is counted too");
    // A REST endpoint over axum's limit: 413 with the API's error shape, not plain text.
    let json = format!("{{\"policy\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let res = app
        .client
        .post(app.url("/api/v1/quote"))
        .header("Content-Type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "body_too_large", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("过大"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM otp_codes").await,
        0,
        "nothing written"
    );
    app.stop().await;
}

async fn pages_carry_security_headers(backend: Backend) {
    for production in [false, true] {
        let app = if production {
            spawn_production(backend).await
        } else {
            spawn_app(backend).await
        };
        let res = app.client.get(app.url("/login/resident")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        let html = res.text().await.unwrap();
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
            "{csp}"
        );
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("a script-src");
        assert!(!script_src.contains("'unsafe-inline'"), "{csp}");
        // Every inline script carries this answer's nonce, so the islands still run.
        let nonce = script_src
            .split("'nonce-")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .expect("a script nonce")
            .to_owned();
        assert!(nonce.len() >= 16, "{nonce}");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0);
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(
            h.contains_key("strict-transport-security"),
            production,
            "HSTS only with secure cookies"
        );
        // A second answer gets another nonce.
        let again = app.client.get(app.url("/login/resident")).send().await.unwrap();
        let csp2 = again.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert_ne!(csp, csp2);
        app.stop().await;
    }
}

async fn preferences_only_redirect_within_the_site(backend: Backend) {
    let app = spawn_app(backend).await;
    for (back, want) in [
        ("/%09/evil.example", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example/", "/"),
        ("/coverage", "/coverage"),
    ] {
        let res = app
            .client
            .post(app.url("/prefs"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("lang=en&back={back}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{back}");
        assert_eq!(res.headers()["location"], want, "{back}");
    }
    app.stop().await;
}

/// A signed callback for `order_no`, as the provider would send it.
async fn paid_callback(
    app: &crate::common::TestApp,
    order_no: &str,
    amount: &str,
    txn: &str,
) -> (u16, serde_json::Value) {
    use app::services::payments::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
    let body = serde_json::to_vec(&serde_json::json!({
        "order_no": order_no, "transaction_id": txn, "status": "paid", "amount": amount,
        "paid_at": "2022-10-08T02:00:00Z"
    }))
    .unwrap();
    let ts = app.state.clock.now().timestamp().to_string();
    let sig = app.state.sandbox_signer.sign(&ts, &body);
    let res = app
        .client
        .post(app.url("/api/v1/payments/callback"))
        .header(TIMESTAMP_HEADER, ts)
        .header(SIGNATURE_HEADER, sig)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// Expires the household's order and opens a new one: the enrolment moves to it. Returns
/// (first order, amount, second order).
async fn reopen_order(app: &crate::common::TestApp, cadre: &str, sub: &serde_json::Value) -> (String, String, String) {
    let household = sub["household_id"].as_i64().unwrap();
    let first = sub["order"]["order_no"].as_str().unwrap().to_owned();
    let amount = sub["order"]["amount"].as_str().unwrap().to_owned();
    let past = app.state.clock.now() - chrono::Duration::minutes(1);
    app::store::with_pool!(&app.state.db, p => sqlx::query("UPDATE payment_orders SET expires_at = $1 WHERE order_no = $2")
        .bind(past).bind(&first).execute(p).await.map(|_| ()))
    .unwrap();
    let (status, second) = crate::common::post(
        app,
        cadre,
        &format!("/api/v1/households/{household}/payment-order"),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["order_no"], first.as_str());
    (first, amount, second["order_no"].as_str().unwrap().to_owned())
}

async fn a_late_payment_of_a_reopened_order_pays_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let sub = enrol_adult(&app, &cadre).await;
    let enrolment = sub["enrollments"][0]["id"].as_i64().unwrap();
    let (first, amount, second) = reopen_order(&app, &cadre, &sub).await;
    // The first order, paid late at the provider: it pays the enrolment (before issue 22 it
    // left a receipt with no lines and the enrolment unpaid, to be paid a second time)...
    let (status, paid) = paid_callback(&app, &first, &amount, "LATE0001").await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["result"], "applied");
    let receipt = paid["receipt_no"].as_str().expect("a receipt").to_owned();
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM payment_enrolments pe JOIN payments p ON p.id = pe.payment_id WHERE p.receipt_no = '{receipt}'")).await,
        1,
        "the receipt pays the enrolment"
    );
    let (_, e) = crate::common::get(&app, &cadre, &format!("/api/v1/enrollments/{enrolment}")).await;
    assert_eq!(e["paid"], amount.as_str(), "{e}");
    // ...and the second order can no longer be paid: not on its page, not by a callback.
    let res = app
        .client
        .post(app.url(&format!("/sandbox/pay/{second}")))
        .header("Authorization", &cadre)
        .form(&[("action", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let (status, v) = paid_callback(&app, &second, &amount, "PAY0002").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"], "exception", "paid twice: kept to be refunded");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payment_enrolments").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payment_exceptions WHERE status = 'open'").await,
        1
    );
    // The same late callback again changes nothing.
    let (_, again) = paid_callback(&app, &first, &amount, "LATE0001").await;
    assert_eq!(again["result"], "duplicate", "{again}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    app.stop().await;
}

async fn a_receipt_is_only_for_its_household_even_with_no_lines(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let sub = enrol_adult(&app, &cadre).await;
    let first = sub["order"]["order_no"].as_str().unwrap().to_owned();
    // A payment of the order that paid no line (as late callbacks left before issue 22).
    let now = app.state.clock.now();
    app::store::with_pool!(&app.state.db, p => sqlx::query(
        "INSERT INTO payments (transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, recorded_at)
         SELECT 'LATE0001', 'sandbox_online', id, amount_fen, $1, 'R20221008EMPTY', $1 FROM payment_orders WHERE order_no = $2")
        .bind(now).bind(&first).execute(p).await.map(|_| ()))
    .unwrap();
    let receipt = "R20221008EMPTY";
    let stranger = crate::common::resident_token(&app, "13900000105").await;
    let beijing = crate::common::bearer(&app, "bureau_beijing").await;
    for who in [&stranger, &beijing] {
        let (status, body) = crate::common::get(&app, who, &format!("/api/v1/receipts/{receipt}")).await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, _) = crate::common::get(&app, &cadre, &format!("/api/v1/receipts/{receipt}")).await;
    assert_eq!(status, 200, "the household's cadre still reads it");
    app.stop().await;
}

async fn payments_that_cannot_be_applied_are_queued_and_settled(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let bureau = crate::common::bearer(&app, "bureau_lishi").await;
    let beijing = crate::common::bearer(&app, "bureau_beijing").await;
    let sub = enrol_adult(&app, &cadre).await;
    let household = sub["household_id"].as_i64().unwrap();
    let (first, amount, second) = reopen_order(&app, &cadre, &sub).await;
    // A wrong amount for the open order, then the open order paid, then the first order
    // paid late: two payments that cannot be applied, neither answered 409 and forgotten.
    let (status, v) = paid_callback(&app, &second, "1.00", "WRONG001").await;
    assert_eq!((status, v["result"].as_str()), (200, Some("exception")), "{v}");
    let (_, v) = paid_callback(&app, &second, &amount, "PAY00002").await;
    assert_eq!(v["result"], "applied", "{v}");
    let (_, v) = paid_callback(&app, &first, &amount, "LATE0001").await;
    assert_eq!(v["result"], "exception", "{v}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);

    // The queue: the bureau of the area sees both; another city's sees nothing; a cadre
    // is refused; the household sees its own on 我的参保.
    let (status, q) = crate::common::get(&app, &bureau, "/api/v1/payment-exceptions").await;
    assert_eq!(status, 200, "{q}");
    let list = q["exceptions"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{q}");
    let late = list.iter().find(|x| x["transaction_id"] == "LATE0001").unwrap();
    let wrong = list.iter().find(|x| x["transaction_id"] == "WRONG001").unwrap();
    assert_eq!(late["reason"], "order_superseded");
    assert_eq!(late["amount"], amount.as_str());
    assert_eq!(late["payer_name"], "陈建国");
    assert_eq!(late["payer_id_masked"], "1411**********0036");
    assert_eq!(wrong["reason"], "amount_mismatch");
    let (late, wrong) = (late["id"].as_i64().unwrap(), wrong["id"].as_i64().unwrap());
    let (_, q) = crate::common::get(&app, &beijing, "/api/v1/payment-exceptions?status=all").await;
    assert_eq!(q["exceptions"].as_array().map(Vec::len), Some(0), "{q}");
    let (status, _) = crate::common::get(&app, &cadre, "/api/v1/payment-exceptions").await;
    assert_eq!(status, 403);
    let (status, err) = crate::common::get(&app, &bureau, "/api/v1/payment-exceptions?status=closed").await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("status")));
    let cadre_actor = Actor::new(
        app::services::auth::store::by_username(&app.state.db, "cadre_dongguan")
            .await
            .unwrap()
            .unwrap(),
    );
    let page = app::services::coverage::coverage_page(&app.state, &cadre_actor, Some(household))
        .await
        .unwrap();
    assert_eq!(page.payment_exceptions.len(), 2);

    // Settling: out of area looks unknown; the outcome and channel are checked; applying
    // money the household does not owe is refused; nothing written by any of these.
    let settle = |id: i64| format!("/api/v1/payment-exceptions/{id}/settle");
    let body = serde_json::json!({"outcome": "refunded", "channel": "原路退回"});
    let (status, _) = crate::common::post(&app, &beijing, &settle(late), &body).await;
    assert_eq!(status, 404);
    let (status, _) = crate::common::post(&app, &cadre, &settle(late), &body).await;
    assert_eq!(status, 403);
    let (status, err) =
        crate::common::post(&app, &bureau, &settle(late), &serde_json::json!({"outcome": "lost"})).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("outcome")),
        "{err}"
    );
    let (status, err) = crate::common::post(
        &app,
        &bureau,
        &settle(wrong),
        &serde_json::json!({"outcome": "refunded"}),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("channel")),
        "{err}"
    );
    let (status, err) =
        crate::common::post(&app, &bureau, &settle(late), &serde_json::json!({"outcome": "applied"})).await;
    assert_eq!(status, 409, "the household owes nothing: {err}");
    assert_eq!(err["error"]["code"], "amount_not_due");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payment_exceptions WHERE status = 'open'").await,
        2
    );

    // The wrong amount is refunded, once.
    let (status, x) = crate::common::post(
        &app,
        &bureau,
        &settle(wrong),
        &serde_json::json!({"outcome": "refunded", "channel": "原路退回", "note": "微信支付退款单 4200001"}),
    )
    .await;
    assert_eq!(status, 200, "{x}");
    assert_eq!(x["status"], "refunded");
    assert_eq!(x["settlement_channel"], "原路退回");
    assert!(x["settled_by"].as_str().is_some_and(|b| !b.is_empty()), "{x}");
    let (status, _) = crate::common::post(&app, &bureau, &settle(wrong), &body).await;
    assert_eq!(status, 409, "settled once");

    // The late payment pays the household's next enrolment when it is exactly what it owes.
    let (status, sub2) = crate::common::post(
        &app,
        &cadre,
        "/api/v1/enrollments",
        &serde_json::json!({"household_id": household, "members": [{"id_number": OTHER, "name": "王丽", "hospitals": [HOSPITAL]}]}),
    )
    .await;
    assert_eq!(status, 201, "{sub2}");
    assert_eq!(sub2["order"]["amount"], amount.as_str(), "{sub2}");
    let new_order = sub2["order"]["order_no"].as_str().unwrap().to_owned();
    let (status, x) =
        crate::common::post(&app, &bureau, &settle(late), &serde_json::json!({"outcome": "applied"})).await;
    assert_eq!(status, 200, "{x}");
    assert_eq!(x["status"], "applied");
    let receipt = x["receipt_no"].as_str().expect("a receipt").to_owned();
    let other = sub2["enrollments"][0]["id"].as_i64().unwrap();
    let (_, e) = crate::common::get(&app, &cadre, &format!("/api/v1/enrollments/{other}")).await;
    assert_eq!(e["paid"], amount.as_str(), "{e}");
    let (status, _) = crate::common::get(&app, &cadre, &format!("/api/v1/receipts/{receipt}")).await;
    assert_eq!(status, 200);
    // Its own order cannot be paid again.
    let (_, v) = paid_callback(&app, &new_order, &amount, "PAY00003").await;
    assert_eq!(v["result"], "exception", "{v}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 2);

    // All of it on the area's audit trail.
    for action in ["payment_exception", "payment_exception_settled"] {
        let sql = format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND area_code = '{VILLAGE}'");
        assert!(count(&app, &sql).await >= 2, "{action}");
    }
    app.stop().await;
}

/// ASVS 3.3.2: a session unused for 30 minutes ends, however long its absolute life; one
/// in use stays, its last use written as it goes.
async fn an_idle_session_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let (status, _) = crate::common::get(&app, &cadre, "/api/v1/audit").await;
    assert_eq!(status, 200);
    let set_last_use = |minutes: i64| {
        let at = app.state.clock.now() - chrono::Duration::minutes(minutes);
        let db = app.state.db.clone();
        async move {
            app::store::with_pool!(&db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1, created_at = $1")
                .bind(at).execute(p).await.map(|_| ()))
            .unwrap();
        }
    };
    // Used 29 minutes ago: still signed in, and the use is written.
    set_last_use(29).await;
    let (status, _) = crate::common::get(&app, &cadre, "/api/v1/audit").await;
    assert_eq!(status, 200);
    let recent = app.state.clock.now() - chrono::Duration::minutes(1);
    let touched: i64 = app::store::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE last_seen_at > $1").bind(recent).fetch_one(p).await)
    .unwrap();
    assert_eq!(touched, 1, "the last use moved to now");
    // Unused for 31 minutes: signed out, though the session has hours left.
    set_last_use(31).await;
    let (status, body) = crate::common::get(&app, &cadre, "/api/v1/audit").await;
    assert_eq!(status, 401, "{body}");
    app.stop().await;
}

/// Audit rows commit in the transaction of the change they record (issue 22 §7): when the
/// audit row cannot be written, the cash collection it records is not written either.
async fn an_audit_failure_undoes_the_change_it_records(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = crate::common::bearer(&app, "cadre_dongguan").await;
    let sub = enrol_adult(&app, &cadre).await;
    let household = sub["household_id"].as_i64().unwrap();
    let enrolment = sub["enrollments"][0]["id"].as_i64().unwrap();
    // The audit log refuses this one action, as a full disk or a broken disk would refuse it.
    let ddl: &[&str] = match backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log WHEN NEW.action = 'cash_collected'
            BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$",
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW
             WHEN (NEW.action = 'cash_collected') EXECUTE FUNCTION audit_down()",
        ],
    };
    for sql in ddl {
        app::store::with_pool!(&app.state.db, p => sqlx::query(sql).execute(p).await.map(|_| ())).unwrap();
    }
    let (status, body) = crate::common::post(
        &app,
        &cadre,
        &format!("/api/v1/households/{household}/cash"),
        &serde_json::json!({"amount": "350.00"}),
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM payments").await,
        0,
        "no payment without its audit row"
    );
    let (_, e) = crate::common::get(&app, &cadre, &format!("/api/v1/enrollments/{enrolment}")).await;
    assert_eq!(e["status"], "unpaid", "{e}");
    app.stop().await;
}

async fn expired_sign_in_data_is_purged(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = "13900000106";
    app::services::auth::request_code(&app.state, phone, "127.0.0.1")
        .await
        .unwrap();
    let code = app::services::auth::demo_code(&app.state, phone)
        .await
        .unwrap()
        .unwrap();
    crate::common::bearer(&app, "bureau_lishi").await;
    // Nothing has expired yet: nothing goes.
    let purged = app::services::auth::purge_expired(&app.state).await.unwrap();
    assert_eq!(purged, Default::default());
    // Ten minutes on, the code has expired; a day on, the session too.
    let shift = |table: &str, column: &str, by: chrono::Duration| {
        let sql = format!("UPDATE {table} SET {column} = $1");
        let at = app.state.clock.now() - by;
        let db = app.state.db.clone();
        async move {
            app::store::with_pool!(&db, p => sqlx::query(&sql).bind(at).execute(p).await.map(|_| ())).unwrap();
        }
    };
    shift("sms_outbox", "created_at", chrono::Duration::minutes(10)).await;
    shift("otp_codes", "created_at", chrono::Duration::hours(3)).await;
    shift("sessions", "expires_at", chrono::Duration::minutes(1)).await;
    let purged = app::services::auth::purge_expired(&app.state).await.unwrap();
    assert_eq!((purged.sessions, purged.codes, purged.messages), (1, 1, 1));
    let bodies: Vec<String> = app::store::with_pool!(&app.state.db, p => sqlx::query_scalar(
        "SELECT body FROM sms_outbox").fetch_all(p).await)
    .unwrap();
    assert!(bodies.iter().all(|b| !b.contains(&code)), "{bodies:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM otp_codes").await, 0);
    app.stop().await;
}

async fn per_client_limits_hold_and_follow_trusted_proxies(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = crate::common::spawn_with(db, |url| {
        crate::common::production_config_with(
            url,
            &[
                ("CANBAO_RATE_LIMITS", "quote=3,sign_in=2"),
                ("CANBAO_TRUSTED_PROXIES", "127.0.0.1"),
            ],
        )
    })
    .await;
    let quote = |client: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/quote"))
            .header("X-Forwarded-For", format!("198.51.100.99, {client}"))
            .json(&serde_json::json!({"policy": "lishi-2023", "paid_on": "2022-10-08",
                "person": {"id_number": "14110219900101123X", "categories": []}}));
        async move { req.send().await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(quote("203.0.113.7").await.status(), 200);
    }
    let res = quote("203.0.113.7").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("请求过于频繁"));
    // Another client behind the same proxy has its own allowance (the spoofable leftmost
    // entry is the same for both and does not count).
    assert_eq!(quote("203.0.113.8").await.status(), 200);
    // Staff sign-in: two tries a minute here, then 429 before any password is checked.
    for want in [401, 401, 429] {
        let res = app
            .client
            .post(app.url("/api/v1/sessions"))
            .header("X-Forwarded-For", "203.0.113.9")
            .json(&serde_json::json!({"username": "nobody", "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), want);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'").await,
        2,
        "the refused try reached nothing"
    );
    // The audit log records the forwarded client, not the proxy.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE client_ip = '203.0.113.9'").await,
        2
    );
    app.stop().await;
}

async fn the_audit_log_is_hash_chained_and_verified(backend: Backend) {
    let app = spawn_app(backend).await;
    crate::common::bearer(&app, "admin").await;
    crate::common::bearer(&app, "bureau_lishi").await;
    let now = app.state.clock.now();
    let report = app::services::audit::verify_chain(&app.state.db, now).await.unwrap();
    assert!(report.verified >= 2 && report.broken_at.is_none(), "{report:?}");
    // New rows join the chain on the next round.
    crate::common::bearer(&app, "civil_lishi").await;
    assert_eq!(app::services::audit::seal(&app.state.db, now).await.unwrap(), 1);
    let verify = || {
        server_binary()
            .arg("verify-audit")
            .env("DATABASE_URL", &app.db.url)
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

    // Someone with the database's owner rights gets round the append-only trigger and
    // rewrites a sealed row: the chain says where.
    let tamper = match backend {
        Backend::Sqlite => vec![
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET client_ip = '10.9.9.9' WHERE id = (SELECT MIN(id) + 1 FROM audit_log)",
        ],
        Backend::Postgres => vec![
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "UPDATE audit_log SET client_ip = '10.9.9.9' WHERE id = (SELECT MIN(id) + 1 FROM audit_log)",
        ],
    };
    for sql in tamper {
        app::store::with_pool!(&app.state.db, p => sqlx::query(sql).execute(p).await.map(|_| ())).unwrap();
    }
    let report = app::services::audit::verify_chain(&app.state.db, now).await.unwrap();
    let (seq, why) = report.broken_at.expect("the change is found");
    assert_eq!(seq, 2, "{why}");
    assert!(why.contains("changed"), "{why}");
    assert_eq!(report.verified, 1);
    let out = verify();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken at seal 2"));
    app.stop().await;
}
