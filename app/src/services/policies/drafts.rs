//! Staff-authored packs (issue 26): a bureau officer drafts next year's pack (from the
//! latest one, or from a pack file), edits it in forms, tries it on sample people, and
//! submits it; another officer approves or returns it; an approved draft is published as the
//! next immutable version of its id, offered from the day its collection opens. Every step
//! is in the audit log, written in the step's transaction.
//!
//! Who: bureau officers and administrators, over packs whose every area lies in their scope.
//! A draft outside the scope answers like one that does not exist.

use chrono::{Datelike, NaiveDate};
use domain::policy::{Category, PersonInput, PolicyPack, Problem, QuoteRequest};

use super::store::{self, DraftRow, NewDraft, NewVersion};
use super::{edit, PolicyRegistry};
use crate::error::{AppError, UserMessage};
use crate::model::{DraftDetail, DraftSummary, DraftView, Role, SampleAnswer, SampleQuote};
use crate::services::access::Actor;
use crate::services::audit::store::AuditEntry;
use crate::services::AppState;

/// The largest pack file accepted (the seed packs are under 20 KB).
pub const MAX_PACK_BYTES: usize = 256 * 1024;

fn not_found() -> AppError {
    AppError::not_found("draft_not_found", "未找到该政策草稿", "No such policy draft")
}

/// The officer's scope, or 403 for anyone who does not author packs.
fn author_scope(actor: &Actor) -> Result<&str, AppError> {
    if !matches!(actor.role, Role::BureauOfficer | Role::Admin) {
        return Err(AppError::forbidden(
            "forbidden_role",
            "只有医保局工作人员可以起草和审核参保政策",
            "Only bureau officers draft and review policy packs",
        ));
    }
    actor.staff_scope()
}

fn covers(scope: &str, pack: &PolicyPack) -> bool {
    !pack.area_codes.is_empty() && pack.area_codes.iter().all(|c| c.starts_with(scope))
}

fn pack_of(row: &DraftRow) -> Result<PolicyPack, AppError> {
    serde_json::from_str(&row.body).map_err(|e| AppError::internal("policy_draft", format!("draft {}: {e}", row.id)))
}

fn body_of(pack: &PolicyPack) -> Result<String, AppError> {
    serde_json::to_string(pack).map_err(|e| AppError::internal("policy_draft", e))
}

/// The draft, if it exists and lies in the actor's scope.
async fn load(state: &AppState, actor: &Actor, id: i64) -> Result<DraftRow, AppError> {
    let scope = author_scope(actor)?;
    let row = store::draft(&state.db, id).await?.ok_or_else(not_found)?;
    if !row.area_code.starts_with(scope) {
        return Err(not_found());
    }
    Ok(row)
}

fn entry<'a>(
    actor: &Actor,
    action: &'a str,
    subject: &'a str,
    detail: Option<&'a str>,
    ip: &'a str,
    area: &'a str,
) -> AuditEntry<'a> {
    AuditEntry {
        actor_account_id: Some(actor.account.id),
        action,
        subject: Some(subject),
        detail,
        client_ip: Some(ip),
        area_code: Some(area),
    }
}

/// Problems that keep a draft from being submitted: the loader's own checks, and those that
/// depend on what is already published (an id another jurisdiction holds, a correction
/// without its reason).
pub fn problems(pack: &PolicyPack, reason: Option<&str>, registry: &PolicyRegistry) -> Vec<Problem> {
    let mut out = pack.check();
    out.extend(against_registry(pack, reason, registry));
    out
}

/// The problems that depend on what is already published.
fn against_registry(pack: &PolicyPack, reason: Option<&str>, registry: &PolicyRegistry) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(other) = registry.get(&pack.id) {
        if other.area_codes != pack.area_codes {
            out.push(Problem {
                field: "id".into(),
                zh: format!("政策编号“{}”已被{}使用，请换一个编号", pack.id, other.jurisdiction),
                en: format!(
                    "The id {:?} is taken by {}; choose another",
                    pack.id, other.jurisdiction_en
                ),
            });
        } else if reason.is_none_or(|r| r.trim().is_empty()) {
            out.push(Problem {
                field: "reason".into(),
                zh: format!("“{}”已经发布，本草稿是更正版本，请填写更正原因", pack.id),
                en: format!("{} is published: this draft is a correction; give its reason", pack.id),
            });
        }
    }
    out
}

