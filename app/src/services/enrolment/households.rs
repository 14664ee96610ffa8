//! Households and their members: a resident registering themself, staff confirming a
//! phone, adding members, and staff opening a household for someone without a phone.

use crate::error::AppError;
use crate::model::{MemberView, Role};
use crate::services::access::{forbidden_area, mask_id, Actor};
use crate::services::audit::store as audit;
use crate::services::enrolment::store::{self as store};
use crate::services::AppState;

use super::*;

// ---------------------------------------------------------------------------------------
// Households

/// The household the actor may see: a resident's own, or one in a staff member's area.
pub async fn household_for(state: &AppState, actor: &Actor, id: i64) -> Result<store::HouseholdRow, AppError> {
    let not_found = || AppError::not_found("household_not_found", "未找到该家庭户", "No such household");
    let h = store::household(&state.db, id).await?.ok_or_else(not_found)?;
    if actor.role == Role::Resident {
        let own = own_household(state, actor).await?;
        if own.map(|o| o.id) != Some(h.id) {
            return Err(not_found());
        }
    } else if !actor.covers(&h.area_code) {
        return Err(forbidden_area());
    }
    Ok(h)
}

/// A resident's own person record and household, if registered.
pub async fn own_household(state: &AppState, actor: &Actor) -> Result<Option<store::HouseholdRow>, AppError> {
    let Some(pid) = actor.account.person_id else {
        return Ok(None);
    };
    let Some(person) = store::person(&state.db, pid).await? else {
        return Ok(None);
    };
    match person.household_id {
        Some(h) => Ok(store::household(&state.db, h).await?),
        None => Ok(None),
    }
}

/// The members of a household the actor may act for (refused as [`household_for`] refuses).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn household_members(state: &AppState, actor: &Actor, id: i64) -> Result<Vec<PersonRow>, AppError> {
    let h = household_for(state, actor, id).await?;
    Ok(store::members(&state.db, h.id).await?)
}

/// First visit: a resident gives their name, ID number and village; the person and a
/// household are created (or the existing person is linked when name and number agree).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn register_self(
    state: &AppState,
    actor: &Actor,
    name: &str,
    id_number: &str,
    village: &str,
    client_ip: &str,
) -> Result<i64, AppError> {
    if actor.role != Role::Resident {
        return Err(AppError::forbidden(
            "residents_only",
            "只有居民账户需要填写本人信息",
            "Only resident accounts register themselves",
        ));
    }
    if actor.account.person_id.is_some() {
        return Err(conflict(
            None,
            "already_registered",
            "您已填写过本人信息",
            "You have already registered",
        ));
    }
    let name = parse_name("name", Some(name))?;
    let id = parse_id("id_number", id_number)?;
    let area = village_area(state, "area_code", village).await?;
    let db = &state.db;
    let now = state.clock.now();
    let existing = store::person_by_id_number(db, id.as_str()).await?;
    if let Some(p) = &existing {
        // Name and ID number are no proof: anyone may know them. A phone account takes over a
        // person the system knows only when that person's phone on record is this account's
        // phone; otherwise a cadre confirms the person in person. One answer for every
        // refusal, so it tells nothing about the number.
        let proven = p.name == name && p.phone.is_some() && p.phone == actor.account.phone;
        if !proven || crate::services::auth::store::by_person(db, p.id).await?.is_some() {
            return Err(identity_unverified());
        }
    }
    let phone = actor.account.phone.clone();
    let masked = id.masked();
    let audit_area = existing
        .as_ref()
        .and_then(|p| p.area_code.clone())
        .unwrap_or_else(|| area.clone());
    let action = if existing.is_some() {
        "resident_linked"
    } else {
        "resident_registered"
    };
    let person = store::NewPerson {
        id_number: &id,
        name: &name,
        phone: phone.as_deref(),
        area_code: Some(&area),
        hukou_local: true,
    };
    // On record with the link it records, in the person's area; one account per person.
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action,
        subject: Some(&masked),
        detail: None,
        client_ip: Some(client_ip),
        area_code: Some(&audit_area),
    };
    let pid = store::link_account(db, &person, actor.account.id, &entry, now)
        .await?
        .ok_or_else(identity_unverified)?;
    Ok(pid)
}

