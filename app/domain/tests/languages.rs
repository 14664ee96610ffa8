//! Issue 23 §2: every sentence in the reader's language. Every pack is rendered over a
//! spread of people (each category alone and none, students, non-local residents, on-time,
//! late and early payers, newborns, people leaving employee insurance, the newly certified)
//! and each Chinese line must hold no English prose, each English line no Chinese outside
//! the pack's notice numbers and titles (which are names).

use chrono::{Days, NaiveDate};
use domain::policy::{quote, Category, PersonInput, PolicyPack, QuoteRequest};

#[allow(dead_code)]
mod seed;
use seed::PACKS;

fn is_cjk(c: char) -> bool {
    ('\u{3400}'..='\u{9fff}').contains(&c)
        || ('\u{3000}'..='\u{303f}').contains(&c)
        || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// A run of three or more ASCII letters is an English word in a Chinese sentence.
fn english_word(s: &str) -> Option<String> {
    let mut run = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphabetic() {
            run.push(c);
        } else {
            if run.len() >= 3 {
                return Some(run);
            }
            run.clear();
        }
    }
    None
}

/// Chinese left in an English sentence once names are taken out: the pack's notice numbers
/// and titles, any other document's number (…〔2024〕38号), title (《…》) and article (第二条),
/// and clause numbers (四、(二)). Quoted notice text is translated, not left in Chinese.
fn chinese_left(pack: &PolicyPack, s: &str) -> Option<String> {
    let mut rest = s.to_owned();
    let mut names: Vec<&str> = pack
        .notices
        .iter()
        .flat_map(|n| [n.number.as_str(), n.title.as_str()])
        .collect();
    names.push(&pack.notice);
    // Longest first, so a title is not cut up by a number it contains.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for n in names {
        rest = rest.replace(n, "");
    }
    rest = strip_spans(&rest, '《', '》');
    // Document numbers: the issuer's abbreviation, 〔year〕, number, 号.
    let chars: Vec<char> = rest.chars().collect();
    let mut keep = vec![true; chars.len()];
    for (i, c) in chars.iter().enumerate() {
        if *c == '〔' {
            let mut from = i;
            while from > 0 && is_cjk(chars[from - 1]) {
                from -= 1;
            }
            if let Some(end) = chars[i..].iter().position(|c| *c == '号') {
                keep[from..=i + end].iter_mut().for_each(|k| *k = false);
            }
        }
    }
    // Article numbers (第二条) after a title.
    for (i, c) in chars.iter().enumerate() {
        if *c == '第' {
            let digits = chars[i + 1..]
                .iter()
                .take_while(|c| "一二三四五六七八九十百零0123456789".contains(**c))
                .count();
            if digits > 0 && chars.get(i + 1 + digits) == Some(&'条') {
                keep[i..=i + 1 + digits].iter_mut().for_each(|k| *k = false);
            }
        }
    }
    let left: String = chars
        .iter()
        .zip(keep)
        .filter(|(c, k)| *k && is_cjk(**c) && !"一二三四五六七八九十、（）".contains(**c))
        .map(|(c, _)| *c)
        .collect();
    (!left.is_empty()).then_some(left)
}