fn summary(row: &DraftRow, pack: &PolicyPack) -> DraftSummary {
    DraftSummary {
        id: row.id,
        pack_id: row.pack_id.clone(),
        jurisdiction: pack.jurisdiction.clone(),
        jurisdiction_en: pack.jurisdiction_en.clone(),
        insurance_year: pack.insurance_year,
        status: row.status.clone(),
        author: row.author_name.clone(),
        base: row
            .base_id
            .as_ref()
            .map(|b| format!("{b} v{}", row.base_version.unwrap_or(1))),
        published_version: row.published_version,
        updated_at: row.updated_at,
    }
}

/// A draft is edited while it is a draft or has been returned to its author.
fn is_editable(status: &str) -> bool {
    matches!(status, "draft" | "returned")
}

/// The drafts of the officer's scope, newest first, with their packs.
async fn in_scope(state: &AppState, actor: &Actor) -> Result<Vec<(DraftSummary, PolicyPack)>, AppError> {
    let scope = author_scope(actor)?;
    let rows = store::drafts_in(&state.db, scope).await?;
    rows.iter()
        .map(|r| {
            let p = pack_of(r)?;
            Ok((summary(r, &p), p))
        })
        .collect()
}

/// The drafts of the officer's scope, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<DraftSummary>, AppError> {
    Ok(in_scope(state, actor).await?.into_iter().map(|(s, _)| s).collect())
}

/// The same day `years` later (29 February becomes the 28th).
fn shift(d: NaiveDate, years: i32) -> NaiveDate {
    let y = d.year() + years;
    d.with_year(y)
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), 28))
        .unwrap_or(d)
}

/// Starts a draft from a published pack: for `year` (default: the next one) its id and
/// dates move to that year; for the pack's own year it is a correction of that id.
#[tracing::instrument(skip(state, actor, ip))]
pub async fn create(state: &AppState, actor: &Actor, from: &str, year: Option<i32>, ip: &str) -> Result<i64, AppError> {
    let scope = author_scope(actor)?.to_owned();
    let registry = state.policies.current();
    let base = registry.get(from).filter(|p| covers(&scope, p)).ok_or_else(|| {
        AppError::invalid(
            "from",
            "policy_not_found",
            format!("未找到您管辖范围内的政策“{from}”"),
            format!("No policy {from:?} in your area"),
        )
    })?;
    let year = year.unwrap_or(base.insurance_year + 1);
    if !(base.insurance_year..=base.insurance_year + 5).contains(&year) {
        return Err(AppError::invalid(
            "year",
            "year_out_of_range",
            format!("年度须在{}至{}之间", base.insurance_year, base.insurance_year + 5),
            format!(
                "The year must be between {} and {}",
                base.insurance_year,
                base.insurance_year + 5
            ),
        ));
    }
    let mut pack = base.clone();
    let years = year - base.insurance_year;
    if years > 0 {
        let old = format!("-{}", base.insurance_year);
        pack.id = match base.id.strip_suffix(&old) {
            Some(stem) => format!("{stem}-{year}"),
            None => format!("{}-{year}", base.id),
        };
        pack.insurance_year = year;
        pack.version = 1;
        for p in &mut pack.periods {
            p.start = shift(p.start, years);
            p.end = shift(p.end, years);
        }
        if let Some(d) = &mut pack.last_enrolment_day {
            d.value = shift(d.value, years);
        }
    }
    let body = body_of(&pack)?;
    let area = pack.area_codes.first().cloned().unwrap_or(scope);
    let detail = format!("from {} v{}", base.id, base.version);
    let id = store::insert_draft(
        &state.db,
        &NewDraft {
            pack_id: &pack.id,
            area_code: &area,
            base: Some((&base.id, i32::try_from(base.version).unwrap_or(1))),
            body: &body,
            reason: None,
            author: actor.account.id,
        },
        &entry(actor, "policy_draft_created", "", Some(&detail), ip, &area),
        state.clock.now(),
    )
    .await?;
    Ok(id)
}

