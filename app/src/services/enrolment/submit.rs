//! A household's enrolment submission: checks, the quote per member, idempotent replay.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use domain::policy::{PolicyPack, Quote, QuoteRequest};
use domain::Money;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, UserMessage};
use crate::model::{EnrolmentView, HospitalView, OrderView, Role, SubmissionView};
use crate::services::access::{forbidden_area, Actor};
use crate::services::enrolment::store::{self as store, EnrolmentRow, PersonRow};
use crate::services::AppState;

use super::*;

// ---------------------------------------------------------------------------------------
// Submission

pub(super) struct Planned {
    pub(super) person: PersonRow,
    pub(super) known: bool,
    pub(super) relationship: Option<String>,
    pub(super) joins: bool,
    pub(super) request: QuoteRequest,
    pub(super) quote: Quote,
    pub(super) add_ons: Vec<String>,
    pub(super) hospitals: Vec<String>,
}

/// Hash of the request body for the Idempotency-Key check.
pub fn request_hash(req: &EnrolRequest) -> String {
    crate::secrets::sha256_hex(&[&serde_json::to_string(req).unwrap_or_default()])
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredResult {
    pub(super) household_id: i64,
    pub(super) enrolment_ids: Vec<i64>,
    pub(super) existing: Vec<i64>,
    pub(super) order_id: Option<i64>,
}

/// Enrols the members of one household for the insurance year of the open pack.
/// Validation happens first; the writes run in one transaction. A member already
/// enrolled for that year is returned as it stands (`existing`), never created twice.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
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
                .submit(crate::services::enrolment::store::PersonLookup(id.as_str().to_owned()))
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
    let policies = state.policies.current();
    let pack = policies.for_enrolment(&area_code, req.policy.as_deref(), today)?;
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
                    sex: store::sex_code(id).to_owned(),
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

pub(super) enum HouseholdChoice {
    Existing(store::HouseholdRow),
    New(String),
}

pub(super) async fn resolve_household(
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

pub(super) fn check_hospitals(
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

pub(super) enum Written {
    /// What was stored, the new enrolments as written (one per member when none existed)
    /// and the payment order.
    Done(StoredResult, Vec<EnrolmentRow>, Option<Box<store::OrderRow>>),
    Replay,
}

pub(super) fn conflict_retry() -> AppError {
    conflict(
        None,
        "concurrent_change",
        "信息刚被其他人修改，请刷新后重试",
        "Someone changed this just now; please reload and try again",
    )
}

/// A member's relationship to the head as stored: the first member of a new household is
/// its head ("self"); anyone else without one given is "other".
pub(super) fn member_relationship(household: &HouseholdChoice, i: usize, m: &Planned) -> Option<String> {
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
pub(super) fn planned_row(
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
        policy_version: i32::try_from(pack.version).unwrap_or(i32::MAX),
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

pub(super) async fn replay(
    state: &AppState,
    actor: &Actor,
    key: &str,
    hash: &str,
) -> Result<Option<SubmissionView>, AppError> {
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

pub(super) async fn submission_view(state: &AppState, s: &StoredResult) -> Result<SubmissionView, AppError> {
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
pub(super) fn owed_fen(row: &EnrolmentRow) -> i64 {
    if row.status == "unpaid" {
        row.due_fen - row.paid_fen
    } else {
        0
    }
}

/// A submission's answer from its members' views, whether built or read back.
pub(super) fn submission_of(
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
