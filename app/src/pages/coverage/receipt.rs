//! The receipt page.

use leptos::prelude::*;

use crate::components::loaded::{refused, Refusal};

use super::*;
use crate::api::coverage::receipt;
use crate::components::assumptions::Assumptions;
use crate::model::ReceiptView;
use crate::prefs::{use_prefs, use_texts};

/// A printable receipt.
#[component]
pub fn ReceiptPage() -> impl IntoView {
    let t = use_texts();
    let params = leptos_router::hooks::use_params_map();
    let no = move || params.with(|p| p.get("no").unwrap_or_default());
    let data = Resource::new(no, receipt);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => refused(e, use_prefs().lang, Refusal { status: true, ..Refusal::default() }),
                    Ok(r) => view! { <Receipt r/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn Receipt(r: ReceiptView) -> impl IntoView {
    let t = use_texts();
    let shell = crate::components::layout::use_shell();
    view! {
        <section class="card receipt">
            <h1>{t.receipt_title}</h1>
            <dl class="facts">
                <dt>{t.receipt_no}</dt><dd data-testid="receipt-no">{r.receipt_no.clone()}</dd>
                <dt>{t.receipt_paid_at}</dt><dd>{r.paid_at.with_timezone(&domain::dates::SHANGHAI).format("%Y-%m-%d %H:%M").to_string()}</dd>
                <dt>{t.receipt_channel}</dt><dd>{channel_label(&r.channel, t)}</dd>
                {r.collected_by.clone().map(|c| view! { <dt>{t.receipt_collected_by}</dt><dd>{c}</dd> })}
            </dl>
            <table class="receipt-lines">
                <tbody>
                    {r.lines.iter().map(|l| view! {
                        <tr><td>{l.name.clone()}</td><td>{l.id_number_masked.clone()}</td><td>{l.insurance_year}</td><td>"¥"{l.amount.to_string()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            // One list for the receipt: the lines usually share their pack's assumptions.
            {
                let (mut zh, mut en) = (Vec::new(), Vec::new());
                for l in &r.lines {
                    for (i, a) in l.assumptions.iter().enumerate() {
                        if !zh.contains(a) {
                            zh.push(a.clone());
                            en.extend(l.assumptions_en.get(i).cloned());
                        }
                    }
                }
                view! { <Assumptions zh en/> }
            }
            <p class="verdict"><span>{t.receipt_total}</span><strong data-testid="receipt-amount">"¥"{r.amount.to_string()}</strong></p>
            // Back to where the reader came from: a resident's coverage, a cadre's desk (their
            // /coverage is empty: it lists the cadre's own household), other staff's workbench.
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let role = shell.await.ok().and_then(|i| i.user).map(|u| u.role);
                    let (href, label) = match role {
                        Some(crate::model::Role::Resident) | None => ("/coverage", t.back_to_coverage),
                        Some(crate::model::Role::Cadre) => ("/cadre", t.back_to_cadre),
                        Some(_) => ("/work", t.back_to_work),
                    };
                    view! { <p class="no-print"><a href=href data-testid="receipt-back">{label}</a></p> }
                })}
            </Suspense>
        </section>
    }
}