/// A cadre or officer, with the resident and their ID card in front of them, records the
/// phone the resident controls. That phone on record is what lets the resident's own phone
/// account link to the person (`register_self`), so a cadre-registered elder can later use
/// their own phone without anyone being able to claim them by name and ID number.
/// Never for a person already linked to an account: a confirmation cannot move a person
/// from one account to another. Out of scope answers like unknown.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn confirm_resident_phone(
    state: &AppState,
    actor: &Actor,
    person_id: i64,
    phone: &str,
    client_ip: &str,
) -> Result<MemberView, AppError> {
    if !actor.enrols_for_others() {
        return Err(AppError::forbidden(
            "staff_only",
            "只有村（社区）协办员和经办人员可以确认居民手机号",
            "Only village helpers and officers confirm a resident's phone",
        ));
    }
    let db = &state.db;
    let not_found = || AppError::not_found("person_not_found", "未找到该人员", "No such person");
    let person = store::person(db, person_id).await?.ok_or_else(not_found)?;
    let area = person_area(state, &person).await?;
    if !actor.covers(&area) {
        return Err(not_found());
    }
    let phone = crate::services::auth::parse_phone(phone)?;
    let already_linked = || {
        conflict(
            Some("phone"),
            "already_linked",
            "此人已关联手机账户，不能再确认其他手机号",
            "This person already has a phone account; another phone cannot be confirmed",
        )
    };
    if crate::services::auth::store::by_person(db, person.id).await?.is_some() {
        return Err(already_linked());
    }
    let now = state.clock.now();
    let masked = mask_id(&person.id_number);
    let detail = crate::model::mask_phone(&phone);
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "resident_phone_confirmed",
        subject: Some(&masked),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(&area),
    };
    let changed = store::confirm_phone(db, person.id, &phone, &entry, now).await?;
    if !changed {
        return Err(already_linked());
    }
    let person = store::person(db, person.id).await?.ok_or_else(not_found)?;
    Ok(member_view(&person))
}

/// Registering as a person the system already knows, without proof of being them.
pub(super) fn identity_unverified() -> AppError {
    conflict(
        Some("id_number"),
        "identity_unverified",
        "无法核实您的身份：请核对姓名与身份证号码，或携带身份证到村（社区）协办员处办理",
        "We cannot verify that this is you: check the name and ID number, or bring your ID card \
         to your village helper",
    )
}

/// A village-level area code that exists.
pub(super) async fn village_area(state: &AppState, field: &str, code: &str) -> Result<String, AppError> {
    let code = code.trim();
    match state.reference.area_level(&state.db, code).await? {
        Some(crate::model::AreaLevel::Village) => Ok(code.to_owned()),
        Some(_) => Err(field_err(
            field,
            "area_not_village",
            "请选择到村（社区）一级",
            "Choose a village or community",
        )),
        None => Err(field_err(
            field,
            "area_unknown",
            format!("行政区划代码“{code}”不存在"),
            format!("No area with code {code:?}"),
        )),
    }
}

/// Adds a member to a household. A person already in another household is refused.
// The form's fields, one argument each, mirror the server function that calls it.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
    name: &str,
    id_number: &str,
    relationship: &str,
    student: bool,
    client_ip: &str,
) -> Result<MemberView, AppError> {
    let h = household_for(state, actor, household_id).await?;
    let name = parse_name("name", Some(name))?;
    let id = parse_id("id_number", id_number)?;
    let rel = parse_relationship("relationship", Some(relationship))?.ok_or_else(|| {
        field_err(
            "relationship",
            "relationship_required",
            "请选择与户主关系",
            "Choose the relationship",
        )
    })?;
    let db = &state.db;
    let known = store::person_by_id_number(db, id.as_str()).await?;
    if let Some(p) = &known {
        if p.household_id == Some(h.id) {
            return Err(conflict(
                Some("id_number"),
                "already_member",
                format!("{}已是本户成员", p.name),
                format!("{} is already in this household", p.name),
            ));
        }
        if actor.role == Role::Resident && (p.household_id.is_some() || p.name != name) {
            // One answer for every refusal: a resident learns nothing about a stranger.
            return Err(cannot_add_person("id_number"));
        }
        if p.household_id.is_some() {
            return Err(in_other_household("id_number"));
        }
        if p.name != name {
            return Err(name_mismatch("name"));
        }
    }
    let now = state.clock.now();
    let masked = id.masked();
    // In the household's village, so its cadre sees who was added; a person the system
    // already knew (roster, department list) is marked as attached.
    let action = if known.is_some() {
        "household_member_attached"
    } else {
        "household_member_added"
    };
    let person = store::NewPerson {
        id_number: &id,
        name: &name,
        phone: None,
        area_code: Some(&h.area_code),
        hukou_local: true,
    };
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action,
        subject: Some(&masked),
        detail: None,
        client_ip: Some(client_ip),
        area_code: Some(&h.area_code),
    };
    let pid = store::attach_member(db, &person, student, (h.id, &rel), &entry, now)
        .await?
        .ok_or_else(|| {
            if actor.role == Role::Resident {
                cannot_add_person("id_number")
            } else {
                in_other_household("id_number")
            }
        })?;
    let p = store::person(db, pid)
        .await?
        .ok_or_else(|| AppError::internal("add_member", "person vanished"))?;
    Ok(member_view(&p))
}

