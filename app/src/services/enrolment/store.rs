//! Enrolment's storage: people (natural key: the ID number) and households, designated
//! hospitals, enrolments, payment orders and payments, on both databases.
//!
//! Writes that must hold together (an enrolment submission, a payment) run in one
//! transaction whose first statement is a write, so SQLite takes its write lock at once
//! instead of failing a read-to-write upgrade under concurrency.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{IdNumber, Sex};
use sqlx::FromRow;

use crate::services::audit::store::AuditEntry;
use crate::store::{with_pool, Db};

#[derive(Debug, Clone, FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub sex: String,
    pub phone: Option<String>,
    pub area_code: Option<String>,
    pub hukou_local: bool,
    pub household_id: Option<i64>,
    pub relationship: Option<String>,
    pub student: bool,
    pub months_resident: Option<i32>,
}

macro_rules! person_columns {
    () => {
        "p.id, p.id_number, p.name, p.birth_date, p.sex, p.phone, p.area_code, p.hukou_local, p.household_id, \
         p.relationship, p.student, p.months_resident"
    };
}

#[derive(Debug, Clone, FromRow)]
pub struct HouseholdRow {
    pub id: i64,
    pub head_person_id: Option<i64>,
    pub area_code: String,
}

#[derive(Debug, Clone, FromRow, serde::Serialize, serde::Deserialize)]
pub struct HospitalRow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: String,
    pub address: String,
    pub area_code: String,
    /// The township's name (read with the list; not part of the seed file).
    #[sqlx(default)]
    #[serde(default)]
    pub area_name: String,
    #[sqlx(default)]
    #[serde(default)]
    pub area_name_en: String,
}

impl HospitalRow {
    /// Whether it lies in one of the areas `prefixes` (a pack's area codes) start.
    pub fn under(&self, prefixes: &[String]) -> bool {
        prefixes.iter().any(|c| self.area_code.starts_with(c.as_str()))
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct EnrolmentRow {
    pub id: i64,
    pub person_id: i64,
    pub household_id: Option<i64>,
    pub insurance_year: i32,
    pub policy_id: String,
    /// The version of the pack it was priced with.
    pub policy_version: i32,
    pub tier: Option<String>,
    pub benefit_tier: Option<String>,
    pub add_ons: String,
    pub applied_category: Option<String>,
    pub standard_fen: i64,
    pub subsidy_fen: i64,
    pub surcharge_fen: i64,
    pub add_ons_fen: i64,
    pub due_fen: i64,
    pub status: String,
    pub quote_json: String,
    pub quote_request: Option<String>,
    pub order_id: Option<i64>,
    pub paid_fen: i64,
    pub paid_on: Option<NaiveDate>,
    pub benefit_start: Option<NaiveDate>,
    pub benefit_end: Option<NaiveDate>,
    pub start_rule: Option<String>,
    pub created_by_account_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

macro_rules! enrolment_columns {
    () => {
        "e.id, e.person_id, e.household_id, e.insurance_year, e.policy_id, e.policy_version, e.tier, e.benefit_tier, e.add_ons, \
         e.applied_category, e.standard_fen, e.subsidy_fen, e.surcharge_fen, e.add_ons_fen, e.due_fen, e.status, \
         e.quote_json, e.quote_request, e.order_id, e.paid_fen, e.paid_on, e.benefit_start, e.benefit_end, e.start_rule, \
         e.created_by_account_id, e.created_at"
    };
}

#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub order_no: String,
    pub household_id: Option<i64>,
    pub amount_fen: i64,
    pub status: String,
    pub provider: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

const ORDER_COLUMNS: &str =
    "id, order_no, household_id, amount_fen, status, provider, created_at, expires_at, closed_at";

#[derive(Debug, Clone, FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub transaction_id: String,
    pub channel: String,
    pub order_id: Option<i64>,
    pub amount_fen: i64,
    pub paid_at: DateTime<Utc>,
    pub receipt_no: String,
    pub collected_by_account_id: Option<i64>,
    pub recorded_at: DateTime<Utc>,
}

const PAYMENT_COLUMNS: &str =
    "id, transaction_id, channel, order_id, amount_fen, paid_at, receipt_no, collected_by_account_id, recorded_at";

// ---------------------------------------------------------------------------------------
// Reads

pub async fn person_by_id_number(db: &Db, id_number: &str) -> Result<Option<PersonRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people p WHERE p.id_number = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(id_number).fetch_optional(p).await)
}

