//! The payment exceptions queue (支付异常) and the settlement of refunds / top-ups: the
//! same statements on both databases.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::services::audit::store::AuditEntry;
use crate::store::{with_pool, Db};

/// A verified payment that could not be applied, as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ExceptionRow {
    pub id: i64,
    pub transaction_id: String,
    pub order_no: String,
    pub household_id: Option<i64>,
    pub area_code: Option<String>,
    pub amount_fen: i64,
    pub paid_at: DateTime<Utc>,
    pub reason: String,
    pub received_at: DateTime<Utc>,
    pub status: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<String>,
    pub settlement_channel: Option<String>,
    pub settlement_note: Option<String>,
    pub receipt_no: Option<String>,
    pub payer_name: Option<String>,
    pub payer_id_number: Option<String>,
}

const SELECT: &str = "SELECT x.id, x.transaction_id, x.order_no, x.household_id, x.area_code, x.amount_fen,
        x.paid_at, x.reason, x.received_at, x.status, x.settled_at, a.display_name AS settled_by,
        x.settlement_channel, x.settlement_note, x.receipt_no, p.name AS payer_name, p.id_number AS payer_id_number
    FROM payment_exceptions x
    LEFT JOIN accounts a ON a.id = x.settled_by_account_id
    LEFT JOIN households h ON h.id = x.household_id
    LEFT JOIN people p ON p.id = h.head_person_id";

/// What a verified but inapplicable callback leaves.
pub struct NewException<'a> {
    pub transaction_id: &'a str,
    pub order_no: &'a str,
    pub household_id: Option<i64>,
    pub area_code: Option<&'a str>,
    pub amount_fen: i64,
    pub paid_at: DateTime<Utc>,
    pub reason: &'a str,
}

/// Stores the exception once per provider transaction, with the callback's body and (when
/// new) its audit entry, in one transaction. True when it is new (a re-sent callback adds
/// only its callback record).
pub async fn insert(
    db: &Db,
    x: &NewException<'_>,
    (body, entry): (&str, &AuditEntry<'_>),
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "INSERT INTO payment_exceptions (transaction_id, order_no, household_id, area_code,
            amount_fen, paid_at, reason, received_at, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open') ON CONFLICT (transaction_id) DO NOTHING";
    const CALLBACK: &str =
        "INSERT INTO payment_callbacks (received_at, outcome, order_no, body) VALUES ($1, 'exception', $2, $3)";
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(SQL)
            .bind(x.transaction_id).bind(x.order_no).bind(x.household_id).bind(x.area_code)
            .bind(x.amount_fen).bind(x.paid_at).bind(x.reason).bind(now)
            .execute(&mut *tx).await?.rows_affected();
        sqlx::query(CALLBACK).bind(now).bind(x.order_no).bind(body).execute(&mut *tx).await?;
        if n == 1 {
            crate::services::audit::store::audit_in_tx!(tx, entry, now);
        }
        tx.commit().await?;
        Ok(n == 1)
    })
}

/// Exceptions whose area starts with `scope` (open only unless `all`), newest first. An
/// exception with no area (its order named no household) is the root's only.
pub async fn in_scope(db: &Db, scope: &str, all: bool) -> Result<Vec<ExceptionRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE ($1 = '' OR x.area_code LIKE $2) AND ($3 OR x.status = 'open') ORDER BY x.id DESC LIMIT 500"
    );
    let like = format!("{scope}%");
    with_pool!(db, p => sqlx::query_as(&sql).bind(scope).bind(&like).bind(all).fetch_all(p).await)
}

pub async fn of_household(db: &Db, household_id: i64) -> Result<Vec<ExceptionRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE x.household_id = $1 ORDER BY x.id DESC");
    with_pool!(db, p => sqlx::query_as(&sql).bind(household_id).fetch_all(p).await)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<ExceptionRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE x.id = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

pub async fn by_transaction(db: &Db, transaction_id: &str) -> Result<Option<ExceptionRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE x.transaction_id = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(transaction_id).fetch_optional(p).await)
}

