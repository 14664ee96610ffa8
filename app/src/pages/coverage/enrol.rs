//! The enrolment form (an island: live quotes per member) and adding a member.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::*;
use crate::api::coverage::{AddHouseholdMember, EnrolHousehold, ENROL_ASKED};
use crate::components::forms::{
    action_error, error_on, hydrated_marker, restore_typed, typed_value, FieldError, FormError,
};
use crate::error::AppError;
use crate::i18n::{fill, Lang};
use crate::model::{CoveragePage, MemberLine};
use crate::prefs::{use_prefs, use_texts};

/// The enrolment form: an island, the only part of 我的参保 the browser hydrates (the live
/// re-quote and hospital search). It posts as a plain form; the server redirects back.
#[island]
pub(super) fn EnrolCard(
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
    restore_typed("hospital-filter", move |typed| {
        filter.q.set(typed.one("hq"));
        filter.township.set(typed.one("ht"));
    });
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
    // "Enrol this member?" goes as a fact per member, after the three facts each member has
    // (`facts[3n + i]`), and the hidden fact saying the form asks it after those (`facts[4n]`).
    let asked = lines.len();
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
            // "Enrol this member?" — its own question, ticked to start with (应保尽保); after
            // a refused post, as it was left.
            let (enrol_field, enrol_on) = (format!("facts[{}]", 3 * asked + i), format!("{pid}:enrol:on"));
            let was_ticked = if typed_value(&format!("facts[{}]", 4 * asked)) != ENROL_ASKED {
                true
            } else {
                typed_value(&enrol_field) == enrol_on
            };
            let enrolling = RwSignal::new(was_ticked);
            let (field, on) = (enrol_field.clone(), enrol_on.clone());
            // Choices made before the island went live (the page is usable without it).
            restore_typed("enrol-form", move |typed| {
                enrolling.set(typed.one(&field) == on);
                let after_pid = |v: &str| {
                    v.strip_prefix(&format!("{pid}:")).map(str::to_owned)
                };
                if let Some(code) = after_pid(&typed.one(&format!("tiers[{i}]"))) {
                    tier.set(Some(code));
                }
                picked.set(
                    typed
                        .pairs()
                        .iter()
                        .filter(|(k, _)| k.starts_with("add_ons["))
                        .filter_map(|(_, v)| after_pid(v))
                        .collect(),
                );
                let fact = |n: usize| {
                    typed
                        .one(&format!("facts[{n}]"))
                        .rsplit_once(':')
                        .map(|(_, v)| v.to_owned())
                        .unwrap_or_default()
                };
                facts.ended.set(typed.one(&format!("ended[{i}]")));
                facts.elsewhere.set(!fact(3 * i).is_empty());
                facts.work.set(fact(3 * i + 1));
                facts.school.set(fact(3 * i + 2));
            });
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
                            <option value=format!("{pid}:")>{if k == 0 { t.choose_prompt } else { t.hospital_extra_none }}</option>
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
                            <label class="check enrol-this">
                                // Disabled while hidden: a member who cannot be enrolled is not sent.
                                <input type="checkbox" name=enrol_field value=enrol_on
                                    checked=was_ticked data-testid="enrol-this"
                                    prop:disabled=move || !live.with(|q| q.as_ref().is_some_and(|q| q.eligible && q.priced))
                                    on:change=move |ev| enrolling.set(event_target_checked(&ev))/>
                                " "{fill(t.enrol_this, &m.member.name)}
                            </label>
                            // Unticked: the member's choices step aside (without the WASM they
                            // stay in view and the server leaves the member out).
                            <div class="member-picks" class:stepped-aside=move || !enrolling.get()>
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
            <form id="hospital-filter" method="get" action="/coverage" class="filters hospital-filter" data-testid="hospital-filter"
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
            <form id="enrol-form" method="post" action=EnrolHousehold::PATH>
                <input type="hidden" name="household_id" value=hid.to_string()/>
                <input type="hidden" name=format!("facts[{}]", 4 * asked) value=ENROL_ASKED/>
                {rows}
                <FormError error fields=&[]/>
                <button type="submit" class="button primary" data-testid="enrol-submit">{t.enrol_submit}</button>
            </form>
        </section>
    }
}

/// Which member questions the pack's rules can use.
#[derive(Clone, Copy, Default)]
pub struct Asks {
    pub(super) ended: bool,
    pub(super) elsewhere: bool,
    pub(super) work: bool,
    pub(super) school: bool,
}

impl Asks {
    fn any(self) -> bool {
        self.ended || self.elsewhere || self.work || self.school
    }
}

/// A member's answers as typed, for the in-browser re-quote (the server reads the same
/// inputs from the form).
#[derive(Clone, Copy)]
pub struct Facts {
    pub(super) ended: RwSignal<String>,
    pub(super) elsewhere: RwSignal<bool>,
    pub(super) work: RwSignal<String>,
    pub(super) school: RwSignal<String>,
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
pub(super) fn MemberFacts(pid: i64, index: usize, asks: Asks, facts: Facts, student: bool) -> impl IntoView {
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
pub(super) fn AddMemberCard(household_id: i64) -> impl IntoView {
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
                <input id="m-name" name="name" required maxlength="30"
                    value=typed_value("name") autofocus=error_on(error, "name")/>
                <FieldError error field="name"/>
                <label for="m-id">{t.id_number_label}</label>
                <input id="m-id" name="id_number" required maxlength="18" autocomplete="off"
                    value=typed_value("id_number") autofocus=error_on(error, "id_number")/>
                <FieldError error field="id_number"/>
                <label for="m-rel">{t.relationship_label}</label>
                <select id="m-rel" name="relationship">
                    {rels.into_iter().map(|r| {
                        let chosen = typed_value("relationship") == r;
                        view! { <option value=r selected=chosen>{relationship_label(r, t)}</option> }
                    }).collect_view()}
                </select>
                <label class="check"><input type="checkbox" name="student" value="on"
                    checked=typed_value("student") == "on"/>" "{t.student_label}</label>
                <FormError error fields=&["name", "id_number", "relationship"]/>
                <button type="submit" class="button" data-testid="add-member">{t.add_member_submit}</button>
            </ActionForm>
        </section>
    }
}
