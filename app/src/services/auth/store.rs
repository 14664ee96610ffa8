//! Accounts and sessions.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::store::{with_pool, Db};

#[derive(Debug, Clone, FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub role: String,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub area_code: Option<String>,
    pub department: Option<String>,
    pub person_id: Option<i64>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub active: bool,
}

/// The account columns, qualified with the alias `a` so every query can join.
macro_rules! account_columns {
    () => {
        "a.id, a.role, a.username, a.phone, a.password_hash, a.display_name, a.area_code, a.department, \
         a.person_id, a.failed_logins, a.locked_until, a.active"
    };
}

#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub role: &'a str,
    pub username: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a str,
    pub area_code: Option<&'a str>,
    pub department: Option<&'a str>,
    pub person_id: Option<i64>,
}

pub async fn create(db: &Db, a: &NewAccount<'_>, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO accounts (role, username, phone, password_hash, display_name, area_code,
            department, person_id, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    with_pool!(db, p => sqlx::query_scalar(SQL)
        .bind(a.role)
        .bind(a.username)
        .bind(a.phone)
        .bind(a.password_hash)
        .bind(a.display_name)
        .bind(a.area_code)
        .bind(a.department)
        .bind(a.person_id)
        .bind(now)
        .fetch_one(p)
        .await)
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<AccountRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.username = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(username).fetch_optional(p).await)
}

pub async fn by_phone(db: &Db, phone: &str) -> Result<Option<AccountRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.phone = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(phone).fetch_optional(p).await)
}

pub async fn by_person(db: &Db, person_id: i64) -> Result<Option<AccountRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.person_id = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(person_id).fetch_optional(p).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<AccountRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.id = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

/// Records a failed password attempt (and a lock, when the limit is reached).
pub async fn set_failed_logins(
    db: &Db,
    id: i64,
    failed: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE accounts SET failed_logins = $1, locked_until = $2 WHERE id = $3";
    with_pool!(db, p => sqlx::query(SQL).bind(failed).bind(locked_until).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Counts a sign-in try before the password is checked, atomically: `None` while the
/// account is locked; otherwise the tries in this round, the lock set by the statement that
/// reaches `max`. An expired lock starts a new round. Every right-hand side reads the row
/// as it was, on both databases.
pub async fn reserve_login_try(
    db: &Db,
    id: i64,
    now: DateTime<Utc>,
    max: i32,
    lock_until: DateTime<Utc>,
) -> Result<Option<i32>, sqlx::Error> {
    const SQL: &str = "UPDATE accounts SET
            failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END,
            locked_until = CASE
                WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $3 THEN $4
                ELSE NULL END
        WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)
        RETURNING failed_logins";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(id).bind(now).bind(max).bind(lock_until).fetch_optional(p).await)
}

pub async fn create_session(
    db: &Db,
    token_hash: &str,
    account_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    with_pool!(db, p => sqlx::query(SQL).bind(token_hash).bind(account_id).bind(now).bind(expires_at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How often a session's last use is written: at most once a minute, not on every request.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// The active account behind a session that has not expired and was used after
/// `idle_since` (the idle timeout); the use is recorded (at most once a minute).
pub async fn by_session(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<Option<AccountRow>, sqlx::Error> {
    const TOUCH: &str = "UPDATE sessions SET last_seen_at = $2
        WHERE token_hash = $1 AND expires_at > $2 AND COALESCE(last_seen_at, created_at) > $3
          AND COALESCE(last_seen_at, created_at) <= $4";
    const SQL: &str = concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts a JOIN sessions s ON s.account_id = a.id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND COALESCE(s.last_seen_at, s.created_at) > $3 AND a.active"
    );
    with_pool!(db, p => sqlx::query(TOUCH).bind(token_hash).bind(now).bind(idle_since).bind(now - TOUCH_EVERY)
        .execute(p).await.map(|r| r.rows_affected()))?;
    with_pool!(db, p => sqlx::query_as(SQL).bind(token_hash).bind(now).bind(idle_since).fetch_optional(p).await)
}

/// The accounts of many sessions in one query (PostgreSQL; requests share it under load, see
/// `services::batch`): one answer per token hash, each as at its own `now`, in order.
pub async fn by_sessions(
    pool: &sqlx::PgPool,
    hashes: &[&str],
    now: &[DateTime<Utc>],
    idle_since: &[DateTime<Utc>],
) -> Result<Vec<Option<AccountRow>>, sqlx::Error> {
    // The same checks and the same once-a-minute write of the last use as `by_session`, in
    // one statement (the read sees the sessions as they were before the write).
    const SQL: &str = concat!(
        "WITH k AS MATERIALIZED (
            SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS k(h, t, idle, i)
         ),
         touched AS (
            UPDATE sessions SET last_seen_at = k.t FROM k
            WHERE sessions.token_hash = k.h AND sessions.expires_at > k.t
              AND COALESCE(sessions.last_seen_at, sessions.created_at) > k.idle
              AND COALESCE(sessions.last_seen_at, sessions.created_at) <= k.t - interval '1 minute'
         )
         SELECT k.i, ",
        account_columns!(),
        " FROM k
         JOIN sessions s ON s.token_hash = k.h AND s.expires_at > k.t AND COALESCE(s.last_seen_at, s.created_at) > k.idle
         JOIN accounts a ON a.id = s.account_id AND a.active"
    );
    let rows = sqlx::query(SQL)
        .bind(hashes)
        .bind(now)
        .bind(idle_since)
        .fetch_all(pool)
        .await?;
    crate::store::by_ordinal(hashes.len(), rows)
}

/// Deletes sessions that expired before `now`.
pub async fn delete_expired_sessions(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_pool!(db, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now).execute(p).await.map(|r| r.rows_affected()))
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A session's account, by the hash of its token, as at `now`.
pub struct SessionLookup {
    pub token_hash: String,
    pub now: DateTime<Utc>,
    /// Unused since before this, the session has ended (idle timeout).
    pub idle_since: DateTime<Utc>,
}

impl crate::store::batch::Batched for SessionLookup {
    type Answer = Option<AccountRow>;

    async fn run(pool: &sqlx::PgPool, jobs: &[Self]) -> Result<Vec<Self::Answer>, sqlx::Error> {
        let (hashes, times): (Vec<&str>, Vec<DateTime<Utc>>) =
            jobs.iter().map(|j| (j.token_hash.as_str(), j.now)).unzip();
        let idle: Vec<DateTime<Utc>> = jobs.iter().map(|j| j.idle_since).collect();
        by_sessions(pool, &hashes, &times, &idle).await
    }
}
