//! Identity certification pages: the work queue (staff) or one's own requests
//! (residents), a request's detail with its history, documents and next steps, the bulk
//! confirmation page, the request form, the audit log, the departments' lists and the
//! unenrolled ledger.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::certification::{
    audit_entries, bulk_preview, certification_detail, certification_queue, ledger_entries, ledger_month, list_report,
    review_queue, ApplyList, BulkApply, CertificationStep, RecordVisit, RequestCertification, ResolveReview,
};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Texts};
use crate::model::{CertificationSummary, Role, CERT_STATUSES};
use crate::pages::account::SignInPrompt;
use crate::prefs::{use_prefs, use_texts};

pub fn status_label(t: &Texts, status: &str) -> &'static str {
    match status {
        "submitted" => t.st_submitted,
        "accepted" => t.st_accepted,
        "returned" => t.st_returned,
        "confirmed" => t.st_confirmed,
        "rejected" => t.st_rejected,
        "flagged" => t.st_flagged,
        "withdrawn" => t.st_withdrawn,
        _ => t.st_revoked,
    }
}

pub fn action_label(t: &Texts, action: &str) -> &'static str {
    match action {
        "accept" => t.act_accept,
        "return" => t.act_return,
        "resubmit" => t.act_resubmit,
        "confirm" => t.act_confirm,
        "reject" => t.act_reject,
        "flag" => t.act_flag,
        "withdraw" => t.act_withdraw,
        _ => t.act_revoke,
    }
}

fn category_label(code: &str, lang: Lang) -> String {
    domain::policy::Category::from_code(code).map_or_else(
        || code.to_owned(),
        |c| match lang {
            Lang::Zh => c.name_zh().to_owned(),
            Lang::En => c.name_en().to_owned(),
        },
    )
}

fn department_label(code: &str, lang: Lang) -> String {
    crate::model::Department::from_code(code).map_or_else(
        || code.to_owned(),
        |d| match lang {
            Lang::Zh => d.name_zh().to_owned(),
            Lang::En => d.name_en().to_owned(),
        },
    )
}

/// The category options, every code of the contract.
#[component]
fn CategoryOptions(selected: String, #[prop(optional)] any: Option<&'static str>) -> impl IntoView {
    let lang = use_prefs().lang;
    view! {
        {any.map(|label| view! { <option value="">{label}</option> })}
        {domain::policy::Category::ALL.into_iter().map(|c| {
            let code = c.code();
            view! { <option value=code selected=selected == code>{category_label(code, lang)}</option> }
        }).collect_view()}
    }
}

