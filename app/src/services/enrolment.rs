//! Households and enrolment: who may act for whom, the quote per member, and one
//! transaction that enrols a household (with its payment order, or at once when nothing
//! is owed).

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use domain::policy::{quote, PersonInput, PolicyPack, Quote, QuoteRequest};
use domain::{IdNumber, Money};
use serde::{Deserialize, Serialize};

use super::{random_token, AppState};
use crate::error::{AppError, UserMessage};
use crate::model::{CoverageStatus, EnrolmentView, HospitalView, MemberView, OrderView, Role, SubmissionView};
use crate::store::accounts::AccountRow;
use crate::store::enrolment::{self as store, EnrolmentRow, HospitalRow, PersonRow};
use crate::store::{audit, with_pool};

/// Most members one submission may hold.
pub const MAX_MEMBERS: usize = 20;
pub const RELATIONSHIPS: [&str; 8] = [
    "self",
    "spouse",
    "child",
    "parent",
    "grandchild",
    "grandparent",
    "sibling",
    "other",
];

/// One member of an enrolment submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemberRequest {
    pub id_number: String,
    /// Needed for a person the system does not know yet.
    #[serde(default)]
    pub name: Option<String>,
    /// spouse, child, parent … (for people joining the household).
    #[serde(default)]
    pub relationship: Option<String>,
    /// Student at a local school (students and children pay the low tier where the pack says so).
    #[serde(default)]
    pub student: Option<bool>,
    /// "high" or "low" where the pack has two tiers.
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub add_ons: Vec<String>,
    /// Designated medical institutions' codes (as many as the pack allows; at least one).
    #[serde(default)]
    pub hospitals: Vec<String>,
    /// Facts that can decide the price or the start date, as the quote takes them: the day
    /// employee insurance ended (someone who just left it may be covered without the wait) …
    #[serde(default)]
    pub employee_insurance_ended_on: Option<String>,
    /// … already insured elsewhere (refused where the notice excludes double enrolment) …
    #[serde(default)]
    pub insured_elsewhere: Option<bool>,
    /// … `"flexible_employment"` or `"migrant_worker"` (enrol whatever their hukou where the
    /// notice says so) …
    #[serde(default)]
    pub work: Option<String>,
    /// … and for a student, the school: `"kindergarten"`, `"primary_secondary"`,
    /// `"higher_education"`.
    #[serde(default)]
    pub school: Option<String>,
}

impl MemberRequest {
    /// The member's own answers onto the quote request built from the stored person: the
    /// real enrolment uses the same facts a quote would (and stores them with the request).
    pub fn apply_facts(&self, req: &mut QuoteRequest) {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(d) = given(&self.employee_insurance_ended_on) {
            req.person.employee_insurance_ended_on = Some(d);
        }
        if let Some(e) = self.insured_elsewhere {
            req.person.insured_elsewhere = e;
        }
        if let Some(w) = given(&self.work) {
            req.person.work = Some(w);
        }
        if let Some(s) = given(&self.school) {
            req.person.school = Some(s);
        }
    }
}

/// `POST /api/v1/enrollments` and the review screen's submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnrolRequest {
    /// The household; a resident's own is used when absent.
    #[serde(default)]
    pub household_id: Option<i64>,
    /// Village for a new household (staff registering people the system does not know).
    #[serde(default)]
    pub area_code: Option<String>,
    /// Pack id; by default the pack of the household's area whose collection window is open today.
    #[serde(default)]
    pub policy: Option<String>,
    pub members: Vec<MemberRequest>,
}

/// Who is acting, and over which area.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: AccountRow,
    pub role: Role,
}

impl Actor {
    pub fn new(account: AccountRow) -> Actor {
        let role = Role::from_code(&account.role).unwrap_or(Role::Resident);
        Actor { account, role }
    }

    /// Staff who may enrol people and collect payment within their area.
    pub fn enrols_for_others(&self) -> bool {
        matches!(
            self.role,
            Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer | Role::Admin
        )
    }

    /// The prefix of every area code in the actor's scope: "" for the country root
    /// (whose code 000000 prefixes nothing), None for residents.
    /// A city's or province's code covers its districts by prefix (370700 → 3707).
    pub fn scope(&self) -> Option<&str> {
        self.account.area_code.as_deref().map(crate::model::area_prefix)
    }

    /// The staff member's scope, or 403 for an account without an area: such an account
    /// gets nothing (it never stands for the whole country; the admin's scope is 000000).
    pub fn staff_scope(&self) -> Result<&str, AppError> {
        self.scope().ok_or_else(|| {
            AppError::forbidden(
                "no_scope",
                "您的账户没有管辖区域，请联系管理员",
                "Your account has no area; please ask an administrator",
            )
        })
    }

    /// True when the actor may see and act on a household in `area_code`.
    pub fn covers(&self, area_code: &str) -> bool {
        self.enrols_for_others() && self.scope().is_some_and(|s| area_code.starts_with(s))
    }
}

fn forbidden_area() -> AppError {
    AppError::forbidden(
        "out_of_scope",
        "该居民不在您的管辖范围内",
        "This resident is outside your area",
    )
}

fn field_err(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid(field, code, zh, en)
}

fn conflict(field: Option<&str>, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::Conflict(UserMessage::new(code, field, zh, en))
}

fn parse_id(field: &str, input: &str) -> Result<IdNumber, AppError> {
    IdNumber::parse(input).map_err(|e| field_err(field, e.code(), e.to_string(), e.message_en()))
}

fn parse_name(field: &str, input: Option<&str>) -> Result<String, AppError> {
    let name = input.unwrap_or("").trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(field_err(field, "name_required", "请填写姓名", "Please enter the name"));
    }
    if count > 30 || name.chars().any(char::is_control) {
        return Err(field_err(
            field,
            "name_invalid",
            "姓名不能超过30个字，且不能含有特殊控制字符",
            "A name has at most 30 characters and no control characters",
        ));
    }
    Ok(name.to_owned())
}

fn parse_relationship(field: &str, input: Option<&str>) -> Result<Option<String>, AppError> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(r) if RELATIONSHIPS.contains(&r) => Ok(Some(r.to_owned())),
        Some(r) => Err(field_err(
            field,
            "relationship_unknown",
            format!("与户主关系“{r}”无效"),
            format!("Unknown relationship {r:?}"),
        )),
    }
}

pub fn to_view_hospital(h: HospitalRow) -> HospitalView {
    HospitalView {
        code: h.code,
        name: h.name,
        name_en: h.name_en,
        level: h.level,
        address: h.address,
        area_code: h.area_code,
        area_name: h.area_name,
        area_name_en: h.area_name_en,
    }
}

pub fn member_view(p: &PersonRow) -> MemberView {
    MemberView {
        person_id: p.id,
        name: p.name.clone(),
        id_number_masked: mask_id(&p.id_number),
        birth_date: p.birth_date,
        relationship: p.relationship.clone(),
        student: p.student,
    }
}

/// `1411**********0021`: the stored number is valid, so the slices are in range.
pub fn mask_id(id: &str) -> String {
    IdNumber::parse(id)
        .map(|i| i.masked())
        .unwrap_or_else(|_| "******".into())
}

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

/// First visit: a resident gives their name, ID number and village; the person and a
/// household are created (or the existing person is linked when name and number agree).
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
        if !proven || crate::store::accounts::by_person(db, p.id).await?.is_some() {
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
    let pid = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO people (id_number, name, birth_date, sex, phone, area_code, hukou_local, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)
             ON CONFLICT (id_number) DO UPDATE SET id_number = people.id_number
             RETURNING id")
            .bind(id.as_str()).bind(&name).bind(id.birth_date()).bind(sex_code(&id)).bind(&phone).bind(&area)
            .bind(now).fetch_one(&mut *tx).await?;
        let hh: Option<i64> = sqlx::query_scalar("SELECT household_id FROM people WHERE id = $1")
            .bind(pid).fetch_one(&mut *tx).await?;
        if hh.is_none() {
            let h: i64 = sqlx::query_scalar(
                "INSERT INTO households (head_person_id, area_code, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(pid).bind(&area).bind(now).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE people SET household_id = $1, relationship = 'self' WHERE id = $2")
                .bind(h).bind(pid).execute(&mut *tx).await?;
        }
        // One account per person (a unique index too): a concurrent claim links nothing.
        let linked = sqlx::query(
            "UPDATE accounts SET person_id = $1, display_name = $2 WHERE id = $3
             AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.person_id = $1)")
            .bind(pid).bind(&name).bind(actor.account.id).execute(&mut *tx).await?.rows_affected();
        if linked == 1 {
            // On record with the link it records, in the person's area.
            let detail = format!("person {pid}");
            let entry = audit::AuditEntry {
                actor_account_id: Some(actor.account.id),
                action,
                subject: Some(&masked),
                detail: Some(&detail),
                client_ip: Some(client_ip),
                area_code: Some(&audit_area),
            };
            crate::store::audit::audit_in_tx!(tx, &entry, now);
            tx.commit().await?;
            Ok(Some(pid))
        } else {
            tx.rollback().await?;
            Ok::<Option<i64>, sqlx::Error>(None)
        }
    })?
    .ok_or_else(identity_unverified)?;
    Ok(pid)
}

