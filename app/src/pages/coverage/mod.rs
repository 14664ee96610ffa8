//! 我的参保: the household, each member's enrolment (or what enrolling today would
//! mean), enrolment, payment and receipts. The same page serves a cadre acting for a
//! household (`?household=N`), with cash collection. Every form is an `ActionForm`, so
//! the whole flow works before (and without) the WASM.

mod enrol;
mod household;
mod receipt;
mod village;

pub use enrol::*;
pub use household::*;
pub use receipt::*;
pub use village::*;

use leptos::prelude::*;

use crate::components::loaded::{refused, Refusal};
use leptos_router::hooks::use_query_map;

use crate::api::coverage::{coverage, RegisterMe};
use crate::api::list_areas;
use crate::components::forms::{action_error, error_on, typed_value, FieldError, FormError};
use crate::i18n::Texts;
use crate::model::CoverageStatus;
use crate::prefs::{use_prefs, use_texts};

pub fn relationship_label(code: &str, t: &Texts) -> &'static str {
    match code {
        "self" => t.rel_self,
        "spouse" => t.rel_spouse,
        "child" => t.rel_child,
        "parent" => t.rel_parent,
        "grandchild" => t.rel_grandchild,
        "grandparent" => t.rel_grandparent,
        "sibling" => t.rel_sibling,
        _ => t.rel_other,
    }
}

pub fn channel_label(code: &str, t: &Texts) -> &'static str {
    match code {
        "sandbox_online" => t.channel_sandbox_online,
        "cadre_cash" => t.channel_cadre_cash,
        _ => t.channel_tax_reconciliation,
    }
}

pub fn px_status_label(code: &str, t: &Texts) -> &'static str {
    match code {
        "refunded" => t.px_status_refunded,
        "applied" => t.px_status_applied,
        _ => t.px_status_open,
    }
}

pub fn px_reason_label(code: &str, t: &Texts) -> &'static str {
    match code {
        "amount_mismatch" => t.px_reason_amount_mismatch,
        "order_superseded" => t.px_reason_order_superseded,
        _ => t.px_reason_order_closed,
    }
}

pub(super) fn status_class(s: CoverageStatus) -> &'static str {
    match s {
        CoverageStatus::Unpaid => "badge unpaid",
        CoverageStatus::Waiting => "badge waiting",
        CoverageStatus::Active => "badge active",
        CoverageStatus::Ended => "badge ended",
    }
}

#[component]
pub fn CoveragePageView() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let household = move || query.with(|q| q.get("household").and_then(|h| h.parse::<i64>().ok()));
    let paid = move || query.with(|q| q.get("result").is_some_and(|r| r == "applied"));
    let cancelled = move || query.with(|q| q.get("result").is_some_and(|r| r == "cancelled"));
    let submitted = move || query.with(|q| q.get("submitted").and_then(|n| n.parse::<usize>().ok()));
    let page = Resource::new(household, coverage);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => refused(e, use_prefs().lang, Refusal::default()),
                    Ok(p) if !p.registered => view! { <RegisterCard/> }.into_any(),
                    Ok(p) => view! {
                        {paid().then(|| view! { <p class="notice success" role="status" data-testid="paid-notice">{t.paid_result}</p> })}
                        <NextStep page=p.clone() submitted=submitted() cancelled=cancelled()/>
                        <Household page=p/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn RegisterCard() -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<RegisterMe>::new();
    let error = action_error(action);
    let villages = Resource::new(|| (), |_| list_areas());
    view! {
        <section class="card narrow">
            <h1>{t.register_title}</h1>
            <p>{t.register_intro}</p>
            <ActionForm action>
                <label for="name">{t.name_label}</label>
                <input id="name" name="name" required maxlength="30" autocomplete="name"
                    value=typed_value("name") autofocus=error_on(error, "name")/>
                <FieldError error field="name"/>
                <label for="id_number">{t.id_number_label}</label>
                <input id="id_number" name="id_number" required maxlength="18" autocomplete="off" inputmode="text"
                    value=typed_value("id_number") autofocus=error_on(error, "id_number")/>
                <FieldError error field="id_number"/>
                <label for="area_code">{t.village_label}</label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = villages.await.unwrap_or_default();
                        view! { <VillageSelect list scope=None chosen=typed_value("area_code")/> }
                    })}
                </Suspense>
                <FieldError error field="area_code"/>
                <FormError error fields=&["name", "id_number", "area_code"]/>
                <button type="submit" class="button primary">{t.register_submit}</button>
            </ActionForm>
        </section>
    }
}