/// Starts a draft from a pack file (the seed packs' TOML, as the export writes it). A file
/// the loader would refuse for its shape is refused here, naming the line; one whose values
/// have problems becomes a draft that shows them.
#[tracing::instrument(skip(state, actor, text, ip))]
pub async fn import(state: &AppState, actor: &Actor, file_name: &str, text: &[u8], ip: &str) -> Result<i64, AppError> {
    let scope = author_scope(actor)?.to_owned();
    if text.len() > MAX_PACK_BYTES {
        return Err(crate::services::sheets::too_large(MAX_PACK_BYTES));
    }
    let text = std::str::from_utf8(text).map_err(|_| {
        AppError::invalid(
            "file",
            "not_utf8",
            "文件不是UTF-8编码的文本",
            "The file is not UTF-8 text",
        )
    })?;
    let pack: PolicyPack = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_owned();
        let line = e
            .span()
            .and_then(|s| text.get(..s.start))
            .map_or(1, |before| before.lines().count().max(1));
        AppError::invalid(
            "file",
            "pack_unreadable",
            format!("{file_name} 第{line}行：无法读取（{msg}）"),
            format!("{file_name} line {line}: cannot be read ({msg})"),
        )
    })?;
    if !covers(&scope, &pack) {
        return Err(AppError::invalid(
            "area_codes",
            "out_of_scope",
            "该政策适用的地区不在您的管辖范围内",
            "The pack's areas are outside your scope",
        ));
    }
    let registry = state.policies.current();
    let base = registry.get(&pack.id).or_else(|| {
        registry
            .all()
            .filter(|p| p.area_codes == pack.area_codes && p.insurance_year < pack.insurance_year)
            .max_by_key(|p| p.insurance_year)
    });
    let area = pack.area_codes[0].clone();
    let body = body_of(&pack)?;
    let detail = format!("file {file_name}");
    store::insert_draft(
        &state.db,
        &NewDraft {
            pack_id: &pack.id,
            area_code: &area,
            base: base.map(|b| (b.id.as_str(), i32::try_from(b.version).unwrap_or(1))),
            body: &body,
            reason: None,
            author: actor.account.id,
        },
        &entry(actor, "policy_draft_created", "", Some(&detail), ip, &area),
        state.clock.now(),
    )
    .await
    .map_err(Into::into)
}

async fn editable(state: &AppState, actor: &Actor, id: i64) -> Result<(DraftRow, PolicyPack), AppError> {
    let row = load(state, actor, id).await?;
    if !is_editable(&row.status) {
        return Err(AppError::Conflict(UserMessage::new(
            "draft_not_editable",
            None,
            "该草稿已提交审核或已发布，不能再修改",
            "This draft has been submitted or published and cannot be changed",
        )));
    }
    let pack = pack_of(&row)?;
    Ok((row, pack))
}

async fn store_pack(
    state: &AppState,
    actor: &Actor,
    row: &DraftRow,
    pack: &PolicyPack,
    reason: Option<&str>,
    what: &str,
    ip: &str,
) -> Result<(), AppError> {
    let scope = author_scope(actor)?;
    if !covers(scope, pack) {
        return Err(AppError::invalid(
            "area_codes",
            "out_of_scope",
            "适用地区必须都在您的管辖范围内",
            "Every area code must lie in your scope",
        ));
    }
    let body = body_of(pack)?;
    let subject = format!("policy draft {} ({})", row.id, pack.id);
    let ok = store::update_body(
        &state.db,
        row.id,
        &pack.id,
        &pack.area_codes[0],
        &body,
        reason,
        &entry(actor, "policy_draft_updated", &subject, Some(what), ip, &row.area_code),
        state.clock.now(),
    )
    .await?;
    if !ok {
        return Err(AppError::Conflict(UserMessage::new(
            "draft_not_editable",
            None,
            "该草稿刚刚被提交，未保存修改",
            "The draft was submitted meanwhile; nothing was saved",
        )));
    }
    Ok(())
}

fn clean_reason(reason: Option<&str>) -> Result<Option<String>, AppError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::invalid(
            "reason",
            "too_long",
            "原因不能超过500字",
            "The reason is at most 500 characters",
        ));
    }
    Ok(reason.map(str::to_owned))
}

