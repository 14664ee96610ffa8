//! Applying a previewed list: everything to write is worked out here, then written in one
//! transaction by `store::apply_list`.

use rustc_hash::{FxHashMap, FxHashSet};

use super::store;
use super::*;
use crate::error::{AppError, UserMessage};
use crate::model::ImportReport;
use crate::services::access::Actor;
use crate::services::AppState;

pub(super) struct Stored {
    pub(super) file_name: String,
    pub(super) body: Vec<u8>,
    pub(super) uploaded_by: i64,
    pub(super) status: String,
}

/// A stored list, for the officer who uploaded it only (anyone else: unknown).
pub(super) async fn stored(state: &AppState, actor: &Actor, id: i64) -> Result<Stored, AppError> {
    may_import(actor)?;
    let (file_name, body, uploaded_by, status) = store::import_file(&state.db, id)
        .await?
        .filter(|r| r.2 == actor.account.id)
        .ok_or_else(|| AppError::not_found("import_not_found", "未找到该导入记录", "No such import"))?;
    Ok(Stored {
        file_name,
        body,
        uploaded_by,
        status,
    })
}

/// Applies a previewed list: valid rows in one transaction, problems to the review queue.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn apply(state: &AppState, actor: &Actor, id: i64, client_ip: &str) -> Result<ImportReport, AppError> {
    let mut laps = Laps::start();
    let s = stored(state, actor, id).await?;
    if s.status != "previewed" {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    let read_ms = laps.lap();
    let parsed = parse_off_thread(s.body.clone()).await?;
    let parse_ms = laps.lap();
    let policies = state.policies.current();
    let analysis = analyse(state, &policies, actor, parsed).await?;
    let analyse_ms = laps.lap();
    let r = report(&analysis, id, &s.file_name, true);
    let now = state.clock.now();

    // Everything to write, worked out before the transaction.
    let scope = actor.staff_scope()?.to_owned();
    let mut people: Vec<store::NewPerson> = Vec::new();
    let mut seen_new = FxHashSet::default();
    let mut adds: Vec<&Row> = Vec::new();
    let mut exits: Vec<store::Exit> = Vec::new();
    for row in &analysis.rows {
        if !matches!(row.verdict, Verdict::Valid) {
            continue;
        }
        let Some(idn) = &row.id else { continue };
        match row.kind {
            Some(Kind::Add) => {
                if !analysis.known.contains_key(idn.as_str()) && seen_new.insert(idn.as_str()) {
                    people.push(store::NewPerson {
                        id_number: idn.as_str(),
                        name: row.name.as_deref().unwrap_or_default(),
                        birth_date: idn.birth_date(),
                        sex: if idn.sex() == domain::Sex::Male {
                            "male"
                        } else {
                            "female"
                        },
                        phone: row.phone.as_deref(),
                        area: row.village.as_deref().unwrap_or_default(),
                    });
                }
                adds.push(row);
            }
            Some(Kind::Exit) => {
                let pid = analysis.known[idn.as_str()].person_id;
                let cat = row.category.map(|c| c.code().to_owned()).unwrap_or_default();
                if let Some(cid) = analysis.flagged.get(&(pid, cat)) {
                    let date = row.date.map(|d| d.to_string()).unwrap_or_default();
                    exits.push(store::Exit {
                        certification_id: *cid,
                        valid_until: row.date,
                        note: format!("动态调整名单#{id} 第{}行 退出 {date}", row.line),
                    });
                }
            }
            None => {}
        }
    }
    let problems: Vec<store::Problem> = analysis
        .rows
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Valid))
        .map(|row| {
            let p = problem_view(&analysis, row);
            store::Problem {
                line: row.line as i64,
                message: match &p.column {
                    Some(c) => format!("【{c}】{}", p.message),
                    None => p.message.clone(),
                },
                id_number_masked: p.id_number_masked,
                category: row.category.map(|c| c.code()),
                kind: row.kind.map(Kind::code),
                outcome: p.outcome,
            }
        })
        .collect();
    let by = store::Writer {
        account_id: s.uploaded_by,
        role: actor.role.code(),
        at: now,
        import_id: id,
    };

    let plan_ms = laps.lap();
    let subject = format!("import {id} {}", s.file_name);
    let detail = format!(
        "adds {} exits {} new people {} problems {}",
        r.adds,
        r.exits,
        r.new_people,
        r.rows_total - r.valid
    );
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(by.account_id),
        action: "adjustment_list_applied",
        subject: Some(&subject),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(&scope),
    };
    let plan = store::ListPlan {
        people: &people,
        exits: &exits,
        problems: &problems,
        by: &by,
        report_json: serde_json::to_string(&r).unwrap_or_default(),
        audit: &entry,
    };
    // The certifications need the new people's ids, known only inside the transaction.
    let certs_for = |new_ids: &FxHashMap<String, i64>| -> Vec<store::NewCert> {
        adds.iter()
            .map(|row| {
                let idn = row.id.as_ref().expect("valid rows have an ID").as_str();
                let known = analysis.known.get(idn);
                let (department, policy_id) = row.certifier.unwrap_or_default();
                store::NewCert {
                    person_id: known
                        .map(|k| k.person_id)
                        .or_else(|| new_ids.get(idn).copied())
                        .unwrap_or_default(),
                    category: row.category.map(|c| c.code()).unwrap_or_default(),
                    department,
                    policy_id,
                    area: known
                        .and_then(|k| k.area.as_deref())
                        .or(row.village.as_deref())
                        .unwrap_or(&scope),
                    line: row.line as i64,
                    listed_on: row.date,
                }
            })
            .collect()
    };
    let (applied, people_ms, certifications_ms) = store::apply_list(&state.db, &plan, certs_for, &mut laps).await?;
    if !applied {
        return Err(AppError::Conflict(UserMessage::new(
            "already_applied",
            None,
            "该名单已导入，不能重复导入",
            "This list has already been applied",
        )));
    }
    tracing::info!(
        import = id,
        rows = r.rows_total,
        read_ms,
        parse_ms,
        analyse_ms,
        plan_ms,
        people_ms,
        certifications_ms,
        rest_ms = laps.lap(),
        "adjustment list applied"
    );
    Ok(r)
}
