//! Money in: online payment through a provider (a signed callback), cash collected by a
//! cadre, and the tax bureau's reconciliation file. Every channel goes through
//! [`record_payment`], one transaction keyed by the transaction id, so a replayed
//! callback, a double click or a re-imported file changes nothing.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use domain::policy::Quote;
use domain::Money;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::enrolment::{self, mask_id, start_rule_code, Actor};
use super::{random_token, AppState};
use crate::error::{AppError, UserMessage};
use crate::model::{ReceiptLine, ReceiptView, Role};
use crate::store::enrolment::{self as store, EnrolmentRow, OrderRow};
use crate::store::{accounts, audit, with_pool};

/// Header carrying the callback's Unix time (seconds).
pub const TIMESTAMP_HEADER: &str = "x-canbao-timestamp";
/// Header carrying hex HMAC-SHA256 over `"{timestamp}.{body}"`.
pub const SIGNATURE_HEADER: &str = "x-canbao-signature";
/// A callback older or newer than this is refused (replay window).
pub const CALLBACK_TOLERANCE_SECONDS: i64 = 300;

/// A payment provider: where the payer goes, and how its callbacks are authenticated.
///
/// The local implementation is [`SandboxProvider`]. A production adapter (WeChat Pay,
/// Alipay, a bank's aggregated payment, the tax bureau's online channel) implements the
/// same two methods: `checkout_url` creates the provider-side order through its API and
/// returns its payment page or QR-code URL; `verify` checks the provider's signature
/// scheme (for WeChat Pay v3: RSA over timestamp, nonce and body with the platform
/// certificate) and maps its body to [`CallbackBody`]. Everything after `verify` is shared.
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    fn checkout_url(&self, order_no: &str) -> String;
    fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackBody, Rejection>;
}

/// What a provider tells us about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallbackBody {
    pub order_no: String,
    pub transaction_id: String,
    pub status: CallbackStatus,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatus {
    Paid,
    Cancelled,
}

/// Why a callback was refused before anything was read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Unsigned,
    Stale,
    BadSignature,
    Malformed,
}

impl Rejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unsigned => "callback_unsigned",
            Self::Stale => "callback_stale",
            Self::BadSignature => "callback_bad_signature",
            Self::Malformed => "callback_malformed",
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The local payment provider: its own pay/cancel page, callbacks signed with a shared secret.
pub struct SandboxProvider {
    secret: Vec<u8>,
}

impl SandboxProvider {
    pub fn new(secret: &[u8]) -> SandboxProvider {
        SandboxProvider {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Hex signature for a body sent at `timestamp` (what the provider puts in the header).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        hex::encode(self.mac(timestamp, body).finalize().into_bytes())
    }
}

impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn checkout_url(&self, order_no: &str) -> String {
        format!("/sandbox/pay/{order_no}")
    }

    fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackBody, Rejection> {
        let (Some(ts), Some(sig)) = (timestamp, signature) else {
            return Err(Rejection::Unsigned);
        };
        let sig = hex::decode(sig.trim()).map_err(|_| Rejection::BadSignature)?;
        // Constant-time comparison.
        self.mac(ts, body)
            .verify_slice(&sig)
            .map_err(|_| Rejection::BadSignature)?;
        let sent: i64 = ts.trim().parse().map_err(|_| Rejection::Stale)?;
        if (now.timestamp() - sent).abs() > CALLBACK_TOLERANCE_SECONDS {
            return Err(Rejection::Stale);
        }
        serde_json::from_slice(body).map_err(|_| Rejection::Malformed)
    }
}

/// The answer to a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallbackResult {
    /// `applied`, `duplicate` (already recorded: nothing changed), `cancelled`, or
    /// `exception` (paid, but not applicable: kept in the payment exceptions queue).
    pub result: String,
    pub order_no: String,
    pub receipt_no: Option<String>,
}

