//! The roster of who should enrol (应参保人员), imported from a township's or the bureau's
//! spreadsheet: people the system does not know yet are registered in their village, so
//! the unenrolled ledger and the reports count them from then on (the ledger is the
//! register minus the enrolled). Every row is checked first; any problem and nothing is
//! written.

use std::collections::HashMap;

use domain::IdNumber;
use serde::{Deserialize, Serialize};

use super::store;
use crate::error::AppError;
use crate::model::{AreaLevel, ImportProblem, Role};
use crate::services::access::Actor;
use crate::services::sheets::read_columns;
use crate::services::AppState;

/// Files larger than this are refused before they are read.
pub const MAX_ROSTER_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Rows per multi-row INSERT.
const CHUNK: usize = 500;

/// The outcome: how many people were registered and how many were known already (in the
/// same area), or every problem (nothing written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RosterImport {
    pub added: usize,
    pub known: usize,
    pub problems: Vec<ImportProblem>,
}

fn may_import(actor: &Actor) -> Result<String, AppError> {
    match (actor.role, actor.scope()) {
        (Role::TownshipOfficer | Role::BureauOfficer, Some(scope)) => Ok(scope.to_owned()),
        _ => Err(AppError::forbidden(
            "roster_forbidden",
            "只有乡镇和医保局经办人员可以导入应参保人员名单",
            "Only township and bureau officers import the roster",
        )),
    }
}

/// Header aliases (trimmed, lower-cased): area code, village, township, name, ID number,
/// phone, hukou.
fn column(header: &str) -> Option<&'static str> {
    match header {
        "区划代码" | "地区代码" | "area_code" | "area code" => Some("code"),
        "村社区" | "村（社区）" | "村(社区)" | "village" => Some("village"),
        "乡镇街道" | "乡镇（街道）" | "乡镇(街道)" | "township" => Some("township"),
        "姓名" | "name" => Some("name"),
        "身份证号码" | "身份证号" | "公民身份号码" | "id_number" | "id number" => Some("id"),
        "联系电话" | "电话" | "手机号码" | "phone" => Some("phone"),
        "户籍" | "户籍性质" | "户籍类型" | "hukou" => Some("hukou"),
        _ => None,
    }
}

/// "本地"/"外地" as household registration; empty means local.
fn parse_hukou(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "本地" | "本地户籍" | "本区" | "local" => Some(true),
        "外地" | "非本地" | "外地户籍" | "非本地户籍" | "non-local" | "nonlocal" => Some(false),
        _ => None,
    }
}

