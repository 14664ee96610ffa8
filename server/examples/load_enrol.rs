//! Load generator for enrolment with payment: each iteration enrols a new person
//! (`POST /api/v1/enrollments` as the demo cadre) and pays the order with a signed
//! callback (`POST /api/v1/payments/callback`). Reports enrolments per second and
//! latency percentiles of the pair. See `docs/load/enrol.sh`.
//!
//! Usage: `load_enrol <base-url> <payment-secret> <seconds> <concurrency>`

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The n-th synthetic ID number (born from 1950 on).
fn id_number(n: u64) -> String {
    common::id_number(1950, n)
}

fn sign(secret: &[u8], ts: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Counts an error answer and prints the first few, so a failed run says why.
async fn report(errors: &AtomicU64, what: &str, res: reqwest::Response) {
    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        eprintln!("{what}: HTTP {status}: {}", body.chars().take(300).collect::<String>());
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: load_enrol <base-url> <payment-secret> <seconds> <concurrency>");
        std::process::exit(2);
    }
    let (base, secret) = (args[1].clone(), args[2].clone().into_bytes());
    let seconds: u64 = args[3].parse().expect("seconds");
    let workers: u64 = args[4].parse().expect("concurrency");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers as usize)
        .build()
        .unwrap();
    let auth = format!("Bearer {}", common::sign_in(&client, &base, "cadre_dongguan").await);
    let next = Arc::new(AtomicU64::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            % 1000
            * 10_000,
    ));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, base, auth, secret, next, errors) = (
            client.clone(),
            base.clone(),
            auth.clone(),
            secret.clone(),
            next.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let t0 = Instant::now();
                let body = json!({"area_code": "141102001001", "members": [
                    {"id_number": id_number(n), "name": "压测居民", "hospitals": ["H141102001"]}]});
                let res = client
                    .post(format!("{base}/api/v1/enrollments"))
                    .header("Authorization", &auth)
                    .json(&body)
                    .send()
                    .await;
                let Ok(res) = res else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                if res.status() != 201 {
                    report(&errors, "enrolment", res).await;
                    continue;
                }
                let sub: Value = res.json().await.unwrap();
                let order = &sub["order"];
                let cb = serde_json::to_vec(&json!({
                    "order_no": order["order_no"], "transaction_id": format!("LOAD{n}"), "status": "paid",
                    "amount": order["amount"], "paid_at": chrono::Utc::now().to_rfc3339()
                }))
                .unwrap();
                let ts = chrono::Utc::now().timestamp().to_string();
                let sig = sign(&secret, &ts, &cb);
                let res = client
                    .post(format!("{base}/api/v1/payments/callback"))
                    .header("x-canbao-timestamp", ts)
                    .header("x-canbao-signature", sig)
                    .body(cb)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 200 => latencies.push(t0.elapsed()),
                    Ok(r) => report(&errors, "callback", r).await,
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!(
        "enrolments paid: {} in {elapsed:.1} s = {:.0}/s; errors {}; latency (enrol + callback) p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        all.len() as f64 / elapsed,
        errors.load(Ordering::Relaxed),
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(all.last().copied()),
    );
}