/// How much of an unverified callback's body is stored.
pub const REJECTED_BODY_KEPT: usize = 4096;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Verifies and applies a provider callback. Rejections are logged and recorded; a verified
/// payment that cannot be applied becomes a payment exception (never a 409 forgotten).
pub async fn handle_callback(
    state: &AppState,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    client_ip: &str,
) -> Result<CallbackResult, AppError> {
    let now = state.clock.now();
    let text = String::from_utf8_lossy(body);
    let parsed = match state.payments.verify(timestamp, signature, body, now) {
        Ok(b) => b,
        Err(r) => {
            tracing::warn!(
                reason = r.code(),
                client_ip,
                len = body.len(),
                "payment callback rejected"
            );
            // Counted and kept for inspection, but an unverified body is anyone's: only its
            // first few KB are stored.
            store::record_callback(&state.db, r.code(), None, clip(&text, REJECTED_BODY_KEPT), now).await?;
            let entry = audit::AuditEntry {
                actor_account_id: None,
                action: "payment_callback_rejected",
                subject: None,
                detail: Some(r.code()),
                client_ip: Some(client_ip),
                area_code: None,
            };
            audit::record(&state.db, &entry, now).await?;
            return Err(match r {
                Rejection::Malformed => AppError::BadRequest(UserMessage::new(
                    r.code(),
                    None,
                    "回调内容格式错误",
                    "The callback body is malformed",
                )),
                _ => AppError::unauthorized(
                    r.code(),
                    None,
                    "回调签名无效或已过期",
                    "Invalid or expired callback signature",
                ),
            });
        }
    };
    let found = match &state.batches.orders {
        Some(reader) => reader
            .submit(super::batch::OrderLookup(parsed.order_no.clone()))
            .await
            .ok_or_else(|| AppError::internal("payment", "the order reader gave no answer"))??,
        None => store::order_with_enrolments(&state.db, &parsed.order_no).await?,
    };
    let (order, rows) =
        found.ok_or_else(|| AppError::not_found("order_not_found", "未找到该缴费订单", "No such payment order"))?;
    let outcome = match parsed.status {
        CallbackStatus::Cancelled => {
            cancel_order(state, &order).await?;
            CallbackResult {
                result: "cancelled".into(),
                order_no: order.order_no.clone(),
                receipt_no: None,
            }
        }
        CallbackStatus::Paid => {
            // Money the provider took stays visible until someone settles it: an amount
            // that is not the order's, or an order whose enrolments moved to a newer one.
            if parsed.amount.to_fen() != order.amount_fen {
                return super::payment_exceptions::paid_but_inapplicable(
                    state,
                    &order,
                    &parsed,
                    "amount_mismatch",
                    &text,
                    client_ip,
                )
                .await;
            }
            if rows.is_empty() {
                return super::payment_exceptions::paid_but_inapplicable(
                    state,
                    &order,
                    &parsed,
                    "order_superseded",
                    &text,
                    client_ip,
                )
                .await;
            }
            let payment = NewPayment {
                transaction_id: &parsed.transaction_id,
                channel: "sandbox_online",
                order_id: Some(order.id),
                amount_fen: order.amount_fen,
                paid_at: parsed.paid_at,
                collector: None,
                callback: Some((order.order_no.as_str(), text.as_ref())),
                closes_order: None,
                audit: None,
            };
            let (receipt, applied) = match record_payment(state, &payment, &rows).await {
                Ok(done) => done,
                // Cancelled, paid by another transaction, or its enrolments paid another way
                // (cash): the money is kept as an exception instead of a 409 nobody sees.
                Err(AppError::Conflict(m)) if m.code == "already_paid" => {
                    return super::payment_exceptions::paid_but_inapplicable(
                        state,
                        &order,
                        &parsed,
                        "order_closed",
                        &text,
                        client_ip,
                    )
                    .await;
                }
                Err(e) => return Err(e),
            };
            CallbackResult {
                result: if applied { "applied" } else { "duplicate" }.into(),
                order_no: order.order_no.clone(),
                receipt_no: Some(receipt),
            }
        }
    };
    if outcome.result != "applied" {
        // An applied payment recorded its callback in its own transaction.
        store::record_callback(&state.db, &outcome.result, Some(&order.order_no), &text, now).await?;
    }
    Ok(outcome)
}

