//! Times the resident-facing pages as a phone without JavaScript gets them: the whole
//! server-rendered HTML with every resource resolved, on the demo database. Enrols and pays
//! for one new household first (as the demo cadre), so 我的参保 and the receipt have content.
//! See `docs/load/pages.sh`.
//!
//! Usage: `load_pages <base-url> [runs]`

mod common;

use serde_json::{json, Value};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| {
        eprintln!("usage: load_pages <base-url> [runs]");
        std::process::exit(2);
    });
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(101);
    let client = reqwest::Client::new();

    // A household of two (an adult and a 低保 parent from the demo seed), enrolled and paid in cash.
    let cadre = common::sign_in(&client, &base, "cadre_dongguan").await;
    let sub: Value = client
        .post(format!("{base}/api/v1/enrollments"))
        .bearer_auth(&cadre)
        .json(&json!({"area_code": "141102001001", "members": [
            {"id_number": "141102198511200036", "name": "陈建国", "hospitals": ["H141102001"]},
            {"id_number": "141102194905060023", "name": "李凤英", "relationship": "parent", "hospitals": ["H141102001"]},
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let household = sub["household_id"].as_i64().expect("enrolled");
    let receipt: Value = client
        .post(format!("{base}/api/v1/households/{household}/cash"))
        .bearer_auth(&cadre)
        .json(&json!({"amount": sub["total_due"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let receipt_no = receipt["receipt_no"].as_str().expect("paid").to_owned();

    let pages: Vec<(&str, String)> = vec![
        ("anonymous", "/".to_owned()),
        ("anonymous", "/quote".to_owned()),
        ("anonymous", "/login/resident".to_owned()),
        ("cadre", format!("/coverage?household={household}")),
        ("cadre", format!("/receipt/{receipt_no}")),
        ("cadre", "/cadre".to_owned()),
    ];
    println!("| viewer | page | size | min | p50 | p90 | max |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (viewer, page) in &pages {
        let session = (*viewer == "cadre").then_some(cadre.as_str());
        let (size, times) = common::time_page(&client, &format!("{base}{page}"), session, runs).await;
        println!(
            "| {viewer} | `{page}` | {:.0} KB | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
            size as f64 / 1024.0,
            times[0],
            times[runs / 2],
            times[runs * 9 / 10],
            times[runs - 1]
        );
    }
}
