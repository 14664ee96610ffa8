//! Staff-authored policy packs (issue 26) over HTTP, on both databases: a bureau officer
//! drafts next year's pack from the last, edits it through the page's form, is refused while
//! it has problems, submits; another officer approves and publishes; the pack is offered
//! from its collection's first day and prices enrolments then, keeping its version; a
//! correction is the next version, with its reason; published versions never change.

use crate::common::{actor, bearer, count, get, post, spawn_with, test_config_with, upload, Backend, TestApp};
use serde_json::{json, Value};

both_backends! {
    a_pack_is_drafted_reviewed_published_and_priced_on_its_date,
    the_author_cannot_review_or_publish_and_problems_block_submission,
    a_correction_is_a_new_version_with_its_reason,
    a_pack_file_is_imported_or_refused_by_line,
}

async fn form(app: &TestApp, auth: &str, id: i64, fields: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/policy-drafts/{id}/form")))
        .header("Authorization", auth)
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn app_on(backend: Backend, today: &str) -> TestApp {
    let db = crate::common::TestDb::new(backend).await;
    let today = today.to_owned();
    spawn_with(db, move |url| test_config_with(url, &[("CANBAO_TODAY", &today)])).await
}

/// Starts lishi-2024 from lishi-2023 as `bureau_lishi`, at 380 with 低保 paying 380 − 280.
async fn draft_2024(app: &TestApp, author: &str) -> i64 {
    let (status, d) = post(app, author, "/api/v1/policy-drafts", &json!({"from": "lishi-2023"})).await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, d) = form(
        app,
        author,
        id,
        &[
            ("tiers[0].personal.value", "380"),
            ("categories[3].mode", "fixed"),
            ("categories[3].amount", "280"),
            ("periods[0].end", "2023-12-31"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{d}");
    id
}

async fn a_pack_is_drafted_reviewed_published_and_priced_on_its_date(backend: Backend) {
    let app = app_on(backend, "2022-10-08").await;
    let author = bearer(&app, "bureau_lishi").await;
    let reviewer = bearer(&app, "bureau_lishi2").await;
    let id = draft_2024(&app, &author).await;

    let (status, d) = get(&app, &author, &format!("/api/v1/policy-drafts/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(d["pack_id"], "lishi-2024");
    assert_eq!(d["status"], "draft");
    assert_eq!(d["pack"]["insurance_year"], 2024);
    // The dates moved a year; the edits are in.
    assert_eq!(d["pack"]["periods"][0]["start"], "2023-09-01");
    assert_eq!(d["pack"]["periods"][0]["end"], "2023-12-31");
    assert_eq!(d["pack"]["tiers"][0]["personal"]["value"], "380.00");
    assert_eq!(d["pack"]["categories"][3]["mode"], "fixed");
    assert_eq!(d["problems"], json!([]));

    // The page shows the difference and the sample people side by side: 低保 70 → 100.
    let view = app::services::policies::drafts::view(&app.state, &actor(&app, "bureau_lishi").await, id, None)
        .await
        .unwrap();
    let standard = view
        .changes
        .iter()
        .find(|c| c.path == "tiers[0].personal.value")
        .unwrap();
    assert_eq!(
        (standard.before.as_deref(), standard.after.as_deref()),
        (Some("350.00"), Some("380.00"))
    );
    let dibao = view.samples.iter().find(|s| s.category == "minimum_living").unwrap();
    assert_eq!(dibao.before.personal_due.as_deref(), Some("70.00"));
    assert_eq!(dibao.after.personal_due.as_deref(), Some("100.00"));
    let plain = view.samples.iter().find(|s| s.category.is_empty()).unwrap();
    assert_eq!(plain.after.personal_due.as_deref(), Some("380.00"));

    let (status, d) = post(&app, &author, &format!("/api/v1/policy-drafts/{id}/submit"), &json!({})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "submitted");
    // Submitted: no longer editable.
    let (status, _) = form(&app, &author, id, &[("tiers[0].personal.value", "390")]).await;
    assert_eq!(status, 409);
    let (status, d) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "approved");
    let (status, d) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "published");
    assert_eq!(d["published_version"], 1);
    for action in [
        "policy_draft_created",
        "policy_draft_updated",
        "policy_draft_submitted",
        "policy_draft_approved",
        "policy_published",
    ] {
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
            )
            .await,
            1,
            "{action}"
        );
    }

    // Before its collection opens it is not offered: not listed, not quoted.
    let listed: Vec<Value> = app.get_json("/api/v1/policies").await;
    assert!(!listed.iter().any(|p| p["id"] == "lishi-2024"));
    let (status, _) = post(
        &app,
        &author,
        "/api/v1/quote",
        &json!({"policy": "lishi-2024", "person": {"birth_date": "1980-01-01"}, "paid_on": "2023-09-15"}),
    )
    .await;
    assert_eq!(status, 404);
    // Published versions never change.
    let changed = app::with_pool!(&app.state.db, p => sqlx::query("UPDATE policy_versions SET body = '{}'").execute(p).await.map(|_| ()));
    assert!(changed.is_err(), "policy_versions refused the update");

    // On its date (another server over the same database, its clock a year on), residents
    // are offered it and an enrolment is priced at 380 with the version it was priced with.
    let db = app.stop_keeping_db().await;
    let app = spawn_with(db, |url| test_config_with(url, &[("CANBAO_TODAY", "2023-09-15")])).await;
    let listed: Vec<Value> = app.get_json("/api/v1/policies").await;
    let offered = listed
        .iter()
        .find(|p| p["id"] == "lishi-2024")
        .expect("lishi-2024 offered");
    assert_eq!(offered["version"], 1);
    assert_eq!(offered["tiers"][0]["personal"]["value"], "380.00");
    let cadre = bearer(&app, "cadre_dongguan").await;
    let (status, sub) = post(
        &app,
        &cadre,
        "/api/v1/enrollments",
        &json!({"area_code": crate::common::VILLAGE,
                "members": [{"id_number": crate::common::ADULT, "name": "陈建国", "hospitals": [crate::common::HOSPITAL]}]}),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["policy"], "lishi-2024");
    assert_eq!(sub["insurance_year"], 2024);
    assert_eq!(sub["enrollments"][0]["personal_due"], "380.00");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM enrolments WHERE policy_id = 'lishi-2024' AND policy_version = 1"
        )
        .await,
        1
    );
    app.stop().await;
}

