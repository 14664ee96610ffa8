//! The certification queue (身份认定) and the bulk confirmation page.

use leptos::prelude::*;

use crate::components::loaded::{loaded_with, Refusal};
use leptos_router::hooks::use_query_map;

use super::*;
use crate::api::certification::{bulk_preview, certification_queue, BulkApply};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::i18n::{fill, Lang, Texts};
use crate::model::{CertificationSummary, Role, CERT_STATUSES};
use crate::pages::account::SignInPrompt;
use crate::prefs::{use_prefs, use_texts};

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
pub(super) fn queue_list(
    t: &'static Texts,
    lang: Lang,
    items: Vec<CertificationSummary>,
    staff: bool,
) -> impl IntoView {
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
                let refusal = Refusal { back: Some(("/certifications", t.cert_queue_title)), testid: Some("bulk-error"), ..Refusal::default() };
                match loaded_with(preview.await, lang, refusal) {
                    Err(refused) => refused,
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
