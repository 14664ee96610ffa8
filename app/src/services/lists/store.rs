//! Department lists' storage: the stored files, what the register knows about a list's
//! people, the one transaction that applies a list (PostgreSQL's array statements and
//! SQLite's multi-row VALUES side by side behind one trait: the same rows, each engine's
//! fastest statements), and the review queue.

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Laps, CHUNK};
use crate::services::access::Actor;
use crate::services::audit::store::{audit_in_tx, AuditEntry};
use crate::store::{with_pool, Db};

/// A person the register knows, as a list's analysis needs them.
pub(super) struct Known {
    pub(super) person_id: i64,
    pub(super) area: Option<String>,
}

/// What the database knows about a list's people.
#[derive(Default)]
pub(super) struct Lookup {
    pub(super) known: FxHashMap<String, Known>,
    /// (person_id, category) → id of the flagged certification.
    pub(super) flagged: FxHashMap<(i64, String), i64>,
    /// (person_id, category) with a certification in progress or in force.
    pub(super) open: FxHashSet<(i64, String)>,
    /// The ledger's latest (year, reason) per person.
    pub(super) ledger: FxHashMap<i64, (i32, String)>,
}

pub(super) const LOOKUP_PEOPLE: &str = "SELECT p.id, p.id_number, COALESCE(p.area_code, h.area_code) FROM people p
    LEFT JOIN households h ON h.id = p.household_id WHERE p.id_number";
pub(super) const LOOKUP_CERTS: &str = "SELECT id, person_id, category, status FROM certifications
    WHERE status IN ('submitted', 'accepted', 'returned', 'confirmed', 'flagged') AND person_id";
pub(super) const LOOKUP_LEDGER: &str = "SELECT person_id, insurance_year, reason FROM ledger_reasons WHERE person_id";

/// Looks the people up in chunks: on PostgreSQL one array parameter per chunk of 50,000
/// (a 2,000-placeholder IN list costs more to parse than to run), on SQLite IN lists.
pub(super) async fn lookup(db: &crate::store::Db, ids: &[&str]) -> Result<Lookup, sqlx::Error> {
    type Person = (i64, String, Option<String>);
    type Cert = (i64, i64, String, String);
    type Reason = (i64, i32, String);
    let mut out = Lookup::default();
    let chunk_size = match db {
        crate::store::Db::Postgres(_) => 50_000,
        crate::store::Db::Sqlite(_) => CHUNK,
    };
    for chunk in ids.chunks(chunk_size) {
        let (found, certs, reasons): (Vec<Person>, Vec<Cert>, Vec<Reason>) = match db {
            crate::store::Db::Postgres(p) => {
                let found: Vec<Person> = sqlx::query_as(&format!("{LOOKUP_PEOPLE} = ANY($1)"))
                    .bind(chunk)
                    .fetch_all(p)
                    .await?;
                let pids: Vec<i64> = found.iter().map(|f| f.0).collect();
                if pids.is_empty() {
                    (found, Vec::new(), Vec::new())
                } else {
                    let certs = sqlx::query_as(&format!("{LOOKUP_CERTS} = ANY($1)"))
                        .bind(&pids)
                        .fetch_all(p)
                        .await?;
                    let reasons = sqlx::query_as(&format!("{LOOKUP_LEDGER} = ANY($1) ORDER BY insurance_year"))
                        .bind(&pids)
                        .fetch_all(p)
                        .await?;
                    (found, certs, reasons)
                }
            }
            crate::store::Db::Sqlite(p) => {
                let sql = format!("{LOOKUP_PEOPLE} IN ({})", placeholders(chunk.len()));
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                let found: Vec<Person> = q.fetch_all(p).await?;
                let pids: Vec<i64> = found.iter().map(|f| f.0).collect();
                if pids.is_empty() {
                    (found, Vec::new(), Vec::new())
                } else {
                    let list = placeholders(pids.len());
                    let sql = format!("{LOOKUP_CERTS} IN ({list})");
                    let mut q = sqlx::query_as(&sql);
                    for id in &pids {
                        q = q.bind(id);
                    }
                    let certs = q.fetch_all(p).await?;
                    let sql = format!("{LOOKUP_LEDGER} IN ({list}) ORDER BY insurance_year");
                    let mut q = sqlx::query_as(&sql);
                    for id in &pids {
                        q = q.bind(id);
                    }
                    let reasons = q.fetch_all(p).await?;
                    (found, certs, reasons)
                }
            }
        };
        for (pid, id, area) in found {
            out.known.insert(id, Known { person_id: pid, area });
        }
        for (cid, pid, cat, status) in certs {
            if status == "flagged" {
                out.flagged.insert((pid, cat.clone()), cid);
            }
            out.open.insert((pid, cat));
        }
        // The ledger's latest word on each person: a death or employee insurance recorded
        // there contradicts a department adding them to a subsidised category.
        for (pid, year, reason) in reasons {
            out.ledger.insert(pid, (year, reason));
        }
    }
    Ok(out)
}

