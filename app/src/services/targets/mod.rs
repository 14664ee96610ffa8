//! Targets (任务数) per area and insurance year: seeded from the notices, edited by bureau
//! officers, imported from XLSX or CSV (all rows or none).

use serde::{Deserialize, Serialize};

pub mod store;

use crate::error::AppError;
use crate::model::{area_prefix, ImportProblem, Role, TargetView};
use crate::services::access::Actor;
use crate::services::AppState;

/// Largest target accepted (a whole province is far below it).
const MAX_TARGET: i64 = 100_000_000;
/// Largest target file accepted.
pub const MAX_TARGET_FILE_BYTES: usize = 5 * 1024 * 1024;

/// `PUT /api/v1/targets/{area}/{year}` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetRequest {
    pub count: i64,
}

/// The outcome of an import: how many targets were set, or every problem (nothing set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetImport {
    pub applied: usize,
    pub problems: Vec<ImportProblem>,
}

/// A year as written in a path or a form field.
pub fn parse_year(s: &str) -> Result<i32, AppError> {
    s.parse().map_err(|_| {
        AppError::invalid(
            "year",
            "year_invalid",
            "年度应为整数",
            "The year must be a whole number",
        )
    })
}

fn may_view(actor: &Actor) -> Result<&str, AppError> {
    match actor.role {
        Role::Resident => Err(AppError::forbidden(
            "targets_forbidden",
            "只有工作人员可以查看任务数",
            "Only staff can see targets",
        )),
        _ => actor.staff_scope(),
    }
}

fn may_edit(actor: &Actor) -> Result<&str, AppError> {
    match actor.role {
        Role::BureauOfficer | Role::Admin => actor.staff_scope(),
        _ => Err(AppError::forbidden(
            "targets_edit_forbidden",
            "只有医保局经办人员可以修改任务数",
            "Only bureau officers can change targets",
        )),
    }
}

/// Targets under an area (default: the viewer's scope), newest year first.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn list(state: &AppState, actor: &Actor, area: Option<&str>) -> Result<Vec<TargetView>, AppError> {
    may_view(actor)?;
    let area = crate::services::access::area_within(actor, area)?;
    let prefix = if area.len() == 6 {
        area_prefix(&area).to_owned()
    } else {
        area
    };
    let rows = store::under(&state.db, &prefix).await?;
    Ok(rows
        .into_iter()
        .map(|r| TargetView {
            area_code: r.area_code,
            area_name: r.name,
            area_name_en: r.name_en,
            insurance_year: r.insurance_year,
            count: r.target_count,
            notice: r.notice,
            clause: r.clause,
            assumed: r.assumed,
            updated_by: r.updated_by,
        })
        .collect())
}

