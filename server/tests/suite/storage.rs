//! The storage layer against both real databases.

use crate::common::{Backend, TestDb};
use app::services::auth::store as accounts;
use app::store::{areas, Db};

both_backends! {
    migrations_are_idempotent_and_seed_loads_once,
    unique_and_foreign_keys_are_enforced,
    references_from_people_and_certifications_hold,
    reference_data_is_answered_from_memory,
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
        assert_eq!(sync, 2, "FULL: an acknowledged commit survives power loss");
    }
    db.close().await;
    tdb.drop_db().await;
}

/// People's areas and certifications' people: declarative foreign keys on SQLite,
/// statement-level checks on PostgreSQL (migration 0011). Both refuse the same things.
async fn references_from_people_and_certifications_hold(backend: Backend) {
    let (db, tdb) = connect(backend).await;
    app::services::seed::load_areas(&db).await.unwrap();
    let exec = |sql: &'static str| {
        let db = db.clone();
        async move { app::store::with_pool!(&db, p => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected())) }
    };
    let refused = |r: Result<u64, sqlx::Error>, what: &str| match r {
        Err(sqlx::Error::Database(e)) => {
            assert_eq!(e.kind(), sqlx::error::ErrorKind::ForeignKeyViolation, "{what}: {e}")
        }
        other => panic!("{what} should be refused, got {other:?}"),
    };
    const PERSON: &str = "INSERT INTO people (id, id_number, name, birth_date, sex, area_code, hukou_local, created_at)
        VALUES (901, '141102198511200036', '陈建国', '1985-11-20', 'male', '141102001001', TRUE, '2022-10-08T08:00:00Z')";
    const CERT: &str = "INSERT INTO certifications (person_id, category, department, status, created_at)
        VALUES (901, 'minimum_living', 'civil_affairs', 'confirmed', '2022-10-08T08:00:00Z')";
    refused(
        exec(
            "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, created_at)
              VALUES ('141102198804160023', '刘秀英', '1988-04-16', 'female', '000001', TRUE, '2022-10-08T08:00:00Z')",
        )
        .await,
        "a person in an unknown area",
    );
    refused(exec(CERT).await, "a certification of no one");
    assert_eq!(exec(PERSON).await.unwrap(), 1);
    assert_eq!(exec(CERT).await.unwrap(), 1);
    refused(
        exec("UPDATE people SET area_code = '000001' WHERE id = 901").await,
        "moving to an unknown area",
    );
    refused(
        exec("UPDATE certifications SET person_id = 902 WHERE person_id = 901").await,
        "re-pointing a certification at no one",
    );
    refused(
        exec("DELETE FROM people WHERE id = 901").await,
        "deleting a certified person",
    );
    refused(
        exec("DELETE FROM areas WHERE code = '141102001001'").await,
        "deleting an area people live in",
    );
    assert_eq!(
        exec("UPDATE people SET name = '陈建军' WHERE id = 901").await.unwrap(),
        1
    );
    assert_eq!(
        exec("DELETE FROM certifications WHERE person_id = 901").await.unwrap(),
        1
    );
    assert_eq!(exec("DELETE FROM people WHERE id = 901").await.unwrap(), 1);
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

async fn reference_data_is_answered_from_memory(backend: Backend) {
    use app::model::AreaLevel;
    let (db, tdb) = connect(backend).await;
    app::services::seed::load_areas(&db).await.unwrap();
    app::services::seed::load_hospitals(&db).await.unwrap();
    let r = app::services::reference::Reference::default();
    let lishi = ["141102".to_owned()];
    let first = r.hospitals_under(&db, &lishi).await.unwrap();
    assert_eq!(
        first.iter().map(|h| &h.code).collect::<Vec<_>>(),
        app::services::enrolment::store::hospitals_under(&db, &lishi)
            .await
            .unwrap()
            .iter()
            .map(|h| &h.code)
            .collect::<Vec<_>>()
    );
    assert!(first.iter().all(|h| h.area_code.starts_with("141102")));
    assert!(!first.is_empty() && first.iter().all(|h| !h.area_name.is_empty()));
    assert_eq!(
        r.area_level(&db, "141102001001").await.unwrap(),
        Some(AreaLevel::Village)
    );
    assert_eq!(r.area_level(&db, "141102001").await.unwrap(), Some(AreaLevel::Township));
    assert_eq!(r.area_level(&db, "999999999999").await.unwrap(), None);
    // Changed behind its back: the answers stay those held until they expire.
    app::store::with_pool!(&db, p => sqlx::query("DELETE FROM hospitals").execute(p).await.map(|_| ())).unwrap();
    assert_eq!(r.hospitals_under(&db, &lishi).await.unwrap().len(), first.len());
    r.expire();
    assert!(r.hospitals_under(&db, &lishi).await.unwrap().is_empty());
    db.close().await;
    tdb.drop_db().await;
}
