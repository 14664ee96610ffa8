//! The ledger's storage: the page of the unenrolled, a visit with its reason and audit entry
//! in one transaction, and the month's counts (from the report counters of migration 0008).

use chrono::{DateTime, NaiveDate, Utc};

use domain::IdNumber;

use crate::store::{with_pool, Db};

#[derive(Debug, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub area: Option<String>,
    pub household_id: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub status: Option<String>,
    pub visits: i64,
    pub last_visit: Option<NaiveDate>,
}

/// One page of the unenrolled in `area` (a code prefix) for `year`, by person id; with a
/// reason, only those whose recorded reason it is ("not_contacted": none recorded).
pub async fn page(
    db: &Db,
    year: i32,
    area: &str,
    reason: Option<&str>,
    limit: i64,
) -> Result<Vec<LedgerRow>, sqlx::Error> {
    // The area as a range of report_area (a person's own area, else their household's,
    // kept by migration 0006), so PostgreSQL walks people in id order and stops at a page
    // instead of joining every household; a recorded reason starts from the reasons' index.
    const COLUMNS: &str = "SELECT p.id, p.name, p.id_number, p.report_area AS area, p.household_id,
            r.reason, r.note, e.status,
            (SELECT COUNT(*) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS visits,
            (SELECT MAX(v.visited_on) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS last_visit";
    let sql = match reason {
        // The page's people are picked from the reasons alone, then joined to people: joined
        // first, PostgreSQL hashes every person (150 ms at 1 M) for a few thousand reasons.
        Some(r) if r != "not_contacted" => "WITH picked AS (
                 SELECT r.person_id, r.reason, r.note, e.status FROM ledger_reasons r
                 LEFT JOIN enrolments e ON e.person_id = r.person_id AND e.insurance_year = $1
                 WHERE r.insurance_year = $1 AND r.report_area >= $2 AND r.report_area < $3 AND r.reason = $4
                   AND (e.id IS NULL OR e.status = 'unpaid')
                 ORDER BY r.person_id LIMIT $5)
             SELECT p.id, p.name, p.id_number, p.report_area AS area, p.household_id, x.reason, x.note, x.status,
                 (SELECT COUNT(*) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS visits,
                 (SELECT MAX(v.visited_on) FROM followup_visits v WHERE v.person_id = p.id AND v.insurance_year = $1) AS last_visit
             FROM picked x JOIN people p ON p.id = x.person_id
             ORDER BY p.id"
            .to_owned(),
        _ => format!(
            "{COLUMNS} FROM people p
             LEFT JOIN ledger_reasons r ON r.person_id = p.id AND r.insurance_year = $1
             LEFT JOIN enrolments e ON e.person_id = p.id AND e.insurance_year = $1
             WHERE p.report_area >= $2 AND p.report_area < $3
               AND (e.id IS NULL OR e.status = 'unpaid')
               AND ($4 IS NULL OR COALESCE(r.reason, 'not_contacted') = $4)
             ORDER BY p.id LIMIT $5"
        ),
    };
    with_pool!(db, p => sqlx::query_as(&sql)
        .bind(year).bind(area).bind(format!("{area}:")).bind(reason).bind(limit).fetch_all(p).await)
}

/// A follow-up visit to record: the reason it established, who and when, and the audit
/// entry's masked subject, client and area.
pub struct NewVisit<'a> {
    pub person_id: i64,
    pub year: i32,
    pub visited_on: NaiveDate,
    pub outcome: &'a str,
    pub note: Option<&'a str>,
    pub actor_id: i64,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub subject: String,
    pub client_ip: &'a str,
    pub area: &'a str,
}

/// Records the visit, sets the person's reason (with its history when it changes) and the
/// audit entry, in one transaction.
pub async fn record_visit(db: &Db, v: &NewVisit<'_>) -> Result<(), sqlx::Error> {
    let NewVisit {
        person_id,
        year,
        visited_on,
        outcome,
        note,
        actor_id,
        now,
        today,
        ref subject,
        client_ip,
        area,
    } = *v;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO followup_visits (person_id, insurance_year, visited_on, outcome, note, account_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(person_id).bind(year).bind(visited_on).bind(outcome).bind(note).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        let previous: Option<String> = sqlx::query_scalar(
            "SELECT reason FROM ledger_reasons WHERE person_id = $1 AND insurance_year = $2")
            .bind(person_id).bind(year).fetch_optional(&mut *tx).await?;
        sqlx::query("INSERT INTO ledger_reasons (person_id, insurance_year, reason, note, updated_by, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (person_id, insurance_year) DO UPDATE SET reason = excluded.reason, note = excluded.note,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(person_id).bind(year).bind(outcome).bind(note).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        if previous.as_deref() != Some(outcome) {
            sqlx::query("INSERT INTO ledger_reason_history (person_id, insurance_year, reason, previous, changed_by, changed_at, changed_on)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(person_id).bind(year).bind(outcome).bind(&previous).bind(actor_id).bind(now).bind(today)
                .execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'ledger_visit_recorded', $3, $4, $5, $6)")
            .bind(now).bind(actor_id).bind(subject).bind(outcome).bind(client_ip).bind(area)
            .execute(&mut *tx).await?;
        tx.commit().await
    })
}

/// The month's counts for an area (a code range): paid in the month, the roster, enrolled
/// by today, the unenrolled's reasons, people stored in the month and still unenrolled, and
/// reasons changed in the month.
pub struct MonthCounts {
    pub newly_enrolled: i64,
    pub roster: i64,
    pub enrolled: i64,
    pub reasons: Vec<(String, i64)>,
    pub newly_unenrolled: i64,
    pub reasons_changed: i64,
}

pub async fn month_counts(
    db: &Db,
    year: i32,
    (lo, hi): (&str, &str),
    (start, next): (NaiveDate, NaiveDate),
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    today: NaiveDate,
) -> Result<MonthCounts, sqlx::Error> {
    // Paid in the month, the register and the unenrolled's reasons: the report counters
    // (migration 0008), a few rows per village and day however many people there are.
    let newly_enrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_enrolled
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND paid_on >= $4 AND paid_on < $5")
        .bind(year).bind(lo).bind(hi).bind(start).bind(next).fetch_one(p).await)?;
    let roster: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_roster WHERE report_area >= $1 AND report_area < $2")
        .bind(lo).bind(hi).fetch_one(p).await)?;
    let enrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_enrolled
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND paid_on <= $4")
        .bind(year).bind(lo).bind(hi).bind(today).fetch_one(p).await)?;
    let reasons: Vec<(String, i64)> = with_pool!(db, p => sqlx::query_as(
        "SELECT reason, CAST(SUM(n) AS BIGINT) FROM report_reasons
         WHERE insurance_year = $1 AND report_area >= $2 AND report_area < $3 AND enrolled_on > $4
         GROUP BY reason")
        .bind(year).bind(lo).bind(hi).bind(today).fetch_all(p).await)?;
    // People stored in the month and not enrolled, and reasons changed in the month: index
    // ranges on the day, then the area.
    let newly_unenrolled: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM people p
         WHERE p.created_at >= $2 AND p.created_at < $3 AND p.report_area >= $4 AND p.report_area < $5
           AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.insurance_year = $1
                           AND e.status <> 'unpaid')")
        .bind(year).bind(from).bind(to).bind(lo).bind(hi).fetch_one(p).await)?;
    let reasons_changed: i64 = with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_reason_history x JOIN people p ON p.id = x.person_id
         WHERE x.insurance_year = $1 AND x.changed_on >= $2 AND x.changed_on < $3
           AND p.report_area >= $4 AND p.report_area < $5")
        .bind(year).bind(start).bind(next).bind(lo).bind(hi).fetch_one(p).await)?;
    Ok(MonthCounts {
        newly_enrolled,
        roster,
        enrolled,
        reasons,
        newly_unenrolled,
        reasons_changed,
    })
}

