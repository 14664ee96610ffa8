//! What the load examples share: a demo staff sign-in, timing a page, synthetic ID numbers.

// Each example is its own crate and uses only some of these.
#![allow(dead_code)]

use serde_json::{json, Value};

/// A demo staff account's session token (every demo password is the same).
pub async fn sign_in(client: &reqwest::Client, base: &str, user: &str) -> String {
    let session: Value = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"username": user, "password": app::services::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().expect("signed in").to_owned()
}

/// Times `runs` GETs of a page (after one to warm it), each checked to be a 200 with a real
/// page: its size in bytes and the times in milliseconds, sorted.
pub async fn time_page(client: &reqwest::Client, url: &str, session: Option<&str>, runs: usize) -> (usize, Vec<f64>) {
    let get = || {
        let req = client.get(url);
        match session {
            Some(token) => req.header("Cookie", format!("canbao_session={token}")),
            None => req,
        }
        .send()
    };
    let warm = get().await.unwrap();
    assert_eq!(warm.status(), 200, "{url}");
    let size = warm.text().await.unwrap().len();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let res = get().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let body = res.text().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(body.len() > 1000, "{url}: an empty page");
    }
    times.sort_by(f64::total_cmp);
    (size, times)
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The n-th synthetic ID number in 离石区 with a valid check character: birth dates from
/// 1 January of `first_year` on, 1,000 sequence numbers a day.
pub fn id_number(first_year: i32, n: u64) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(first_year, 1, 1).unwrap() + chrono::Duration::days((n / 1000) as i64);
    let body = format!("141102{}{:03}", day.format("%Y%m%d"), n % 1000);
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", CHECK[(sum % 11) as usize] as char)
}