async fn the_author_cannot_review_or_publish_and_problems_block_submission(backend: Backend) {
    let app = app_on(backend, "2022-10-08").await;
    let author = bearer(&app, "bureau_lishi").await;
    let reviewer = bearer(&app, "bureau_lishi2").await;
    let beijing = bearer(&app, "bureau_beijing").await;
    let civil = bearer(&app, "civil_lishi").await;
    let id = draft_2024(&app, &author).await;

    // Another area's officer does not see it; a department officer may not draft at all.
    let (status, _) = get(&app, &beijing, &format!("/api/v1/policy-drafts/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = post(&app, &civil, "/api/v1/policy-drafts", &json!({"from": "lishi-2023"})).await;
    assert_eq!(status, 403);
    let (status, e) = post(&app, &beijing, "/api/v1/policy-drafts", &json!({"from": "lishi-2023"})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("from")));

    // A value that does not read names its field and changes nothing.
    let (status, e) = form(&app, &author, id, &[("tiers[0].personal.value", "三百八十")]).await;
    assert_eq!(status, 422);
    assert_eq!(e["error"]["field"], "tiers[0].personal.value");
    assert!(e["error"]["message"].as_str().unwrap().contains("不是金额"), "{e}");
    let (_, d) = get(&app, &author, &format!("/api/v1/policy-drafts/{id}")).await;
    assert_eq!(d["pack"]["tiers"][0]["personal"]["value"], "380.00");

    // A period that ends before it starts is saved as a problem, and blocks submission.
    let (status, d) = form(&app, &author, id, &[("periods[0].end", "2023-08-01")]).await;
    assert_eq!(status, 200);
    assert_eq!(d["problems"][0]["field"], "periods[0].end");
    let (status, e) = post(&app, &author, &format!("/api/v1/policy-drafts/{id}/submit"), &json!({})).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "periods[0].end");
    assert!(e["error"]["message"].as_str().unwrap().contains("不能提交"), "{e}");
    let (status, _) = form(&app, &author, id, &[("periods[0].end", "2023-12-31")]).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, &author, &format!("/api/v1/policy-drafts/{id}/submit"), &json!({})).await;
    assert_eq!(status, 200);

    // The author may not approve their own draft; returning needs a reason.
    let (status, e) = post(
        &app,
        &author,
        &format!("/api/v1/policy-drafts/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("own_draft")));
    let (status, e) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/return"),
        &json!({}),
    )
    .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("note")));
    let (status, d) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/return"),
        &json!({"note": "请核对缴费期"}),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["status"].as_str(), d["review_note"].as_str()),
        (Some("returned"), Some("请核对缴费期"))
    );
    // Returned: editable again, and submitted again.
    let (status, _) = form(&app, &author, id, &[("periods[0].end", "2023-12-30")]).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, &author, &format!("/api/v1/policy-drafts/{id}/submit"), &json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200);
    // Nor may the author publish it; and a date after the collection closes is refused.
    let (status, _) = post(
        &app,
        &author,
        &format!("/api/v1/policy-drafts/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, e) = post(
        &app,
        &reviewer,
        &format!("/api/v1/policy-drafts/{id}/publish"),
        &json!({"offered_from": "2025-01-01"}),
    )
    .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("offered_from")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM policy_versions").await, 0);
    // The list shows the draft to staff in scope only, marked as a draft.
    let (_, mine) = get(&app, &author, "/api/v1/policies").await;
    let listed = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "lishi-2024")
        .unwrap();
    assert_eq!(listed["status"], "approved");
    let (_, theirs) = get(&app, &beijing, "/api/v1/policies").await;
    assert!(!theirs.as_array().unwrap().iter().any(|p| p["id"] == "lishi-2024"));
    app.stop().await;
}

