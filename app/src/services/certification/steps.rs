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
use crate::store::with_pool;

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
    let action = parse_action("action", &req.action)?;
    let comment = parse_comment(
        "comment",
        req.comment.as_deref(),
        matches!(action, "return" | "reject" | "revoke"),
    )?;
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
    let action = parse_action("action", &req.action)?;
    let comment = parse_comment(
        "comment",
        req.comment.as_deref(),
        matches!(action, "return" | "reject" | "revoke"),
    )?;
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

/// A price change a flag causes for one enrolment, worked out before the transaction.
pub(super) struct Repricing {
    pub(super) enrolment_id: i64,
    pub(super) order_id: Option<i64>,
    pub(super) paid: bool,
    pub(super) request_json: String,
    pub(super) quote_json: String,
    pub(super) amounts: crate::services::enrolment::QuotedAmounts,
    /// Positive: a refund of this much; negative: a top-up.
    pub(super) refund_fen: i64,
    pub(super) start: Option<NaiveDate>,
    pub(super) end: Option<NaiveDate>,
    pub(super) start_rule: Option<&'static str>,
}

/// What flagging `cert` on `today` does to the person's enrolment for the pack's year.
pub(super) async fn reprice(state: &AppState, cert: &CertRow, today: NaiveDate) -> Result<Option<Repricing>, AppError> {
    let Some(pack) = cert.policy_id.as_deref().and_then(|p| state.policies.get(p)) else {
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
    let changed = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(
            "UPDATE certifications SET status = $1, updated_at = $2, effective_on = COALESCE($3, effective_on),
                valid_until = COALESCE($4, valid_until)
             WHERE id = $5 AND status = $6")
            .bind(to).bind(now).bind(effective_on).bind(valid_until).bind(cert.id).bind(&cert.status)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            tx.rollback().await?;
            Ok::<bool, sqlx::Error>(false)
        } else {
            sqlx::query("INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(cert.id).bind(action).bind(&cert.status).bind(to).bind(actor_id).bind(comment).bind(now)
                .execute(&mut *tx).await?;
            if let Some(r) = &plan {
                sqlx::query(
                    "UPDATE enrolments SET applied_category = $1, standard_fen = $2, subsidy_fen = $3, surcharge_fen = $4,
                        add_ons_fen = $5, due_fen = $6, quote_request = $7,
                        quote_json = $8
                     WHERE id = $9")
                    .bind(&r.amounts.applied_category).bind(r.amounts.standard_fen).bind(r.amounts.subsidy_fen)
                    .bind(r.amounts.surcharge_fen).bind(r.amounts.add_ons_fen).bind(r.amounts.due_fen).bind(&r.request_json).bind(&r.quote_json).bind(r.enrolment_id)
                    .execute(&mut *tx).await?;
                if r.paid && r.refund_fen != 0 {
                    let kind = if r.refund_fen > 0 { "refund" } else { "top_up" };
                    sqlx::query(
                        "INSERT INTO contribution_adjustments (enrolment_id, person_id, certification_id, kind, amount_fen, status, created_at)
                         VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
                        .bind(r.enrolment_id).bind(cert.person_id).bind(cert.id).bind(kind).bind(r.refund_fen.abs()).bind(now)
                        .execute(&mut *tx).await?;
                }
                if !r.paid {
                    // The open order was for the old amount: cancel it so the next one is right.
                    if let Some(o) = r.order_id {
                        sqlx::query("UPDATE payment_orders SET status = 'cancelled', closed_at = $1 WHERE id = $2 AND status = 'pending'")
                            .bind(now).bind(o).execute(&mut *tx).await?;
                    }
                    if r.amounts.due_fen == 0 {
                        sqlx::query(
                            "UPDATE enrolments SET status = 'paid', paid_on = $1, benefit_start = $2, benefit_end = $3,
                                start_rule = $4, order_id = NULL WHERE id = $5 AND status = 'unpaid'")
                            .bind(today).bind(r.start).bind(r.end).bind(r.start_rule).bind(r.enrolment_id)
                            .execute(&mut *tx).await?;
                    }
                }
            }
            sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(now).bind(actor_id).bind(format!("certification_{action}")).bind(&subject).bind(&detail)
                .bind(client_ip).bind(&cert.area_code).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<bool, sqlx::Error>(true)
        }
    })?;
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
