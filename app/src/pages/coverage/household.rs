//! A household's members, their enrolments, hospital changes and what is left to pay.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::*;
use crate::api::coverage::{ChangeHospitals, CollectCash, ConfirmMemberPhone, EnrolHousehold, PayHousehold};
use crate::components::assumptions::Assumptions;
use crate::components::forms::{action_error, error_on, typed_value, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::i18n::{fill, Lang};
use crate::model::{CoveragePage, CoverageStatus, EnrolmentView, HospitalView, MemberLine};
use crate::prefs::{use_prefs, use_texts};

#[component]
pub(super) fn Household(page: CoveragePage) -> impl IntoView {
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
            <p class="muted">{crate::prefs::area_path(&page.area_path, &page.area_path_en)}</p>
            {year.map(|y| view! { <p>{t.enrol_year}": "<strong>{y}</strong></p> })}
            <h2>{t.household_title}</h2>
            <ul class="members">
                {page.members.iter().cloned().map(|m| view! {
                    <MemberCard line=m household_id=hid hospitals=page.hospitals.clone() max=page.policy.as_ref().map_or(1, |p| p.max_hospitals)/>
                }).collect_view()}
            </ul>
        </section>
        {(page.unpaid_total.is_positive()).then(|| view! { <PayCard page=page.clone()/> })}
        // Everyone in the household first, then who to enrol: the add-member form comes
        // before the enrolment form and its submit button.
        <AddMemberCard household_id=hid/>
        {match (&page.policy, problem) {
            (_, Some(msg)) => view! { <section class="card"><h2>{t.enrol_closed}</h2><p>{msg}</p></section> }.into_any(),
            (Some(_), None) if !to_enrol.is_empty() => {
                // The island cannot reach the router in the browser: it gets the search (hospital
                // filter) and the last submission's error (from the URL after a refused post).
                let (hq, ht) = use_query_map()
                    .with_untracked(|m| (m.get("hq").unwrap_or_default(), m.get("ht").unwrap_or_default()));
                let error = ServerAction::<EnrolHousehold>::new().value().get_untracked().and_then(Result::err);
                view! {
                    <crate::site::PreloadIslands/>
                    <EnrolCard page=page.clone() lines=to_enrol hq ht error/>
                }
                .into_any()
            }
            _ => ().into_any(),
        }}
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
pub(super) fn MemberCard(line: MemberLine, household_id: i64, hospitals: Vec<HospitalView>, max: u32) -> impl IntoView {
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
pub(super) fn ConfirmPhone(household_id: i64, person_id: i64, on_record: Option<String>) -> impl IntoView {
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
pub(super) fn EnrolmentFacts(e: EnrolmentView, hospitals: Vec<HospitalView>, max: u32) -> impl IntoView {
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
            <dd data-testid="benefit-start"><span class="date">{e.benefit_start.map(|d| d.to_string())}</span>" – "<span class="date">{e.benefit_end.map(|d| d.to_string())}</span></dd>
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
pub(super) fn HospitalChange(
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

pub(super) fn hospital_label(h: &HospitalView, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}（{}）", h.name, h.level),
        Lang::En => format!("{} ({})", h.name_en, grade_en(&h.level)),
    }
}

/// A hospital's grade (医院等级) in English: level 一/二/三 and, where graded, 甲/乙/丙.
pub(super) fn grade_en(level: &str) -> String {
    let mut chars = level.chars();
    let tier = match chars.next() {
        Some('一') => "Level 1",
        Some('二') => "Level 2",
        Some('三') => "Level 3",
        _ => return level.to_owned(),
    };
    let rest: String = chars.collect();
    match rest.as_str() {
        "级" => tier.to_owned(),
        "级甲等" => format!("{tier}, grade A"),
        "级乙等" => format!("{tier}, grade B"),
        "级丙等" => format!("{tier}, grade C"),
        _ => level.to_owned(),
    }
}

/// The enrolment form's hospital search: live as one types once the WASM runs, and a plain
/// GET form (`?hq=…&ht=…`) before it does.
#[derive(Clone, Copy)]
pub struct HospitalFilter {
    pub(super) q: RwSignal<String>,
    pub(super) township: RwSignal<String>,
}

impl HospitalFilter {
    pub(super) fn matches(&self, h: &HospitalView) -> bool {
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
pub(super) fn HospitalOptions(
    hospitals: StoredValue<Vec<HospitalView>>,
    filter: HospitalFilter,
    prefix: String,
) -> impl IntoView {
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

pub(super) fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// What the last action did and what comes next, at the top of the page: after a
/// submission (how many, the total, the deadline) or a cancelled payment, with the button
/// that pays.
#[component]
pub(super) fn NextStep(page: CoveragePage, submitted: Option<usize>, cancelled: bool) -> impl IntoView {
    let t = use_texts();
    let owed = page.unpaid_total.is_positive();
    let total = page.unpaid_total.to_string();
    let deadline = page.policy.as_ref().map(|p| p.deadline.to_string()).unwrap_or_default();
    let text = match (submitted, cancelled) {
        (Some(n), _) if owed => fill(&fill(&fill(t.notice_submitted, &n.to_string()), &total), &deadline),
        (Some(n), _) => fill(t.notice_submitted_free, &n.to_string()),
        (None, true) if owed => fill(&fill(t.notice_cancelled, &total), &deadline),
        _ => return None,
    };
    let hid = page.household_id.unwrap_or_default();
    Some(view! {
        <section class="notice next-step" role="status" data-testid="next-step">
            <p>{text}</p>
            {owed.then(|| view! {
                <form method="post" action=PayHousehold::PATH data-no-nav="">
                    <input type="hidden" name="household_id" value=hid.to_string()/>
                    <button type="submit" class="button primary" data-testid="next-step-pay">{t.pay_button}</button>
                </form>
            })}
        </section>
    })
}

#[component]
pub(super) fn PayCard(page: CoveragePage) -> impl IntoView {
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
            // A plain form, not an ActionForm, and kept from the page loader (`data-no-nav`):
            // the provider's page is outside this app, so the browser must load it in full.
            <form method="post" action=PayHousehold::PATH data-no-nav="">
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
                    <input id="amount" name="amount" inputmode="decimal" required
                        value=typed_value("amount") autofocus=error_on(cash_error, "amount")/>
                    <FieldError error=cash_error field="amount"/>
                    <FormError error=cash_error fields=&["amount"]/>
                    <button type="submit" class="button" data-testid="cash">{t.cash_submit}</button>
                </ActionForm>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hospital_grades_read_in_english() {
        for (zh, en) in [
            ("三级甲等", "Level 3, grade A"),
            ("三级乙等", "Level 3, grade B"),
            ("二级甲等", "Level 2, grade A"),
            ("二级", "Level 2"),
            ("一级", "Level 1"),
            ("未定级", "未定级"),
        ] {
            assert_eq!(super::grade_en(zh), en);
        }
    }
}
