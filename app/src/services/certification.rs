//! Identity certification (身份认定): a request names a person and a category; the
//! township office accepts it (or returns it), the certifying department confirms it (or
//! rejects it), and the medical insurance bureau flags it (标识), from which day the
//! subsidy prices the person's quotes. A flag after payment records a refund or top-up.

use chrono::{Duration, NaiveDate};
use domain::policy::{quote, Category, PolicyPack, QuoteRequest};
use domain::Money;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::enrolment::{mask_id, own_household, Actor};
use super::AppState;
use crate::error::{AppError, UserMessage};
use crate::model::{
    AdjustmentView, BulkOutcome, CertificationEventView, CertificationSummary, CertificationView, DocumentView, Role,
    CERT_ACTIONS, CERT_STATUSES,
};
use crate::store::certification::{self as store, CertRow, QueueFilter};
use crate::store::{enrolment as enrol_store, with_pool};

/// Largest supporting document.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Most documents one request may carry.
pub const MAX_DOCUMENTS: i64 = 20;
/// Most requests one bulk step may touch.
pub const MAX_BULK: usize = 500;

/// `POST /api/v1/certifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertifyRequest {
    pub id_number: String,
    /// A category code of the public API contract (e.g. `minimum_living`).
    pub category: String,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /api/v1/certifications/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActionRequest {
    /// accept, return, resubmit, confirm, reject, flag, withdraw or revoke.
    pub action: String,
    /// Required when returning, rejecting or revoking.
    #[serde(default)]
    pub comment: Option<String>,
    /// The department may limit how long a confirmed category lasts.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// `POST /api/v1/certifications/bulk`: without `confirm` nothing changes and the answer
/// lists the people for the officer to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkRequest {
    pub action: String,
    pub ids: Vec<i64>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub confirm: bool,
}

/// `GET /api/v1/certifications` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QueueQuery {
    /// One status, or "all"; by default the status the viewer's role works on.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// An area code inside the viewer's scope.
    #[serde(default)]
    pub area: Option<String>,
    /// Only requests submitted at least this many days ago.
    #[serde(default)]
    pub older_than_days: Option<i64>,
}

/// The actor plus, for a resident, their household (looked up once per call).
struct Viewer<'a> {
    actor: &'a Actor,
    household: Option<i64>,
}

impl Viewer<'_> {
    async fn new<'a>(state: &AppState, actor: &'a Actor) -> Result<Viewer<'a>, AppError> {
        let household = if actor.role == Role::Resident {
            own_household(state, actor).await?.map(|h| h.id)
        } else {
            None
        };
        Ok(Viewer { actor, household })
    }

    fn in_area(&self, area: Option<&str>) -> bool {
        match (self.actor.scope(), area) {
            (Some(scope), Some(area)) => area.starts_with(scope),
            _ => false,
        }
    }

    fn same_department(&self, cert: &CertRow) -> bool {
        self.actor.account.department.as_deref() == Some(cert.department.as_str())
    }

    /// The submitter, or the resident whose household the person is in.
    fn owns(&self, cert: &CertRow) -> bool {
        cert.submitted_by_account_id == Some(self.actor.account.id)
            || (self.household.is_some() && cert.household_id == self.household)
    }

    /// Residents who may not see a request are told it does not exist; staff out of
    /// scope are told so.
    fn check_visible(&self, cert: &CertRow) -> Result<(), AppError> {
        let visible = match self.actor.role {
            Role::Resident => self.owns(cert),
            Role::DepartmentOfficer => self.in_area(cert.area_code.as_deref()) && self.same_department(cert),
            _ => self.in_area(cert.area_code.as_deref()) || self.owns(cert),
        };
        match (visible, self.actor.role) {
            (true, _) => Ok(()),
            (false, Role::Resident) => Err(not_found()),
            (false, _) => Err(AppError::forbidden(
                "out_of_scope",
                "该认定申请不在您的管辖范围内",
                "This request is outside your area or department",
            )),
        }
    }

    /// Whether the role may ever take `action` (status aside).
    fn role_may(&self, action: &str, cert: &CertRow) -> bool {
        let r = self.actor.role;
        let area = self.in_area(cert.area_code.as_deref());
        match action {
            "accept" | "return" => r == Role::TownshipOfficer && area,
            "confirm" | "reject" => r == Role::DepartmentOfficer && area && self.same_department(cert),
            "flag" => r == Role::BureauOfficer && area,
            "revoke" => {
                area && (r == Role::BureauOfficer || (r == Role::DepartmentOfficer && self.same_department(cert)))
            }
            "resubmit" | "withdraw" => self.owns(cert),
            _ => false,
        }
    }

    fn allowed(&self, cert: &CertRow) -> Vec<String> {
        CERT_ACTIONS
            .iter()
            .filter(|a| from_statuses(a).contains(&cert.status.as_str()) && self.role_may(a, cert))
            .map(|a| (*a).to_owned())
            .collect()
    }
}

