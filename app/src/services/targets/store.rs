//! Targets' storage: reading them under an area, and setting them by hand with their audit
//! entry in one transaction (one target from the page, or a whole file).

use chrono::{DateTime, Utc};

use crate::services::audit::store::AuditEntry;
use crate::store::{with_pool, Db};

#[derive(sqlx::FromRow)]
pub struct TargetRow {
    pub area_code: String,
    pub name: String,
    pub name_en: String,
    pub insurance_year: i32,
    pub target_count: i64,
    pub notice: String,
    pub clause: String,
    pub assumed: bool,
    pub updated_by: Option<String>,
}

/// The targets whose area code starts with `prefix`, newest year first.
pub async fn under(db: &Db, prefix: &str) -> Result<Vec<TargetRow>, sqlx::Error> {
    const SQL: &str = "SELECT t.area_code, a.name, a.name_en, t.insurance_year, t.target_count, t.notice, t.clause,
            t.assumed, ac.display_name AS updated_by
        FROM area_targets t JOIN areas a ON a.code = t.area_code
        LEFT JOIN accounts ac ON ac.id = t.updated_by
        WHERE t.area_code LIKE $1 ORDER BY t.insurance_year DESC, t.area_code";
    with_pool!(db, p => sqlx::query_as(SQL).bind(format!("{prefix}%")).fetch_all(p).await)
}

const UPSERT: &str = "INSERT INTO area_targets (area_code, insurance_year, target_count, notice, clause, assumed, updated_by, updated_at)
    VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7)
    ON CONFLICT (area_code, insurance_year) DO UPDATE SET target_count = excluded.target_count,
        notice = excluded.notice, clause = excluded.clause, assumed = FALSE,
        updated_by = excluded.updated_by, updated_at = excluded.updated_at";

/// Sets `(area, year, count)` targets by hand, citing `source` (the seed will not overwrite
/// them), and writes `entry` to the audit log, all in one transaction.
pub async fn set_all(
    db: &Db,
    targets: &[(&str, i32, i64)],
    (notice, clause): (&str, &str),
    actor_id: i64,
    now: DateTime<Utc>,
    entry: &AuditEntry<'_>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        for (code, year, count) in targets {
            sqlx::query(UPSERT)
                .bind(code).bind(year).bind(count).bind(notice).bind(clause).bind(actor_id).bind(now)
                .execute(&mut *tx).await?;
        }
        crate::services::audit::store::audit_in_tx!(tx, entry, now);
        tx.commit().await
    })
}
