//! Stages 4 and 5 of `decide`: when cover starts, the late surcharge, the add-ons and the
//! total the person pays.

use super::decide::{Request, Subsidy};
use super::*;

/// Stage 4: when cover starts — every rule that applies proposes a date, the earliest wins
/// — and the surcharge a late payer owes.
pub(super) fn start_rule<'a>(
    pack: &'a PolicyPack,
    r: &Request<'a>,
    sub: &Subsidy<'a>,
    story: &mut Story<'a>,
    scratch: &mut String,
) -> (NaiveDate, StartRule, Money) {
    let (p, paid_on, birth, certified_on, ended_on) = (r.p, r.paid_on, r.birth, r.certified_on, r.ended_on);
    let (year, year_start, year_end) = (r.year, r.year_start, r.year_end);
    let (held, best) = (&sub.held, &sub.best);
    let applied_category = best.as_ref().map(|b| b.category);
    // When cover starts: every rule that applies proposes a date; the earliest wins.
    let on_time_period = pack
        .periods
        .iter()
        .find(|x| x.on_time && x.start <= paid_on && paid_on <= x.end);
    let before_periods = pack.periods.iter().filter(|x| x.on_time).all(|x| paid_on < x.start);
    // Exempt: the applied category pays the whole personal share (免缴人员, 代垫).
    let exempt = matches!(best.as_ref().map(|b| b.share), Some(Share::AllPaid));
    // Rugao 五、(二)3.: the exempt need no payment entry, so they are never late payers.
    let never_late = pack.exempt_never_late.is_some() && exempt;
    let on_time = on_time_period.is_some() || (before_periods && paid_on < year_start) || never_late;
    let mut starts: Vec<(NaiveDate, StartRule)> = Vec::new();
    let late = &pack.late;
    if on_time {
        starts.push((year_start, StartRule::OnTime));
    } else {
        let start = match (late.waiting_months, late.waiting_days) {
            (Some(m), _) => add_months_clamped(paid_on, m),
            (None, Some(d)) => add_days(paid_on, d),
            (None, None) => paid_on,
        };
        starts.push((start, StartRule::LateWaiting));
    }
    if pack.newborn_from_birth.is_some() && birth.year() == year && paid_on.year() == year {
        starts.push((birth, StartRule::Newborn));
    }
    if let (Some(t), Some(ended)) = (&pack.employee_transfer, ended_on) {
        let in_time = t.days.is_none_or(|d| (paid_on - ended).num_days() <= i64::from(d));
        // Only for whom the notice says (Sanya 四、(二): 建档立卡; Beijing 三、: 免缴人员).
        let for_them = if t.only_exempt {
            exempt
        } else {
            t.only_categories.is_empty() || t.only_categories.iter().any(|c| held.contains(c))
        };
        if !p.employee_insurance_active && paid_on >= ended && in_time && for_them {
            let from = match t.starts {
                TransferStart::Payment => paid_on,
                TransferStart::DayAfterEnd => add_days(ended, 1),
            };
            starts.push((from, StartRule::EmployeeInsuranceTransfer));
        }
    }
    // Beijing 三、: 免缴人员 already held (certified before the year, or with no date) are
    // covered for the whole year; the newly certified from the month of certification.
    let in_database =
        pack.exempt_in_database_whole_year.is_some() && exempt && certified_on.is_none_or(|c| c < year_start);
    if in_database {
        starts.push((year_start, StartRule::NewlyCertified));
    } else if let (Some(_), Some(certified), Some(_)) =
        (&pack.newly_certified_from_month, certified_on, applied_category)
    {
        starts.push((first_of_month(certified), StartRule::NewlyCertified));
    }
    let (start, rule) = starts
        .into_iter()
        .map(|(d, r)| (d.max(year_start), r))
        .min_by_key(|(d, r)| (*d, *r != StartRule::OnTime))
        .expect("at least one start rule");

    // Whether the payment counted as on time rests on period dates and kinds; where the notice
    // does not state them (Beijing 2020, Sanya's start, Rugao's sweep-up), the quote says they
    // are assumed, whichever way it fell: the first assumed on-time period, and the period
    // the payment falls in. One cache slot per period: the sentence depends on the pack only.
    if matches!(rule, StartRule::OnTime | StartRule::LateWaiting) && !never_late {
        let first_on_time = pack.periods.iter().position(|x| x.on_time && x.assumption);
        let paid_in = pack
            .periods
            .iter()
            .position(|x| x.assumption && x.start <= paid_on && paid_on <= x.end);
        for i in [first_on_time, paid_in.filter(|i| Some(*i) != first_on_time)]
            .into_iter()
            .flatten()
        {
            let x = &pack.periods[i];
            story.assume(
                if i < 4 { slot::PERIOD_ASSUMED + i } else { usize::MAX },
                (
                    "缴费期的起止日期及是否按时缴费的认定",
                    "payment period and what counts as paying on time",
                ),
                Notes::of(&x.note_zh, &x.note_en),
            );
        }
    }
    let mut late_surcharge = Money::ZERO;
    match rule {
        StartRule::OnTime if never_late && on_time_period.is_none() => story.say_fixed(
            slot::NEVER_LATE,
            move |l| match l {
                Lang::Zh => format!("免缴对象无需缴费录入，不按过期缴费处理，待遇从{}起享受。", year_start),
                Lang::En => format!(
                    "People exempt from paying need no payment entry and are never late payers; cover starts on {}.",
                    year_start
                ),
            },
            cite_of(&pack.exempt_never_late),
        ),
        StartRule::OnTime => match on_time_period {
            Some(x) => story.say_fixed(
                pack.periods
                    .iter()
                    .position(|p| std::ptr::eq(p, x))
                    .filter(|i| *i < 4)
                    .map_or(usize::MAX, |i| slot::ON_TIME + i),
                move |l| match l {
                    Lang::Zh => format!(
                        "您在集中缴费期（{}至{}）内缴费，待遇从{}起享受。",
                        x.start, x.end, year_start
                    ),
                    Lang::En => format!(
                        "You pay inside the collection period ({} to {}); cover starts on {}.",
                        x.start, x.end, year_start
                    ),
                },
                cite(&x.notice, &x.clause),
            ),
            None => story.say_fixed(
                slot::BEFORE_PERIODS,
                move |l| match l {
                    Lang::Zh => format!("您在集中缴费期开始前缴费，待遇从{}起享受。", year_start),
                    Lang::En => format!("You pay before the collection period; cover starts on {}.", year_start),
                },
                None,
            ),
        },
        StartRule::LateWaiting => {
            let (n, unit_zh, unit_en) = match (late.waiting_months, late.waiting_days) {
                (Some(m), _) => (m, "个月", " months"),
                (_, Some(d)) => (d, "天", " days"),
                _ => (0, "天", " days"),
            };
            let (mut n_buf, mut start_buf) = ([0u8; 10], [0u8; 10]);
            let (n, start_s) = (digits(n, &mut n_buf), iso(start, &mut start_buf));
            story.say_text(
                arc_concat(
                    scratch,
                    &[
                        "您在集中缴费期之后缴费，需经过",
                        n,
                        unit_zh,
                        "等待期，待遇从",
                        start_s,
                        "起享受。",
                    ],
                ),
                arc_concat(
                    scratch,
                    &[
                        "You pay after the collection period, so cover starts after a waiting period of ",
                        n,
                        unit_en,
                        ", on ",
                        start_s,
                        ".",
                    ],
                ),
                cite(&late.notice, &late.clause),
            );
            if late.assumption {
                story.assume(
                    slot::LATE_ASSUMED,
                    ("集中缴费期后参保的等待期", "waiting period after the collection period"),
                    Notes::of(&late.note_zh, &late.note_en),
                );
            }
            if late.pays_government_subsidy {
                if let Some(g) = &pack.government_subsidy {
                    late_surcharge = g.value;
                    story.say_fixed(
                        slot::SURCHARGE,
                        move |l| match l {
                            Lang::Zh => format!("集中缴费期外参保，个人需同时缴纳财政补助部分{}元。", g.value),
                            Lang::En => format!(
                                "Outside the collection period you also pay the government subsidy share, {} yuan.",
                                g.value
                            ),
                        },
                        Some(g.cite_ref()),
                    );
                    if g.assumption {
                        story.assume(
                            slot::SUBSIDY_ASSUMED,
                            ("人均财政补助标准", "per-capita government subsidy"),
                            g.notes(),
                        );
                    }
                }
            }
            if start > year_end {
                story.say(
                    move |l| match l {
                        Lang::Zh => format!("注意：等待期结束时{year}年度已结束，本年度将无法享受待遇。"),
                        Lang::En => format!(
                            "Note: the waiting period ends after {year} is over, so there is no cover this year."
                        ),
                    },
                    None,
                );
            }
        }
        StartRule::Newborn => {
            let c = cite_of(&pack.newborn_from_birth);
            story.say(
                move |l| match l {
                    Lang::Zh => format!("新生儿在出生当年参保，自出生之日（{birth}）起享受待遇。"),
                    Lang::En => format!("A newborn enrolled in the year of birth is covered from birth ({birth})."),
                },
                c,
            );
        }
        StartRule::EmployeeInsuranceTransfer => {
            let t = pack.employee_transfer.as_ref().expect("rule applied");
            let within = t.days;
            match t.starts {
                TransferStart::Payment => story.say(
                    move |l| match (l, within) {
                        (Lang::Zh, Some(d)) => {
                            format!("职工医保因解除劳动关系终止后{d}日内参加居民医保，自缴费之日（{paid_on}）起享受待遇。")
                        }
                        (Lang::Zh, None) => format!("职工医保终止后参加居民医保，自缴费之日（{paid_on}）起享受待遇。"),
                        (Lang::En, Some(d)) => format!(
                            "Enrolled within {d} days after employee insurance ended, you are covered from payment ({paid_on})."
                        ),
                        (Lang::En, None) => {
                            format!("Moving from employee insurance, you are covered from payment ({paid_on}).")
                        }
                    },
                    cite(&t.notice, &t.clause),
                ),
                TransferStart::DayAfterEnd => story.say(
                    move |l| match l {
                        Lang::Zh => format!("职工医保终止后转入城乡居民医保，待遇无缝衔接，自职工医保终止次日（{start}）起享受。"),
                        Lang::En => format!(
                            "Moving from employee insurance, you are covered without a gap from the day after it ended ({start})."
                        ),
                    },
                    cite(&t.notice, &t.clause),
                ),
            }
            if t.assumption {
                story.assume(
                    slot::TRANSFER_ASSUMED,
                    (
                        "职工医保中断后的参保期限和待遇起始日",
                        "time limit and start of cover after employee insurance ends",
                    ),
                    Notes::of(&t.note_zh, &t.note_en),
                );
            }
        }
        StartRule::NewlyCertified if in_database => story.say(
            move |l| match l {
                Lang::Zh => format!(
                    "已入库的免缴人员全年享受待遇，自{start}起；参保信息完善前发生的当年度医药费用实行手工报销。"
                ),
                Lang::En => format!(
                    "People exempt from paying already on record are covered for the whole year, from {start}; \
                     costs before their record is completed are reimbursed by hand."
                ),
            },
            cite_of(&pack.exempt_in_database_whole_year),
        ),
        StartRule::NewlyCertified => {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("新认定的资助对象自认定当月起享受待遇，即{start}起。"),
                    Lang::En => format!(
                        "Newly certified people are covered from the month of certification, i.e. from {start}."
                    ),
                },
                cite_of(&pack.newly_certified_from_month),
            );
        }
    }
    (start, rule, late_surcharge)
}