/// The statuses an action starts from, and where it leads.
fn from_statuses(action: &str) -> &'static [&'static str] {
    match action {
        "accept" | "return" => &["submitted"],
        "resubmit" => &["returned"],
        "confirm" | "reject" => &["accepted"],
        "flag" => &["confirmed"],
        "withdraw" => &["submitted", "accepted", "returned"],
        "revoke" => &["flagged"],
        _ => &[],
    }
}

fn to_status(action: &str) -> &'static str {
    match action {
        "accept" => "accepted",
        "return" => "returned",
        "resubmit" => "submitted",
        "confirm" => "confirmed",
        "reject" => "rejected",
        "flag" => "flagged",
        "withdraw" => "withdrawn",
        _ => "revoked",
    }
}

fn not_found() -> AppError {
    AppError::not_found(
        "certification_not_found",
        "未找到该认定申请",
        "No such certification request",
    )
}

fn field_err(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::invalid(field, code, zh, en)
}

fn parse_comment(field: &str, input: Option<&str>, required: bool) -> Result<Option<String>, AppError> {
    let c = input.map(str::trim).filter(|s| !s.is_empty());
    match c {
        None if required => Err(field_err(
            field,
            "comment_required",
            "请填写理由",
            "Please give a reason",
        )),
        Some(c) if c.chars().count() > 500 || c.chars().any(|ch| ch.is_control() && ch != '\n') => Err(field_err(
            field,
            "comment_invalid",
            "说明不能超过500字，且不能含有特殊控制字符",
            "A comment has at most 500 characters and no control characters",
        )),
        c => Ok(c.map(str::to_owned)),
    }
}

fn parse_category(field: &str, code: &str) -> Result<Category, AppError> {
    Category::from_code(code.trim()).ok_or_else(|| {
        field_err(
            field,
            "category_unknown",
            format!("人员类别“{code}”无效"),
            format!("Unknown category {code:?}"),
        )
    })
}

fn parse_action(field: &str, action: &str) -> Result<&'static str, AppError> {
    CERT_ACTIONS
        .iter()
        .copied()
        .find(|a| *a == action.trim())
        .ok_or_else(|| {
            field_err(
                field,
                "action_unknown",
                format!("操作“{action}”无效"),
                format!("Unknown action {action:?}"),
            )
        })
}

/// The department a pack names for a category; civil affairs when the pack is silent.
fn certifying_department(pack: &PolicyPack, category: Category) -> Option<String> {
    pack.categories
        .iter()
        .find(|r| r.category == category)
        .map(|r| r.certified_by.clone().unwrap_or_else(|| "civil_affairs".to_owned()))
        .or_else(|| {
            pack.combinations
                .iter()
                .any(|c| c.all_of.contains(&category) || c.any_of.contains(&category))
                .then(|| "civil_affairs".to_owned())
        })
}

// ---------------------------------------------------------------------------------------
// Submission

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
            let area = super::enrolment::person_area(state, &p).await?;
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
    let pack = super::enrolment::current_pack(state, &area, today).ok_or_else(|| {
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
    let cert_id: i64 = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let cid: i64 = sqlx::query_scalar(
            "INSERT INTO certifications (person_id, category, department, status, created_at, updated_at, policy_id,
                area_code, submitted_by_account_id, submitter_role, source)
             VALUES ($1, $2, $3, 'submitted', $4, $4, $5, $6, $7, $8, 'request') RETURNING id")
            .bind(person.id).bind(category.code()).bind(&department).bind(now).bind(&pack.id).bind(&area)
            .bind(actor.account.id).bind(actor.role.code())
            .fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO certification_events (certification_id, action, from_status, to_status, actor_account_id, comment, at)
                     VALUES ($1, 'submit', NULL, 'submitted', $2, $3, $4)")
            .bind(cid).bind(actor.account.id).bind(&comment).bind(now).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO audit_log (at, actor_account_id, action, subject, detail, client_ip, area_code)
                     VALUES ($1, $2, 'certification_submitted', $3, $4, $5, $6)")
            .bind(now).bind(actor.account.id).bind(format!("certification {cid} {masked}"))
            .bind(category.code()).bind(client_ip).bind(&area).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(cid)
    })?;
    view(state, actor, cert_id).await
}

