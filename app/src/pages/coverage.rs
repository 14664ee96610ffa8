//! 我的参保: the household, each member's enrolment (or what enrolling today would
//! mean), enrolment, payment and receipts. The same page serves a cadre acting for a
//! household (`?household=N`), with cash collection. Every form is an `ActionForm`, so
//! the whole flow works before (and without) the WASM.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use crate::api::coverage::{
    coverage, receipt, AddHouseholdMember, ChangeHospitals, CollectCash, ConfirmMemberPhone, EnrolHousehold,
    PayHousehold, RegisterMe,
};
use crate::api::list_areas;
use crate::components::assumptions::Assumptions;
use crate::components::forms::{action_error, hydrated_marker, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Texts};
use crate::model::{AreaLevel, CoveragePage, CoverageStatus, EnrolmentView, HospitalView, MemberLine, ReceiptView};
use crate::pages::account::SignInPrompt;
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

fn status_class(s: CoverageStatus) -> &'static str {
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
    let page = Resource::new(household, coverage);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(AppError::Unauthorized(_)) => view! { <SignInPrompt/> }.into_any(),
                    Err(e) => {
                        let lang = use_prefs().lang;
                        view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any()
                    }
                    Ok(p) if !p.registered => view! { <RegisterCard/> }.into_any(),
                    Ok(p) => view! {
                        {paid().then(|| view! { <p class="notice success" role="status" data-testid="paid-notice">{t.paid_result}</p> })}
                        <Household page=p/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RegisterCard() -> impl IntoView {
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
                <input id="name" name="name" required maxlength="30" autocomplete="name"/>
                <FieldError error field="name"/>
                <label for="id_number">{t.id_number_label}</label>
                <input id="id_number" name="id_number" required maxlength="18" autocomplete="off" inputmode="text"/>
                <FieldError error field="id_number"/>
                <label for="area_code">{t.village_label}</label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = villages.await.unwrap_or_default();
                        view! { <VillageSelect list scope=None/> }
                    })}
                </Suspense>
                <FieldError error field="area_code"/>
                <FormError error fields=&["name", "id_number", "area_code"]/>
                <button type="submit" class="button primary">{t.register_submit}</button>
            </ActionForm>
        </section>
    }
}

/// Villages (grouped by their parent township) within `scope`, if given.
#[component]
pub fn VillageSelect(list: Vec<crate::model::AreaNode>, scope: Option<String>) -> impl IntoView {
    let lang = use_prefs().lang;
    let name_of = |a: &crate::model::AreaNode| match lang {
        Lang::Zh => a.name.clone(),
        Lang::En => a.name_en.clone(),
    };
    let parents: Vec<crate::model::AreaNode> = list
        .iter()
        .filter(|a| a.level == AreaLevel::Township)
        .filter(|a| {
            list.iter().any(|v| {
                v.parent.as_deref() == Some(a.code.as_str())
                    && v.level == AreaLevel::Village
                    && scope.as_deref().is_none_or(|s| v.code.starts_with(s))
            })
        })
        .cloned()
        .collect();
    // A township's group names its city and district too: five cities' townships share one
    // list, and "滨河街道" alone does not say where it is.
    let group_label = |p: &crate::model::AreaNode| {
        let mut names = vec![name_of(p)];
        let mut up = p.parent.clone();
        while let Some(code) = up {
            match list.iter().find(|a| a.code == code) {
                Some(a) if matches!(a.level, AreaLevel::City | AreaLevel::District) => {
                    names.insert(0, name_of(a));
                    up = a.parent.clone();
                }
                _ => break,
            }
        }
        names.join(" · ")
    };
    let t = use_texts();
    view! {
        // Starts on 请选择 (required): no city is chosen for the resident by the list's order.
        <select id="area_code" name="area_code" required>
            <option value="" selected>{t.choose_prompt}</option>
            {parents.into_iter().map(|p| {
                let villages: Vec<_> = list.iter()
                    .filter(|v| v.parent.as_deref() == Some(p.code.as_str()) && v.level == AreaLevel::Village)
                    .filter(|v| scope.as_deref().is_none_or(|s| v.code.starts_with(s)))
                    .map(|v| view! { <option value=v.code.clone()>{name_of(v)}</option> })
                    .collect_view();
                view! { <optgroup label=group_label(&p)>{villages}</optgroup> }
            }).collect_view()}
        </select>
    }
}