/// How an officer settled something: outcome, by whom, when, channel, note.
pub struct Settlement<'a> {
    pub status: &'a str,
    pub account_id: i64,
    pub at: DateTime<Utc>,
    pub channel: &'a str,
    pub note: Option<&'a str>,
    pub receipt_no: Option<&'a str>,
}

/// Settles an open exception. False when it was no longer open (settled by someone else
/// meanwhile): the condition makes two officers' clicks settle it once.
pub async fn settle(db: &Db, id: i64, s: &Settlement<'_>, entry: &AuditEntry<'_>) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE payment_exceptions SET status = $1, settled_by_account_id = $2, settled_at = $3,
            settlement_channel = $4, settlement_note = $5, receipt_no = $6
        WHERE id = $7 AND status = 'open'";
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(SQL)
            .bind(s.status).bind(s.account_id).bind(s.at).bind(s.channel).bind(s.note).bind(s.receipt_no).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            crate::services::audit::store::audit_in_tx!(tx, entry, s.at);
        }
        tx.commit().await?;
        Ok(n == 1)
    })
}

/// A refund or top-up with what it needs for a scope check: its household's area.
#[derive(Debug, Clone, FromRow)]
pub struct AdjustmentScope {
    pub id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub status: String,
    pub enrolment_id: i64,
    pub area_code: Option<String>,
}

pub async fn adjustment(db: &Db, id: i64) -> Result<Option<AdjustmentScope>, sqlx::Error> {
    const SQL: &str = "SELECT a.id, a.kind, a.amount_fen, a.status, a.enrolment_id, h.area_code
        FROM contribution_adjustments a JOIN enrolments e ON e.id = a.enrolment_id
        LEFT JOIN households h ON h.id = e.household_id WHERE a.id = $1";
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

/// Settles a pending refund / top-up; false when it was no longer pending.
pub async fn settle_adjustment(
    db: &Db,
    id: i64,
    s: &Settlement<'_>,
    entry: &AuditEntry<'_>,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE contribution_adjustments SET status = 'settled', settled_by_account_id = $1,
            settled_at = $2, settlement_channel = $3, settlement_note = $4
        WHERE id = $5 AND status = 'pending'";
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(SQL)
            .bind(s.account_id).bind(s.at).bind(s.channel).bind(s.note).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            crate::services::audit::store::audit_in_tx!(tx, entry, s.at);
        }
        tx.commit().await?;
        Ok(n == 1)
    })
}

/// A pending refund / top-up in an area, with the person's name and ID number.
#[derive(Debug, Clone, FromRow)]
pub struct PendingAdjustmentRow {
    pub id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub enrolment_id: i64,
    pub name: String,
    pub id_number: String,
    pub created_at: DateTime<Utc>,
}

pub async fn pending_adjustments(db: &Db, scope: &str) -> Result<Vec<PendingAdjustmentRow>, sqlx::Error> {
    const SQL: &str = "SELECT a.id, a.kind, a.amount_fen, a.enrolment_id, p.name, p.id_number, a.created_at
        FROM contribution_adjustments a JOIN enrolments e ON e.id = a.enrolment_id
        JOIN people p ON p.id = a.person_id JOIN households h ON h.id = e.household_id
        WHERE a.status = 'pending' AND ($1 = '' OR h.area_code LIKE $2) ORDER BY a.id LIMIT 500";
    let like = format!("{scope}%");
    with_pool!(db, p => sqlx::query_as(SQL).bind(scope).bind(&like).fetch_all(p).await)
}

/// Closes a pending order as cancelled (a closed or paid order stays as it is).
pub async fn cancel_order(db: &Db, order_id: i64, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    with_pool!(db, p => sqlx::query(
        "UPDATE payment_orders SET status = 'cancelled', closed_at = $1 WHERE id = $2 AND status = 'pending'")
        .bind(now).bind(order_id).execute(p).await.map(|r| r.rows_affected()))
}