// ---------------------------------------------------------------------------------------
// Reading

pub async fn view(state: &AppState, actor: &Actor, id: i64) -> Result<CertificationView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    detail(state, &viewer, cert).await
}

async fn detail(state: &AppState, viewer: &Viewer<'_>, cert: CertRow) -> Result<CertificationView, AppError> {
    let db = &state.db;
    let events = store::events(db, cert.id)
        .await?
        .into_iter()
        .map(|e| CertificationEventView {
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            actor: e.actor_name,
            comment: e.comment,
            at: e.at,
        })
        .collect();
    let document_list = store::documents(db, cert.id)
        .await?
        .into_iter()
        .map(document_view)
        .collect();
    let adjustments = store::adjustments_of_certification(db, cert.id)
        .await?
        .into_iter()
        .map(adjustment_view)
        .collect();
    let submitter_role = cert.submitter_role.clone();
    Ok(CertificationView {
        summary: summary(state, viewer, cert),
        submitter_role,
        events,
        document_list,
        adjustments,
    })
}

pub fn adjustment_view(a: store::AdjustmentRow) -> AdjustmentView {
    AdjustmentView {
        id: a.id,
        kind: a.kind,
        amount: Money::from_fen(a.amount_fen),
        status: a.status,
        category: a.category,
        created_at: a.created_at,
        settled_at: a.settled_at,
        settlement_channel: a.settlement_channel,
        settlement_note: a.settlement_note,
        settled_by: a.settled_by,
    }
}

fn summary(state: &AppState, viewer: &Viewer<'_>, cert: CertRow) -> CertificationSummary {
    let actions = viewer.allowed(&cert);
    let age_days = (state.clock.now() - cert.created_at).num_days();
    CertificationSummary {
        id: cert.id,
        person_id: cert.person_id,
        id_number_masked: mask_id(&cert.id_number),
        name: cert.name,
        area_code: cert.area_code.unwrap_or_default(),
        category_name: Category::from_code(&cert.category)
            .map(|c| c.name_zh().to_owned())
            .unwrap_or_else(|| cert.category.clone()),
        category: cert.category,
        department: cert.department,
        status: cert.status,
        policy: cert.policy_id,
        effective_on: cert.effective_on,
        valid_until: cert.valid_until,
        created_at: cert.created_at,
        age_days,
        documents: cert.documents,
        actions,
    }
}

/// A role's work queue (or a resident's own requests), oldest first.
pub async fn queue(state: &AppState, actor: &Actor, q: &QueueQuery) -> Result<Vec<CertificationSummary>, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let mut f = QueueFilter {
        limit: 500,
        ..QueueFilter::default()
    };
    let default_status = match actor.role {
        Role::TownshipOfficer => Some("submitted"),
        Role::DepartmentOfficer => Some("accepted"),
        Role::BureauOfficer => Some("confirmed"),
        _ => None,
    };
    match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some("all") => {}
        Some(s) if CERT_STATUSES.contains(&s) => f.statuses = vec![s.to_owned()],
        Some(s) => {
            return Err(field_err(
                "status",
                "status_unknown",
                format!("状态“{s}”无效"),
                format!("Unknown status {s:?}"),
            ))
        }
        None => f.statuses = default_status.map(|s| vec![s.to_owned()]).unwrap_or_default(),
    }
    if let Some(c) = q.category.as_deref().filter(|s| !s.is_empty()) {
        f.category = Some(parse_category("category", c)?.code().to_owned());
    }
    if let Some(days) = q.older_than_days {
        if !(0..=3650).contains(&days) {
            return Err(field_err(
                "older_than_days",
                "days_invalid",
                "天数应在0到3650之间",
                "Days must be between 0 and 3650",
            ));
        }
        f.created_before = Some(state.clock.now() - Duration::days(days));
    }
    if actor.role == Role::Resident {
        f.household_id = viewer.household;
        f.submitted_by = Some(actor.account.id);
    } else {
        f.area_prefix = Some(super::enrolment::area_within(actor, q.area.as_deref())?);
        if actor.role == Role::DepartmentOfficer {
            f.department = actor.account.department.clone();
        }
    }
    let rows = store::queue(&state.db, &f).await?;
    Ok(rows.into_iter().map(|r| summary(state, &viewer, r)).collect())
}

