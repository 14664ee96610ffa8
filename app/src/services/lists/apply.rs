//! Applying a previewed list in one transaction. The SQLite and PostgreSQL writers sit side
//! by side behind one trait: the same rows, each engine's fastest statements.

use chrono::NaiveDate;
use rustc_hash::{FxHashMap, FxHashSet};

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::ImportReport;
use crate::services::access::Actor;
use crate::services::AppState;
use crate::store::with_pool;

pub(super) struct Stored {
    pub(super) file_name: String,
    pub(super) body: Vec<u8>,
    pub(super) uploaded_by: i64,
    pub(super) status: String,
}

pub(super) async fn stored(state: &AppState, actor: &Actor, id: i64) -> Result<Stored, AppError> {
    may_import(actor)?;
    let row: Option<(String, Vec<u8>, i64, String)> = with_pool!(&state.db, p => sqlx::query_as(
        "SELECT file_name, body, uploaded_by, status FROM adjustment_imports WHERE id = $1")
        .bind(id).fetch_optional(p).await)?;
    let (file_name, body, uploaded_by, status) = row
        .filter(|r| r.2 == actor.account.id)
        .ok_or_else(|| AppError::not_found("import_not_found", "未找到该导入记录", "No such import"))?;
    Ok(Stored {
        file_name,
        body,
        uploaded_by,
        status,
    })
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

/// Applies a previewed list: valid rows in one transaction, problems to the review queue.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn apply(state: &AppState, actor: &Actor, id: i64, client_ip: &str) -> Result<ImportReport, AppError> {
    let mut laps = Laps::start();
    let s = stored(state, actor, id).await?;
    if s.status != "previewed" {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    let read_ms = laps.lap();
    let parsed = parse_off_thread(s.body.clone()).await?;
    let parse_ms = laps.lap();
    let analysis = analyse(state, actor, parsed).await?;
    let analyse_ms = laps.lap();
    let r = report(&analysis, id, &s.file_name, true);
    let now = state.clock.now();

    // Everything to write, worked out before the transaction.
    let scope = actor.staff_scope()?.to_owned();
    let mut people: Vec<NewPerson> = Vec::new();
    let mut seen_new = FxHashSet::default();
    let mut adds: Vec<&Row> = Vec::new();
    let mut exits: Vec<Exit> = Vec::new();
    for row in &analysis.rows {
        if !matches!(row.verdict, Verdict::Valid) {
            continue;
        }
        let Some(idn) = &row.id else { continue };
        match row.kind {
            Some(Kind::Add) => {
                if !analysis.known.contains_key(idn.as_str()) && seen_new.insert(idn.as_str()) {
                    people.push(NewPerson {
                        id_number: idn.as_str(),
                        name: row.name.as_deref().unwrap_or_default(),
                        birth_date: idn.birth_date(),
                        sex: if idn.sex() == domain::Sex::Male {
                            "male"
                        } else {
                            "female"
                        },
                        phone: row.phone.as_deref(),
                        area: row.village.as_deref().unwrap_or_default(),
                    });
                }
                adds.push(row);
            }
            Some(Kind::Exit) => {
                let pid = analysis.known[idn.as_str()].person_id;
                let cat = row.category.map(|c| c.code().to_owned()).unwrap_or_default();
                if let Some(cid) = analysis.flagged.get(&(pid, cat)) {
                    let date = row.date.map(|d| d.to_string()).unwrap_or_default();
                    exits.push(Exit {
                        certification_id: *cid,
                        valid_until: row.date,
                        note: format!("动态调整名单#{id} 第{}行 退出 {date}", row.line),
                    });
                }
            }
            None => {}
        }
    }
    let problems: Vec<Problem> = analysis
        .rows
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Valid))
        .map(|row| {
            let p = problem_view(&analysis, row);
            Problem {
                line: row.line as i64,
                message: match &p.column {
                    Some(c) => format!("【{c}】{}", p.message),
                    None => p.message.clone(),
                },
                id_number_masked: p.id_number_masked,
                category: row.category.map(|c| c.code()),
                kind: row.kind.map(Kind::code),
                outcome: p.outcome,
            }
        })
        .collect();
    let by = Writer {
        account_id: s.uploaded_by,
        role: actor.role.code(),
        at: now,
        import_id: id,
    };

    let plan_ms = laps.lap();
    let (mut people_ms, mut certifications_ms) = (0, 0);
    let applied = with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query("UPDATE adjustment_imports SET status = 'applied', applied_at = $1 WHERE id = $2 AND status = 'previewed'")
            .bind(now).bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            Ok::<bool, sqlx::Error>(false)
        } else {
            let new_ids: FxHashMap<String, i64> = tx.add_people(&people, &by).await?.into_iter().collect();
            people_ms = laps.lap();
            let certs: Vec<NewCert> = adds.iter().map(|row| {
                let idn = row.id.as_ref().expect("valid rows have an ID").as_str();
                let known = analysis.known.get(idn);
                let (department, policy_id) = row.certifier.unwrap_or_default();
                NewCert {
                    person_id: known.map(|k| k.person_id).or_else(|| new_ids.get(idn).copied()).unwrap_or_default(),
                    category: row.category.map(|c| c.code()).unwrap_or_default(),
                    department,
                    policy_id,
                    area: known.and_then(|k| k.area.as_deref()).or(row.village.as_deref()).unwrap_or(&scope),
                    line: row.line as i64,
                    listed_on: row.date,
                }
            }).collect();
            tx.add_certifications(&certs, &by).await?;
            certifications_ms = laps.lap();
            tx.revoke_certifications(&exits, &by).await?;
            tx.queue_for_review(id, &problems, &by).await?;
            sqlx::query("UPDATE adjustment_imports SET report_json = $1 WHERE id = $2")
                .bind(serde_json::to_string(&r).unwrap_or_default()).bind(id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                         VALUES ($1, $2, 'adjustment_list_applied', $3, $4, $5, $6)")
                .bind(now).bind(by.account_id).bind(format!("import {id} {}", s.file_name))
                .bind(format!("adds {} exits {} new people {} problems {}", r.adds, r.exits, r.new_people, r.rows_total - r.valid))
                .bind(client_ip).bind(&scope).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }
    })?;
    if !applied {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    tracing::info!(
        import = id,
        rows = r.rows_total,
        read_ms,
        parse_ms,
        analyse_ms,
        plan_ms,
        people_ms,
        certifications_ms,
        rest_ms = laps.lap(),
        "adjustment list applied"
    );
    Ok(r)
}