/// Stage 5: the add-ons chosen and the total the person pays (None where a figure is not
/// given by the notice).
pub(super) fn amounts<'a>(
    r: &Request<'a>,
    base_due: Option<Money>,
    late_surcharge: Money,
    story: &mut Story<'a>,
    scratch: &mut String,
) -> (Money, Option<Money>) {
    let add_ons = &r.add_ons;
    let mut add_ons_total = Money::ZERO;
    for a in add_ons.iter().copied() {
        add_ons_total += a.amount.value;
        story.say(
            move |l| match l {
                Lang::Zh => format!("您选择了{}，另缴{}元。", a.name_zh, a.amount.value),
                Lang::En => format!("You chose the {}, {} yuan extra.", a.name_en, a.amount.value),
            },
            Some(a.amount.cite_ref()),
        );
    }
    let personal_due = base_due.map(|b| b + late_surcharge + add_ons_total);
    match personal_due {
        Some(due) => {
            let mut due_buf = [0u8; 40];
            let due_s = due.write_plain(&mut due_buf);
            story.say_text(
                arc_concat(scratch, &["合计个人应缴", due_s, "元。"]),
                arc_concat(scratch, &["In total you pay ", due_s, " yuan."]),
                None,
            );
        }
        None => story.say_fixed(
            slot::UNPRICED,
            |l| match l {
                Lang::Zh => "通知未规定相应金额，暂无法计算个人应缴金额；金额公布前不能缴费参保。".to_owned(),
                Lang::En => "The notice sets no amount for this, so what you pay cannot be calculated; \
                             enrolment waits until an amount is published."
                    .to_owned(),
            },
            None,
        ),
    }
    (add_ons_total, personal_due)
}