/// Imports a roster from CSV or XLSX: 村社区 (a name within the officer's scope, with
/// 乡镇街道 to tell two of a name apart) or 区划代码, 姓名, 身份证号码, and optionally
/// 联系电话 and 户籍 (本地/外地).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn import(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    client_ip: &str,
) -> Result<RosterImport, AppError> {
    let scope = may_import(actor)?;
    let (cols, rows) = read_columns(bytes.to_vec(), MAX_ROSTER_FILE_BYTES, column).await?;
    let find = |k: &str| cols.find(k);
    let (code_col, village_col, township_col) = (find("code"), find("village"), find("township"));
    let (name_col, id_col, phone_col, hukou_col) = (find("name"), find("id"), find("phone"), find("hukou"));
    if (code_col.is_none() && village_col.is_none()) || name_col.is_none() || id_col.is_none() {
        return Err(AppError::invalid(
            "file",
            "columns_missing",
            "文件需要“村社区”（或“区划代码”）、“姓名”和“身份证号码”三列",
            "The file needs the columns village (or area_code), name and id_number",
        ));
    }
    let areas = crate::store::areas::list(&state.db).await?;
    let by_code: HashMap<&str, &crate::model::AreaNode> = areas.iter().map(|a| (a.code.as_str(), a)).collect();
    // People live in villages, or in a township that has none (the education system).
    let is_home = |a: &crate::model::AreaNode| {
        a.level == AreaLevel::Village
            || (a.level == AreaLevel::Township && !areas.iter().any(|c| c.parent.as_deref() == Some(a.code.as_str())))
    };
    let mut problems = Vec::new();
    let mut good: Vec<(u64, IdNumber, String, Option<String>, String, bool)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let header = |c: Option<usize>| cols.header(c);
    for (line, row) in &rows {
        let line = *line;
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim()).unwrap_or("");
        let before = problems.len();
        let mut problem = |outcome: &str, column: Option<usize>, zh: String, masked: Option<String>| {
            problems.push(ImportProblem {
                line,
                outcome: outcome.into(),
                column: header(column),
                message: zh,
                id_number_masked: masked,
            })
        };
        // Where: a code, else a village name (narrowed by the township's when given).
        let area = match (cell(code_col), cell(village_col)) {
            (c, _) if !c.is_empty() => match by_code.get(c) {
                None => {
                    problem("invalid", code_col, format!("区划代码“{c}”不存在"), None);
                    None
                }
                Some(a) if !a.code.starts_with(&scope) => {
                    return Err(AppError::forbidden(
                        "out_of_scope",
                        format!("第{line}行：{}不在您的管辖范围内；未导入任何人员", a.name),
                        format!("Line {line}: {} is outside your area; nothing was imported", a.name_en),
                    ));
                }
                Some(a) if !is_home(a) => {
                    problem("invalid", code_col, format!("“{}”不是村（社区）", a.name), None);
                    None
                }
                Some(a) => Some(a.code.clone()),
            },
            (_, v) if !v.is_empty() => {
                let town = cell(township_col);
                let found: Vec<&crate::model::AreaNode> = areas
                    .iter()
                    .filter(|a| (a.name == v || a.name_en == v) && is_home(a) && a.code.starts_with(&scope))
                    .filter(|a| {
                        town.is_empty()
                            || a.parent
                                .as_deref()
                                .and_then(|p| by_code.get(p))
                                .is_some_and(|p| p.name == town || p.name_en == town)
                            || a.level == AreaLevel::Township && (a.name == town || a.name_en == town)
                    })
                    .collect();
                match found.as_slice() {
                    [one] => Some(one.code.clone()),
                    [] => {
                        problem(
                            "invalid",
                            village_col,
                            format!("您的管辖范围内没有名为“{v}”的村（社区）"),
                            None,
                        );
                        None
                    }
                    _ => {
                        problem(
                            "invalid",
                            village_col,
                            format!("“{v}”对应多个村（社区），请填写乡镇街道或区划代码"),
                            None,
                        );
                        None
                    }
                }
            }
            _ => {
                problem("invalid", village_col.or(code_col), "缺少村（社区）".into(), None);
                None
            }
        };
        let name = cell(name_col);
        if name.is_empty() || name.chars().count() > 50 {
            problem("invalid", name_col, "姓名为空或过长".into(), None);
        }
        let id = match IdNumber::parse(cell(id_col)) {
            Ok(id) => Some(id),
            Err(e) => {
                problem("invalid", id_col, e.to_string(), None);
                None
            }
        };
        let phone = cell(phone_col);
        if !phone.is_empty() && !crate::services::sheets::is_mobile(phone) {
            problem(
                "invalid",
                phone_col,
                format!("联系电话“{phone}”不是11位手机号码"),
                id.as_ref().map(|i| i.masked()),
            );
        }
        let hukou = parse_hukou(cell(hukou_col));
        if hukou.is_none() {
            problem(
                "invalid",
                hukou_col,
                format!("户籍“{}”无效，请填写本地或外地", cell(hukou_col)),
                None,
            );
        }
        if let Some(id) = &id {
            if let Some(first) = seen.insert(id.as_str().to_owned(), line) {
                problem("duplicate", id_col, format!("与第{first}行重复"), Some(id.masked()));
            }
        }
        if problems.len() == before {
            if let (Some(area), Some(id), Some(hukou)) = (area, id, hukou) {
                good.push((
                    line,
                    id,
                    name.to_owned(),
                    (!phone.is_empty()).then(|| phone.to_owned()),
                    area,
                    hukou,
                ));
            }
        }
    }
    // Who is known already: in the same area nothing changes; elsewhere it is a conflict
    // (moving someone is a change of household, not a roster's business).
    let mut known: HashMap<String, String> = HashMap::new();
    for chunk in good.chunks(CHUNK) {
        let ids: Vec<&str> = chunk.iter().map(|g| g.1.as_str()).collect();
        known.extend(store::areas_of(&state.db, &ids).await?);
    }
    let mut new_people = Vec::new();
    let mut already = 0;
    for (line, id, name, phone, area, hukou) in good {
        match known.get(id.as_str()) {
            Some(a) if *a == area => already += 1,
            Some(a) => {
                let place = by_code.get(a.as_str()).map_or(a.clone(), |n| n.name.clone());
                problems.push(ImportProblem {
                    line,
                    outcome: "conflict".into(),
                    column: header(id_col),
                    message: format!("此人已登记在{place}，如已迁入请先办理户籍迁移"),
                    id_number_masked: Some(id.masked()),
                });
            }
            None => new_people.push((id, name, phone, area, hukou)),
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Ok(RosterImport {
            added: 0,
            known: 0,
            problems,
        });
    }
    let now = state.clock.now();
    let detail = format!("added {} known {}", new_people.len(), already);
    // The people and the audit entry that records them commit together.
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "roster_imported",
        subject: Some(file_name),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    store::insert_roster(&state.db, &new_people, CHUNK, &entry, now).await?;
    Ok(RosterImport {
        added: new_people.len(),
        known: already,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header as an import names it, through the same reading as a file's.
    fn named(h: &str) -> Option<&'static str> {
        crate::services::sheets::Columns::new(vec![h.to_owned()], column).key(0)
    }

    #[test]
    fn headers_and_hukou_are_read_as_townships_write_them() {
        assert_eq!(named("\u{feff}村（社区）"), Some("village"));
        assert_eq!(named("公民身份号码"), Some("id"));
        assert_eq!(named("ID Number"), Some("id"));
        assert_eq!(named("备注"), None);
        assert_eq!(parse_hukou(""), Some(true));
        assert_eq!(parse_hukou("外地"), Some(false));
        assert_eq!(parse_hukou("Non-local"), Some(false));
        assert_eq!(parse_hukou("火星"), None);
    }
}