/// `?, ?, …` for a SQLite IN list (anonymous parameters; see `values`).
pub(super) fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3);
    for i in 0..n {
        out.push_str(if i == 0 { "?" } else { ", ?" });
    }
    out
}

/// A person a list adds who is not in the register yet (borrowed from the analysed rows).
pub(super) struct NewPerson<'r> {
    pub(super) id_number: &'r str,
    pub(super) name: &'r str,
    pub(super) birth_date: NaiveDate,
    pub(super) sex: &'static str,
    pub(super) phone: Option<&'r str>,
    pub(super) area: &'r str,
}

/// A certification a list adds, confirmed by the department; the list and line it came
/// from are its history's first step.
pub(super) struct NewCert<'r> {
    pub(super) person_id: i64,
    pub(super) category: &'static str,
    pub(super) department: &'r str,
    pub(super) policy_id: &'r str,
    pub(super) area: &'r str,
    pub(super) line: i64,
    pub(super) listed_on: Option<NaiveDate>,
}

/// A flagged certification a list revokes.
pub(super) struct Exit {
    pub(super) certification_id: i64,
    pub(super) valid_until: Option<NaiveDate>,
    pub(super) note: String,
}

/// A row that goes to the review queue.
pub(super) struct Problem {
    pub(super) line: i64,
    pub(super) id_number_masked: Option<String>,
    pub(super) category: Option<&'static str>,
    pub(super) kind: Option<&'static str>,
    pub(super) outcome: String,
    pub(super) message: String,
}

/// Who applies a list, and when.
pub(super) struct Writer {
    pub(super) account_id: i64,
    pub(super) role: &'static str,
    pub(super) at: chrono::DateTime<chrono::Utc>,
    pub(super) import_id: i64,
}