/// Writes the form's values into the draft (all or nothing); `op` adds or removes a row.
#[tracing::instrument(skip(state, actor, form, ip))]
pub async fn save_form(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &[(String, String)],
    ip: &str,
) -> Result<(), AppError> {
    let (row, pack) = editable(state, actor, id).await?;
    let mut next = edit::apply(&pack, form)?;
    let op = form.iter().find(|(k, _)| k == "op").map(|(_, v)| v.as_str());
    if let Some(op) = op.filter(|o| !o.is_empty()) {
        next = edit::restructure(&next, op)?;
    }
    let reason = match form.iter().find(|(k, _)| k == "reason") {
        Some((_, r)) => clean_reason(Some(r))?,
        None => row.reason.clone(),
    };
    let what = edit::changes(&pack, &next)?
        .iter()
        .map(|c| c.path.as_str())
        .chain(op)
        .collect::<Vec<_>>()
        .join(", ");
    store_pack(state, actor, &row, &next, reason.as_deref(), &what, ip).await
}

/// Replaces the draft's pack whole (REST `PUT`).
#[tracing::instrument(skip(state, actor, pack, ip))]
pub async fn replace(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mut pack: PolicyPack,
    reason: Option<&str>,
    ip: &str,
) -> Result<(), AppError> {
    let (row, before) = editable(state, actor, id).await?;
    pack.version = before.version;
    let reason = clean_reason(reason)?;
    let what = edit::changes(&before, &pack)?
        .iter()
        .map(|c| c.path.clone())
        .collect::<Vec<_>>()
        .join(", ");
    store_pack(state, actor, &row, &pack, reason.as_deref(), &what, ip).await
}

/// Refuses an actor who may not draft packs at all (before their request is even read).
pub fn may_author(actor: &Actor) -> Result<(), AppError> {
    author_scope(actor).map(|_| ())
}

/// Refuses an actor who may not reach draft `id` (as its other use cases would).
pub async fn check_access(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    load(state, actor, id).await.map(|_| ())
}

/// What keeps the draft from being submitted (empty: ready).
pub async fn validate(state: &AppState, actor: &Actor, id: i64) -> Result<Vec<Problem>, AppError> {
    let row = load(state, actor, id).await?;
    let pack = pack_of(&row)?;
    Ok(problems(&pack, row.reason.as_deref(), &state.policies.current()))
}

fn not_ready(problems: &[Problem]) -> AppError {
    let first = &problems[0];
    AppError::invalid(
        &first.field,
        "draft_not_ready",
        format!("还有{}处问题，不能提交：{}", problems.len(), first.zh),
        format!("{} problem(s) left; cannot submit: {}", problems.len(), first.en),
    )
}

fn wrong_status(zh: &str, en: &str) -> AppError {
    AppError::Conflict(UserMessage::new("draft_wrong_status", None, zh, en))
}

/// Submits the draft for approval; refused while it has problems.
#[tracing::instrument(skip(state, actor, ip))]
pub async fn submit(state: &AppState, actor: &Actor, id: i64, ip: &str) -> Result<(), AppError> {
    let (row, pack) = editable(state, actor, id).await?;
    let found = problems(&pack, row.reason.as_deref(), &state.policies.current());
    if !found.is_empty() {
        return Err(not_ready(&found));
    }
    let subject = format!("policy draft {} ({})", row.id, row.pack_id);
    let ok = store::step(
        &state.db,
        id,
        &["draft", "returned"],
        "submitted",
        None,
        None,
        &entry(actor, "policy_draft_submitted", &subject, None, ip, &row.area_code),
        state.clock.now(),
    )
    .await?;
    if !ok {
        return Err(wrong_status("该草稿已提交", "The draft is already submitted"));
    }
    Ok(())
}

