//! `decide`: one person's case against one pack, in named stages — the request read and
//! checked, eligibility, the tier paid, the subsidising category and its amounts
//! (`category.rs`), when cover starts and the total (`start.rs`) — each saying its
//! sentences with their citations as it goes.

use super::category::category;
use super::start::{amounts, start_rule};
use super::*;

/// The request, read and checked.
pub(super) struct Request<'a> {
    pub(super) p: &'a PersonInput,
    pub(super) paid_on: NaiveDate,
    pub(super) birth: NaiveDate,
    pub(super) certified_on: Option<NaiveDate>,
    pub(super) ended_on: Option<NaiveDate>,
    pub(super) work: Option<Work>,
    pub(super) school: Option<School>,
    pub(super) year: i32,
    pub(super) year_start: NaiveDate,
    pub(super) year_end: NaiveDate,
    /// The pack has one tier (nothing to choose).
    pub(super) single: bool,
    /// The rule that fixes a student's or child's tier, when it applies.
    pub(super) fixed_tier: Option<&'a StudentRule>,
    /// The tier asked for (None when fixed).
    pub(super) chosen: Option<TierCode>,
    pub(super) add_ons: Vec<&'a AddOn>,
}

/// The tier paid and the benefits received.
pub(super) struct Paid {
    pub(super) pay_tier: TierCode,
    pub(super) benefit_tier: TierCode,
    /// The tier's personal contribution, where the notice gives it.
    pub(super) standard: Option<Money>,
}

/// The category (or combination) that subsidises the person.
pub(super) struct Best<'a> {
    pub(super) share: Share,
    pub(super) category: Category,
    pub(super) mode: &'a SubsidyMode,
    pub(super) cite: Option<CiteRef<'a>>,
    /// (index of the category rule, its notes) when its figure is assumed.
    pub(super) assumption: Option<(usize, Notes<'a>)>,
}

/// The categories held, the one that subsidises, and what it leaves the person to pay.
pub(super) struct Subsidy<'a> {
    pub(super) held: Vec<Category>,
    pub(super) best: Option<Best<'a>>,
    pub(super) subsidy: Option<Money>,
    pub(super) base_due: Option<Money>,
}

/// Decides one person's case against one pack (amounts, dates, rules, citations).
pub fn decide<'a>(pack: &'a PolicyPack, req: &'a QuoteRequest) -> Result<Decision<'a>, QuoteError> {
    let r = read_request(pack, req)?;
    let mut story = Story::new(&pack.sentences);
    let base = |q: &mut Quote| q.policy = pack.id.clone();
    let mut out = Quote {
        policy: String::new(),
        eligible: true,
        priced: true,
        ineligible_reasons: Vec::new(),
        tier: None,
        benefit_tier: None,
        standard_contribution: None,
        subsidy: None,
        late_surcharge: None,
        add_ons_total: None,
        personal_due: None,
        applied_category: None,
        benefit_start: None,
        benefit_end: None,
        start_rule: None,
        continuity: None,
        explanation: Vec::new(),
        explanation_en: Vec::new(),
        citations: Vec::new(),
        assumptions: Vec::new(),
        assumptions_en: Vec::new(),
    };
    base(&mut out);

    let reasons = eligibility(pack, &r, &mut story);
    if !reasons.is_empty() {
        out.eligible = false;
        out.ineligible_reasons = reasons;
        return Ok(finish(out, story));
    }
    let Paid {
        pay_tier,
        benefit_tier,
        standard,
    } = tier(pack, &r, &mut story);
    let sub = category(pack, &r, standard, &mut story);
    // Reused for the sentences that depend on the person (see `arc_concat`).
    let mut scratch = String::with_capacity(256);
    let (start, rule, late_surcharge) = start_rule(pack, &r, &sub, &mut story, &mut scratch);
    let (add_ons_total, personal_due) = amounts(&r, sub.base_due, late_surcharge, &mut story, &mut scratch);
    let (p, year, year_end, single) = (r.p, r.year, r.year_end, r.single);
    let (subsidy, applied_category) = (sub.subsidy, sub.best.as_ref().map(|b| b.category));
    out.continuity = pack.continuity.as_ref().map(|c| continuity(c, year, &p.enrolled_years));
    if let (Some(c), Some(rule)) = (&out.continuity, &pack.continuity) {
        let c = c.clone();
        if c.inpatient_bonus_points > 0 {
            story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您已连续参保缴费{}年，住院报销比例提高{}个百分点。",
                        c.consecutive_years, c.inpatient_bonus_points
                    ),
                    Lang::En => format!(
                        "You have paid {} years in a row: inpatient reimbursement rises by {} percentage point(s).",
                        c.consecutive_years, c.inpatient_bonus_points
                    ),
                },
                cite(&rule.notice, &rule.clause),
            );
        }
    }
    out.tier = (!single).then_some(pay_tier);
    out.benefit_tier = (!single).then_some(benefit_tier);
    out.priced = personal_due.is_some();
    out.standard_contribution = standard;
    out.subsidy = subsidy;
    out.late_surcharge = Some(late_surcharge);
    out.add_ons_total = Some(add_ons_total);
    out.personal_due = personal_due;
    out.applied_category = applied_category;
    out.benefit_start = Some(start);
    out.benefit_end = Some(year_end);
    out.start_rule = Some(rule);
    Ok(finish(out, story))
}