/// The areas of the people with these ID numbers whom the register knows (their own area,
/// else their household's).
pub async fn areas_of(db: &Db, ids: &[&str]) -> Result<Vec<(String, String)>, sqlx::Error> {
    let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT p.id_number, COALESCE(p.area_code, h.area_code, '') FROM people p
         LEFT JOIN households h ON h.id = p.household_id WHERE p.id_number IN ({list})"
    );
    with_pool!(db, p => {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(p).await
    })
}

/// A roster row for someone the register does not know: ID number, name, phone, village,
/// local hukou.
pub type RosterPerson = (IdNumber, String, Option<String>, String, bool);

/// Registers a roster's new people, `chunk` to a multi-row INSERT, and the audit entry, in
/// one transaction.
pub async fn insert_roster(
    db: &Db,
    people: &[RosterPerson],
    chunk: usize,
    entry: &crate::services::audit::store::AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // PostgreSQL needs numbered parameters; SQLite binds anonymous ones in order, where
    // numbered ones cost a linear search each (quadratic over a chunk's 16,000).
    let numbered = matches!(db, Db::Postgres(_));
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        for chunk in people.chunks(chunk) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 8;
                    if numbered {
                        format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8)
                    } else {
                        "(?, ?, ?, ?, ?, ?, ?, ?)".to_owned()
                    }
                })
                .collect();
            let sql = format!(
                "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (id, name, phone, area, hukou) in chunk {
                let sex = crate::services::enrolment::store::sex_code(id);
                q = q.bind(id.as_str()).bind(name).bind(id.birth_date()).bind(sex).bind(phone).bind(area).bind(hukou).bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        crate::services::audit::store::audit_in_tx!(tx, entry, now);
        tx.commit().await
    })
}
