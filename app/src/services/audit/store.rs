//! The audit log: who did what, when, from where.

use chrono::{DateTime, Utc};

use crate::store::{with_pool, Db};

#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    pub actor_account_id: Option<i64>,
    pub action: &'a str,
    /// What it concerned; never a full ID number (mask it first).
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    /// The area the action concerned (bureau officers see their area's entries).
    pub area_code: Option<&'a str>,
}

/// One audit row: at, actor, action, subject, detail, client address, area.
pub const INSERT: &str = "INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Writes an audit entry inside the caller's transaction (`$tx`, either backend's, inside
/// `with_pool!`), so the record commits with the change it records or not at all.
#[macro_export]
macro_rules! audit_in_tx {
    ($tx:ident, $entry:expr, $now:expr) => {{
        let e: &$crate::services::audit::store::AuditEntry<'_> = $entry;
        sqlx::query($crate::services::audit::store::INSERT)
            .bind($now)
            .bind(e.actor_account_id)
            .bind(e.action)
            .bind(e.subject)
            .bind(e.detail)
            .bind(e.client_ip)
            .bind(e.area_code)
            .execute(&mut *$tx)
            .await?
    }};
}
pub use audit_in_tx;

pub async fn record(db: &Db, e: &AuditEntry<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    const SQL: &str = INSERT;
    with_pool!(db, p => sqlx::query(SQL)
        .bind(now).bind(e.actor_account_id).bind(e.action).bind(e.subject).bind(e.detail).bind(e.client_ip)
        .bind(e.area_code)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn count_since(db: &Db, action: &str, client_ip: &str, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND client_ip = $2 AND at > $3";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(action).bind(client_ip).bind(since).fetch_one(p).await)
}

pub async fn count_action(db: &Db, action: &str) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action).fetch_one(p).await)
}

/// One audit entry as the audit page shows it (the actor's name joined in).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_account_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
    pub area_code: Option<String>,
}

/// Filters for [`search`]; `area_prefix` None means every entry (admins).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub area_prefix: Option<String>,
    pub action: Option<String>,
    pub actor_account_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first. Every filter is a bound parameter that is NULL when unused.
pub async fn search(db: &Db, f: &AuditFilter) -> Result<Vec<AuditRow>, sqlx::Error> {
    const SQL: &str = "SELECT l.id, l.at, l.actor_account_id, a.display_name AS actor_name, l.action, l.subject,
            l.detail, l.client_ip, l.area_code
        FROM audit_log l LEFT JOIN accounts a ON a.id = l.actor_account_id
        WHERE ($1 IS NULL OR l.area_code LIKE $1)
          AND ($2 IS NULL OR l.action = $2)
          AND ($3 IS NULL OR l.actor_account_id = $3)
          AND ($4 IS NULL OR l.at >= $4)
          AND ($5 IS NULL OR l.at < $5)
          AND ($6 IS NULL OR l.id < $6)
        ORDER BY l.id DESC LIMIT $7";
    let like = f.area_prefix.as_ref().map(|p| format!("{p}%"));
    with_pool!(db, p => sqlx::query_as(SQL)
        .bind(like).bind(&f.action).bind(f.actor_account_id).bind(f.from).bind(f.to).bind(f.before_id).bind(f.limit)
        .fetch_all(p).await)
}

/// An audit row's fields as the hash chain covers them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedFields {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_account_id: Option<i64>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
    pub area_code: Option<String>,
}

/// The newest seal: its place in the chain and hash.
pub async fn last_seal(db: &Db) -> Result<Option<(i64, String)>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as("SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1")
        .fetch_optional(p).await)
}

/// Audit rows no seal covers yet, oldest first.
pub async fn unsealed(db: &Db, limit: i64) -> Result<Vec<SealedFields>, sqlx::Error> {
    const SQL: &str = "SELECT a.id, a.at, a.actor_account_id, a.action, a.subject, a.detail, a.client_ip, a.area_code
        FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.audit_id = a.id)
        ORDER BY a.id LIMIT $1";
    with_pool!(db, p => sqlx::query_as(SQL).bind(limit).fetch_all(p).await)
}

/// Seals in one transaction (a racing sealer makes the whole batch fail on `seq`).
pub async fn insert_seals(
    db: &Db,
    seals: &[(i64, i64, String, String)],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO audit_seals (seq, audit_id, prev_hash, hash, sealed_at) VALUES ($1, $2, $3, $4, $5)";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        for (seq, audit_id, prev, hash) in seals {
            sqlx::query(SQL).bind(seq).bind(audit_id).bind(prev).bind(hash).bind(now).execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

/// The chain from `after_seq` on, in order, with the rows it covers.
pub async fn seals_after(
    db: &Db,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, SealedFields)>, sqlx::Error> {
    const SQL: &str = "SELECT s.seq, s.prev_hash, s.hash, a.id, a.at, a.actor_account_id, a.action, a.subject,
            a.detail, a.client_ip, a.area_code
        FROM audit_seals s JOIN audit_log a ON a.id = s.audit_id
        WHERE s.seq > $1 ORDER BY s.seq LIMIT $2";
    use sqlx::Row;
    let rows = with_pool!(db, p => {
        let rows = sqlx::query(SQL).bind(after_seq).bind(limit).fetch_all(p).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("seq")?,
                    r.try_get("prev_hash")?,
                    r.try_get("hash")?,
                    SealedFields {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        actor_account_id: r.try_get("actor_account_id")?,
                        action: r.try_get("action")?,
                        subject: r.try_get("subject")?,
                        detail: r.try_get("detail")?,
                        client_ip: r.try_get("client_ip")?,
                        area_code: r.try_get("area_code")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    })?;
    Ok(rows)
}