// ---------------------------------------------------------------------------------------
// Steps

/// Checks one step without changing anything.
fn check_step(viewer: &Viewer<'_>, cert: &CertRow, action: &str) -> Result<(), AppError> {
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
struct Repricing {
    enrolment_id: i64,
    order_id: Option<i64>,
    paid: bool,
    request_json: String,
    quote_json: String,
    amounts: super::enrolment::QuotedAmounts,
    /// Positive: a refund of this much; negative: a top-up.
    refund_fen: i64,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    start_rule: Option<&'static str>,
}

/// What flagging `cert` on `today` does to the person's enrolment for the pack's year.
async fn reprice(state: &AppState, cert: &CertRow, today: NaiveDate) -> Result<Option<Repricing>, AppError> {
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
            let add_ons = super::enrolment::add_on_codes(&e.add_ons);
            super::enrolment::quote_request(state, pack, &person, person.student, e.tier.clone(), add_ons, today)
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
    let amounts = super::enrolment::QuotedAmounts::of(&q);
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
        start_rule: q.start_rule.map(super::enrolment::start_rule_code),
    }))
}

#[allow(clippy::too_many_arguments)]
async fn apply(
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

/// The content type from the file's first bytes (never from its name or the header).
pub fn sniff(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "document".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

pub async fn add_document(
    state: &AppState,
    actor: &Actor,
    id: i64,
    file_name: &str,
    body: &[u8],
    client_ip: &str,
) -> Result<DocumentView, AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    if !["submitted", "accepted", "returned"].contains(&cert.status.as_str()) {
        return Err(AppError::Conflict(UserMessage::new(
            "documents_closed",
            Some("file"),
            "该申请已处理完毕，不能再上传材料",
            "This request is decided; no more documents can be added",
        )));
    }
    if body.is_empty() {
        return Err(field_err(
            "file",
            "file_empty",
            "请选择要上传的文件",
            "Choose a file to upload",
        ));
    }
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(field_err(
            "file",
            "file_too_large",
            "文件不能超过10MB",
            "A file may be at most 10 MB",
        ));
    }
    let content_type = sniff(body).ok_or_else(|| {
        field_err(
            "file",
            "file_type",
            "只能上传JPG、PNG图片或PDF文件",
            "Only JPG or PNG images and PDF files are accepted",
        )
    })?;
    if cert.documents >= MAX_DOCUMENTS {
        return Err(field_err(
            "file",
            "too_many_documents",
            format!("每份申请最多{MAX_DOCUMENTS}个文件"),
            format!("A request holds at most {MAX_DOCUMENTS} files"),
        ));
    }
    let name = clean_file_name(file_name);
    let sha = hex::encode(sha2::Sha256::digest(body));
    let now = state.clock.now();
    let entry = crate::store::audit::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "certification_document_added",
        subject: None,
        detail: Some(content_type),
        client_ip: Some(client_ip),
        area_code: cert.area_code.as_deref(),
    };
    let doc_id = store::insert_document(
        &state.db,
        &store::NewDocument {
            cert_id: cert.id,
            file_name: &name,
            content_type,
            sha256: &sha,
            body,
            uploaded_by: actor.account.id,
        },
        &entry,
        now,
    )
    .await?;
    Ok(DocumentView {
        id: doc_id,
        file_name: name,
        content_type: content_type.to_owned(),
        size_bytes: body.len() as i64,
        created_at: now,
    })
}

/// A document's bytes for someone who may see its request.
pub async fn document(
    state: &AppState,
    actor: &Actor,
    id: i64,
    doc_id: i64,
) -> Result<(DocumentView, Vec<u8>), AppError> {
    let viewer = Viewer::new(state, actor).await?;
    let cert = store::get(&state.db, id).await?.ok_or_else(not_found)?;
    viewer.check_visible(&cert)?;
    let (d, body) = store::document_body(&state.db, id, doc_id)
        .await?
        .ok_or_else(|| AppError::not_found("document_not_found", "未找到该文件", "No such document"))?;
    Ok((document_view(d), body))
}

fn document_view(d: store::DocumentRow) -> DocumentView {
    DocumentView {
        id: d.id,
        file_name: d.file_name,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        created_at: d.created_at,
    }
}