pub(super) fn name_mismatch(field: &str) -> AppError {
    field_err(
        field,
        "name_mismatch",
        "姓名与该身份证号码登记的姓名不一致",
        "The name does not match the one registered for this ID number",
    )
}

/// A resident's refusal to add a person the system knows, whatever the reason (another
/// household, another name): the same words for all, naming no one.
pub(super) fn cannot_add_person(field: &str) -> AppError {
    conflict(
        Some(field),
        "cannot_add_person",
        "无法将此人加入本户：请核对姓名与身份证号码。如此人已在其他家庭户，请到村（社区）协办员处办理",
        "This person cannot be added: check the name and ID number. If they belong to another \
         household, please ask your village helper",
    )
}

pub(super) fn in_other_household(field: &str) -> AppError {
    conflict(
        Some(field),
        "in_other_household",
        "此人已是其他家庭户的成员，一个人只能属于一个家庭户。如需迁入，请先由原户办理移出",
        "This person already belongs to another household; a person belongs to one household only",
    )
}

/// Staff register a new household with its head (for people the system does not know).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn staff_new_household(
    state: &AppState,
    actor: &Actor,
    village: &str,
    name: &str,
    id_number: &str,
    client_ip: &str,
) -> Result<i64, AppError> {
    if !actor.enrols_for_others() {
        return Err(forbidden_area());
    }
    let name = parse_name("name", Some(name))?;
    let id = parse_id("id_number", id_number)?;
    let area = village_area(state, "area_code", village).await?;
    if !actor.covers(&area) {
        return Err(forbidden_area());
    }
    let db = &state.db;
    if let Some(p) = store::person_by_id_number(db, id.as_str()).await? {
        // A person outside the actor's area is neither named nor pointed to: the number is
        // taken (it must be unique), and that is all this answer says.
        if !actor.covers(&person_area(state, &p).await?) {
            return Err(conflict(
                Some("id_number"),
                "id_number_registered",
                "此身份证号码已在系统中登记，不能新建家庭户；请由其所在村（社区）办理",
                "This ID number is already registered; its own village handles this person",
            ));
        }
        return match p.household_id {
            Some(h) => Err(conflict(
                Some("id_number"),
                "already_in_household",
                format!("{}已登记在一个家庭户中，请通过查找打开该户", p.name),
                format!("{} is already in a household; open it from the search", p.name),
            ))
            .map(|_: ()| h),
            None => Err(field_err(
                "id_number",
                "person_without_household",
                "此人已在系统中但未入户，请在其家人的户中添加",
                "This person is known but in no household; add them to their family's household",
            )),
        };
    }
    let now = state.clock.now();
    let person = crate::services::enrolment::store::NewPerson {
        id_number: &id,
        name: &name,
        phone: None,
        area_code: Some(&area),
        hukou_local: true,
    };
    let masked = id.masked();
    // Committed with the household (in the staff member's own area, as before).
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "household_created",
        subject: Some(&masked),
        detail: None,
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    let h = crate::services::enrolment::store::create_with_household(db, &person, &area, &entry, now).await?;
    Ok(h)
}
