//! The audit log viewed by admins (everything) and bureau officers (their area).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::enrolment::Actor;
use super::AppState;
use crate::error::AppError;
use crate::model::{AuditView, Role};
use crate::store::audit::{self, AuditFilter};

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
    let area = super::enrolment::area_within(actor, q.area.as_deref())?;
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
