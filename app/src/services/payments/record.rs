//! Recording a payment against its order. The general transaction (both databases) and
//! the PostgreSQL batched statement sit side by side: the same writes and checks.

use chrono::{DateTime, NaiveDate, Utc};
use domain::policy::Quote;

use crate::error::{AppError, UserMessage};
use crate::secrets::random_token;
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::enrolment::{self, start_rule_code};
use crate::services::AppState;
use crate::store::with_pool;

pub struct NewPayment<'a> {
    pub transaction_id: &'a str,
    pub channel: &'a str,
    pub order_id: Option<i64>,
    pub amount_fen: i64,
    pub paid_at: DateTime<Utc>,
    pub collector: Option<i64>,
    /// The provider's callback (order number, body) that reported this payment: recorded
    /// as applied in the payment's own transaction, so it commits with what it records.
    pub callback: Option<(&'a str, &'a str)>,
    /// An order this payment was sent for although its enrolments moved to a newer one (a
    /// late payment): marked paid with it.
    pub closes_order: Option<i64>,
    /// The audit entry, written in the payment's transaction (its subject, when None, is the
    /// receipt number).
    pub audit: Option<audit::AuditEntry<'a>>,
}

/// Final dates for each enrolment paid today: the engine re-run with today's date (a
/// late payment starts later) on the request stored at submission. Amounts stay as ordered.
pub(super) async fn settle(state: &AppState, rows: &[EnrolmentRow]) -> Result<Vec<(i64, Option<Quote>)>, AppError> {
    let today = state.clock.today();
    let mut out = Vec::with_capacity(rows.len());
    let policies = state.policies.current();
    for r in rows {
        let stored: Option<domain::policy::QuoteRequest> =
            r.quote_request.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let fresh = match (
            policies
                .version(&r.policy_id, r.policy_version as u32)
                .or_else(|| policies.get(&r.policy_id)),
            stored,
        ) {
            (Some(pack), Some(mut req)) => {
                req.paid_on = today.to_string();
                domain::policy::quote(pack, &req)
                    .ok()
                    .filter(|q| q.eligible && q.priced)
            }
            (Some(pack), None) => match store::person(&state.db, r.person_id).await? {
                Some(person) => {
                    let add_ons = enrolment::add_on_codes(&r.add_ons);
                    let req = crate::services::pricing::quote_request(
                        state,
                        pack,
                        &person,
                        person.student,
                        r.tier.clone(),
                        add_ons,
                        today,
                    )
                    .await?;
                    domain::policy::quote(pack, &req)
                        .ok()
                        .filter(|q| q.eligible && q.priced)
                }
                None => None,
            },
            _ => None,
        };
        out.push((r.id, fresh.or_else(|| serde_json::from_str(&r.quote_json).ok())));
    }
    Ok(out)
}

/// Marks one unpaid enrolment paid on `today`, with the start and end dates, start rule and
/// quote of its settlement (the stored quote stays when there is none). Evaluates to the
/// number of rows changed: 0 when it was no longer unpaid. A macro because the same
/// statement runs on either backend's transaction inside `with_pool!`.
macro_rules! mark_paid {
    ($tx:ident, $id:expr, $today:expr, $quote:expr) => {{
        let q: &Option<Quote> = $quote;
        sqlx::query(
            "UPDATE enrolments SET status = 'paid', paid_fen = due_fen, paid_on = $1, benefit_start = $2,
                benefit_end = $3, start_rule = $4, quote_json = COALESCE($5, quote_json)
             WHERE id = $6 AND status = 'unpaid'",
        )
        .bind($today)
        .bind(q.as_ref().and_then(|q| q.benefit_start))
        .bind(q.as_ref().and_then(|q| q.benefit_end))
        .bind(q.as_ref().and_then(|q| q.start_rule).map(start_rule_code))
        .bind(q.as_ref().and_then(|q| serde_json::to_string(q).ok()))
        .bind($id)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    }};
}

/// Which payment paid which enrolment, and how much of it.
pub(super) const LINK_PAYMENT: &str =
    "INSERT INTO payment_enrolments (payment_id, enrolment_id, amount_fen) VALUES ($1, $2, $3)";

/// Nothing was charged: what was to be paid is paid or its order is closed.
pub(super) fn already_paid() -> AppError {
    AppError::Conflict(UserMessage::new(
        "already_paid",
        None,
        "这些参保登记已缴费或订单已关闭，未重复收款",
        "Already paid or the order is closed; nothing was charged twice",
    ))
}

