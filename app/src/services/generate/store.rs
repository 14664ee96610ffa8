//! The generator's storage: how its rows reach the database (multi-row INSERTs of
//! generated literals through the pool, or COPY on one PostgreSQL connection whose session
//! has the triggers off), and the few reads it needs.

use crate::error::AppError;
use crate::store::{with_pool, Db};

use super::CHUNK;

/// One generated value.
pub(super) enum V {
    I(i64),
    T(String),
    B(bool),
    N,
}

impl V {
    pub(super) fn opt(s: Option<&str>) -> V {
        s.map_or(V::N, |v| V::T(v.to_owned()))
    }
    pub(super) fn sql(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            V::I(n) => {
                let _ = write!(out, "{n}");
            }
            V::T(t) => {
                out.push('\'');
                out.push_str(&t.replace('\'', "''"));
                out.push('\'');
            }
            V::B(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
            V::N => out.push_str("NULL"),
        }
    }
    /// PostgreSQL's COPY text format.
    pub(super) fn copy(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            V::I(n) => {
                let _ = write!(out, "{n}");
            }
            V::T(t) => {
                for c in t.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            V::B(b) => out.push(if *b { 't' } else { 'f' }),
            V::N => out.push_str("\\N"),
        }
    }
}

/// The rows waiting for one table.
pub(super) struct Table {
    name: &'static str,
    columns: &'static str,
    pub(super) rows: Vec<Vec<V>>,
}

impl Table {
    pub(super) fn new(name: &'static str, columns: &'static str) -> Self {
        Table {
            name,
            columns,
            rows: Vec::new(),
        }
    }
}

/// The next row id of a table (ids are assigned here so households and people can
/// point at each other in one pass).
pub(super) async fn next_id(db: &Db, table: &str) -> Result<i64, AppError> {
    let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}");
    let max: i64 = with_pool!(db, p => sqlx::query_scalar(&sql).fetch_one(p).await)?;
    Ok(max + 1)
}

/// The rows waiting, table by table (written in this order: households before people).
pub(super) struct Tables {
    pub(super) households: Table,
    pub(super) people: Table,
    pub(super) enrolments: Table,
    pub(super) certs: Table,
    pub(super) reasons: Table,
}

impl Tables {
    pub(super) fn new() -> Self {
        Tables {
            households: Table::new("households", "id, head_person_id, area_code, address, created_at"),
            people: Table::new(
                "people",
                "id, id_number, name, birth_date, sex, area_code, hukou_local, household_id, relationship, created_at, student, months_resident, report_area",
            ),
            enrolments: Table::new(
                "enrolments",
                "person_id, household_id, insurance_year, policy_id, tier, benefit_tier, add_ons, applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status, quote_json, paid_fen, paid_on, benefit_start, benefit_end, start_rule, created_at, report_area, hukou_local",
            ),
            certs: Table::new(
                "certifications",
                "person_id, category, department, status, effective_on, valid_until, created_at, policy_id, area_code, source",
            ),
            reasons: Table::new(
                "ledger_reasons",
                "person_id, insurance_year, reason, updated_at, report_area, hukou_local",
            ),
        }
    }
}

/// Where the rows go: multi-row INSERTs through the pool, or COPY on one PostgreSQL
/// connection whose session has the triggers off.
pub(super) enum Loader<'a> {
    Insert(&'a Db),
    Copy(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl<'a> Loader<'a> {
    pub(super) async fn open(db: &'a Db, bulk: bool) -> Result<Loader<'a>, AppError> {
        if let (true, Db::Postgres(p)) = (bulk, db) {
            let mut conn = p.acquire().await?;
            // Only this session: replica mode skips the row triggers (and foreign-key
            // checks); the generated rows already hold what the triggers would compute.
            sqlx::query("SET session_replication_role = replica")
                .execute(&mut *conn)
                .await?;
            return Ok(Loader::Copy(conn));
        }
        Ok(Loader::Insert(db))
    }

    pub(super) fn chunk(&self) -> usize {
        match self {
            Loader::Insert(_) => CHUNK,
            Loader::Copy(_) => 50 * CHUNK,
        }
    }

    pub(super) async fn write(&mut self, t: &mut Tables) -> Result<(), AppError> {
        for table in [
            &mut t.households,
            &mut t.people,
            &mut t.enrolments,
            &mut t.certs,
            &mut t.reasons,
        ] {
            if table.rows.is_empty() {
                continue;
            }
            let mut out = String::new();
            match self {
                Loader::Insert(db) => {
                    out.push_str(&format!("INSERT INTO {} ({}) VALUES ", table.name, table.columns));
                    for (i, row) in table.rows.iter().enumerate() {
                        out.push_str(if i == 0 { "(" } else { ",(" });
                        for (j, v) in row.iter().enumerate() {
                            if j > 0 {
                                out.push(',');
                            }
                            v.sql(&mut out);
                        }
                        out.push(')');
                    }
                    with_pool!(*db, p => sqlx::query(&out).execute(p).await.map(|r| r.rows_affected()))?;
                }
                Loader::Copy(conn) => {
                    for row in &table.rows {
                        for (j, v) in row.iter().enumerate() {
                            if j > 0 {
                                out.push('\t');
                            }
                            v.copy(&mut out);
                        }
                        out.push('\n');
                    }
                    let mut copy = conn
                        .copy_in_raw(&format!("COPY {} ({}) FROM STDIN", table.name, table.columns))
                        .await?;
                    copy.send(out.as_bytes()).await?;
                    copy.finish().await?;
                }
            }
            table.rows.clear();
        }
        Ok(())
    }

    /// Restores the session; true after a bulk load (the counters need rebuilding).
    pub(super) async fn close(self) -> Result<bool, AppError> {
        if let Loader::Copy(mut conn) = self {
            sqlx::query("SET session_replication_role = DEFAULT")
                .execute(&mut *conn)
                .await?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// The townships' targets for a year (weights for where generated people live).
pub(super) async fn targets_of_year(db: &Db, year: i32) -> Result<Vec<(String, i64)>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_as("SELECT area_code, target_count FROM area_targets WHERE insurance_year = $1")
        .bind(year).fetch_all(p).await)
}

/// After rows were written with their own ids, PostgreSQL's sequences continue past them.
pub(super) async fn reset_sequences(db: &Db) -> Result<(), sqlx::Error> {
    if let Db::Postgres(p) = db {
        for t in ["people", "households"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
            ))
            .execute(p)
            .await?;
        }
    }
    Ok(())
}

/// The demo's generated people so far (Lishi outside the hand-made 东关社区).
pub(super) async fn generated_demo_people(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM people WHERE area_code LIKE '141102%' AND area_code <> '141102001001'")
        .fetch_one(p).await)
}
