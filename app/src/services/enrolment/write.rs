//! Writing a submission. The general transaction (both databases) and the PostgreSQL
//! batched statement sit side by side: they make the same rows and the same checks, and a
//! change to one is a change to the other.

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::policy::PolicyPack;
use domain::Money;

use crate::error::AppError;
use crate::secrets::random_token;
use crate::services::access::{mask_id, Actor};
use crate::services::enrolment::store::{self as store, EnrolmentRow, PersonRow};
use crate::services::AppState;
use crate::store::with_pool;

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_submission(
    state: &AppState,
    actor: &Actor,
    household: &HouseholdChoice,
    pack: &PolicyPack,
    planned: &[Planned],
    idem: Option<(&str, &str)>,
    (now, today): (DateTime<Utc>, NaiveDate),
    client_ip: &str,
) -> Result<Written, AppError> {
    let db = &state.db;
    let year = pack.insurance_year;
    let actor_id = actor.account.id;
    // The order is for what the members owe; members found enrolled already come off it.
    let order = NewOrder {
        order_no: order_number(now),
        owed: planned
            .iter()
            .map(|m| m.quote.personal_due.unwrap_or(Money::ZERO).to_fen())
            .sum(),
        expires: now + Duration::minutes(state.settings.order_minutes),
    };
    if let crate::store::Db::Postgres(pool) = db {
        if planned.iter().all(|m| !m.known) {
            let w = NewPeople {
                actor,
                household,
                pack,
                planned,
                idem,
                client_ip,
            };
            return write_new_people_pg(state, pool, &w, &order, (now, today)).await;
        }
    }
    // `?` and `return` inside leave the function; dropping `tx` rolls back.
    let stored = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The key row first: it is the transaction's first write and the concurrency guard.
        if let Some((k, h)) = idem {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, response, created_at)
                 VALUES ($1, $2, $3, '', $4) ON CONFLICT (account_id, idem_key) DO NOTHING RETURNING account_id")
                .bind(actor_id).bind(k).bind(h).bind(now).fetch_optional(&mut *tx).await?;
            if inserted.is_none() {
                tx.rollback().await?;
                return Ok(Written::Replay);
            }
        }
        let area_code = match household {
            HouseholdChoice::Existing(h) => h.area_code.as_str(),
            HouseholdChoice::New(area) => area.as_str(),
        };
        let household_id: i64 = match household {
            HouseholdChoice::Existing(h) => h.id,
            HouseholdChoice::New(area) => sqlx::query_scalar(
                "INSERT INTO households (head_person_id, area_code, created_at) VALUES (NULL, $1, $2) RETURNING id")
                .bind(area).bind(now).fetch_one(&mut *tx).await?,
        };
        // The order comes first, so that each unpaid enrolment names it as it is inserted.
        let owed = order.owed;
        let order_id: Option<i64> = if owed > 0 {
            Some(sqlx::query_scalar(INSERT_ORDER)
                .bind(&order.order_no).bind(household_id).bind(owed).bind(state.payments.name()).bind(actor_id).bind(now)
                .bind(order.expires)
                .fetch_one(&mut *tx).await?)
        } else {
            None
        };
        let mut enrolment_ids = Vec::new();
        let mut fresh = Vec::new();
        let mut existing = Vec::new();
        let mut total: i64 = 0;
        for (i, m) in planned.iter().enumerate() {
            let p = &m.person;
            let is_head = matches!(household, HouseholdChoice::New(_)) && i == 0;
            let rel = member_relationship(household, i, m);
            let person_id: i64 = if m.known {
                p.id
            } else {
                // A new person joins the household as they are inserted.
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, created_at, student,
                        household_id, relationship)
                     VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8, $9) ON CONFLICT (id_number) DO NOTHING RETURNING id")
                    .bind(&p.id_number).bind(&p.name).bind(p.birth_date).bind(&p.sex).bind(&p.area_code)
                    .bind(now).bind(p.student).bind(household_id).bind(&rel).fetch_optional(&mut *tx).await?;
                match id {
                    Some(id) => id,
                    None => return Err(conflict_retry()),
                }
            };
            if m.joins {
                if m.known {
                    let n = sqlx::query(
                    "UPDATE people SET household_id = $1, relationship = $2 WHERE id = $3
                     AND (household_id IS NULL OR household_id = $1)")
                    .bind(household_id).bind(&rel).bind(person_id).execute(&mut *tx).await?.rows_affected();
                    if n != 1 {
                        return Err(in_other_household(&format!("members[{i}].id_number")));
                    }
                    if p.household_id.is_none() {
                        // Attaching a person the system already knew (a roster or list entry):
                        // audited in the household's village, so its cadre sees it.
                        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                                     VALUES ($1, $2, 'household_member_attached', $3, $4, $5, $6)")
                            .bind(now).bind(actor_id).bind(mask_id(&p.id_number))
                            .bind(format!("household {household_id} person {person_id}"))
                            .bind(client_ip).bind(area_code).execute(&mut *tx).await?;
                    }
                }
                if is_head {
                    sqlx::query("UPDATE households SET head_person_id = $1 WHERE id = $2")
                        .bind(person_id).bind(household_id).execute(&mut *tx).await?;
                }
            }
            let mut row = planned_row(pack, m, person_id, household_id, order_id, actor_id, (now, today));
            let paid_now = row.due_fen == 0;
            let due = row.due_fen;
            let new_id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO enrolments (person_id, household_id, insurance_year, policy_id, tier, benefit_tier, add_ons,
                    applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status, quote_json,
                    paid_on, benefit_start, benefit_end, start_rule, created_by_account_id, created_at, quote_request,
                    order_id, policy_version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
                 ON CONFLICT (person_id, insurance_year) DO NOTHING RETURNING id")
                .bind(row.person_id).bind(row.household_id).bind(row.insurance_year).bind(&row.policy_id)
                .bind(&row.tier).bind(&row.benefit_tier).bind(&row.add_ons).bind(&row.applied_category)
                .bind(row.standard_fen).bind(row.subsidy_fen).bind(row.surcharge_fen).bind(row.add_ons_fen).bind(row.due_fen)
                .bind(&row.status).bind(&row.quote_json)
                .bind(row.paid_on).bind(row.benefit_start).bind(row.benefit_end).bind(&row.start_rule)
                .bind(row.created_by_account_id).bind(row.created_at).bind(&row.quote_request).bind(row.order_id)
                .bind(row.policy_version)
                .fetch_optional(&mut *tx).await?;
            match new_id {
                Some(id) => {
                    let codes = m.hospitals.join(",");
                    for h in &m.hospitals {
                        sqlx::query("INSERT INTO enrolment_hospitals (enrolment_id, hospital_code) VALUES ($1, $2)")
                            .bind(id).bind(h).execute(&mut *tx).await?;
                    }
                    sqlx::query("INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
                                 VALUES ($1, $2, NULL, $3, $4)")
                        .bind(id).bind(&codes).bind(actor_id).bind(now).execute(&mut *tx).await?;
                    if !paid_now {
                        total += due;
                    }
                    enrolment_ids.push(id);
                    row.id = id;
                    fresh.push(row);
                }
                None => {
                    let id: i64 = sqlx::query_scalar("SELECT id FROM enrolments WHERE person_id = $1 AND insurance_year = $2")
                        .bind(person_id).bind(year).fetch_one(&mut *tx).await?;
                    enrolment_ids.push(id);
                    existing.push(id);
                }
            }
        }
        let order_id = match order_id {
            Some(id) if total == 0 => {
                // Everyone who owed was enrolled already: no order.
                sqlx::query("DELETE FROM payment_orders WHERE id = $1").bind(id).execute(&mut *tx).await?;
                None
            }
            Some(id) if total != owed => {
                sqlx::query("UPDATE payment_orders SET amount_fen = $1 WHERE id = $2")
                    .bind(total).bind(id).execute(&mut *tx).await?;
                Some(id)
            }
            other => other,
        };
        let written = order_id.map(|id| order.row(state, id, household_id, total, now));
        let stored = StoredResult { household_id, enrolment_ids, existing, order_id };
        // The audit entry commits with what it records.
        let summary = format!(
            "household {} year {} enrolments {:?} existing {:?}",
            stored.household_id, year, stored.enrolment_ids, stored.existing
        );
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'enrolment_submitted', $3, NULL, $4, $5)")
            .bind(now).bind(actor_id).bind(&summary).bind(client_ip).bind(area_code).execute(&mut *tx).await?;
        if let Some((k, _)) = idem {
            sqlx::query("UPDATE idempotency_keys SET response = $1 WHERE account_id = $2 AND idem_key = $3")
                .bind(serde_json::to_string(&stored).unwrap_or_default()).bind(actor_id).bind(k)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        (stored, fresh, written)
    });
    let (stored, fresh, written) = stored;
    Ok(Written::Done(stored, fresh, written))
}