#[component]
fn Household(page: CoveragePage) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let hid = page.household_id.unwrap_or_default();
    let year = page.policy.as_ref().map(|p| p.insurance_year);
    let problem = match lang {
        Lang::Zh => page.policy_problem.clone(),
        Lang::En => page.policy_problem_en.clone(),
    };
    let to_enrol: Vec<MemberLine> = page.members.iter().filter(|m| m.enrolment.is_none()).cloned().collect();
    view! {
        <section class="card">
            <h1>{if page.staff { t.cadre_title } else { t.coverage_title }}</h1>
            <p class="muted">{page.area_path.join(" › ")}</p>
            {year.map(|y| view! { <p>{t.enrol_year}": "<strong>{y}</strong></p> })}
            <h2>{t.household_title}</h2>
            <ul class="members">
                {page.members.iter().cloned().map(|m| view! {
                    <MemberCard line=m household_id=hid hospitals=page.hospitals.clone() max=page.policy.as_ref().map_or(1, |p| p.max_hospitals)/>
                }).collect_view()}
            </ul>
        </section>
        {(page.unpaid_total.is_positive()).then(|| view! { <PayCard page=page.clone()/> })}
        {match (&page.policy, problem) {
            (_, Some(msg)) => view! { <section class="card"><h2>{t.enrol_closed}</h2><p>{msg}</p></section> }.into_any(),
            (Some(_), None) if !to_enrol.is_empty() => {
                // The island cannot reach the router in the browser: it gets the search (hospital
                // filter) and the last submission's error (from the URL after a refused post).
                let (hq, ht) = use_query_map()
                    .with_untracked(|m| (m.get("hq").unwrap_or_default(), m.get("ht").unwrap_or_default()));
                let error = ServerAction::<EnrolHousehold>::new().value().get_untracked().and_then(Result::err);
                view! { <EnrolCard page=page.clone() lines=to_enrol hq ht error/> }.into_any()
            }
            _ => ().into_any(),
        }}
        <AddMemberCard household_id=hid/>
        {(!page.payment_exceptions.is_empty()).then(|| view! {
            <section class="card">
                <h2>{t.nav_px}</h2>
                {page.payment_exceptions.iter().any(|x| x.status == "open").then(|| view! { <p class="notice">{t.px_household}</p> })}
                <ul class="receipts" data-testid="payment-exceptions">
                    {page.payment_exceptions.iter().map(|x| view! {
                        <li>{x.order_no.clone()}" · ¥"{x.amount.to_string()}" · "{px_status_label(&x.status, t)}
                            {x.settlement_channel.clone().map(|c| format!(" · {c}"))}
                            {x.receipt_no.clone().map(|r| view! { " · "<a href=format!("/receipt/{r}")>{r.clone()}</a> })}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {(!page.receipts.is_empty()).then(|| view! {
            <section class="card">
                <h2>{t.receipts_title}</h2>
                <ul class="receipts">
                    {page.receipts.iter().map(|r| view! {
                        <li><a href=format!("/receipt/{}", r.receipt_no)>{r.receipt_no.clone()}</a>
                            " · ¥"{r.amount.to_string()}" · "{channel_label(&r.channel, t)}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn MemberCard(line: MemberLine, household_id: i64, hospitals: Vec<HospitalView>, max: u32) -> impl IntoView {
    let t = use_texts();
    let m = line.member;
    let confirm = line.phone_confirmable.then(|| {
        view! { <ConfirmPhone household_id person_id=m.person_id on_record=line.phone_masked.clone()/> }
    });
    let rel = m
        .relationship
        .as_deref()
        .map(|r| relationship_label(r, t))
        .unwrap_or("");
    view! {
        <li class="member" data-testid="member">
            <div class="member-head">
                <strong>{m.name.clone()}</strong>
                <span class="muted">{m.id_number_masked.clone()}" · "{rel}</span>
            </div>
            {line.enrolment.map(|e| view! { <EnrolmentFacts e hospitals max/> })}
            {confirm}
        </li>
    }
}

/// Staff only: the phone the resident controls, confirmed with the resident and their ID
/// card in front of the cadre, so the resident's own phone account can link to them.
#[component]
fn ConfirmPhone(household_id: i64, person_id: i64, on_record: Option<String>) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<ConfirmMemberPhone>::new();
    let error = action_error(action);
    let id = format!("phone-{person_id}");
    view! {
        <details class="confirm-phone" data-testid="confirm-phone">
            <summary>{t.phone_confirm_title}
                {on_record.map(|p| view! { " · "<span class="muted">{t.phone_on_record}" "{p}</span> })}
            </summary>
            <p class="muted">{t.phone_confirm_hint}</p>
            <ActionForm action>
                <input type="hidden" name="household_id" value=household_id.to_string()/>
                <input type="hidden" name="person_id" value=person_id.to_string()/>
                <label for=id.clone()>{t.phone_label}</label>
                <input id=id name="phone" type="tel" inputmode="numeric" maxlength="13" autocomplete="off" required/>
                <FieldError error field="phone"/>
                <FormError error fields=&["phone"]/>
                <button type="submit" class="button" data-testid="confirm-phone-submit">{t.phone_confirm_submit}</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn EnrolmentFacts(e: EnrolmentView, hospitals: Vec<HospitalView>, max: u32) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let change =
        (e.hospital_changes_left > 0 && e.status != CoverageStatus::Ended && !hospitals.is_empty()).then(|| {
            let current: Vec<String> = e.hospitals.iter().map(|h| h.code.clone()).collect();
            view! { <HospitalChange enrolment_id=e.id left=e.hospital_changes_left hospitals current max/> }
        });
    let explanation = match lang {
        Lang::Zh => e.explanation.clone(),
        Lang::En => e.explanation_en.clone(),
    };
    let chosen: Vec<String> = e
        .hospitals
        .iter()
        .map(|h| match lang {
            Lang::Zh => h.name.clone(),
            Lang::En => h.name_en.clone(),
        })
        .collect();
    view! {
        <p>
            <span class=status_class(e.status) data-testid="status">{e.status.label(t)}</span>
            " "{e.insurance_year}" · ¥"{e.personal_due.to_string()}
            {(!e.paid.is_zero()).then(|| view! { " · "{t.paid_label}" ¥"{e.paid.to_string()} })}
        </p>
        // A certification flagged after payment: what is owed back (or still owed).
        {e.adjustments.iter().map(|a| view! {
            <p class="notice" data-testid="adjustment">
                {match (a.kind.as_str(), a.status.as_str()) {
                    ("refund", "settled") => t.adjust_refunded,
                    (_, "settled") => t.adjust_collected,
                    ("refund", _) => t.adjust_refund,
                    _ => t.adjust_top_up,
                }}" ¥"{a.amount.to_string()}
                {match (&a.settled_at, &a.settlement_channel) {
                    (Some(at), channel) => format!(
                        " · {} · {}",
                        channel.clone().unwrap_or_default(),
                        crate::pages::certification::shanghai_time(*at)
                    ),
                    _ => format!(" ({})", t.adjust_pending),
                }}
            </p>
        }).collect_view()}
        <dl class="facts">
            <dt>{t.benefit_period}</dt>
            <dd data-testid="benefit-start">{e.benefit_start.map(|d| d.to_string())}" – "{e.benefit_end.map(|d| d.to_string())}</dd>
            <dt>{t.enrol_hospital}</dt><dd data-testid="hospitals">{chosen.join("、")}</dd>
            // The answers this price and start date rest on.
            {e.employee_insurance_ended_on.clone().map(|d| view! { <dt>{t.facts_ended}</dt><dd data-testid="fact-ended">{d}</dd> })}
            {e.work.clone().map(|w| view! {
                <dt>{t.facts_work}</dt>
                <dd>{match w.as_str() { "migrant_worker" => t.facts_work_migrant, _ => t.facts_work_flexible }}</dd>
            })}
            {e.school.clone().map(|s| view! {
                <dt>{t.facts_school}</dt>
                <dd>{match s.as_str() {
                    "kindergarten" => t.facts_school_kindergarten,
                    "primary_secondary" => t.facts_school_primary,
                    _ => t.facts_school_higher,
                }}</dd>
            })}
        </dl>
        <Assumptions zh=e.assumptions.clone() en=e.assumptions_en.clone()/>
        {change}
        <details>
            <summary>{t.quote_why}</summary>
            <ul class="explanation">{explanation.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
            <p class="muted">{t.quote_sources}": "{e.citations.iter().map(|c| format!("{} {}", c.notice, c.clause)).collect::<Vec<_>>().join("；")}</p>
        </details>
    }
}

/// Changing the designated hospitals later in the year (as often as the pack allows).
#[component]
fn HospitalChange(
    enrolment_id: i64,
    left: u32,
    hospitals: Vec<HospitalView>,
    current: Vec<String>,
    max: u32,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let action = ServerAction::<ChangeHospitals>::new();
    let error = action_error(action);
    let selects = (0..max.max(1) as usize)
        .map(|k| {
            let selected = current.get(k).cloned().unwrap_or_default();
            let options = hospitals
                .iter()
                .map(|h| {
                    let is = h.code == selected;
                    view! { <option value=h.code.clone() selected=is>{hospital_label(h, lang)}</option> }
                })
                .collect_view();
            let label = if k == 0 {
                t.enrol_hospital.to_owned()
            } else {
                fill(t.hospital_extra, &(k + 1).to_string())
            };
            view! {
                <label for=format!("change-{enrolment_id}-{k}")>{label}</label>
                <select id=format!("change-{enrolment_id}-{k}") name=format!("choices[{k}]")
                    data-testid=(k == 0).then_some("change-hospital")>
                    {(k > 0).then(|| view! { <option value="">{t.hospital_extra_none}</option> })}
                    {options}
                </select>
            }
        })
        .collect_view();
    view! {
        <details class="hospital-change" data-testid="hospital-change">
            <summary>{t.hospital_change_title}" · "{fill(t.hospital_change_left, &left.to_string())}</summary>
            <ActionForm action>
                <input type="hidden" name="enrolment_id" value=enrolment_id.to_string()/>
                {selects}
                <FieldError error field="hospitals"/>
                <FormError error fields=&["hospitals"]/>
                <button type="submit" class="button" data-testid="change-hospital-submit">{t.hospital_change_submit}</button>
            </ActionForm>
        </details>
    }
}

fn hospital_label(h: &HospitalView, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}（{}）", h.name, h.level),
        Lang::En => format!("{} ({})", h.name_en, h.level),
    }
}

/// The enrolment form's hospital search: live as one types once the WASM runs, and a plain
/// GET form (`?hq=…&ht=…`) before it does.
#[derive(Clone, Copy)]
struct HospitalFilter {
    q: RwSignal<String>,
    township: RwSignal<String>,
}

impl HospitalFilter {
    fn matches(&self, h: &HospitalView) -> bool {
        let township = self.township.get();
        // ASCII case folding only: the names are Chinese or plain English, and full Unicode
        // case tables would cost the WASM more than they give.
        let q = self.q.with(|q| q.trim().to_ascii_lowercase());
        (township.is_empty() || h.area_code == township)
            && (q.is_empty()
                || [&h.name, &h.name_en, &h.address]
                    .iter()
                    .any(|s| s.to_ascii_lowercase().contains(&q)))
    }
}

/// The options of one hospital select, narrowed by the filter.
#[component]
fn HospitalOptions(hospitals: StoredValue<Vec<HospitalView>>, filter: HospitalFilter, prefix: String) -> impl IntoView {
    let lang = use_prefs().lang;
    move || {
        hospitals.with_value(|list| {
            list.iter()
                .filter(|h| filter.matches(h))
                .map(|h| view! { <option value=format!("{prefix}{}", h.code)>{hospital_label(h, lang)}</option> })
                .collect_view()
        })
    }
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[component]
fn PayCard(page: CoveragePage) -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let pay = ServerAction::<PayHousehold>::new();
    let pay_error = action_error(pay);
    let cash = ServerAction::<CollectCash>::new();
    let cash_error = action_error(cash);
    let hid = page.household_id.unwrap_or_default();
    let deadline = page.policy.as_ref().map(|p| p.deadline);
    let total = page.unpaid_total;
    view! {
        <section class="card pay">
            <h2>{t.pay_title}</h2>
            <p class="verdict"><span>{t.enrol_total}</span><strong data-testid="unpaid-total">"¥"{total.to_string()}</strong></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let today = shell.await.map(|s| s.today).ok();
                    deadline.map(|d| view! {
                        <p data-testid="deadline">{fill(t.pay_deadline, &d.to_string())}
                            {today.map(|td| view! { " · "<strong>{fill(t.pay_days_left, &days_between(td, d).max(0).to_string())}</strong> })}
                        </p>
                    })
                })}
            </Suspense>
            // A plain form, not an ActionForm: the provider's page is outside this app, so the
            // browser must load it in full (a client-side navigation would not find it).
            <form method="post" action=PayHousehold::PATH>
                <input type="hidden" name="household_id" value=hid.to_string()/>
                <FormError error=pay_error fields=&[]/>
                <button type="submit" class="button primary" data-testid="pay">{t.pay_button}</button>
            </form>
            {page.staff.then(|| match (page.pay_qr_svg.clone(), page.pay_link.clone()) {
                (Some(svg), Some(link)) => view! {
                    <figure class="pay-qr" data-testid="pay-qr">
                        <div class="qr" inner_html=svg></div>
                        <figcaption>{t.pay_qr_caption}<br/><a href=link.clone() data-testid="pay-link">{link.clone()}</a></figcaption>
                    </figure>
                }.into_any(),
                _ => view! {
                    <form method="post" action=PayHousehold::PATH>
                        <input type="hidden" name="household_id" value=hid.to_string()/>
                        <input type="hidden" name="qr" value="1"/>
                        <button type="submit" class="button" data-testid="pay-qr-button">{t.pay_qr_button}</button>
                    </form>
                }.into_any(),
            })}
            {page.staff.then(|| view! {
                <h3>{t.cash_title}</h3>
                <ActionForm action=cash>
                    <input type="hidden" name="household_id" value=hid.to_string()/>
                    <label for="amount">{t.cash_amount}</label>
                    <input id="amount" name="amount" inputmode="decimal" required/>
                    <FieldError error=cash_error field="amount"/>
                    <FormError error=cash_error fields=&["amount"]/>
                    <button type="submit" class="button" data-testid="cash">{t.cash_submit}</button>
                </ActionForm>
            })}
        </section>
    }
}

/// The enrolment form: an island, the only part of 我的参保 the browser hydrates (the live
/// re-quote and hospital search). It posts as a plain form; the server redirects back.
#[island]
fn EnrolCard(
    page: CoveragePage,
    lines: Vec<MemberLine>,
    hq: String,
    ht: String,
    error: Option<AppError>,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let error = Signal::derive(move || error.clone());
    let hid = page.household_id.unwrap_or_default();
    let pack = page.policy.clone().expect("EnrolCard needs a pack");
    let two_tiers = pack.tiers.len() > 1;
    let filter = HospitalFilter {
        q: RwSignal::new(hq.clone()),
        township: RwSignal::new(ht.clone()),
    };
    let mut townships: Vec<(String, String)> = Vec::new();
    for h in &page.hospitals {
        if !townships.iter().any(|(c, _)| *c == h.area_code) {
            let name = match lang {
                Lang::Zh => h.area_name.clone(),
                Lang::En => h.area_name_en.clone(),
            };
            townships.push((h.area_code.clone(), name));
        }
    }
    let hospitals = StoredValue::new(page.hospitals.clone());
    let any_match = move || hospitals.with_value(|l| l.iter().any(|h| filter.matches(h)));
    let max = pack.max_hospitals.max(1) as usize;
    let mut choice_index = 0usize;
    let tiers = pack.tiers.clone();
    let add_ons = pack.add_ons.clone();
    // The whole pack for the in-browser re-quote (the server's preview until it changes).
    let engine_pack = StoredValue::new(page.pack.clone());
    let mut index = 0usize;
    let mut add_on_index = 0usize;
    // The questions whose answers can change a member's price, start date or eligibility,
    // asked only where the pack has a rule that uses them.
    let asks = page.pack.as_ref().map_or(Asks::default(), |p| Asks {
        ended: p.employee_transfer.is_some(),
        elsewhere: p.eligibility.excludes_insured_elsewhere,
        work: p.eligibility.workers_any_hukou,
        school: !p.eligibility.nonlocal_student_schools.is_empty(),
    });
    let rows = lines
        .into_iter()
        .map(|m| {
            let pid = m.member.person_id;
            let q = m.preview.clone();
            let eligible = q.as_ref().is_some_and(|q| q.eligible);
            // Tier and add-ons as chosen on the form; the engine re-quotes on each change.
            let base = StoredValue::new(m.preview_request.clone());
            let first_tier = m.preview_request.as_ref().and_then(|r| r.tier.clone());
            let tier = RwSignal::new(first_tier.clone());
            let picked = RwSignal::new(Vec::<String>::new());
            let facts = Facts::default();
            let server = StoredValue::new(q.clone());
            let live = Memo::new(move |_| {
                let (tier, add_ons) = (tier.get(), picked.get());
                let answered = facts.answered();
                // Until the form changes, the server's preview is the answer (same request).
                if add_ons.is_empty()
                    && !answered
                    && base.with_value(|b| b.as_ref().map(|b| &b.tier) == Some(&tier))
                {
                    return server.get_value();
                }
                let fresh = base.with_value(|b| {
                    let mut req = b.clone()?;
                    req.tier = tier;
                    req.add_ons = add_ons;
                    facts.apply(&mut req);
                    engine_pack.with_value(|p| p.as_ref().and_then(|p| domain::policy::quote(p, &req).ok()))
                });
                fresh.or_else(|| server.get_value())
            });
            let due = move || live.with(|q| q.as_ref().and_then(|q| q.personal_due).map(|d| d.to_string()));
            let start = move || {
                live.with(|q| q.as_ref().and_then(|q| q.benefit_start).map(|d| d.to_string()).unwrap_or_default())
            };
            let explanation = move || {
                live.with(|q| {
                    q.as_ref()
                        .map(|q| match lang {
                            Lang::Zh => q.explanation.clone(),
                            Lang::En => q.explanation_en.clone(),
                        })
                        .unwrap_or_default()
                })
            };
            let i = index;
            index += 1;
            let facts_view = asks.any().then(|| view! { <MemberFacts pid index=i asks facts student=m.member.student/> });
            // A non-local worker may become eligible by answering the work question.
            let selectable = eligible || asks.work;
            let hospital_selects = (0..max)
                .map(|k| {
                    let c = choice_index;
                    choice_index += 1;
                    let id = if k == 0 { format!("hospital-{pid}") } else { format!("hospital-{pid}-{k}") };
                    let label = if k == 0 { t.enrol_hospital.to_owned() } else { fill(t.hospital_extra, &(k + 1).to_string()) };
                    view! {
                        <label for=id.clone()>{label}</label>
                        <select id=id name=format!("choices[{c}]") data-testid=if k == 0 { "hospital" } else { "hospital-extra" }>
                            <option value=format!("{pid}:")>{if k == 0 { t.enrol_hospital_none } else { t.hospital_extra_none }}</option>
                            <HospitalOptions hospitals filter prefix=format!("{pid}:")/>
                        </select>
                    }
                })
                .collect_view();
            let add_on_boxes = add_ons
                .iter()
                .map(|(code, zh, en, amount)| {
                    let k = add_on_index;
                    add_on_index += 1;
                    let name = match lang {
                        Lang::Zh => format!("{zh}（另缴¥{amount}）"),
                        Lang::En => format!("{en} (¥{amount} extra)"),
                    };
                    let code = code.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" name=format!("add_ons[{k}]") value=format!("{pid}:{code}")
                                data-testid="add-on"
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    picked.update(|v| {
                                        v.retain(|c| *c != code);
                                        if on {
                                            v.push(code.clone());
                                        }
                                    });
                                }/>
                            " "{name}
                        </label>
                    }
                })
                .collect_view();
            let tier_options = tiers
                .iter()
                .map(|(code, zh, en, amount)| {
                    let amount = amount.map(|a| format!(" ¥{a}")).unwrap_or_default();
                    let name = match lang {
                        Lang::Zh => format!("{zh}{amount}"),
                        Lang::En => format!("{en}{amount}"),
                    };
                    let selected = first_tier.as_deref() == Some(code.as_str());
                    view! { <option value=format!("{pid}:{code}") selected=selected>{name}</option> }
                })
                .collect_view();
            view! {
                <fieldset class="enrol-member" data-testid="enrol-member">
                    <legend>{m.member.name.clone()}" "<span class="muted">{m.member.id_number_masked.clone()}</span></legend>
                    {match q {
                        // No figure in the notice: nothing to pay yet, so nothing to enrol.
                        Some(q) if q.eligible && !q.priced => view! {
                            <p class="verdict no" data-testid="preview-unpriced">{t.enrol_unpriced}</p>
                        }.into_any(),
                        Some(_) if selectable => view! {
                            {move || match live.with(|q| q.as_ref().map(|q| (q.eligible, q.priced))) {
                                Some((true, true)) => view! {
                                    <p class="verdict"><span>{t.quote_due}</span>
                                        <strong data-testid="preview-due">"¥"{due}</strong></p>
                                    <p data-testid="preview-start">{fill(t.enrol_if_paid_today, &start())}</p>
                                }.into_any(),
                                Some((true, false)) => view! {
                                    <p class="verdict no" data-testid="preview-unpriced">{t.enrol_unpriced}</p>
                                }.into_any(),
                                _ => view! { <p class="verdict no">{t.enrol_not_eligible}</p> }.into_any(),
                            }}
                            // Hidden (and so not chosen) while the member cannot be enrolled:
                            // not eligible, or no amount in the notice.
                            <div class="member-choices"
                                hidden=move || !live.with(|q| q.as_ref().is_some_and(|q| q.eligible && q.priced))>
                            {(two_tiers && first_tier.is_some()).then(|| view! {
                                <label for=format!("tier-{pid}")>{t.tier_label}</label>
                                <select id=format!("tier-{pid}") name=format!("tiers[{i}]") data-testid="tier"
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        tier.set(v.split_once(':').map(|(_, c)| c.to_owned()));
                                    }>{tier_options}</select>
                            })}
                            {add_on_boxes}
                            {hospital_selects}
                            </div>
                        }.into_any(),
                        _ => view! { <p class="verdict no">{t.enrol_not_eligible}</p> }.into_any(),
                    }}
                    {facts_view}
                    <details>
                        <summary>{t.quote_why}</summary>
                        <ul class="explanation" data-testid="preview-explanation">
                            {move || explanation().into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                        </ul>
                    </details>
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-live=hydrated_marker()>
            <h2>{t.enrol_title}</h2>
            <p>{t.enrol_intro}</p>
            // Its own form (forms cannot nest); with the WASM running it filters as one types.
            <form method="get" action="/coverage" class="filters hospital-filter" data-testid="hospital-filter"
                on:submit=move |ev| ev.prevent_default()>
                {page.staff.then(|| view! { <input type="hidden" name="household" value=hid.to_string()/> })}
                <label for="hq">{t.hospital_search}</label>
                <input id="hq" name="hq" type="search" value=hq autocomplete="off"
                    on:input=move |ev| filter.q.set(event_target_value(&ev))/>
                <label for="ht">{t.hospital_township}</label>
                <select id="ht" name="ht" on:change=move |ev| filter.township.set(event_target_value(&ev))>
                    <option value="">{t.hospital_all_townships}</option>
                    {townships.into_iter().map(|(code, name)| {
                        let selected = code == ht;
                        view! { <option value=code selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class="button">{t.cert_filter}</button>
            </form>
            {move || (!any_match()).then(|| view! { <p class="muted" data-testid="hospital-no-match">{t.hospital_no_match}</p> })}
            <form method="post" action=EnrolHousehold::PATH>
                <input type="hidden" name="household_id" value=hid.to_string()/>
                {rows}
                <FormError error fields=&[]/>
                <button type="submit" class="button primary" data-testid="enrol-submit">{t.enrol_submit}</button>
            </form>
        </section>
    }
}

/// Which member questions the pack's rules can use.
#[derive(Clone, Copy, Default)]
struct Asks {
    ended: bool,
    elsewhere: bool,
    work: bool,
    school: bool,
}

impl Asks {
    fn any(self) -> bool {
        self.ended || self.elsewhere || self.work || self.school
    }
}

/// A member's answers as typed, for the in-browser re-quote (the server reads the same
/// inputs from the form).
#[derive(Clone, Copy)]
struct Facts {
    ended: RwSignal<String>,
    elsewhere: RwSignal<bool>,
    work: RwSignal<String>,
    school: RwSignal<String>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            ended: RwSignal::new(String::new()),
            elsewhere: RwSignal::new(false),
            work: RwSignal::new(String::new()),
            school: RwSignal::new(String::new()),
        }
    }
}

impl Facts {
    fn answered(self) -> bool {
        !self.ended.with(String::is_empty)
            || self.elsewhere.get()
            || !self.work.with(String::is_empty)
            || !self.school.with(String::is_empty)
    }

    fn apply(self, req: &mut domain::policy::QuoteRequest) {
        let some = |s: String| (!s.is_empty()).then_some(s);
        req.person.employee_insurance_ended_on = some(self.ended.get());
        req.person.insured_elsewhere = self.elsewhere.get();
        req.person.work = some(self.work.get());
        req.person.school = some(self.school.get());
    }
}

/// "Other circumstances": asked in plain words, only where the pack uses the answer.
#[component]
fn MemberFacts(pid: i64, index: usize, asks: Asks, facts: Facts, student: bool) -> impl IntoView {
    let t = use_texts();
    // "<pid>:<fact>:<value>" → value.
    let value_of = |ev: &leptos::ev::Event| {
        let v = event_target_value(ev);
        v.rsplit_once(':').map(|(_, c)| c.to_owned()).unwrap_or_default()
    };
    view! {
        <details class="member-facts" data-testid="member-facts">
            <summary>{t.facts_title}</summary>
            <p class="muted">{t.facts_hint}</p>
            {asks.ended.then(|| view! {
                <input type="hidden" name=format!("ended_pid[{index}]") value=pid.to_string()/>
                <label for=format!("ended-{pid}")>{t.facts_ended}</label>
                <input type="date" id=format!("ended-{pid}") name=format!("ended[{index}]") data-testid="facts-ended"
                    on:change=move |ev| facts.ended.set(event_target_value(&ev))/>
            })}
            {asks.elsewhere.then(|| view! {
                <label class="check">
                    <input type="checkbox" name=format!("facts[{}]", 3 * index) value=format!("{pid}:elsewhere:on") data-testid="facts-elsewhere"
                        on:change=move |ev| facts.elsewhere.set(event_target_checked(&ev))/>
                    " "{t.facts_elsewhere}
                </label>
            })}
            {asks.work.then(|| view! {
                <label for=format!("work-{pid}")>{t.facts_work}</label>
                <select id=format!("work-{pid}") name=format!("facts[{}]", 3 * index + 1) data-testid="facts-work"
                    on:change=move |ev| facts.work.set(value_of(&ev))>
                    <option value="">{t.facts_work_none}</option>
                    <option value=format!("{pid}:work:flexible_employment")>{t.facts_work_flexible}</option>
                    <option value=format!("{pid}:work:migrant_worker")>{t.facts_work_migrant}</option>
                </select>
            })}
            {(asks.school && student).then(|| view! {
                <label for=format!("school-{pid}")>{t.facts_school}</label>
                <select id=format!("school-{pid}") name=format!("facts[{}]", 3 * index + 2) data-testid="facts-school"
                    on:change=move |ev| facts.school.set(value_of(&ev))>
                    <option value="">{t.choose_prompt}</option>
                    <option value=format!("{pid}:school:kindergarten")>{t.facts_school_kindergarten}</option>
                    <option value=format!("{pid}:school:primary_secondary")>{t.facts_school_primary}</option>
                    <option value=format!("{pid}:school:higher_education")>{t.facts_school_higher}</option>
                </select>
            })}
        </details>
    }
}

#[component]
fn AddMemberCard(household_id: i64) -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<AddHouseholdMember>::new();
    let error = action_error(action);
    let rels = [
        "spouse",
        "child",
        "parent",
        "grandchild",
        "grandparent",
        "sibling",
        "other",
    ];
    view! {
        <section class="card">
            <h2>{t.add_member_title}</h2>
            <ActionForm action>
                <input type="hidden" name="household_id" value=household_id.to_string()/>
                <label for="m-name">{t.name_label}</label>
                <input id="m-name" name="name" required maxlength="30"/>
                <FieldError error field="name"/>
                <label for="m-id">{t.id_number_label}</label>
                <input id="m-id" name="id_number" required maxlength="18" autocomplete="off"/>
                <FieldError error field="id_number"/>
                <label for="m-rel">{t.relationship_label}</label>
                <select id="m-rel" name="relationship">
                    {rels.into_iter().map(|r| view! { <option value=r>{relationship_label(r, t)}</option> }).collect_view()}
                </select>
                <label class="check"><input type="checkbox" name="student" value="on"/>" "{t.student_label}</label>
                <FormError error fields=&["name", "id_number", "relationship"]/>
                <button type="submit" class="button" data-testid="add-member">{t.add_member_submit}</button>
            </ActionForm>
        </section>
    }
}

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
                    Err(AppError::Unauthorized(_)) => view! { <SignInPrompt/> }.into_any(),
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
                            opts.set_status(http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::NOT_FOUND));
                        }
                        let lang = use_prefs().lang;
                        view! { <section class="card"><p class="form-error" role="alert">{e.message(lang)}</p></section> }.into_any()
                    }
                    Ok(r) => view! { <Receipt r/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Receipt(r: ReceiptView) -> impl IntoView {
    let t = use_texts();
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
            <p class="no-print"><a href="/coverage">{t.back_to_coverage}</a></p>
        </section>
    }
}
