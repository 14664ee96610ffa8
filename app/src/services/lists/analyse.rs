//! The dry run: every row checked against the people, certifications and ledger the system
//! holds, nothing written.

use crate::services::policies::PolicyRegistry;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use domain::policy::{Category, PolicyPack};
use domain::IdNumber;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::Digest;

use super::store::{self, Known, Lookup};
use super::*;
use crate::error::AppError;
use crate::model::{AreaLevel, ImportProblem, ImportReport, Role};
use crate::services::access::Actor;
use crate::services::AppState;

/// What the analysis decided for one row.
#[derive(Debug, Clone)]
pub(super) enum Verdict {
    Valid,
    Problem {
        outcome: &'static str,
        column: Option<Field>,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Row<'s> {
    pub(super) line: u64,
    pub(super) id: Option<IdNumber>,
    pub(super) name: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) kind: Option<Kind>,
    pub(super) category: Option<Category>,
    pub(super) date: Option<NaiveDate>,
    pub(super) village: Option<Arc<str>>,
    /// For a valid row: the department that certifies its category and the pack's id.
    pub(super) certifier: Option<(&'s str, &'s str)>,
    pub(super) verdict: Verdict,
}

/// The analysis of a whole file against the database (nothing written). Borrows the
/// loaded policy packs (`'s`), so a million rows do not copy department and pack names.
pub(super) struct Analysis<'s> {
    pub(super) rows: Vec<Row<'s>>,
    pub(super) columns: HashMap<Field, (usize, String)>,
    pub(super) known: FxHashMap<String, Known>,
    /// (person_id, category) → id of the flagged certification.
    pub(super) flagged: FxHashMap<(i64, String), i64>,
}

pub(super) fn problem(outcome: &'static str, column: Option<Field>, message: String) -> Verdict {
    Verdict::Problem {
        outcome,
        column,
        message,
    }
}

/// An ID number as one integer (17 digits, then the check character as 0–10), so the
/// per-row duplicate checks hash eight bytes instead of a string.
pub(super) fn id_key(id: &IdNumber) -> u64 {
    id.as_str().bytes().fold(0u64, |acc, b| match b {
        b'0'..=b'9' => acc * 11 + u64::from(b - b'0'),
        _ => acc * 11 + 10,
    })
}

/// A cell without surrounding blanks, keeping the allocation when there are none.
pub(super) fn trimmed(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_owned())
    }
}