/// Many people by ID number in one query (PostgreSQL; requests share it under load, see
/// `services::batch`): one answer per number, in order.
pub async fn people_by_id_numbers(
    pool: &sqlx::PgPool,
    numbers: &[&str],
) -> Result<Vec<Option<PersonRow>>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT k.i, ",
        person_columns!(),
        " FROM unnest($1::text[]) WITH ORDINALITY AS k(n, i) JOIN people p ON p.id_number = k.n"
    );
    let rows = sqlx::query(SQL).bind(numbers).fetch_all(pool).await?;
    crate::store::by_ordinal(numbers.len(), rows)
}

pub async fn person(db: &Db, id: i64) -> Result<Option<PersonRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people p WHERE p.id = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

pub async fn household(db: &Db, id: i64) -> Result<Option<HouseholdRow>, sqlx::Error> {
    const SQL: &str = "SELECT id, head_person_id, area_code FROM households WHERE id = $1";
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

pub async fn members(db: &Db, household_id: i64) -> Result<Vec<PersonRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        person_columns!(),
        " FROM people p WHERE p.household_id = $1
        ORDER BY CASE WHEN p.relationship = 'self' THEN 0 ELSE 1 END, p.id"
    );
    with_pool!(db, p => sqlx::query_as(SQL).bind(household_id).fetch_all(p).await)
}

/// People whose household (or, without one, own area) lies under `area_prefix`, matching
/// an exact ID number or a name fragment. Staff search within their scope.
pub async fn search_people(db: &Db, area_prefix: &str, query: &str, limit: i64) -> Result<Vec<PersonRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        person_columns!(),
        " FROM people p LEFT JOIN households h ON h.id = p.household_id
        WHERE COALESCE(h.area_code, p.area_code) LIKE $1 AND (p.id_number = $2 OR p.name LIKE $3)
        ORDER BY p.name, p.id LIMIT $4"
    );
    let like_area = format!("{area_prefix}%");
    let like_name = format!("%{}%", query.replace(['%', '_'], ""));
    with_pool!(db, p => sqlx::query_as(SQL)
        .bind(like_area).bind(query.to_uppercase()).bind(like_name).bind(limit)
        .fetch_all(p).await)
}

/// The categories a person holds from flagged certifications valid on `on`, with the
/// date each took effect.
pub async fn flagged_categories(
    db: &Db,
    person_id: i64,
    on: NaiveDate,
) -> Result<Vec<(String, Option<NaiveDate>)>, sqlx::Error> {
    const SQL: &str = "SELECT category, effective_on FROM certifications
        WHERE person_id = $1 AND status = 'flagged' AND (valid_until IS NULL OR valid_until >= $2)
        ORDER BY effective_on";
    with_pool!(db, p => sqlx::query_as(SQL).bind(person_id).bind(on).fetch_all(p).await)
}

/// Insurance years the person has paid (for continuity rewards).
pub async fn paid_years(db: &Db, person_id: i64) -> Result<Vec<i32>, sqlx::Error> {
    const SQL: &str = "SELECT insurance_year FROM enrolments WHERE person_id = $1 AND status <> 'unpaid'";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(person_id).fetch_all(p).await)
}

