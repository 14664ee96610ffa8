//! Property tests: parsing never panics, generated valid numbers round-trip, single-digit
//! typos are caught, money conversions round-trip.

use chrono::{Datelike, NaiveDate};
use domain::id_number::check_character;
use domain::{IdNumber, IdNumberError, Money, MoneyError, Sex};
use proptest::prelude::*;
use rust_decimal::Decimal;

const PROVINCES: &[u32] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// A valid number with the birth date and sex it encodes.
#[derive(Debug, Clone)]
struct Generated {
    number: String,
    birth: NaiveDate,
    sex: Sex,
}

fn valid_id() -> impl Strategy<Value = Generated> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap();
    let span = (last - first).num_days();
    (prop::sample::select(PROVINCES), 0u32..10_000, 0..=span, 0u32..1000).prop_map(
        move |(province, area, offset, seq)| {
            let birth = first + chrono::Duration::days(offset);
            let first17 = format!(
                "{province:02}{area:04}{:04}{:02}{:02}{seq:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            let check = check_character(&first17).unwrap();
            Generated {
                number: format!("{first17}{check}"),
                birth,
                sex: if seq % 2 == 1 { Sex::Male } else { Sex::Female },
            }
        },
    )
}

/// Every error must be one of the typed variants with sane fields and messages.
fn assert_well_formed(err: &IdNumberError) {
    assert!(!err.to_string().is_empty());
    assert!(!err.message_en().is_empty());
    assert!(err.code().starts_with("id_number_"));
    match err {
        IdNumberError::InvalidCharacter { position } => assert!((1..=18).contains(position)),
        IdNumberError::WrongLength { len } => assert_ne!(*len, 18),
        IdNumberError::UnknownProvince { code } => assert_eq!(code.len(), 2),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        match IdNumber::parse(&s) {
            Ok(id) => prop_assert_eq!(id.as_str().len(), 18),
            Err(e) => assert_well_formed(&e),
        }
    }

    #[test]
    fn parse_never_panics_on_id_like_strings(s in "[0-9Xx]{0,30}") {
        match IdNumber::parse(&s) {
            Ok(id) => {
                prop_assert_eq!(id.as_str(), s.to_ascii_uppercase());
            }
            Err(e) => assert_well_formed(&e),
        }
    }

    #[test]
    fn parse_never_panics_on_18_near_digits(s in "[0-9Xx ０-９\u{3000}]{18}") {
        if let Err(e) = IdNumber::parse(&s) {
            assert_well_formed(&e);
        }
    }

    #[test]
    fn valid_numbers_parse_and_round_trip(g in valid_id()) {
        let id = IdNumber::parse(&g.number).unwrap();
        prop_assert_eq!(id.as_str(), g.number.as_str());
        prop_assert_eq!(id.birth_date(), g.birth);
        prop_assert_eq!(id.sex(), g.sex);
        prop_assert_eq!(id.area_code(), &g.number[..6]);
        prop_assert_eq!(id.province_code(), &g.number[..2]);
        prop_assert_eq!(&IdNumber::parse(id.as_str()).unwrap(), &id);

        // Lowercase x and whitespace are normalised away.
        let lower = format!(" {} ", g.number.to_ascii_lowercase());
        prop_assert_eq!(&IdNumber::parse(&lower).unwrap(), &id);

        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(&json, &format!("\"{}\"", g.number));
        let back: IdNumber = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &id);

        let masked = id.masked();
        prop_assert_eq!(masked.len(), 18);
        prop_assert_eq!(&masked[..4], &g.number[..4]);
        prop_assert_eq!(&masked[14..], &g.number[14..]);
        prop_assert_eq!(&masked[4..14], "**********");
        prop_assert_eq!(id.to_string(), masked.clone());
        let debug = format!("{id:?}");
        prop_assert!(!debug.contains(&g.number[4..14]));
    }

    #[test]
    fn one_digit_typo_is_caught(g in valid_id(), pos in 0usize..17, delta in 1u8..10) {
        let mut bytes = g.number.clone().into_bytes();
        bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
        let typo = String::from_utf8(bytes).unwrap();
        // Weights are all non-zero mod 11 and 11 is prime, so changing one digit always
        // changes the check character: the typo must be rejected.
        prop_assert_ne!(check_character(&typo[..17]), check_character(&g.number[..17]));
        match IdNumber::parse(&typo) {
            Ok(_) => prop_assert!(false, "typo accepted: {}", typo),
            Err(e) => assert_well_formed(&e),
        }
    }

    #[test]
    fn money_fen_round_trip(fen in any::<i64>()) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(m.to_fen(), fen);
        prop_assert_eq!(m.as_decimal().scale(), 2);
        prop_assert_eq!(Money::new(m.as_decimal()), Ok(m));
    }

    #[test]
    fn money_display_from_str_round_trip(fen in any::<i64>()) {
        let m = Money::from_fen(fen);
        let s = m.to_string();
        let (_, frac) = s.split_once('.').unwrap();
        prop_assert_eq!(frac.len(), 2);
        prop_assert_eq!(s.parse::<Money>(), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn money_add_then_sub_is_identity(
        a in -(1i64 << 62)..(1i64 << 62),
        b in -(1i64 << 62)..(1i64 << 62),
    ) {
        let (a, b) = (Money::from_fen(a), Money::from_fen(b));
        prop_assert_eq!(a + b - b, a);
        prop_assert_eq!(a + b, b + a);
        prop_assert_eq!(a - a, Money::ZERO);
        prop_assert_eq!(-(-a), a);
    }

    #[test]
    fn money_from_str_never_panics(s in any::<String>()) {
        match s.parse::<Money>() {
            Ok(m) => prop_assert!(m.as_decimal().scale() == 2),
            Err(e) => prop_assert!(matches!(
                e,
                MoneyError::Empty
                    | MoneyError::InvalidFormat
                    | MoneyError::TooManyDecimalPlaces
                    | MoneyError::OutOfRange
            )),
        }
    }

    #[test]
    fn money_from_str_numeric_like_never_panics(s in "-?[0-9]{0,25}(\\.[0-9]{0,5})?") {
        if let Ok(m) = s.parse::<Money>() {
            // Agrees with Decimal's exact parse where that succeeds.
            if let Ok(d) = s.parse::<Decimal>() {
                prop_assert_eq!(m.as_decimal(), d);
            }
        }
    }

    #[test]
    fn round_from_is_within_half_a_fen(mantissa in any::<i64>(), scale in 0u32..6) {
        let d = Decimal::new(mantissa, scale + 2);
        let m = Money::round_from(d);
        let diff = (m.as_decimal() - d).abs();
        prop_assert!(diff <= Decimal::new(5, 3));
    }
}
