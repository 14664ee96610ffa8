//! Test support: a fresh database per test (SQLite file or PostgreSQL database)
//! and the real server started on port 0.
#![allow(dead_code)]

use std::path::PathBuf;

use server::config::Config;
use server::Application;
use sqlx::Connection;

pub const PINNED_TODAY: &str = "2022-10-08";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL server used by the tests (trust auth on every machine of this kind).
pub fn pg_admin_url() -> String {
    std::env::var("CANBAO_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub struct TestDb {
    pub url: String,
    backend: Backend,
    name: String,
    dir: Option<PathBuf>,
}

fn unique_name() -> String {
    format!("canbao_test_{}", app::secrets::random_token(6))
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                TestDb {
                    url: format!("sqlite://{}/canbao.db", dir.display()),
                    backend,
                    name,
                    dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for the tests: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
                TestDb {
                    url: format!("{base}/{name}"),
                    backend,
                    name,
                    dir: None,
                }
            }
        }
    }

    /// Drops the database (call at the end of the test).
    pub async fn drop_db(self) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(dir) = self.dir {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
}

/// A demo server's configuration (demo accounts and data, as the outside checks run it).
pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// A demo configuration with some variables added or replaced (another pinned day, say).
pub fn test_config_with(database_url: &str, extra: &[(&str, &str)]) -> Config {
    Config::from_lookup(|k| {
        if let Some((_, v)) = extra.iter().find(|(name, _)| *name == k) {
            return Some((*v).to_owned());
        }
        demo_default(database_url, k)
    })
    .unwrap()
}

fn demo_default(database_url: &str, k: &str) -> Option<String> {
    match k {
        "CANBAO_DEMO" => Some("on".into()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "DATABASE_URL" => Some(database_url.into()),
        "CANBAO_TODAY" => Some(PINNED_TODAY.into()),
        "CANBAO_SECRET" => Some("test-secret".into()),
        "LEPTOS_SITE_ROOT" => Some(std::env::temp_dir().join("canbao-no-site").display().to_string()),
        _ => None,
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: app::services::AppState,
    pub db: TestDb,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Secrets good enough for a production server in the tests (long, unpublished, distinct).
pub const PROD_SECRET: &str = "tests-only-pepper-3f9c2a7e51b04d6e8a1f";
pub const PROD_PAYMENT_SECRET: &str = "tests-only-payment-9b8e7d6c5b4a39281706";

/// A production server's configuration: nothing set but the address, database and secrets.
pub fn production_config(database_url: &str) -> Config {
    production_config_with(database_url, &[])
}

/// A production configuration with some variables added or replaced.
pub fn production_config_with(database_url: &str, extra: &[(&str, &str)]) -> Config {
    Config::from_lookup(|k| {
        if let Some((_, v)) = extra.iter().find(|(name, _)| *name == k) {
            return Some((*v).to_owned());
        }
        match k {
            "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
            "DATABASE_URL" => Some(database_url.into()),
            "CANBAO_TODAY" => Some(PINNED_TODAY.into()),
            "CANBAO_SECRET" => Some(PROD_SECRET.into()),
            "CANBAO_PAYMENT_SECRET" => Some(PROD_PAYMENT_SECRET.into()),
            "LEPTOS_SITE_ROOT" => Some(std::env::temp_dir().join("canbao-no-site").display().to_string()),
            _ => None,
        }
    })
    .unwrap()
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    spawn_with(db, test_config).await
}

/// A production server (no demo data, no sandbox, secure cookies).
pub async fn spawn_production(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    spawn_with(db, production_config).await
}

pub async fn spawn_with(db: TestDb, config: impl FnOnce(&str) -> Config) -> TestApp {
    let app = Application::build(config(&db.url)).await.expect("server starts");
    let base = format!("http://{}", app.addr());
    let state = app.state().clone();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        client,
        state,
        db,
        stop,
        handle,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Calls a server function as a script would (JSON answer, no redirect to the referer).
    pub async fn server_fn(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// GETs a page (with the client's cookies) and returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Stops the server gracefully and drops the test database. The client goes first:
    /// graceful shutdown waits for open keep-alive connections. A stop that hangs fails.
    /// GETs a path and parses the JSON answer (whatever its status).
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.stop_keeping_db().await.drop_db().await;
    }

    /// Stops the server and hands back its database, for another server to start on (a
    /// later day, say).
    pub async fn stop_keeping_db(self) -> TestDb {
        let TestApp {
            client,
            stop,
            handle,
            db,
            ..
        } = self;
        drop(client);
        let _ = stop.send(());
        tokio::time::timeout(std::time::Duration::from_secs(30), handle)
            .await
            .expect("the server stops within 30 s of the shutdown signal")
            .unwrap()
            .unwrap();
        db
    }
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name($crate::common::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name($crate::common::Backend::Postgres).await })*
        }
    };
}

// ---------------------------------------------------------------------------------------
// Calling the API as a signed-in user (shared by the HTTP test files)

/// The demo cadre's village (离石区 滨河街道 东关社区) and its designated hospital.
pub const VILLAGE: &str = "141102001001";
pub const HOSPITAL: &str = "H141102001";
/// Two valid ID numbers of 离石区: a man born 1985 and a woman born 1988.
pub const ADULT: &str = "141102198511200036";
pub const OTHER: &str = "141102198804160023";

/// `Bearer <token>` for a demo staff account (every demo password is the same).
pub async fn bearer(app: &TestApp, username: &str) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"username": username, "password": app::services::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{username} signs in");
    let body: serde_json::Value = res.json().await.unwrap();
    format!("Bearer {}", body["token"].as_str().unwrap())
}

/// POSTs JSON with an `Authorization` header; the status and the JSON answer (Null if none).
pub async fn post(app: &TestApp, auth: &str, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url(path))
        .header("Authorization", auth)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// POSTs raw bytes (an upload sent without a form, `?file_name=` in the path) with an
/// `Authorization` header; the status and the JSON answer (Null if none).
pub async fn upload(app: &TestApp, auth: &str, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url(path))
        .header("Authorization", auth)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// GETs with an `Authorization` header; the status and the JSON answer (Null if none).
pub async fn get(app: &TestApp, auth: &str, path: &str) -> (u16, serde_json::Value) {
    let res = app
        .client
        .get(app.url(path))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A staff account as the services see it (for calling a use case directly).
pub async fn actor(app: &TestApp, username: &str) -> app::services::access::Actor {
    let account = app::services::auth::store::by_username(&app.state.db, username)
        .await
        .unwrap()
        .unwrap();
    app::services::access::Actor::new(account)
}

/// A single number from SQL (counts in assertions).
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    app::with_pool!(&app.state.db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

/// `Bearer <token>` for a resident signed in with the demo one-time code.
pub async fn resident_token(app: &TestApp, phone: &str) -> String {
    let s = &app.state;
    app::services::auth::request_code(s, phone, "127.0.0.1").await.unwrap();
    let code = app::services::auth::demo_code(s, phone).await.unwrap().unwrap();
    let session = app::services::auth::verify_code(s, phone, &code, "127.0.0.1")
        .await
        .unwrap();
    format!("Bearer {}", session.token)
}

/// A valid ID number in 离石区 for the n-th synthetic person.
pub fn synthetic_id(n: u32) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 1940 + (n / 336) % 60;
    let seq = n % 1000;
    let first17 = format!("141102{year:04}{month:02}{day:02}{seq:03}");
    let check = domain::id_number::check_character(&first17).unwrap();
    format!("{first17}{check}")
}