/// An applied list's writes, inside the caller's transaction. PostgreSQL takes each table in
/// one statement over array parameters (a million rows in seconds, where multi-row VALUES
/// spend their time parsing placeholders); SQLite, in process, takes multi-row VALUES.
trait ListWrites {
    /// Inserts the people; answers (ID number, person id).
    fn add_people(
        &mut self,
        people: &[NewPerson<'_>],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<Vec<(String, i64)>, sqlx::Error>> + Send;
    fn add_certifications(
        &mut self,
        certs: &[NewCert<'_>],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    fn revoke_certifications(
        &mut self,
        exits: &[Exit],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    fn queue_for_review(
        &mut self,
        import_id: i64,
        problems: &[Problem],
        by: &Writer,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Rows per statement on PostgreSQL (bounds one statement's memory, not its parameters).
pub(super) const PG_BATCH: usize = 100_000;

impl ListWrites for sqlx::PgConnection {
    async fn add_people(&mut self, people: &[NewPerson<'_>], by: &Writer) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut out = Vec::with_capacity(people.len());
        for chunk in people.chunks(PG_BATCH) {
            let ids: Vec<(String, i64)> = sqlx::query_as(
                "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, report_area, hukou_local, created_at)
                 SELECT t.id_number, t.name, t.birth_date, t.sex, t.phone, t.area_code, t.area_code, TRUE, $7
                 FROM UNNEST($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[])
                      AS t(id_number, name, birth_date, sex, phone, area_code)
                 RETURNING id_number, id",
            )
            .bind(chunk.iter().map(|p| p.id_number).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.name).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.birth_date).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.sex).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.phone).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.area).collect::<Vec<_>>())
            .bind(by.at)
            .fetch_all(&mut *self)
            .await?;
            out.extend(ids);
        }
        Ok(out)
    }

    async fn add_certifications(&mut self, certs: &[NewCert<'_>], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in certs.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at,
                     policy_id, area_code, submitter_role, source, import_id, import_line, listed_on)
                 SELECT t.person_id, t.category, t.department, 'confirmed', $1, $1, t.policy_id, t.area_code, $2, 'list',
                     $3, t.line, t.listed_on
                 FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::date[])
                     AS t(person_id, category, department, policy_id, area_code, line, listed_on)",
            )
            .bind(by.at)
            .bind(by.role)
            .bind(by.import_id)
            .bind(chunk.iter().map(|c| c.person_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.category).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.department).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.policy_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.area).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.line).collect::<Vec<_>>())
            .bind(chunk.iter().map(|c| c.listed_on).collect::<Vec<_>>())
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn revoke_certifications(&mut self, exits: &[Exit], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in exits.chunks(PG_BATCH) {
            sqlx::query(
                "WITH t AS (
                     SELECT * FROM UNNEST($1::bigint[], $2::date[], $3::text[]) AS t(id, valid_until, note)),
                 r AS (
                     UPDATE certifications c SET status = 'revoked', valid_until = t.valid_until, updated_at = $4
                     FROM t WHERE c.id = t.id AND c.status = 'flagged' RETURNING c.id)
                 INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                 SELECT r.id, 'list_exit', 'flagged', 'revoked', $5, t.note, $4 FROM r JOIN t ON t.id = r.id",
            )
            .bind(chunk.iter().map(|e| e.certification_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.valid_until).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.note.as_str()).collect::<Vec<_>>())
            .bind(by.at)
            .bind(by.account_id)
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn queue_for_review(&mut self, import_id: i64, problems: &[Problem], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in problems.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO adjustment_review (import_id, line, id_number_masked, category, kind, outcome, message, resolved, created_at)
                 SELECT $1, t.line, t.masked, t.category, t.kind, t.outcome, t.message, FALSE, $2
                 FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                     AS t(line, masked, category, kind, outcome, message)",
            )
            .bind(import_id)
            .bind(by.at)
            .bind(chunk.iter().map(|p| p.line).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.id_number_masked.as_deref()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.category).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.kind).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.outcome.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|p| p.message.as_str()).collect::<Vec<_>>())
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }
}

/// The groups of a multi-row VALUES: `shape` (with anonymous `?` parameters) repeated
/// `rows` times. SQLite only: numbered parameters (`$k`) cost a linear search per bind in
/// SQLite's parameter-name list, quadratic over 20,000 parameters (a 100,000-row list took
/// 50 s to apply; anonymous ones bind in order).
pub(super) fn values(rows: usize, shape: &str) -> String {
    let mut out = String::with_capacity(rows * (shape.len() + 2));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push_str(shape);
    }
    out
}

impl ListWrites for sqlx::SqliteConnection {
    async fn add_people(&mut self, people: &[NewPerson<'_>], by: &Writer) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let mut out = Vec::with_capacity(people.len());
        for chunk in people.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
                 VALUES {} RETURNING id_number, id",
                values(chunk.len(), "(?, ?, ?, ?, ?, ?, TRUE, ?)")
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for p in chunk {
                q = q
                    .bind(p.id_number)
                    .bind(p.name)
                    .bind(p.birth_date)
                    .bind(p.sex)
                    .bind(p.phone)
                    .bind(p.area)
                    .bind(by.at);
            }
            out.extend(q.fetch_all(&mut *self).await?);
        }
        Ok(out)
    }

