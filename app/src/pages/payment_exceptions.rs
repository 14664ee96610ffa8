//! 支付异常: the bureau officer's queue of payments that could not be applied, and of the
//! refunds and top-ups that certification re-pricing created, each settled with a form that
//! works before the WASM loads.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::coverage::{payment_exceptions, SettleAdjustment, SettlePaymentException};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::loaded::loaded;
use crate::pages::certification::shanghai_time;
use crate::pages::coverage::{px_reason_label, px_status_label};
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn PaymentExceptionsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let all = move || query.with(|m| m.get("all").is_some_and(|s| s == "1"));
    let settle = ServerAction::<SettlePaymentException>::new();
    let settle_error = action_error(settle);
    let adjust = ServerAction::<SettleAdjustment>::new();
    let adjust_error = action_error(adjust);
    // Settling with JS on re-reads the queue; without JS the form post reloads the page.
    let list = Resource::new(
        move || (all(), settle.version().get(), adjust.version().get()),
        |(all, _, _)| payment_exceptions(all),
    );
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let list = match loaded(list.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                view! {
                    <section class="card wide">
                        <h1>{t.px_title}</h1>
                        <p class="muted">{t.px_intro}</p>
                        <form method="get" action="/payment-exceptions" class="filters">
                            <label class="check"><input type="checkbox" name="all" value="1" checked=all()/>{t.px_show_all}</label>
                            <button type="submit" class="button">{t.cert_filter}</button>
                        </form>
                        <FormError error=settle_error fields=&["outcome", "channel", "note"]/>
                        {if list.exceptions.is_empty() {
                            view! { <p data-testid="px-none">{t.px_none}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="cert-list">
                                    {list.exceptions.into_iter().map(|x| {
                                        let id = x.id;
                                        view! {
                                            <li class="cert-row" data-testid="px-row">
                                                <span class="badge">{px_status_label(&x.status, t)}</span>
                                                <span>{x.order_no.clone()}" · ¥"{x.amount.to_string()}</span>
                                                <span>{px_reason_label(&x.reason, t)}</span>
                                                <span class="muted">{x.payer_name.clone().unwrap_or_default()}" "{x.payer_id_masked.clone().unwrap_or_default()}</span>
                                                <span class="muted">{shanghai_time(x.paid_at)}</span>
                                                {if x.status == "open" {
                                                    view! {
                                                        <ActionForm action=settle attr:class="visit">
                                                            <input type="hidden" name="id" value=id.to_string()/>
                                                            <label for=format!("px-outcome-{id}")>{t.px_outcome}</label>
                                                            <select id=format!("px-outcome-{id}") name="outcome">
                                                                <option value="refunded">{t.px_status_refunded}</option>
                                                                <option value="applied">{t.px_status_applied}</option>
                                                            </select>
                                                            <label for=format!("px-channel-{id}")>{t.px_channel}</label>
                                                            <input id=format!("px-channel-{id}") name="channel" maxlength="40" prop:value=""/>
                                                            <label for=format!("px-note-{id}")>{t.px_note}</label>
                                                            <input id=format!("px-note-{id}") name="note" maxlength="200" prop:value=""/>
                                                            <FieldError error=settle_error field="channel"/>
                                                            <button type="submit" class="button small" data-testid="px-settle">{t.px_settle}</button>
                                                        </ActionForm>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <span class="muted" data-testid="px-settled">
                                                            {t.px_done}": "{x.settlement_channel.clone().unwrap_or_default()}
                                                            {x.settled_by.clone().map(|b| format!(" · {b}"))}
                                                            {x.settled_at.map(|a| format!(" · {}", shanghai_time(a)))}
                                                            {x.receipt_no.clone().map(|r| format!(" · {r}"))}
                                                        </span>
                                                    }.into_any()
                                                }}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <h2>{t.px_adjustments_title}</h2>
                        <FormError error=adjust_error fields=&["channel", "note"]/>
                        {if list.adjustments.is_empty() {
                            view! { <p data-testid="px-adjust-none">{t.px_adjust_none}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="cert-list">
                                    {list.adjustments.into_iter().map(|a| {
                                        let id = a.id;
                                        view! {
                                            <li class="cert-row" data-testid="px-adjustment">
                                                <span class="badge">{if a.kind == "refund" { t.adjust_refund } else { t.adjust_top_up }}</span>
                                                <span>"¥"{a.amount.to_string()}</span>
                                                <span class="muted">{a.name.clone()}" "{a.id_number_masked.clone()}</span>
                                                <ActionForm action=adjust attr:class="visit">
                                                    <input type="hidden" name="id" value=id.to_string()/>
                                                    <label for=format!("adj-channel-{id}")>{t.px_channel}</label>
                                                    <input id=format!("adj-channel-{id}") name="channel" maxlength="40" required prop:value=""/>
                                                    <label for=format!("adj-note-{id}")>{t.px_note}</label>
                                                    <input id=format!("adj-note-{id}") name="note" maxlength="200" prop:value=""/>
                                                    <button type="submit" class="button small" data-testid="adj-settle">{t.px_settle}</button>
                                                </ActionForm>
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
