//! The coverage page (我的参保) and staff search: one view composed from households,
//! enrolments, certifications, adjustments and payment exceptions. It lives above those
//! features so that none of them needs to know about the others.

use domain::policy::quote;
use domain::Money;

use super::access::{forbidden_area, mask_id, Actor};
use super::AppState;
use crate::error::AppError;
use crate::model::Role;
use crate::services::enrolment::store::{self as store};

use super::enrolment::*;

// ---------------------------------------------------------------------------------------
// The coverage page (我的参保) and staff search

/// What the coverage page shows for the actor's household (a resident's own, or
/// `household` for staff).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn coverage_page(
    state: &AppState,
    actor: &Actor,
    household: Option<i64>,
) -> Result<crate::model::CoveragePage, AppError> {
    use crate::model::{CoveragePage, MemberLine, PackBrief, ReceiptBrief};
    let staff = actor.role != Role::Resident;
    let h = match (staff, household) {
        (true, Some(id)) => Some(household_for(state, actor, id).await?),
        (true, None) => {
            return Err(field_err(
                "household",
                "household_required",
                "请先查找并选择一个家庭户",
                "Find and choose a household first",
            ))
        }
        (false, _) => own_household(state, actor).await?,
    };
    let Some(h) = h else {
        return Ok(CoveragePage {
            registered: false,
            household_id: None,
            area_path: Vec::new(),
            area_path_en: Vec::new(),
            policy: None,
            policy_problem: None,
            policy_problem_en: None,
            members: Vec::new(),
            hospitals: Vec::new(),
            unpaid_total: Money::ZERO,
            open_order: None,
            receipts: Vec::new(),
            payment_exceptions: Vec::new(),
            staff,
            pay_link: None,
            pay_qr_svg: None,
            pack: None,
        });
    };
    let db = &state.db;
    let today = state.clock.today();
    store::expire_orders(db, state.clock.now()).await?;
    let path = crate::store::areas::path(db, &h.area_code).await?;
    let area_path_en = path.iter().map(|a| a.name_en.clone()).collect();
    let area_path = path.into_iter().map(|a| a.name).collect();
    let policies = state.policies.current();
    let (pack, problem) = match policies.for_enrolment(&h.area_code, None, today) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let people = store::members(db, h.id).await?;
    let enrolments = store::enrolments_of_household(db, h.id).await?;
    let mut members = Vec::with_capacity(people.len());
    let mut unpaid_total = 0i64;
    let mut open_order = None;
    for p in &people {
        let current = enrolments
            .iter()
            .find(|e| e.person_id == p.id && pack.is_none_or(|k| e.insurance_year == k.insurance_year))
            .cloned();
        let enrolment = match current {
            Some(row) => {
                if row.status == "unpaid" {
                    unpaid_total += row.due_fen;
                    if open_order.is_none() {
                        if let Some(o) = row.order_id {
                            open_order = store::order(db, o)
                                .await?
                                .filter(|o| o.status == "pending")
                                .map(order_view);
                        }
                    }
                }
                Some(enrolment_view(state, row, today).await?)
            }
            None => None,
        };
        let (preview, preview_request) = match (&enrolment, pack) {
            (None, Some(pack)) => {
                // The first tier in the pack: what the enrolment form's tier list starts on;
                // none for students and children whose tier the notice fixes.
                let tier = (pack.tiers.len() > 1 && pack.fixed_tier_rule(p.birth_date, p.student).is_none())
                    .then(|| pack.tiers[0].code.code().to_owned());
                let mut req = quote_request(state, pack, p, p.student, tier, Vec::new(), today).await?;
                let preview = quote(pack, &req).ok();
                req.person.id_number = None;
                req.person.birth_date = Some(p.birth_date.to_string());
                (preview, Some(req))
            }
            _ => (None, None),
        };
        // Staff see which members still need their phone confirmed in person; residents
        // never see another member's phone.
        let (phone_masked, phone_confirmable) = if staff {
            let linked = crate::services::auth::store::by_person(db, p.id).await?.is_some();
            (p.phone.as_deref().map(crate::model::mask_phone), !linked)
        } else {
            (None, false)
        };
        members.push(MemberLine {
            member: member_view(p),
            enrolment,
            preview,
            preview_request,
            phone_masked,
            phone_confirmable,
        });
    }
    let hospitals = match pack {
        Some(p) => state
            .reference
            .hospitals_under(db, &p.area_codes)
            .await?
            .into_iter()
            .map(to_view_hospital)
            .collect(),
        None => Vec::new(),
    };
    let receipts = store::payments_of_household(db, h.id)
        .await?
        .into_iter()
        .map(|p| ReceiptBrief {
            receipt_no: p.receipt_no,
            amount: Money::from_fen(p.amount_fen),
            paid_at: p.paid_at,
            channel: p.channel,
        })
        .collect();
    let (problem_zh, problem_en) = match &problem {
        Some(e) => (
            Some(e.message(crate::i18n::Lang::Zh)),
            Some(e.message(crate::i18n::Lang::En)),
        ),
        None => (None, None),
    };
    // Only when someone can enrol: the form re-quotes with it in the browser.
    let live_pack = pack
        .filter(|_| members.iter().any(|m| m.preview_request.is_some()))
        .cloned();
    let payment_exceptions = crate::services::payments::exceptions::of_household(state, h.id).await?;
    Ok(CoveragePage {
        registered: true,
        payment_exceptions,
        household_id: Some(h.id),
        area_path,
        area_path_en,
        policy: pack.map(|p| PackBrief {
            id: p.id.clone(),
            jurisdiction: p.jurisdiction.clone(),
            jurisdiction_en: p.jurisdiction_en.clone(),
            insurance_year: p.insurance_year,
            tiers: p
                .tiers
                .iter()
                .map(|t| {
                    (
                        t.code.code().to_owned(),
                        t.name_zh.clone(),
                        t.name_en.clone(),
                        t.personal.as_ref().map(|c| c.value),
                    )
                })
                .collect(),
            max_hospitals: p.max_hospital_choices(),
            add_ons: p
                .add_ons
                .iter()
                .map(|a| (a.code.clone(), a.name_zh.clone(), a.name_en.clone(), a.amount.value))
                .collect(),
            deadline: p.payment_deadline(today),
        }),
        policy_problem: problem_zh,
        policy_problem_en: problem_en,
        members,
        hospitals,
        unpaid_total: Money::from_fen(unpaid_total),
        open_order,
        receipts,
        staff,
        pay_link: None,
        pay_qr_svg: None,
        pack: live_pack,
    })
}

/// Staff search within their area: an exact ID number or part of a name.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn search(state: &AppState, actor: &Actor, query: &str) -> Result<Vec<crate::model::PersonHit>, AppError> {
    if !actor.enrols_for_others() {
        return Err(forbidden_area());
    }
    let q = query.trim();
    if q.chars().count() < 1 {
        return Ok(Vec::new());
    }
    let scope = actor.staff_scope()?.to_owned();
    let mut hits = Vec::new();
    for p in store::search_people(&state.db, &scope, q, 50).await? {
        let area = match p.household_id {
            Some(h) => store::household(&state.db, h).await?.map(|h| h.area_code),
            None => p.area_code.clone(),
        };
        hits.push(crate::model::PersonHit {
            name: p.name.clone(),
            id_number_masked: mask_id(&p.id_number),
            household_id: p.household_id,
            area_code: area,
        });
    }
    Ok(hits)
}