/// Another officer than the author approves the submitted draft, or returns it with a reason.
#[tracing::instrument(skip(state, actor, note, ip))]
pub async fn review(
    state: &AppState,
    actor: &Actor,
    id: i64,
    approve: bool,
    note: Option<&str>,
    ip: &str,
) -> Result<(), AppError> {
    let row = load(state, actor, id).await?;
    if row.author_account_id == actor.account.id {
        return Err(AppError::forbidden(
            "own_draft",
            "不能审核自己起草的政策，请由另一位工作人员审核",
            "You cannot review a pack you drafted; another officer must",
        ));
    }
    if row.status != "submitted" {
        return Err(wrong_status(
            "该草稿不在待审核状态",
            "The draft is not waiting for review",
        ));
    }
    let note = clean_reason(note)?;
    if !approve && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "reason_required",
            "退回时请写明原因",
            "Say why the draft is returned",
        ));
    }
    // Approving re-checks: what was valid when submitted must still be (an id taken since).
    if approve {
        let found = problems(&pack_of(&row)?, row.reason.as_deref(), &state.policies.current());
        if !found.is_empty() {
            return Err(not_ready(&found));
        }
    }
    let to = if approve { "approved" } else { "returned" };
    let action = if approve {
        "policy_draft_approved"
    } else {
        "policy_draft_returned"
    };
    let subject = format!("policy draft {} ({})", row.id, row.pack_id);
    let ok = store::step(
        &state.db,
        id,
        &["submitted"],
        to,
        Some(actor.account.id),
        note.as_deref(),
        &entry(actor, action, &subject, note.as_deref(), ip, &row.area_code),
        state.clock.now(),
    )
    .await?;
    if !ok {
        return Err(wrong_status(
            "该草稿已被他人审核",
            "Someone else reviewed the draft meanwhile",
        ));
    }
    Ok(())
}

/// Publishes an approved draft as the next version of its id, offered to residents from
/// `offered_from` (default: the first day of its collection); the registry takes it at once.
#[tracing::instrument(skip(state, actor, ip))]
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    id: i64,
    offered_from: Option<NaiveDate>,
    ip: &str,
) -> Result<u32, AppError> {
    let row = load(state, actor, id).await?;
    if row.author_account_id == actor.account.id {
        return Err(AppError::forbidden(
            "own_draft",
            "不能发布自己起草的政策，请由另一位工作人员发布",
            "You cannot publish a pack you drafted; another officer must",
        ));
    }
    if row.status != "approved" {
        return Err(wrong_status(
            "只有已审核通过的草稿可以发布",
            "Only an approved draft can be published",
        ));
    }
    let mut pack = pack_of(&row)?;
    let registry = state.policies.current();
    let found = problems(&pack, row.reason.as_deref(), &registry);
    if !found.is_empty() {
        return Err(not_ready(&found));
    }
    let (opens, closes) = pack.collection_window();
    let from = offered_from.unwrap_or(opens);
    if from > closes {
        return Err(AppError::invalid(
            "offered_from",
            "after_collection",
            format!("发布日期不能晚于缴费期结束日{closes}"),
            format!("The date cannot be after the collection ends ({closes})"),
        ));
    }
    let floor = state
        .policies
        .base()
        .get(&pack.id)
        .map_or(0, |p| i32::try_from(p.version).unwrap_or(1));
    pack.version = 0;
    let template = pack.clone();
    let body_for = move |v: i32| {
        let mut p = template.clone();
        p.version = u32::try_from(v).unwrap_or(1);
        serde_json::to_string(&p).unwrap_or_default()
    };
    let subject = format!("policy {} (draft {})", row.pack_id, row.id);
    let detail = format!("offered from {from}");
    let version = store::publish(
        &state.db,
        &NewVersion {
            draft_id: row.id,
            pack_id: &row.pack_id,
            area_code: &row.area_code,
            body_for: &body_for,
            floor,
            effective_from: from,
            reason: row.reason.as_deref(),
            publisher: actor.account.id,
        },
        &entry(actor, "policy_published", &subject, Some(&detail), ip, &row.area_code),
        state.clock.now(),
    )
    .await?
    .ok_or_else(|| wrong_status("该草稿已发布", "The draft was published meanwhile"))?;
    state.policies.refresh(&state.db).await?;
    Ok(u32::try_from(version).unwrap_or(1))
}

/// A sample person for the side-by-side quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub birth_date: String,
    pub category: Option<Category>,
    pub student: bool,
}

