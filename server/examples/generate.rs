//! Generates a synthetic jurisdiction (deterministic for a seed) into a database and times
//! the weekly report over it. See `docs/benchmarks.md` (reports).
//!
//! Usage: `generate <database-url> <people> [seed] [policy]` — e.g.
//! `generate sqlite://data/bench.db 1000000 7 lishi-2023`. The database is migrated and
//! seeded with areas first; run it on an empty database.

use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: generate <database-url> <people> [seed] [policy]");
        std::process::exit(2);
    }
    let people: u64 = args[2].parse().expect("people: a whole number");
    let seed: u64 = args.get(3).map_or(7, |s| s.parse().expect("seed"));
    let policy = args.get(4).cloned().unwrap_or_else(|| "lishi-2023".into());
    let url = args[1].clone();
    let bulk_url = url.clone();
    let config = server::config::Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "CANBAO_TODAY" => Some(std::env::var("CANBAO_TODAY").unwrap_or_else(|_| "2022-12-25".into())),
        "CANBAO_DEMO" => Some("on".into()),
        _ => None,
    })
    .expect("configuration");
    let app = server::Application::build(config).await.expect("start");
    let state = app.state().clone();
    let started = Instant::now();
    let spec = app::services::generate::Spec {
        people,
        seed,
        policy,
        skip_areas: Vec::new(),
        // PostgreSQL: COPY with the triggers off, then the counters rebuilt.
        bulk: bulk_url.starts_with("postgres"),
        // 1 % with a request in the certification chain: the work queues (load_queues).
        pending_per_mille: 10,
    };
    let s = app::services::generate::population(&state, &spec)
        .await
        .expect("generate");
    println!(
        "generated {} people in {} households ({} paid, {} unpaid, {} subsidised, {} requests pending) in {:.1} s",
        s.people,
        s.households,
        s.enrolled,
        s.unpaid,
        s.subsidised,
        s.pending,
        started.elapsed().as_secs_f64()
    );
    if let app::store::Db::Sqlite(p) = &state.db {
        sqlx::query("ANALYZE").execute(p).await.expect("analyze");
    }
    if let app::store::Db::Postgres(p) = &state.db {
        // What autovacuum would have done by the time anyone reads a report: statistics,
        // and the visibility map that lets PostgreSQL answer from the indexes alone.
        sqlx::query("VACUUM ANALYZE").execute(p).await.expect("vacuum");
    }
    let account = app::services::auth::store::by_username(&state.db, "bureau_lishi")
        .await
        .expect("account")
        .expect("demo bureau officer");
    let actor = app::services::access::Actor::new(account);
    let q = app::services::reports::ReportQuery::default();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = app::services::reports::weekly(&state, &actor, &q)
            .await
            .expect("report");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.total.roster as u64 >= s.people);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "weekly report for the district (bureau_lishi): min {:.0} ms, median {:.0} ms, max {:.0} ms over 5 runs",
        times[0], times[2], times[4]
    );
}
