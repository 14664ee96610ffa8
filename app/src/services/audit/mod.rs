//! The audit log viewed by admins (everything) and bureau officers (their area).

pub mod store;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::access::Actor;
use super::AppState;
use crate::error::AppError;
use crate::model::{AuditView, Role};
use store::{self as audit, AuditFilter};

/// `GET /api/v1/audit` filters (dates are days in Asia/Shanghai, inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub actor: Option<i64>,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Page on: entries older than this id.
    #[serde(default)]
    pub before: Option<i64>,
}

pub(crate) fn day_start(d: NaiveDate) -> DateTime<Utc> {
    domain::dates::SHANGHAI
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn search(state: &AppState, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditView>, AppError> {
    // Cadres and township officers read their own area's entries too: a person the system
    // knew being attached to a household is recorded in the village for its cadre to see.
    if !matches!(
        actor.role,
        Role::Admin | Role::BureauOfficer | Role::TownshipOfficer | Role::Cadre
    ) {
        return Err(AppError::forbidden(
            "audit_forbidden",
            "只有管理员、医保局、乡镇和村（社区）经办人员可以查看操作日志",
            "Only administrators, bureau, township and village staff can view the audit log",
        ));
    }
    // An admin's whole scope ("") filters nothing, so entries without an area stay visible.
    let area = super::access::area_within(actor, q.area.as_deref())?;
    let area_prefix = (!area.is_empty()).then_some(area);
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            return Err(AppError::invalid(
                "to",
                "range_reversed",
                "结束日期不能早于开始日期",
                "The end date is before the start date",
            ));
        }
    }
    let f = AuditFilter {
        area_prefix,
        action: q.action.clone().filter(|s| !s.trim().is_empty()),
        actor_account_id: q.actor,
        from: q.from.map(day_start),
        to: q.to.and_then(|t| t.succ_opt()).map(day_start),
        before_id: q.before,
        limit: crate::model::AUDIT_PAGE as i64,
    };
    Ok(audit::search(&state.db, &f)
        .await?
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            at: r.at,
            actor: r.actor_name.or_else(|| r.actor_account_id.map(|i| format!("#{i}"))),
            action: r.action,
            subject: r.subject,
            detail: r.detail,
            client_ip: r.client_ip,
            area_code: r.area_code,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// The hash chain (audit_seals)

/// The hash before the first seal.
pub const GENESIS: &str = "canbao-audit-genesis";
/// Rows sealed per transaction.
const SEAL_BATCH: i64 = 1000;

/// A seal's hash: SHA-256 over the previous hash and every field of the row, each field
/// length-delimited by `sha256_hex`'s separators so no two rows hash alike by shifting text
/// between fields. Times are written to the microsecond in UTC, as both databases keep them.
pub fn seal_hash(prev: &str, row: &audit::SealedFields) -> String {
    let actor = row.actor_account_id.map(|a| a.to_string()).unwrap_or_default();
    let at = row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\u{0}null".to_owned());
    crate::secrets::sha256_hex(&[
        prev,
        &row.id.to_string(),
        &at,
        &actor,
        &row.action,
        &opt(&row.subject),
        &opt(&row.detail),
        &opt(&row.client_ip),
        &opt(&row.area_code),
    ])
}

/// Seals every audit row not sealed yet, in id order, continuing the chain; returns how many.
/// Two servers sealing at once: one transaction fails on the chain's `seq` and the rows are
/// sealed on the next round.
pub async fn seal(db: &crate::store::Db, now: DateTime<Utc>) -> Result<u64, AppError> {
    let mut sealed = 0;
    loop {
        let rows = audit::unsealed(db, SEAL_BATCH).await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        let (mut seq, mut prev) = audit::last_seal(db).await?.unwrap_or((0, GENESIS.to_owned()));
        let mut seals = Vec::with_capacity(rows.len());
        for row in &rows {
            seq += 1;
            let hash = seal_hash(&prev, row);
            seals.push((seq, row.id, std::mem::replace(&mut prev, hash.clone()), hash));
        }
        audit::insert_seals(db, &seals, now).await?;
        sealed += seals.len() as u64;
    }
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Seals checked, all good up to `broken_at`.
    pub verified: u64,
    /// The first seal whose row or link does not match, with why.
    pub broken_at: Option<(i64, String)>,
}

/// Seals what is pending, then walks the whole chain: every seal must follow the one before
/// it (no gap, the previous hash carried) and match its row as it is now.
pub async fn verify_chain(db: &crate::store::Db, now: DateTime<Utc>) -> Result<ChainReport, AppError> {
    seal(db, now).await?;
    let (mut after, mut prev, mut verified) = (0i64, GENESIS.to_owned(), 0u64);
    loop {
        let page = audit::seals_after(db, after, SEAL_BATCH).await?;
        if page.is_empty() {
            return Ok(ChainReport {
                verified,
                broken_at: None,
            });
        }
        for (seq, prev_hash, hash, row) in page {
            let problem = if seq != after + 1 {
                Some(format!("seal {} is missing", after + 1))
            } else if prev_hash != prev {
                Some("its link to the previous seal does not match".to_owned())
            } else if seal_hash(&prev, &row) != hash {
                Some(format!("audit row {} was changed after it was sealed", row.id))
            } else {
                None
            };
            if let Some(p) = problem {
                return Ok(ChainReport {
                    verified,
                    broken_at: Some((seq, p)),
                });
            }
            (after, prev, verified) = (seq, hash, verified + 1);
        }
    }
}
