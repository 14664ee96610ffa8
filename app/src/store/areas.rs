//! Administrative areas and their targets.

use sqlx::FromRow;

use super::{with_pool, Db};
use crate::model::{AreaLevel, AreaNode, AreaTarget};

#[derive(Debug, Clone, FromRow)]
struct AreaRow {
    code: String,
    name: String,
    name_en: String,
    level: String,
    parent_code: Option<String>,
    kind: Option<String>,
    code_assumed: bool,
    insurance_year: Option<i32>,
    target_count: Option<i64>,
    notice: Option<String>,
    clause: Option<String>,
}

impl AreaRow {
    fn into_node(self) -> AreaNode {
        let target = match (self.insurance_year, self.target_count) {
            (Some(insurance_year), Some(count)) => Some(AreaTarget {
                insurance_year,
                count,
                notice: self.notice.unwrap_or_default(),
                clause: self.clause.unwrap_or_default(),
            }),
            _ => None,
        };
        AreaNode {
            // The CHECK constraint keeps `level` to known codes.
            level: AreaLevel::from_code(&self.level).unwrap_or(AreaLevel::Village),
            code: self.code,
            name: self.name,
            name_en: self.name_en,
            parent: self.parent_code,
            kind: self.kind,
            code_assumed: self.code_assumed,
            target,
        }
    }
}

/// Inserts an area or, when its code exists, updates its names.
pub async fn upsert_area(db: &Db, area: &AreaNode) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO areas (code, name, name_en, level, parent_code, kind, code_assumed)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
            kind = excluded.kind, code_assumed = excluded.code_assumed";
    with_pool!(db, p => sqlx::query(SQL)
        .bind(&area.code)
        .bind(&area.name)
        .bind(&area.name_en)
        .bind(area.level.code())
        .bind(&area.parent)
        .bind(&area.kind)
        .bind(area.code_assumed)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Loads a seed target; one an officer has set by hand since is left as they set it.
pub async fn upsert_target(db: &Db, area_code: &str, target: &AreaTarget, assumed: bool) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO area_targets (area_code, insurance_year, target_count, notice, clause, assumed)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (area_code, insurance_year) DO UPDATE SET target_count = excluded.target_count,
            notice = excluded.notice, clause = excluded.clause, assumed = excluded.assumed
        WHERE area_targets.updated_by IS NULL";
    with_pool!(db, p => sqlx::query(SQL)
        .bind(area_code)
        .bind(target.insurance_year)
        .bind(target.count)
        .bind(&target.notice)
        .bind(&target.clause)
        .bind(assumed)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Areas with their latest target (the WHERE / ORDER BY is appended by the caller).
const WITH_TARGET: &str = "SELECT a.code, a.name, a.name_en, a.level, a.parent_code, a.kind, a.code_assumed,
        t.insurance_year, t.target_count, t.notice, t.clause
    FROM areas a
    LEFT JOIN area_targets t ON t.area_code = a.code
        AND t.insurance_year = (SELECT MAX(t2.insurance_year) FROM area_targets t2 WHERE t2.area_code = a.code)";

/// Every area with its latest target, parents before children.
pub async fn list(db: &Db) -> Result<Vec<AreaNode>, sqlx::Error> {
    let sql = format!("{WITH_TARGET} ORDER BY LENGTH(a.code), a.code");
    let rows: Vec<AreaRow> = with_pool!(db, p => sqlx::query_as(&sql).fetch_all(p).await)?;
    Ok(rows.into_iter().map(AreaRow::into_node).collect())
}

/// One area with its latest target.
pub async fn get_with_target(db: &Db, code: &str) -> Result<Option<AreaNode>, sqlx::Error> {
    let sql = format!("{WITH_TARGET} WHERE a.code = $1");
    let row: Option<AreaRow> = with_pool!(db, p => sqlx::query_as(&sql).bind(code).fetch_optional(p).await)?;
    Ok(row.map(AreaRow::into_node))
}

/// The areas directly below `code`, by code.
pub async fn children(db: &Db, code: &str) -> Result<Vec<AreaNode>, sqlx::Error> {
    let sql = format!("{WITH_TARGET} WHERE a.parent_code = $1 ORDER BY a.code");
    let rows: Vec<AreaRow> = with_pool!(db, p => sqlx::query_as(&sql).bind(code).fetch_all(p).await)?;
    Ok(rows.into_iter().map(AreaRow::into_node).collect())
}

pub async fn get(db: &Db, code: &str) -> Result<Option<AreaNode>, sqlx::Error> {
    const SQL: &str = "SELECT a.code, a.name, a.name_en, a.level, a.parent_code, a.kind, a.code_assumed,
            CAST(NULL AS INTEGER) AS insurance_year, CAST(NULL AS BIGINT) AS target_count,
            CAST(NULL AS TEXT) AS notice, CAST(NULL AS TEXT) AS clause
        FROM areas a WHERE a.code = $1";
    let row: Option<AreaRow> = with_pool!(db, p => sqlx::query_as(SQL).bind(code).fetch_optional(p).await)?;
    Ok(row.map(AreaRow::into_node))
}

/// The chain from the top of the hierarchy down to `code` (empty when unknown).
pub async fn path(db: &Db, code: &str) -> Result<Vec<AreaNode>, sqlx::Error> {
    let mut chain = Vec::new();
    let mut next = Some(code.to_owned());
    // The hierarchy has five levels; the bound guards against a corrupt cycle.
    while let Some(c) = next.take() {
        if chain.len() > 8 {
            break;
        }
        if let Some(node) = get(db, &c).await? {
            next = node.parent.clone();
            chain.push(node);
        }
    }
    chain.reverse();
    Ok(chain)
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT COUNT(*) FROM areas").fetch_one(p).await)
}
