//! Stage 3 of `decide`: the category that subsidises, and the amounts it leaves.

use super::decide::{Best, Request, Subsidy};
use super::*;

/// Stage 3: the subsidising category — the most favourable the person holds, alone or in
/// a combination — and the amounts it leaves: the subsidy and the person's base share.
pub(super) fn category<'a>(
    pack: &'a PolicyPack,
    r: &Request<'a>,
    standard: Option<Money>,
    story: &mut Story<'a>,
) -> Subsidy<'a> {
    let p = r.p;
    // Subsidy: the most favourable category (or combination) the person holds.
    let mut held = Vec::new();
    for code in &p.categories {
        match Category::from_code(code) {
            Some(c)
                if pack.category(c).is_some()
                    || pack
                        .combinations
                        .iter()
                        .any(|r| r.all_of.contains(&c) || r.any_of.contains(&c)) =>
            {
                if !held.contains(&c) {
                    held.push(c)
                }
            }
            Some(c) => story.say(
                move |l| match l {
                    Lang::Zh => format!("本地政策未将“{}”列为资助类别，未计入费用。", c.name_zh()),
                    Lang::En => format!(
                        "This policy does not list {} as a subsidised group; it is not counted.",
                        c.name_en()
                    ),
                },
                None,
            ),
            None => story.say(
                move |l| match l {
                    Lang::Zh => format!("“{code}”不是已知的资助类别，未计入费用。"),
                    Lang::En => format!("{code:?} is not a known category; it is not counted."),
                },
                None,
            ),
        }
    }
    let mut candidates: Vec<Best> = Vec::new();
    for c in &held {
        if let Some(idx) = pack.categories.iter().position(|r| r.category == *c) {
            let rule = &pack.categories[idx];
            candidates.push(Best {
                share: Share::of(&rule.subsidy, standard),
                category: *c,
                mode: &rule.subsidy,
                cite: cite(&rule.notice, &rule.clause),
                assumption: rule
                    .assumption
                    .then_some((idx, Notes::of(&rule.note_zh, &rule.note_en))),
            });
        }
    }
    for rule in &pack.combinations {
        let all = rule.all_of.iter().all(|c| held.contains(c));
        let any = rule.any_of.iter().find(|c| held.contains(c));
        if all && (rule.any_of.is_empty() || any.is_some()) {
            candidates.push(Best {
                share: Share::of(&rule.subsidy, standard),
                category: any.copied().unwrap_or(rule.all_of[0]),
                mode: &rule.subsidy,
                cite: cite(&rule.notice, &rule.clause),
                assumption: None,
            });
        }
    }
    // The most favourable wins; on a tie the earlier rule in the pack (stable order).
    let best = candidates.into_iter().fold(None::<Best>, |acc, b| match acc {
        Some(a) if a.share.rank() >= b.share.rank() => Some(a),
        _ => Some(b),
    });
    // The subsidy and the person's share of the contribution, each where it is known.
    let (subsidy, base_due) = match best.as_ref().map(|b| b.share) {
        None => (standard.map(|_| Money::ZERO), standard),
        Some(Share::Known(m)) => (Some(m), standard.map(|s| s - m)),
        Some(Share::AllPaid) => (standard, Some(Money::ZERO)),
        Some(Share::Unknown) => (None, None),
    };
    if let Some(b) = &best {
        // Copies for the deferred sentences (they must not borrow locals).
        let (category, mode) = (b.category, b.mode);
        if held.len() > 1 {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("您同时属于多个资助类别，按最优惠的“{}”计算。", category.name_zh()),
                    Lang::En => format!(
                        "You hold several categories; the most favourable, {}, applies.",
                        category.name_en()
                    ),
                },
                None,
            );
        }
        match (subsidy, base_due) {
            (Some(subsidy), Some(due)) => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}：财政资助{}元，个人缴纳{}元。",
                        category.name_zh(),
                        mode_words(mode).0,
                        subsidy,
                        due
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}: government pays {}, you pay {}.",
                        category.name_en(),
                        mode_words(mode).1,
                        subsidy,
                        due
                    ),
                },
                b.cite,
            ),
            (None, Some(due)) => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}：个人缴纳{}元。",
                        category.name_zh(),
                        mode_words(mode).0,
                        due
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}: you pay {}.",
                        category.name_en(),
                        mode_words(mode).1,
                        due
                    ),
                },
                b.cite,
            ),
            _ => story.say(
                move |l| match l {
                    Lang::Zh => format!(
                        "您属于{}，{}；但通知未载明相应金额，无法计算资助金额和个人应缴金额。",
                        category.name_zh(),
                        mode_words(mode).0
                    ),
                    Lang::En => format!(
                        "As one of the {}, {}; but the notice gives no amount, so neither the subsidy nor \
                         what you pay can be calculated.",
                        category.name_en(),
                        mode_words(mode).1
                    ),
                },
                b.cite,
            ),
        }
        if let Some((idx, note)) = b.assumption {
            let at = if idx < slot::ON_TIME - slot::CATEGORY_ASSUMED {
                slot::CATEGORY_ASSUMED + idx
            } else {
                usize::MAX
            };
            story.assume(
                at,
                (
                    format!("“{}”的资助标准", category.name_zh()),
                    format!("subsidy for {}", category.name_en()),
                ),
                note,
            );
        }
    }
    // A category the pack knows only inside a combination (Sanya: 低保 with 建档立卡), held
    // without its partner: the notice sets nothing for it alone, and the reader is told.
    if best.is_none() {
        for c in held.iter().copied() {
            story.say(
                move |l| match l {
                    Lang::Zh => format!("本通知未规定“{}”单独的资助标准，未计入费用。", c.name_zh()),
                    Lang::En => format!(
                        "The notice sets no subsidy for {} on their own; it is not counted.",
                        c.name_en()
                    ),
                },
                None,
            );
        }
    }
    Subsidy {
        held,
        best,
        subsidy,
        base_due,
    }
}
