//! Certification requests, their history and documents, and the refunds or top-ups a
//! flagged certification causes.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use crate::store::{with_pool, Db};

#[derive(Debug, Clone, FromRow)]
pub struct CertRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub household_id: Option<i64>,
    pub category: String,
    pub department: String,
    pub status: String,
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub policy_id: Option<String>,
    pub area_code: Option<String>,
    pub submitted_by_account_id: Option<i64>,
    pub submitter_role: Option<String>,
    pub documents: i64,
}

macro_rules! cert_select {
    () => {
        "SELECT c.id, c.person_id, p.name, p.id_number, p.household_id, c.category, c.department, c.status,
            c.effective_on, c.valid_until, c.created_at, c.policy_id, c.area_code, c.submitted_by_account_id,
            c.submitter_role,
            (SELECT COUNT(*) FROM certification_documents d WHERE d.certification_id = c.id) AS documents
         FROM certifications c JOIN people p ON p.id = c.person_id"
    };
}

pub async fn get(db: &Db, id: i64) -> Result<Option<CertRow>, sqlx::Error> {
    const SQL: &str = concat!(cert_select!(), " WHERE c.id = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

/// A work queue's filters; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub statuses: Vec<String>,
    pub area_prefix: Option<String>,
    pub department: Option<String>,
    pub category: Option<String>,
    /// Submitted before this instant (requests older than N days).
    pub created_before: Option<DateTime<Utc>>,
    /// Only these people (a resident's household).
    pub household_id: Option<i64>,
    pub submitted_by: Option<i64>,
    pub limit: i64,
}

/// Oldest first: the queue is worked from the front.
pub async fn queue(db: &Db, f: &QueueFilter) -> Result<Vec<CertRow>, sqlx::Error> {
    // Statuses travel as one comma-joined parameter so both engines share the statement.
    const SQL: &str = concat!(
        cert_select!(),
        " WHERE ($1 = '' OR (',' || $1 || ',') LIKE ('%,' || c.status || ',%'))
            AND ($2 IS NULL OR c.area_code LIKE $2)
            AND ($3 IS NULL OR c.department = $3)
            AND ($4 IS NULL OR c.category = $4)
            AND ($5 IS NULL OR c.created_at < $5)
            AND (($6 IS NULL AND $7 IS NULL) OR p.household_id = $6 OR c.submitted_by_account_id = $7)
          ORDER BY c.created_at, c.id LIMIT $8"
    );
    let statuses = f.statuses.join(",");
    let like = f.area_prefix.as_ref().map(|a| format!("{a}%"));
    with_pool!(db, p => sqlx::query_as(SQL)
        .bind(statuses).bind(like).bind(&f.department).bind(&f.category).bind(f.created_before)
        .bind(f.household_id).bind(f.submitted_by).bind(f.limit)
        .fetch_all(p).await)
}

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_name: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

/// A certification's history. An addition from a department's list has no event row for
/// its first step: the certification carries the list, line and date (migration 0011), and
/// the step is rebuilt here as it was once written.
pub async fn events(db: &Db, cert_id: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    const SQL: &str = "SELECT e.action, e.from_status, e.to_status, a.display_name AS actor_name, e.comment, e.at
        FROM certification_events e LEFT JOIN accounts a ON a.id = e.actor_account_id
        WHERE e.certification_id = $1 ORDER BY e.at, e.id";
    const LISTED: &str = "SELECT c.import_id, c.import_line, c.listed_on, c.created_at, a.display_name
        FROM certifications c JOIN adjustment_imports i ON i.id = c.import_id
        LEFT JOIN accounts a ON a.id = i.uploaded_by
        WHERE c.id = $1";
    type Listed = (i64, i64, Option<NaiveDate>, DateTime<Utc>, Option<String>);
    let (mut events, listed): (Vec<EventRow>, Option<Listed>) = with_pool!(db, p => {
        let events = sqlx::query_as(SQL).bind(cert_id).fetch_all(p).await?;
        let listed = sqlx::query_as(LISTED).bind(cert_id).fetch_optional(p).await?;
        (events, listed)
    });
    if let Some((import_id, line, on, at, actor_name)) = listed {
        let on = on.map(|d| d.to_string()).unwrap_or_default();
        events.insert(
            0,
            EventRow {
                action: "list_add".to_owned(),
                from_status: None,
                to_status: "confirmed".to_owned(),
                actor_name,
                comment: Some(format!("动态调整名单#{import_id} 第{line}行 新增 {on}")),
                at,
            },
        );
    }
    Ok(events)
}

#[derive(Debug, Clone, FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub certification_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn documents(db: &Db, cert_id: i64) -> Result<Vec<DocumentRow>, sqlx::Error> {
    const SQL: &str = "SELECT id, certification_id, file_name, content_type, size_bytes, created_at
        FROM certification_documents WHERE certification_id = $1 ORDER BY id";
    with_pool!(db, p => sqlx::query_as(SQL).bind(cert_id).fetch_all(p).await)
}