/// Stage 0: the request's dates, identity, tier and add-ons, each refused on its field.
fn read_request<'a>(pack: &'a PolicyPack, req: &'a QuoteRequest) -> Result<Request<'a>, QuoteError> {
    let p = &req.person;
    let paid_on = date_field("paid_on", &req.paid_on)?;
    let birth = match (&p.id_number, &p.birth_date) {
        (Some(id), _) if !id.trim().is_empty() => IdNumber::parse(id)
            .map_err(|e| err("person.id_number", e.code(), e.to_string(), e.message_en()))?
            .birth_date(),
        (_, Some(b)) => date_field("person.birth_date", b)?,
        _ => {
            return Err(err(
                "person.id_number",
                "person_identity_required",
                "请填写身份证号码或出生日期",
                "Give an ID number or a birth date",
            ))
        }
    };
    if birth > paid_on {
        return Err(err(
            "person.birth_date",
            "birth_after_payment",
            "出生日期不能晚于缴费日期",
            "The birth date cannot be after the payment date",
        ));
    }
    let certified_on = opt_date("person.certified_on", &p.certified_on)?;
    let ended_on = opt_date("person.employee_insurance_ended_on", &p.employee_insurance_ended_on)?;
    let work = match p.work.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(code) => Some(Work::from_code(code).ok_or_else(|| {
            err(
                "person.work",
                "work_unknown",
                format!("就业情况“{code}”无效，应为 flexible_employment（灵活就业人员）或 migrant_worker（农民工）"),
                format!("Unknown work {code:?}; use flexible_employment or migrant_worker"),
            )
        })?),
    };
    let school = match p.school.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(code) => Some(School::from_code(code).ok_or_else(|| {
            err(
                "person.school",
                "school_unknown",
                format!("学校类别“{code}”无效，应为 kindergarten、primary_secondary 或 higher_education"),
                format!("Unknown school {code:?}; use kindergarten, primary_secondary or higher_education"),
            )
        })?),
    };
    if let Some(m) = p.months_resident.filter(|m| *m < 0) {
        return Err(err(
            "person.months_resident",
            "months_resident_negative",
            format!("居住月数不能为负数（当前为{m}）"),
            format!("Months of residence cannot be negative (got {m})"),
        ));
    }

    let year = pack.insurance_year;
    let year_start = NaiveDate::from_ymd_opt(year, 1, 1).expect("validated year");
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).expect("validated year");
    let (window_start, window_end) = pack.collection_window();
    if paid_on < window_start || paid_on > window_end {
        return Err(err(
            "paid_on",
            "outside_collection_window",
            format!("缴费日期{paid_on}不在{year}年度的参保缴费期内（{window_start}至{window_end}）"),
            format!("{paid_on} is outside the {year} collection window ({window_start} to {window_end})"),
        ));
    }

    // The tier the person asked for.
    let single = pack.tiers.len() == 1;
    // Students and children whose tier the notice fixes (Weifang 四、(一)) choose none.
    let fixed_tier = pack.fixed_tier_rule(birth, p.student);
    let chosen = match (req.tier.as_deref(), single) {
        (None | Some("standard"), true) => Some(TierCode::Standard),
        (Some("high"), false) => Some(TierCode::High),
        (Some("low"), false) => Some(TierCode::Low),
        (None, false) if fixed_tier.is_some() => None,
        (None, false) => {
            return Err(err(
                "tier",
                "tier_required",
                "请选择缴费档次（高档或低档）",
                "Choose a tier: high or low",
            ))
        }
        (Some(t @ ("high" | "low")), true) => {
            return Err(err(
                "tier",
                "tier_not_offered",
                format!("该地区只有一个缴费档次，不能选择“{t}”"),
                format!("This jurisdiction has a single tier; {t:?} is not offered"),
            ))
        }
        (Some(other), _) => {
            return Err(err(
                "tier",
                "tier_unknown",
                format!("缴费档次“{other}”不存在，应为 high（高档）或 low（低档）"),
                format!("Unknown tier {other:?}; use high or low"),
            ))
        }
    };
    let mut add_ons: Vec<&AddOn> = Vec::new();
    for (i, code) in req.add_ons.iter().enumerate() {
        let Some(a) = pack.add_ons.iter().find(|a| &a.code == code) else {
            return Err(err(
                &format!("add_ons[{i}]"),
                "add_on_unknown",
                format!("本地没有“{code}”这一可选项目"),
                format!("{code:?} is not offered here"),
            ));
        };
        if !add_ons.iter().any(|x| x.code == a.code) {
            add_ons.push(a);
        }
    }
    Ok(Request {
        p,
        paid_on,
        birth,
        certified_on,
        ended_on,
        work,
        school,
        year,
        year_start,
        year_end,
        single,
        fixed_tier,
        chosen,
        add_ons,
    })
}

