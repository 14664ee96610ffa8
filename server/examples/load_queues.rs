//! Times the staff's queue pages as a browser without JavaScript gets them: the whole
//! server-rendered page (every resource resolved), one officer per role, over a generated
//! population. Queues a list's rejected rows first so the review queue has work in it.
//! See `docs/load/queues.sh`.
//!
//! Usage: `load_queues <base-url>`

mod common;

use serde_json::Value;

const PAGES: &[(&str, &[&str])] = &[
    (
        "township_binhe",
        &["/certifications", "/certifications?status=all", "/ledger"],
    ),
    ("civil_lishi", &["/certifications", "/lists/review"]),
    (
        "bureau_lishi",
        &[
            "/certifications",
            "/certifications?status=all",
            "/ledger",
            "/ledger?reason=lost_contact",
            "/lists/review",
            "/audit",
        ],
    ),
    ("cadre_dongguan", &["/ledger"]),
];
const RUNS: usize = 9;

/// A list of `rows` rows whose ID numbers fail their check character: all go to review.
fn rejected_list(rows: u32) -> String {
    let mut out = "序号,乡镇街道,村社区,姓名,身份证号码,联系电话,动态调整类型,人员类别,动态调整时间\n".to_owned();
    for i in 0..rows {
        out.push_str(&format!(
            "{},滨河街道,东关社区,居民{i},14110219800101{:03}Y,,新增,低保,2022-09-01\n",
            i + 1,
            i % 1000
        ));
    }
    out
}

#[tokio::main]
async fn main() {
    let base = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: load_queues <base-url>");
        std::process::exit(2);
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();

    let token = common::sign_in(&client, &base, "civil_lishi").await;
    let report: Value = client
        .post(format!("{base}/api/v1/adjustment-lists?file_name=rejected.csv"))
        .bearer_auth(&token)
        .body(rejected_list(2000))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = report["import_id"].as_i64().expect("previewed");
    let res = client
        .post(format!("{base}/api/v1/adjustment-lists/{id}/apply"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "apply");

    println!("| officer | page | size | min | median | max |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (user, pages) in PAGES {
        let token = common::sign_in(&client, &base, user).await;
        for page in *pages {
            let (size, times) = common::time_page(&client, &format!("{base}{page}"), Some(&token), RUNS).await;
            println!(
                "| {user} | `{page}` | {:.0} KB | {:.0} ms | {:.0} ms | {:.0} ms |",
                size as f64 / 1024.0,
                times[0],
                times[RUNS / 2],
                times[RUNS - 1]
            );
        }
    }
}