    async fn add_certifications(&mut self, certs: &[NewCert<'_>], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in certs.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at, policy_id,
                    area_code, submitter_role, source, import_id, import_line, listed_on)
                 VALUES {}",
                values(chunk.len(), "(?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, 'list', ?, ?, ?)")
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q
                    .bind(c.person_id)
                    .bind(c.category)
                    .bind(c.department)
                    .bind(by.at)
                    .bind(by.at)
                    .bind(c.policy_id)
                    .bind(c.area)
                    .bind(by.role)
                    .bind(by.import_id)
                    .bind(c.line)
                    .bind(c.listed_on);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn revoke_certifications(&mut self, exits: &[Exit], by: &Writer) -> Result<(), sqlx::Error> {
        for e in exits {
            let n = sqlx::query(
                "UPDATE certifications SET status = 'revoked', valid_until = $1, updated_at = $2 WHERE id = $3 AND status = 'flagged'",
            )
            .bind(e.valid_until)
            .bind(by.at)
            .bind(e.certification_id)
            .execute(&mut *self)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query(
                    "INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                     VALUES ($1, 'list_exit', 'flagged', 'revoked', $2, $3, $4)",
                )
                .bind(e.certification_id)
                .bind(by.account_id)
                .bind(&e.note)
                .bind(by.at)
                .execute(&mut *self)
                .await?;
            }
        }
        Ok(())
    }

    async fn queue_for_review(&mut self, import_id: i64, problems: &[Problem], by: &Writer) -> Result<(), sqlx::Error> {
        for chunk in problems.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO adjustment_review (import_id, line, id_number_masked, category, kind, outcome, message, resolved, created_at)
                 VALUES {}",
                values(chunk.len(), "(?, ?, ?, ?, ?, ?, ?, FALSE, ?)")
            );
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(import_id)
                    .bind(p.line)
                    .bind(&p.id_number_masked)
                    .bind(p.category)
                    .bind(p.kind)
                    .bind(&p.outcome)
                    .bind(&p.message)
                    .bind(by.at);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }
}

/// A stored list: file name, body, uploader, status.
pub(super) async fn import_file(db: &Db, id: i64) -> Result<Option<(String, Vec<u8>, i64, String)>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT file_name, body, uploaded_by, status FROM adjustment_imports WHERE id = $1")
        .bind(id).fetch_optional(p).await)
}

/// The report stored when a list was applied.
pub(super) async fn applied_report(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT report_json FROM adjustment_imports WHERE id = $1")
        .bind(id).fetch_one(p).await)
}

/// A previewed list as stored for its confirmation.
pub(super) struct NewImport<'a> {
    pub(super) file_name: &'a str,
    pub(super) kind: &'a str,
    pub(super) sha256: &'a str,
    pub(super) body: &'a [u8],
    pub(super) rows_total: i64,
    pub(super) rows_valid: i64,
    pub(super) now: DateTime<Utc>,
}

/// Stores a previewed list and its audit entry (its subject, when None, names the import)
/// in one transaction. The import's id.
pub(super) async fn insert_import(
    db: &Db,
    actor: &Actor,
    i: &NewImport<'_>,
    entry: &AuditEntry<'_>,
) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO adjustment_imports (file_name, file_kind, sha256, body, uploaded_by, department, area_code, status,
                rows_total, rows_valid, rows_problem, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'previewed', $8, $9, $10, $11) RETURNING id")
            .bind(i.file_name).bind(i.kind).bind(i.sha256).bind(i.body).bind(actor.account.id)
            .bind(&actor.account.department).bind(actor.account.area_code.as_deref().unwrap_or(""))
            .bind(i.rows_total).bind(i.rows_valid).bind(i.rows_total - i.rows_valid).bind(i.now)
            .fetch_one(&mut *tx).await?;
        let subject = format!("import {id} {}", i.file_name);
        let entry = AuditEntry { subject: entry.subject.or(Some(&subject)), ..entry.clone() };
        audit_in_tx!(tx, &entry, i.now);
        tx.commit().await?;
        Ok(id)
    })
}

/// Everything applying a list writes besides its certifications.
pub(super) struct ListPlan<'a, 'r> {
    pub(super) people: &'a [NewPerson<'r>],
    pub(super) exits: &'a [Exit],
    pub(super) problems: &'a [Problem],
    pub(super) by: &'a Writer,
    pub(super) report_json: String,
    pub(super) audit: &'a AuditEntry<'a>,
}