pub async fn hospitals_under(db: &Db, prefixes: &[String]) -> Result<Vec<HospitalRow>, sqlx::Error> {
    const SQL: &str = "SELECT h.code, h.name, h.name_en, h.level, h.address, h.area_code,
        a.name AS area_name, a.name_en AS area_name_en
        FROM hospitals h JOIN areas a ON a.code = h.area_code ORDER BY h.area_code, h.code";
    let all: Vec<HospitalRow> = with_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await)?;
    Ok(all.into_iter().filter(|h| h.under(prefixes)).collect())
}

pub async fn upsert_hospital(db: &Db, h: &HospitalRow) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO hospitals (code, name, name_en, level, address, area_code)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
            level = excluded.level, address = excluded.address, area_code = excluded.area_code";
    with_pool!(db, p => sqlx::query(SQL)
        .bind(&h.code).bind(&h.name).bind(&h.name_en).bind(&h.level).bind(&h.address).bind(&h.area_code)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn enrolment(db: &Db, id: i64) -> Result<Option<EnrolmentRow>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", enrolment_columns!(), " FROM enrolments e WHERE e.id = $1");
    with_pool!(db, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

pub async fn enrolment_for(db: &Db, person_id: i64, year: i32) -> Result<Option<EnrolmentRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        enrolment_columns!(),
        " FROM enrolments e WHERE e.person_id = $1 AND e.insurance_year = $2"
    );
    with_pool!(db, p => sqlx::query_as(SQL).bind(person_id).bind(year).fetch_optional(p).await)
}

pub async fn enrolments_of_household(db: &Db, household_id: i64) -> Result<Vec<EnrolmentRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        enrolment_columns!(),
        " FROM enrolments e WHERE e.household_id = $1 ORDER BY e.insurance_year DESC, e.person_id"
    );
    with_pool!(db, p => sqlx::query_as(SQL).bind(household_id).fetch_all(p).await)
}

pub async fn enrolments_of_order(db: &Db, order_id: i64) -> Result<Vec<EnrolmentRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        enrolment_columns!(),
        " FROM enrolments e WHERE e.order_id = $1 ORDER BY e.id"
    );
    with_pool!(db, p => sqlx::query_as(SQL).bind(order_id).fetch_all(p).await)
}

/// The order's columns of an [`EnrolmentOfOrder`], `o_`-prefixed, from the alias `o`.
macro_rules! order_of_enrolment_columns {
    () => {
        "o.id AS o_id, o.order_no AS o_order_no, o.household_id AS o_household_id, o.amount_fen AS o_amount_fen, \
         o.status AS o_status, o.provider AS o_provider, o.created_at AS o_created_at, o.expires_at AS o_expires_at, \
         o.closed_at AS o_closed_at"
    };
}

/// One enrolment of an order with the order's columns (`o_`-prefixed) beside it.
#[derive(FromRow)]
struct EnrolmentOfOrder {
    #[sqlx(flatten)]
    e: EnrolmentRow,
    o_id: i64,
    o_order_no: String,
    o_household_id: Option<i64>,
    o_amount_fen: i64,
    o_status: String,
    o_provider: String,
    o_created_at: DateTime<Utc>,
    o_expires_at: DateTime<Utc>,
    o_closed_at: Option<DateTime<Utc>>,
}

impl EnrolmentOfOrder {
    fn order(&self) -> OrderRow {
        OrderRow {
            id: self.o_id,
            order_no: self.o_order_no.clone(),
            household_id: self.o_household_id,
            amount_fen: self.o_amount_fen,
            status: self.o_status.clone(),
            provider: self.o_provider.clone(),
            created_at: self.o_created_at,
            expires_at: self.o_expires_at,
            closed_at: self.o_closed_at,
        }
    }
}

