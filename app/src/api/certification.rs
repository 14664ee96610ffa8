//! Server functions for identity certification and the audit log.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{
    AuditView, BulkOutcome, CertificationSummary, CertificationView, ImportReport, LedgerChanges, LedgerEntry,
    ReviewItem,
};

#[cfg(feature = "ssr")]
fn parse_date(field: &str, s: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => domain::dates::parse_flexible(s).map(Some).ok_or_else(|| {
            AppError::invalid(
                field,
                "date_invalid",
                format!("日期“{s}”无效，请写成2022-09-01"),
                format!("Invalid date {s:?}; write it as 2022-09-01"),
            )
        }),
    }
}

#[server]
pub async fn certification_queue(
    status: Option<String>,
    category: Option<String>,
    area: Option<String>,
    older_than_days: Option<String>,
) -> Result<Vec<CertificationSummary>, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let days = match older_than_days.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(d) => Some(d.parse::<i64>().map_err(|_| {
                AppError::invalid(
                    "older_than_days",
                    "days_invalid",
                    "天数应为整数",
                    "Days must be a whole number",
                )
            })?),
        };
        let q = crate::services::certification::QueueQuery {
            status,
            category,
            area,
            older_than_days: days,
        };
        crate::services::certification::queue(&state, &actor, &q).await
    })
    .await
}

#[server]
pub async fn certification_detail(id: i64) -> Result<CertificationView, AppError> {
    crate::api::ssr::as_actor(
        |state, actor| async move { crate::services::certification::view(&state, &actor, id).await },
    )
    .await
}

#[server]
pub async fn request_certification(
    id_number: String,
    category: String,
    #[server(default)] comment: Option<String>,
) -> Result<i64, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::services::certification::CertifyRequest {
            id_number,
            category,
            comment,
        };
        let v = crate::services::certification::submit(&state, &actor, &req, &client_ip()).await?;
        leptos_axum::redirect(&format!("/certifications/{}", v.summary.id));
        Ok(v.summary.id)
    })
    .await
}

#[server]
pub async fn certification_step(
    id: i64,
    action: String,
    #[server(default)] comment: Option<String>,
    #[server(default)] valid_until: Option<String>,
) -> Result<(), AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::services::certification::ActionRequest {
            action,
            comment,
            valid_until: parse_date("valid_until", valid_until.as_deref())?,
        };
        crate::services::certification::act(&state, &actor, id, &req, &client_ip()).await?;
        leptos_axum::redirect(&format!("/certifications/{id}"));
        Ok(())
    })
    .await
}

/// What a bulk step would touch; nothing changes.
#[server]
pub async fn bulk_preview(action: String, ids: Vec<i64>) -> Result<BulkOutcome, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::services::certification::BulkRequest {
            action,
            ids,
            comment: None,
            confirm: false,
        };
        crate::services::certification::bulk(&state, &actor, &req, &client_ip()).await
    })
    .await
}

/// The confirmed bulk step.
#[server]
pub async fn bulk_apply(
    action: String,
    #[server(default)] ids: Vec<i64>,
    #[server(default)] comment: Option<String>,
) -> Result<BulkOutcome, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::services::certification::BulkRequest {
            action,
            ids,
            comment,
            confirm: true,
        };
        let out = crate::services::certification::bulk(&state, &actor, &req, &client_ip()).await?;
        leptos_axum::redirect(&format!("/certifications?done={}", out.items.len()));
        Ok(out)
    })
    .await
}

#[server]
pub async fn audit_entries(
    action: Option<String>,
    area: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
) -> Result<Vec<AuditView>, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let q = crate::services::audit::AuditQuery {
            action,
            actor: None,
            area,
            from: parse_date("from", from.as_deref())?,
            to: parse_date("to", to.as_deref())?,
            before,
        };
        crate::services::audit::search(&state, &actor, &q).await
    })
    .await
}

#[server]
pub async fn list_report(id: i64) -> Result<ImportReport, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move { crate::services::lists::show(&state, &actor, id).await })
        .await
}

/// Applies a previewed list and shows its report.
#[server]
pub async fn apply_list(id: i64) -> Result<ImportReport, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let r = crate::services::lists::apply(&state, &actor, id, &client_ip()).await?;
        leptos_axum::redirect(&format!("/lists/{id}"));
        Ok(r)
    })
    .await
}

/// The lists' review queue (open rows unless `resolved` is "1").
#[server]
pub async fn review_queue(outcome: Option<String>, resolved: Option<String>) -> Result<Vec<ReviewItem>, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let resolved = resolved.as_deref() == Some("1");
        crate::services::lists::review_queue(&state, &actor, outcome.as_deref(), resolved).await
    })
    .await
}

/// Settles one row of the review queue.
#[server]
pub async fn resolve_review(id: i64, #[server(default)] resolution: String) -> Result<ReviewItem, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let r = crate::services::lists::resolve_review(&state, &actor, id, &resolution, &client_ip()).await?;
        leptos_axum::redirect("/lists/review");
        Ok(r)
    })
    .await
}

#[server]
pub async fn ledger_entries(reason: Option<String>, area: Option<String>) -> Result<Vec<LedgerEntry>, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let q = crate::services::ledger::LedgerQuery {
            area,
            year: None,
            reason,
        };
        crate::services::ledger::ledger(&state, &actor, &q).await
    })
    .await
}

#[server]
pub async fn ledger_month() -> Result<LedgerChanges, AppError> {
    crate::api::ssr::as_actor(|state, actor| async move {
        let month = state.clock.today().format("%Y-%m").to_string();
        crate::services::ledger::changes(&state, &actor, &month, None, None).await
    })
    .await
}

/// A cadre's one-tap follow-up visit.
#[server]
pub async fn record_visit(
    person_id: i64,
    outcome: String,
    #[server(default)] note: Option<String>,
) -> Result<LedgerEntry, AppError> {
    use crate::api::ssr::client_ip;
    crate::api::ssr::as_actor(|state, actor| async move {
        let req = crate::services::ledger::VisitRequest {
            outcome,
            note,
            visited_on: None,
            year: None,
        };
        let e = crate::services::ledger::record_visit(&state, &actor, person_id, &req, &client_ip()).await?;
        leptos_axum::redirect("/ledger");
        Ok(e)
    })
    .await
}