/// A cadre or officer, with the resident and their ID card in front of them, records the
/// phone the resident controls. That phone on record is what lets the resident's own phone
/// account link to the person (`register_self`), so a cadre-registered elder can later use
/// their own phone without anyone being able to claim them by name and ID number.
/// Never for a person already linked to an account: a confirmation cannot move a person
/// from one account to another. Out of scope answers like unknown.
#[tracing::instrument(skip(state, actor, phone, client_ip), fields(actor = actor.account.id))]
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
    if crate::store::accounts::by_person(db, person.id).await?.is_some() {
        return Err(already_linked());
    }
    let now = state.clock.now();
    let masked = mask_id(&person.id_number);
    let detail = crate::model::mask_phone(&phone);
    let changed = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Re-checked in the statement: an account that links meanwhile keeps its phone.
        let n = sqlx::query(
            "UPDATE people SET phone = $1 WHERE id = $2
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.person_id = $2)")
            .bind(&phone).bind(person.id).execute(&mut *tx).await?.rows_affected();
        if n == 1 {
            let entry = audit::AuditEntry {
                actor_account_id: Some(actor.account.id),
                action: "resident_phone_confirmed",
                subject: Some(&masked),
                detail: Some(&detail),
                client_ip: Some(client_ip),
                area_code: Some(&area),
            };
            crate::store::audit::audit_in_tx!(tx, &entry, now);
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok::<bool, sqlx::Error>(n == 1)
    })?;
    if !changed {
        return Err(already_linked());
    }
    let person = store::person(db, person.id).await?.ok_or_else(not_found)?;
    Ok(member_view(&person))
}

/// Registering as a person the system already knows, without proof of being them.
fn identity_unverified() -> AppError {
    conflict(
        Some("id_number"),
        "identity_unverified",
        "无法核实您的身份：请核对姓名与身份证号码，或携带身份证到村（社区）协办员处办理",
        "We cannot verify that this is you: check the name and ID number, or bring your ID card \
         to your village helper",
    )
}

fn sex_code(id: &IdNumber) -> &'static str {
    match id.sex() {
        domain::Sex::Male => "male",
        domain::Sex::Female => "female",
    }
}

/// A village-level area code that exists.
async fn village_area(state: &AppState, field: &str, code: &str) -> Result<String, AppError> {
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
    let pid = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, created_at, student)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7)
             ON CONFLICT (id_number) DO UPDATE SET student = excluded.student
             RETURNING id")
            .bind(id.as_str()).bind(&name).bind(id.birth_date()).bind(sex_code(&id)).bind(&h.area_code)
            .bind(now).bind(student).fetch_one(&mut *tx).await?;
        let moved = sqlx::query(
            "UPDATE people SET household_id = $1, relationship = $2 WHERE id = $3 AND household_id IS NULL")
            .bind(h.id).bind(&rel).bind(pid).execute(&mut *tx).await?.rows_affected();
        if moved == 1 {
            let detail = format!("household {} person {pid}", h.id);
            let entry = audit::AuditEntry {
                actor_account_id: Some(actor.account.id),
                action,
                subject: Some(&masked),
                detail: Some(&detail),
                client_ip: Some(client_ip),
                area_code: Some(&h.area_code),
            };
            crate::store::audit::audit_in_tx!(tx, &entry, now);
            tx.commit().await?;
            Ok(Some(pid))
        } else {
            tx.rollback().await?;
            Ok::<_, sqlx::Error>(None)
        }
    })?
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

fn name_mismatch(field: &str) -> AppError {
    field_err(
        field,
        "name_mismatch",
        "姓名与该身份证号码登记的姓名不一致",
        "The name does not match the one registered for this ID number",
    )
}

/// A resident's refusal to add a person the system knows, whatever the reason (another
/// household, another name): the same words for all, naming no one.
fn cannot_add_person(field: &str) -> AppError {
    conflict(
        Some(field),
        "cannot_add_person",
        "无法将此人加入本户：请核对姓名与身份证号码。如此人已在其他家庭户，请到村（社区）协办员处办理",
        "This person cannot be added: check the name and ID number. If they belong to another \
         household, please ask your village helper",
    )
}

fn in_other_household(field: &str) -> AppError {
    conflict(
        Some(field),
        "in_other_household",
        "此人已是其他家庭户的成员，一个人只能属于一个家庭户。如需迁入，请先由原户办理移出",
        "This person already belongs to another household; a person belongs to one household only",
    )
}

// ---------------------------------------------------------------------------------------
// Quotes for household members

/// The pack for an area on a day: the one covering the area whose collection window is
/// open (or the one asked for, checked).
pub fn pack_for<'a>(
    state: &'a AppState,
    area_code: &str,
    asked: Option<&str>,
    today: NaiveDate,
) -> Result<&'a PolicyPack, AppError> {
    if let Some(id) = asked.filter(|s| !s.is_empty()) {
        let pack = super::quotes::pack(&state.policies, id)?;
        if !pack.covers_area(area_code) {
            return Err(field_err(
                "policy",
                "policy_not_for_area",
                format!("“{}”的政策不适用于本户所在地区", pack.jurisdiction),
                format!(
                    "The {} policy does not apply to this household's area",
                    pack.jurisdiction_en
                ),
            ));
        }
        if !pack.accepts_payment_on(today) {
            return Err(window_closed(pack, today));
        }
        return Ok(pack);
    }
    match current_pack(state, area_code, today) {
        Some(p) if p.accepts_payment_on(today) => Ok(p),
        Some(p) => Err(window_closed(p, today)),
        None => Err(field_err(
            "policy",
            "no_policy_for_area",
            "本户所在地区暂无可用的参保政策",
            "No policy covers this household's area yet",
        )),
    }
}

/// The pack that speaks for an area on a day: the one whose collection window is open,
/// else the latest covering the area (certifications, lists and the ledger use it too).
pub fn current_pack<'a>(state: &'a AppState, area: &str, today: NaiveDate) -> Option<&'a PolicyPack> {
    let mut covering: Vec<&PolicyPack> = state.policies.all().filter(|p| p.covers_area(area)).collect();
    if let Some(open) = covering.iter().find(|p| p.accepts_payment_on(today)) {
        return Some(open);
    }
    covering.sort_by_key(|p| p.insurance_year);
    covering.last().copied()
}

/// Where a person lives: their own area, else their household's ("" when neither is known).
pub async fn person_area(state: &AppState, person: &PersonRow) -> Result<String, AppError> {
    Ok(match (&person.area_code, person.household_id) {
        (Some(a), _) => a.clone(),
        (None, Some(h)) => store::household(&state.db, h)
            .await?
            .map(|h| h.area_code)
            .unwrap_or_default(),
        (None, None) => String::new(),
    })
}

/// The area to look at: the one asked for if inside the actor's scope (403 otherwise),
/// else the whole scope.
pub fn area_within(actor: &Actor, asked: Option<&str>) -> Result<String, AppError> {
    let scope = actor.staff_scope()?;
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) if !a.starts_with(scope) => Err(AppError::forbidden(
            "out_of_scope",
            "该地区不在您的管辖范围内",
            "This area is outside your scope",
        )),
        Some(a) => Ok(a.to_owned()),
        None => Ok(scope.to_owned()),
    }
}

fn window_closed(pack: &PolicyPack, today: NaiveDate) -> AppError {
    let (start, end) = pack.collection_window();
    field_err(
        "policy",
        "outside_collection_window",
        format!(
            "今天（{today}）不在{}{}年度的参保缴费期内（{start}至{end}）",
            pack.jurisdiction, pack.insurance_year
        ),
        format!(
            "Today ({today}) is outside the {} {} collection window ({start} to {end})",
            pack.jurisdiction_en, pack.insurance_year
        ),
    )
}

/// The engine's input for a known person, with their flagged categories and history.
pub async fn quote_request(
    state: &AppState,
    pack: &PolicyPack,
    person: &PersonRow,
    student: bool,
    tier: Option<String>,
    add_ons: Vec<String>,
    paid_on: NaiveDate,
) -> Result<QuoteRequest, AppError> {
    // Someone not yet stored (id 0) has no certifications and no history to look up.
    let (certs, years) = if person.id == 0 {
        (Vec::new(), Vec::new())
    } else {
        (
            store::flagged_categories(&state.db, person.id, paid_on).await?,
            store::paid_years(&state.db, person.id).await?,
        )
    };
    let certified_on = certs.iter().filter_map(|(_, d)| *d).max();
    Ok(QuoteRequest {
        policy: pack.id.clone(),
        person: PersonInput {
            id_number: Some(person.id_number.clone()),
            birth_date: None,
            categories: certs.into_iter().map(|(c, _)| c).collect(),
            certified_on: certified_on.map(|d| d.to_string()),
            student,
            employee_insurance_active: false,
            employee_insurance_ended_on: None,
            hukou_local: person.hukou_local,
            months_resident: person.months_resident.map(i64::from),
            insured_elsewhere: false,
            enrolled_years: years.into_iter().filter(|y| *y < pack.insurance_year).collect(),
            // Asked on the enrolment form (see `MemberRequest::apply_facts`).
            work: None,
            school: None,
        },
        tier,
        add_ons,
        paid_on: paid_on.to_string(),
    })
}

/// The engine's answer, with a quote error tied to the member's field.
pub fn run_quote(pack: &PolicyPack, req: &QuoteRequest, prefix: &str) -> Result<Quote, AppError> {
    quote(pack, req).map_err(|e| {
        let field = match e.field.as_str() {
            "tier" | "paid_on" => format!("{prefix}.{}", e.field),
            f if f.starts_with("add_ons") => format!("{prefix}.{f}"),
            // The member's own answers keep their field (the form marks that input).
            f @ ("person.employee_insurance_ended_on" | "person.work" | "person.school") => {
                format!("{prefix}.{}", f.trim_start_matches("person."))
            }
            _ => format!("{prefix}.id_number"),
        };
        AppError::invalid(&field, &e.code, e.message, e.message_en)
    })
}

// ---------------------------------------------------------------------------------------
// Submission

