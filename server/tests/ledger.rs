//! The unenrolled ledger: who is not enrolled, why, the cadres' visits and the month's
//! comparison, on SQLite and PostgreSQL (pinned date 2022-10-08, Lishi).

mod common;

use common::{bearer, get, post, spawn_app, Backend};
use serde_json::{json, Value};

both_backends! { the_ledger_lists_the_unenrolled_in_order_and_records_visits }

const ADULT: &str = "141102198511200036";
const VILLAGE: &str = "141102001001";

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
    assert_eq!(names(&list), ["张秀英", "李凤英", "王德顺", "赵德明"]);
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
    assert_eq!(month["reasons_changed"], 1);
    assert_eq!(month["by_reason"], json!([["declined", 1], ["not_contacted", 3]]));

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
    assert_eq!(visits, 1);
    app.stop().await;
}
