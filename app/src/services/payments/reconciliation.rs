//! The tax bureau's reconciliation file, matched against recorded payments.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use domain::Money;
use serde::{Deserialize, Serialize};

use super::*;
use crate::error::AppError;
use crate::model::Role;
use crate::services::access::Actor;
use crate::services::enrolment::store::{self as store, EnrolmentRow};
use crate::services::AppState;

/// One row that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReconciliationException {
    pub line: usize,
    pub id_number_masked: String,
    pub transaction_id: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReconciliationReport {
    pub import_id: i64,
    pub rows_total: usize,
    pub applied: usize,
    pub duplicates: usize,
    pub exceptions: Vec<ReconciliationException>,
}

pub const RECONCILIATION_HEADER: [&str; 6] = [
    "id_number",
    "insurance_year",
    "amount",
    "paid_at",
    "channel",
    "transaction_id",
];

pub(super) fn parse_paid_at(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    domain::dates::SHANGHAI
        .from_local_datetime(&local)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Imports a reconciliation CSV (`id_number, insurance_year, amount, paid_at, channel,
/// transaction_id`). Matching unpaid enrolments are marked paid; rows already imported
/// are counted as duplicates; the rest become exceptions. One transaction for the file.
#[tracing::instrument(skip_all, fields(actor = actor.account.id))]
pub async fn import_reconciliation(
    state: &AppState,
    actor: &Actor,
    file_name: &str,
    text: &str,
    client_ip: &str,
) -> Result<ReconciliationReport, AppError> {
    if !matches!(actor.role, Role::BureauOfficer | Role::Admin) {
        return Err(AppError::forbidden(
            "bureau_only",
            "只有医保局工作人员可以导入对账文件",
            "Only bureau officers import reconciliation files",
        ));
    }
    let scope = actor.staff_scope()?.to_owned();
    // The shared CSV reader (BOM, quoting, a malformed line named); cells are trimmed here.
    let mut table = crate::services::sheets::read_csv(text)?.into_iter();
    let headers: Vec<String> = table
        .next()
        .map(|(_, cells)| cells.iter().map(|h| h.trim().to_lowercase()).collect())
        .ok_or_else(|| bad_file("无法读取表头", "Cannot read the header row"))?;
    if headers != RECONCILIATION_HEADER {
        return Err(bad_file(
            &format!("表头应为：{}", RECONCILIATION_HEADER.join(",")),
            &format!("The header must be: {}", RECONCILIATION_HEADER.join(",")),
        ));
    }
    let db = &state.db;
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (line, rec) in table {
        let line = line as usize;
        let get = |k: usize| rec.get(k).map_or_else(String::new, |c| c.trim().to_owned());
        let (id_number, year_text, amount_text, paid_text, transaction_id) = (get(0), get(1), get(2), get(3), get(5));
        let year = year_text.parse::<i32>().ok();
        let ex = |code: &'static str, msg: String| Verdict::Exception(code, msg);
        let verdict = if rec.len() != 6 {
            ex("columns", format!("应有6列，实有{}列", rec.len()))
        } else if transaction_id.is_empty() {
            ex("transaction_id_missing", "缺少交易流水号".into())
        } else if !seen.insert(transaction_id.clone())
            || store::payment_by_transaction(db, &transaction_id).await?.is_some()
        {
            Verdict::Duplicate
        } else {
            match (
                domain::IdNumber::parse(&id_number),
                year,
                amount_text.parse::<Money>(),
                parse_paid_at(&paid_text),
            ) {
                (Err(e), ..) => ex("id_number_invalid", format!("身份证号码无效：{e}")),
                (_, None, ..) => ex("year_invalid", format!("参保年度“{year_text}”无效")),
                (_, _, Err(e), _) => ex("amount_invalid", format!("金额无效：{e}")),
                (_, _, _, None) => ex("paid_at_invalid", format!("缴费时间“{paid_text}”无效")),
                (Ok(id), Some(y), Ok(amount), Some(paid_at)) => {
                    match store::person_by_id_number(db, id.as_str()).await? {
                        None => ex("unknown_person", "系统中没有此人".into()),
                        Some(p) => match store::enrolment_for(db, p.id, y).await? {
                            None => ex("no_enrolment", format!("此人没有{y}年度的参保登记")),
                            Some(e) => {
                                let area = match e.household_id {
                                    Some(h) => store::household(db, h).await?.map(|h| h.area_code),
                                    None => p.area_code.clone(),
                                }
                                .unwrap_or_default();
                                if !area.starts_with(&scope) {
                                    ex("out_of_scope", "此人不在您的管辖范围内".into())
                                } else if e.status != "unpaid" {
                                    ex("already_paid", "该参保登记已缴费".into())
                                } else if amount.to_fen() != e.due_fen {
                                    ex(
                                        "amount_mismatch",
                                        format!("金额{amount}元与应缴{}元不一致", Money::from_fen(e.due_fen)),
                                    )
                                } else {
                                    Verdict::Apply {
                                        enrolment: Box::new(e),
                                        paid_at,
                                    }
                                }
                            }
                        },
                    }
                }
            }
        };
        rows.push(Row {
            line,
            id_number,
            year,
            amount_text,
            transaction_id,
            verdict,
        });
    }
    if rows.is_empty() {
        return Err(bad_file("文件中没有数据行", "The file has no data rows"));
    }
    let settled = {
        let applying: Vec<EnrolmentRow> = rows
            .iter()
            .filter_map(|r| match &r.verdict {
                Verdict::Apply { enrolment, .. } => Some((**enrolment).clone()),
                _ => None,
            })
            .collect();
        settle(state, &applying).await?
    };
    let written = write_reconciliation(state, actor, file_name, client_ip, &rows, &settled).await?;
    let exceptions = written
        .exceptions
        .into_iter()
        .map(|(i, code, message)| {
            let r = &rows[i];
            ReconciliationException {
                line: r.line,
                id_number_masked: domain::IdNumber::parse(&r.id_number)
                    .map(|i| i.masked())
                    .unwrap_or_else(|_| "（无效）".into()),
                transaction_id: r.transaction_id.clone(),
                reason: code.to_owned(),
                message,
            }
        })
        .collect();
    let (import_id, applied, duplicates) = (written.import_id, written.applied, written.duplicates);
    Ok(ReconciliationReport {
        import_id,
        rows_total: rows.len(),
        applied,
        duplicates,
        exceptions,
    })
}

pub(super) fn bad_file(zh: &str, en: &str) -> AppError {
    AppError::invalid("file", "reconciliation_file_invalid", zh, en)
}