/// The payment order a submission opens when its members owe something.
pub(super) struct NewOrder {
    pub(super) order_no: String,
    /// What the members owe together, in fen (the order is opened when above 0).
    pub(super) owed: i64,
    pub(super) expires: DateTime<Utc>,
}

impl NewOrder {
    /// The order as written, for `amount_fen` (what its new members owe).
    fn row(
        &self,
        state: &AppState,
        id: i64,
        household_id: i64,
        amount_fen: i64,
        now: DateTime<Utc>,
    ) -> Box<store::OrderRow> {
        Box::new(store::OrderRow {
            id,
            order_no: self.order_no.clone(),
            household_id: Some(household_id),
            amount_fen,
            status: "pending".to_owned(),
            provider: state.payments.name().to_owned(),
            created_at: now,
            expires_at: self.expires,
            closed_at: None,
        })
    }
}

/// A submission whose members are all new people, as [`write_new_people_pg`] takes it.
pub(super) struct NewPeople<'a> {
    pub(super) actor: &'a Actor,
    pub(super) household: &'a HouseholdChoice,
    pub(super) pack: &'a PolicyPack,
    pub(super) planned: &'a [Planned],
    pub(super) idem: Option<(&'a str, &'a str)>,
    pub(super) client_ip: &'a str,
}