async fn cancel_order(state: &AppState, order: &OrderRow) -> Result<(), AppError> {
    let now = state.clock.now();
    with_pool!(&state.db, p => sqlx::query(
        "UPDATE payment_orders SET status = 'cancelled', closed_at = $1 WHERE id = $2 AND status = 'pending'")
        .bind(now).bind(order.id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

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
async fn settle(state: &AppState, rows: &[EnrolmentRow]) -> Result<Vec<(i64, Option<Quote>)>, AppError> {
    let today = state.clock.today();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let stored: Option<domain::policy::QuoteRequest> =
            r.quote_request.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let fresh = match (state.policies.get(&r.policy_id), stored) {
            (Some(pack), Some(mut req)) => {
                req.paid_on = today.to_string();
                domain::policy::quote(pack, &req)
                    .ok()
                    .filter(|q| q.eligible && q.priced)
            }
            (Some(pack), None) => match store::person(&state.db, r.person_id).await? {
                Some(person) => {
                    let add_ons = enrolment::add_on_codes(&r.add_ons);
                    let req =
                        enrolment::quote_request(state, pack, &person, person.student, r.tier.clone(), add_ons, today)
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
const LINK_PAYMENT: &str = "INSERT INTO payment_enrolments (payment_id, enrolment_id, amount_fen) VALUES ($1, $2, $3)";

/// Nothing was charged: what was to be paid is paid or its order is closed.
fn already_paid() -> AppError {
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
fn receipt_number(now: DateTime<Utc>) -> String {
    format!(
        "R{}{}",
        super::clock::shanghai_date(now).format("%Y%m%d"),
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
    let receipt = receipt_number(now);
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
                        crate::store::audit::audit_in_tx!(tx, &entry, now);
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
const PAY_ORDERS: &str = "
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
struct SettledEnrolment {
    id: i64,
    due_fen: i64,
    benefit_start: Option<NaiveDate>,
    benefit_end: Option<NaiveDate>,
    start_rule: Option<String>,
    quote_json: Option<String>,
}

/// Writes `jobs` in one statement. For each job, in order: whether its payment was written
/// now (false: its transaction id was recorded before, nothing written for it).
async fn pay_orders(pool: &sqlx::PgPool, jobs: &[OrderPayment]) -> Result<Vec<bool>, sqlx::Error> {
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

impl super::batch::Batched for OrderPayment {
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

async fn pay_order_pg(
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
            crate::store::Db::Postgres(pool) => super::batch::run_one(pool, &job).await,
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

/// What the sandbox payment page shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxOrder {
    pub order_no: String,
    pub amount: Money,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub payable: bool,
    pub lines: Vec<ReceiptLine>,
}

/// The order as its payment page shows it, to its household and to staff whose area covers
/// the household only: anyone else (another resident, staff out of scope) is told there is
/// no such order, exactly as for a number that does not exist.
pub async fn sandbox_order(state: &AppState, actor: &Actor, order_no: &str) -> Result<SandboxOrder, AppError> {
    let not_found = || AppError::not_found("order_not_found", "未找到该缴费订单", "No such payment order");
    store::expire_orders(&state.db, state.clock.now()).await?;
    let order = store::order_by_no(&state.db, order_no).await?.ok_or_else(not_found)?;
    let household = order.household_id.ok_or_else(not_found)?;
    enrolment::household_for(state, actor, household)
        .await
        .map_err(|_| not_found())?;
    let mut lines = Vec::new();
    for r in store::enrolments_of_order(&state.db, order.id).await? {
        lines.push(line_for(state, &r).await?);
    }
    Ok(SandboxOrder {
        payable: order.status == "pending",
        order_no: order.order_no,
        amount: Money::from_fen(order.amount_fen),
        status: order.status,
        expires_at: order.expires_at,
        lines,
    })
}

async fn line_for(state: &AppState, r: &EnrolmentRow) -> Result<ReceiptLine, AppError> {
    let person = store::person(&state.db, r.person_id).await?;
    // The price as quoted at enrolment, with what in it the notice does not state.
    let quoted: Option<domain::policy::Quote> = serde_json::from_str(&r.quote_json).ok();
    let (assumptions, assumptions_en) = quoted.map(|q| (q.assumptions, q.assumptions_en)).unwrap_or_default();
    Ok(ReceiptLine {
        name: person.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        id_number_masked: person.map(|p| mask_id(&p.id_number)).unwrap_or_default(),
        insurance_year: r.insurance_year,
        amount: Money::from_fen(r.due_fen),
        assumptions,
        assumptions_en,
    })
}

/// The sandbox "app" pays or cancels: it signs a callback exactly as a provider would and
/// hands it to the same handler the public callback endpoint uses.
pub async fn sandbox_complete(
    state: &AppState,
    actor: &Actor,
    order_no: &str,
    pay: bool,
    client_ip: &str,
) -> Result<CallbackResult, AppError> {
    let order = sandbox_order(state, actor, order_no).await?;
    if !order.payable {
        return Err(AppError::Conflict(UserMessage::new(
            "order_not_payable",
            None,
            "该订单已支付、已取消或已过期",
            "This order is paid, cancelled or expired",
        )));
    }
    let now = state.clock.now();
    let body = CallbackBody {
        order_no: order.order_no,
        transaction_id: format!("SBX{}", random_token(8).to_uppercase()),
        status: if pay {
            CallbackStatus::Paid
        } else {
            CallbackStatus::Cancelled
        },
        amount: order.amount,
        paid_at: now,
    };
    let json = serde_json::to_vec(&body).map_err(|e| AppError::internal("sandbox", e))?;
    let ts = now.timestamp().to_string();
    let sig = state.sandbox_signer.sign(&ts, &json);
    handle_callback(state, Some(&ts), Some(&sig), &json, client_ip).await
}

// ---------------------------------------------------------------------------------------
// Cash collected by a cadre

/// A cadre records cash for a household's unpaid enrolments; the amount must equal what is due.
pub async fn collect_cash(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
    amount_input: &str,
    client_ip: &str,
) -> Result<ReceiptView, AppError> {
    if actor.role == Role::Resident {
        return Err(AppError::forbidden(
            "staff_only",
            "只有协办员等工作人员可以登记现金收款",
            "Only staff record cash",
        ));
    }
    let h = enrolment::household_for(state, actor, household_id).await?;
    let amount: Money = amount_input.trim().parse().map_err(|e: domain::MoneyError| {
        AppError::invalid("amount", e.code(), format!("收款金额：{e}"), e.message_en())
    })?;
    let rows: Vec<EnrolmentRow> = store::enrolments_of_household(&state.db, h.id)
        .await?
        .into_iter()
        .filter(|e| e.status == "unpaid")
        .collect();
    let due: i64 = rows.iter().map(|r| r.due_fen).sum();
    if rows.is_empty() {
        return Err(AppError::Conflict(UserMessage::new(
            "nothing_to_pay",
            Some("amount"),
            "本户没有待缴费的参保登记",
            "Nothing is waiting for payment",
        )));
    }
    if amount.to_fen() != due {
        return Err(AppError::invalid(
            "amount",
            "amount_not_due",
            format!("收款金额应等于应缴金额{}元", Money::from_fen(due)),
            format!("The amount must equal the amount due, {} yuan", Money::from_fen(due)),
        ));
    }
    let now = state.clock.now();
    let txn = format!("CASH{}", random_token(8).to_uppercase());
    let detail = format!("household {} amount {}", h.id, Money::from_fen(due));
    let payment = NewPayment {
        transaction_id: &txn,
        channel: "cadre_cash",
        order_id: None,
        amount_fen: due,
        paid_at: now,
        collector: Some(actor.account.id),
        callback: None,
        closes_order: None,
        // In the household's area, with the payment (its subject: the receipt number).
        audit: Some(audit::AuditEntry {
            actor_account_id: Some(actor.account.id),
            action: "cash_collected",
            subject: None,
            detail: Some(&detail),
            client_ip: Some(client_ip),
            area_code: Some(&h.area_code),
        }),
    };
    let (receipt_no, _) = record_payment(state, &payment, &rows).await?;
    receipt(state, actor, &receipt_no).await
}

/// A receipt, if the actor may see the households it paid for.
pub async fn receipt(state: &AppState, actor: &Actor, receipt_no: &str) -> Result<ReceiptView, AppError> {
    let not_found = || AppError::not_found("receipt_not_found", "未找到该收据", "No such receipt");
    let p = store::payment_by_receipt(&state.db, receipt_no)
        .await?
        .ok_or_else(not_found)?;
    let rows = store::enrolments_of_payment(&state.db, p.id).await?;
    // The households the receipt concerns: its lines', or (a receipt with no lines, which a
    // late callback leaves) its order's. None at all: nobody's to read.
    let mut households: Vec<i64> = rows.iter().filter_map(|r| r.household_id).collect();
    if rows.iter().any(|r| r.household_id.is_none()) {
        return Err(not_found());
    }
    if households.is_empty() {
        if let Some(order_id) = p.order_id {
            households.extend(store::order(&state.db, order_id).await?.and_then(|o| o.household_id));
        }
    }
    if households.is_empty() {
        return Err(not_found());
    }
    for hh in households {
        enrolment::household_for(state, actor, hh)
            .await
            .map_err(|_| not_found())?;
    }
    receipt_view(state, p, &rows).await
}

async fn receipt_view(state: &AppState, p: store::PaymentRow, rows: &[EnrolmentRow]) -> Result<ReceiptView, AppError> {
    let mut lines = Vec::with_capacity(rows.len());
    for r in rows {
        lines.push(line_for(state, r).await?);
    }
    let collected_by = match p.collected_by_account_id {
        Some(id) => accounts::by_id(&state.db, id).await?.map(|a| a.display_name),
        None => None,
    };
    Ok(ReceiptView {
        receipt_no: p.receipt_no,
        transaction_id: p.transaction_id,
        channel: p.channel,
        amount: Money::from_fen(p.amount_fen),
        paid_at: p.paid_at,
        collected_by,
        lines,
    })
}

/// A cadre's cash for one day, for handing over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSummary {
    pub date: NaiveDate,
    pub people: usize,
    pub total: Money,
    pub receipts: Vec<ReceiptView>,
}

pub async fn cash_summary(state: &AppState, actor: &Actor, date: NaiveDate) -> Result<CashSummary, AppError> {
    if !actor.enrols_for_others() {
        return Err(AppError::forbidden(
            "cash_staff_only",
            "只有代办人员可以查看现金收款",
            "Only staff who collect cash see cash summaries",
        ));
    }
    let from = shanghai_midnight(date);
    let to = from + Duration::days(1);
    let mut receipts = Vec::new();
    for p in store::cash_collected(&state.db, actor.account.id, from, to).await? {
        let rows = store::enrolments_of_payment(&state.db, p.id).await?;
        receipts.push(receipt_view(state, p, &rows).await?);
    }
    Ok(CashSummary {
        date,
        people: receipts.iter().map(|r| r.lines.len()).sum(),
        total: receipts.iter().map(|r| r.amount).sum(),
        receipts,
    })
}

fn shanghai_midnight(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    domain::dates::SHANGHAI
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&local), |d| d.with_timezone(&Utc))
}

// ---------------------------------------------------------------------------------------
// Tax-bureau reconciliation file

/// One row that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReconciliationException {
    pub line: usize,
    pub id_number_masked: String,
    pub transaction_id: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReconciliationReport {
    pub import_id: i64,
    pub rows_total: usize,
    pub applied: usize,
    pub duplicates: usize,
    pub exceptions: Vec<ReconciliationException>,
}

pub const RECONCILIATION_HEADER: [&str; 6] = [
    "id_number",
    "insurance_year",
    "amount",
    "paid_at",
    "channel",
    "transaction_id",
];

struct Row {
    line: usize,
    id_number: String,
    year: Option<i32>,
    amount_text: String,
    transaction_id: String,
    verdict: Verdict,
}

enum Verdict {
    Apply {
        enrolment: Box<EnrolmentRow>,
        paid_at: DateTime<Utc>,
    },
    Duplicate,
    Exception(&'static str, String),
}

fn parse_paid_at(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    domain::dates::SHANGHAI
        .from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Imports a reconciliation CSV (`id_number, insurance_year, amount, paid_at, channel,
/// transaction_id`). Matching unpaid enrolments are marked paid; rows already imported
/// are counted as duplicates; the rest become exceptions. One transaction for the file.
pub async fn import_reconciliation(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    text: &str,
    client_ip: &str,
) -> Result<ReconciliationReport, AppError> {
    if !matches!(actor.role, Role::BureauOfficer | Role::Admin) {
        return Err(AppError::forbidden(
            "bureau_only",
            "只有医保局工作人员可以导入对账文件",
            "Only bureau officers import reconciliation files",
        ));
    }
    let scope = actor.staff_scope()?.to_owned();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| bad_file("无法读取表头", "Cannot read the header row"))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    if headers != RECONCILIATION_HEADER {
        return Err(bad_file(
            &format!("表头应为：{}", RECONCILIATION_HEADER.join(",")),
            &format!("The header must be: {}", RECONCILIATION_HEADER.join(",")),
        ));
    }
    let db = &state.db;
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad_file(&format!("第{line}行无法读取：{e}"), &format!("Line {line}: {e}")))?;
        let get = |k: usize| rec.get(k).unwrap_or("").to_owned();
        let (id_number, year_text, amount_text, paid_text, transaction_id) = (get(0), get(1), get(2), get(3), get(5));
        let year = year_text.parse::<i32>().ok();
        let ex = |code: &'static str, msg: String| Verdict::Exception(code, msg);
        let verdict = if rec.len() != 6 {
            ex("columns", format!("应有6列，实有{}列", rec.len()))
        } else if transaction_id.is_empty() {
            ex("transaction_id_missing", "缺少交易流水号".into())
        } else if !seen.insert(transaction_id.clone())
            || store::payment_by_transaction(db, &transaction_id).await?.is_some()
        {
            Verdict::Duplicate
        } else {
            match (
                domain::IdNumber::parse(&id_number),
                year,
                amount_text.parse::<Money>(),
                parse_paid_at(&paid_text),
            ) {
                (Err(e), ..) => ex("id_number_invalid", format!("身份证号码无效：{e}")),
                (_, None, ..) => ex("year_invalid", format!("参保年度“{year_text}”无效")),
                (_, _, Err(e), _) => ex("amount_invalid", format!("金额无效：{e}")),
                (_, _, _, None) => ex("paid_at_invalid", format!("缴费时间“{paid_text}”无效")),
                (Ok(id), Some(y), Ok(amount), Some(paid_at)) => {
                    match store::person_by_id_number(db, id.as_str()).await? {
                        None => ex("unknown_person", "系统中没有此人".into()),
                        Some(p) => match store::enrolment_for(db, p.id, y).await? {
                            None => ex("no_enrolment", format!("此人没有{y}年度的参保登记")),
                            Some(e) => {
                                let area = match e.household_id {
                                    Some(h) => store::household(db, h).await?.map(|h| h.area_code),
                                    None => p.area_code.clone(),
                                }
                                .unwrap_or_default();
                                if !area.starts_with(&scope) {
                                    ex("out_of_scope", "此人不在您的管辖范围内".into())
                                } else if e.status != "unpaid" {
                                    ex("already_paid", "该参保登记已缴费".into())
                                } else if amount.to_fen() != e.due_fen {
                                    ex(
                                        "amount_mismatch",
                                        format!("金额{amount}元与应缴{}元不一致", Money::from_fen(e.due_fen)),
                                    )
                                } else {
                                    Verdict::Apply {
                                        enrolment: Box::new(e),
                                        paid_at,
                                    }
                                }
                            }
                        },
                    }
                }
            }
        };
        rows.push(Row {
            line,
            id_number,
            year,
            amount_text,
            transaction_id,
            verdict,
        });
    }
    if rows.is_empty() {
        return Err(bad_file("文件中没有数据行", "The file has no data rows"));
    }
    let settled = {
        let applying: Vec<EnrolmentRow> = rows
            .iter()
            .filter_map(|r| match &r.verdict {
                Verdict::Apply { enrolment, .. } => Some((**enrolment).clone()),
                _ => None,
            })
            .collect();
        settle(state, &applying).await?
    };
    let today = state.clock.today();
    let now = state.clock.now();
    let actor_id = actor.account.id;
    let mut exceptions: Vec<ReconciliationException> = Vec::new();
    let mut applied = 0usize;
    let mut duplicates = 0usize;
    let import_id: i64 = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO reconciliation_imports (file_name, uploaded_by_account_id, uploaded_at, rows_total, rows_applied,
                rows_duplicate, rows_exception) VALUES ($1, $2, $3, $4, 0, 0, 0) RETURNING id")
            .bind(file_name).bind(actor_id).bind(now).bind(rows.len() as i64).fetch_one(&mut *tx).await?;
        let mut settled_iter = settled.iter();
        for r in &rows {
            let mut problem: Option<(&str, String)> = None;
            match &r.verdict {
                Verdict::Duplicate => duplicates += 1,
                Verdict::Exception(code, msg) => problem = Some((code, msg.clone())),
                Verdict::Apply { enrolment, paid_at } => {
                    let (_, q) = settled_iter.next().expect("one settlement per applied row");
                    let receipt = receipt_number(now);
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
                exceptions.push(ReconciliationException {
                    line: r.line,
                    id_number_masked: domain::IdNumber::parse(&r.id_number).map(|i| i.masked()).unwrap_or_else(|_| "（无效）".into()),
                    transaction_id: r.transaction_id.clone(),
                    reason: code.to_owned(),
                    message: msg,
                });
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
        crate::store::audit::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        import_id
    });
    Ok(ReconciliationReport {
        import_id,
        rows_total: rows.len(),
        applied,
        duplicates,
        exceptions,
    })
}

fn bad_file(zh: &str, en: &str) -> AppError {
    AppError::invalid("file", "reconciliation_file_invalid", zh, en)
}
