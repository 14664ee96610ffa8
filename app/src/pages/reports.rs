//! Report pages (one component for every kind: the server renders the tables and SVG
//! charts) and the targets page.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::reports::{report_view, target_list, SetTarget};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::loaded::{loaded, loaded_with, Refusal};
use crate::i18n::Texts;
use crate::prefs::{use_prefs, use_texts};

fn kinds(t: &Texts) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    crate::model::REPORT_KINDS.iter().map(move |(k, label)| (*k, label(t)))
}

#[component]
pub fn ReportPage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let query = use_query_map();
    let kind = move || params.with(|p| p.get("kind")).unwrap_or_else(|| "weekly".to_owned());
    let area = move || query.with(|q| q.get("area").filter(|s| !s.is_empty()));
    let as_of = move || query.with(|q| q.get("as_of").filter(|s| !s.is_empty()));
    let lang = use_prefs().lang;
    let data = Resource::new(
        move || (kind(), area(), as_of()),
        move |(k, a, d)| report_view(k, a, d, Some(lang.code().to_owned())),
    );
    view! {
        <section class="card wide report-page">
            <nav class="report-tabs" aria-label="reports">
                {move || {
                    let current = kind();
                    let suffix = area().map(|a| format!("?area={a}")).unwrap_or_default();
                    kinds(t).map(|(k, label)| {
                        let href = format!("/reports/{k}{suffix}");
                        view! { <a href=href class:current={current == k} aria-current={(current == k).then_some("page")}>{label}</a> }
                    }).collect_view()
                }}
            </nav>
            <Suspense fallback=move || view! { <p>{t.loading}</p> }>
                {move || Suspend::new(async move {
                    let refusal = Refusal { back: Some(("/reports", t.report_weekly)), testid: Some("report-error"), own_card: false, status: false };
                    let r = match loaded_with(data.await, lang, refusal) {
                        Ok(r) => r,
                        Err(refused) => return refused,
                    };
                    let action = format!("/reports/{}", kind());
                    let up = (r.area_code.len() > 6)
                        .then(|| r.area_code[..r.area_code.len() - 3].to_owned())
                        .map(|p| format!("/reports/{}?area={p}&as_of={}", kind(), r.as_of));
                    view! {
                        <h1 data-testid="report-title">{r.title.clone()}</h1>
                        <form method="get" action=action class="filters">
                            <label for="r-area">{t.report_area}</label>
                            <input id="r-area" name="area" inputmode="numeric" value=r.area_code.clone()/>
                            <label for="r-as-of">{t.report_as_of}</label>
                            <input id="r-as-of" name="as_of" type="date" value=r.as_of.clone()/>
                            <button type="submit" class="button">{t.report_show}</button>
                        </form>
                        <p class="report-links">
                            {up.map(|u| view! { <a href=u data-testid="report-up">{t.report_up}</a> })}
                            {r.xlsx_href.clone().map(|h| view! {
                                <a class="button small" href=h download data-testid="report-xlsx" rel="external">{t.report_download}</a>
                            })}
                        </p>
                        <div class="report-body" inner_html=r.html.clone()></div>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn TargetsPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    let action = ServerAction::<SetTarget>::new();
    let error = action_error(action);
    let data = Resource::new(|| (), |_| target_list(None));
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let lang = use_prefs().lang;
                let list = match loaded(data.await, lang) {
                    Ok(v) => v,
                    Err(refused) => return refused,
                };
                let imported = query.with(|q| q.get("imported"));
                let import_error = query.with(|q| q.get("error"));
                view! {
                    <section class="card wide">
                        <h1>{t.targets_title}</h1>
                        <p class="muted">{t.targets_intro}</p>
                        {imported.map(|n| view! { <p class="notice" data-testid="targets-imported">{t.targets_imported}" "{n}</p> })}
                        {import_error.map(|m| view! { <p class="form-error" role="alert" data-testid="targets-error">{m}</p> })}
                        <FormError error fields=&["count", "year"]/>
                        <div class="table-wrap" tabindex="0">
                        <table class="report stack-narrow" data-testid="targets-table">
                            <thead><tr>
                                <th scope="col">{t.targets_area}</th>
                                <th scope="col">{t.targets_year}</th>
                                <th scope="col">{t.targets_count}</th>
                                <th scope="col">{t.targets_source}</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|x| {
                                    let id = format!("c-{}-{}", x.area_code, x.insurance_year);
                                    let code = x.area_code.clone();
                                    let hidden_code = x.area_code.clone();
                                    let (year, count) = (x.insurance_year, x.count);
                                    let source = if x.assumed {
                                        format!("{} · {}", t.targets_assumed, x.clause)
                                    } else {
                                        format!("{} {}", x.notice, x.clause)
                                    };
                                    view! {
                                        <tr data-area=code.clone()>
                                            <th scope="row">{lang.pick(&x.area_name, &x.area_name_en).to_owned()}<br/><span class="muted">{code.clone()}</span></th>
                                            <td data-label=t.targets_year>{x.insurance_year}</td>
                                            <td data-label=t.targets_count>
                                                <ActionForm action attr:class="inline">
                                                    <input type="hidden" name="area_code" value=hidden_code.clone()/>
                                                    <input type="hidden" name="year" value=year.to_string()/>
                                                    <label class="visually-hidden" for=id.clone()>{t.targets_count}</label>
                                                    <input id=id.clone() name="count" inputmode="numeric" size="7" value=count.to_string()/>
                                                    <button type="submit" class="button small">{t.targets_save}</button>
                                                </ActionForm>
                                            </td>
                                            <td class="muted source" data-label=t.targets_source>{source}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <FieldError error field="count"/>
                        <h2>{t.targets_import}</h2>
                        <form method="post" enctype="multipart/form-data" action="/api/v1/targets/import">
                            <label for="t-file">{t.targets_file}</label>
                            <input id="t-file" type="file" name="file" required
                                accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
                            <button type="submit" class="button primary">{t.targets_import}</button>
                        </form>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