struct Planned {
    person: PersonRow,
    known: bool,
    relationship: Option<String>,
    joins: bool,
    request: QuoteRequest,
    quote: Quote,
    add_ons: Vec<String>,
    hospitals: Vec<String>,
}

/// Hash of the request body for the Idempotency-Key check.
pub fn request_hash(req: &EnrolRequest) -> String {
    super::sha256_hex(&[&serde_json::to_string(req).unwrap_or_default()])
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredResult {
    household_id: i64,
    enrolment_ids: Vec<i64>,
    existing: Vec<i64>,
    order_id: Option<i64>,
}

/// Enrols the members of one household for the insurance year of the open pack.
/// Validation happens first; the writes run in one transaction. A member already
/// enrolled for that year is returned as it stands (`existing`), never created twice.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    req: &EnrolRequest,
    idempotency_key: Option<&str>,
    client_ip: &str,
) -> Result<SubmissionView, AppError> {
    if !(actor.role == Role::Resident || actor.enrols_for_others()) {
        return Err(AppError::forbidden(
            "cannot_enrol",
            "您的账户不能办理参保登记",
            "Your account cannot enrol people",
        ));
    }
    let key = match idempotency_key.map(str::trim) {
        Some(k) if k.is_empty() || k.len() > 100 => {
            return Err(AppError::BadRequest(UserMessage::new(
                "idempotency_key_invalid",
                Some("Idempotency-Key"),
                "Idempotency-Key 应为1到100个字符",
                "Idempotency-Key must have 1 to 100 characters",
            )))
        }
        other => other,
    };
    let hash = request_hash(req);
    if let Some(k) = key {
        if let Some(done) = replay(state, actor, k, &hash).await? {
            return Ok(done);
        }
    }
    if req.members.is_empty() {
        return Err(field_err(
            "members",
            "members_required",
            "请至少选择一名成员",
            "Choose at least one member",
        ));
    }
    if req.members.len() > MAX_MEMBERS {
        return Err(field_err(
            "members",
            "too_many_members",
            format!("一次最多登记{MAX_MEMBERS}人"),
            format!("At most {MAX_MEMBERS} members at a time"),
        ));
    }
    let db = &state.db;
    let today = state.clock.today();
    // Microseconds, as the databases keep them: the answer is built from these values and
    // must equal the one read back on a replay.
    let now = state.clock.now().trunc_subsecs(6);

    // Who the members are (parse every ID number before touching anything).
    let mut ids = Vec::with_capacity(req.members.len());
    let mut seen = BTreeSet::new();
    for (i, m) in req.members.iter().enumerate() {
        let field = format!("members[{i}].id_number");
        let id = parse_id(&field, &m.id_number)?;
        if !seen.insert(id.as_str().to_owned()) {
            return Err(field_err(
                &field,
                "duplicate_member",
                "同一人重复填写",
                "The same person appears twice",
            ));
        }
        ids.push(id);
    }
    let mut found = Vec::with_capacity(ids.len());
    for id in &ids {
        found.push(match &state.batches.people {
            Some(reader) => reader
                .submit(super::batch::PersonLookup(id.as_str().to_owned()))
                .await
                .ok_or_else(|| AppError::internal("enrolment", "the person reader gave no answer"))??,
            None => store::person_by_id_number(db, id.as_str()).await?,
        });
    }

    // Which household.
    let household = resolve_household(state, actor, req, &found).await?;
    let (household_id, area_code) = match &household {
        HouseholdChoice::Existing(h) => (Some(h.id), h.area_code.clone()),
        HouseholdChoice::New(area) => (None, area.clone()),
    };
    let pack = pack_for(state, &area_code, req.policy.as_deref(), today)?;
    let designated = state.reference.hospitals_under(db, &pack.area_codes).await?;
    let allowed: Vec<String> = designated.iter().map(|h| h.code.clone()).collect();

    let mut planned = Vec::with_capacity(ids.len());
    for (i, (m, (id, existing))) in req.members.iter().zip(ids.iter().zip(found)).enumerate() {
        let prefix = format!("members[{i}]");
        let relationship = parse_relationship(&format!("{prefix}.relationship"), m.relationship.as_deref())?;
        let (person, known, joins) = match existing {
            Some(p) => {
                let given = m.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
                if actor.role == Role::Resident && p.household_id != household_id {
                    // A resident attaches a person the system knows only with the exact name
                    // on record, and only one in no household; every refusal reads the same,
                    // so the answer tells nothing about whom a number belongs to.
                    if p.household_id.is_some() || given != Some(p.name.as_str()) {
                        return Err(cannot_add_person(&format!("{prefix}.id_number")));
                    }
                }
                if p.household_id.is_some() && p.household_id != household_id {
                    return Err(in_other_household(&format!("{prefix}.id_number")));
                }
                if let Some(n) = given {
                    if n != p.name {
                        return Err(name_mismatch(&format!("{prefix}.name")));
                    }
                }
                let joins = p.household_id.is_none();
                (p, true, joins)
            }
            None => {
                let name = parse_name(&format!("{prefix}.name"), m.name.as_deref())?;
                let p = PersonRow {
                    id: 0,
                    id_number: id.as_str().to_owned(),
                    name,
                    birth_date: id.birth_date(),
                    sex: sex_code(id).to_owned(),
                    phone: None,
                    area_code: Some(area_code.to_string()),
                    hukou_local: true,
                    household_id,
                    relationship: None,
                    student: m.student.unwrap_or(false),
                    months_resident: None,
                };
                (p, false, true)
            }
        };
        let student = m.student.unwrap_or(person.student);
        let mut qreq = quote_request(state, pack, &person, student, m.tier.clone(), m.add_ons.clone(), today).await?;
        m.apply_facts(&mut qreq);
        let q = run_quote(pack, &qreq, &prefix)?;
        if !q.eligible {
            let why: Vec<&str> = q.ineligible_reasons.iter().map(|r| r.message.as_str()).collect();
            let why_en: Vec<&str> = q.ineligible_reasons.iter().map(|r| r.message_en.as_str()).collect();
            return Err(field_err(
                &format!("{prefix}.id_number"),
                "not_eligible",
                format!("{}不能参加城乡居民医保：{}", person.name, why.join("；")),
                format!("{} cannot enrol: {}", person.name, why_en.join("; ")),
            ));
        }
        // A figure the notice does not set is never guessed: no order, no enrolment, until
        // the amount exists (a new pack version).
        if !q.priced {
            return Err(field_err(
                &format!("{prefix}.id_number"),
                "amount_not_set",
                format!(
                    "{}的{}年度缴费金额在通知中未规定，金额公布前暂不能参保登记",
                    person.name, pack.insurance_year
                ),
                format!(
                    "The notice sets no {} contribution for {}; enrolment waits until an amount is published",
                    pack.insurance_year, person.name
                ),
            ));
        }
        let hospitals = check_hospitals(pack, &allowed, &m.hospitals, &format!("{prefix}.hospitals"))?;
        planned.push(Planned {
            person,
            known,
            relationship,
            joins,
            request: qreq,
            quote: q,
            add_ons: m.add_ons.clone(),
            hospitals,
        });
    }

    let result = write_submission(
        state,
        actor,
        &household,
        pack,
        &planned,
        key.map(|k| (k, hash.as_str())),
        (now, today),
        client_ip,
    )
    .await?;
    let (stored, fresh, order) = match result {
        Written::Done(s, fresh, order) => (s, fresh, order),
        Written::Replay => {
            let k = key.unwrap_or_default();
            return replay(state, actor, k, &hash)
                .await?
                .ok_or_else(|| AppError::internal("idempotency", "key row vanished"));
        }
    };
    if !stored.existing.is_empty() {
        // Someone was enrolled already: their enrolment is read back as it stands.
        return submission_view(state, &stored).await;
    }
    // Everything is new: the answer is what the transaction just wrote, without reading
    // it back (about six queries per member). A replay reads it back; a test compares both.
    let mut enrollments = Vec::with_capacity(fresh.len());
    let mut total = 0i64;
    for (row, m) in fresh.into_iter().zip(&planned) {
        total += owed_fen(&row);
        let mut hospitals: Vec<HospitalView> = designated
            .iter()
            .filter(|h| m.hospitals.contains(&h.code))
            .cloned()
            .map(to_view_hospital)
            .collect();
        hospitals.sort_by(|a, b| a.code.cmp(&b.code));
        let parts = ViewParts {
            name: m.person.name.clone(),
            id_number: &m.person.id_number,
            quote: Some(m.quote.clone()),
            hospitals,
            changes_used: 0,
            // Only unpaid members name the order; the view shows it only to them.
            order_no: row.order_id.and(order.as_ref()).map(|o| o.order_no.clone()),
            adjustments: Vec::new(),
        };
        enrollments.push(view_from_parts(state, row, parts, today));
    }
    Ok(submission_of(
        stored.household_id,
        enrollments,
        total,
        order.map(|o| order_view(*o)),
    ))
}

enum HouseholdChoice {
    Existing(store::HouseholdRow),
    New(String),
}

