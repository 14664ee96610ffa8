//! The audit log: who did what, when, from where.

use chrono::{DateTime, Utc};

use super::{with_pool, Db};

#[derive(Debug, Clone, Default)]
pub struct AuditEntry<'a> {
    pub actor_account_id: Option<i64>,
    pub action: &'a str,
    /// What it concerned; never a full ID number (mask it first).
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub client_ip: Option<&'a str>,
}

pub async fn record(db: &Db, e: &AuditEntry<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip)
        VALUES ($1, $2, $3, $4, $5, $6)";
    with_pool!(db, p => sqlx::query(SQL)
        .bind(now).bind(e.actor_account_id).bind(e.action).bind(e.subject).bind(e.detail).bind(e.client_ip)
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
