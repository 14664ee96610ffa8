//! Staff acting for residents: find a resident in your villages (or register a new
//! household) and open their household page; today's cash for hand-over. And the
//! bureau's reconciliation import.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::coverage::{my_cash_today, search_people, ImportReconciliation, NewHousehold};
use crate::api::list_areas;
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::model::Role;
use crate::pages::account::SignInPrompt;
use crate::pages::coverage::VillageSelect;
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn CadrePage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let hits = Resource::new(q, search_people);
    let cash = Resource::new(|| (), |_| my_cash_today());
    let villages = Resource::new(|| (), |_| list_areas());
    let action = ServerAction::<NewHousehold>::new();
    let error = action_error(action);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let user = shell.await.ok().and_then(|i| i.user)
                    .filter(|u| matches!(u.role, Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer | Role::Admin));
                let Some(u) = user else { return view! { <SignInPrompt/> }.into_any() };
                let lang = use_prefs().lang;
                let found = hits.await;
                let (day, people, total, receipts) = cash.await.unwrap_or_default();
                let list = villages.await.unwrap_or_default();
                view! {
                    <section class="card">
                        <h1>{t.cadre_title}</h1>
                        <p class="muted">{crate::prefs::area_path(&u.area_path, &u.area_path_en)}</p>
                        <form method="get" action="/cadre" class="search">
                            <label for="q">{t.cadre_search}</label>
                            <input id="q" name="q" value=q() autocomplete="off"/>
                            <button type="submit" class="button">{t.cadre_search_submit}</button>
                        </form>
                        {match found {
                            Err(e) => view! { <p class="form-error">{e.message(lang)}</p> }.into_any(),
                            Ok(h) if h.is_empty() && !q().is_empty() => view! { <p data-testid="no-hits">{t.cadre_no_hits}</p> }.into_any(),
                            Ok(h) => view! {
                                <ul class="hits">
                                    {h.into_iter().map(|p| view! {
                                        <li data-testid="hit">{p.name.clone()}" "<span class="muted">{p.id_number_masked.clone()}</span>" "
                                            {p.household_id.map(|id| view! { <a class="button small" href=format!("/coverage?household={id}")>{t.cadre_open}</a> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }}
                    </section>
                    <section class="card">
                        <h2>{t.cadre_new_household}</h2>
                        <ActionForm action>
                            <label for="area_code">{t.village_label}</label>
                            <VillageSelect list scope=u.area_code.clone()/>
                            <FieldError error field="area_code"/>
                            <label for="h-name">{t.cadre_head_name}</label>
                            <input id="h-name" name="name" required maxlength="30"/>
                            <FieldError error field="name"/>
                            <label for="h-id">{t.id_number_label}</label>
                            <input id="h-id" name="id_number" required maxlength="18" autocomplete="off"/>
                            <FieldError error field="id_number"/>
                            <FormError error fields=&["area_code", "name", "id_number"]/>
                            <button type="submit" class="button primary">{t.register_submit}</button>
                        </ActionForm>
                    </section>
                    <section class="card">
                        <h2>{t.cadre_cash_today}" "{day.to_string()}</h2>
                        <p data-testid="cash-today">{t.cadre_people}": "{people}" · ¥"{total.to_string()}</p>
                        <ul class="receipts">
                            {receipts.into_iter().map(|r| view! {
                                <li><a href=format!("/receipt/{}", r.receipt_no)>{r.receipt_no.clone()}</a>" · ¥"{r.amount.to_string()}</li>
                            }).collect_view()}
                        </ul>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn ReconcilePage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let action = ServerAction::<ImportReconciliation>::new();
    let error = action_error(action);
    let result = action.value();
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let ok = shell.await.ok().and_then(|i| i.user)
                    .is_some_and(|u| matches!(u.role, Role::BureauOfficer | Role::Admin));
                if !ok { return view! { <SignInPrompt/> }.into_any() }
                view! {
                    <section class="card wide">
                        <h1>{t.reconcile_title}</h1>
                        <p>{t.reconcile_intro}</p>
                        <ActionForm action>
                            <label for="recon-csv">{t.reconcile_label}</label>
                            <textarea id="recon-csv" name="csv" rows="10" required class="mono"></textarea>
                            <FieldError error field="file"/>
                            <FormError error fields=&["file"]/>
                            <button type="submit" class="button primary">{t.reconcile_submit}</button>
                        </ActionForm>
                        {move || result.get().and_then(|r| r.ok()).map(|r| view! {
                            <p data-testid="reconcile-summary">{crate::i18n::fill(t.reconcile_result, &r.rows_total.to_string())}" · "
                                {t.reconcile_applied}" "{r.applied}" · "{t.reconcile_duplicates}" "{r.duplicates}" · "
                                {t.reconcile_exceptions}" "{r.exceptions.len()}</p>
                            <ul>{r.exceptions.into_iter().map(|(line, id, reason, msg)| view! {
                                <li>{format!("#{line} {id} {reason}: {msg}")}</li>
                            }).collect_view()}</ul>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
