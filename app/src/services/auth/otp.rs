//! One-time sign-in codes and the SMS outbox.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::store::{with_pool, Db};

#[derive(Debug, Clone, FromRow)]
pub struct OtpRow {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i32,
}

pub async fn insert_code(
    db: &Db,
    phone: &str,
    code_hash: &str,
    client_ip: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO otp_codes (phone, code_hash, client_ip, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    with_pool!(db, p => sqlx::query_scalar(SQL)
        .bind(phone).bind(code_hash).bind(client_ip).bind(now).bind(expires_at)
        .fetch_one(p).await)
}

pub async fn count_for_phone_since(db: &Db, phone: &str, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM otp_codes WHERE phone = $1 AND created_at > $2")
        .bind(phone).bind(since).fetch_one(p).await)
}

pub async fn count_for_ip_since(db: &Db, ip: &str, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM otp_codes WHERE client_ip = $1 AND created_at > $2")
        .bind(ip).bind(since).fetch_one(p).await)
}

/// The newest unexpired, unused code for a phone.
pub async fn latest_active(db: &Db, phone: &str, now: DateTime<Utc>) -> Result<Option<OtpRow>, sqlx::Error> {
    const SQL: &str = "SELECT id, code_hash, attempts FROM otp_codes
        WHERE phone = $1 AND expires_at > $2 AND consumed_at IS NULL
        ORDER BY created_at DESC, id DESC LIMIT 1";
    with_pool!(db, p => sqlx::query_as(SQL).bind(phone).bind(now).fetch_optional(p).await)
}

/// Counts a try before the code is compared, only while fewer than `max` were made:
/// the new count, or `None` when the tries are used up (atomic under concurrency).
pub async fn reserve_attempt(db: &Db, id: i64, max: i32) -> Result<Option<i32>, sqlx::Error> {
    const SQL: &str = "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING attempts";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(id).bind(max).fetch_optional(p).await)
}

/// Marks a code used; false when it was used concurrently.
pub async fn consume(db: &Db, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE otp_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL";
    let done = with_pool!(db, p => sqlx::query(SQL).bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn insert_sms(
    db: &Db,
    phone: &str,
    purpose: &str,
    body: &str,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO sms_outbox (phone, purpose, body, provider, created_at) VALUES ($1, $2, $3, $4, $5)";
    with_pool!(db, p => sqlx::query(SQL).bind(phone).bind(purpose).bind(body).bind(provider).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The newest outbox message for a phone and purpose created after `since`.
pub async fn latest_sms(
    db: &Db,
    phone: &str,
    purpose: &str,
    since: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT body FROM sms_outbox WHERE phone = $1 AND purpose = $2 AND created_at > $3
        ORDER BY created_at DESC, id DESC LIMIT 1";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(phone).bind(purpose).bind(since).fetch_optional(p).await)
}

/// Deletes codes created before `before` (the per-hour limits only look back an hour).
pub async fn delete_codes_before(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_pool!(db, p => sqlx::query("DELETE FROM otp_codes WHERE created_at < $1")
        .bind(before).execute(p).await.map(|r| r.rows_affected()))
}

/// Blanks the text of messages of `purpose` sent before `before`: a sign-in code must not
/// stay readable in the outbox once it has expired.
pub async fn redact_sms_before(
    db: &Db,
    purpose: &str,
    before: DateTime<Utc>,
    replacement: &str,
) -> Result<u64, sqlx::Error> {
    const SQL: &str = "UPDATE sms_outbox SET body = $1 WHERE purpose = $2 AND created_at < $3 AND body <> $1";
    with_pool!(db, p => sqlx::query(SQL).bind(replacement).bind(purpose).bind(before)
        .execute(p).await.map(|r| r.rows_affected()))
}
