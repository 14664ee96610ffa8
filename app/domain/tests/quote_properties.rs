//! Properties of `quote()` over the five real packs and generated people.

use chrono::{Days, NaiveDate};
use domain::policy::{quote, Category, PersonInput, PolicyPack, QuoteRequest, StartRule, TransferStart};
use proptest::prelude::*;

const PACKS: [&str; 5] = [
    include_str!("../../policies/beijing-2020.toml"),
    include_str!("../../policies/sanya-2021.toml"),
    include_str!("../../policies/rugao-2020.toml"),
    include_str!("../../policies/weifang-2021.toml"),
    include_str!("../../policies/lishi-2023.toml"),
];

fn packs() -> Vec<PolicyPack> {
    PACKS.iter().map(|t| toml::from_str(t).expect("pack parses")).collect()
}

/// The packs written out as TOML and read back (once: the export is what is under test, not
/// its speed), each equal to its original.
fn exported() -> &'static [PolicyPack] {
    static EXPORTED: std::sync::OnceLock<Vec<PolicyPack>> = std::sync::OnceLock::new();
    EXPORTED.get_or_init(|| {
        packs()
            .into_iter()
            .map(|original| {
                let text = toml::to_string_pretty(&original).expect("a pack serialises to TOML");
                let back: PolicyPack = toml::from_str(&text).expect("the export parses");
                assert_eq!(back, original);
                back
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Case {
    pack: usize,
    paid_offset: u64,
    birth_year: i32,
    birth_day: u32,
    categories: Vec<Category>,
    student: bool,
    local: bool,
    months: Option<i64>,
    tier_high: bool,
    add_on: bool,
    certified_offset: Option<u64>,
    ended_days_before: Option<u64>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..5usize,
        0..500u64,
        1930..2024i32,
        0..365u32,
        proptest::sample::subsequence(Category::ALL.to_vec(), 0..4),
        any::<bool>(),
        prop::bool::weighted(0.8),
        prop::option::of(0..40i64),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0..400u64),
        prop::option::of(0..200u64),
    )
        .prop_map(
            |(
                pack,
                paid_offset,
                birth_year,
                birth_day,
                categories,
                student,
                local,
                months,
                tier_high,
                add_on,
                certified_offset,
                ended_days_before,
            )| Case {
                pack,
                paid_offset,
                birth_year,
                birth_day,
                categories,
                student,
                local,
                months,
                tier_high,
                add_on,
                certified_offset,
                ended_days_before,
            },
        )
}

fn request(pack: &PolicyPack, c: &Case) -> QuoteRequest {
    let (start, end) = pack.collection_window();
    let span = (end - start).num_days() as u64;
    let paid = start.checked_add_days(Days::new(c.paid_offset % (span + 1))).unwrap();
    let birth = NaiveDate::from_yo_opt(c.birth_year, 1 + c.birth_day % 365)
        .unwrap()
        .min(paid);
    QuoteRequest {
        policy: pack.id.clone(),
        person: PersonInput {
            birth_date: Some(birth.to_string()),
            categories: c.categories.iter().map(|x| x.code().to_owned()).collect(),
            certified_on: c
                .certified_offset
                .map(|o| start.checked_add_days(Days::new(o % (span + 1))).unwrap().to_string()),
            student: c.student,
            hukou_local: c.local,
            months_resident: c.months,
            employee_insurance_ended_on: c
                .ended_days_before
                .map(|d| paid.checked_sub_days(Days::new(d)).unwrap().to_string()),
            ..PersonInput::default()
        },
        tier: (pack.tiers.len() == 2).then(|| if c.tier_high { "high" } else { "low" }.to_owned()),
        add_ons: if c.add_on {
            pack.add_ons.iter().map(|a| a.code.clone()).collect()
        } else {
            Vec::new()
        },
        paid_on: paid.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Sentences cached on a pack never carry one person's facts into another's quote:
    /// a pack that has already quoted someone else answers exactly like a fresh one.
    #[test]
    fn cached_sentences_match_a_fresh_pack(first in case(), second in case()) {
        let used = packs();
        let _ = quote(&used[first.pack], &request(&used[first.pack], &first));
        let _ = quote(&used[second.pack], &request(&used[second.pack], &first));
        let warm = quote(&used[second.pack], &request(&used[second.pack], &second));
        let fresh_packs = packs();
        let fresh = quote(&fresh_packs[second.pack], &request(&fresh_packs[second.pack], &second));
        prop_assert_eq!(warm, fresh);
    }

    /// A pack written back out as TOML (the export a bureau downloads, issue 26) reads back
    /// as the same pack and quotes every generated person exactly as the original.
    #[test]
    fn an_exported_pack_quotes_like_the_original(c in case()) {
        let originals = packs();
        let (original, back) = (&originals[c.pack], &exported()[c.pack]);
        prop_assert_eq!(quote(back, &request(back, &c)), quote(original, &request(original, &c)));
    }

    #[test]
    fn amounts_add_up_and_are_never_negative(c in case()) {
        let packs = packs();
        let pack = &packs[c.pack];
        let q = quote(pack, &request(pack, &c)).expect("generated requests are valid");
        if q.eligible {
            // Priced exactly when a due is given; unknown figures stay null, never guessed.
            prop_assert_eq!(q.priced, q.personal_due.is_some());
            if let Some(due) = q.personal_due {
                prop_assert!(!due.is_negative());
            }
            if let (Some(due), Some(standard), Some(subsidy)) = (q.personal_due, q.standard_contribution, q.subsidy) {
                prop_assert_eq!(due, standard - subsidy + q.late_surcharge.unwrap() + q.add_ons_total.unwrap());
                prop_assert!(subsidy <= standard);
            }
            // A subsidy is only ever known of a known contribution.
            prop_assert!(q.subsidy.is_none() || q.standard_contribution.is_some());
        } else {
            prop_assert!(q.personal_due.is_none());
            prop_assert!(!q.ineligible_reasons.is_empty());
        }
    }

    #[test]
    fn adding_a_category_never_raises_the_amount_due(c in case(), extra in proptest::sample::select(Category::ALL.to_vec())) {
        let packs = packs();
        let pack = &packs[c.pack];
        let before = quote(pack, &request(pack, &c)).unwrap();
        let mut more = c.clone();
        if !more.categories.contains(&extra) { more.categories.push(extra); }
        let after = quote(pack, &request(pack, &more)).unwrap();
        if let (Some(b), Some(a)) = (before.personal_due, after.personal_due) {
            prop_assert!(a <= b, "{:?} → {:?} with {:?}", b, a, extra);
        }
    }

    #[test]
    fn cover_never_starts_before_the_year_or_before_payment_without_a_rule(c in case()) {
        let packs = packs();
        let pack = &packs[c.pack];
        let req = request(pack, &c);
        let q = quote(pack, &req).unwrap();
        if let (Some(start), Some(rule)) = (q.benefit_start, q.start_rule) {
            let year_start = NaiveDate::from_ymd_opt(pack.insurance_year, 1, 1).unwrap();
            prop_assert!(start >= year_start);
            let paid: NaiveDate = req.paid_on.parse().unwrap();
            // A seamless transfer (Beijing 三、 无缝衔接) starts the day after employee insurance
            // ended, which may be before payment; every other late rule starts on or after it.
            let seamless = rule == StartRule::EmployeeInsuranceTransfer
                && pack.employee_transfer.as_ref().is_some_and(|t| t.starts == TransferStart::DayAfterEnd);
            if seamless {
                let ended: NaiveDate = req.person.employee_insurance_ended_on.as_deref().unwrap().parse().unwrap();
                prop_assert_eq!(start, (ended + chrono::Days::new(1)).max(year_start));
            } else if !matches!(rule, StartRule::OnTime | StartRule::Newborn | StartRule::NewlyCertified) {
                prop_assert!(start >= paid, "{:?} starts {} before payment {}", rule, start, paid);
            }
            prop_assert_eq!(q.benefit_end, NaiveDate::from_ymd_opt(pack.insurance_year, 12, 31));
        }
    }

    #[test]
    fn no_input_makes_the_engine_panic(
        pack in 0..5usize,
        id in ".{0,20}",
        birth in ".{0,12}",
        paid in ".{0,12}",
        tier in prop::option::of(".{0,6}"),
        cats in prop::collection::vec(".{0,20}", 0..4),
        add_ons in prop::collection::vec(".{0,24}", 0..3),
        months in prop::option::of(any::<i64>()),
    ) {
        let packs = packs();
        let req = QuoteRequest {
            policy: packs[pack].id.clone(),
            person: PersonInput {
                id_number: Some(id),
                birth_date: Some(birth),
                categories: cats,
                months_resident: months,
                ..PersonInput::default()
            },
            tier,
            add_ons,
            paid_on: paid,
        };
        let _ = quote(&packs[pack], &req);
    }
}