pub(super) async fn analyse<'s>(
    state: &'s AppState,
    policies: &'s PolicyRegistry,
    actor: &Actor,
    parsed: Parsed,
) -> Result<Analysis<'s>, AppError> {
    let scope = actor.staff_scope()?.to_owned();
    let today = state.clock.today();
    let Parsed { columns, rows: raw, .. } = parsed;
    let at = |f: Field| columns.get(&f).map(|(i, _)| *i);
    let (c_name, c_phone, c_id, c_kind, c_cat, c_date, c_town, c_village) = (
        at(Field::Name),
        at(Field::Phone),
        at(Field::IdNumber),
        at(Field::Kind),
        at(Field::Category),
        at(Field::Date),
        at(Field::Township),
        at(Field::Village),
    );
    // Villages under the officer's scope, by township then village, and by village alone.
    let areas = crate::store::areas::list(&state.db).await?;
    let names: HashMap<&str, &str> = areas.iter().map(|a| (a.code.as_str(), a.name.as_str())).collect();
    let mut by_town: HashMap<String, HashMap<String, Arc<str>>> = HashMap::new();
    let mut by_village: HashMap<String, Vec<Arc<str>>> = HashMap::new();
    for a in areas
        .iter()
        .filter(|a| a.level == AreaLevel::Village && a.code.starts_with(&scope))
    {
        let town = a.parent.as_deref().and_then(|p| names.get(p)).copied().unwrap_or("");
        let code: Arc<str> = Arc::from(a.code.as_str());
        by_town
            .entry(town.to_owned())
            .or_default()
            .insert(a.name.clone(), code.clone());
        by_village.entry(a.name.clone()).or_default().push(code);
    }
    let only_village = |v: &str| by_village.get(v).filter(|v| v.len() == 1).map(|v| v[0].clone());

    let mut rows = Vec::with_capacity(raw.len());
    for (line, mut cells) in raw {
        let mut take = |i: Option<usize>| i.and_then(|i| cells.get_mut(i)).map(std::mem::take).and_then(trimmed);
        let name = take(c_name);
        let phone = take(c_phone);
        let text = |i: Option<usize>| i.and_then(|i| cells.get(i)).map_or("", |s| s.trim());
        let mut r = Row {
            line,
            id: None,
            name,
            phone,
            kind: None,
            category: None,
            date: None,
            village: None,
            certifier: None,
            verdict: Verdict::Valid,
        };
        let (raw_id, raw_kind, raw_cat, raw_date) = (text(c_id), text(c_kind), text(c_cat), text(c_date));
        r.verdict = match IdNumber::parse(raw_id) {
            Err(e) => problem("invalid", Some(Field::IdNumber), e.to_string()),
            Ok(id) => {
                r.id = Some(id);
                match (
                    Kind::parse(raw_kind),
                    category_from_name(raw_cat),
                    domain::dates::parse_flexible(raw_date),
                ) {
                    (None, _, _) => problem(
                        "invalid",
                        Some(Field::Kind),
                        format!("动态调整类型“{raw_kind}”无效，应为“新增”或“退出”"),
                    ),
                    (_, None, _) => problem("invalid", Some(Field::Category), format!("人员类别“{raw_cat}”无法识别")),
                    (_, _, None) => problem(
                        "invalid",
                        Some(Field::Date),
                        format!("日期“{raw_date}”无效（可写作2022-09-01、2022/9/1或2022年9月1日）"),
                    ),
                    (_, _, Some(d)) if d > today => {
                        problem("invalid", Some(Field::Date), format!("调整时间{d}晚于今天"))
                    }
                    (Some(k), Some(c), Some(d)) => {
                        r.kind = Some(k);
                        r.category = Some(c);
                        r.date = Some(d);
                        match r.phone.as_deref() {
                            Some(p) if !is_mobile(p) => {
                                problem("invalid", Some(Field::Phone), format!("联系电话“{p}”应为11位手机号码"))
                            }
                            _ => Verdict::Valid,
                        }
                    }
                }
            }
        };
        let (town, village) = (text(c_town), text(c_village));
        if !village.is_empty() {
            r.village = if town.is_empty() {
                only_village(village)
            } else {
                by_town
                    .get(town)
                    .and_then(|v| v.get(village))
                    .cloned()
                    .or_else(|| only_village(village))
            };
        }
        rows.push(r);
    }

    // Duplicates and contradictions inside the file.
    let mut first: FxHashMap<(u64, Category, Kind), u64> = FxHashMap::default();
    let mut kinds: FxHashMap<(u64, Category), u8> = FxHashMap::default();
    let bit = |k: Kind| if k == Kind::Add { 1u8 } else { 2 };
    for r in rows.iter_mut().filter(|r| matches!(r.verdict, Verdict::Valid)) {
        let (Some(id), Some(c), Some(k)) = (&r.id, r.category, r.kind) else {
            continue;
        };
        let key = id_key(id);
        match first.entry((key, c, k)) {
            std::collections::hash_map::Entry::Occupied(line) => {
                r.verdict = problem("duplicate", Some(Field::IdNumber), format!("与第{}行重复", line.get()));
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(r.line);
                *kinds.entry((key, c)).or_default() |= bit(k);
            }
        }
    }
    for r in rows.iter_mut().filter(|r| matches!(r.verdict, Verdict::Valid)) {
        let (Some(id), Some(c)) = (&r.id, r.category) else {
            continue;
        };
        if kinds.get(&(id_key(id), c)) == Some(&3) {
            r.verdict = problem(
                "conflict",
                Some(Field::Kind),
                format!("本文件中此人的“{}”既有新增又有退出，请核实", c.name_zh()),
            );
        }
    }

    // What the database knows about these people (in chunks).
    let mut unique: FxHashSet<&str> = FxHashSet::default();
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Valid))
        .filter_map(|r| r.id.as_ref().map(IdNumber::as_str))
        .filter(|id| unique.insert(id))
        .collect();
    let Lookup {
        known,
        flagged,
        open,
        ledger,
    } = store::lookup(&state.db, &ids).await?;
    drop(ids);
    drop(unique);

    // The pack per area, looked up once per area rather than once per row.
    let mut packs: HashMap<String, Option<&'s PolicyPack>> = HashMap::new();
    let my_department = actor.account.department.as_deref();
    for r in rows.iter_mut() {
        if !matches!(r.verdict, Verdict::Valid) {
            continue;
        }
        let (Some(id), Some(c), Some(k)) = (&r.id, r.category, r.kind) else {
            continue;
        };
        let person = known.get(id.as_str());
        let area = person.and_then(|p| p.area.as_deref()).or(r.village.as_deref());
        let Some(area) = area else {
            r.verdict = problem(
                "invalid",
                Some(Field::Village),
                "系统中没有此人，且乡镇街道、村社区无法对应到您辖区内的村（社区）".to_owned(),
            );
            continue;
        };
        if !area.starts_with(&scope) {
            r.verdict = problem(
                "conflict",
                Some(Field::IdNumber),
                format!("此人登记在其他地区（{area}），不在您的管辖范围内"),
            );
            continue;
        }
        if person.is_none() && k == Kind::Add && r.name.is_none() {
            r.verdict = problem(
                "invalid",
                Some(Field::Name),
                "系统中没有此人，新增时请填写姓名".to_owned(),
            );
            continue;
        }
        let pack = match packs.get(area) {
            Some(p) => *p,
            None => {
                let p = policies.speaking_for(area, today);
                packs.insert(area.to_owned(), p);
                p
            }
        };
        let Some(pack) = pack else {
            r.verdict = problem("invalid", Some(Field::Village), "此地区暂无参保政策".to_owned());
            continue;
        };
        let Some(rule) = pack.categories.iter().find(|x| x.category == c) else {
            r.verdict = problem(
                "invalid",
                Some(Field::Category),
                format!("{}的政策不资助“{}”", pack.jurisdiction, c.name_zh()),
            );
            continue;
        };
        let dept = rule.certified_by.as_deref().unwrap_or("civil_affairs");
        if let Some(mine) = my_department {
            if mine != dept {
                let name = crate::model::Department::from_code(dept).map_or(dept, |d| d.name_zh());
                r.verdict = problem(
                    "invalid",
                    Some(Field::Category),
                    format!("“{}”由{name}认定，不属于本部门", c.name_zh()),
                );
                continue;
            }
        }
        let pid = person.map(|p| p.person_id);
        let noted = pid.and_then(|p| ledger.get(&p));
        match (k, noted) {
            (Kind::Add, Some((year, reason))) if reason == "deceased" || reason == "employee_insurance" => {
                let what = if reason == "deceased" {
                    "已死亡"
                } else {
                    "参加职工医保"
                };
                r.verdict = problem(
                    "conflict",
                    Some(Field::IdNumber),
                    format!("未参保台账记录此人{what}（{year}年度），请核实后再新增"),
                );
                continue;
            }
            _ => {}
        }
        match k {
            Kind::Add if pid.is_some_and(|p| open.contains(&(p, c.code().to_owned()))) => {
                r.verdict = problem(
                    "duplicate",
                    Some(Field::Category),
                    format!("此人已有“{}”的认定或在办申请", c.name_zh()),
                );
                continue;
            }
            Kind::Exit if !pid.is_some_and(|p| flagged.contains_key(&(p, c.code().to_owned()))) => {
                r.verdict = problem(
                    "conflict",
                    Some(Field::Kind),
                    format!("此人没有有效的“{}”认定，无法退出", c.name_zh()),
                );
                continue;
            }
            _ => {}
        }
        r.certifier = Some((dept, pack.id.as_str()));
    }
    Ok(Analysis {
        rows,
        columns,
        known,
        flagged,
    })
}

