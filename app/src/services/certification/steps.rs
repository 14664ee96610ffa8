//! Moving a certification along (confirm, flag, return, reject, revoke), one or in bulk,
//! and re-pricing the person's enrolment when a flag changes what they owe.

use chrono::NaiveDate;
use domain::policy::{quote, QuoteRequest};

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::{BulkOutcome, CertificationView};
use crate::services::access::{mask_id, Actor};
use crate::services::certification::store::{self as store, CertRow};
use crate::services::enrolment::store as enrol_store;
use crate::services::AppState;

/// Checks one step without changing anything.
pub(super) fn check_step(viewer: &Viewer<'_>, cert: &CertRow, action: &str) -> Result<(), AppError> {
    viewer.check_visible(cert)?;
    if !viewer.role_may(action, cert) {
        return Err(AppError::forbidden(
            "action_not_allowed",
            "您的岗位不能执行此操作",
            "Your role cannot take this step",
        ));
    }
    if !from_statuses(action).contains(&cert.status.as_str()) {
        return Err(AppError::Conflict(UserMessage::new(
            "wrong_status",
            None,
            format!("该申请当前状态为“{}”，不能执行此操作", status_zh(&cert.status)),
            format!("The request is {}; this step is not possible now", cert.status),
        )));
    }
    Ok(())
}

pub fn status_zh(status: &str) -> &'static str {
    match status {
        "submitted" => "已提交",
        "accepted" => "乡镇已受理",
        "returned" => "已退回",
        "confirmed" => "部门已认定",
        "rejected" => "未通过",
        "flagged" => "医保已标识",
        "withdrawn" => "已撤回",
        "revoked" => "已取消",
        _ => "未知",
    }
}

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn act(
    state: &AppState,
    actor: &Actor,
    id: i64,
    req: &ActionRequest,
    client_ip: &str,
) -> Result<CertificationView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let (action, comment) = parse_step(&req.action, req.comment.as_deref())?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    check_step(&viewer, &cert, action)?;
    if req.valid_until.is_some() && action != "confirm" {
        return Err(field_err(
            "valid_until",
            "valid_until_not_here",
            "只有认定部门确认时可以设定有效期",
            "Only the certifying department sets a validity period, when confirming",
        ));
    }
    if let Some(v) = req.valid_until {
        if v < state.clock.today() {
            return Err(field_err(
                "valid_until",
                "valid_until_past",
                "有效期不能早于今天",
                "The validity period cannot end before today",
            ));
        }
    }
    apply(
        state,
        &viewer,
        &cert,
        action,
        comment.as_deref(),
        req.valid_until,
        client_ip,
    )
    .await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    detail(state, &viewer, cert).await
}