/// The order with this number and its enrolments, by id, in one query (a payment callback
/// needs both); an order that names no enrolment is read on its own.
pub async fn order_with_enrolments(
    db: &Db,
    order_no: &str,
) -> Result<Option<(OrderRow, Vec<EnrolmentRow>)>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        enrolment_columns!(),
        ", ",
        order_of_enrolment_columns!(),
        " FROM payment_orders o JOIN enrolments e ON e.order_id = o.id WHERE o.order_no = $1 ORDER BY e.id"
    );
    let rows: Vec<EnrolmentOfOrder> = with_pool!(db, p => sqlx::query_as(SQL).bind(order_no).fetch_all(p).await)?;
    let Some(first) = rows.first() else {
        return Ok(order_by_no(db, order_no).await?.map(|o| (o, Vec::new())));
    };
    let order = first.order();
    Ok(Some((order, rows.into_iter().map(|r| r.e).collect())))
}

/// [`order_with_enrolments`] for many order numbers in one query (PostgreSQL; requests share
/// it under load, see `services::batch`): one answer per number, in order.
pub async fn orders_with_enrolments(
    pool: &sqlx::PgPool,
    numbers: &[&str],
) -> Result<Vec<Option<(OrderRow, Vec<EnrolmentRow>)>>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT k.i, ",
        enrolment_columns!(),
        ", ",
        order_of_enrolment_columns!(),
        " FROM unnest($1::text[]) WITH ORDINALITY AS k(n, i)
         JOIN payment_orders o ON o.order_no = k.n JOIN enrolments e ON e.order_id = o.id ORDER BY k.i, e.id"
    );
    let mut out: Vec<Option<(OrderRow, Vec<EnrolmentRow>)>> = numbers.iter().map(|_| None).collect();
    for r in sqlx::query(SQL).bind(numbers).fetch_all(pool).await? {
        let i = crate::store::ordinal(&r, numbers.len())?;
        let row = EnrolmentOfOrder::from_row(&r)?;
        out[i].get_or_insert_with(|| (row.order(), Vec::new())).1.push(row.e);
    }
    // An order that names no enrolment (not one a submission writes) is read on its own.
    for (slot, n) in out.iter_mut().zip(numbers) {
        if slot.is_none() {
            *slot = order_by_no(&Db::Postgres(pool.clone()), n)
                .await?
                .map(|o| (o, Vec::new()));
        }
    }
    Ok(out)
}

pub async fn enrolments_of_payment(db: &Db, payment_id: i64) -> Result<Vec<EnrolmentRow>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        enrolment_columns!(),
        " FROM enrolments e JOIN payment_enrolments pe ON pe.enrolment_id = e.id WHERE pe.payment_id = $1 ORDER BY e.id"
    );
    with_pool!(db, p => sqlx::query_as(SQL).bind(payment_id).fetch_all(p).await)
}

pub async fn hospitals_of(db: &Db, enrolment_id: i64) -> Result<Vec<HospitalRow>, sqlx::Error> {
    const SQL: &str = "SELECT h.code, h.name, h.name_en, h.level, h.address, h.area_code,
        a.name AS area_name, a.name_en AS area_name_en
        FROM enrolment_hospitals eh JOIN hospitals h ON h.code = eh.hospital_code JOIN areas a ON a.code = h.area_code
        WHERE eh.enrolment_id = $1 ORDER BY h.code";
    with_pool!(db, p => sqlx::query_as(SQL).bind(enrolment_id).fetch_all(p).await)
}

/// How many times an enrolment's hospital choice has been changed since enrolling.
pub async fn hospital_changes(db: &Db, enrolment_id: i64) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM hospital_choices WHERE enrolment_id = $1 AND previous_codes IS NOT NULL";
    with_pool!(db, p => sqlx::query_scalar(SQL).bind(enrolment_id).fetch_one(p).await)
}

pub async fn order(db: &Db, id: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM payment_orders WHERE id = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

pub async fn order_by_no(db: &Db, order_no: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM payment_orders WHERE order_no = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(order_no).fetch_optional(p).await)
}

pub async fn payments_of_household(db: &Db, household_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id IN (SELECT pe.payment_id FROM payment_enrolments pe
            JOIN enrolments e ON e.id = pe.enrolment_id WHERE e.household_id = $1) ORDER BY paid_at DESC"
    );
    with_pool!(db, p => sqlx::query_as(&sql).bind(household_id).fetch_all(p).await)
}