impl Sample {
    /// `1980-01-01`, `1980-01-01:minimum_living`, `2012-05-01::student`.
    pub fn parse(s: &str) -> Option<Sample> {
        let mut parts = s.split(':');
        let birth = parts.next()?.trim();
        NaiveDate::parse_from_str(birth, "%Y-%m-%d").ok()?;
        let category = match parts.next().map(str::trim).unwrap_or("") {
            "" => None,
            c => Some(Category::from_code(c)?),
        };
        let student = parts.next().is_some_and(|s| s.trim() == "student");
        Some(Sample {
            birth_date: birth.to_owned(),
            category,
            student,
        })
    }
}

/// The pack's own people: an adult with no category, one of every category the pack prices,
/// and a pupil where students have their own rule.
pub fn default_samples(pack: &PolicyPack) -> Vec<Sample> {
    let adult = "1980-01-01".to_owned();
    let mut out = vec![Sample {
        birth_date: adult.clone(),
        category: None,
        student: false,
    }];
    for c in pack.priced_categories() {
        out.push(Sample {
            birth_date: adult.clone(),
            category: Some(c),
            student: false,
        });
    }
    if pack.student_rule.is_some() {
        out.push(Sample {
            birth_date: format!("{}-03-01", pack.insurance_year.saturating_sub(10)),
            category: None,
            student: true,
        });
    }
    out
}

fn first_on_time_day(pack: &PolicyPack) -> NaiveDate {
    pack.periods
        .iter()
        .filter(|p| p.on_time)
        .map(|p| p.start)
        .min()
        .unwrap_or_else(|| pack.collection_window().0)
}

/// What `sample` pays under `pack`, paying on its first on-time day; `ready` is whether
/// the pack passes its checks (the engine reads only a pack that does).
fn answer(pack: Option<(&PolicyPack, bool)>, sample: &Sample) -> SampleAnswer {
    let none = |zh: &str, en: &str| SampleAnswer {
        personal_due: None,
        standard: None,
        note_zh: zh.to_owned(),
        note_en: en.to_owned(),
    };
    let Some((pack, ready)) = pack else {
        return none("无上一年度政策", "No earlier pack");
    };
    if !ready {
        return none("草稿尚有问题，修正后可试算", "Fix the draft's problems to try it");
    }
    let req = QuoteRequest {
        policy: pack.id.clone(),
        person: PersonInput {
            birth_date: Some(sample.birth_date.clone()),
            categories: sample.category.iter().map(|c| c.code().to_owned()).collect(),
            certified_on: sample.category.map(|_| format!("{}-01-01", pack.insurance_year - 1)),
            student: sample.student,
            school: sample.student.then(|| "primary_secondary".to_owned()),
            hukou_local: true,
            ..PersonInput::default()
        },
        tier: (pack.tiers.len() > 1).then(|| pack.tiers[0].code.code().to_owned()),
        add_ons: vec![],
        paid_on: first_on_time_day(pack).to_string(),
    };
    match domain::policy::quote(pack, &req) {
        Ok(q) if !q.eligible => {
            let why = q.ineligible_reasons.first();
            none(
                &why.map_or("不能参保".to_owned(), |r| r.message.clone()),
                &why.map_or("Not eligible".to_owned(), |r| r.message_en.clone()),
            )
        }
        Ok(q) if !q.priced => none("通知未规定金额", "The notice sets no amount"),
        Ok(q) => SampleAnswer {
            personal_due: q.personal_due.map(|m| m.to_string()),
            standard: q.standard_contribution.map(|m| m.to_string()),
            note_zh: String::new(),
            note_en: String::new(),
        },
        Err(e) => none(&e.message, &e.message_en),
    }
}