/// `s` without the spans from `open` to `close` that hold Chinese (document titles).
fn strip_spans(s: &str, open: char, close: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(open) {
        let after = &rest[at + open.len_utf8()..];
        match after.find(close) {
            Some(end) if after[..end].chars().any(is_cjk) => {
                out.push_str(&rest[..at]);
                rest = &after[end + close.len_utf8()..];
            }
            _ => {
                out.push_str(&rest[..at + open.len_utf8()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn people(pack: &PolicyPack) -> Vec<QuoteRequest> {
    let (start, end) = pack.collection_window();
    let year = pack.insurance_year;
    let mut paid_days: Vec<NaiveDate> = vec![start, end];
    for p in &pack.periods {
        paid_days.extend([p.start, p.end, p.end.checked_add_days(Days::new(1)).unwrap()]);
    }
    paid_days.retain(|d| *d >= start && *d <= end);
    paid_days.sort();
    paid_days.dedup();
    let mut categories: Vec<Vec<String>> = vec![Vec::new()];
    categories.extend(Category::ALL.iter().map(|c| vec![c.code().to_owned()]));
    categories.push(vec![
        "minimum_living".into(),
        "registered_poor".into(),
        "severe_disability".into(),
    ]);
    let tiers: Vec<Option<String>> = if pack.tiers.len() == 2 {
        vec![Some("high".into()), Some("low".into())]
    } else {
        vec![None]
    };
    let mut out = Vec::new();
    for paid in &paid_days {
        for cats in &categories {
            for tier in &tiers {
                for (birth, student, local, months) in [
                    ("1960-03-03".to_owned(), false, true, None),
                    ("2012-06-06".to_owned(), true, true, None),
                    ("1990-01-01".to_owned(), false, false, Some(2)),
                    ("1990-01-01".to_owned(), true, false, Some(12)),
                    (format!("{year}-01-02"), false, true, None),
                ] {
                    let birth = NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap().min(*paid);
                    for (certified, ended) in [
                        (None, None),
                        (Some(*paid), None),
                        (None, paid.checked_sub_days(Days::new(20))),
                    ] {
                        out.push(QuoteRequest {
                            policy: pack.id.clone(),
                            person: PersonInput {
                                birth_date: Some(birth.to_string()),
                                categories: cats.clone(),
                                certified_on: certified.map(|d| d.to_string()),
                                student,
                                hukou_local: local,
                                months_resident: months,
                                employee_insurance_ended_on: ended.map(|d| d.to_string()),
                                ..PersonInput::default()
                            },
                            tier: tier.clone(),
                            add_ons: pack
                                .add_ons
                                .iter()
                                .map(|a| a.code.clone())
                                .take(usize::from(*paid == start))
                                .collect(),
                            paid_on: paid.to_string(),
                        });
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_explanation_is_in_its_readers_language() {
    let mut failures = Vec::new();
    let mut quoted = 0;
    for (id, _) in PACKS {
        let pack = seed::pack(id);
        for req in people(&pack) {
            let Ok(q) = quote(&pack, &req) else { continue };
            quoted += 1;
            assert_eq!(q.explanation.len(), q.explanation_en.len());
            assert_eq!(q.assumptions.len(), q.assumptions_en.len());
            for zh in q.explanation.iter().chain(&q.assumptions) {
                if let Some(w) = english_word(zh) {
                    failures.push(format!("{} zh has {w:?}: {zh}", pack.id));
                }
            }
            for en in q.explanation_en.iter().chain(&q.assumptions_en) {
                if let Some(left) = chinese_left(&pack, en) {
                    failures.push(format!("{} en has {left:?}: {en}", pack.id));
                }
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(quoted > 1000, "a real spread of people ({quoted})");
    assert!(
        failures.is_empty(),
        "{} lines in the wrong language:\n{}",
        failures.len(),
        failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checks_catch_the_wrong_language() {
    let pack = seed::pack("weifang-2021");
    assert_eq!(english_word("注意：按 veterans 结算"), Some("veterans".into()));
    assert_eq!(english_word("缴费2021-06-15，共A类"), None);
    assert_eq!(chinese_left(&pack, &format!("Under {} you pay", pack.notice)), None);
    assert_eq!(chinese_left(&pack, "As one of the 低保对象"), Some("低保对象".into()));
    assert_eq!(
        chinese_left(
            &pack,
            "3 months is the rule of 国办发〔2024〕38号 and 《居住证暂行条例》第二条, see 四、(二)"
        ),
        None
    );
    assert_eq!(
        chinese_left(&pack, "the notice says '常住人口'"),
        Some("常住人口".into())
    );
}
