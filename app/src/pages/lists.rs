//! Departments' dynamic adjustment lists: upload, the dry run's report, and the review queue.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::certification::{list_report, review_queue, ApplyList, ResolveReview};
use crate::components::forms::{action_error, FormError};
use crate::components::layout::use_shell;
use crate::components::loaded::loaded;
use crate::i18n::{Lang, Texts};
use crate::model::Role;
use crate::pages::account::SignInPrompt;
use crate::prefs::{use_prefs, use_texts};

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
                let r = match loaded(data.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
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

pub(super) fn outcome_label(t: &Texts, outcome: &str) -> &'static str {
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
                let list = match loaded(items.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
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
