//! People (natural key: the ID number) and households.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{IdNumber, Sex};

use super::{with_pool, Db};

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
    let sex = match p.id_number.sex() {
        Sex::Male => "male",
        Sex::Female => "female",
    };
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
    entry: &super::audit::AuditEntry<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    const PERSON: &str =
        "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (id_number) DO UPDATE SET name = excluded.name
        RETURNING id";
    let sex = match p.id_number.sex() {
        Sex::Male => "male",
        Sex::Female => "female",
    };
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
        let entry = super::audit::AuditEntry { detail: entry.detail.or(Some(&detail)), ..entry.clone() };
        super::audit::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok(id)
    })
}

pub async fn household_of(db: &Db, person_id: i64) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, p => sqlx::query_scalar("SELECT household_id FROM people WHERE id = $1")
        .bind(person_id).fetch_one(p).await)
}
