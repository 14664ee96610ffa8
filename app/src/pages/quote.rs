//! 算一算: the public quote page. The answer is computed by the policy engine — on the
//! server from the query string when JavaScript is off (the form is a plain GET), and in
//! the browser (WASM) on every change when it is on, with no server round trip.

use chrono::NaiveDate;
use domain::policy::{quote, PersonInput, PolicyPack, Quote, QuoteRequest};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::policy_packs;
use crate::components::assumptions::Assumptions;
use crate::components::forms::{hydrated_marker, restore_typed};
use crate::components::layout::use_shell;
use crate::i18n::{Lang, Texts};
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn QuotePage() -> impl IntoView {
    let t = use_texts();
    let packs = Resource::new(|| (), |_| policy_packs());
    let shell = use_shell();
    view! {
        <crate::site::PreloadIslands/>
        <section class="card">
            <h1>{t.quote_title}</h1>
            <p>{t.quote_intro}</p>
            <Suspense fallback=move || view! { <p>{t.loading}</p> }>
                {move || Suspend::new(async move {
                    let today = shell.await.map(|s| s.today).unwrap_or_default();
                    let all = packs.await.unwrap_or_default();
                    // The island cannot reach the router in the browser: it gets the query.
                    let query: Vec<(String, String)> = use_query_map()
                        .with_untracked(|q| q.into_iter().map(|(k, v)| (k.to_string(), v.to_owned())).collect());
                    // Only the chosen pack goes into the page (the engine needs all of it); the
                    // others are names in the list, and choosing one loads the page for it
                    // (the WASM stays cached, so that costs the HTML alone).
                    let asked = query.iter().find(|(k, _)| k == "policy").map(|(_, v)| v.clone());
                    let chosen = all
                        .iter()
                        .find(|p| Some(&p.id) == asked.as_ref())
                        .or_else(|| all.iter().find(|p| p.id == "lishi-2023"))
                        .or(all.first())
                        .cloned();
                    let lang = use_prefs().lang;
                    let choices: Vec<(String, String)> = all
                        .iter()
                        .map(|p| {
                            let label = match lang {
                                Lang::Zh => format!("{} · {}年度", p.jurisdiction, p.insurance_year),
                                Lang::En => format!("{} · {}", p.jurisdiction_en, p.insurance_year),
                            };
                            (p.id.clone(), label)
                        })
                        .collect();
                    chosen.map(|pack| view! { <QuoteForm pack choices today query/> })
                })}
            </Suspense>
        </section>
    }
}

const DEFAULT_BIRTH_DATE: &str = "1980-01-01";

/// Today when it falls inside the pack's collection window, else the first on-time day.
fn default_paid_on(pack: &PolicyPack, today: NaiveDate) -> NaiveDate {
    let (start, end) = pack.collection_window();
    let first = pack
        .periods
        .iter()
        .filter(|p| p.on_time)
        .map(|p| p.start)
        .min()
        .unwrap_or(start);
    if (start..=end).contains(&today) {
        today
    } else {
        first
    }
}