#[component]
pub fn CertificationsPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let query = use_query_map();
    let get = move |k: &str| query.with(|m| m.get(k));
    let filters = move || (get("status"), get("category"), get("area"), get("older_than_days"));
    let rows = Resource::new(filters, |(s, c, a, d)| certification_queue(s, c, a, d));
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let Some(u) = shell.await.ok().and_then(|i| i.user) else {
                    return view! { <SignInPrompt/> }.into_any();
                };
                let lang = use_prefs().lang;
                let staff = u.role.is_staff();
                let (status, category, area, days) = filters();
                let done = get("done");
                let list = rows.await;
                view! {
                    <section class="card wide">
                        <h1>{if staff { t.cert_queue_title } else { t.cert_my_title }}</h1>
                        {done.map(|n| view! { <p class="notice" role="status" data-testid="bulk-done">{fill(t.cert_bulk_done, &n)}</p> })}
                        {(u.role != Role::DepartmentOfficer).then(|| view! {
                            <p><a class="button" href="/certifications/new">{t.cert_new}</a></p>
                        })}
                        <form method="get" action="/certifications" class="filters">
                            <label for="f-status">{t.cert_status}</label>
                            <select id="f-status" name="status">
                                <option value="">"—"</option>
                                <option value="all" selected=status.as_deref() == Some("all")>{t.cert_all}</option>
                                {CERT_STATUSES.into_iter().map(|s| view! {
                                    <option value=s selected=status.as_deref() == Some(s)>{status_label(t, s)}</option>
                                }).collect_view()}
                            </select>
                            <label for="f-category">{t.cert_category}</label>
                            <select id="f-category" name="category">
                                <CategoryOptions selected=category.unwrap_or_default() any=t.cert_all/>
                            </select>
                            {staff.then(|| view! {
                                <label for="f-area">{t.cert_area}</label>
                                <input id="f-area" name="area" value=area.unwrap_or_default() inputmode="numeric" maxlength="12"/>
                                <label for="f-days">{t.cert_older_than}</label>
                                <input id="f-days" name="older_than_days" value=days.unwrap_or_default() inputmode="numeric" maxlength="4"/>
                            })}
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        {match list {
                            Err(e) => view! { <p class="form-error" role="alert">{e.message(lang)}</p> }.into_any(),
                            Ok(items) if items.is_empty() => view! { <p data-testid="cert-none">{t.cert_none}</p> }.into_any(),
                            Ok(items) => queue_list(t, lang, items, staff).into_any(),
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The rows; staff get check boxes and a bulk step (a GET to the confirmation page, so
/// nothing changes before the officer has seen the list).
fn queue_list(t: &'static Texts, lang: Lang, items: Vec<CertificationSummary>, staff: bool) -> impl IntoView {
    let mut bulk_actions: Vec<String> = Vec::new();
    for i in &items {
        for a in &i.actions {
            if !bulk_actions.contains(a) && !matches!(a.as_str(), "resubmit" | "withdraw") {
                bulk_actions.push(a.clone());
            }
        }
    }
    let can_bulk = staff && !bulk_actions.is_empty();
    let rows = items
        .into_iter()
        .map(|c| {
            let id = c.id;
            let selectable = can_bulk && !c.actions.is_empty();
            view! {
                <li class="cert-row" data-testid="cert-row">
                    {selectable.then(|| view! {
                        <input type="checkbox" name="ids" value=id.to_string() id=format!("sel-{id}") aria-label=t.cert_select/>
                    })}
                    <a href=format!("/certifications/{id}") class="cert-link">
                        <strong>{c.name.clone()}</strong>" "<span class="muted">{c.id_number_masked.clone()}</span>
                    </a>
                    <span>{category_label(&c.category, lang)}</span>
                    <span class=format!("badge status-{}", c.status) data-testid="cert-status">{status_label(t, &c.status)}</span>
                    <span class="muted">{c.area_code.clone()}" · "{fill(t.cert_waiting, &c.age_days.to_string())}</span>
                </li>
            }
        })
        .collect_view();
    if can_bulk {
        view! {
            <form method="get" action="/certifications/bulk" class="bulk">
                <ul class="cert-list">{rows}</ul>
                <label for="bulk-action">{t.cert_bulk}</label>
                <select id="bulk-action" name="action">
                    {bulk_actions.into_iter().map(|a| view! { <option value=a.clone()>{action_label(t, &a)}</option> }).collect_view()}
                </select>
                <button type="submit" class="button primary">{t.cert_bulk}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <ul class="cert-list">{rows}</ul> }.into_any()
    }
}

#[component]
pub fn BulkPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let args = move || {
        query.with(|m| {
            (
                m.get("action").unwrap_or_default(),
                m.get_all("ids")
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.parse::<i64>().ok())
                    .collect::<Vec<i64>>(),
            )
        })
    };
    let preview = Resource::new(args, |(a, ids)| bulk_preview(a, ids));
    let action = ServerAction::<BulkApply>::new();
    let error = action_error(action);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                match preview.await {
                    Err(AppError::Unauthorized(_)) => view! { <SignInPrompt/> }.into_any(),
                    Err(e) => view! {
                        <section class="card">
                            <p class="form-error" role="alert" data-testid="bulk-error">{e.message(lang)}</p>
                            <p><a href="/certifications">{t.cert_queue_title}</a></p>
                        </section>
                    }.into_any(),
                    Ok(out) => {
                        let verb = action_label(t, &out.action);
                        let needs_reason = matches!(out.action.as_str(), "return" | "reject" | "revoke");
                        view! {
                            <section class="card wide">
                                <h1>{t.cert_bulk_confirm_title}</h1>
                                <p><strong>{verb}</strong>" · "{out.items.len()}</p>
                                <ol data-testid="bulk-people">
                                    {out.items.iter().map(|c| view! {
                                        <li>{c.name.clone()}" "<span class="muted">{c.id_number_masked.clone()}</span>" · "{category_label(&c.category, lang)}</li>
                                    }).collect_view()}
                                </ol>
                                <ActionForm action>
                                    <input type="hidden" name="action" value=out.action.clone()/>
                                    {out.items.iter().enumerate().map(|(i, c)| view! {
                                        <input type="hidden" name=format!("ids[{i}]") value=c.id.to_string()/>
                                    }).collect_view()}
                                    {needs_reason.then(|| view! {
                                        <label for="bulk-comment">{t.cert_reason}</label>
                                        <textarea id="bulk-comment" name="comment" rows="2" maxlength="500" required></textarea>
                                        <FieldError error field="comment"/>
                                    })}
                                    <FormError error fields=&["comment"]/>
                                    <button type="submit" class="button primary">{t.cert_bulk_confirm}</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NewCertificationPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let action = ServerAction::<RequestCertification>::new();
    let error = action_error(action);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                if shell.await.ok().and_then(|i| i.user).is_none() {
                    return view! { <SignInPrompt/> }.into_any();
                }
                view! {
                    <section class="card">
                        <h1>{t.cert_new}</h1>
                        <p class="muted">{t.cert_new_intro}</p>
                        <ActionForm action>
                            <label for="c-id">{t.id_number_label}</label>
                            <input id="c-id" name="id_number" required maxlength="18" autocomplete="off"/>
                            <FieldError error field="id_number"/>
                            <label for="c-category">{t.cert_category}</label>
                            <select id="c-category" name="category" required>
                                <CategoryOptions selected=String::new()/>
                            </select>
                            <FieldError error field="category"/>
                            <label for="c-comment">{t.cert_comment}</label>
                            <textarea id="c-comment" name="comment" rows="2" maxlength="500"></textarea>
                            <FieldError error field="comment"/>
                            <FormError error fields=&["id_number", "category", "comment"]/>
                            <button type="submit" class="button primary">{t.cert_submit}</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn CertificationDetailPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let action = ServerAction::<CertificationStep>::new();
    let error = action_error(action);
    let data = Resource::new(id, certification_detail);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let v = match data.await {
                    Ok(v) => v,
                    Err(AppError::Unauthorized(_)) => return view! { <SignInPrompt/> }.into_any(),
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
                            opts.set_status(http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::NOT_FOUND));
                        }
                        return view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any();
                    }
                };
                let s = v.summary.clone();
                let cid = s.id;
                let upload_error = query.with(|m| m.get("upload_error")).map(|code| match code.as_str() {
                    "file_type" => t.upload_err_type,
                    "file_too_large" => t.upload_err_size,
                    _ => t.upload_err_other,
                });
                let uploaded = query.with(|m| m.get("uploaded")).is_some();
                let open_for_documents = matches!(s.status.as_str(), "submitted" | "accepted" | "returned");
                let needs_reason = s.actions.iter().any(|a| matches!(a.as_str(), "return" | "reject" | "revoke"));
                let confirmable = s.actions.iter().any(|a| a == "confirm");
                view! {
                    <section class="card wide">
                        <p><a href="/certifications">{t.nav_certifications}</a></p>
                        <h1>{s.name.clone()}" · "{category_label(&s.category, lang)}</h1>
                        <dl class="facts">
                            <dt>{t.id_number_label}</dt><dd>{s.id_number_masked.clone()}</dd>
                            <dt>{t.cert_status}</dt><dd data-testid="cert-status">{status_label(t, &s.status)}</dd>
                            <dt>{t.cert_department}</dt><dd>{department_label(&s.department, lang)}</dd>
                            <dt>{t.cert_area}</dt><dd>{s.area_code.clone()}</dd>
                            {s.effective_on.map(|d| view! { <dt>{t.cert_effective}</dt><dd data-testid="cert-effective">{d.to_string()}</dd> })}
                            {s.valid_until.map(|d| view! { <dt>{t.cert_valid_until}</dt><dd>{d.to_string()}</dd> })}
                        </dl>
                        {(!v.adjustments.is_empty()).then(|| view! {
                            <h2>{t.cert_adjustments}</h2>
                            <ul data-testid="adjustments">
                                {v.adjustments.iter().map(|a| view! {
                                    <li>{if a.kind == "refund" { t.adjust_refund } else { t.adjust_top_up }}" ¥"{a.amount.to_string()}" ("{t.adjust_pending}")"</li>
                                }).collect_view()}
                            </ul>
                        })}
                        {(!s.actions.is_empty()).then(|| view! {
                            <ActionForm action attr:class="steps">
                                <input type="hidden" name="id" value=cid.to_string()/>
                                <label for="s-comment">{if needs_reason { t.cert_reason } else { t.cert_comment }}</label>
                                <textarea id="s-comment" name="comment" rows="2" maxlength="500"></textarea>
                                <FieldError error field="comment"/>
                                {confirmable.then(|| view! {
                                    <label for="s-valid">{t.cert_valid_until}</label>
                                    <input id="s-valid" type="date" name="valid_until"/>
                                    <FieldError error field="valid_until"/>
                                })}
                                <FormError error fields=&["comment", "valid_until"]/>
                                <div class="step-buttons">
                                    {s.actions.iter().map(|a| view! {
                                        <button type="submit" name="action" value=a.clone() class="button" data-testid=format!("step-{a}")>{action_label(t, a)}</button>
                                    }).collect_view()}
                                </div>
                            </ActionForm>
                        })}
                        <h2>{t.cert_documents}</h2>
                        {uploaded.then(|| view! { <p class="notice" role="status">{t.cert_uploaded}</p> })}
                        {upload_error.map(|m| view! { <p class="form-error" role="alert" data-testid="upload-error">{m}</p> })}
                        {if v.document_list.is_empty() {
                            view! { <p class="muted">{t.cert_no_documents}</p> }.into_any()
                        } else {
                            view! {
                                <ul data-testid="documents">
                                    {v.document_list.iter().map(|d| view! {
                                        <li><a href=format!("/api/v1/certifications/{cid}/documents/{}", d.id) target="_blank" rel="external noopener">{d.file_name.clone()}</a>
                                            <span class="muted">" "{format!("{:.1} KB", d.size_bytes as f64 / 1024.0)}</span></li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {open_for_documents.then(|| view! {
                            <form method="post" enctype="multipart/form-data" action=format!("/api/v1/certifications/{cid}/documents") class="upload">
                                <label for="file">{t.cert_upload_hint}</label>
                                <input id="file" type="file" name="file" accept="image/jpeg,image/png,application/pdf" required/>
                                <button type="submit" class="button">{t.cert_upload}</button>
                            </form>
                        })}
                        <h2>{t.cert_history}</h2>
                        <ol class="history" data-testid="history">
                            {v.events.iter().map(|e| view! {
                                <li>
                                    <span>{shanghai_time(e.at)}</span>" "
                                    <strong>{status_label(t, &e.to_status)}</strong>" "
                                    <span class="muted">{e.actor.clone().unwrap_or_default()}</span>
                                    {e.comment.clone().map(|c| view! { <p class="comment">{c}</p> })}
                                </li>
                            }).collect_view()}
                        </ol>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

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
                let list = match entries.await {
                    Ok(l) => l,
                    Err(AppError::Unauthorized(_)) => return view! { <SignInPrompt/> }.into_any(),
                    Err(e) => return view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any(),
                };
                // Only a full page can have older entries behind it.
                let older = (list.len() >= crate::model::AUDIT_PAGE).then(|| list.last().map(|e| e.id)).flatten();
                let keep = (action.clone(), area.clone(), from.clone(), to.clone());
                view! {
                    <section class="card wide">
                        <h1>{t.audit_title}</h1>
                        <form method="get" action="/audit" class="filters">
                            <label for="a-action">{t.audit_action}</label>
                            <input id="a-action" name="action" value=action.unwrap_or_default()/>
                            <label for="a-area">{t.cert_area}</label>
                            <input id="a-area" name="area" value=area.unwrap_or_default() inputmode="numeric"/>
                            <label for="a-from">{t.audit_from}</label>
                            <input id="a-from" type="date" name="from" value=from.unwrap_or_default()/>
                            <label for="a-to">{t.audit_to}</label>
                            <input id="a-to" type="date" name="to" value=to.unwrap_or_default()/>
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        <div class="table-scroll">
                            <table class="audit" data-testid="audit">
                                <thead><tr>
                                    <th>{t.audit_time}</th><th>{t.audit_actor}</th><th>{t.audit_action}</th>
                                    <th>{t.audit_subject}</th><th>{t.cert_area}</th><th>{t.audit_ip}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{shanghai_time(e.at)}</td>
                                            <td>{e.actor.unwrap_or_default()}</td>
                                            <td>{e.action}</td>
                                            <td>{e.subject.unwrap_or_default()}{e.detail.map(|d| format!(" · {d}"))}</td>
                                            <td>{e.area_code.unwrap_or_default()}</td>
                                            <td>{e.client_ip.unwrap_or_default()}</td>
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

/// `2022-10-08 14:05` in Asia/Shanghai.
pub fn shanghai_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&domain::dates::SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[component]
pub fn ListsPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let query = use_query_map();
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let ok = shell.await.ok().and_then(|i| i.user)
                    .is_some_and(|u| matches!(u.role, Role::DepartmentOfficer | Role::BureauOfficer));
                if !ok { return view! { <SignInPrompt/> }.into_any() }
                let error = query.with(|m| m.get("error")).map(|c| match c.as_str() {
                    "file_type" | "file_empty" => t.lists_err_type,
                    "columns_missing" | "no_header" => t.lists_err_columns,
                    "file_too_large" => t.lists_err_size,
                    _ => t.lists_err_other,
                });
                view! {
                    <section class="card">
                        <h1>{t.lists_title}</h1>
                        <p class="muted">{t.lists_intro}</p>
                        {error.map(|m| view! { <p class="form-error" role="alert" data-testid="list-error">{m}</p> })}
                        <p><a href="/lists/review" data-testid="review-link">{t.review_title}</a></p>
                        <form method="post" enctype="multipart/form-data" action="/api/v1/adjustment-lists">
                            <label for="list-file">{t.list_upload_hint}</label>
                            <input id="list-file" type="file" name="file" required
                                accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                            <button type="submit" class="button primary">{t.lists_upload}</button>
                        </form>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ListReportPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let action = ServerAction::<ApplyList>::new();
    let error = action_error(action);
    let data = Resource::new(id, list_report);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let r = match data.await {
                    Ok(r) => r,
                    Err(AppError::Unauthorized(_)) => return view! { <SignInPrompt/> }.into_any(),
                    Err(e) => return view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any(),
                };
                let rid = r.import_id;
                let problems = r.invalid + r.duplicate + r.conflict;
                view! {
                    <section class="card wide">
                        <p><a href="/lists">{t.nav_lists}</a></p>
                        <h1>{if r.applied { t.lists_applied_title } else { t.lists_report_title }}</h1>
                        <p class="muted">{r.file_name.clone()}</p>
                        <dl class="facts" data-testid="list-counts">
                            <dt>{t.lists_rows}</dt><dd>{r.rows_total}</dd>
                            <dt>{t.lists_valid}</dt><dd data-testid="list-valid">{r.valid}</dd>
                            <dt>{t.lists_adds}</dt><dd>{r.adds}</dd>
                            <dt>{t.lists_exits}</dt><dd>{r.exits}</dd>
                            <dt>{t.lists_new_people}</dt><dd>{r.new_people}</dd>
                            <dt>{t.lists_invalid}</dt><dd>{r.invalid}</dd>
                            <dt>{t.lists_duplicate}</dt><dd>{r.duplicate}</dd>
                            <dt>{t.lists_conflict}</dt><dd>{r.conflict}</dd>
                        </dl>
                        {(!r.applied && r.valid > 0).then(|| view! {
                            <ActionForm action>
                                <input type="hidden" name="id" value=rid.to_string()/>
                                <FormError error fields=&[]/>
                                <button type="submit" class="button primary" data-testid="list-apply">{t.lists_apply}</button>
                            </ActionForm>
                        })}
                        {(problems > 0).then(|| view! {
                            <p><a class="button" rel="external" href=format!("/api/v1/adjustment-lists/{rid}/errors.xlsx")>{t.lists_errors_xlsx}</a></p>
                            <div class="table-scroll">
                                <table class="audit" data-testid="list-problems">
                                    <thead><tr><th>{t.lists_line}</th><th>{t.id_number_label}</th><th>{t.lists_column}</th><th>{t.audit_subject}</th></tr></thead>
                                    <tbody>
                                        {r.problems.iter().map(|p| view! {
                                            <tr>
                                                <td>{p.line}</td>
                                                <td>{p.id_number_masked.clone().unwrap_or_default()}</td>
                                                <td>{p.column.clone().unwrap_or_default()}</td>
                                                <td>{p.message.clone()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

fn outcome_label(t: &Texts, outcome: &str) -> &'static str {
    match outcome {
        "invalid" => t.lists_invalid,
        "duplicate" => t.lists_duplicate,
        _ => t.lists_conflict,
    }
}

/// The lists' review queue: every row that was not applied stays here until an officer
/// says what was done about it.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let outcome = move || query.with(|m| m.get("outcome").filter(|s| !s.is_empty()));
    let resolved = move || query.with(|m| m.get("resolved").filter(|s| s == "1"));
    let action = ServerAction::<ResolveReview>::new();
    let error = action_error(action);
    let items = Resource::new(move || (outcome(), resolved()), |(o, r)| review_queue(o, r));
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let list = match items.await {
                    Ok(l) => l,
                    Err(AppError::Unauthorized(_)) => return view! { <SignInPrompt/> }.into_any(),
                    Err(e) => return view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any(),
                };
                let selected = outcome().unwrap_or_default();
                let showing_resolved = resolved().is_some();
                view! {
                    <section class="card wide">
                        <p><a href="/lists">{t.nav_lists}</a></p>
                        <h1>{t.review_title}</h1>
                        <p class="muted">{t.review_intro}</p>
                        <form method="get" action="/lists/review" class="filters">
                            <label for="r-outcome">{t.review_outcome}</label>
                            <select id="r-outcome" name="outcome">
                                <option value="">{t.cert_all}</option>
                                {["invalid", "duplicate", "conflict"].into_iter().map(|o| view! {
                                    <option value=o selected=selected == o>{outcome_label(t, o)}</option>
                                }).collect_view()}
                            </select>
                            <label class="check"><input type="checkbox" name="resolved" value="1" checked=showing_resolved/>
                                {t.review_show_resolved}</label>
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        <FormError error fields=&["resolution"]/>
                        {if list.is_empty() {
                            view! { <p data-testid="review-none">{t.review_none}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="cert-list">
                                    {list.into_iter().map(|r| {
                                        let rid = r.id;
                                        let category = r.category.as_deref()
                                            .and_then(domain::policy::Category::from_code)
                                            .map(|c| match lang { Lang::Zh => c.name_zh(), Lang::En => c.name_en() });
                                        let kind = match r.kind.as_deref() {
                                            Some("add") => Some(t.review_add),
                                            Some("exit") => Some(t.review_exit),
                                            _ => None,
                                        };
                                        view! {
                                            <li class="cert-row" data-testid="review-row">
                                                <span class="badge">{outcome_label(t, &r.outcome)}</span>
                                                <a href=format!("/lists/{}", r.import_id)>{format!("{} · {} {}", r.file_name, t.lists_line, r.line)}</a>
                                                <span class="muted">{r.id_number_masked.clone().unwrap_or_default()}</span>
                                                {category.map(|c| view! { <span>{c}</span> })}
                                                {kind.map(|k| view! { <span>{k}</span> })}
                                                <span data-testid="review-message">{r.message.clone()}</span>
                                                {if r.resolved {
                                                    view! { <span class="muted" data-testid="review-resolution">{t.review_resolved}": "{r.resolution.clone().unwrap_or_default()}</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <ActionForm action attr:class="visit">
                                                            <input type="hidden" name="id" value=rid.to_string()/>
                                                            <label for=format!("res-{rid}")>{t.review_note}</label>
                                                            <input id=format!("res-{rid}") name="resolution" maxlength="200" required prop:value=""/>
                                                            <button type="submit" class="button small" data-testid="review-resolve">{t.review_resolve}</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                }}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

fn reason_label(code: &str, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => crate::model::ledger_reason_zh(code),
        Lang::En => crate::model::ledger_reason_en(code),
    }
}

#[component]
pub fn LedgerPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let query = use_query_map();
    let reason = move || query.with(|m| m.get("reason").filter(|s| !s.is_empty()));
    let action = ServerAction::<RecordVisit>::new();
    let error = action_error(action);
    let entries = Resource::new(reason, |r| ledger_entries(r, None));
    let month = Resource::new(|| (), |_| ledger_month());
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let list = match entries.await {
                    Ok(l) => l,
                    Err(AppError::Unauthorized(_)) => return view! { <SignInPrompt/> }.into_any(),
                    Err(e) => return view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any(),
                };
                let changes = month.await.ok();
                let selected = reason().unwrap_or_default();
                let importer = shell.await.ok().and_then(|i| i.user)
                    .is_some_and(|u| matches!(u.role, Role::TownshipOfficer | Role::BureauOfficer));
                let imported = query.with(|q| q.get("imported").zip(q.get("known")));
                let import_error = query.with(|q| q.get("error"));
                view! {
                    <section class="card wide">
                        <h1>{t.ledger_title}</h1>
                        <p class="muted">{t.ledger_intro}</p>
                        {changes.map(|c| view! {
                            <p data-testid="ledger-month"><strong>{t.ledger_month}" "{c.month.clone()}</strong>" · "
                                {t.ledger_newly_enrolled}" "{c.newly_enrolled}" · "{t.ledger_newly_unenrolled}" "{c.newly_unenrolled}" · "
                                {t.ledger_reasons_changed}" "{c.reasons_changed}</p>
                        })}
                        <form method="get" action="/ledger" class="filters">
                            <label for="l-reason">{t.ledger_reason}</label>
                            <select id="l-reason" name="reason">
                                <option value="">{t.cert_all}</option>
                                {crate::model::LEDGER_REASONS.into_iter().map(|r| view! {
                                    <option value=r selected=selected == r>{reason_label(r, lang)}</option>
                                }).collect_view()}
                            </select>
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        <FormError error fields=&[]/>
                        {imported.map(|(n, k)| view! {
                            <p class="notice" data-testid="roster-imported">{fill(&fill(t.roster_imported, &n), &k)}</p>
                        })}
                        {import_error.map(|m| view! { <p class="form-error" role="alert" data-testid="roster-error">{m}</p> })}
                        {importer.then(|| view! {
                            <details class="roster-import">
                                <summary class="button small">{t.roster_import}</summary>
                                <p class="muted">{t.roster_hint}</p>
                                <form method="post" enctype="multipart/form-data" action="/api/v1/roster/import">
                                    <label for="roster-file">{t.targets_file}</label>
                                    <input id="roster-file" type="file" name="file" required
                                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                                    <button type="submit" class="button primary" data-testid="roster-upload">{t.roster_import}</button>
                                </form>
                            </details>
                        })}
                        {if list.is_empty() {
                            view! { <p data-testid="ledger-none">{t.ledger_none}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="cert-list">
                                    {list.into_iter().map(|e| {
                                        let start = match e.household_id {
                                            Some(h) => format!("/coverage?household={h}"),
                                            None => format!("/cadre?q={}", e.name),
                                        };
                                        let pid = e.person_id;
                                        view! {
                                            <li class="cert-row ledger-row" data-testid="ledger-row">
                                                <strong>{e.name.clone()}</strong>
                                                <span class="muted">{e.id_number_masked.clone()}</span>
                                                <span class="badge" data-testid="ledger-reason">
                                                    {if e.unpaid_enrolment { t.ledger_unpaid } else { reason_label(&e.reason, lang) }}
                                                </span>
                                                <span class="muted">{t.ledger_visits}" "{e.visits}
                                                    {e.last_visit.map(|d| format!(" · {} {d}", t.ledger_last_visit))}</span>
                                                <a class="button small" href=start>{t.ledger_start}</a>
                                                // The list re-renders in place after a visit: the props reset
                                                // what the last person's form held (open, outcome, note).
                                                <details class="visit" prop:open=false>
                                                <summary class="button small" data-testid="open-visit">{t.ledger_record}</summary>
                                                <ActionForm action attr:class="visit">
                                                    <input type="hidden" name="person_id" value=pid.to_string()/>
                                                    <label for=format!("o-{pid}")>{t.ledger_outcome}</label>
                                                    <select id=format!("o-{pid}") name="outcome" prop:value=e.reason.clone()>
                                                        {crate::model::LEDGER_REASONS.into_iter().map(|r| view! {
                                                            <option value=r selected=e.reason == r>{reason_label(r, lang)}</option>
                                                        }).collect_view()}
                                                    </select>
                                                    <label for=format!("n-{pid}")>{t.ledger_note}</label>
                                                    <input id=format!("n-{pid}") name="note" maxlength="500" prop:value=""/>
                                                    <button type="submit" class="button" data-testid="record-visit">{t.ledger_record}</button>
                                                </ActionForm>
                                                </details>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
