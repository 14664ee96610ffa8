//! Nothing acknowledged is ever lost (issue 22 §7), the short version of
//! docs/load/crash.py: the server binary enrols and takes payments from a few clients while
//! it is killed with SIGKILL twice and started again on the same database; clients retry
//! with the same Idempotency-Key and the provider re-sends every callback. Afterwards every
//! acknowledged enrolment exists once, every acknowledged payment is applied once, no order
//! is paid twice and the report counters equal a recount.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Backend, TestDb};
use serde_json::{json, Value};

both_backends! {
    a_killed_server_loses_nothing_acknowledged,
}

const SECRET: &str = "crash-test-payment-secret-0123456789";
const CLIENTS: u64 = 4;
/// Payments acknowledged between two kills.
const BETWEEN_KILLS: usize = 8;

/// The n-th synthetic ID number in 离石区 (valid check digit).
fn id_number(n: u64) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days((n / 1000) as i64);
    let body = format!("141102{}{:03}", day.format("%Y%m%d"), n % 1000);
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

struct Server {
    child: std::process::Child,
}

async fn start(db: &TestDb, port: u16) -> Server {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .env("CANBAO_DEMO", "on")
        .env("CANBAO_TODAY", "2022-10-08")
        .env("CANBAO_PAYMENT_SECRET", SECRET)
        .env("DATABASE_URL", &db.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let up = client
            .get(format!("http://127.0.0.1:{port}/api/v1/health"))
            .send()
            .await;
        if up.is_ok_and(|r| r.status() == 200) {
            return Server { child };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the server did not start");
}

impl Server {
    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Sends until an answer arrives (a connection cut by the kill, or refused while the server
/// is down, is retried with exactly the same request).
/// `retries` counts the requests that got no answer and were sent again.
async fn until_answered(retries: &AtomicU64, req: impl Fn() -> reqwest::RequestBuilder) -> (u16, Value) {
    loop {
        match req().send().await {
            Ok(res) if res.status() != 503 => {
                let status = res.status().as_u16();
                return (status, res.json().await.unwrap_or(Value::Null));
            }
            _ => {
                retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await
            }
        }
    }
}

fn signed_callback(base: &str, order_no: &str, txn: &str, amount: &str) -> reqwest::RequestBuilder {
    use app::services::payments::{SandboxProvider, SIGNATURE_HEADER, TIMESTAMP_HEADER};
    let body = serde_json::to_vec(&json!({
        "order_no": order_no, "transaction_id": txn, "status": "paid", "amount": amount,
        "paid_at": chrono::Utc::now().to_rfc3339()
    }))
    .unwrap();
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = SandboxProvider::new(SECRET.as_bytes()).sign(&ts, &body);
    reqwest::Client::new()
        .post(format!("{base}/api/v1/payments/callback"))
        .header(TIMESTAMP_HEADER, ts)
        .header(SIGNATURE_HEADER, sig)
        .body(body)
}

#[derive(Default)]
struct Seen {
    /// (ID number, enrolment id) answered 201.
    enrolments: Vec<(String, i64)>,
    /// Transaction ids answered applied or duplicate.
    payments: Vec<String>,
    /// (order, transaction, amount) of every callback sent.
    callbacks: Vec<(String, String, String)>,
}

async fn a_killed_server_loses_nothing_acknowledged(backend: Backend) {
    let db = TestDb::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&db, port).await;
    let retries = Arc::new(AtomicU64::new(0));
    let (status, session) = until_answered(&retries, || {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/sessions"))
            .json(&json!({"username": "cadre_dongguan", "password": app::services::seed::DEMO_PASSWORD}))
    })
    .await;
    assert_eq!(status, 200, "{session}");
    let auth = format!("Bearer {}", session["token"].as_str().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (base, auth, seen, stop, retries) =
            (base.clone(), auth.clone(), seen.clone(), stop.clone(), retries.clone());
        clients.push(tokio::spawn(async move {
            let mut r = 0;
            while !stop.load(Ordering::Relaxed) {
                r += 1;
                let n = c * 1000 + r;
                let id = id_number(n);
                let key = format!("crash-{n}");
                let body = json!({"area_code": "141102001001",
                    "members": [{"id_number": id, "name": "压测居民", "hospitals": ["H141102001"]}]});
                let (status, sub) = until_answered(&retries, || {
                    reqwest::Client::new()
                        .post(format!("{base}/api/v1/enrollments"))
                        .header("Authorization", &auth)
                        .header("Idempotency-Key", &key)
                        .json(&body)
                })
                .await;
                assert_eq!(status, 201, "a retried submission answers as the first: {sub}");
                let (order, amount) = (
                    sub["order"]["order_no"].as_str().unwrap().to_owned(),
                    sub["order"]["amount"].as_str().unwrap().to_owned(),
                );
                let txn = format!("CRASH{n}");
                {
                    let mut s = seen.lock().unwrap();
                    s.enrolments
                        .push((id.clone(), sub["enrollments"][0]["id"].as_i64().unwrap()));
                    s.callbacks.push((order.clone(), txn.clone(), amount.clone()));
                }
                let (status, paid) = until_answered(&retries, || signed_callback(&base, &order, &txn, &amount)).await;
                assert_eq!(status, 200, "{paid}");
                assert!(
                    matches!(paid["result"].as_str(), Some("applied" | "duplicate")),
                    "{paid}"
                );
                seen.lock().unwrap().payments.push(txn);
            }
        }));
    }
    // Killed twice mid-load (clients keep sending), each time started again on the same
    // database; the load goes on after the last restart.
    let paid = || seen.lock().unwrap().payments.len();
    for round in 0..3 {
        let target = paid() + BETWEEN_KILLS;
        while paid() < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if round < 2 {
            server.kill();
            server = start(&db, port).await;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    // The provider re-sends every callback: each is a duplicate now.
    let callbacks = seen.lock().unwrap().callbacks.clone();
    for (order, txn, amount) in &callbacks {
        let (status, again) = until_answered(&retries, || signed_callback(&base, order, txn, amount)).await;
        assert_eq!((status, again["result"].as_str()), (200, Some("duplicate")), "{again}");
    }
    server.kill();

    let store = app::store::Db::connect(&db.url).await.unwrap();
    let scalar = |sql: String| {
        let store = store.clone();
        async move { app::with_pool!(&store, p => sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await).unwrap() }
    };
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        retries.load(Ordering::Relaxed) > 0,
        "the kills cut requests that were then sent again"
    );
    assert!(seen.enrolments.len() >= 3 * BETWEEN_KILLS);
    for (id, enrolment) in &seen.enrolments {
        assert_eq!(
            scalar(format!("SELECT COUNT(*) FROM people WHERE id_number = '{id}'")).await,
            1
        );
        assert_eq!(
            scalar(format!(
                "SELECT COUNT(*) FROM enrolments WHERE id = {enrolment} AND status = 'paid'"
            ))
            .await,
            1,
            "enrolment {enrolment} exists, paid"
        );
    }
    for txn in &seen.payments {
        assert_eq!(
            scalar(format!("SELECT COUNT(*) FROM payments WHERE transaction_id = '{txn}'")).await,
            1
        );
    }
    assert_eq!(
        scalar("SELECT COUNT(*) FROM (SELECT order_id FROM payments WHERE order_id IS NOT NULL GROUP BY order_id HAVING COUNT(*) > 1) t".into())
            .await,
        0,
        "no order paid twice"
    );
    assert_eq!(
        scalar("SELECT COUNT(*) FROM payments WHERE transaction_id LIKE 'CRASH%'".into()).await,
        seen.payments.len() as i64
    );
    // The counters the reports read equal a recount of what they count.
    let roster_diff =
        "SELECT COUNT(*) FROM (SELECT report_area, hukou_local, COUNT(*) AS n FROM people GROUP BY 1, 2) c
        FULL JOIN (SELECT * FROM report_roster WHERE n <> 0) r USING (report_area, hukou_local)
        WHERE r.n IS DISTINCT FROM c.n";
    let enrolled_diff = "SELECT COUNT(*) FROM (SELECT insurance_year, report_area, hukou_local,
            CASE WHEN subsidy_fen > 0 THEN COALESCE(applied_category, '') ELSE '' END AS category, paid_on, COUNT(*) AS n
            FROM enrolments WHERE status IN ('paid', 'ended') AND paid_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5) c
        FULL JOIN (SELECT * FROM report_enrolled WHERE n <> 0) r
            USING (insurance_year, report_area, hukou_local, category, paid_on)
        WHERE r.n IS DISTINCT FROM c.n";
    assert_eq!(scalar(roster_diff.into()).await, 0, "report_roster equals a recount");
    assert_eq!(
        scalar(enrolled_diff.into()).await,
        0,
        "report_enrolled equals a recount"
    );
    drop(store);
    db.drop_db().await;
}
