//! The running server, end to end over HTTP, against SQLite and PostgreSQL.

use crate::common::{resident_token, spawn_app, Backend};
use app::api::{RequestCode, StaffSignIn, VerifyCode};
use leptos::server_fn::ServerFn;
use serde_json::Value;

both_backends! {
    health_answers_ok,
    home_page_is_server_rendered_in_chinese_with_demo_date,
    preferences_switch_language_and_elder_mode,
    unknown_routes_get_a_styled_404,
    staff_sign_in_counts_failures_and_locks,
    resident_signs_in_with_a_one_time_code,
    one_time_codes_expire_and_are_rate_limited,
    cross_origin_posts_are_refused,
    areas_api_serves_the_hierarchy,
    a_refused_form_comes_back_as_it_was_typed,
}

async fn health_answers_ok(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    let res = app.client.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "endpoint_not_found");
    assert_eq!(body["error"]["message"], "接口不存在");
    app.stop().await;
}

async fn home_page_is_server_rendered_in_chinese_with_demo_date(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh-CN""#), "{html}");
    assert!(html.contains("城乡居民医保，一站办理"));
    assert!(html.contains("演示日期：2022-10-08"), "pinned date banner");
    assert!(html.contains("居民登录") && html.contains("工作人员登录"));
    assert!(html.contains("/pkg/canbao.js"), "hydration script is referenced");
    app.stop().await;
}