async fn a_correction_is_a_new_version_with_its_reason(backend: Backend) {
    let app = app_on(backend, "2022-10-08").await;
    let author = bearer(&app, "bureau_lishi").await;
    let reviewer = bearer(&app, "bureau_lishi2").await;
    // A correction of the seed pack itself: same id and year.
    let (status, d) = post(
        &app,
        &author,
        "/api/v1/policy-drafts",
        &json!({"from": "lishi-2023", "year": 2023}),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (_, d) = form(&app, &author, id, &[("categories[5].amount", "30")]).await;
    assert_eq!(d["pack_id"], "lishi-2023");
    assert_eq!(d["problems"][0]["field"], "reason");
    let (status, e) = post(&app, &author, &format!("/api/v1/policy-drafts/{id}/submit"), &json!({})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("reason")));
    let (status, _) = form(&app, &author, id, &[("reason", "更正返贫致贫人口个人缴费金额")]).await;
    assert_eq!(status, 200);
    for (who, step) in [(&author, "submit"), (&reviewer, "approve"), (&reviewer, "publish")] {
        let (status, d) = post(&app, who, &format!("/api/v1/policy-drafts/{id}/{step}"), &json!({})).await;
        assert_eq!(status, 200, "{step}: {d}");
    }
    // The seed pack is version 1; the correction is 2, and is what prices from now on.
    let policies = app.state.policies.current();
    assert_eq!(policies.get("lishi-2023").unwrap().version, 2);
    assert_eq!(
        policies.version("lishi-2023", 1).unwrap().categories[5].subsidy,
        domain::policy::SubsidyMode::PersonalPays {
            amount: domain::Money::yuan(35)
        }
    );
    let (_, quote) = post(
        &app,
        &author,
        "/api/v1/quote",
        &json!({"policy": "lishi-2023", "person": {"birth_date": "1980-01-01", "categories": ["returned_to_poverty"],
            "certified_on": "2022-01-01"}, "paid_on": "2022-10-08"}),
    )
    .await;
    assert_eq!(quote["personal_due"], "30.00", "{quote}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM policy_versions WHERE pack_id = 'lishi-2023' AND version = 2 AND reason IS NOT NULL"
        )
        .await,
        1
    );
    // The export carries the version.
    let text = app.page("/api/v1/policies/lishi-2023?format=toml").await;
    assert!(text.contains("version = 2"), "{text}");
    app.stop().await;
}

async fn a_pack_file_is_imported_or_refused_by_line(backend: Backend) {
    let app = app_on(backend, "2022-10-08").await;
    let author = bearer(&app, "bureau_lishi").await;
    let seed = app::services::policies::export_pack(
        app::services::policies::PolicyRegistry::embedded()
            .get("lishi-2023")
            .unwrap(),
    )
    .unwrap();
    let next = seed
        .replace("id = \"lishi-2023\"", "id = \"lishi-2024\"")
        .replace("insurance_year = 2023", "insurance_year = 2024");
    let (status, d) = upload(
        &app,
        &author,
        "/api/v1/policy-drafts/import?file_name=lishi-2024.toml",
        next.into_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (_, d) = get(&app, &author, &format!("/api/v1/policy-drafts/{id}")).await;
    // Copied from the latest earlier pack of the same areas, so the difference is shown.
    assert_eq!(d["base"], "lishi-2023 v1");
    // Its periods still lie in 2022: imported as it is, the engine's checks say nothing
    // against that, but the year is the file's.
    assert_eq!(d["pack"]["insurance_year"], 2024);

    let broken = seed.replace("insurance_year = 2023", "insurance_year = \"soon\"");
    let (status, e) = upload(
        &app,
        &author,
        "/api/v1/policy-drafts/import?file_name=x.toml",
        broken.into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["error"]["field"], "file");
    assert!(e["error"]["message"].as_str().unwrap().contains("x.toml 第"), "{e}");
    let weifang = app::services::policies::export_pack(
        app::services::policies::PolicyRegistry::embedded()
            .get("weifang-2021")
            .unwrap(),
    )
    .unwrap();
    let (status, e) = upload(
        &app,
        &author,
        "/api/v1/policy-drafts/import?file_name=w.toml",
        weifang.into_bytes(),
    )
    .await;
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("area_codes")));
    let (status, _) = upload(
        &app,
        &author,
        "/api/v1/policy-drafts/import?file_name=big.toml",
        vec![b'#'; app::services::policies::drafts::MAX_PACK_BYTES + 1],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM policy_drafts").await, 1);
    app.stop().await;
}