pub async fn document_body(db: &Db, cert_id: i64, doc_id: i64) -> Result<Option<(DocumentRow, Vec<u8>)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Full {
        #[sqlx(flatten)]
        meta: DocumentRow,
        body: Vec<u8>,
    }
    const SQL: &str = "SELECT id, certification_id, file_name, content_type, size_bytes, created_at, body
        FROM certification_documents WHERE certification_id = $1 AND id = $2";
    let row: Option<Full> =
        with_pool!(db, p => sqlx::query_as(SQL).bind(cert_id).bind(doc_id).fetch_optional(p).await)?;
    Ok(row.map(|f| (f.meta, f.body)))
}

pub struct NewDocument<'a> {
    pub cert_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub body: &'a [u8],
    pub uploaded_by: i64,
}

/// Stores a document with its audit entry (whose subject, when None, names the document) in
/// one transaction.
pub async fn insert_document(
    db: &Db,
    d: &NewDocument<'_>,
    entry: &crate::services::audit::store::AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO certification_documents
        (certification_id, file_name, content_type, size_bytes, sha256, body, uploaded_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar(SQL)
            .bind(d.cert_id).bind(d.file_name).bind(d.content_type).bind(d.body.len() as i64).bind(d.sha256)
            .bind(d.body).bind(d.uploaded_by).bind(now)
            .fetch_one(&mut *tx).await?;
        let subject = format!("certification {} document {id}", d.cert_id);
        let entry = crate::services::audit::store::AuditEntry { subject: entry.subject.or(Some(&subject)), ..entry.clone() };
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(id)
    })
}

/// An open request (not finished, withdrawn, rejected or revoked) for the same person and
/// category, if any.
pub async fn open_request(db: &Db, person_id: i64, category: &str) -> Result<Option<i64>, sqlx::Error> {
    const SQL: &str = "SELECT id FROM certifications WHERE person_id = $1 AND category = $2
        AND status IN ('submitted', 'accepted', 'returned', 'confirmed', 'flagged') LIMIT 1";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(person_id).bind(category).fetch_optional(p).await)
}

#[derive(Debug, Clone, FromRow)]
pub struct AdjustmentRow {
    pub id: i64,
    pub enrolment_id: i64,
    pub kind: String,
    pub amount_fen: i64,
    pub status: String,
    pub category: Option<String>,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub settlement_channel: Option<String>,
    pub settlement_note: Option<String>,
    pub settled_by: Option<String>,
}

const ADJUSTMENT_SELECT: &str = "SELECT a.id, a.enrolment_id, a.kind, a.amount_fen, a.status, c.category, a.created_at,
        a.settled_at, a.settlement_channel, a.settlement_note, s.display_name AS settled_by
    FROM contribution_adjustments a LEFT JOIN certifications c ON c.id = a.certification_id
    LEFT JOIN accounts s ON s.id = a.settled_by_account_id";

pub async fn adjustments_of_enrolment(db: &Db, enrolment_id: i64) -> Result<Vec<AdjustmentRow>, sqlx::Error> {
    let sql = format!("{ADJUSTMENT_SELECT} WHERE a.enrolment_id = $1 ORDER BY a.id");
    with_pool!(db, p => sqlx::query_as(&sql).bind(enrolment_id).fetch_all(p).await)
}

pub async fn adjustments_of_certification(db: &Db, cert_id: i64) -> Result<Vec<AdjustmentRow>, sqlx::Error> {
    let sql = format!("{ADJUSTMENT_SELECT} WHERE a.certification_id = $1 ORDER BY a.id");
    with_pool!(db, p => sqlx::query_as(&sql).bind(cert_id).fetch_all(p).await)
}

/// A price change a flag causes for one enrolment, worked out before the transaction.
pub struct Repricing {
    pub enrolment_id: i64,
    pub order_id: Option<i64>,
    pub paid: bool,
    pub request_json: String,
    pub quote_json: String,
    pub amounts: crate::services::enrolment::QuotedAmounts,
    /// Positive: a refund of this much; negative: a top-up.
    pub refund_fen: i64,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub start_rule: Option<&'static str>,
}

/// One step on a certification: the new status, who and when, and the audit entry's words.
pub struct Step<'a> {
    pub cert: &'a CertRow,
    pub action: &'a str,
    pub to: &'a str,
    pub comment: Option<&'a str>,
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub actor_id: i64,
    /// The audit entry's real instant.
    pub now: DateTime<Utc>,
    /// The step's own time on the business clock (`Clock::business_now`): what its history shows.
    pub at: DateTime<Utc>,
    pub today: NaiveDate,
    pub subject: &'a str,
    pub detail: &'a str,
    pub client_ip: &'a str,
}