async fn preferences_switch_language_and_elder_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .post(app.url("/prefs"))
        .form(&[("lang", "en"), ("back", "/login/staff")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login/staff");
    let html = app.page("/login/staff").await;
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Staff sign-in"));
    assert!(!html.contains(r#"class="elder""#));

    let res = app
        .client
        .post(app.url("/prefs"))
        .form(&[("elder", "1"), ("back", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/", "no open redirect");
    let html = app.page("/").await;
    assert!(
        html.contains(r#"<body class="elder""#),
        "elder mode rendered by the server"
    );
    assert!(html.contains("Standard type"), "switch offers the way back");
    app.stop().await;
}

async fn unknown_routes_get_a_styled_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("页面不存在"));
    assert!(html.contains("/pkg/canbao.css"), "styled like every page");
    app.stop().await;
}

async fn sign_in(app: &crate::common::TestApp, user: &str, password: &str) -> reqwest::Response {
    app.server_fn(StaffSignIn::PATH, &[("username", user), ("password", password)])
        .await
}

async fn error_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn staff_sign_in_counts_failures_and_locks(backend: Backend) {
    let app = spawn_app(backend).await;
    // Unknown user and wrong password answer alike.
    let (status, body) = error_of(sign_in(&app, "nobody", "x").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["Unauthorized"]["zh"], "用户名或密码错误");
    let (status, body) = error_of(sign_in(&app, "bureau_lishi", "wrong").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["Unauthorized"]["zh"], "用户名或密码错误，还可以再试4次");
    assert_eq!(body["Unauthorized"]["field"], "password");
    let (status, body) = error_of(sign_in(&app, "bureau_lishi", "").await).await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["field"], "password");

    // A browser without JavaScript is sent back to the form with the error in the URL.
    let res = app
        .client
        .post(app.url(StaffSignIn::PATH))
        .header("Accept", "text/html")
        .header("Referer", app.url("/login/staff"))
        .form(&[("username", "bureau_lishi"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&app.url("/login/staff?")) && back.contains("__err="),
        "{back}"
    );
    let html = app.client.get(&back).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("用户名或密码错误，还可以再试3次"),
        "the form page shows the error"
    );

    // The right password resets the count and opens a session.
    let res = sign_in(&app, "bureau_lishi", app::services::seed::DEMO_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("canbao_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let html = app.page("/work").await;
    assert!(html.contains("离石区医保局 王敏"), "workbench names the officer");
    assert!(html.contains("吕梁市 › 离石区"), "scope path");
    assert!(
        html.contains("滨河街道") && html.contains("22611"),
        "townships with targets"
    );
    assert!(!html.contains("北京市"), "out-of-scope areas are not listed");

    // Five wrong passwords in a row lock the account, even for the right password.
    for left in (1..=4).rev() {
        let (status, body) = error_of(sign_in(&app, "civil_lishi", "nope").await).await;
        assert_eq!(status, 401);
        assert_eq!(
            body["Unauthorized"]["zh"],
            format!("用户名或密码错误，还可以再试{left}次")
        );
    }
    let (status, body) = error_of(sign_in(&app, "civil_lishi", "nope").await).await;
    assert_eq!(status, 429);
    assert!(body["TooManyRequests"]["zh"].as_str().unwrap().contains("锁定"));
    let (status, _) = error_of(sign_in(&app, "civil_lishi", app::services::seed::DEMO_PASSWORD).await).await;
    assert_eq!(status, 429, "locked accounts stay locked");
    let failures = app::services::audit::store::count_action(&app.state.db, "sign_in_failed")
        .await
        .unwrap();
    assert_eq!(failures, 8, "every failure is audited");

    // A resident's phone cannot be used as a staff username.
    let (status, _) = error_of(sign_in(&app, "13800000001", "x").await).await;
    assert_eq!(status, 401);
    app.stop().await;
}

async fn demo_code_from_outbox(app: &crate::common::TestApp, phone: &str) -> String {
    app::services::auth::demo_code(&app.state, phone)
        .await
        .unwrap()
        .expect("a code in the outbox")
}

async fn resident_signs_in_with_a_one_time_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app::services::seed::DEMO_RESIDENT_PHONE;
    let (status, body) = error_of(app.server_fn(RequestCode::PATH, &[("phone", "12345")]).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["field"], "phone");
    assert_eq!(body["Invalid"]["zh"], "手机号码应为以1开头的11位数字");

    // As a browser without JavaScript posts it: a real redirect to the code page.
    let res = app
        .client
        .post(app.url(RequestCode::PATH))
        .header("Accept", "text/html")
        .header("Referer", app.url("/login/resident"))
        .form(&[("phone", phone)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "moves on to the code page");
    // The phone waits in an HttpOnly cookie, never in the URL.
    assert_eq!(res.headers()["location"], "/login/resident/verify");
    let pending = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("canbao_pending_phone="))
        .expect("the pending phone cookie");
    assert!(
        pending.contains("HttpOnly") && pending.contains("Max-Age=300"),
        "{pending}"
    );
    let code = demo_code_from_outbox(&app, phone).await;
    assert_eq!(code.len(), 6);

    // The verify page shows the outbox code in demo mode, for the phone in the cookie.
    let html = app.page("/login/resident/verify").await;
    assert!(html.contains("138****0001"));
    assert!(html.contains(&code));
    // Without the cookie (another browser) it shows neither.
    let stranger = reqwest::Client::new();
    let html = stranger
        .get(app.url("/login/resident/verify"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("138****0001") && !html.contains(&code));
    assert!(html.contains("no-pending-code"));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", wrong)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["zh"], "验证码不正确，还可以再试4次");
    let (status, body) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", "12a")])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["field"], "code");

    // The form sends only the code: the phone comes from the pending cookie.
    let res = app.server_fn(VerifyCode::PATH, &[("code", &code)]).await;
    // As the hydrated page calls it: 200 and a Location for client-side navigation.
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["location"], "/coverage");
    let html = app.page("/account").await;
    assert!(html.contains("张秀英"), "the demo resident's account");
    assert!(!html.contains("13800000001"), "phone is masked");

    // A used code cannot be used again.
    let (status, body) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", &code)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["code"], "code_expired");

    // A new phone number gets a resident account on first sign-in.
    let other = "13912345678";
    app.server_fn(RequestCode::PATH, &[("phone", other)]).await;
    let code = demo_code_from_outbox(&app, other).await;
    let res = app
        .server_fn(VerifyCode::PATH, &[("phone", other), ("code", &code)])
        .await;
    assert_eq!(res.status(), 200);
    let acct = app::services::auth::store::by_phone(&app.state.db, other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acct.role, "resident");
    app.stop().await;
}

async fn one_time_codes_expire_and_are_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = "13700000002";
    app.server_fn(RequestCode::PATH, &[("phone", phone)]).await;
    // A second request within a minute is refused, and nothing new is sent.
    let (status, body) = error_of(app.server_fn(RequestCode::PATH, &[("phone", phone)]).await).await;
    assert_eq!(status, 429);
    assert_eq!(body["TooManyRequests"]["field"], "phone");

    // Five wrong tries exhaust the code, and then even the right one is refused.
    let code = demo_code_from_outbox(&app, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let (status, _) = error_of(
            app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", wrong)])
                .await,
        )
        .await;
        assert_eq!(status, 422);
    }
    let (status, _) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", wrong)])
            .await,
    )
    .await;
    assert_eq!(status, 429);
    let (status, body) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", &code)])
            .await,
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["TooManyRequests"]["code"], "code_tries_exhausted");
    assert!(
        app::services::auth::store::by_phone(&app.state.db, phone)
            .await
            .unwrap()
            .is_none(),
        "no account created"
    );

    // An expired code is refused with its own message.
    let phone = "13700000003";
    app.server_fn(RequestCode::PATH, &[("phone", phone)]).await;
    let code = demo_code_from_outbox(&app, phone).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(6);
    app::store::with_pool!(&app.state.db, p => sqlx::query("UPDATE otp_codes SET expires_at = $1 WHERE phone = $2")
        .bind(past).bind(phone).execute(p).await.map(|_| ()))
    .unwrap();
    let (status, body) = error_of(
        app.server_fn(VerifyCode::PATH, &[("phone", phone), ("code", &code)])
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["zh"], "验证码已过期或未获取，请重新获取");

    // Codes are stored hashed, never in clear.
    let stored: Vec<String> =
        app::store::with_pool!(&app.state.db, p => sqlx::query_scalar("SELECT code_hash FROM otp_codes")
        .fetch_all(p).await)
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 64 && h != &code));
    app.stop().await;
}