/// What is wrong with a target: the field, in Chinese and in English.
type Problem = (&'static str, String, String);

/// Checks one target; `Err((field, zh, en))` names what is wrong.
async fn check(
    state: &AppState,
    scope: &str,
    area: &str,
    year: i32,
    count: i64,
) -> Result<Result<(), Problem>, AppError> {
    if crate::store::areas::get(&state.db, area).await?.is_none() {
        return Ok(Err((
            "area",
            format!("未找到区划代码 {area}"),
            format!("No area with code {area}"),
        )));
    }
    if !area_prefix(area).starts_with(scope) {
        return Ok(Err((
            "scope",
            format!("地区 {area} 不在您的管辖范围内"),
            format!("Area {area} is outside your scope"),
        )));
    }
    if !(2000..=2100).contains(&year) {
        return Ok(Err((
            "year",
            "年度应在2000到2100之间".into(),
            "The year must be 2000–2100".into(),
        )));
    }
    if !(0..=MAX_TARGET).contains(&count) {
        return Ok(Err((
            "count",
            format!("任务数应为0到{MAX_TARGET}之间的整数"),
            format!("The target must be a whole number from 0 to {MAX_TARGET}"),
        )));
    }
    Ok(Ok(()))
}

/// Sets one target by hand (the seed will not overwrite it).
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn set(
    state: &AppState,
    actor: &Actor,
    area: &str,
    year: i32,
    count: i64,
    client_ip: &str,
) -> Result<TargetView, AppError> {
    let scope = may_edit(actor)?.to_owned();
    if let Err((field, zh, en)) = check(state, &scope, area, year, count).await? {
        return Err(if field == "area" {
            AppError::not_found("area_not_found", zh, en)
        } else if field == "scope" {
            AppError::forbidden("out_of_scope", zh, en)
        } else {
            AppError::invalid(field, &format!("{field}_invalid"), zh, en)
        });
    }
    let now = state.clock.now();
    let (notice, clause) = source(actor, state);
    let subject = format!("{area} {year}");
    let detail = count.to_string();
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "target_set",
        subject: Some(&subject),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: Some(area),
    };
    // The target and its audit entry commit together.
    store::set_all(
        &state.db,
        &[(area, year, count)],
        (&notice, &clause),
        actor.account.id,
        now,
        &entry,
    )
    .await?;
    list(state, actor, Some(area))
        .await?
        .into_iter()
        .find(|t| t.area_code == area && t.insurance_year == year)
        .ok_or_else(|| AppError::internal("targets", "target vanished after set"))
}

fn source(actor: &Actor, state: &AppState) -> (String, String) {
    (
        "经办人员录入".to_owned(),
        format!("{} 于 {} 设定", actor.account.display_name, state.clock.today()),
    )
}

/// Header aliases (trimmed, lower-cased): area code, area name, year, count.
fn column(header: &str) -> Option<&'static str> {
    match header {
        "区划代码" | "地区代码" | "行政区划代码" | "area_code" | "area code" | "code" => Some("code"),
        "乡镇街道" | "乡镇（街道）" | "乡镇(街道)" | "村社区" | "村（社区）" | "地区" | "地区名称" | "area"
        | "area name" | "name" => Some("name"),
        "年度" | "参保年度" | "insurance_year" | "year" => Some("year"),
        "任务数" | "确定任务数" | "目标人数" | "target" | "count" => Some("count"),
        _ => None,
    }
}