/// The draft's page: its form, problems, differences and sample quotes.
#[tracing::instrument(skip(state, actor, samples))]
pub async fn view(
    state: &AppState,
    actor: &Actor,
    id: i64,
    samples: Option<Vec<Sample>>,
) -> Result<DraftView, AppError> {
    let row = load(state, actor, id).await?;
    let pack = pack_of(&row)?;
    let registry = state.policies.current();
    let base = row.base_id.as_deref().and_then(|b| {
        row.base_version
            .and_then(|v| registry.version(b, u32::try_from(v).unwrap_or(1)))
            .or_else(|| registry.get(b))
    });
    // Each pack is checked once: the draft's problems, and whether each can be quoted.
    let mut found = pack.check();
    let ready = found.is_empty();
    found.extend(against_registry(&pack, row.reason.as_deref(), &registry));
    let before = base.map(|b| (b, b.check().is_empty()));
    let changes = match base {
        Some(b) => edit::changes(b, &pack)?,
        None => vec![],
    };
    let samples = samples
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default_samples(base.unwrap_or(&pack)));
    let samples = samples
        .iter()
        .map(|s| SampleQuote {
            birth_date: s.birth_date.clone(),
            category: s.category.map_or(String::new(), |c| c.code().to_owned()),
            student: s.student,
            label_zh: match (s.category, s.student) {
                (Some(c), _) => c.name_zh().to_owned(),
                (None, true) => "学生".to_owned(),
                (None, false) => "普通居民".to_owned(),
            },
            label_en: match (s.category, s.student) {
                (Some(c), _) => c.name_en().to_owned(),
                (None, true) => "student".to_owned(),
                (None, false) => "resident".to_owned(),
            },
            before: answer(before, s),
            after: answer(Some((&pack, ready)), s),
        })
        .collect();
    let editable = is_editable(&row.status);
    let other = row.author_account_id != actor.account.id;
    let opens_on = ready.then(|| pack.collection_window().0);
    let (lists, parts) = edit::shape_ops();
    Ok(DraftView {
        summary: summary(&row, &pack),
        reason: row.reason.clone(),
        reviewer: row.reviewer_name.clone(),
        review_note: row.review_note.clone(),
        fields: edit::fields(&pack)?,
        may_edit: editable,
        may_submit: editable && found.is_empty(),
        problems: found,
        changes,
        samples,
        opens_on,
        may_review: other && row.status == "submitted",
        may_publish: other && row.status == "approved",
        categories: Category::ALL
            .iter()
            .map(|c| (c.code().to_owned(), c.name_zh().to_owned(), c.name_en().to_owned()))
            .collect(),
        lists,
        parts,
    })
}

/// A draft as data (REST): its state, its pack and its problems, without the page's form,
/// differences and sample quotes.
pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> Result<DraftDetail, AppError> {
    let row = load(state, actor, id).await?;
    let pack = pack_of(&row)?;
    Ok(DraftDetail {
        summary: summary(&row, &pack),
        reason: row.reason.clone(),
        reviewer: row.reviewer_name.clone(),
        review_note: row.review_note.clone(),
        problems: problems(&pack, row.reason.as_deref(), &state.policies.current()),
        pack,
    })
}

/// Published packs the officer may start a draft from (their scope's), newest year first.
pub fn starting_points(state: &AppState, actor: &Actor) -> Result<Vec<(String, String, String)>, AppError> {
    let scope = author_scope(actor)?;
    let registry = state.policies.current();
    let mut out: Vec<&PolicyPack> = registry.all().filter(|p| covers(scope, p)).collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.insurance_year));
    Ok(out
        .into_iter()
        .map(|p| {
            (
                p.id.clone(),
                format!("{} · {}年度（第{}版）", p.jurisdiction, p.insurance_year, p.version),
                format!("{} · {} (version {})", p.jurisdiction_en, p.insurance_year, p.version),
            )
        })
        .collect())
}

/// Drafts another officer wrote that wait for this one: to review, or to publish.
pub async fn awaiting(state: &AppState, actor: &Actor) -> Result<usize, AppError> {
    let scope = author_scope(actor)?;
    Ok(store::drafts_in(&state.db, scope)
        .await?
        .iter()
        .filter(|r| matches!(r.status.as_str(), "submitted" | "approved") && r.author_account_id != actor.account.id)
        .count())
}

/// The drafts the public list adds for staff in scope (`GET /api/v1/policies`): those not
/// yet published (a published one is listed as the pack itself).
pub async fn listed(state: &AppState, actor: &Actor) -> Result<Vec<(DraftSummary, PolicyPack)>, AppError> {
    Ok(in_scope(state, actor)
        .await?
        .into_iter()
        .filter(|(s, _)| s.status != "published")
        .collect())
}