/// Everything submissions of new people write — household, order, people, enrolments,
/// hospitals, choices, audit entry and idempotency key — as one PostgreSQL statement, which
/// is its own transaction: one round trip instead of about a dozen, for one submission or a
/// batch of them (`batch.rs`; `$1`–`$14` and `$43` have one element per submission, `$15`–`$39` and
/// `$42` one per member, `$40`–`$41` one per hospital chosen). The rows are those the general
/// path writes in its transaction (a test compares both answers and read-backs).
///
/// Ids of people, households and orders are drawn from their sequences first, so each
/// household names its head and each enrolment its order as they are inserted. Enrolments are
/// inserted from the people's `RETURNING` rows: a person row exists before its enrolment's
/// insert trigger reads it. Someone else storing one of these ID numbers (or a key) first
/// fails the whole statement with a unique violation.
pub(super) const INSERT_NEW_PEOPLE: &str = "
WITH sub AS MATERIALIZED (
    SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::int8[], $4::text[], $5::text[], $6::int8[],
        $7::text[], $8::timestamptz[], $9::int4[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
        $43::int4[])
    WITH ORDINALITY AS sub(actor, at, existing_hh, new_area, order_no, owed, provider, expires, year, policy,
        client_ip, audit_area, idem_key, idem_hash, policy_version, s)
),
m AS MATERIALIZED (
    SELECT * FROM unnest($42::int8[], $15::text[], $16::text[], $17::date[], $18::text[], $19::text[], $20::bool[],
        $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::int8[], $27::int8[], $28::int8[],
        $29::int8[], $30::int8[], $31::text[], $32::text[], $33::date[], $34::date[], $35::date[], $36::text[],
        $37::text[], $38::bool[], $39::text[])
    WITH ORDINALITY AS m(s, id_number, name, birth_date, sex, area_code, student, relationship, tier, benefit_tier,
        add_ons, applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status,
        quote_json, paid_on, benefit_start, benefit_end, start_rule, quote_request, names_order, hospital_codes, i)
),
ids AS MATERIALIZED (SELECT i, s, nextval('people_id_seq') AS person_id FROM m ORDER BY i),
hh AS MATERIALIZED (
    SELECT sub.s, sub.existing_hh IS NULL AS new,
        CASE WHEN sub.existing_hh IS NULL THEN nextval('households_id_seq') ELSE sub.existing_hh END AS id
    FROM sub ORDER BY sub.s
),
oo AS MATERIALIZED (SELECT s, nextval('payment_orders_id_seq') AS id FROM sub WHERE owed > 0 ORDER BY s),
h AS (
    INSERT INTO households (id, head_person_id, area_code, created_at)
    SELECT hh.id, (SELECT ids.person_id FROM ids WHERE ids.s = hh.s ORDER BY ids.i LIMIT 1), sub.new_area, sub.at
    FROM hh JOIN sub USING (s) WHERE hh.new
),
o AS (
    INSERT INTO payment_orders (id, order_no, household_id, amount_fen, status, provider, created_by_account_id,
        created_at, expires_at)
    SELECT oo.id, sub.order_no, hh.id, sub.owed, 'pending', sub.provider, sub.actor, sub.at, sub.expires
    FROM oo JOIN sub USING (s) JOIN hh USING (s)
),
p AS (
    INSERT INTO people (id, id_number, name, birth_date, sex, area_code, report_area, hukou_local, created_at,
        student, household_id, relationship)
    SELECT ids.person_id, m.id_number, m.name, m.birth_date, m.sex, m.area_code, m.area_code, TRUE, sub.at,
        m.student, hh.id, m.relationship
    FROM m JOIN ids USING (i) JOIN sub ON sub.s = m.s JOIN hh ON hh.s = m.s
    RETURNING id
),
e AS (
    INSERT INTO enrolments (person_id, household_id, insurance_year, policy_id, tier, benefit_tier, add_ons,
        applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status, quote_json,
        paid_on, benefit_start, benefit_end, start_rule, created_by_account_id, created_at, quote_request, order_id,
        policy_version)
    SELECT p.id, hh.id, sub.year, sub.policy, m.tier, m.benefit_tier, m.add_ons, m.applied_category, m.standard_fen,
        m.subsidy_fen, m.surcharge_fen, m.add_ons_fen, m.due_fen, m.status, m.quote_json, m.paid_on,
        m.benefit_start, m.benefit_end, m.start_rule, sub.actor, sub.at, m.quote_request,
        CASE WHEN m.names_order THEN oo.id END, sub.policy_version
    FROM p JOIN ids ON ids.person_id = p.id JOIN m USING (i) JOIN sub ON sub.s = m.s JOIN hh ON hh.s = m.s
        LEFT JOIN oo ON oo.s = m.s
    RETURNING id, person_id
),
ei AS MATERIALIZED (SELECT e.id, e.person_id, ids.i, ids.s FROM e JOIN ids USING (person_id)),
eh AS (
    INSERT INTO enrolment_hospitals (enrolment_id, hospital_code)
    SELECT ei.id, x.code FROM unnest($40::int8[], $41::text[]) AS x(i, code) JOIN ei USING (i)
),
hc AS (
    INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
    SELECT ei.id, m.hospital_codes, NULL, sub.actor, sub.at FROM ei JOIN m USING (i) JOIN sub ON sub.s = ei.s
),
summary AS MATERIALIZED (
    SELECT ei.s, array_agg(ei.id ORDER BY ei.i) AS enrolment_ids, array_agg(ei.person_id ORDER BY ei.i) AS person_ids
    FROM ei GROUP BY ei.s
),
a AS (
    INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
    SELECT sub.at, sub.actor, 'enrolment_submitted',
        format('household %s year %s enrolments [%s] existing []', hh.id, sub.year,
            array_to_string(summary.enrolment_ids, ', ')),
        NULL, sub.client_ip, sub.audit_area
    FROM summary JOIN sub USING (s) JOIN hh USING (s)
),
k AS (
    INSERT INTO idempotency_keys (account_id, idem_key, request_hash, response, created_at)
    SELECT sub.actor, sub.idem_key, sub.idem_hash,
        json_build_object('household_id', hh.id, 'enrolment_ids', summary.enrolment_ids, 'existing', '[]'::json,
            'order_id', oo.id)::text,
        sub.at
    FROM summary JOIN sub USING (s) JOIN hh USING (s) LEFT JOIN oo USING (s) WHERE sub.idem_key IS NOT NULL
)
SELECT summary.s, hh.id, oo.id, summary.enrolment_ids, summary.person_ids
FROM summary JOIN hh USING (s) LEFT JOIN oo USING (s) ORDER BY summary.s";