fn non_empty(s: String) -> Option<String> {
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// The form and its answer: an island, the only part of the page the browser hydrates (the
/// engine runs in the WASM on every change).
#[island]
fn QuoteForm(
    pack: PolicyPack,
    choices: Vec<(String, String)>,
    today: NaiveDate,
    query: Vec<(String, String)>,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let query: ParamsMap = query.into_iter().collect();
    let one = |k: &str| query.get(k).unwrap_or_default();
    let many = |k: &str| query.get_all(k).unwrap_or_default();
    let flag = move |k: &str| one(k) == "1";

    let policy = pack.id.clone();
    let id_number = RwSignal::new(one("id_number"));
    // Pre-filled with an adult's birth date so a price shows before anything is typed;
    // an ID number, when given, takes precedence.
    let birth_date = RwSignal::new(non_empty(one("birth_date")).unwrap_or_else(|| DEFAULT_BIRTH_DATE.into()));
    // Until the person picks a payment date, it follows the chosen pack: today when today is
    // inside its collection window, else the first on-time day (the demo date is for Lishi).
    let paid_on_chosen = RwSignal::new(non_empty(one("paid_on")).is_some());
    let initial_paid = non_empty(one("paid_on")).unwrap_or_else(|| default_paid_on(&pack, today).to_string());
    let paid_on = RwSignal::new(initial_paid);
    let tier = RwSignal::new(non_empty(one("tier")).unwrap_or_else(|| "high".into()));
    let categories = RwSignal::new(many("categories"));
    let add_ons = RwSignal::new(many("add_ons"));
    let student = RwSignal::new(flag("student"));
    let nonlocal = RwSignal::new(flag("nonlocal"));
    let months = RwSignal::new(one("months_resident"));
    let employee = RwSignal::new(flag("employee"));
    let pack = StoredValue::new(pack);
    // What was typed or ticked before the island went live wins over the first render.
    let first_paid = paid_on.get_untracked();
    restore_typed("quote-form", move |typed| {
        let one = |k: &str| typed.one(k);
        let many = |k: &str| typed.all(k);
        // Another pack chosen before the island went live: load the page for it.
        if non_empty(one("policy")).is_some_and(|id| id != pack.with_value(|p| p.id.clone())) {
            reload_for_pack(paid_on_chosen.get_untracked());
            return;
        }
        let typed_id = one("id_number");
        let typed_birth = one("birth_date");
        // The pre-filled example date would contradict a number typed before the page was
        // live (the handler that clears it was not running yet).
        let birth = if !typed_id.trim().is_empty() && typed_birth == DEFAULT_BIRTH_DATE {
            String::new()
        } else {
            typed_birth
        };
        id_number.set(typed_id);
        birth_date.set(birth);
        let typed_paid = one("paid_on");
        if !typed_paid.is_empty() && typed_paid != first_paid {
            paid_on_chosen.set(true);
            paid_on.set(typed_paid);
        }
        if let Some(t) = non_empty(one("tier")) {
            tier.set(t);
        }
        categories.set(many("categories"));
        add_ons.set(many("add_ons"));
        student.set(one("student") == "1");
        nonlocal.set(one("nonlocal") == "1");
        employee.set(one("employee") == "1");
        months.set(one("months_resident"));
    });

    let result = Memo::new(move |_| {
        pack.with_value(|pack| {
            let two_tiers = pack.tiers.len() == 2;
            let req = QuoteRequest {
                policy: pack.id.clone(),
                person: PersonInput {
                    id_number: non_empty(id_number.get()),
                    birth_date: non_empty(birth_date.get()),
                    categories: categories.get(),
                    student: student.get(),
                    hukou_local: !nonlocal.get(),
                    months_resident: months.get().trim().parse().ok(),
                    employee_insurance_active: employee.get(),
                    ..PersonInput::default()
                },
                tier: two_tiers.then(|| tier.get()),
                add_ons: add_ons
                    .get()
                    .into_iter()
                    .filter(|a| pack.add_ons.iter().any(|x| &x.code == a))
                    .collect(),
                paid_on: paid_on.get(),
            };
            Some(quote(pack, &req))
        })
    });

    let toggle = |list: RwSignal<Vec<String>>, code: String| {
        move |_| {
            list.update(|l| {
                if let Some(i) = l.iter().position(|c| *c == code) {
                    l.remove(i);
                } else {
                    l.push(code.clone());
                }
            })
        }
    };
    let policy_options = choices
        .into_iter()
        .map(|(id, label)| {
            let selected = id == policy;
            view! { <option value=id selected=selected>{label}</option> }
        })
        .collect_view();

    // The amount, kept in view at the top of the screen while the form below it changes
    // (the full answer is under the form, ~1,100 px down on a phone).
    let due_now = move || {
        result.with(|r| match r {
            Some(Ok(q)) if q.eligible => q.personal_due.map(|d| format!("{d} {}", t.quote_yuan)),
            _ => None,
        })
    };
    view! {
        <p class="quote-sticky" data-testid="quote-sticky" hidden=move || due_now().is_none()>
            <span>{t.quote_due}</span><strong>{due_now}</strong>
        </p>
        <form id="quote-form" method="get" action="/quote" class="quote-form" data-live=hydrated_marker()>
            <label for="policy">{t.quote_policy}</label>
            <select id="policy" name="policy" on:change=move |_| reload_for_pack(paid_on_chosen.get_untracked())>
                {policy_options}
            </select>
            <label for="id_number">{t.quote_id_number}</label>
            <input id="id_number" name="id_number" type="text" inputmode="text" maxlength="18" autocomplete="off"
                prop:value=id_number value=id_number.get_untracked()
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    // The number carries the birth date: the pre-filled example date would
                    // only contradict it, so it is cleared once a number is typed.
                    if !v.trim().is_empty() {
                        birth_date.set(String::new());
                    }
                    id_number.set(v);
                }/>
            <label for="birth_date">{t.quote_birth_date}</label>
            <input id="birth_date" name="birth_date" type="date"
                prop:value=birth_date value=birth_date.get_untracked()
                on:input=move |ev| birth_date.set(event_target_value(&ev))/>
            <label for="paid_on">{t.quote_paid_on}</label>
            <input id="paid_on" name="paid_on" type="date" required
                prop:value=paid_on value=paid_on.get_untracked()
                on:input=move |ev| {
                    paid_on_chosen.set(true);
                    paid_on.set(event_target_value(&ev));
                }/>
            <PackFields pack=pack.get_value() tier categories add_ons toggle_cat=toggle toggle_add=toggle/>
            <fieldset class="checks">
                <label class="check"><input type="checkbox" name="student" value="1" checked=student.get_untracked()
                    on:change=move |ev| student.set(event_target_checked(&ev))/>{t.quote_student}</label>
                <label class="check"><input type="checkbox" name="nonlocal" value="1" checked=nonlocal.get_untracked()
                    on:change=move |ev| nonlocal.set(event_target_checked(&ev))/>{t.quote_nonlocal}</label>
                <label class="check"><input type="checkbox" name="employee" value="1" checked=employee.get_untracked()
                    on:change=move |ev| employee.set(event_target_checked(&ev))/>{t.quote_employee_active}</label>
            </fieldset>
            <label for="months_resident">{t.quote_months_resident}</label>
            <input id="months_resident" name="months_resident" type="number" inputmode="numeric" min="0"
                prop:value=months value=months.get_untracked()
                on:input=move |ev| months.set(event_target_value(&ev))/>
            <button type="submit" class="button primary">{t.quote_submit}</button>
            <p class="aside">{t.quote_live_note}</p>
        </form>
        <section class="quote-result" aria-live="polite" data-testid="quote-result">
            {move || result.get().map(|r| view! { <QuoteResult result=r lang t/> })}
        </section>
    }
}