/// Bulk steps: every request is checked first; nothing changes unless all may take the
/// step and the officer confirmed the list.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn bulk(
    state: &AppState,
    actor: &Actor,
    req: &BulkRequest,
    client_ip: &str,
) -> Result<BulkOutcome, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let (action, comment) = parse_step(&req.action, req.comment.as_deref())?;
    if req.ids.is_empty() || req.ids.len() > MAX_BULK {
        return Err(field_err(
            "ids",
            "ids_count",
            format!("请选择1到{MAX_BULK}条申请"),
            format!("Choose between 1 and {MAX_BULK} requests"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut certs = Vec::with_capacity(req.ids.len());
    for (i, id) in req.ids.iter().enumerate() {
        let field = format!("ids[{i}]");
        if !seen.insert(*id) {
            continue;
        }
        // A request the caller may not see answers exactly like one that does not exist,
        // before anything (its name, masked ID) is put into a message.
        let cert = store::get(&state.db, *id)
            .await?
            .filter(|c| viewer.check_visible(c).is_ok())
            .ok_or_else(|| {
                AppError::NotFound(UserMessage::new(
                    "certification_not_found",
                    Some(&field),
                    format!("第{}条：未找到认定申请 {id}", i + 1),
                    format!("Item {}: no request {id}", i + 1),
                ))
            })?;
        check_step(&viewer, &cert, action).map_err(|e| {
            // Same status as the single step would get; the message names the item.
            let who = format!("{}（{}）", cert.name, mask_id(&cert.id_number));
            let m = UserMessage::new(
                e.code(),
                Some(&field),
                format!("第{}条 {who}：{}", i + 1, e.message(crate::i18n::Lang::Zh)),
                format!("Item {} {who}: {}", i + 1, e.message(crate::i18n::Lang::En)),
            );
            match e {
                AppError::Forbidden(_) => AppError::Forbidden(m),
                AppError::NotFound(_) => AppError::NotFound(m),
                AppError::Conflict(_) => AppError::Conflict(m),
                _ => AppError::Invalid(m),
            }
        })?;
        certs.push(cert);
    }
    if !req.confirm {
        return Ok(BulkOutcome {
            action: action.to_owned(),
            applied: false,
            items: certs.into_iter().map(|c| summary(state, &viewer, c)).collect(),
        });
    }
    let mut items = Vec::with_capacity(certs.len());
    for cert in &certs {
        apply(state, &viewer, cert, action, comment.as_deref(), None, client_ip).await?;
        if let Some(c) = store::get(&state.db, cert.id).await? {
            items.push(summary(state, &viewer, c));
        }
    }
    Ok(BulkOutcome {
        action: action.to_owned(),
        applied: true,
        items,
    })
}

/// What flagging `cert` on `today` does to the person's enrolment for the pack's year.
pub(super) async fn reprice(state: &AppState, cert: &CertRow, today: NaiveDate) -> Result<Option<Repricing>, AppError> {
    let policies = state.policies.current();
    let Some(pack) = cert.policy_id.as_deref().and_then(|p| policies.get(p)) else {
        return Ok(None);
    };
    let Some(e) = enrol_store::enrolment_for(&state.db, cert.person_id, pack.insurance_year).await? else {
        return Ok(None);
    };
    if e.status == "ended" || e.policy_id != pack.id {
        return Ok(None);
    }
    let stored: Option<QuoteRequest> = e.quote_request.as_deref().and_then(|j| serde_json::from_str(j).ok());
    let mut req = match stored {
        Some(r) => r,
        None => {
            let Some(person) = enrol_store::person(&state.db, cert.person_id).await? else {
                return Ok(None);
            };
            let add_ons = crate::services::enrolment::add_on_codes(&e.add_ons);
            crate::services::pricing::quote_request(
                state,
                pack,
                &person,
                person.student,
                e.tier.clone(),
                add_ons,
                today,
            )
            .await?
        }
    };
    if !req.person.categories.iter().any(|c| c == &cert.category) {
        req.person.categories.push(cert.category.clone());
    }
    req.person.certified_on = Some(today.to_string());
    let paid = e.status == "paid";
    req.paid_on = if paid { e.paid_on.unwrap_or(today) } else { today }.to_string();
    let Ok(q) = quote(pack, &req) else { return Ok(None) };
    // An unpriced answer re-prices nothing: the enrolment keeps the amount it was paid at.
    if !q.eligible || !q.priced {
        return Ok(None);
    }
    let amounts = crate::services::enrolment::QuotedAmounts::of(&q);
    let due = amounts.due_fen;
    Ok(Some(Repricing {
        enrolment_id: e.id,
        order_id: e.order_id,
        paid,
        request_json: serde_json::to_string(&req).unwrap_or_default(),
        quote_json: serde_json::to_string(&q).unwrap_or_default(),
        amounts,
        refund_fen: if paid { e.paid_fen - due } else { 0 },
        start: q.benefit_start,
        end: q.benefit_end,
        start_rule: q.start_rule.map(crate::services::enrolment::start_rule_code),
    }))
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn apply(
    state: &AppState,
    viewer: &Viewer<'_>,
    cert: &CertRow,
    action: &str,
    comment: Option<&str>,
    valid_until: Option<NaiveDate>,
    client_ip: &str,
) -> Result<(), AppError> {
    let db = &state.db;
    let now = state.clock.now();
    let today = state.clock.today();
    let to = to_status(action);
    let effective_on = (action == "flag").then_some(today);
    // Revocation ends the category today; the year already enrolled keeps its price.
    let valid_until = if action == "revoke" { Some(today) } else { valid_until };
    let plan = if action == "flag" {
        reprice(state, cert, today).await?
    } else {
        None
    };
    let actor_id = viewer.actor.account.id;
    let subject = format!("certification {} {}", cert.id, mask_id(&cert.id_number));
    let detail = format!("{} {} -> {to}", cert.category, cert.status);
    let step = store::Step {
        cert,
        action,
        to,
        comment,
        effective_on,
        valid_until,
        actor_id,
        now,
        at: state.clock.business_now(),
        today,
        subject: &subject,
        detail: &detail,
        client_ip,
    };
    let changed = store::apply_step(db, &step, plan.as_ref()).await?;
    if !changed {
        return Err(AppError::Conflict(UserMessage::new(
            "wrong_status",
            None,
            "该申请刚被其他人处理，请刷新后重试",
            "Someone else just handled this request; reload and try again",
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Documents

/// A step's action and its comment, which is required when the step sends the request back
/// or ends it (the applicant is told why).
fn parse_step(action: &str, comment: Option<&str>) -> Result<(&'static str, Option<String>), AppError> {
    let action = parse_action("action", action)?;
    let comment = parse_comment("comment", comment, matches!(action, "return" | "reject" | "revoke"))?;
    Ok((action, comment))
}
