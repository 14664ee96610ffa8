//! The storage layer against both real databases.

mod common;

use app::store::{accounts, areas, Db};
use common::{Backend, TestDb};

both_backends! {
    migrations_are_idempotent_and_seed_loads_once,
    unique_and_foreign_keys_are_enforced,
}

async fn connect(backend: Backend) -> (Db, TestDb) {
    let tdb = TestDb::new(backend).await;
    let db = Db::connect(&tdb.url).await.unwrap();
    db.migrate().await.unwrap();
    (db, tdb)
}

async fn migrations_are_idempotent_and_seed_loads_once(backend: Backend) {
    let (db, tdb) = connect(backend).await;
    assert_eq!(
        db.backend(),
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    );
    db.migrate().await.unwrap();
    app::services::seed::load_areas(&db).await.unwrap();
    let first = areas::count(&db).await.unwrap();
    app::services::seed::load_areas(&db).await.unwrap();
    app::services::seed::load_demo(&db, chrono::Utc::now()).await.unwrap();
    app::services::seed::load_demo(&db, chrono::Utc::now()).await.unwrap();
    assert_eq!(areas::count(&db).await.unwrap(), first);
    assert!(first > 100);
    let path: Vec<String> = areas::path(&db, "141102001001")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(path, ["全国", "吕梁市", "离石区", "滨河街道", "东关社区"]);
    let admin = accounts::by_username(&db, "admin").await.unwrap().unwrap();
    assert_eq!(admin.role, "admin");
    assert!(admin.password_hash.unwrap().starts_with("$argon2id$"));
    db.close().await;
    tdb.drop_db().await;
}

async fn unique_and_foreign_keys_are_enforced(backend: Backend) {
    let (db, tdb) = connect(backend).await;
    app::services::seed::load_areas(&db).await.unwrap();
    let now = chrono::Utc::now();
    let new = accounts::NewAccount {
        role: "cadre",
        username: Some("dup"),
        phone: None,
        password_hash: Some("x"),
        display_name: "A",
        area_code: Some("141102001001"),
        department: None,
        person_id: None,
    };
    accounts::create(&db, &new, now).await.unwrap();
    let err = accounts::create(&db, &new, now).await.unwrap_err();
    assert!(app::store::is_unique_violation(&err), "{err}");
    let orphan = accounts::NewAccount {
        username: Some("orphan"),
        area_code: Some("000001"),
        ..new.clone()
    };
    assert!(
        accounts::create(&db, &orphan, now).await.is_err(),
        "unknown area is refused"
    );
    let unscoped = accounts::NewAccount {
        username: Some("unscoped"),
        area_code: None,
        ..new.clone()
    };
    assert!(
        accounts::create(&db, &unscoped, now).await.is_err(),
        "staff must have a scope"
    );
    let no_dept = accounts::NewAccount {
        username: Some("nodept"),
        role: "department_officer",
        area_code: Some("141102"),
        ..new
    };
    assert!(
        accounts::create(&db, &no_dept, now).await.is_err(),
        "department officers name a department"
    );
    if let Db::Sqlite(p) = &db {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(p).await.unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(p).await.unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(p).await.unwrap();
        assert_eq!(sync, 1, "NORMAL");
    }
    db.close().await;
    tdb.drop_db().await;
}

#[tokio::test]
async fn bad_database_urls_name_the_variable() {
    let err = Db::connect("mysql://localhost/x").await.unwrap_err().to_string();
    assert!(err.starts_with("DATABASE_URL"), "{err}");
    let err = Db::connect("postgres://postgres@127.0.0.1:1/nothing")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("DATABASE_URL: cannot connect"), "{err}");
    let err = Db::connect("postgres://postgres@127.0.0.1:notaport/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("DATABASE_URL"), "{err}");
}
