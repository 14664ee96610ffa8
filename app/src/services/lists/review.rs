//! Rows left for review, their resolution, and the XLSX of every problem.

use super::store;
use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::{ImportReport, ReviewItem, Role};
use crate::services::access::Actor;
use crate::services::AppState;

/// The review queue: the rows of applied lists that were not applied (invalid, duplicated
/// in the file, in conflict), for the officers of the uploading department within their
/// area and for the bureau's officers over their whole scope. Open rows by default.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn review_queue(
    state: &AppState,
    actor: &Actor,
    outcome: Option<&str>,
    resolved: bool,
) -> Result<Vec<ReviewItem>, AppError> {
    may_import(actor)?;
    let outcome = outcome.map(str::trim).filter(|o| !o.is_empty());
    if let Some(o) = outcome {
        if !["invalid", "duplicate", "conflict"].contains(&o) {
            return Err(AppError::invalid(
                "outcome",
                "outcome_unknown",
                format!("未知的问题类型“{o}”，可选：invalid、duplicate、conflict"),
                format!("Unknown outcome {o:?}; use invalid, duplicate or conflict"),
            ));
        }
    }
    review_rows(state, actor, None, outcome, Some(resolved)).await
}

pub(super) async fn review_rows(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    outcome: Option<&str>,
    resolved: Option<bool>,
) -> Result<Vec<ReviewItem>, AppError> {
    let scope = format!("{}%", actor.staff_scope()?);
    // Department officers see their own department's lists; the bureau sees them all.
    let department = (actor.role != Role::BureauOfficer).then(|| actor.account.department.clone().unwrap_or_default());
    let rows = store::review_rows(&state.db, &scope, department.as_deref(), outcome, resolved, id).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewItem {
            id: r.0,
            import_id: r.1,
            file_name: r.2,
            department: r.3,
            line: r.4,
            id_number_masked: r.5,
            category: r.6,
            kind: r.7,
            outcome: r.8,
            message: r.9,
            resolved: r.10,
            resolution: r.11,
        })
        .collect())
}

/// Settles one row of the review queue with what the officer did about it (a note is
/// required: the queue is the record that every problem row was dealt with).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn resolve_review(
    state: &AppState,
    actor: &Actor,
    id: i64,
    resolution: &str,
    client_ip: &str,
) -> Result<ReviewItem, AppError> {
    may_import(actor)?;
    let resolution: String = resolution.trim().chars().filter(|c| !c.is_control()).collect();
    if resolution.is_empty() {
        return Err(AppError::invalid(
            "resolution",
            "resolution_required",
            "请填写处理说明（例如：已更正后重新导入）",
            "Say what was done (e.g. corrected and uploaded again)",
        ));
    }
    if resolution.chars().count() > 200 {
        return Err(AppError::invalid(
            "resolution",
            "resolution_too_long",
            "处理说明不能超过200个字",
            "The note may be at most 200 characters",
        ));
    }
    let item = review_rows(state, actor, Some(id), None, None)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("review_not_found", "未找到该待处理记录", "No such review item"))?;
    let already = || {
        AppError::Conflict(UserMessage::new(
            "already_resolved",
            None,
            "该记录已处理",
            "This item has already been resolved",
        ))
    };
    if item.resolved {
        return Err(already());
    }
    let now = state.clock.now();
    let subject = format!("import {} line {}", item.import_id, item.line);
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "adjustment_review_resolved",
        subject: Some(&subject),
        detail: Some(&resolution),
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    // Resolved once, with its audit entry in the same transaction.
    let n = store::resolve_review(&state.db, id, &resolution, actor.account.id, &entry, now).await?;
    if n == 0 {
        return Err(already());
    }
    Ok(ReviewItem {
        resolved: true,
        resolution: Some(resolution),
        ..item
    })
}

/// A list's report: the dry run again while it waits for confirmation, the stored report
/// once applied.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn show(state: &AppState, actor: &Actor, id: i64) -> Result<ImportReport, AppError> {
    let s = stored(state, actor, id).await?;
    if s.status == "applied" {
        let json = store::applied_report(&state.db, id).await?;
        return json
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| AppError::internal("adjustment report", "report missing"));
    }
    let policies = state.policies.current();
    let analysis = analyse(state, &policies, actor, parse_off_thread(s.body.clone()).await?).await?;
    Ok(report(&analysis, id, &s.file_name, false))
}

/// line, masked ID number, outcome, column, message.
pub(super) type ProblemLine = (u64, Option<String>, String, Option<String>, String);

/// Every problem row as an XLSX workbook with Chinese headers (from the review queue
/// once applied, from a fresh dry run before).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn error_report(state: &AppState, actor: &Actor, id: i64) -> Result<(String, Vec<u8>), AppError> {
    let s = stored(state, actor, id).await?;
    let rows: Vec<ProblemLine> = if s.status == "applied" {
        store::review_lines(&state.db, id)
            .await?
            .into_iter()
            .map(|(l, m, o, msg)| (l as u64, m, o, None, msg))
            .collect()
    } else {
        let policies = state.policies.current();
        let analysis = analyse(state, &policies, actor, parse_off_thread(s.body.clone()).await?).await?;
        analysis
            .rows
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Valid))
            .map(|row| {
                let p = problem_view(&analysis, row);
                (row.line, p.id_number_masked, p.outcome, p.column, p.message)
            })
            .collect()
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let xerr = |e: rust_xlsxwriter::XlsxError| AppError::internal("xlsx", e);
    for (c, h) in ["行号", "身份证号码", "问题类型", "所在列", "说明"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(xerr)?;
    }
    for (r, (line, masked, outcome, column, message)) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        let outcome = match outcome.as_str() {
            "invalid" => "无效",
            "duplicate" => "重复",
            _ => "冲突",
        };
        sheet.write_number(r, 0, line as f64).map_err(xerr)?;
        sheet.write_string(r, 1, masked.unwrap_or_default()).map_err(xerr)?;
        sheet.write_string(r, 2, outcome).map_err(xerr)?;
        sheet.write_string(r, 3, column.unwrap_or_default()).map_err(xerr)?;
        sheet.write_string(r, 4, message).map_err(xerr)?;
    }
    let bytes = book.save_to_buffer().map_err(xerr)?;
    Ok((
        format!(
            "{}-问题行.xlsx",
            s.file_name.trim_end_matches(".xlsx").trim_end_matches(".csv")
        ),
        bytes,
    ))
}