async fn cross_origin_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .post(app.url(StaffSignIn::PATH))
        .header("Origin", "http://evil.example")
        .form(&[("username", "admin"), ("password", app::services::seed::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_origin");
    // Same origin is fine.
    let res = app
        .client
        .post(app.url(StaffSignIn::PATH))
        .header("Origin", app.base.clone())
        .header("Accept", "application/json")
        .form(&[("username", "admin"), ("password", app::services::seed::DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

async fn areas_api_serves_the_hierarchy(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/api/v1/areas/141102001")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "滨河街道");
    assert_eq!(body["level"], "township");
    assert_eq!(body["target"]["count"], 22611);
    assert_eq!(body["target"]["notice"], "离政办发〔2022〕34号");
    let res = app.client.get(app.url("/api/v1/areas/999999")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "未找到区划代码 999999");
    let all: Vec<Value> = app.get_json("/api/v1/areas").await;
    let lishi_total: i64 = all
        .iter()
        .filter(|a| a["parent"] == "141102")
        .filter_map(|a| a["target"]["count"].as_i64())
        .sum();
    assert_eq!(lishi_total, 199_200);
    app.stop().await;
}

/// A plain form post the server refuses (no JavaScript, or a form outside an island) comes
/// back to its page with what was typed still in it, the problem summed up at the top, and
/// the field focused; the ID number never goes into the URL or a cookie (issue 25 §3).
async fn a_refused_form_comes_back_as_it_was_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = resident_token(&app, "13900000099").await;
    let session = format!(
        "{}={}",
        app::services::auth::SESSION_COOKIE,
        token.trim_start_matches("Bearer ")
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mistyped = "141102198511200037";
    let res = client
        .post(app.url(app::api::coverage::RegisterMe::PATH))
        .header("Cookie", &session)
        .header("Accept", "text/html")
        .header("Referer", app.url("/coverage"))
        .form(&[
            ("name", "陈建国"),
            ("id_number", mistyped),
            ("area_code", "141102001001"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with("canbao_typed=") && set_cookie.contains("HttpOnly"),
        "{set_cookie}"
    );
    assert!(
        !location.contains(mistyped) && !set_cookie.contains(mistyped),
        "no ID number in URL or cookie"
    );
    let kept = set_cookie.split(';').next().unwrap().to_owned();
    let page = |cookies: String| {
        let client = client.clone();
        let url = if location.starts_with("http") {
            location.clone()
        } else {
            app.url(&location)
        };
        async move {
            client
                .get(url)
                .header("Cookie", cookies)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(format!("{session}; {kept}")).await;
    assert!(html.contains(r#"value="陈建国""#), "the name is kept");
    assert!(
        html.contains(&format!(r#"value="{mistyped}""#)),
        "the number is kept, to correct one digit"
    );
    assert!(html.contains(r#"value="141102001001" selected"#), "the village is kept");
    assert!(
        html.contains("data-testid=\"error-summary\""),
        "the top says what went wrong"
    );
    let focused = html
        .split("<input")
        .find(|i| i.contains("autofocus"))
        .unwrap_or_default();
    assert!(
        focused.contains(r#"id="id_number""#),
        "the refused field is focused: {focused}"
    );
    // Taken once: the form is not shown again to whoever loads the page next.
    let again = page(format!("{session}; {kept}")).await;
    assert!(!again.contains("陈建国"));
    app.stop().await;
}
