//! Reading certifications: one with its history and documents, and the queue.

use chrono::Duration;
use domain::policy::Category;

use super::*;
use crate::error::AppError;
use crate::model::{CertificationEventView, CertificationSummary, CertificationView, Role, CERT_STATUSES};
use crate::services::access::{mask_id, Actor};
use crate::services::certification::store::{self as store, CertRow, QueueFilter};
use crate::services::AppState;

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn view(state: &AppState, actor: &Actor, id: i64) -> Result<CertificationView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    detail(state, &viewer, cert).await
}

pub(super) async fn detail(
    state: &AppState,
    viewer: &Viewer<'_>,
    cert: CertRow,
) -> Result<CertificationView, AppError> {
    let db = &state.db;
    let events = store::events(db, cert.id)
        .await?
        .into_iter()
        .map(|e| CertificationEventView {
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            actor: e.actor_name,
            comment: e.comment,
            at: e.at,
        })
        .collect();
    let document_list = store::documents(db, cert.id)
        .await?
        .into_iter()
        .map(document_view)
        .collect();
    let adjustments = store::adjustments_of_certification(db, cert.id)
        .await?
        .into_iter()
        .map(crate::services::enrolment::adjustment_view)
        .collect();
    let submitter_role = cert.submitter_role.clone();
    Ok(CertificationView {
        summary: summary(state, viewer, cert),
        submitter_role,
        events,
        document_list,
        adjustments,
    })
}

pub(super) fn summary(state: &AppState, viewer: &Viewer<'_>, cert: CertRow) -> CertificationSummary {
    let actions = viewer.allowed(&cert);
    // On the business clock, as requests are dated (certifications from lists and the seed
    // carry the real instant: never a negative age).
    let age_days = (state.clock.business_now() - cert.created_at).num_days().max(0);
    CertificationSummary {
        id: cert.id,
        person_id: cert.person_id,
        id_number_masked: mask_id(&cert.id_number),
        name: cert.name,
        area_code: cert.area_code.unwrap_or_default(),
        category_name: Category::from_code(&cert.category)
            .map(|c| c.name_zh().to_owned())
            .unwrap_or_else(|| cert.category.clone()),
        category: cert.category,
        department: cert.department,
        status: cert.status,
        policy: cert.policy_id,
        effective_on: cert.effective_on,
        valid_until: cert.valid_until,
        created_at: cert.created_at,
        age_days,
        documents: cert.documents,
        actions,
    }
}

/// The most requests one queue answer holds.
pub const QUEUE_LIMIT: usize = 500;

/// A role's work queue (or a resident's own requests), oldest first.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn queue(state: &AppState, actor: &Actor, q: &QueueQuery) -> Result<Vec<CertificationSummary>, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let mut f = QueueFilter {
        limit: QUEUE_LIMIT as i64,
        ..QueueFilter::default()
    };
    let default_status = match actor.role {
        Role::TownshipOfficer => Some("submitted"),
        Role::DepartmentOfficer => Some("accepted"),
        Role::BureauOfficer => Some("confirmed"),
        _ => None,
    };
    match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some("all") => {}
        Some(s) if CERT_STATUSES.contains(&s) => f.statuses = vec![s.to_owned()],
        Some(s) => {
            return Err(field_err(
                "status",
                "status_unknown",
                format!("状态“{s}”无效"),
                format!("Unknown status {s:?}"),
            ))
        }
        None => f.statuses = default_status.map(|s| vec![s.to_owned()]).unwrap_or_default(),
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        f.category = Some(parse_category("category", c)?.code().to_owned());
    }
    if let Some(days) = q.older_than_days {
        if !(0..=3650).contains(&days) {
            return Err(field_err(
                "older_than_days",
                "days_invalid",
                "天数应在0到3650之间",
                "Days must be between 0 and 3650",
            ));
        }
        f.created_before = Some(state.clock.business_now() - Duration::days(days));
    }
    if actor.role == Role::Resident {
        f.household_id = viewer.household;
        f.submitted_by = Some(actor.account.id);
    } else {
        f.area_prefix = Some(crate::services::access::area_within(actor, q.area.as_deref())?);
        if actor.role == Role::DepartmentOfficer {
            f.department = actor.account.department.clone();
        }
    }
    let rows = store::queue(&state.db, &f).await?;
    Ok(rows.into_iter().map(|r| summary(state, &viewer, r)).collect())
}

// ---------------------------------------------------------------------------------------
// Steps