async fn resolve_household(
    state: &AppState,
    actor: &Actor,
    req: &EnrolRequest,
    found: &[Option<PersonRow>],
) -> Result<HouseholdChoice, AppError> {
    if actor.role == Role::Resident {
        let own = own_household(state, actor).await?.ok_or_else(|| {
            field_err(
                "household_id",
                "register_first",
                "请先填写本人姓名和身份证号码",
                "Please register your name and ID number first",
            )
        })?;
        if req.household_id.is_some_and(|h| h != own.id) {
            return Err(AppError::not_found(
                "household_not_found",
                "未找到该家庭户",
                "No such household",
            ));
        }
        return Ok(HouseholdChoice::Existing(own));
    }
    if let Some(h) = req.household_id {
        return Ok(HouseholdChoice::Existing(household_for(state, actor, h).await?));
    }
    let households: BTreeSet<i64> = found.iter().flatten().filter_map(|p| p.household_id).collect();
    match households.len() {
        0 => {
            let code = req.area_code.as_deref().unwrap_or("");
            if code.is_empty() {
                return Err(field_err(
                    "area_code",
                    "area_required",
                    "新建家庭户需选择所在村（社区）",
                    "Choose the village for the new household",
                ));
            }
            let area = village_area(state, "area_code", code).await?;
            if !actor.covers(&area) {
                return Err(forbidden_area());
            }
            Ok(HouseholdChoice::New(area))
        }
        1 => {
            let id = households.into_iter().next().unwrap_or_default();
            Ok(HouseholdChoice::Existing(household_for(state, actor, id).await?))
        }
        _ => Err(field_err(
            "members",
            "members_in_several_households",
            "所选成员分属不同家庭户，请按户分别登记",
            "These members belong to different households; enrol each household separately",
        )),
    }
}