/// Stage 1: who may enrol. The reasons a person may not (said, with their citation); none
/// when they may.
fn eligibility<'a>(pack: &'a PolicyPack, r: &Request<'a>, story: &mut Story<'a>) -> Vec<Reason> {
    let (p, work, school) = (r.p, r.work, r.school);
    // Eligibility.
    let el = &pack.eligibility;
    let el_cite = cite(&el.notice, &el.clause);
    let mut reasons = Vec::new();
    if p.employee_insurance_active && el.excludes_employee_insurance {
        reasons.push(Reason {
            code: "in_employee_insurance".into(),
            message: "已参加职工基本医疗保险的人员不能参加城乡居民医保".into(),
            message_en: "People covered by employee medical insurance cannot enrol here".into(),
        });
    }
    if p.insured_elsewhere && el.excludes_insured_elsewhere {
        reasons.push(Reason {
            code: "insured_elsewhere".into(),
            message: "已在其他地方参加基本医保的人员不能重复参保".into(),
            message_en: "People already insured elsewhere cannot enrol twice".into(),
        });
    }
    let mut by_work = false;
    let mut school_rule = false;
    if !p.hukou_local {
        // A school not given is not held against the student (the API's clients may not
        // send it); one given outside the notice's list is refused, and the rule is said.
        let school_ok =
            el.nonlocal_student_schools.is_empty() || school.is_none_or(|s| el.nonlocal_student_schools.contains(&s));
        school_rule = p.student && el.nonlocal_students && !el.nonlocal_student_schools.is_empty();
        let by_school = p.student && el.nonlocal_students && school_ok;
        let by_residence = match (el.nonlocal_min_months, p.months_resident) {
            (Some(min), Some(m)) => m >= i64::from(min),
            _ => false,
        };
        by_work = el.workers_any_hukou && work.is_some() && !by_school && !by_residence;
        if !(by_school || by_residence || by_work) {
            reasons.push(not_local_reason(el));
        }
    }
    // Local registration qualifies under every notice; an assumed rule matters when it
    // decided the case: a non-local person (admitted or not) or a refusal.
    if el.assumption && (!p.hukou_local || !reasons.is_empty()) {
        story.assume(
            slot::ELIGIBILITY_ASSUMED,
            ("参保范围", "eligibility rules"),
            Notes::of(&el.note_zh, &el.note_en),
        );
    }
    if !reasons.is_empty() {
        for r in &reasons {
            let (zh, en) = (r.message.clone(), r.message_en.clone());
            story.say(
                move |l| match l {
                    Lang::Zh => zh.clone(),
                    Lang::En => en.clone(),
                },
                el_cite,
            );
        }
        return reasons;
    }

    if school_rule {
        let schools = &el.nonlocal_student_schools;
        story.say(
            move |l| {
                let names: Vec<&str> = schools
                    .iter()
                    .map(|s| match l {
                        Lang::Zh => s.name_zh(),
                        Lang::En => s.name_en(),
                    })
                    .collect();
                match l {
                    Lang::Zh => format!("非本地户籍学生仅限在本地{}就读的在校学生参保。", names.join("、")),
                    Lang::En => format!("Non-local students may enrol only at local {}.", names.join(" or ")),
                }
            },
            el_cite,
        );
    }
    if by_work {
        story.say(
            |l| match l {
                Lang::Zh => "灵活就业人员、农民工参加城乡居民医保不受户籍限制。".to_owned(),
                Lang::En => {
                    "Flexible workers and migrant workers may enrol whatever their household registration.".to_owned()
                }
            },
            el_cite,
        );
    }
    Vec::new()
}