pub(super) fn report(a: &Analysis, import_id: i64, file_name: &str, applied: bool) -> ImportReport {
    let mut r = ImportReport {
        import_id,
        file_name: file_name.to_owned(),
        applied,
        rows_total: a.rows.len() as u64,
        valid: 0,
        invalid: 0,
        duplicate: 0,
        conflict: 0,
        adds: 0,
        exits: 0,
        new_people: 0,
        problems: Vec::new(),
    };
    for row in &a.rows {
        match &row.verdict {
            Verdict::Valid => {
                r.valid += 1;
                match row.kind {
                    Some(Kind::Add) => r.adds += 1,
                    _ => r.exits += 1,
                }
                if row.id.as_ref().is_some_and(|i| !a.known.contains_key(i.as_str())) {
                    r.new_people += 1;
                }
            }
            Verdict::Problem { outcome, .. } => {
                match *outcome {
                    "invalid" => r.invalid += 1,
                    "duplicate" => r.duplicate += 1,
                    _ => r.conflict += 1,
                }
                if r.problems.len() < PROBLEMS_SHOWN {
                    r.problems.push(problem_view(a, row));
                }
            }
        }
    }
    r
}

pub(super) fn problem_view(a: &Analysis, row: &Row) -> ImportProblem {
    let Verdict::Problem {
        outcome,
        column,
        message,
    } = &row.verdict
    else {
        unreachable!("only problems are viewed")
    };
    ImportProblem {
        line: row.line,
        outcome: (*outcome).to_owned(),
        column: column.map(|c| {
            a.columns
                .get(&c)
                .map_or_else(|| field_label(c).to_owned(), |(_, h)| h.clone())
        }),
        message: message.clone(),
        id_number_masked: row.id.as_ref().map(|i| i.masked()),
    }
}