/// One submission of new people, owned so that a writer task can take it (`batch.rs`).
pub struct NewPeopleRows {
    actor_id: i64,
    now: DateTime<Utc>,
    existing_household: Option<i64>,
    new_area: Option<String>,
    order_no: String,
    owed: i64,
    provider: String,
    expires: DateTime<Utc>,
    year: i32,
    policy_id: String,
    policy_version: i32,
    client_ip: String,
    area_code: String,
    idem_key: Option<String>,
    idem_hash: Option<String>,
    people: Vec<PersonRow>,
    relationship: Vec<Option<String>>,
    /// As stored, ids not yet known.
    rows: Vec<EnrolmentRow>,
    hospitals: Vec<Vec<String>>,
}

/// What the statement answers for one submission.
pub struct NewPeopleAnswer {
    household_id: i64,
    order_id: Option<i64>,
    enrolment_ids: Vec<i64>,
    person_ids: Vec<i64>,
}

/// Writes `jobs` in one statement; one answer per job, in order.
pub(super) async fn insert_new_people(
    pool: &sqlx::PgPool,
    jobs: &[NewPeopleRows],
) -> Result<Vec<NewPeopleAnswer>, sqlx::Error> {
    fn each<'a, T>(jobs: &'a [NewPeopleRows], f: impl Fn(&'a NewPeopleRows) -> T) -> Vec<T> {
        jobs.iter().map(f).collect()
    }
    fn member<'a, T>(jobs: &'a [NewPeopleRows], f: impl Fn(&'a NewPeopleRows, usize) -> T) -> Vec<T> {
        jobs.iter()
            .flat_map(|j| (0..j.people.len()).map(move |i| (j, i)))
            .map(|(j, i)| f(j, i))
            .collect()
    }
    let row = |f: fn(&EnrolmentRow) -> Option<String>| member(jobs, |j, i| f(&j.rows[i]));
    let fen = |f: fn(&EnrolmentRow) -> i64| member(jobs, |j, i| f(&j.rows[i]));
    let date = |f: fn(&EnrolmentRow) -> Option<NaiveDate>| member(jobs, |j, i| f(&j.rows[i]));
    let (mut submission, mut hospital_member, mut hospital_code) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0i64;
    for (s, j) in jobs.iter().enumerate() {
        for codes in &j.hospitals {
            n += 1;
            submission.push(s as i64 + 1);
            for code in codes {
                hospital_member.push(n);
                hospital_code.push(code.clone());
            }
        }
    }
    let answers = sqlx::query_as::<_, (i64, i64, Option<i64>, Vec<i64>, Vec<i64>)>(INSERT_NEW_PEOPLE)
        .bind(each(jobs, |j| j.actor_id))
        .bind(each(jobs, |j| j.now))
        .bind(each(jobs, |j| j.existing_household))
        .bind(each(jobs, |j| j.new_area.as_deref()))
        .bind(each(jobs, |j| j.order_no.as_str()))
        .bind(each(jobs, |j| j.owed))
        .bind(each(jobs, |j| j.provider.as_str()))
        .bind(each(jobs, |j| j.expires))
        .bind(each(jobs, |j| j.year))
        .bind(each(jobs, |j| j.policy_id.as_str()))
        .bind(each(jobs, |j| j.client_ip.as_str()))
        .bind(each(jobs, |j| j.area_code.as_str()))
        .bind(each(jobs, |j| j.idem_key.as_deref()))
        .bind(each(jobs, |j| j.idem_hash.as_deref()))
        .bind(member(jobs, |j, i| j.people[i].id_number.as_str()))
        .bind(member(jobs, |j, i| j.people[i].name.as_str()))
        .bind(member(jobs, |j, i| j.people[i].birth_date))
        .bind(member(jobs, |j, i| j.people[i].sex.as_str()))
        .bind(member(jobs, |j, i| j.people[i].area_code.as_deref()))
        .bind(member(jobs, |j, i| j.people[i].student))
        .bind(member(jobs, |j, i| j.relationship[i].as_deref()))
        .bind(row(|r| r.tier.clone()))
        .bind(row(|r| r.benefit_tier.clone()))
        .bind(row(|r| Some(r.add_ons.clone())))
        .bind(row(|r| r.applied_category.clone()))
        .bind(fen(|r| r.standard_fen))
        .bind(fen(|r| r.subsidy_fen))
        .bind(fen(|r| r.surcharge_fen))
        .bind(fen(|r| r.add_ons_fen))
        .bind(fen(|r| r.due_fen))
        .bind(row(|r| Some(r.status.clone())))
        .bind(row(|r| Some(r.quote_json.clone())))
        .bind(date(|r| r.paid_on))
        .bind(date(|r| r.benefit_start))
        .bind(date(|r| r.benefit_end))
        .bind(row(|r| r.start_rule.clone()))
        .bind(row(|r| r.quote_request.clone()))
        // Everyone who owes something names the order (as `planned_row` decides).
        .bind(member(jobs, |j, i| j.rows[i].due_fen > 0))
        .bind(member(jobs, |j, i| j.hospitals[i].join(",")))
        .bind(hospital_member)
        .bind(hospital_code)
        .bind(submission)
        .bind(each(jobs, |j| j.policy_version))
        .fetch_all(pool)
        .await?;
    if answers.len() != jobs.len() || answers.iter().enumerate().any(|(i, a)| a.0 != i as i64 + 1) {
        return Err(sqlx::Error::Protocol("submission batch answered out of order".into()));
    }
    Ok(answers
        .into_iter()
        .map(
            |(_, household_id, order_id, enrolment_ids, person_ids)| NewPeopleAnswer {
                household_id,
                order_id,
                enrolment_ids,
                person_ids,
            },
        )
        .collect())
}