/// Applies a list in one transaction: marks it applied (once: `false` and nothing written
/// when it already was), adds its new people, then the certifications `certs_for` makes
/// from the new people's ids, revokes, queues the problems, stores the report and the audit
/// entry. Also the milliseconds the people and the certifications took.
pub(super) async fn apply_list<'r, F>(
    db: &Db,
    plan: &ListPlan<'_, '_>,
    certs_for: F,
    laps: &mut Laps,
) -> Result<(bool, u64, u64), sqlx::Error>
where
    F: Fn(&FxHashMap<String, i64>) -> Vec<NewCert<'r>>,
{
    let by = plan.by;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query("UPDATE adjustment_imports SET status = 'applied', applied_at = $1 WHERE id = $2 AND status = 'previewed'")
            .bind(by.at).bind(by.import_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok((false, 0, 0));
        }
        let new_ids: FxHashMap<String, i64> = tx.add_people(plan.people, by).await?.into_iter().collect();
        let people_ms = laps.lap();
        let certs = certs_for(&new_ids);
        tx.add_certifications(&certs, by).await?;
        let certifications_ms = laps.lap();
        tx.revoke_certifications(plan.exits, by).await?;
        tx.queue_for_review(by.import_id, plan.problems, by).await?;
        sqlx::query("UPDATE adjustment_imports SET report_json = $1 WHERE id = $2")
            .bind(&plan.report_json).bind(by.import_id).execute(&mut *tx).await?;
        audit_in_tx!(tx, plan.audit, by.at);
        tx.commit().await?;
        Ok((true, people_ms, certifications_ms))
    })
}

/// A review-queue row as read: id, import, file, department, line, masked ID number,
/// category, kind, outcome, message, resolved, resolution.
pub(super) type ReviewRow = (
    i64,
    i64,
    String,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    bool,
    Option<String>,
);

/// Review rows of lists uploaded in `scope` (a LIKE prefix), filtered when a filter is given.
pub(super) async fn review_rows(
    db: &Db,
    scope: &str,
    department: Option<&str>,
    outcome: Option<&str>,
    resolved: Option<bool>,
    id: Option<i64>,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT r.id, r.import_id, i.file_name, i.department, r.line, r.id_number_masked, r.category, r.kind,
                r.outcome, r.message, r.resolved, r.resolution
         FROM adjustment_review r JOIN adjustment_imports i ON i.id = r.import_id
         WHERE i.area_code LIKE $1 AND ($2 IS NULL OR i.department = $2) AND ($3 IS NULL OR r.outcome = $3)
           AND ($4 IS NULL OR r.resolved = $4) AND ($5 IS NULL OR r.id = $5)
         ORDER BY r.import_id DESC, r.line LIMIT 500")
        .bind(scope).bind(department).bind(outcome).bind(resolved).bind(id).fetch_all(p).await)
}

/// Resolves a review row once, with its audit entry in the same transaction; rows changed.
pub(super) async fn resolve_review(
    db: &Db,
    id: i64,
    resolution: &str,
    account_id: i64,
    entry: &AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    with_pool!(db, p => {
        let mut tx = p.begin().await?;
        let n = sqlx::query(
            "UPDATE adjustment_review SET resolved = TRUE, resolution = $1, resolved_by = $2, resolved_at = $3
             WHERE id = $4 AND resolved = FALSE")
            .bind(resolution).bind(account_id).bind(now).bind(id)
            .execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            audit_in_tx!(tx, entry, now);
        }
        tx.commit().await?;
        Ok(n)
    })
}

/// An applied list's problem rows: line, masked ID number, outcome, message.
pub(super) async fn review_lines(
    db: &Db,
    import_id: i64,
) -> Result<Vec<(i64, Option<String>, String, String)>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as(
        "SELECT line, id_number_masked, outcome, message FROM adjustment_review WHERE import_id = $1 ORDER BY line")
        .bind(import_id).fetch_all(p).await)
}
