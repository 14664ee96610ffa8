//! The workbench's to-do counts: what waits for the signed-in staff member. Each is counted
//! with the use case of the page it links to, so it has that page's role and area checks
//! and cannot count what the page would not show.

use crate::error::AppError;
use crate::model::{Role, TodoItem};
use crate::services::access::Actor;
use crate::services::AppState;

/// The to-dos of the actor's role (a resident has no workbench: refused).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn todo(state: &AppState, actor: &Actor) -> Result<Vec<TodoItem>, AppError> {
    let role = actor.role;
    if !role.is_staff() {
        return Err(AppError::forbidden(
            "staff_only",
            "只有工作人员有工作台",
            "Only staff have a workbench",
        ));
    }
    let mut out = Vec::new();
    if matches!(
        role,
        Role::TownshipOfficer | Role::DepartmentOfficer | Role::BureauOfficer
    ) {
        // The queue a role works on by default, counting the requests it may move on.
        let queue = crate::services::certification::queue(state, actor, &Default::default()).await?;
        let n = queue.iter().filter(|c| !c.actions.is_empty()).count();
        let more = queue.len() >= crate::services::certification::QUEUE_LIMIT;
        out.push(item("certifications", n, more, "/certifications"));
    }
    if matches!(role, Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer) {
        let page = crate::services::ledger::ledger(state, actor, &Default::default()).await?;
        let more = page.len() as i64 >= crate::services::ledger::PAGE;
        let unpaid = page.iter().filter(|e| e.unpaid_enrolment).count();
        let uncontacted = page
            .iter()
            .filter(|e| !e.unpaid_enrolment && e.reason == "not_contacted")
            .count();
        out.push(item("ledger_unpaid", unpaid, more, "/ledger"));
        out.push(item(
            "ledger_not_contacted",
            uncontacted,
            more,
            "/ledger?reason=not_contacted",
        ));
    }
    if matches!(role, Role::DepartmentOfficer | Role::BureauOfficer) {
        let review = crate::services::lists::review_queue(state, actor, None, false).await?;
        out.push(item("list_review", review.len(), false, "/lists/review"));
    }
    if role == Role::BureauOfficer {
        let open = crate::services::payments::exceptions::list(state, actor, false).await?;
        let n = open.iter().filter(|x| x.status == "open").count();
        out.push(item("payment_exceptions", n, false, "/payment-exceptions"));
        let adjustments = crate::services::payments::exceptions::pending_adjustments(state, actor).await?;
        out.push(item("adjustments", adjustments.len(), false, "/payment-exceptions"));
        let drafts = crate::services::policies::drafts::awaiting(state, actor).await?;
        out.push(item("policy_drafts", drafts, false, "/policies/drafts"));
    }
    Ok(out)
}

fn item(kind: &str, count: usize, more: bool, href: &str) -> TodoItem {
    TodoItem {
        kind: kind.to_owned(),
        count: count as i64,
        more,
        href: href.to_owned(),
    }
}