#[component]
fn PackFields<F, G, H>(
    pack: PolicyPack,
    tier: RwSignal<String>,
    categories: RwSignal<Vec<String>>,
    add_ons: RwSignal<Vec<String>>,
    toggle_cat: F,
    toggle_add: G,
) -> impl IntoView
where
    F: Fn(RwSignal<Vec<String>>, String) -> H + Copy + 'static,
    G: Fn(RwSignal<Vec<String>>, String) -> H + Copy + 'static,
    H: FnMut(leptos::ev::Event) + 'static,
{
    let t = use_texts();
    let lang = use_prefs().lang;
    let tiers = (pack.tiers.len() == 2).then(|| {
        view! {
            <label for="tier">{t.quote_tier}</label>
            <select id="tier" name="tier" on:change=move |ev| tier.set(event_target_value(&ev))>
                {pack.tiers.iter().map(|tr| {
                    let code = tr.code.code();
                    let amount = tr.personal.as_ref().map(|c| format!(" {}{}", c.value, t.quote_yuan)).unwrap_or_default();
                    let label = format!("{}{}", match lang { Lang::Zh => &tr.name_zh, Lang::En => &tr.name_en }, amount);
                    view! { <option value=code selected=move || tier.get() == code>{label}</option> }
                }).collect_view()}
            </select>
        }
    });
    let cats = pack
        .priced_categories()
        .into_iter()
        .map(|c| {
            let code = c.code().to_owned();
            let checked = categories.with_untracked(|l| l.contains(&code));
            let name = match lang {
                Lang::Zh => c.name_zh(),
                Lang::En => c.name_en(),
            };
            view! {
                <label class="check"><input type="checkbox" name="categories" value=code.clone() checked=checked
                    on:change=toggle_cat(categories, code)/>{name}</label>
            }
        })
        .collect_view();
    let extras = (!pack.add_ons.is_empty()).then(|| {
        view! {
            <fieldset class="checks">
                <legend>{t.quote_add_ons}</legend>
                {pack.add_ons.iter().map(|a| {
                    let code = a.code.clone();
                    let checked = add_ons.with_untracked(|l| l.contains(&code));
                    let name = format!("{} {}{}", match lang { Lang::Zh => &a.name_zh, Lang::En => &a.name_en }, a.amount.value, t.quote_yuan);
                    view! { <label class="check"><input type="checkbox" name="add_ons" value=code.clone() checked=checked
                        on:change=toggle_add(add_ons, code)/>{name}</label> }
                }).collect_view()}
            </fieldset>
        }
    });
    view! {
        {tiers}
        <fieldset class="checks">
            <legend>{t.quote_categories}</legend>
            {cats}
        </fieldset>
        {extras}
    }
}