/// Imports targets from CSV or XLSX: area (code, or name within the officer's scope),
/// year, count. Every row is checked first; any problem and nothing is written.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn import(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    client_ip: &str,
) -> Result<TargetImport, AppError> {
    let scope = may_edit(actor)?.to_owned();
    let (cols, rows) = crate::services::sheets::read_columns(bytes.to_vec(), MAX_TARGET_FILE_BYTES, column).await?;
    let find = |k: &str| cols.find(k);
    let (code_col, name_col, year_col, count_col) = (find("code"), find("name"), find("year"), find("count"));
    if (code_col.is_none() && name_col.is_none()) || year_col.is_none() || count_col.is_none() {
        return Err(AppError::invalid(
            "file",
            "columns_missing",
            "文件需要“区划代码”（或“乡镇街道”）、“年度”和“任务数”三列",
            "The file needs the columns area_code (or area), year and count",
        ));
    }
    let areas = crate::store::areas::list(&state.db).await?;
    let mut problems = Vec::new();
    let mut good: Vec<(String, i32, i64)> = Vec::new();
    for (line, row) in &rows {
        let line = *line;
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map(|s| s.trim()).unwrap_or("");
        let mut problem = |outcome: &str, column: Option<String>, zh: String| {
            problems.push(ImportProblem {
                line,
                outcome: outcome.into(),
                column,
                message: zh,
                id_number_masked: None,
            })
        };
        let col = |c: Option<usize>| cols.header(Some(c.unwrap_or(0)));
        let code = match (cell(code_col), cell(name_col)) {
            (c, _) if !c.is_empty() => Some(c.to_owned()),
            (_, n) if !n.is_empty() => {
                let found: Vec<&crate::model::AreaNode> = areas
                    .iter()
                    .filter(|a| (a.name == n || a.name_en == n) && area_prefix(&a.code).starts_with(&scope))
                    .collect();
                match found.as_slice() {
                    [one] => Some(one.code.clone()),
                    [] => {
                        problem("invalid", col(name_col), format!("您的管辖范围内没有名为“{n}”的地区"));
                        None
                    }
                    _ => {
                        problem("invalid", col(name_col), format!("“{n}”对应多个地区，请改填区划代码"));
                        None
                    }
                }
            }
            _ => {
                problem("invalid", col(code_col.or(name_col)), "缺少地区".into());
                None
            }
        };
        let year = cell(year_col).trim_end_matches('年').parse::<i32>().ok();
        if year.is_none() {
            problem("invalid", col(year_col), format!("年度“{}”无效", cell(year_col)));
        }
        let count = parse_count(cell(count_col));
        if count.is_none() {
            problem(
                "invalid",
                col(count_col),
                format!("任务数“{}”不是整数", cell(count_col)),
            );
        }
        if let (Some(code), Some(year), Some(count)) = (code, year, count) {
            match check(state, &scope, &code, year, count).await? {
                Ok(()) => {
                    if good.iter().any(|(c, y, _)| *c == code && *y == year) {
                        problem("duplicate", None, format!("{code} {year}年的任务数在文件中重复"));
                    } else {
                        good.push((code, year, count));
                    }
                }
                Err(("scope", zh, en)) => {
                    // Someone else's area is refused outright, as a single edit would be.
                    return Err(AppError::forbidden(
                        "out_of_scope",
                        format!("第{line}行：{zh}；未导入任何任务数"),
                        format!("Line {line}: {en}; nothing was imported"),
                    ));
                }
                Err((field, zh, _)) => {
                    let which = match field {
                        "area" => code_col.or(name_col),
                        "year" => year_col,
                        _ => count_col,
                    };
                    problem("invalid", col(which), zh);
                }
            }
        }
    }
    if !problems.is_empty() {
        return Ok(TargetImport { applied: 0, problems });
    }
    let now = state.clock.now();
    let (notice, clause) = source(actor, state);
    let clause = format!("{clause}（导入 {file_name}）");
    let detail = format!("{} targets", good.len());
    let entry = crate::services::audit::store::AuditEntry {
        actor_account_id: Some(actor.account.id),
        action: "targets_imported",
        subject: Some(file_name),
        detail: Some(&detail),
        client_ip: Some(client_ip),
        area_code: actor.account.area_code.as_deref(),
    };
    let rows: Vec<(&str, i32, i64)> = good.iter().map(|(c, y, n)| (c.as_str(), *y, *n)).collect();
    store::set_all(&state.db, &rows, (&notice, &clause), actor.account.id, now, &entry).await?;
    Ok(TargetImport {
        applied: good.len(),
        problems,
    })
}

/// A whole number, also as a spreadsheet's "22611.0" or with thousands separators.
fn parse_count(s: &str) -> Option<i64> {
    let t: String = s
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let t = t.strip_suffix(".0").unwrap_or(&t);
    t.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header as an import names it, through the same reading as a file's.
    fn named(h: &str) -> Option<&'static str> {
        crate::services::sheets::Columns::new(vec![h.to_owned()], column).key(0)
    }

    #[test]
    fn counts_and_headers_are_read_the_way_spreadsheets_write_them() {
        assert_eq!(parse_count("22611"), Some(22_611));
        assert_eq!(parse_count("22611.0"), Some(22_611));
        assert_eq!(parse_count("22,611"), Some(22_611));
        assert_eq!(parse_count("2.5"), None);
        assert_eq!(parse_count("abc"), None);
        assert_eq!(named("确定任务数"), Some("count"));
        assert_eq!(named("\u{feff}区划代码"), Some("code"));
        assert_eq!(named("Year"), Some("year"));
        assert_eq!(named("备注"), None);
    }
}