/// Moves the certification on if it still has the status it was read with (false when
/// someone else moved it first), with its event, the re-priced enrolment (a refund or top-up
/// when it was paid; the stale order cancelled and a nothing-owed enrolment paid when not),
/// and the audit entry — all in one transaction.
pub async fn apply_step(db: &Db, s: &Step<'_>, plan: Option<&Repricing>) -> Result<bool, sqlx::Error> {
    let Step {
        cert,
        action,
        to,
        comment,
        effective_on,
        valid_until,
        actor_id,
        now,
        at,
        today,
        subject,
        detail,
        client_ip,
    } = *s;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE certifications SET status = $1, updated_at = $2, effective_on = COALESCE($3, effective_on),
                valid_until = COALESCE($4, valid_until)
             WHERE id = $5 AND status = $6")
            .bind(to).bind(at).bind(effective_on).bind(valid_until).bind(cert.id).bind(&cert.status)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            Ok::<bool, sqlx::Error>(false)
        } else {
            sqlx::query("INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(cert.id).bind(action).bind(&cert.status).bind(to).bind(actor_id).bind(comment).bind(at)
                .execute(&mut *tx).await?;
            if let Some(r) = plan {
                sqlx::query(
                    "UPDATE enrolments SET applied_category = $1, standard_fen = $2, subsidy_fen = $3, surcharge_fen = $4,
                        add_ons_fen = $5, due_fen = $6, quote_request = $7,
                        quote_json = $8
                     WHERE id = $9")
                    .bind(&r.amounts.applied_category).bind(r.amounts.standard_fen).bind(r.amounts.subsidy_fen)
                    .bind(r.amounts.surcharge_fen).bind(r.amounts.add_ons_fen).bind(r.amounts.due_fen).bind(&r.request_json).bind(&r.quote_json).bind(r.enrolment_id)
                    .execute(&mut *tx).await?;
                if r.paid && r.refund_fen != 0 {
                    let kind = if r.refund_fen > 0 { "refund" } else { "top_up" };
                    sqlx::query(
                        "INSERT INTO contribution_adjustments (enrolment_id, person_id, certification_id, kind, amount_fen, status, created_at)
                         VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
                        .bind(r.enrolment_id).bind(cert.person_id).bind(cert.id).bind(kind).bind(r.refund_fen.abs()).bind(now)
                        .execute(&mut *tx).await?;
                }
                if !r.paid {
                    // The open order was for the old amount: cancel it so the next one is right.
                    if let Some(o) = r.order_id {
                        sqlx::query("UPDATE payment_orders SET status = 'cancelled', closed_at = $1 WHERE id = $2 AND status = 'pending'")
                            .bind(now).bind(o).execute(&mut *tx).await?;
                    }
                    if r.amounts.due_fen == 0 {
                        sqlx::query(
                            "UPDATE enrolments SET status = 'paid', paid_on = $1, benefit_start = $2, benefit_end = $3,
                                start_rule = $4, order_id = NULL WHERE id = $5 AND status = 'unpaid'")
                            .bind(today).bind(r.start).bind(r.end).bind(r.start_rule).bind(r.enrolment_id)
                            .execute(&mut *tx).await?;
                    }
                }
            }
            sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(now).bind(actor_id).bind(format!("certification_{action}")).bind(subject).bind(detail)
                .bind(client_ip).bind(&cert.area_code).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(true)
        }
    })
}

/// A request for a category to be certified, as submitted.
pub struct NewRequest<'a> {
    pub person_id: i64,
    pub category: &'a str,
    pub department: &'a str,
    pub policy_id: &'a str,
    pub area: &'a str,
    pub actor_id: i64,
    pub actor_role: &'a str,
    pub comment: Option<&'a str>,
    /// The audit entry's real instant.
    pub now: DateTime<Utc>,
    /// The request's time on the business clock: what its history shows.
    pub at: DateTime<Utc>,
    pub subject_masked: &'a str,
    pub client_ip: &'a str,
}

/// Stores the request with its first event and its audit entry in one transaction; its id.
pub async fn insert_request(db: &Db, r: &NewRequest<'_>) -> Result<i64, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at, policy_id,
                area_code, submitted_by_account_id, submitter_role, source)
             VALUES ($1, $2, $3, 'submitted', $4, $4, $5, $6, $7, $8, 'request') RETURNING id")
            .bind(r.person_id).bind(r.category).bind(r.department).bind(r.at).bind(r.policy_id).bind(r.area)
            .bind(r.actor_id).bind(r.actor_role)
            .fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                     VALUES ($1, 'submit', NULL, 'submitted', $2, $3, $4)")
            .bind(cid).bind(r.actor_id).bind(r.comment).bind(r.at).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'certification_submitted', $3, $4, $5, $6)")
            .bind(r.now).bind(r.actor_id).bind(format!("certification {cid} {}", r.subject_masked))
            .bind(r.category).bind(r.client_ip).bind(r.area).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(cid)
    })
}