pub async fn payment_by_receipt(db: &Db, receipt_no: &str) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE receipt_no = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(receipt_no).fetch_optional(p).await)
}

pub async fn payment_by_transaction(db: &Db, transaction_id: &str) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE transaction_id = $1");
    with_pool!(db, p => sqlx::query_as(&sql).bind(transaction_id).fetch_optional(p).await)
}

/// Cash a collector took between two instants (the daily hand-over summary), by when it was
/// paid — the business clock, as the receipt is dated (the index's collector column narrows
/// it to one cadre's few hundred payments a year).
pub async fn cash_collected(
    db: &Db,
    collector: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE collected_by_account_id = $1 AND channel = 'cadre_cash'
            AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at"
    );
    with_pool!(db, p => sqlx::query_as(&sql).bind(collector).bind(from).bind(to).fetch_all(p).await)
}

pub async fn idempotent_response(db: &Db, account_id: i64, key: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    const SQL: &str = "SELECT request_hash, response FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2";
    with_pool!(db, p => sqlx::query_as(SQL).bind(account_id).bind(key).fetch_optional(p).await)
}

pub async fn record_callback(
    db: &Db,
    outcome: &str,
    order_no: Option<&str>,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO payment_callbacks (received_at, outcome, order_no, body) VALUES ($1, $2, $3, $4)";
    with_pool!(db, p => sqlx::query(SQL).bind(now).bind(outcome).bind(order_no).bind(body).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks pending orders past their expiry as expired.
pub async fn expire_orders(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    const SQL: &str =
        "UPDATE payment_orders SET status = 'expired', closed_at = $1 WHERE status = 'pending' AND expires_at <= $1";
    with_pool!(db, p => sqlx::query(SQL).bind(now).execute(p).await.map(|r| r.rows_affected()))
}

// ---------------------------------------------------------------------------------------
// Writes

/// Adds certifications already through the whole chain (seed data and tests).
pub async fn insert_flagged_certification(
    db: &Db,
    person_id: i64,
    category: &str,
    department: &str,
    effective_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO certifications (person_id, category, department, status, effective_on, created_at)
        VALUES ($1, $2, $3, 'flagged', $4, $5)";
    with_pool!(db, p => sqlx::query(SQL).bind(person_id).bind(category).bind(department).bind(effective_on).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn has_certification(db: &Db, person_id: i64, category: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM certifications WHERE person_id = $1 AND category = $2";
    let n: i64 = with_pool!(db, p => sqlx::query_scalar(SQL).bind(person_id).bind(category).fetch_one(p).await)?;
    Ok(n > 0)
}

/// A person, by ID number.
pub struct PersonLookup(pub String);

impl crate::store::batch::Batched for PersonLookup {
    type Answer = Option<PersonRow>;

    async fn run(pool: &sqlx::PgPool, jobs: &[Self]) -> Result<Vec<Self::Answer>, sqlx::Error> {
        let numbers: Vec<&str> = jobs.iter().map(|j| j.0.as_str()).collect();
        people_by_id_numbers(pool, &numbers).await
    }
}

/// A payment order and its enrolments, by order number.
pub struct OrderLookup(pub String);

impl crate::store::batch::Batched for OrderLookup {
    type Answer = Option<(OrderRow, Vec<EnrolmentRow>)>;

    async fn run(pool: &sqlx::PgPool, jobs: &[Self]) -> Result<Vec<Self::Answer>, sqlx::Error> {
        let numbers: Vec<&str> = jobs.iter().map(|j| j.0.as_str()).collect();
        orders_with_enrolments(pool, &numbers).await
    }
}

#[derive(Debug, Clone)]
pub struct NewPerson<'a> {
    pub id_number: &'a IdNumber,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub area_code: Option<&'a str>,
    pub hukou_local: bool,
}

/// Inserts a person, or returns the existing id for the same ID number.
pub async fn upsert(db: &Db, p: &NewPerson<'_>, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    const SQL: &str = "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id_number) DO UPDATE SET name = excluded.name
        RETURNING id";
    let birth: NaiveDate = p.id_number.birth_date();
    let sex = sex_code(p.id_number);
    with_pool!(db, pool => sqlx::query_scalar(SQL)
        .bind(p.id_number.as_str()).bind(p.name).bind(birth).bind(sex).bind(p.phone)
        .bind(p.area_code).bind(p.hukou_local).bind(now)
        .fetch_one(pool).await)
}

pub async fn create_household(
    db: &Db,
    head_person_id: i64,
    area_code: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO households (head_person_id, area_code, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(head_person_id).bind(area_code).bind(now).fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE people SET household_id = $1, relationship = 'self' WHERE id = $2")
            .bind(id).bind(head_person_id).execute(&mut *tx).await?;
        tx.commit().await?;
        id
    });
    Ok(id)
}

/// A new person (or one known without a household) with a household of their own, and the
/// audit entry, in one transaction (its detail, when None, names the household). The
/// household's id.
pub async fn create_with_household(
    db: &Db,
    p: &NewPerson<'_>,
    area_code: &str,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const PERSON: &str =
        "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id_number) DO UPDATE SET name = excluded.name
        RETURNING id";
    let sex = sex_code(p.id_number);
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let pid: i64 = sqlx::query_scalar(PERSON)
            .bind(p.id_number.as_str()).bind(p.name).bind(p.id_number.birth_date()).bind(sex).bind(p.phone)
            .bind(p.area_code).bind(p.hukou_local).bind(now)
            .fetch_one(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO households (head_person_id, area_code, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(pid).bind(area_code).bind(now).fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE people SET household_id = $1, relationship = 'self' WHERE id = $2")
            .bind(id).bind(pid).execute(&mut *tx).await?;
        let detail = format!("household {id}");
        let entry = AuditEntry { detail: entry.detail.or(Some(&detail)), ..entry.clone() };
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(id)
    })
}

pub async fn household_of(db: &Db, person_id: i64) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT household_id FROM people WHERE id = $1")
        .bind(person_id).fetch_one(p).await)
}

