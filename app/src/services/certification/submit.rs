//! A staff member (or a resident for themself) asking for a category to be certified.

use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::{CertificationView, Role};
use crate::services::access::Actor;
use crate::services::certification::store::{self as store};
use crate::services::enrolment::store as enrol_store;
use crate::services::AppState;

#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    req: &CertifyRequest,
    client_ip: &str,
) -> Result<CertificationView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    if actor.role == Role::DepartmentOfficer {
        return Err(AppError::forbidden(
            "role_cannot_submit",
            "部门经办人员请通过动态调整名单报送人员",
            "Department officers send people through the adjustment lists",
        ));
    }
    let id = domain::IdNumber::parse(&req.id_number)
        .map_err(|e| field_err("id_number", e.code(), e.to_string(), e.message_en()))?;
    let category = parse_category("category", &req.category)?;
    let comment = parse_comment("comment", req.comment.as_deref(), false)?;
    let db = &state.db;
    let person = enrol_store::person_by_id_number(db, id.as_str()).await?;
    // Unknown and out of scope answer alike (the out-of-scope answer below): whether a
    // number exists is not told to someone who may not see the person.
    let found = match person {
        Some(p) => {
            let area = crate::services::pricing::person_area(state, &p).await?;
            let in_scope = match actor.role {
                Role::Resident => viewer.household.is_some() && p.household_id == viewer.household,
                _ => viewer.in_area(Some(&area)),
            };
            in_scope.then_some((p, area))
        }
        None => None,
    };
    let Some((person, area)) = found else {
        // Residents are not told whether someone outside their household exists.
        return Err(if actor.role == Role::Resident {
            AppError::NotFound(UserMessage::new(
                "not_in_household",
                Some("id_number"),
                "本户家庭成员中没有此身份证号码，只能为本户家庭成员申请认定",
                "No member of your household has this ID number; you can only apply for your own household",
            ))
        } else {
            AppError::NotFound(UserMessage::new(
                "person_not_found",
                Some("id_number"),
                "您的管辖范围内没有此身份证号码的居民，请先登记家庭成员",
                "No resident in your area has this ID number; register them in a household first",
            ))
        });
    };
    let today = state.clock.today();
    let policies = state.policies.current();
    let pack = policies.speaking_for(&area, today).ok_or_else(|| {
        field_err(
            "category",
            "no_policy_for_area",
            "该居民所在地区暂无参保政策",
            "No policy covers this resident's area",
        )
    })?;
    let department = certifying_department(pack, category).ok_or_else(|| {
        field_err(
            "category",
            "category_not_subsidised",
            format!("{}的政策不资助“{}”", pack.jurisdiction, category.name_zh()),
            format!(
                "The {} policy has no subsidy for {}",
                pack.jurisdiction_en,
                category.name_en()
            ),
        )
    })?;
    if store::open_request(db, person.id, category.code()).await?.is_some() {
        return Err(AppError::Conflict(UserMessage::new(
            "already_requested",
            Some("category"),
            format!("{}已有“{}”的认定申请或认定", person.name, category.name_zh()),
            format!(
                "{} already has a request or certification for {}",
                person.name,
                category.name_en()
            ),
        )));
    }
    let now = state.clock.now();
    let masked = id.masked();
    let request = store::NewRequest {
        person_id: person.id,
        category: category.code(),
        department: &department,
        policy_id: &pack.id,
        area: &area,
        actor_id: actor.account.id,
        actor_role: actor.role.code(),
        comment: comment.as_deref(),
        now,
        at: state.clock.business_now(),
        subject_masked: &masked,
        client_ip,
    };
    let cert_id = store::insert_request(db, &request).await?;
    view(state, actor, cert_id).await
}

// ---------------------------------------------------------------------------------------
// Reading
