//! The unenrolled ledger (未参保台账).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::certification::{ledger_entries, ledger_month, RecordVisit};
use crate::components::forms::{action_error, FormError};
use crate::components::layout::use_shell;
use crate::components::loaded::loaded;
use crate::i18n::{fill, Lang};
use crate::model::Role;
use crate::prefs::{use_prefs, use_texts};

pub(super) fn reason_label(code: &str, lang: Lang) -> &'static str {
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
                let list = match loaded(entries.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
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
