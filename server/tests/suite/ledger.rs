//! The unenrolled ledger: who is not enrolled, why, the cadres' visits and the month's
//! comparison, on SQLite and PostgreSQL (pinned date 2022-10-08, Lishi).

use crate::common::{actor, bearer, get, post, spawn_app, Backend, ADULT, VILLAGE};
use serde_json::{json, Value};

both_backends! {
    the_ledger_lists_the_unenrolled_in_order_and_records_visits,
    a_roster_registers_the_people_a_township_lists,
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_ledger_lists_the_unenrolled_in_order_and_records_visits(backend: Backend) {
    let app = spawn_app(backend).await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let bureau = bearer(&app, "bureau_lishi").await;

    let (status, list) = get(&app, &cadre, "/api/v1/ledger").await;
    assert_eq!(status, 200, "{list}");
    // The demo people of 东关社区, none enrolled; 孙玉山 lives in another village.
    assert_eq!(names(&list), ["张秀英", "李凤英", "王德顺", "赵德明"]);
    assert_eq!(list[3]["reason"], "not_contacted");
    assert_eq!(list[3]["insurance_year"], 2023);
    assert_eq!(list[3]["id_number_masked"], "1411**********0013");
    let zhao = list[3]["person_id"].as_i64().unwrap();
    let (li, wang) = (
        list[1]["person_id"].as_i64().unwrap(),
        list[2]["person_id"].as_i64().unwrap(),
    );
    let (_, all) = get(&app, &bureau, "/api/v1/ledger").await;
    assert!(names(&all).contains(&"孙玉山".to_owned()), "{all}");

    // A submitted but unpaid enrolment goes to the top: a reminder closes it.
    let (status, sub) = post(&app, &cadre, "/api/v1/enrollments", &json!({"area_code": VILLAGE, "members": [{"id_number": ADULT, "name": "陈建国", "hospitals": ["H141102001"]}]})).await;
    assert_eq!(status, 201, "{sub}");
    let (status, entry) = post(
        &app,
        &cadre,
        &format!("/api/v1/ledger/{zhao}/visits"),
        &json!({"outcome": "declined", "note": "外出务工，春节回来再办"}),
    )
    .await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["reason"], "declined");
    assert_eq!(entry["visits"], 1);
    assert_eq!(entry["last_visit"], "2022-10-08");
    let (_, list) = get(&app, &cadre, "/api/v1/ledger").await;
    // Unpaid first, never contacted next, the one who declined last.
    assert_eq!(names(&list), ["陈建国", "张秀英", "李凤英", "王德顺", "赵德明"]);
    assert_eq!(list[0]["unpaid_enrolment"], true);
    let (_, declined) = get(&app, &cadre, "/api/v1/ledger?reason=declined").await;
    assert_eq!(names(&declined), ["赵德明"]);
    assert_eq!(declined[0]["visits"], 1, "filtered by reason, the visits still count");
    assert_eq!(declined[0]["last_visit"], "2022-10-08");

    // 已联系 and 承诺缴费: a promise comes right after the unpaid (a reminder settles it), a
    // contact after the never contacted.
    for (who, outcome) in [(wang, "promised"), (li, "contacted")] {
        let (status, entry) = post(
            &app,
            &cadre,
            &format!("/api/v1/ledger/{who}/visits"),
            &json!({"outcome": outcome}),
        )
        .await;
        assert_eq!(status, 201, "{entry}");
        assert_eq!(entry["reason"], outcome);
    }
    let (_, list) = get(&app, &cadre, "/api/v1/ledger").await;
    assert_eq!(names(&list), ["陈建国", "王德顺", "张秀英", "李凤英", "赵德明"]);
    let (_, promised) = get(&app, &cadre, "/api/v1/ledger?reason=promised").await;
    assert_eq!(names(&promised), ["王德顺"]);

    // The workbench counts what waits, each kind for the roles that do it.
    let todo = app::services::work::todo(&app.state, &actor(&app, "cadre_dongguan").await)
        .await
        .unwrap();
    let count = |k: &str| todo.iter().find(|i| i.kind == k).map(|i| i.count);
    assert_eq!(count("ledger_unpaid"), Some(1), "陈建国 submitted and did not pay");
    assert_eq!(
        count("ledger_not_contacted"),
        Some(1),
        "张秀英; the others were visited"
    );
    assert_eq!(count("certifications"), None, "a cadre takes no certification step");
    let bureau_todo = app::services::work::todo(&app.state, &actor(&app, "bureau_lishi").await)
        .await
        .unwrap();
    let kinds: Vec<&str> = bureau_todo.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "certifications",
            "ledger_unpaid",
            "ledger_not_contacted",
            "list_review",
            "payment_exceptions",
            "adjustments",
            "policy_drafts"
        ]
    );

    // Paying takes 陈建国 off the ledger; a visit for him is refused.
    let household = sub["household_id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &cadre,
        &format!("/api/v1/households/{household}/cash"),
        &json!({"amount": "350.00"}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, list) = get(&app, &cadre, "/api/v1/ledger").await;
    assert_eq!(names(&list), ["王德顺", "张秀英", "李凤英", "赵德明"]);
    let chen = sub["enrollments"][0]["person_id"].as_i64().unwrap();
    let (status, err) = post(
        &app,
        &cadre,
        &format!("/api/v1/ledger/{chen}/visits"),
        &json!({"outcome": "declined"}),
    )
    .await;
    assert_eq!(status, 409, "{err}");

    let (status, month) = get(&app, &cadre, "/api/v1/ledger/changes?month=2022-10").await;
    assert_eq!(status, 200, "{month}");
    assert_eq!(month["newly_enrolled"], 1);
    assert_eq!(month["reasons_changed"], 3);
    assert_eq!(
        month["by_reason"],
        json!([["contacted", 1], ["declined", 1], ["not_contacted", 1], ["promised", 1]])
    );

    // Bad input: nothing written.
    let sun: i64 = app::with_pool!(&app.state.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM people WHERE id_number = '141102194702150037'").fetch_one(p).await)
    .unwrap();
    for (path, body, want, field) in [
        (
            format!("/api/v1/ledger/{zhao}/visits"),
            json!({"outcome": "gone"}),
            422,
            "outcome",
        ),
        (
            format!("/api/v1/ledger/{zhao}/visits"),
            json!({"outcome": "declined", "visited_on": "2022-10-09"}),
            422,
            "visited_on",
        ),
        (
            format!("/api/v1/ledger/{sun}/visits"),
            json!({"outcome": "declined"}),
            403,
            "",
        ),
        (
            "/api/v1/ledger/999999/visits".to_owned(),
            json!({"outcome": "declined"}),
            404,
            "",
        ),
    ] {
        let (status, err) = post(&app, &cadre, &path, &body).await;
        assert_eq!(status, want, "{body}: {err}");
        if !field.is_empty() {
            assert_eq!(err["error"]["field"], field);
        }
    }
    for (q, want) in [("month=2022-13", 422), ("month=soon", 422)] {
        let (status, _) = get(&app, &cadre, &format!("/api/v1/ledger/changes?{q}")).await;
        assert_eq!(status, want, "{q}");
    }
    let (status, _) = get(&app, &cadre, "/api/v1/ledger?reason=rich").await;
    assert_eq!(status, 422);
    let (status, _) = get(&app, &cadre, "/api/v1/ledger?area=141102002001").await;
    assert_eq!(status, 403);
    let visits: i64 =
        app::with_pool!(&app.state.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM followup_visits").fetch_one(p).await)
            .unwrap();
    assert_eq!(visits, 3);
    app.stop().await;
}

async fn upload(app: &crate::common::TestApp, auth: &str, csv: &str, html: bool) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    client
        .post(app.url("/api/v1/roster/import?file_name=roster.csv"))
        .header("Authorization", auth)
        .header("Accept", if html { "text/html" } else { "application/json" })
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

/// The roster (应参保人员): a township's list registers the people the system does not know,
/// who then appear in the ledger; any bad row and nothing is written.
async fn a_roster_registers_the_people_a_township_lists(backend: Backend) {
    let app = spawn_app(backend).await;
    let township = bearer(&app, "township_binhe").await;
    let cadre = bearer(&app, "cadre_dongguan").await;
    let people = || crate::common::count(&app, "SELECT COUNT(*) FROM people");
    let before = people().await;

    // Every problem at once, each with its line and column; nothing written.
    let bad = "乡镇街道,村社区,姓名,身份证号码,联系电话,户籍
滨河街道,东关社区,周一,141102199505056028,13800000001,本地
滨河街道,东关社区,周一,141102199505056028,,本地
滨河街道,东关社区,吴二,141102199505056037,,本地
滨河街道,西关社区,郑三,141102199505056036,,本地
滨河街道,东关社区,郑三,14110219950505601X,12345,火星
滨河街道,东关社区,孙玉山,141102194702150037,,本地
";
    let res = upload(&app, &township, bad, false).await;
    assert_eq!(res.status(), 422);
    let r: Value = res.json().await.unwrap();
    let problems = r["problems"].as_array().unwrap();
    let at = |line: u64| problems.iter().filter(|p| p["line"] == line).collect::<Vec<_>>();
    assert_eq!(at(3)[0]["outcome"], "duplicate", "{r}");
    assert_eq!(at(4)[0]["column"], "身份证号码");
    assert_eq!(at(5)[0]["column"], "村社区");
    assert_eq!(at(6).len(), 2, "phone and hukou: {r}");
    assert_eq!(
        at(7)[0]["outcome"],
        "conflict",
        "孙玉山 is registered in 凤山底社区: {r}"
    );
    assert!(at(7)[0]["message"].as_str().unwrap().contains("凤山底社区"));
    assert_eq!(at(2).len(), 0, "{r}");
    assert_eq!(people().await, before);

    // Another township's village is refused outright.
    let res = upload(
        &app,
        &township,
        "区划代码,姓名,身份证号码\n141102002001,周一,141102199505056028\n",
        false,
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(people().await, before);
    let res = upload(
        &app,
        &cadre,
        "区划代码,姓名,身份证号码\n141102001001,周一,141102199505056028\n",
        false,
    )
    .await;
    assert_eq!(res.status(), 403, "cadres keep the ledger but do not import rosters");

    // The good file: two new people (one non-local) and one known already.
    let good = "村社区,姓名,身份证号码,户籍
东关社区,周一,141102199505056028,本地
东关社区,吴二,14110219950505601X,外地
东关社区,张秀英,141102195603120021,
";
    let res = upload(&app, &township, good, false).await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!((r["added"].clone(), r["known"].clone()), (json!(2), json!(1)), "{r}");
    assert_eq!(people().await, before + 2);
    assert_eq!(
        crate::common::count(&app, "SELECT COUNT(*) FROM people WHERE id_number = '14110219950505601X' AND NOT hukou_local AND area_code = '141102001001'").await,
        1
    );
    let (_, list) = get(&app, &cadre, "/api/v1/ledger").await;
    let n = names(&list);
    assert!(
        n.contains(&"周一".to_owned()) && n.contains(&"吴二".to_owned()),
        "{list}"
    );

    // Again, from the page's plain form: nothing new, and back to the ledger.
    let res = upload(&app, &township, good, true).await;
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/ledger?imported=0&known=3");
    assert_eq!(people().await, before + 2);
    let res = upload(&app, &township, bad, true).await;
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/ledger?error="));
    assert_eq!(
        crate::common::count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'roster_imported'").await,
        2
    );
    app.stop().await;
}