/// Stage 2: the tier paid and the benefits received (students and children: low pays,
/// high benefits), and what the contribution includes.
fn tier<'a>(pack: &'a PolicyPack, r: &Request<'a>, story: &mut Story<'a>) -> Paid {
    let (fixed_tier, chosen, year) = (r.fixed_tier, r.chosen, r.year);
    // Tier actually paid and benefits received (students and children: low pays, high benefits).
    let (pay_tier, benefit_tier) = match (fixed_tier, chosen) {
        (Some(rule), _) => (rule.pays, rule.benefits),
        (None, Some(tier)) => (tier, tier),
        (None, None) => unreachable!("a tier is chosen or fixed by the student rule"),
    };
    let tier_index = pack
        .tiers
        .iter()
        .position(|t| t.code == pay_tier)
        .expect("validated tiers");
    let tier = &pack.tiers[tier_index];
    let standard = tier.personal.as_ref().map(|c| c.value);
    match &tier.personal {
        Some(personal) => {
            let amount = personal.value;
            story.say_fixed(
                slot::TIER + tier_index,
                move |l| match l {
                    Lang::Zh => format!(
                        "{}{}年度城乡居民医保{}个人缴费标准为每人{}元。",
                        pack.jurisdiction, year, tier.name_zh, amount
                    ),
                    Lang::En => format!(
                        "In {} the {} personal contribution for {} is {} yuan.",
                        pack.jurisdiction_en, tier.name_en, year, amount
                    ),
                },
                Some(personal.cite_ref()),
            );
            if personal.assumption {
                story.assume(
                    slot::TIER_ASSUMED + tier_index,
                    ("个人缴费标准", "personal contribution"),
                    personal.notes(),
                );
            }
        }
        // The notice sets no contribution: say so, with no figure from anywhere else.
        None => story.say_fixed(
            slot::TIER + tier_index,
            move |l| match l {
                Lang::Zh => format!(
                    "本通知（{}）未规定{}{}年度城乡居民医保个人缴费标准。",
                    pack.notice, pack.jurisdiction, year
                ),
                Lang::En => format!(
                    "The notice ({}) sets no personal contribution for residents of {} in {}.",
                    pack.notice, pack.jurisdiction_en, year
                ),
            },
            None,
        ),
    }
    if let Some(rule) = fixed_tier {
        let benefits = pack.tier(rule.benefits).expect("validated tiers");
        story.say_fixed(
            slot::STUDENT,
            move |l| match l {
                Lang::Zh => format!("学生和儿童按{}缴费，享受{}待遇。", tier.name_zh, benefits.name_zh),
                Lang::En => format!(
                    "Students and children pay the {} and receive {} benefits.",
                    tier.name_en, benefits.name_en
                ),
            },
            cite(&rule.notice, &rule.clause),
        );
        // A tier asked for against the rule is not silently dropped: the reader is told why.
        if let Some(asked) = chosen.filter(|c| *c != rule.pays).and_then(|c| pack.tier(c)) {
            story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您选择的{}不适用：学生和儿童统一按{}缴费。",
                        asked.name_zh, tier.name_zh
                    ),
                    Lang::En => format!(
                        "The {} you chose does not apply: students and children all pay the {}.",
                        asked.name_en, tier.name_en
                    ),
                },
                cite(&rule.notice, &rule.clause),
            );
        }
        if rule.assumption {
            story.assume(
                slot::STUDENT_ASSUMED,
                ("学生和儿童的认定", "definition of students and children"),
                Notes::of(&rule.note_zh, &rule.note_en),
            );
        }
    }
    for (i, c) in pack.components.iter().enumerate() {
        let at = if i < 8 { slot::COMPONENT + i } else { usize::MAX };
        story.say_fixed(
            at,
            move |l| match l {
                Lang::Zh => format!("个人缴费已包含{}。", c.name_zh),
                Lang::En => format!("The contribution includes {}.", c.name_en),
            },
            cite(&c.notice, &c.clause),
        );
    }
    Paid {
        pay_tier,
        benefit_tier,
        standard,
    }
}
