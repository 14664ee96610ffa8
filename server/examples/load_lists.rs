//! Times a department's adjustment list through the API: the dry run
//! (`POST /api/v1/adjustment-lists`) and the apply (`POST …/{id}/apply`) of N additions
//! of new people (低保, 东关社区) as the demo civil affairs officer. See `docs/load/lists.sh`.
//!
//! Usage: `load_lists <base-url> <rows> <csv|xlsx>`

mod common;

use std::time::Instant;

use serde_json::Value;

/// The n-th synthetic ID number (born from 1930 on).
fn id_number(n: u64) -> String {
    common::id_number(1930, n)
}

const HEADERS: [&str; 9] = [
    "序号",
    "乡镇街道",
    "村社区",
    "姓名",
    "身份证号码",
    "联系电话",
    "动态调整类型",
    "人员类别",
    "动态调整时间",
];

fn row(i: u64) -> [String; 9] {
    [
        (i + 1).to_string(),
        "滨河街道".into(),
        "东关社区".into(),
        format!("居民{i}"),
        id_number(i),
        String::new(),
        "新增".into(),
        "低保".into(),
        "2022-09-01".into(),
    ]
}

fn csv(rows: u64) -> Vec<u8> {
    let mut out = HEADERS.join(",").into_bytes();
    out.push(b'\n');
    for i in 0..rows {
        out.extend_from_slice(row(i).join(",").as_bytes());
        out.push(b'\n');
    }
    out
}

fn xlsx(rows: u64) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        for (c, v) in row(i).iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: load_lists <base-url> <rows> <csv|xlsx>");
        std::process::exit(2);
    }
    let base = &args[1];
    let rows: u64 = args[2].parse().expect("rows");
    let kind = args[3].as_str();
    let body = if kind == "xlsx" { xlsx(rows) } else { csv(rows) };
    println!("{rows} rows, {kind}, {:.1} MB", body.len() as f64 / 1e6);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(600))
        .build()
        .unwrap();
    let auth = format!("Bearer {}", common::sign_in(&client, base, "civil_lishi").await);
    let start = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/adjustment-lists?file_name=load.{kind}"))
        .header("Authorization", &auth)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let report: Value = res.json().await.unwrap();
    let dry = start.elapsed();
    assert_eq!(report["valid"].as_u64(), Some(rows), "{}", report["problems"]);
    let id = report["import_id"].as_i64().unwrap();
    let start = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/adjustment-lists/{id}/apply"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
    let apply = start.elapsed();
    println!(
        "dry run {:.2} s, apply {:.2} s, total {:.2} s",
        dry.as_secs_f64(),
        apply.as_secs_f64(),
        (dry + apply).as_secs_f64()
    );
}