/// The `sex` column's code for the sex an ID number encodes.
pub fn sex_code(id: &IdNumber) -> &'static str {
    match id.sex() {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

/// A resident's phone account claims a person: the person is written (or found by ID number,
/// unchanged), given a household of their own when they have none, and linked to the
/// account, with the audit entry (its detail names the person), in one transaction. `None`
/// when another account holds the person already (a unique index backs the check), and then
/// nothing is written.
pub async fn link_account(
    db: &Db,
    p: &NewPerson<'_>,
    account_id: i64,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id_number) DO UPDATE SET id_number = people.id_number
             RETURNING id")
            .bind(p.id_number.as_str()).bind(p.name).bind(p.id_number.birth_date()).bind(sex_code(p.id_number))
            .bind(p.phone).bind(p.area_code).bind(p.hukou_local).bind(now)
            .fetch_one(&mut *tx).await?;
        let hh: Option<i64> = sqlx::query_scalar("SELECT household_id FROM people WHERE id = $1")
            .bind(pid).fetch_one(&mut *tx).await?;
        if hh.is_none() {
            let h: i64 = sqlx::query_scalar(
                "INSERT INTO households (head_person_id, area_code, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(pid).bind(p.area_code).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE people SET household_id = $1, relationship = 'self' WHERE id = $2")
                .bind(h).bind(pid).execute(&mut *tx).await?;
        }
        let linked = sqlx::query(
            "UPDATE accounts SET person_id = $1, display_name = $2 WHERE id = $3
             AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.person_id = $1)")
            .bind(pid).bind(p.name).bind(account_id).execute(&mut *tx).await?.rows_affected();
        if linked != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let detail = format!("person {pid}");
        let entry = AuditEntry { detail: entry.detail.or(Some(&detail)), ..entry.clone() };
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(Some(pid))
    })
}