pub(super) fn may_import(actor: &Actor) -> Result<(), AppError> {
    if matches!(actor.role, Role::DepartmentOfficer | Role::BureauOfficer) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "lists_forbidden",
            "只有认定部门和医保局经办人员可以导入动态调整名单",
            "Only department and bureau officers import adjustment lists",
        ))
    }
}

/// The dry run: reads and checks the file, stores it for the confirmation, writes nothing else.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    client_ip: &str,
) -> Result<ImportReport, AppError> {
    may_import(actor)?;
    let mut laps = Laps::start();
    let parsed = parse_off_thread(bytes.to_vec()).await?;
    let parse_ms = laps.lap();
    let kind = parsed.kind;
    let policies = state.policies.current();
    let analysis = analyse(state, &policies, actor, parsed).await?;
    let analyse_ms = laps.lap();
    let name: String = file_name.chars().filter(|c| !c.is_control()).take(100).collect();
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let now = state.clock.now();
    let mut r = report(&analysis, 0, &name, false);
    let detail = format!("rows {} valid {}", r.rows_total, r.valid);
    let import = store::NewImport {
        file_name: &name,
        kind,
        sha256: &sha,
        body: bytes,
        rows_total: r.rows_total as i64,
        rows_valid: r.valid as i64,
        now,
    };
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "adjustment_list_previewed",
        subject: None,
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    // The stored file and its audit entry (subject: the import) commit together.
    let id = store::insert_import(&state.db, actor, &import, &entry).await?;
    r.import_id = id;
    tracing::info!(
        import = id,
        rows = r.rows_total,
        parse_ms,
        analyse_ms,
        store_ms = laps.lap(),
        "adjustment list previewed"
    );
    Ok(r)
}
