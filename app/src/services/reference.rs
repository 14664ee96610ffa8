//! Reference data that only seeding writes — the designated hospitals and the areas — kept
//! in memory for a minute, so that a submission does not read the whole hospital list and
//! its village from the database every time. A change made by another process (an operator
//! at a `psql` prompt, a second server) shows within that minute.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::AppError;
use crate::model::{AreaLevel, AreaNode};
use crate::services::access::Actor;
use crate::services::enrolment::store::{self as store, HospitalRow};
use crate::services::AppState;
use crate::store::{areas, Db};

const FRESH: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Reference {
    hospitals: RwLock<Option<(Instant, Arc<[HospitalRow]>)>>,
    /// Levels of the area codes asked for that exist (a code nobody stored is asked again).
    levels: RwLock<HashMap<String, (Instant, AreaLevel)>>,
}

impl Reference {
    /// Every designated hospital whose area starts with one of `prefixes` (a pack's areas),
    /// by area and code, as [`store::hospitals_under`] reads them.
    pub async fn hospitals_under(&self, db: &Db, prefixes: &[String]) -> Result<Vec<HospitalRow>, sqlx::Error> {
        let cached = self.hospitals.read().ok().and_then(|g| {
            g.as_ref()
                .filter(|(at, _)| at.elapsed() < FRESH)
                .map(|(_, l)| l.clone())
        });
        let all = match cached {
            Some(all) => all,
            None => {
                let all: Arc<[HospitalRow]> = store::hospitals_under(db, &[String::new()]).await?.into();
                if let Ok(mut g) = self.hospitals.write() {
                    *g = Some((Instant::now(), all.clone()));
                }
                all
            }
        };
        Ok(all.iter().filter(|h| h.under(prefixes)).cloned().collect())
    }

    /// The level of the area with this code, or `None` when there is no such area.
    pub async fn area_level(&self, db: &Db, code: &str) -> Result<Option<AreaLevel>, sqlx::Error> {
        let cached = self
            .levels
            .read()
            .ok()
            .and_then(|m| m.get(code).filter(|(at, _)| at.elapsed() < FRESH).map(|(_, l)| *l));
        if cached.is_some() {
            return Ok(cached);
        }
        let level = areas::get(db, code).await?.map(|a| a.level);
        if let (Some(level), Ok(mut m)) = (level, self.levels.write()) {
            m.insert(code.to_owned(), (Instant::now(), level));
        }
        Ok(level)
    }

    /// Forgets what it holds: the next read goes to the database.
    pub fn expire(&self) {
        if let Ok(mut g) = self.hospitals.write() {
            *g = None;
        }
        if let Ok(mut m) = self.levels.write() {
            m.clear();
        }
    }
}

/// Every area with its latest target (public reference data from the notices).
#[tracing::instrument(skip_all)]
pub async fn areas(state: &AppState) -> Result<Vec<AreaNode>, AppError> {
    Ok(areas::list(&state.db).await?)
}

/// One area by its code; 404 when there is none.
#[tracing::instrument(skip_all)]
pub async fn area(state: &AppState, code: &str) -> Result<AreaNode, AppError> {
    areas::get_with_target(&state.db, code).await?.ok_or_else(|| {
        AppError::not_found(
            "area_not_found",
            format!("未找到区划代码 {code}"),
            format!("No area with code {code}"),
        )
    })
}

/// The areas at or under the staff member's own area, parents first; 403 for an account
/// without one.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn areas_in_scope(state: &AppState, actor: &Actor) -> Result<Vec<AreaNode>, AppError> {
    let scope = actor
        .account
        .area_code
        .as_deref()
        .ok_or_else(|| AppError::forbidden("no_scope", "您的账户没有管辖区域", "Your account has no area scope"))?;
    Ok(crate::model::within_scope(areas::list(&state.db).await?, Some(scope)))
}