/// `R20221008` + 12 random hex digits. Receipt numbers are unique; with 8 digits, two of
/// 20,000 receipts in a load test already collided (a 500), so 48 bits: a collision becomes
/// unlikely even at a million receipts a day.
pub(super) fn receipt_number(now: DateTime<Utc>) -> String {
    format!(
        "R{}{}",
        crate::services::clock::shanghai_date(now).format("%Y%m%d"),
        random_token(6).to_uppercase()
    )
}

/// Records one payment for `rows` (all unpaid) in one transaction. Returns the receipt
/// number and whether it was applied now (false: this transaction id was already recorded).
pub async fn record_payment(
    state: &AppState,
    p: &NewPayment<'_>,
    rows: &[EnrolmentRow],
) -> Result<(String, bool), AppError> {
    let db = &state.db;
    let settled = settle(state, rows).await?;
    let today = state.clock.today();
    let now = state.clock.now();
    // Numbered by the business date, as the receipt is dated.
    let receipt = receipt_number(state.clock.business_now());
    // Whether this transaction id was new (false: recorded before, nothing written now).
    let applied: bool = match (db, p.order_id) {
        // The one-statement path writes no audit entry: a payment with one takes the other.
        (crate::store::Db::Postgres(_), Some(order_id)) if p.audit.is_none() && p.closes_order.is_none() => {
            pay_order_pg(state, p, order_id, rows, &settled, &receipt, (now, today)).await?
        }
        _ => with_pool!(db, pool => {
            let mut tx = pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO payments (transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, collected_by_account_id, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (transaction_id) DO NOTHING RETURNING id")
                .bind(p.transaction_id).bind(p.channel).bind(p.order_id).bind(p.amount_fen).bind(p.paid_at)
                .bind(&receipt).bind(p.collector).bind(now)
                .fetch_optional(&mut *tx).await?;
            match id {
                None => { tx.rollback().await?; false }
                Some(payment_id) => {
                    if let Some(order_id) = p.order_id {
                        let n = sqlx::query("UPDATE payment_orders SET status = 'paid', closed_at = $1
                            WHERE id = $2 AND status IN ('pending', 'expired')")
                            .bind(now).bind(order_id).execute(&mut *tx).await?.rows_affected();
                        if n != 1 { return Err(already_paid()); }
                    }
                    for (r, (id, q)) in rows.iter().zip(&settled) {
                        if mark_paid!(tx, *id, today, q) != 1 { return Err(already_paid()); }
                        sqlx::query(LINK_PAYMENT).bind(payment_id).bind(id).bind(r.due_fen).execute(&mut *tx).await?;
                        if p.order_id.is_none() {
                            // Paid another way: the online order for it can no longer be paid.
                            sqlx::query("UPDATE payment_orders SET status = 'cancelled', closed_at = $1
                                WHERE status = 'pending' AND id = (SELECT order_id FROM enrolments WHERE id = $2)")
                                .bind(now).bind(id).execute(&mut *tx).await?;
                        }
                    }
                    if let Some((order_no, body)) = p.callback {
                        sqlx::query("INSERT INTO payment_callbacks (received_at, outcome, order_no, body) VALUES ($1, 'applied', $2, $3)")
                            .bind(now).bind(order_no).bind(body).execute(&mut *tx).await?;
                    }
                    if let Some(order_id) = p.closes_order {
                        sqlx::query("UPDATE payment_orders SET status = 'paid', closed_at = $1
                            WHERE id = $2 AND status IN ('pending', 'expired', 'cancelled')")
                            .bind(now).bind(order_id).execute(&mut *tx).await?;
                    }
                    if let Some(entry) = &p.audit {
                        let entry = audit::AuditEntry { subject: entry.subject.or(Some(receipt.as_str())), ..entry.clone() };
                        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
                    }
                    tx.commit().await?;
                    true
                }
            }
        }),
    };
    match applied {
        true => Ok((receipt, true)),
        false => store::payment_by_transaction(db, p.transaction_id)
            .await?
            .map(|d| (d.receipt_no, false))
            .ok_or_else(|| AppError::internal("payment", "duplicate transaction vanished")),
    }
}

/// Orders' payments as one PostgreSQL statement (its own transaction), for one order or a
/// batch of them (`batch.rs`; `$1`–`$9`, `$16`, `$17` have one element per order, `$10`–`$15`
/// and `$18` one per enrolment): each payment, its order marked paid, each enrolment marked
/// paid with its settled dates, the links and the provider's callback. The same writes and
/// checks as [`record_payment`]'s transaction, in one round trip instead of about eight. A
/// transaction id recorded before writes nothing for its order (no payment id); an order or
/// enrolment no longer payable undoes the whole statement (`already_paid`).
pub(super) const PAY_ORDERS: &str = "
WITH po AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::timestamptz[], $6::text[], $7::int8[],
        $8::timestamptz[], $9::date[], $16::text[], $17::text[])
    WITH ORDINALITY AS po(transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, collector,
        recorded_at, paid_on, callback_order_no, callback_body, k)
),
pay AS (
    INSERT INTO payments (transaction_id, channel, order_id, amount_fen, paid_at, receipt_no,
        collected_by_account_id, recorded_at)
    SELECT transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, collector, recorded_at
    FROM po ORDER BY k
    ON CONFLICT (transaction_id) DO NOTHING
    RETURNING id, transaction_id
),
paid AS MATERIALIZED (SELECT po.*, pay.id AS payment_id FROM po JOIN pay USING (transaction_id)),
o AS (
    UPDATE payment_orders SET status = 'paid', closed_at = paid.recorded_at
    FROM paid WHERE payment_orders.id = paid.order_id AND payment_orders.status IN ('pending', 'expired')
    RETURNING payment_orders.id
),
s AS (
    SELECT * FROM unnest($18::int8[], $10::int8[], $11::int8[], $12::date[], $13::date[], $14::text[], $15::text[])
        AS s(k, id, due_fen, benefit_start, benefit_end, start_rule, quote_json)
),
e AS (
    UPDATE enrolments SET status = 'paid', paid_fen = enrolments.due_fen, paid_on = paid.paid_on,
        benefit_start = s.benefit_start, benefit_end = s.benefit_end, start_rule = s.start_rule,
        quote_json = COALESCE(s.quote_json, enrolments.quote_json)
    FROM s JOIN paid USING (k)
    -- `IS TRUE` keeps the status out of the planner's choice of index: guessing few unpaid
    -- rows, it would otherwise read every unpaid enrolment's index entry, not these ids.
    WHERE enrolments.id = s.id AND (enrolments.status = 'unpaid') IS TRUE
    RETURNING enrolments.id, s.due_fen, s.k, paid.payment_id
),
l AS (
    INSERT INTO payment_enrolments (payment_id, enrolment_id, amount_fen)
    SELECT e.payment_id, e.id, e.due_fen FROM e
),
c AS (
    INSERT INTO payment_callbacks (received_at, outcome, order_no, body)
    SELECT recorded_at, 'applied', callback_order_no, callback_body FROM paid WHERE callback_order_no IS NOT NULL
)
SELECT po.k, paid.payment_id,
    CASE WHEN paid.payment_id IS NOT NULL
         AND ((SELECT count(*) FROM o WHERE o.id = po.order_id) <> 1
              OR (SELECT count(*) FROM e WHERE e.k = po.k) <> (SELECT count(*) FROM s WHERE s.k = po.k))
    THEN canbao_abort('already_paid') END
FROM po LEFT JOIN paid USING (k) ORDER BY po.k";

/// One order's payment, owned so that a writer task can take it (`batch.rs`).
pub struct OrderPayment {
    transaction_id: String,
    channel: String,
    order_id: i64,
    amount_fen: i64,
    paid_at: DateTime<Utc>,
    receipt_no: String,
    collector: Option<i64>,
    now: DateTime<Utc>,
    today: NaiveDate,
    callback: Option<(String, String)>,
    enrolments: Vec<SettledEnrolment>,
}

/// An enrolment of the order with the dates its payment today settles.
pub(super) struct SettledEnrolment {
    pub(super) id: i64,
    pub(super) due_fen: i64,
    pub(super) benefit_start: Option<NaiveDate>,
    pub(super) benefit_end: Option<NaiveDate>,
    pub(super) start_rule: Option<String>,
    pub(super) quote_json: Option<String>,
}

/// Writes `jobs` in one statement. For each job, in order: whether its payment was written
/// now (false: its transaction id was recorded before, nothing written for it).
pub(super) async fn pay_orders(pool: &sqlx::PgPool, jobs: &[OrderPayment]) -> Result<Vec<bool>, sqlx::Error> {
    fn each<'a, T>(jobs: &'a [OrderPayment], f: impl Fn(&'a OrderPayment) -> T) -> Vec<T> {
        jobs.iter().map(f).collect()
    }
    fn line<'a, T>(jobs: &'a [OrderPayment], f: impl Fn(&'a SettledEnrolment) -> T) -> Vec<T> {
        jobs.iter().flat_map(|j| &j.enrolments).map(f).collect()
    }
    let order_of: Vec<i64> = jobs
        .iter()
        .enumerate()
        .flat_map(|(k, j)| std::iter::repeat_n(k as i64 + 1, j.enrolments.len()))
        .collect();
    let answers = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>)>(PAY_ORDERS)
        .bind(each(jobs, |j| j.transaction_id.as_str()))
        .bind(each(jobs, |j| j.channel.as_str()))
        .bind(each(jobs, |j| j.order_id))
        .bind(each(jobs, |j| j.amount_fen))
        .bind(each(jobs, |j| j.paid_at))
        .bind(each(jobs, |j| j.receipt_no.as_str()))
        .bind(each(jobs, |j| j.collector))
        .bind(each(jobs, |j| j.now))
        .bind(each(jobs, |j| j.today))
        .bind(line(jobs, |e| e.id))
        .bind(line(jobs, |e| e.due_fen))
        .bind(line(jobs, |e| e.benefit_start))
        .bind(line(jobs, |e| e.benefit_end))
        .bind(line(jobs, |e| e.start_rule.as_deref()))
        .bind(line(jobs, |e| e.quote_json.as_deref()))
        .bind(each(jobs, |j| {
            j.callback.as_ref().map(|(order_no, _)| order_no.as_str())
        }))
        .bind(each(jobs, |j| j.callback.as_ref().map(|(_, body)| body.as_str())))
        .bind(order_of)
        .fetch_all(pool)
        .await?;
    if answers.len() != jobs.len() || answers.iter().enumerate().any(|(i, a)| a.0 != i as i64 + 1) {
        return Err(sqlx::Error::Protocol("payment batch answered out of order".into()));
    }
    Ok(answers.into_iter().map(|(_, payment, _)| payment.is_some()).collect())
}

impl crate::store::batch::Batched for OrderPayment {
    type Answer = bool;

    fn run(
        pool: &sqlx::PgPool,
        jobs: &[Self],
    ) -> impl std::future::Future<Output = Result<Vec<bool>, sqlx::Error>> + Send {
        pay_orders(pool, jobs)
    }

    /// No order or transaction twice: one statement cannot pay both.
    fn distinct(jobs: &[Self]) -> bool {
        let mut orders = std::collections::BTreeSet::new();
        let mut transactions = std::collections::BTreeSet::new();
        jobs.iter()
            .all(|j| orders.insert(j.order_id) && transactions.insert(j.transaction_id.as_str()))
    }
}

pub(super) async fn pay_order_pg(
    state: &AppState,
    p: &NewPayment<'_>,
    order_id: i64,
    rows: &[EnrolmentRow],
    settled: &[(i64, Option<Quote>)],
    receipt: &str,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<bool, AppError> {
    let job = OrderPayment {
        transaction_id: p.transaction_id.to_owned(),
        channel: p.channel.to_owned(),
        order_id,
        amount_fen: p.amount_fen,
        paid_at: p.paid_at,
        receipt_no: receipt.to_owned(),
        collector: p.collector,
        now,
        today,
        callback: p
            .callback
            .map(|(order_no, body)| (order_no.to_owned(), body.to_owned())),
        enrolments: rows
            .iter()
            .zip(settled)
            .map(|(r, (id, q))| SettledEnrolment {
                id: *id,
                due_fen: r.due_fen,
                benefit_start: q.as_ref().and_then(|q| q.benefit_start),
                benefit_end: q.as_ref().and_then(|q| q.benefit_end),
                start_rule: q
                    .as_ref()
                    .and_then(|q| q.start_rule)
                    .map(|r| start_rule_code(r).to_owned()),
                quote_json: q.as_ref().and_then(|q| serde_json::to_string(q).ok()),
            })
            .collect(),
    };
    let answer = match &state.batches.payments {
        Some(writer) => writer
            .submit(job)
            .await
            .ok_or_else(|| AppError::internal("payment", "the payment writer gave no answer"))?,
        None => match &state.db {
            crate::store::Db::Postgres(pool) => crate::store::batch::run_one(pool, &job).await,
            crate::store::Db::Sqlite(_) => return Err(AppError::internal("payment", "one statement is PostgreSQL's")),
        },
    };
    match answer {
        Ok(applied) => Ok(applied),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("P0001") && e.message() == "already_paid" => {
            Err(already_paid())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Sandbox provider's own page

pub(super) struct Row {
    pub(super) line: usize,
    pub(super) id_number: String,
    pub(super) year: Option<i32>,
    pub(super) amount_text: String,
    pub(super) transaction_id: String,
    pub(super) verdict: Verdict,
}

pub(super) enum Verdict {
    Apply {
        enrolment: Box<EnrolmentRow>,
        paid_at: DateTime<Utc>,
    },
    Duplicate,
    Exception(&'static str, String),
}

/// What a reconciliation file's transaction wrote.
pub(super) struct Reconciled {
    pub(super) import_id: i64,
    pub(super) applied: usize,
    pub(super) duplicates: usize,
    /// (index into the rows, reason code, message) of each row kept as an exception.
    pub(super) exceptions: Vec<(usize, &'static str, String)>,
}

/// Applies a checked reconciliation file in one transaction: the import, a payment and its
/// enrolment per applicable row (`settled`: one settlement per such row, in order; a
/// transaction id recorded meanwhile counts as a duplicate, an enrolment paid meanwhile as an
/// exception), the exceptions, the counts and the audit entry.
pub(super) async fn write_reconciliation(
    state: &AppState,
    actor: &crate::services::access::Actor,
    file_name: &str,
    client_ip: &str,
    rows: &[Row],
    settled: &[(i64, Option<Quote>)],
) -> Result<Reconciled, AppError> {
    let today = state.clock.today();
    let now = state.clock.now();
    let actor_id = actor.account.id;
    let mut exceptions: Vec<(usize, &'static str, String)> = Vec::new();
    let mut applied = 0usize;
    let mut duplicates = 0usize;
    let import_id: i64 = with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO reconciliation_imports (file_name, uploaded_by_account_id, uploaded_at, rows_total, rows_applied,
                rows_duplicate, rows_exception) VALUES ($1, $2, $3, $4, 0, 0, 0) RETURNING id")
            .bind(file_name).bind(actor_id).bind(now).bind(rows.len() as i64).fetch_one(&mut *tx).await?;
        let mut settled_iter = settled.iter();
        for (i, r) in rows.iter().enumerate() {
            let mut problem: Option<(&'static str, String)> = None;
            match &r.verdict {
                Verdict::Duplicate => duplicates += 1,
                Verdict::Exception(code, msg) => problem = Some((*code, msg.clone())),
                Verdict::Apply { enrolment, paid_at } => {
                    let (_, q) = settled_iter.next().expect("one settlement per applied row");
                    let receipt = receipt_number(state.clock.business_now());
                    let pid: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO payments (transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, collected_by_account_id, recorded_at)
                         VALUES ($1, 'tax_reconciliation', NULL, $2, $3, $4, NULL, $5) ON CONFLICT (transaction_id) DO NOTHING RETURNING id")
                        .bind(&r.transaction_id).bind(enrolment.due_fen).bind(paid_at).bind(&receipt).bind(now)
                        .fetch_optional(&mut *tx).await?;
                    match pid {
                        None => duplicates += 1,
                        Some(pid) => {
                            if mark_paid!(tx, enrolment.id, today, q) == 1 {
                                sqlx::query(LINK_PAYMENT).bind(pid).bind(enrolment.id).bind(enrolment.due_fen).execute(&mut *tx).await?;
                                sqlx::query("UPDATE payment_orders SET status = 'cancelled', closed_at = $1
                                    WHERE status = 'pending' AND id = $2")
                                    .bind(now).bind(enrolment.order_id).execute(&mut *tx).await?;
                                applied += 1;
                            } else {
                                sqlx::query("DELETE FROM payments WHERE id = $1").bind(pid).execute(&mut *tx).await?;
                                problem = Some(("already_paid", "该参保登记已缴费".into()));
                            }
                        }
                    }
                }
            }
            if let Some((code, msg)) = problem {
                sqlx::query(
                    "INSERT INTO reconciliation_exceptions (import_id, line_no, id_number, insurance_year, amount, transaction_id, reason, message)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(import_id).bind(r.line as i64).bind(&r.id_number).bind(r.year).bind(&r.amount_text)
                    .bind(&r.transaction_id).bind(code).bind(&msg).execute(&mut *tx).await?;
                exceptions.push((i, code, msg));
            }
        }
        sqlx::query("UPDATE reconciliation_imports SET rows_applied = $1, rows_duplicate = $2, rows_exception = $3 WHERE id = $4")
            .bind(applied as i64).bind(duplicates as i64).bind(exceptions.len() as i64).bind(import_id)
            .execute(&mut *tx).await?;
        // On record with the payments it applied, in the same transaction.
        let detail = format!(
            "import {import_id}: {} rows, {applied} applied, {duplicates} duplicates, {} exceptions",
            rows.len(),
            exceptions.len()
        );
        let entry = audit::AuditEntry {
            actor_account_id: Some(actor_id),
            action: "reconciliation_imported",
            subject: Some(file_name),
            detail: Some(&detail),
            client_ip: Some(client_ip),
            area_code: actor.account.area_code.as_deref(),
        };
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        import_id
    });
    Ok(Reconciled {
        import_id,
        applied,
        duplicates,
        exceptions,
    })
}
