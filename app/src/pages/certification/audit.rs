//! The audit log.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::certification::audit_entries;
use crate::components::loaded::loaded;
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