impl crate::store::batch::Batched for NewPeopleRows {
    type Answer = NewPeopleAnswer;

    fn run(
        pool: &sqlx::PgPool,
        jobs: &[Self],
    ) -> impl Future<Output = Result<Vec<NewPeopleAnswer>, sqlx::Error>> + Send {
        insert_new_people(pool, jobs)
    }

    /// No person or key twice: one statement cannot write both.
    fn distinct(jobs: &[Self]) -> bool {
        let mut people = BTreeSet::new();
        let mut keys = BTreeSet::new();
        jobs.iter().all(|j| {
            j.people.iter().all(|p| people.insert(p.id_number.as_str()))
                && j.idem_key.as_deref().is_none_or(|k| keys.insert((j.actor_id, k)))
        })
    }
}

pub(super) async fn write_new_people_pg(
    state: &AppState,
    pool: &sqlx::PgPool,
    w: &NewPeople<'_>,
    order: &NewOrder,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Written, AppError> {
    let actor_id = w.actor.account.id;
    let (existing_household, new_area, area_code) = match w.household {
        HouseholdChoice::Existing(h) => (Some(h.id), None, h.area_code.clone()),
        HouseholdChoice::New(area) => (None, Some(area.clone()), area.clone()),
    };
    let job = NewPeopleRows {
        actor_id,
        now,
        existing_household,
        new_area,
        order_no: order.order_no.clone(),
        owed: order.owed,
        provider: state.payments.name().to_owned(),
        expires: order.expires,
        year: w.pack.insurance_year,
        policy_id: w.pack.id.clone(),
        policy_version: i32::try_from(w.pack.version).unwrap_or(i32::MAX),
        client_ip: w.client_ip.to_owned(),
        area_code,
        idem_key: w.idem.map(|(k, _)| k.to_owned()),
        idem_hash: w.idem.map(|(_, h)| h.to_owned()),
        people: w.planned.iter().map(|m| m.person.clone()).collect(),
        relationship: (0..w.planned.len())
            .map(|i| member_relationship(w.household, i, &w.planned[i]))
            .collect(),
        // Rows as they will be stored; ids come from the statement's answer.
        rows: w
            .planned
            .iter()
            .map(|m| planned_row(w.pack, m, 0, 0, None, actor_id, (now, today)))
            .collect(),
        hospitals: w.planned.iter().map(|m| m.hospitals.clone()).collect(),
    };
    let mut rows = job.rows.clone();
    let answer = match &state.batches.new_people {
        Some(writer) => writer
            .submit(job)
            .await
            .ok_or_else(|| AppError::internal("enrolment", "the submission writer gave no answer"))?,
        None => crate::store::batch::run_one(pool, &job).await,
    };
    let NewPeopleAnswer {
        household_id,
        order_id,
        enrolment_ids,
        person_ids,
    } = match answer {
        Ok(a) => a,
        Err(e) if crate::store::is_unique_violation(&e) => {
            // Another request stored one of these people, or this key, first.
            return match w.idem {
                Some((k, _)) if store::idempotent_response(&state.db, actor_id, k).await?.is_some() => {
                    Ok(Written::Replay)
                }
                _ => Err(conflict_retry()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    for ((row, id), person_id) in rows.iter_mut().zip(&enrolment_ids).zip(person_ids) {
        row.id = *id;
        row.person_id = person_id;
        row.household_id = Some(household_id);
        row.order_id = order_id.filter(|_| row.due_fen > 0);
    }
    let written = order_id.map(|id| order.row(state, id, household_id, order.owed, now));
    let stored = StoredResult {
        household_id,
        enrolment_ids,
        existing: Vec::new(),
        order_id,
    };
    Ok(Written::Done(stored, rows, written))
}

pub fn start_rule_code(r: domain::policy::StartRule) -> &'static str {
    use domain::policy::StartRule::*;
    match r {
        OnTime => "on_time",
        LateWaiting => "late_waiting",
        Newborn => "newborn",
        EmployeeInsuranceTransfer => "employee_insurance_transfer",
        NewlyCertified => "newly_certified",
    }
}

/// A pending payment order: number, household, amount, provider, creator, created, expires.
const INSERT_ORDER: &str = "INSERT INTO payment_orders (order_no, household_id, amount_fen, status, provider,
        created_by_account_id, created_at, expires_at)
    VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7) RETURNING id";
/// Points an unpaid enrolment at the order that will pay it.
const SET_ORDER: &str = "UPDATE enrolments SET order_id = $1 WHERE id = $2 AND status = 'unpaid'";

/// Opens a pending order over unpaid enrolments (`enrolment_ids`) with its audit entry, in one
/// transaction. The order's id.
pub(super) async fn insert_order(
    state: &AppState,
    household_id: i64,
    actor_id: i64,
    order: &NewOrder,
    enrolment_ids: &[i64],
    entry: &crate::services::audit::store::AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(INSERT_ORDER)
            .bind(&order.order_no).bind(household_id).bind(order.owed).bind(state.payments.name()).bind(actor_id)
            .bind(now).bind(order.expires)
            .fetch_one(&mut *tx).await?;
        for e in enrolment_ids {
            sqlx::query(SET_ORDER).bind(id).bind(e).execute(&mut *tx).await?;
        }
        crate::services::audit::store::audit_in_tx!(tx, entry, now);
        tx.commit().await?;
        Ok(id)
    })
}

/// `CB20221008` + 16 random hex digits: unguessable, and unique in practice (64 bits: at a
/// million orders a day a collision, which would refuse a submission, is not expected).
pub fn order_number(now: DateTime<Utc>) -> String {
    format!(
        "CB{}{}",
        crate::services::clock::shanghai_date(now).format("%Y%m%d"),
        random_token(8).to_uppercase()
    )
}
