//! Drafts and published versions of policy packs, for both databases (the statements are
//! the same text on SQLite and PostgreSQL; `$n` placeholders work on both).

use chrono::{DateTime, NaiveDate, Utc};

use crate::services::audit::store::{audit_in_tx, AuditEntry};
use crate::store::{with_pool, Db};

/// A published version as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub pack_id: String,
    pub version: i32,
    pub body: String,
    pub effective_from: NaiveDate,
}

/// A draft with its author's and reviewer's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: i64,
    pub pack_id: String,
    pub area_code: String,
    pub base_id: Option<String>,
    pub base_version: Option<i32>,
    pub body: String,
    pub status: String,
    pub reason: Option<String>,
    pub author_account_id: i64,
    pub author_name: String,
    pub reviewer_account_id: Option<i64>,
    pub reviewer_name: Option<String>,
    pub review_note: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub published_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

const DRAFT_COLUMNS: &str = "d.id, d.pack_id, d.area_code, d.base_id, d.base_version, d.body, d.status, d.reason,
    d.author_account_id, a.display_name AS author_name, d.reviewer_account_id, r.display_name AS reviewer_name,
    d.review_note, d.submitted_at, d.reviewed_at, d.published_version, d.updated_at
    FROM policy_drafts d JOIN accounts a ON a.id = d.author_account_id
    LEFT JOIN accounts r ON r.id = d.reviewer_account_id";

pub async fn published(db: &Db) -> Result<Vec<VersionRow>, sqlx::Error> {
    const SQL: &str = "SELECT pack_id, version, body, effective_from FROM policy_versions ORDER BY pack_id, version";
    with_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await)
}

pub async fn draft(db: &Db, id: i64) -> Result<Option<DraftRow>, sqlx::Error> {
    let sql = format!("SELECT {DRAFT_COLUMNS} WHERE d.id = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

/// Drafts whose area lies in `prefix` ("" for the whole country), newest first.
pub async fn drafts_in(db: &Db, prefix: &str) -> Result<Vec<DraftRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} WHERE substr(d.area_code, 1, length($1)) = $1 ORDER BY d.updated_at DESC, d.id DESC LIMIT 200"
    );
    with_pool!(db, p => sqlx::query_as(&sql).bind(prefix).fetch_all(p).await)
}

pub struct NewDraft<'a> {
    pub pack_id: &'a str,
    pub area_code: &'a str,
    pub base: Option<(&'a str, i32)>,
    pub body: &'a str,
    pub reason: Option<&'a str>,
    pub author: i64,
}

pub async fn insert_draft(
    db: &Db,
    d: &NewDraft<'_>,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO policy_drafts (pack_id, area_code, base_id, base_version, body, status, reason,
            author_account_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $8) RETURNING id";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar(SQL)
            .bind(d.pack_id).bind(d.area_code).bind(d.base.map(|b| b.0)).bind(d.base.map(|b| b.1))
            .bind(d.body).bind(d.reason).bind(d.author).bind(now)
            .fetch_one(&mut *tx).await?;
        let subject = format!("policy draft {id} ({})", d.pack_id);
        let entry = AuditEntry { subject: Some(&subject), ..entry.clone() };
        audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(id)
    })
}

/// Replaces an editable draft's pack; false when it is no longer editable (submitted meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn update_body(
    db: &Db,
    id: i64,
    pack_id: &str,
    area_code: &str,
    body: &str,
    reason: Option<&str>,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE policy_drafts SET pack_id = $2, area_code = $3, body = $4, reason = $5, updated_at = $6
         WHERE id = $1 AND status IN ('draft', 'returned')";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let n = sqlx::query(SQL).bind(id).bind(pack_id).bind(area_code).bind(body).bind(reason).bind(now)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_in_tx!(tx, entry, now);
        }
        tx.commit().await?;
        Ok(n == 1)
    })
}

/// A step of the review: moves the draft from one of `from` to `to`, recording the reviewer
/// (approve, return) or the submission time; false when the draft was not in `from`.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    db: &Db,
    id: i64,
    from: &[&str],
    to: &str,
    reviewer: Option<i64>,
    note: Option<&str>,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    // `from` is one or two fixed statuses, written into the statement by the caller's choice.
    let (a, b) = (from[0], from.get(1).copied().unwrap_or(from[0]));
    const SQL: &str = "UPDATE policy_drafts SET status = $4, updated_at = $5,
            submitted_at = CASE WHEN $4 = 'submitted' THEN $5 ELSE submitted_at END,
            reviewer_account_id = CASE WHEN $4 IN ('approved', 'returned') THEN $6 ELSE reviewer_account_id END,
            reviewed_at = CASE WHEN $4 IN ('approved', 'returned') THEN $5 ELSE reviewed_at END,
            review_note = CASE WHEN $4 IN ('approved', 'returned') THEN $7 ELSE review_note END
         WHERE id = $1 AND status IN ($2, $3)";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let n = sqlx::query(SQL).bind(id).bind(a).bind(b).bind(to).bind(now).bind(reviewer).bind(note)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_in_tx!(tx, entry, now);
        }
        tx.commit().await?;
        Ok(n == 1)
    })
}

pub struct NewVersion<'a> {
    pub draft_id: i64,
    pub pack_id: &'a str,
    pub area_code: &'a str,
    /// The body is written with this version in it.
    pub body_for: &'a (dyn Fn(i32) -> String + Sync),
    /// The version the registry holds for this id without the database (1 for a seed pack,
    /// 0 for a new id): the new one is above both.
    pub floor: i32,
    pub effective_from: NaiveDate,
    pub reason: Option<&'a str>,
    pub publisher: i64,
}

/// Publishes an approved draft as the next version of its id; None when the draft was not
/// approved (published meanwhile by someone else). Two publishers of one id at once: the
/// primary key refuses the second, whose transaction rolls back.
pub async fn publish(
    db: &Db,
    v: &NewVersion<'_>,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i32>, sqlx::Error> {
    const NEXT: &str = "SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE pack_id = $1";
    const MARK: &str = "UPDATE policy_drafts SET status = 'published', published_version = $2, updated_at = $3,
            body = $4 WHERE id = $1 AND status = 'approved'";
    const INSERT: &str = "INSERT INTO policy_versions (pack_id, version, body, area_code, effective_from, reason,
            draft_id, published_by_account_id, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let stored: i32 = sqlx::query_scalar(NEXT).bind(v.pack_id).fetch_one(&mut *tx).await?;
        let version = stored.max(v.floor) + 1;
        let body = (v.body_for)(version);
        let n = sqlx::query(MARK).bind(v.draft_id).bind(version).bind(now).bind(&body)
            .execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            return Ok(None);
        }
        sqlx::query(INSERT)
            .bind(v.pack_id).bind(version).bind(&body).bind(v.area_code).bind(v.effective_from).bind(v.reason)
            .bind(v.draft_id).bind(v.publisher).bind(now)
            .execute(&mut *tx).await?;
        audit_in_tx!(tx, entry, now);
        tx.commit().await?;
        Ok(Some(version))
    })
}