#[component]
fn QuoteResult(result: Result<Quote, domain::policy::QuoteError>, lang: Lang, t: &'static Texts) -> impl IntoView {
    let q = match result {
        Err(e) => {
            let msg = match lang {
                Lang::Zh => e.message,
                Lang::En => e.message_en,
            };
            return view! { <p class="form-error" role="alert" data-field=e.field>{msg}</p> }.into_any();
        }
        Ok(q) => q,
    };
    let explanation = match lang {
        Lang::Zh => q.explanation.clone(),
        Lang::En => q.explanation_en.clone(),
    };
    let why = view! {
        <h2>{t.quote_why}</h2>
        <ul class="explanation">{explanation.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
        <h2>{t.quote_sources}</h2>
        <ul class="citations">{q.citations.iter().map(|c| view! { <li>{format!("{} {}", c.notice, c.clause)}</li> }).collect_view()}</ul>
    };
    if !q.eligible {
        return view! {
            <p class="verdict no" data-testid="quote-ineligible">{t.quote_ineligible}</p>
            {why}
        }
        .into_any();
    }
    // A figure the notice does not set is shown as such, never as a number from elsewhere.
    let yuan =
        |m: Option<domain::Money>| m.map_or_else(|| t.quote_not_set.to_owned(), |m| format!("{m} {}", t.quote_yuan));
    view! {
        <p class="verdict"><span>{t.quote_due}</span><strong data-testid="quote-due">{yuan(q.personal_due)}</strong></p>
        {(!q.priced).then(|| view! { <p class="notice" data-testid="quote-unpriced">{t.quote_unpriced}</p> })}
        <dl class="facts">
            <dt>{t.quote_standard}</dt><dd>{yuan(q.standard_contribution)}</dd>
            <dt>{t.quote_subsidy}</dt><dd data-testid="quote-subsidy">{yuan(q.subsidy)}</dd>
            {q.late_surcharge.filter(|m| !m.is_zero()).map(|m| view! { <dt>{t.quote_surcharge}</dt><dd>{format!("{m} {}", t.quote_yuan)}</dd> })}
            {q.add_ons_total.filter(|m| !m.is_zero()).map(|m| view! { <dt>{t.quote_add_ons_total}</dt><dd>{format!("{m} {}", t.quote_yuan)}</dd> })}
            <dt>{t.quote_start}</dt><dd data-testid="quote-start">{q.benefit_start.map(|d| d.to_string())}</dd>
            <dt>{t.quote_end}</dt><dd>{q.benefit_end.map(|d| d.to_string())}</dd>
        </dl>
        <Assumptions zh=q.assumptions.clone() en=q.assumptions_en.clone()/>
        {why}
    }
    .into_any()
}

/// Another pack was chosen: the form asks the server for the page of that pack (the page
/// holds one pack; the WASM is cached, so this costs the HTML alone). A payment date the
/// person did not pick is left out, so the new page starts on the new pack's own.
fn reload_for_pack(paid_on_chosen: bool) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if !paid_on_chosen {
            if let Some(input) = doc
                .get_element_by_id("paid_on")
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                input.set_value("");
            }
        }
        if let Some(form) = doc
            .get_element_by_id("quote-form")
            .and_then(|e| e.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            let _ = form.submit();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = paid_on_chosen;
}
