//! The audit log.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::certification::audit_entries;
use crate::components::loaded::loaded;
use crate::i18n::Lang;
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn AuditPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let get = move |k: &str| query.with(|m| m.get(k).filter(|s| !s.is_empty()));
    let args = move || {
        (
            get("action"),
            get("area"),
            get("from"),
            get("to"),
            get("before").and_then(|b| b.parse().ok()),
        )
    };
    let entries = Resource::new(args, |(a, ar, f, to, b)| audit_entries(a, ar, f, to, b));
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let (action, area, from, to, _) = args();
                let list = match loaded(entries.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                // Only a full page can have older entries behind it.
                let older = (list.len() >= crate::model::AUDIT_PAGE).then(|| list.last().map(|e| e.id)).flatten();
                let keep = (action.clone(), area.clone(), from.clone(), to.clone());
                view! {
                    <section class="card wide">
                        <h1>{t.audit_title}</h1>
                        <form method="get" action="/audit" class="filters">
                            <label for="a-action">{t.audit_action}</label>
                            <select id="a-action" name="action">
                                <option value="">{t.cert_all}</option>
                                {ACTIONS.iter().map(|&(code, zh, en)| view! {
                                    <option value=code selected=action.as_deref() == Some(code)>{lang.pick(zh, en)}</option>
                                }).collect_view()}
                            </select>
                            <label for="a-area">{t.cert_area}</label>
                            <input id="a-area" name="area" value=area.unwrap_or_default() inputmode="numeric"/>
                            <label for="a-from">{t.audit_from}</label>
                            <input id="a-from" type="date" name="from" value=from.unwrap_or_default()/>
                            <label for="a-to">{t.audit_to}</label>
                            <input id="a-to" type="date" name="to" value=to.unwrap_or_default()/>
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        <div class="table-scroll">
                            <table class="audit stack-narrow" data-testid="audit">
                                <thead><tr>
                                    <th>{t.audit_time}</th><th>{t.audit_actor}</th><th>{t.audit_action}</th>
                                    <th>{t.audit_subject}</th><th>{t.cert_area}</th><th>{t.audit_ip}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td data-label=t.audit_time>{shanghai_time(e.at)}</td>
                                            <td data-label=t.audit_actor>{e.actor.unwrap_or_default()}</td>
                                            <td data-label=t.audit_action title=e.action.clone()>{action_label(&e.action, lang)}</td>
                                            <td data-label=t.audit_subject>{e.subject.unwrap_or_default()}{e.detail.map(|d| format!(" · {}", detail_label(&e.action, d, lang)))}</td>
                                            <td data-label=t.cert_area>{e.area_code.unwrap_or_default()}</td>
                                            <td data-label=t.audit_ip>{e.client_ip.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {older.map(|id| {
                            let (a, ar, f, to) = keep.clone();
                            let mut q = vec![format!("before={id}")];
                            for (k, v) in [("action", a), ("area", ar), ("from", f), ("to", to)] {
                                if let Some(v) = v { q.push(format!("{k}={v}")); }
                            }
                            view! { <p><a href=format!("/audit?{}", q.join("&"))>{t.audit_more}</a></p> }
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Every audit action the services write, with what it means in Chinese and English.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("otp_requested", "申请短信验证码", "Sign-in code requested"),
    ("otp_failed", "验证码错误", "Wrong sign-in code"),
    ("sign_in_resident", "居民登录", "Resident signed in"),
    ("sign_in_staff", "工作人员登录", "Staff signed in"),
    ("sign_in_failed", "登录失败", "Sign-in failed"),
    ("admin_created", "创建管理员", "Administrator created"),
    ("resident_registered", "居民注册", "Resident registered"),
    ("resident_linked", "居民账户关联本人", "Resident linked to their record"),
    (
        "household_member_added",
        "新增家庭成员",
        "Household member added (new person)",
    ),
    ("household_created", "新建家庭户", "Household created"),
    ("household_member_attached", "添加家庭成员", "Household member added"),
    ("resident_phone_confirmed", "确认手机号码", "Phone number confirmed"),
    ("enrolment_submitted", "提交参保登记", "Enrolment submitted"),
    ("hospital_changed", "变更定点医院", "Hospital changed"),
    ("payment_order_opened", "创建缴费订单", "Payment order opened"),
    ("payment_callback_rejected", "支付回调被拒", "Payment callback rejected"),
    ("cash_collected", "现金收款", "Cash collected"),
    ("late_payment_applied", "逾期缴费入账", "Late payment applied"),
    ("payment_exception", "支付异常", "Payment exception"),
    (
        "payment_exception_settled",
        "支付异常已处理",
        "Payment exception settled",
    ),
    (
        "reconciliation_imported",
        "导入税务对账文件",
        "Tax reconciliation imported",
    ),
    ("certification_submitted", "提交身份认定申请", "Certification requested"),
    ("certification_accept", "受理认定申请", "Certification accepted"),
    ("certification_return", "退回补正", "Certification returned"),
    ("certification_resubmit", "重新提交认定", "Certification resubmitted"),
    ("certification_confirm", "部门确认身份", "Certification confirmed"),
    ("certification_reject", "不予认定", "Certification rejected"),
    ("certification_flag", "标识身份", "Identity flagged"),
    ("certification_withdraw", "撤回认定申请", "Certification withdrawn"),
    ("certification_revoke", "撤销身份标识", "Identity flag revoked"),
    ("certification_document_added", "上传证明材料", "Document uploaded"),
    (
        "adjustment_list_previewed",
        "预览动态调整名单",
        "Adjustment list previewed",
    ),
    ("adjustment_list_applied", "导入动态调整名单", "Adjustment list applied"),
    ("adjustment_review_resolved", "处理待复核记录", "Review item resolved"),
    ("adjustment_settled", "退补费用结清", "Adjustment settled"),
    ("list_add", "动态调整名单新增", "Added by a department list"),
    ("list_exit", "动态调整名单退出", "Removed by a department list"),
    ("ledger_visit_recorded", "记录走访", "Follow-up visit recorded"),
    ("roster_imported", "导入摸底名单", "Roster imported"),
    ("target_set", "设定任务数", "Target set"),
    ("targets_imported", "导入任务数", "Targets imported"),
    ("policy_draft_created", "起草参保政策", "Policy draft started"),
    ("policy_draft_updated", "修改政策草稿", "Policy draft edited"),
    ("policy_draft_submitted", "提交政策审核", "Policy draft submitted"),
    ("policy_draft_approved", "审核通过政策", "Policy draft approved"),
    ("policy_draft_returned", "退回政策草稿", "Policy draft returned"),
    ("policy_published", "发布参保政策", "Policy published"),
];

/// What an audit action code means (an unknown code shows as it is: the log must never
/// hide an entry behind a missing label).
pub fn action_label(code: &str, lang: Lang) -> String {
    ACTIONS
        .iter()
        .find(|a| a.0 == code)
        .map_or_else(|| code.to_owned(), |&(_, zh, en)| lang.pick(zh, en).to_owned())
}

/// An entry's detail in words where it is a code the reader would otherwise see raw (a
/// visit's outcome is a ledger reason).
fn detail_label(action: &str, detail: String, lang: Lang) -> String {
    match action {
        "ledger_visit_recorded" if crate::model::LEDGER_REASONS.contains(&detail.as_str()) => {
            crate::pages::ledger::reason_label(&detail, lang).to_owned()
        }
        _ => detail,
    }
}

/// `2022-10-08 14:05` in Asia/Shanghai.
pub fn shanghai_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&domain::dates::SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action code the services write has its words: read off the sources, so a new
    /// action without a label fails here rather than showing raw in the log.
    #[test]
    fn every_written_action_has_a_label() {
        fn files(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(p).unwrap());
                }
            }
        }
        let mut sources = Vec::new();
        files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services"),
            &mut sources,
        );
        let mut codes = std::collections::BTreeSet::new();
        for src in &sources {
            let lines: Vec<&str> = src.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                // `action: "cash_collected"` and `audit_event(state, None, "otp_failed", …)`.
                for marker in [
                    "action: \"",
                    "audit_event(state, None, \"",
                    "audit_event(state, Some(account.id), \"",
                    "entry(actor, \"",
                ] {
                    if let Some(at) = line.find(marker) {
                        let rest = &line[at + marker.len()..];
                        codes.insert(rest[..rest.find('"').unwrap()].to_owned());
                    }
                }
                // `let action = if … { "resident_linked" } else { "resident_registered" };`
                if line.contains("let action = ") {
                    for next in lines.iter().skip(i).take(6) {
                        let t = next.trim().trim_end_matches(';');
                        let quoted = t.len() > 2 && t.starts_with('"') && t.ends_with('"');
                        if quoted && t[1..t.len() - 1].chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                            codes.insert(t[1..t.len() - 1].to_owned());
                        }
                    }
                }
                // `INSERT INTO audit_log … VALUES ($1, $2, 'enrolment_submitted', …)`.
                if line.contains("INSERT INTO audit_log") {
                    for next in lines.iter().skip(i).take(3) {
                        if let Some(at) = next.find("$2, '") {
                            let rest = &next[at + 5..];
                            codes.insert(rest[..rest.find('\'').unwrap()].to_owned());
                        }
                    }
                }
            }
        }
        // `format!("certification_{action}")` over the steps.
        for step in [
            "accept", "return", "resubmit", "confirm", "reject", "flag", "withdraw", "revoke",
        ] {
            codes.insert(format!("certification_{step}"));
        }
        assert!(codes.len() > 30, "the scan found the actions: {codes:?}");
        for code in &codes {
            assert_ne!(action_label(code, Lang::Zh), *code, "{code} has no Chinese label");
            assert_ne!(action_label(code, Lang::En), *code, "{code} has no English label");
        }
        assert_eq!(action_label("something_new", Lang::Zh), "something_new");
    }
}
