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
    /// The area the action concerned (bureau officers see their area's entries).
    pub area_code: Option<&'a str>,
}

pub async fn record(db: &Db, e: &AuditEntry<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
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