fn check_hospitals(
    pack: &PolicyPack,
    allowed: &[String],
    chosen: &[String],
    field: &str,
) -> Result<Vec<String>, AppError> {
    let max = pack.max_hospital_choices() as usize;
    let mut out: Vec<String> = Vec::new();
    for c in chosen.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !allowed.iter().any(|a| a == c) {
            return Err(field_err(
                field,
                "hospital_unknown",
                format!("“{c}”不是本地的定点医疗机构"),
                format!("{c:?} is not a designated institution here"),
            ));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    if out.is_empty() {
        return Err(field_err(
            field,
            "hospital_required",
            "请选择定点医疗机构",
            "Choose a designated hospital",
        ));
    }
    if out.len() > max {
        return Err(field_err(
            field,
            "too_many_hospitals",
            format!("最多可选择{max}家定点医疗机构"),
            format!("Choose at most {max} designated institutions"),
        ));
    }
    Ok(out)
}

enum Written {
    /// What was stored, the new enrolments as written (one per member when none existed)
    /// and the payment order.
    Done(StoredResult, Vec<EnrolmentRow>, Option<Box<store::OrderRow>>),
    Replay,
}

fn conflict_retry() -> AppError {
    conflict(
        None,
        "concurrent_change",
        "信息刚被其他人修改，请刷新后重试",
        "Someone changed this just now; please reload and try again",
    )
}

/// A member's relationship to the head as stored: the first member of a new household is
/// its head ("self"); anyone else without one given is "other".
fn member_relationship(household: &HouseholdChoice, i: usize, m: &Planned) -> Option<String> {
    if matches!(household, HouseholdChoice::New(_)) && i == 0 {
        Some("self".to_owned())
    } else {
        m.relationship.clone().or(Some("other".into()))
    }
}

/// What a quote comes to in an enrolment's amount columns: fen, 0 where the engine gave
/// nothing, and the category the subsidy was applied for.
pub struct QuotedAmounts {
    pub applied_category: Option<String>,
    pub standard_fen: i64,
    pub subsidy_fen: i64,
    pub surcharge_fen: i64,
    pub add_ons_fen: i64,
    pub due_fen: i64,
}

impl QuotedAmounts {
    pub fn of(q: &Quote) -> QuotedAmounts {
        let fen = |v: Option<Money>| v.unwrap_or(Money::ZERO).to_fen();
        QuotedAmounts {
            applied_category: q.applied_category.map(|c| c.code().to_owned()),
            standard_fen: fen(q.standard_contribution),
            subsidy_fen: fen(q.subsidy),
            surcharge_fen: fen(q.late_surcharge),
            add_ons_fen: fen(q.add_ons_total),
            due_fen: fen(q.personal_due),
        }
    }
}

/// The enrolment row of a planned member as it is inserted (its id comes back from the
/// INSERT); a submission of new members answers from these rows. Someone who owes nothing
/// is paid at once; anyone else names the order.
fn planned_row(
    pack: &PolicyPack,
    m: &Planned,
    person_id: i64,
    household_id: i64,
    order_id: Option<i64>,
    actor_id: i64,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> EnrolmentRow {
    let q = &m.quote;
    let a = QuotedAmounts::of(q);
    let paid_now = a.due_fen == 0;
    EnrolmentRow {
        id: 0,
        person_id,
        household_id: Some(household_id),
        insurance_year: pack.insurance_year,
        policy_id: pack.id.clone(),
        tier: q.tier.map(|t| t.code().to_owned()),
        benefit_tier: q.benefit_tier.map(|t| t.code().to_owned()),
        add_ons: m.add_ons.join(","),
        applied_category: a.applied_category,
        standard_fen: a.standard_fen,
        subsidy_fen: a.subsidy_fen,
        surcharge_fen: a.surcharge_fen,
        add_ons_fen: a.add_ons_fen,
        due_fen: a.due_fen,
        status: if paid_now { "paid" } else { "unpaid" }.to_owned(),
        quote_json: serde_json::to_string(q).unwrap_or_default(),
        quote_request: serde_json::to_string(&m.request).ok(),
        order_id: if paid_now { None } else { order_id },
        paid_fen: 0,
        paid_on: paid_now.then_some(today),
        benefit_start: if paid_now { q.benefit_start } else { None },
        benefit_end: if paid_now { q.benefit_end } else { None },
        start_rule: if paid_now {
            q.start_rule.map(|r| start_rule_code(r).to_owned())
        } else {
            None
        },
        created_by_account_id: Some(actor_id),
        created_at: now,
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_submission(
    state: &AppState,
    actor: &Actor,
    household: &HouseholdChoice,
    pack: &PolicyPack,
    planned: &[Planned],
    idem: Option<(&str, &str)>,
    (now, today): (DateTime<Utc>, NaiveDate),
    client_ip: &str,
) -> Result<Written, AppError> {
    let db = &state.db;
    let year = pack.insurance_year;
    let actor_id = actor.account.id;
    // The order is for what the members owe; members found enrolled already come off it.
    let order = NewOrder {
        order_no: order_number(now),
        owed: planned
            .iter()
            .map(|m| m.quote.personal_due.unwrap_or(Money::ZERO).to_fen())
            .sum(),
        expires: now + Duration::minutes(state.settings.order_minutes),
    };
    if let crate::store::Db::Postgres(pool) = db {
        if planned.iter().all(|m| !m.known) {
            let w = NewPeople {
                actor,
                household,
                pack,
                planned,
                idem,
                client_ip,
            };
            return write_new_people_pg(state, pool, &w, &order, (now, today)).await;
        }
    }
    // `?` and `return` inside leave the function; dropping `tx` rolls back.
    let stored = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // The key row first: it is the transaction's first write and the concurrency guard.
        if let Some((k, h)) = idem {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, response, created_at)
                 VALUES ($1, $2, $3, '', $4) ON CONFLICT (account_id, idem_key) DO NOTHING RETURNING account_id")
                .bind(actor_id).bind(k).bind(h).bind(now).fetch_optional(&mut *tx).await?;
            if inserted.is_none() {
                tx.rollback().await?;
                return Ok(Written::Replay);
            }
        }
        let area_code = match household {
            HouseholdChoice::Existing(h) => h.area_code.as_str(),
            HouseholdChoice::New(area) => area.as_str(),
        };
        let household_id: i64 = match household {
            HouseholdChoice::Existing(h) => h.id,
            HouseholdChoice::New(area) => sqlx::query_scalar(
                "INSERT INTO households (head_person_id, area_code, created_at) VALUES (NULL, $1, $2) RETURNING id")
                .bind(area).bind(now).fetch_one(&mut *tx).await?,
        };
        // The order comes first, so that each unpaid enrolment names it as it is inserted.
        let owed = order.owed;
        let order_id: Option<i64> = if owed > 0 {
            Some(sqlx::query_scalar(INSERT_ORDER)
                .bind(&order.order_no).bind(household_id).bind(owed).bind(state.payments.name()).bind(actor_id).bind(now)
                .bind(order.expires)
                .fetch_one(&mut *tx).await?)
        } else {
            None
        };
        let mut enrolment_ids = Vec::new();
        let mut fresh = Vec::new();
        let mut existing = Vec::new();
        let mut total: i64 = 0;
        for (i, m) in planned.iter().enumerate() {
            let p = &m.person;
            let is_head = matches!(household, HouseholdChoice::New(_)) && i == 0;
            let rel = member_relationship(household, i, m);
            let person_id: i64 = if m.known {
                p.id
            } else {
                // A new person joins the household as they are inserted.
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO people (id_number, name, birth_date, sex, area_code, hukou_local, created_at, student,
                        household_id, relationship)
                     VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8, $9) ON CONFLICT (id_number) DO NOTHING RETURNING id")
                    .bind(&p.id_number).bind(&p.name).bind(p.birth_date).bind(&p.sex).bind(&p.area_code)
                    .bind(now).bind(p.student).bind(household_id).bind(&rel).fetch_optional(&mut *tx).await?;
                match id {
                    Some(id) => id,
                    None => return Err(conflict_retry()),
                }
            };
            if m.joins {
                if m.known {
                    let n = sqlx::query(
                    "UPDATE people SET household_id = $1, relationship = $2 WHERE id = $3
                     AND (household_id IS NULL OR household_id = $1)")
                    .bind(household_id).bind(&rel).bind(person_id).execute(&mut *tx).await?.rows_affected();
                    if n != 1 {
                        return Err(in_other_household(&format!("members[{i}].id_number")));
                    }
                    if p.household_id.is_none() {
                        // Attaching a person the system already knew (a roster or list entry):
                        // audited in the household's village, so its cadre sees it.
                        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                                     VALUES ($1, $2, 'household_member_attached', $3, $4, $5, $6)")
                            .bind(now).bind(actor_id).bind(mask_id(&p.id_number))
                            .bind(format!("household {household_id} person {person_id}"))
                            .bind(client_ip).bind(area_code).execute(&mut *tx).await?;
                    }
                }
                if is_head {
                    sqlx::query("UPDATE households SET head_person_id = $1 WHERE id = $2")
                        .bind(person_id).bind(household_id).execute(&mut *tx).await?;
                }
            }
            let mut row = planned_row(pack, m, person_id, household_id, order_id, actor_id, (now, today));
            let paid_now = row.due_fen == 0;
            let due = row.due_fen;
            let new_id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO enrolments (person_id, household_id, insurance_year, policy_id, tier, benefit_tier, add_ons,
                    applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status, quote_json,
                    paid_on, benefit_start, benefit_end, start_rule, created_by_account_id, created_at, quote_request,
                    order_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
                 ON CONFLICT (person_id, insurance_year) DO NOTHING RETURNING id")
                .bind(row.person_id).bind(row.household_id).bind(row.insurance_year).bind(&row.policy_id)
                .bind(&row.tier).bind(&row.benefit_tier).bind(&row.add_ons).bind(&row.applied_category)
                .bind(row.standard_fen).bind(row.subsidy_fen).bind(row.surcharge_fen).bind(row.add_ons_fen).bind(row.due_fen)
                .bind(&row.status).bind(&row.quote_json)
                .bind(row.paid_on).bind(row.benefit_start).bind(row.benefit_end).bind(&row.start_rule)
                .bind(row.created_by_account_id).bind(row.created_at).bind(&row.quote_request).bind(row.order_id)
                .fetch_optional(&mut *tx).await?;
            match new_id {
                Some(id) => {
                    let codes = m.hospitals.join(",");
                    for h in &m.hospitals {
                        sqlx::query("INSERT INTO enrolment_hospitals (enrolment_id, hospital_code) VALUES ($1, $2)")
                            .bind(id).bind(h).execute(&mut *tx).await?;
                    }
                    sqlx::query("INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
                                 VALUES ($1, $2, NULL, $3, $4)")
                        .bind(id).bind(&codes).bind(actor_id).bind(now).execute(&mut *tx).await?;
                    if !paid_now {
                        total += due;
                    }
                    enrolment_ids.push(id);
                    row.id = id;
                    fresh.push(row);
                }
                None => {
                    let id: i64 = sqlx::query_scalar("SELECT id FROM enrolments WHERE person_id = $1 AND insurance_year = $2")
                        .bind(person_id).bind(year).fetch_one(&mut *tx).await?;
                    enrolment_ids.push(id);
                    existing.push(id);
                }
            }
        }
        let order_id = match order_id {
            Some(id) if total == 0 => {
                // Everyone who owed was enrolled already: no order.
                sqlx::query("DELETE FROM payment_orders WHERE id = $1").bind(id).execute(&mut *tx).await?;
                None
            }
            Some(id) if total != owed => {
                sqlx::query("UPDATE payment_orders SET amount_fen = $1 WHERE id = $2")
                    .bind(total).bind(id).execute(&mut *tx).await?;
                Some(id)
            }
            other => other,
        };
        let written = order_id.map(|id| order.row(state, id, household_id, total, now));
        let stored = StoredResult { household_id, enrolment_ids, existing, order_id };
        // The audit entry commits with what it records.
        let summary = format!(
            "household {} year {} enrolments {:?} existing {:?}",
            stored.household_id, year, stored.enrolment_ids, stored.existing
        );
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'enrolment_submitted', $3, NULL, $4, $5)")
            .bind(now).bind(actor_id).bind(&summary).bind(client_ip).bind(area_code).execute(&mut *tx).await?;
        if let Some((k, _)) = idem {
            sqlx::query("UPDATE idempotency_keys SET response = $1 WHERE account_id = $2 AND idem_key = $3")
                .bind(serde_json::to_string(&stored).unwrap_or_default()).bind(actor_id).bind(k)
                .execute(&mut *tx).await?;
        }
        tx.commit().await?;
        (stored, fresh, written)
    });
    let (stored, fresh, written) = stored;
    Ok(Written::Done(stored, fresh, written))
}

/// The payment order a submission opens when its members owe something.
struct NewOrder {
    order_no: String,
    /// What the members owe together, in fen (the order is opened when above 0).
    owed: i64,
    expires: DateTime<Utc>,
}

impl NewOrder {
    /// The order as written, for `amount_fen` (what its new members owe).
    fn row(
        &self,
        state: &AppState,
        id: i64,
        household_id: i64,
        amount_fen: i64,
        now: DateTime<Utc>,
    ) -> Box<store::OrderRow> {
        Box::new(store::OrderRow {
            id,
            order_no: self.order_no.clone(),
            household_id: Some(household_id),
            amount_fen,
            status: "pending".to_owned(),
            provider: state.payments.name().to_owned(),
            created_at: now,
            expires_at: self.expires,
            closed_at: None,
        })
    }
}

/// A submission whose members are all new people, as [`write_new_people_pg`] takes it.
struct NewPeople<'a> {
    actor: &'a Actor,
    household: &'a HouseholdChoice,
    pack: &'a PolicyPack,
    planned: &'a [Planned],
    idem: Option<(&'a str, &'a str)>,
    client_ip: &'a str,
}

/// Everything submissions of new people write — household, order, people, enrolments,
/// hospitals, choices, audit entry and idempotency key — as one PostgreSQL statement, which
/// is its own transaction: one round trip instead of about a dozen, for one submission or a
/// batch of them (`batch.rs`; `$1`–`$14` have one element per submission, `$15`–`$39` and
/// `$42` one per member, `$40`–`$41` one per hospital chosen). The rows are those the general
/// path writes in its transaction (a test compares both answers and read-backs).
///
/// Ids of people, households and orders are drawn from their sequences first, so each
/// household names its head and each enrolment its order as they are inserted. Enrolments are
/// inserted from the people's `RETURNING` rows: a person row exists before its enrolment's
/// insert trigger reads it. Someone else storing one of these ID numbers (or a key) first
/// fails the whole statement with a unique violation.
const INSERT_NEW_PEOPLE: &str = "
WITH sub AS MATERIALIZED (
    SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::int8[], $4::text[], $5::text[], $6::int8[],
        $7::text[], $8::timestamptz[], $9::int4[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
    WITH ORDINALITY AS sub(actor, at, existing_hh, new_area, order_no, owed, provider, expires, year, policy,
        client_ip, audit_area, idem_key, idem_hash, s)
),
m AS MATERIALIZED (
    SELECT * FROM unnest($42::int8[], $15::text[], $16::text[], $17::date[], $18::text[], $19::text[], $20::bool[],
        $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::int8[], $27::int8[], $28::int8[],
        $29::int8[], $30::int8[], $31::text[], $32::text[], $33::date[], $34::date[], $35::date[], $36::text[],
        $37::text[], $38::bool[], $39::text[])
    WITH ORDINALITY AS m(s, id_number, name, birth_date, sex, area_code, student, relationship, tier, benefit_tier,
        add_ons, applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status,
        quote_json, paid_on, benefit_start, benefit_end, start_rule, quote_request, names_order, hospital_codes, i)
),
ids AS MATERIALIZED (SELECT i, s, nextval('people_id_seq') AS person_id FROM m ORDER BY i),
hh AS MATERIALIZED (
    SELECT sub.s, sub.existing_hh IS NULL AS new,
        CASE WHEN sub.existing_hh IS NULL THEN nextval('households_id_seq') ELSE sub.existing_hh END AS id
    FROM sub ORDER BY sub.s
),
oo AS MATERIALIZED (SELECT s, nextval('payment_orders_id_seq') AS id FROM sub WHERE owed > 0 ORDER BY s),
h AS (
    INSERT INTO households (id, head_person_id, area_code, created_at)
    SELECT hh.id, (SELECT ids.person_id FROM ids WHERE ids.s = hh.s ORDER BY ids.i LIMIT 1), sub.new_area, sub.at
    FROM hh JOIN sub USING (s) WHERE hh.new
),
o AS (
    INSERT INTO payment_orders (id, order_no, household_id, amount_fen, status, provider, created_by_account_id,
        created_at, expires_at)
    SELECT oo.id, sub.order_no, hh.id, sub.owed, 'pending', sub.provider, sub.actor, sub.at, sub.expires
    FROM oo JOIN sub USING (s) JOIN hh USING (s)
),
p AS (
    INSERT INTO people (id, id_number, name, birth_date, sex, area_code, report_area, hukou_local, created_at,
        student, household_id, relationship)
    SELECT ids.person_id, m.id_number, m.name, m.birth_date, m.sex, m.area_code, m.area_code, TRUE, sub.at,
        m.student, hh.id, m.relationship
    FROM m JOIN ids USING (i) JOIN sub ON sub.s = m.s JOIN hh ON hh.s = m.s
    RETURNING id
),
e AS (
    INSERT INTO enrolments (person_id, household_id, insurance_year, policy_id, tier, benefit_tier, add_ons,
        applied_category, standard_fen, subsidy_fen, surcharge_fen, add_ons_fen, due_fen, status, quote_json,
        paid_on, benefit_start, benefit_end, start_rule, created_by_account_id, created_at, quote_request, order_id)
    SELECT p.id, hh.id, sub.year, sub.policy, m.tier, m.benefit_tier, m.add_ons, m.applied_category, m.standard_fen,
        m.subsidy_fen, m.surcharge_fen, m.add_ons_fen, m.due_fen, m.status, m.quote_json, m.paid_on,
        m.benefit_start, m.benefit_end, m.start_rule, sub.actor, sub.at, m.quote_request,
        CASE WHEN m.names_order THEN oo.id END
    FROM p JOIN ids ON ids.person_id = p.id JOIN m USING (i) JOIN sub ON sub.s = m.s JOIN hh ON hh.s = m.s
        LEFT JOIN oo ON oo.s = m.s
    RETURNING id, person_id
),
ei AS MATERIALIZED (SELECT e.id, e.person_id, ids.i, ids.s FROM e JOIN ids USING (person_id)),
eh AS (
    INSERT INTO enrolment_hospitals (enrolment_id, hospital_code)
    SELECT ei.id, x.code FROM unnest($40::int8[], $41::text[]) AS x(i, code) JOIN ei USING (i)
),
hc AS (
    INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
    SELECT ei.id, m.hospital_codes, NULL, sub.actor, sub.at FROM ei JOIN m USING (i) JOIN sub ON sub.s = ei.s
),
summary AS MATERIALIZED (
    SELECT ei.s, array_agg(ei.id ORDER BY ei.i) AS enrolment_ids, array_agg(ei.person_id ORDER BY ei.i) AS person_ids
    FROM ei GROUP BY ei.s
),
a AS (
    INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
    SELECT sub.at, sub.actor, 'enrolment_submitted',
        format('household %s year %s enrolments [%s] existing []', hh.id, sub.year,
            array_to_string(summary.enrolment_ids, ', ')),
        NULL, sub.client_ip, sub.audit_area
    FROM summary JOIN sub USING (s) JOIN hh USING (s)
),
k AS (
    INSERT INTO idempotency_keys (account_id, idem_key, request_hash, response, created_at)
    SELECT sub.actor, sub.idem_key, sub.idem_hash,
        json_build_object('household_id', hh.id, 'enrolment_ids', summary.enrolment_ids, 'existing', '[]'::json,
            'order_id', oo.id)::text,
        sub.at
    FROM summary JOIN sub USING (s) JOIN hh USING (s) LEFT JOIN oo USING (s) WHERE sub.idem_key IS NOT NULL
)
SELECT summary.s, hh.id, oo.id, summary.enrolment_ids, summary.person_ids
FROM summary JOIN hh USING (s) LEFT JOIN oo USING (s) ORDER BY summary.s";

/// One submission of new people, owned so that a writer task can take it (`batch.rs`).
pub struct NewPeopleRows {
    actor_id: i64,
    now: DateTime<Utc>,
    existing_household: Option<i64>,
    new_area: Option<String>,
    order_no: String,
    owed: i64,
    provider: String,
    expires: DateTime<Utc>,
    year: i32,
    policy_id: String,
    client_ip: String,
    area_code: String,
    idem_key: Option<String>,
    idem_hash: Option<String>,
    people: Vec<PersonRow>,
    relationship: Vec<Option<String>>,
    /// As stored, ids not yet known.
    rows: Vec<EnrolmentRow>,
    hospitals: Vec<Vec<String>>,
}

/// What the statement answers for one submission.
pub struct NewPeopleAnswer {
    household_id: i64,
    order_id: Option<i64>,
    enrolment_ids: Vec<i64>,
    person_ids: Vec<i64>,
}

/// Writes `jobs` in one statement; one answer per job, in order.
async fn insert_new_people(pool: &sqlx::PgPool, jobs: &[NewPeopleRows]) -> Result<Vec<NewPeopleAnswer>, sqlx::Error> {
    fn each<'a, T>(jobs: &'a [NewPeopleRows], f: impl Fn(&'a NewPeopleRows) -> T) -> Vec<T> {
        jobs.iter().map(f).collect()
    }
    fn member<'a, T>(jobs: &'a [NewPeopleRows], f: impl Fn(&'a NewPeopleRows, usize) -> T) -> Vec<T> {
        jobs.iter()
            .flat_map(|j| (0..j.people.len()).map(move |i| (j, i)))
            .map(|(j, i)| f(j, i))
            .collect()
    }
    let row = |f: fn(&EnrolmentRow) -> Option<String>| member(jobs, |j, i| f(&j.rows[i]));
    let fen = |f: fn(&EnrolmentRow) -> i64| member(jobs, |j, i| f(&j.rows[i]));
    let date = |f: fn(&EnrolmentRow) -> Option<NaiveDate>| member(jobs, |j, i| f(&j.rows[i]));
    let (mut submission, mut hospital_member, mut hospital_code) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0i64;
    for (s, j) in jobs.iter().enumerate() {
        for codes in &j.hospitals {
            n += 1;
            submission.push(s as i64 + 1);
            for code in codes {
                hospital_member.push(n);
                hospital_code.push(code.clone());
            }
        }
    }
    let answers = sqlx::query_as::<_, (i64, i64, Option<i64>, Vec<i64>, Vec<i64>)>(INSERT_NEW_PEOPLE)
        .bind(each(jobs, |j| j.actor_id))
        .bind(each(jobs, |j| j.now))
        .bind(each(jobs, |j| j.existing_household))
        .bind(each(jobs, |j| j.new_area.as_deref()))
        .bind(each(jobs, |j| j.order_no.as_str()))
        .bind(each(jobs, |j| j.owed))
        .bind(each(jobs, |j| j.provider.as_str()))
        .bind(each(jobs, |j| j.expires))
        .bind(each(jobs, |j| j.year))
        .bind(each(jobs, |j| j.policy_id.as_str()))
        .bind(each(jobs, |j| j.client_ip.as_str()))
        .bind(each(jobs, |j| j.area_code.as_str()))
        .bind(each(jobs, |j| j.idem_key.as_deref()))
        .bind(each(jobs, |j| j.idem_hash.as_deref()))
        .bind(member(jobs, |j, i| j.people[i].id_number.as_str()))
        .bind(member(jobs, |j, i| j.people[i].name.as_str()))
        .bind(member(jobs, |j, i| j.people[i].birth_date))
        .bind(member(jobs, |j, i| j.people[i].sex.as_str()))
        .bind(member(jobs, |j, i| j.people[i].area_code.as_deref()))
        .bind(member(jobs, |j, i| j.people[i].student))
        .bind(member(jobs, |j, i| j.relationship[i].as_deref()))
        .bind(row(|r| r.tier.clone()))
        .bind(row(|r| r.benefit_tier.clone()))
        .bind(row(|r| Some(r.add_ons.clone())))
        .bind(row(|r| r.applied_category.clone()))
        .bind(fen(|r| r.standard_fen))
        .bind(fen(|r| r.subsidy_fen))
        .bind(fen(|r| r.surcharge_fen))
        .bind(fen(|r| r.add_ons_fen))
        .bind(fen(|r| r.due_fen))
        .bind(row(|r| Some(r.status.clone())))
        .bind(row(|r| Some(r.quote_json.clone())))
        .bind(date(|r| r.paid_on))
        .bind(date(|r| r.benefit_start))
        .bind(date(|r| r.benefit_end))
        .bind(row(|r| r.start_rule.clone()))
        .bind(row(|r| r.quote_request.clone()))
        // Everyone who owes something names the order (as `planned_row` decides).
        .bind(member(jobs, |j, i| j.rows[i].due_fen > 0))
        .bind(member(jobs, |j, i| j.hospitals[i].join(",")))
        .bind(hospital_member)
        .bind(hospital_code)
        .bind(submission)
        .fetch_all(pool)
        .await?;
    if answers.len() != jobs.len() || answers.iter().enumerate().any(|(i, a)| a.0 != i as i64 + 1) {
        return Err(sqlx::Error::Protocol("submission batch answered out of order".into()));
    }
    Ok(answers
        .into_iter()
        .map(
            |(_, household_id, order_id, enrolment_ids, person_ids)| NewPeopleAnswer {
                household_id,
                order_id,
                enrolment_ids,
                person_ids,
            },
        )
        .collect())
}

impl super::batch::Batched for NewPeopleRows {
    type Answer = NewPeopleAnswer;

    fn run(
        pool: &sqlx::PgPool,
        jobs: &[Self],
    ) -> impl Future<Output = Result<Vec<NewPeopleAnswer>, sqlx::Error>> + Send {
        insert_new_people(pool, jobs)
    }

    /// No person or key twice: one statement cannot write both.
    fn distinct(jobs: &[Self]) -> bool {
        let mut people = BTreeSet::new();
        let mut keys = BTreeSet::new();
        jobs.iter().all(|j| {
            j.people.iter().all(|p| people.insert(p.id_number.as_str()))
                && j.idem_key.as_deref().is_none_or(|k| keys.insert((j.actor_id, k)))
        })
    }
}

async fn write_new_people_pg(
    state: &AppState,
    pool: &sqlx::PgPool,
    w: &NewPeople<'_>,
    order: &NewOrder,
    (now, today): (DateTime<Utc>, NaiveDate),
) -> Result<Written, AppError> {
    let actor_id = w.actor.account.id;
    let (existing_household, new_area, area_code) = match w.household {
        HouseholdChoice::Existing(h) => (Some(h.id), None, h.area_code.clone()),
        HouseholdChoice::New(area) => (None, Some(area.clone()), area.clone()),
    };
    let job = NewPeopleRows {
        actor_id,
        now,
        existing_household,
        new_area,
        order_no: order.order_no.clone(),
        owed: order.owed,
        provider: state.payments.name().to_owned(),
        expires: order.expires,
        year: w.pack.insurance_year,
        policy_id: w.pack.id.clone(),
        client_ip: w.client_ip.to_owned(),
        area_code,
        idem_key: w.idem.map(|(k, _)| k.to_owned()),
        idem_hash: w.idem.map(|(_, h)| h.to_owned()),
        people: w.planned.iter().map(|m| m.person.clone()).collect(),
        relationship: (0..w.planned.len())
            .map(|i| member_relationship(w.household, i, &w.planned[i]))
            .collect(),
        // Rows as they will be stored; ids come from the statement's answer.
        rows: w
            .planned
            .iter()
            .map(|m| planned_row(w.pack, m, 0, 0, None, actor_id, (now, today)))
            .collect(),
        hospitals: w.planned.iter().map(|m| m.hospitals.clone()).collect(),
    };
    let mut rows = job.rows.clone();
    let answer = match &state.batches.new_people {
        Some(writer) => writer
            .submit(job)
            .await
            .ok_or_else(|| AppError::internal("enrolment", "the submission writer gave no answer"))?,
        None => super::batch::run_one(pool, &job).await,
    };
    let NewPeopleAnswer {
        household_id,
        order_id,
        enrolment_ids,
        person_ids,
    } = match answer {
        Ok(a) => a,
        Err(e) if crate::store::is_unique_violation(&e) => {
            // Another request stored one of these people, or this key, first.
            return match w.idem {
                Some((k, _)) if store::idempotent_response(&state.db, actor_id, k).await?.is_some() => {
                    Ok(Written::Replay)
                }
                _ => Err(conflict_retry()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    for ((row, id), person_id) in rows.iter_mut().zip(&enrolment_ids).zip(person_ids) {
        row.id = *id;
        row.person_id = person_id;
        row.household_id = Some(household_id);
        row.order_id = order_id.filter(|_| row.due_fen > 0);
    }
    let written = order_id.map(|id| order.row(state, id, household_id, order.owed, now));
    let stored = StoredResult {
        household_id,
        enrolment_ids,
        existing: Vec::new(),
        order_id,
    };
    Ok(Written::Done(stored, rows, written))
}

pub fn start_rule_code(r: domain::policy::StartRule) -> &'static str {
    use domain::policy::StartRule::*;
    match r {
        OnTime => "on_time",
        LateWaiting => "late_waiting",
        Newborn => "newborn",
        EmployeeInsuranceTransfer => "employee_insurance_transfer",
        NewlyCertified => "newly_certified",
    }
}

/// A pending payment order: number, household, amount, provider, creator, created, expires.
const INSERT_ORDER: &str = "INSERT INTO payment_orders (order_no, household_id, amount_fen, status, provider,
        created_by_account_id, created_at, expires_at)
    VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7) RETURNING id";
/// Points an unpaid enrolment at the order that will pay it.
const SET_ORDER: &str = "UPDATE enrolments SET order_id = $1 WHERE id = $2 AND status = 'unpaid'";

/// `CB20221008` + 16 random hex digits: unguessable, and unique in practice (64 bits: at a
/// million orders a day a collision, which would refuse a submission, is not expected).
pub fn order_number(now: DateTime<Utc>) -> String {
    format!(
        "CB{}{}",
        super::clock::shanghai_date(now).format("%Y%m%d"),
        random_token(8).to_uppercase()
    )
}

async fn replay(state: &AppState, actor: &Actor, key: &str, hash: &str) -> Result<Option<SubmissionView>, AppError> {
    let Some((stored_hash, response)) = store::idempotent_response(&state.db, actor.account.id, key).await? else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(conflict(
            Some("Idempotency-Key"),
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一份不同的登记请求",
            "This Idempotency-Key was used for a different request",
        ));
    }
    let stored: StoredResult =
        serde_json::from_str(&response).map_err(|e| AppError::internal("idempotency response", e))?;
    submission_view(state, &stored).await.map(Some)
}

async fn submission_view(state: &AppState, s: &StoredResult) -> Result<SubmissionView, AppError> {
    let today = state.clock.today();
    let mut enrollments = Vec::with_capacity(s.enrolment_ids.len());
    let mut total = 0i64;
    for id in &s.enrolment_ids {
        let row = store::enrolment(&state.db, *id)
            .await?
            .ok_or_else(|| AppError::internal("submission", "enrolment vanished"))?;
        total += owed_fen(&row);
        let mut v = enrolment_view(state, row, today).await?;
        v.existing = s.existing.contains(id);
        enrollments.push(v);
    }
    let order = match s.order_id {
        Some(o) => store::order(&state.db, o).await?.map(order_view),
        None => None,
    };
    Ok(submission_of(s.household_id, enrollments, total, order))
}

/// What an enrolment still owes: its due amount less what was paid, while unpaid.
fn owed_fen(row: &EnrolmentRow) -> i64 {
    if row.status == "unpaid" {
        row.due_fen - row.paid_fen
    } else {
        0
    }
}

/// A submission's answer from its members' views, whether built or read back.
fn submission_of(
    household_id: i64,
    enrollments: Vec<EnrolmentView>,
    total_fen: i64,
    order: Option<OrderView>,
) -> SubmissionView {
    let (insurance_year, policy) = enrollments
        .first()
        .map(|e| (e.insurance_year, e.policy.clone()))
        .unwrap_or_default();
    SubmissionView {
        household_id,
        insurance_year,
        policy,
        enrollments,
        total_due: Money::from_fen(total_fen),
        order,
    }
}

pub fn order_view(o: store::OrderRow) -> OrderView {
    OrderView {
        pay_url: format!("/sandbox/pay/{}", o.order_no),
        order_no: o.order_no,
        amount: Money::from_fen(o.amount_fen),
        status: o.status,
        expires_at: o.expires_at,
    }
}

/// The add-on codes stored on an enrolment (comma-separated).
pub fn add_on_codes(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Status on `today`: unpaid, waiting (paid, not yet covered), active, ended.
pub fn coverage_status(row: &EnrolmentRow, today: NaiveDate) -> CoverageStatus {
    match row.status.as_str() {
        "unpaid" => CoverageStatus::Unpaid,
        "ended" => CoverageStatus::Ended,
        _ => match (row.benefit_start, row.benefit_end) {
            (Some(s), _) if today < s => CoverageStatus::Waiting,
            (_, Some(e)) if today > e => CoverageStatus::Ended,
            _ => CoverageStatus::Active,
        },
    }
}

pub async fn enrolment_view(state: &AppState, row: EnrolmentRow, today: NaiveDate) -> Result<EnrolmentView, AppError> {
    let person = store::person(&state.db, row.person_id)
        .await?
        .ok_or_else(|| AppError::internal("enrolment view", "person vanished"))?;
    let hospitals = store::hospitals_of(&state.db, row.id)
        .await?
        .into_iter()
        .map(to_view_hospital)
        .collect();
    let status = coverage_status(&row, today);
    let changes_used = match state.policies.get(&row.policy_id) {
        Some(_) if status != CoverageStatus::Ended => store::hospital_changes(&state.db, row.id).await?,
        _ => 0,
    };
    let order_no = match (status, row.order_id) {
        (CoverageStatus::Unpaid, Some(o)) => store::order(&state.db, o)
            .await?
            .filter(|o| o.status == "pending")
            .map(|o| o.order_no),
        _ => None,
    };
    let adjustments = crate::store::certification::adjustments_of_enrolment(&state.db, row.id)
        .await?
        .into_iter()
        .map(super::certification::adjustment_view)
        .collect();
    let parts = ViewParts {
        name: person.name,
        id_number: &person.id_number,
        quote: serde_json::from_str(&row.quote_json).ok(),
        hospitals,
        changes_used,
        order_no,
        adjustments,
    };
    Ok(view_from_parts(state, row, parts, today))
}

/// What an enrolment's view needs beyond its row: loaded by `enrolment_view`, or known
/// already when the enrolment was just written.
struct ViewParts<'a> {
    name: String,
    id_number: &'a str,
    quote: Option<Quote>,
    hospitals: Vec<HospitalView>,
    /// Hospital changes made since enrolling.
    changes_used: i64,
    /// The pending order's number, for an unpaid enrolment.
    order_no: Option<String>,
    adjustments: Vec<crate::model::AdjustmentView>,
}

fn view_from_parts(state: &AppState, row: EnrolmentRow, parts: ViewParts<'_>, today: NaiveDate) -> EnrolmentView {
    let q = parts.quote;
    // The answers stored with the request the enrolment was priced on.
    let asked: Option<QuoteRequest> = row.quote_request.as_deref().and_then(|j| serde_json::from_str(j).ok());
    let person = asked.map(|r| r.person).unwrap_or_default();
    let status = coverage_status(&row, today);
    let hospital_changes_left = match state.policies.get(&row.policy_id) {
        Some(p) if status != CoverageStatus::Ended => i64::from(p.hospital_changes_per_year())
            .saturating_sub(parts.changes_used)
            .max(0) as u32,
        _ => 0,
    };
    let order_no = if status == CoverageStatus::Unpaid {
        parts.order_no
    } else {
        None
    };
    let deadline = (status == CoverageStatus::Unpaid)
        .then(|| state.policies.get(&row.policy_id).map(|p| p.payment_deadline(today)))
        .flatten();
    let (start, end, rule) = if row.status == "unpaid" {
        let q = q.as_ref();
        (
            q.and_then(|q| q.benefit_start),
            q.and_then(|q| q.benefit_end),
            q.and_then(|q| q.start_rule).map(|r| start_rule_code(r).to_owned()),
        )
    } else {
        (row.benefit_start, row.benefit_end, row.start_rule.clone())
    };
    EnrolmentView {
        id: row.id,
        person_id: row.person_id,
        name: parts.name,
        id_number_masked: mask_id(parts.id_number),
        household_id: row.household_id,
        insurance_year: row.insurance_year,
        policy: row.policy_id,
        status,
        tier: row.tier,
        benefit_tier: row.benefit_tier,
        applied_category: row.applied_category,
        add_ons: add_on_codes(&row.add_ons),
        standard_contribution: Money::from_fen(row.standard_fen),
        subsidy: Money::from_fen(row.subsidy_fen),
        late_surcharge: Money::from_fen(row.surcharge_fen),
        add_ons_total: Money::from_fen(row.add_ons_fen),
        personal_due: Money::from_fen(row.due_fen),
        paid: Money::from_fen(row.paid_fen),
        paid_on: row.paid_on,
        benefit_start: start,
        benefit_end: end,
        start_rule: rule,
        payment_deadline: deadline,
        explanation: q.as_ref().map(|q| q.explanation.clone()).unwrap_or_default(),
        explanation_en: q.as_ref().map(|q| q.explanation_en.clone()).unwrap_or_default(),
        assumptions: q.as_ref().map(|q| q.assumptions.clone()).unwrap_or_default(),
        assumptions_en: q.as_ref().map(|q| q.assumptions_en.clone()).unwrap_or_default(),
        employee_insurance_ended_on: person.employee_insurance_ended_on,
        work: person.work,
        school: person.school,
        citations: q.map(|q| q.citations).unwrap_or_default(),
        hospitals: parts.hospitals,
        hospital_changes_left,
        order_no,
        existing: false,
        adjustments: parts.adjustments,
    }
}

/// One enrolment, if the actor may see it.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> Result<EnrolmentView, AppError> {
    let not_found = || AppError::not_found("enrolment_not_found", "未找到该参保记录", "No such enrolment");
    let row = store::enrolment(&state.db, id).await?.ok_or_else(not_found)?;
    let hh = row.household_id.ok_or_else(not_found)?;
    household_for(state, actor, hh).await.map_err(|e| match e {
        AppError::Forbidden(_) if actor.role != Role::Resident => e,
        _ => not_found(),
    })?;
    enrolment_view(state, row, state.clock.today()).await
}

/// Changes an enrolment's designated hospitals during the year, as often as the pack allows
/// (`hospitals.changes_per_year`). The change is recorded with the previous choice and audited.
pub async fn change_hospitals(
    state: &AppState,
    actor: &Actor,
    enrolment_id: i64,
    chosen: &[String],
    client_ip: &str,
) -> Result<EnrolmentView, AppError> {
    let before = get(state, actor, enrolment_id).await?;
    let pack = state
        .policies
        .get(&before.policy)
        .ok_or_else(|| AppError::internal("change hospitals", "enrolment's pack is gone"))?;
    if before.status == CoverageStatus::Ended {
        return Err(conflict(
            Some("hospitals"),
            "enrolment_ended",
            "该参保记录已终止，不能再更换定点医疗机构",
            "This enrolment has ended; its hospital can no longer be changed",
        ));
    }
    let allowed: Vec<String> = state
        .reference
        .hospitals_under(&state.db, &pack.area_codes)
        .await?
        .into_iter()
        .map(|h| h.code)
        .collect();
    let mut codes = check_hospitals(pack, &allowed, chosen, "hospitals")?;
    codes.sort();
    let mut previous: Vec<String> = before.hospitals.iter().map(|h| h.code.clone()).collect();
    previous.sort();
    if codes == previous {
        return Err(field_err(
            "hospitals",
            "hospital_unchanged",
            "所选定点医疗机构与现在的相同",
            "That is already the chosen hospital",
        ));
    }
    let limit = i64::from(pack.hospital_changes_per_year());
    let limit_reached = || {
        field_err(
            "hospitals",
            "hospital_change_limit",
            format!("本年度更换定点医疗机构的次数已用完（每年可更换{limit}次）"),
            format!("This year's hospital changes are used up ({limit} a year)"),
        )
    };
    let (new_codes, old_codes) = (codes.join(","), previous.join(","));
    let now = state.clock.now();
    let actor_id = actor.account.id;
    // Audited under the household's area, so the bureau officers over it see the change.
    let household = household_for(state, actor, before.household_id.unwrap_or_default()).await?;
    let subject = format!("enrolment {enrolment_id} {}", before.id_number_masked);
    let detail = format!("{old_codes} -> {new_codes}");
    with_pool!(&state.db, pool => {
        let mut tx = pool.begin().await?;
        // Touch the enrolment first: on PostgreSQL this locks the row, so two changes at
        // once are counted one after the other (SQLite serialises writers anyway).
        sqlx::query("UPDATE enrolments SET id = id WHERE id = $1").bind(enrolment_id).execute(&mut *tx).await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM hospital_choices WHERE enrolment_id = $1 AND previous_codes IS NOT NULL")
            .bind(enrolment_id).fetch_one(&mut *tx).await?;
        if used >= limit {
            tx.rollback().await?;
            return Err(limit_reached());
        }
        sqlx::query("DELETE FROM enrolment_hospitals WHERE enrolment_id = $1")
            .bind(enrolment_id).execute(&mut *tx).await?;
        for h in &codes {
            sqlx::query("INSERT INTO enrolment_hospitals (enrolment_id, hospital_code) VALUES ($1, $2)")
                .bind(enrolment_id).bind(h).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO hospital_choices (enrolment_id, hospital_codes, previous_codes, chosen_by_account_id, chosen_at)
                     VALUES ($1, $2, $3, $4, $5)")
            .bind(enrolment_id).bind(&new_codes).bind(&old_codes).bind(actor_id).bind(now)
            .execute(&mut *tx).await?;
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'hospital_changed', $3, $4, $5, $6)")
            .bind(now).bind(actor_id).bind(&subject).bind(&detail).bind(client_ip).bind(&household.area_code)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    })?;
    get(state, actor, enrolment_id).await
}

/// Everything a household's coverage page shows.
pub async fn household_enrolments(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
) -> Result<(Vec<MemberView>, Vec<EnrolmentView>), AppError> {
    let h = household_for(state, actor, household_id).await?;
    let members = store::members(&state.db, h.id).await?.iter().map(member_view).collect();
    let today = state.clock.today();
    let mut out = Vec::new();
    for row in store::enrolments_of_household(&state.db, h.id).await? {
        out.push(enrolment_view(state, row, today).await?);
    }
    Ok((members, out))
}

/// Opens a new payment order for a household's unpaid enrolments (after the previous
/// order expired or was cancelled). Returns the pending order if one is still open.
pub async fn open_order(
    state: &AppState,
    actor: &Actor,
    household_id: i64,
    client_ip: &str,
) -> Result<OrderView, AppError> {
    let h = household_for(state, actor, household_id).await?;
    let db = &state.db;
    let now = state.clock.now();
    store::expire_orders(db, now).await?;
    let unpaid: Vec<EnrolmentRow> = store::enrolments_of_household(db, h.id)
        .await?
        .into_iter()
        .filter(|e| e.status == "unpaid")
        .collect();
    if unpaid.is_empty() {
        return Err(conflict(
            None,
            "nothing_to_pay",
            "本户没有待缴费的参保登记",
            "Nothing is waiting for payment",
        ));
    }
    for e in &unpaid {
        if let Some(o) = e.order_id {
            if let Some(o) = store::order(db, o).await?.filter(|o| o.status == "pending") {
                return Ok(order_view(o));
            }
        }
    }
    let total: i64 = unpaid.iter().map(|e| e.due_fen).sum();
    if total <= 0 {
        // Nothing to collect (an order must be for a positive amount); found by the API fuzzer
        // as a 500 from the CHECK constraint.
        return Err(conflict(
            None,
            "nothing_to_pay",
            "本户没有需要缴费的金额",
            "Nothing is owed",
        ));
    }
    let order_no = order_number(now);
    let expires = now + Duration::minutes(state.settings.order_minutes);
    // In the household's area, committed with the order it records.
    let entry = audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "payment_order_opened",
        subject: Some(&order_no),
        detail: None,
        client_ip: Some(client_ip),
        area_code: Some(&h.area_code),
    };
    let id = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            INSERT_ORDER)
            .bind(&order_no).bind(h.id).bind(total).bind(state.payments.name()).bind(actor.account.id).bind(now).bind(expires)
            .fetch_one(&mut *tx).await?;
        for e in &unpaid {
            sqlx::query(SET_ORDER).bind(id).bind(e.id).execute(&mut *tx).await?;
        }
        crate::store::audit::audit_in_tx!(tx, &entry, now);
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    store::order(db, id)
        .await?
        .map(order_view)
        .ok_or_else(|| AppError::internal("order", "order vanished"))
}

// ---------------------------------------------------------------------------------------
// The coverage page (我的参保) and staff search

/// What the coverage page shows for the actor's household (a resident's own, or
/// `household` for staff).
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
    let area_path = crate::store::areas::path(db, &h.area_code)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    let (pack, problem) = match pack_for(state, &h.area_code, None, today) {
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
            let linked = crate::store::accounts::by_person(db, p.id).await?.is_some();
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
    let payment_exceptions = super::payment_exceptions::of_household(state, h.id).await?;
    Ok(CoveragePage {
        registered: true,
        payment_exceptions,
        household_id: Some(h.id),
        area_path,
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

/// Staff register a new household with its head (for people the system does not know).
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
    let person = crate::store::people::NewPerson {
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
    let h = crate::store::people::create_with_household(db, &person, &area, &entry, now).await?;
    Ok(h)
}