/// Records the phone a resident controls, with its audit entry, unless an account holds the
/// person (re-checked in the statement: an account that links meanwhile keeps its phone).
/// Whether it was written.
pub async fn confirm_phone(
    db: &Db,
    person_id: i64,
    phone: &str,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE people SET phone = $1 WHERE id = $2
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = $2)")
            .bind(phone).bind(person_id).execute(&mut *tx).await?.rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        crate::services::audit::store::audit_in_tx!(tx, entry, now);
        tx.commit().await?;
        Ok(true)
    })
}

/// A member joining a household: the person is written (or found by ID number, keeping the
/// new student flag) and moved in when they belong to no household yet, with the audit entry
/// (its detail, when None, names household and person). `None` when the person is in a
/// household already, and then nothing is written.
pub async fn attach_member(
    db: &Db,
    p: &NewPerson<'_>,
    student: bool,
    household: (i64, &str),
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let (household_id, relationship) = household;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, created_at, student)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id_number) DO UPDATE SET student = excluded.student
             RETURNING id")
            .bind(p.id_number.as_str()).bind(p.name).bind(p.id_number.birth_date()).bind(sex_code(p.id_number))
            .bind(p.area_code).bind(p.hukou_local).bind(now).bind(student)
            .fetch_one(&mut *tx).await?;
        let moved = sqlx::query(
            "UPDATE people SET household_id = $1, relationship = $2 WHERE id = $3 AND household_id IS NULL")
            .bind(household_id).bind(relationship).bind(pid).execute(&mut *tx).await?.rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let detail = format!("household {household_id} person {pid}");
        let entry = AuditEntry { detail: entry.detail.or(Some(&detail)), ..entry.clone() };
        crate::services::audit::store::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(Some(pid))
    })
}

/// A change of an enrolment's designated hospitals, as recorded.
pub struct HospitalChange<'a> {
    pub enrolment_id: i64,
    /// The new choice, sorted.
    pub codes: &'a [String],
    /// The new and previous choices as stored in `hospital_choices` (comma-separated).
    pub new_codes: &'a str,
    pub old_codes: &'a str,
    /// How many changes the pack allows in the year.
    pub limit: i64,
    pub actor_id: i64,
    pub now: DateTime<Utc>,
}

/// Replaces an enrolment's hospitals and records the choice and the audit entry, unless the
/// year's changes are used up (`false`, nothing written). The enrolment row is touched first:
/// on PostgreSQL that locks it, so two changes at once are counted one after the other
/// (SQLite serialises writers anyway).
pub async fn change_hospitals(db: &Db, c: &HospitalChange<'_>, entry: &AuditEntry<'_>) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE enrolments SET id = id WHERE id = $1").bind(c.enrolment_id).execute(&mut *tx).await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM hospital_choices WHERE enrolment_id = $1 AND previous_codes IS NOT NULL")
            .bind(c.enrolment_id).fetch_one(&mut *tx).await?;
        if used >= c.limit {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM enrolment_hospitals WHERE enrolment_id = $1")
            .bind(c.enrolment_id).execute(&mut *tx).await?;
        for h in c.codes {
            sqlx::query("INSERT INTO enrolment_hospitals (enrolment_id, hospital_code) VALUES ($1, $2)")
                .bind(c.enrolment_id).bind(h).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
                     VALUES ($1, $2, $3, $4, $5)")
            .bind(c.enrolment_id).bind(c.new_codes).bind(c.old_codes).bind(c.actor_id).bind(c.now)
            .execute(&mut *tx).await?;
        crate::services::audit::store::audit_in_tx!(tx, entry, c.now);
        tx.commit().await?;
        Ok(true)
    })
}
