//! Resident ID numbers (居民身份证号码) as defined by GB 11643-1999.
//!
//! The number is personal information: `Display` and `Debug` only ever show the
//! masked form, so an `IdNumber` that reaches a log line or an error message does not
//! leak. Use [`IdNumber::as_str`] deliberately when the full number is needed
//! (storage, staff views).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Weights for the first 17 digits (GB 11643-1999, 2^(18-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character indexed by the weighted sum mod 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
const LEN: usize = 18;

/// Sex as encoded in the 17th digit (odd = male, even = female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// Simplified Chinese label shown to residents.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Why a string is not a valid resident ID number.
///
/// `Display` is Simplified Chinese for residents; [`message_en`](Self::message_en)
/// and [`code`](Self::code) serve the English UI and API clients. Positions are
/// 1-based, as a resident counts them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    Empty,
    WrongLength { len: usize },
    InvalidCharacter { position: usize },
    UnknownProvince { code: String },
    InvalidBirthDate,
    CheckCharacterMismatch { expected: char, found: char },
}

impl IdNumberError {
    /// Stable snake_case machine code (API `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "id_number_empty",
            Self::WrongLength { .. } => "id_number_wrong_length",
            Self::InvalidCharacter { .. } => "id_number_invalid_character",
            Self::UnknownProvince { .. } => "id_number_unknown_province",
            Self::InvalidBirthDate => "id_number_invalid_birth_date",
            Self::CheckCharacterMismatch { .. } => "id_number_check_character_mismatch",
        }
    }

    /// English message for the English UI.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "Please enter the ID number.".to_owned(),
            Self::WrongLength { len } => {
                format!("The ID number must have 18 characters; it has {len}.")
            }
            Self::InvalidCharacter { position } if *position == LEN => {
                "The last character of the ID number must be a digit or the letter X.".to_owned()
            }
            Self::InvalidCharacter { position } => {
                format!("Character {position} of the ID number must be a digit.")
            }
            Self::UnknownProvince { code } => {
                format!("The ID number starts with \"{code}\", which is not a province code.")
            }
            Self::InvalidBirthDate => {
                "The birth date in the ID number (characters 7 to 14) is not a valid date.".to_owned()
            }
            // The expected character is deliberately not shown: the typo may be
            // anywhere, and "fixing" only the last character would hide it.
            Self::CheckCharacterMismatch { .. } => {
                "The ID number's check character (last character) does not match; please check the number.".to_owned()
            }
        }
    }
}

impl fmt::Display for IdNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("请填写身份证号码"),
            Self::WrongLength { len } => write!(f, "身份证号码应为18位，当前为{len}位"),
            Self::InvalidCharacter { position } if *position == LEN => {
                f.write_str("身份证号码最后一位只能是数字或字母X")
            }
            Self::InvalidCharacter { position } => {
                write!(f, "身份证号码第{position}位应为数字")
            }
            Self::UnknownProvince { code } => {
                write!(f, "身份证号码前两位“{code}”不是有效的省级行政区划代码")
            }
            Self::InvalidBirthDate => f.write_str("身份证号码中的出生日期（第7至14位）不是有效日期"),
            Self::CheckCharacterMismatch { .. } => {
                f.write_str("身份证号码校验位（最后一位）不正确，请核对号码是否输入有误")
            }
        }
    }
}

/// Province-level division codes in use (GB/T 2260), including Taiwan (71), Hong Kong
/// (81) and Macao (82), whose residents also hold 18-digit numbers.
pub fn is_province_code(code: u32) -> bool {
    matches!(
        code,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82
    )
}

/// Check character for the first 17 digits, or `None` unless `first17` is exactly
/// 17 ASCII digits.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != LEN - 1 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// A validated 18-character resident ID number; the last character is `0-9` or `X`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber {
    // Always 18 ASCII characters; birth date and sex derive from it and are cached
    // so the accessors cannot fail.
    number: String,
    birth_date: NaiveDate,
    sex: Sex,
}

impl IdNumber {
    /// Validates `s`: surrounding whitespace is ignored and a trailing lowercase `x`
    /// is accepted as `X`. Future birth dates are not rejected here (the domain has no
    /// clock); callers check them against their own `today`.
    pub fn parse(s: &str) -> Result<IdNumber, IdNumberError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let len = s.chars().count();
        if len != LEN {
            return Err(IdNumberError::WrongLength { len });
        }
        let mut number = String::with_capacity(LEN);
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == LEN - 1 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(IdNumberError::InvalidCharacter { position: i + 1 });
            }
            number.push(c.to_ascii_uppercase());
        }

        let province = digits(&number[0..2]);
        if !is_province_code(province) {
            return Err(IdNumberError::UnknownProvince {
                code: number[0..2].to_owned(),
            });
        }

        let birth_date = NaiveDate::from_ymd_opt(
            digits(&number[6..10]) as i32,
            digits(&number[10..12]),
            digits(&number[12..14]),
        )
        .filter(|d| *d >= min_birth_date())
        .ok_or(IdNumberError::InvalidBirthDate)?;

        let expected = check_character(&number[..LEN - 1]).expect("first 17 characters checked as digits");
        let found = char::from(number.as_bytes()[LEN - 1]);
        if expected != found {
            return Err(IdNumberError::CheckCharacterMismatch { expected, found });
        }

        let sex = if digits(&number[16..17]) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(IdNumber {
            number,
            birth_date,
            sex,
        })
    }

    /// The full number, for storage and for staff who need it. Never log it.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// 6-digit administrative division code of the place of first registration.
    pub fn area_code(&self) -> &str {
        &self.number[0..6]
    }

    /// 2-digit province-level code.
    pub fn province_code(&self) -> &str {
        &self.number[0..2]
    }

    /// Age in full years on `date` (see [`crate::dates::age_on`]).
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        crate::dates::age_on(self.birth_date, date)
    }

    /// First 4 and last 4 characters with 10 `*` between, e.g. `1101**********002X`.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.number[..4], &self.number[LEN - 4..])
    }
}

fn min_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date")
}

/// Value of a short run of ASCII digits (already validated).
fn digits(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

impl FromStr for IdNumber {
    type Err = IdNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.number)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = IdNumber;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an 18-character resident ID number string")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IdNumber, E> {
                IdNumber::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the computed check character.
    fn complete(first17: &str) -> String {
        format!("{first17}{}", check_character(first17).unwrap())
    }

    #[test]
    fn classic_sample_is_valid() {
        // The sample printed in GB 11643-1999 itself.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.area_code(), "110105");
        assert_eq!(id.province_code(), "11");
        assert_eq!(id.masked(), "1101**********002X");
    }

    #[test]
    fn second_standard_sample_predates_the_floor() {
        // The standard's other sample (born 1880): its check character is right, but
        // we only accept birth dates from 1900 on.
        assert_eq!(check_character("44052418800101001"), Some('4'));
        assert_eq!(
            IdNumber::parse("440524188001010014").unwrap_err(),
            IdNumberError::InvalidBirthDate
        );
    }

    #[test]
    fn check_character_rejects_bad_input() {
        assert_eq!(check_character(""), None);
        assert_eq!(check_character("1101051949123100"), None);
        assert_eq!(check_character("110105194912310021"), None);
        assert_eq!(check_character("1101051949123100a"), None);
        assert_eq!(check_character("1101051949123100２"), None);
    }

    #[test]
    fn trims_and_normalises_lowercase_x() {
        let id = IdNumber::parse("  11010519491231002x\t").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = IdNumber::parse("\u{3000}11010519491231002X\u{3000}").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn male_sample_and_accessors() {
        // The API contract's example; check character computed independently.
        let s = "14110219900101123X";
        assert_eq!(complete("14110219900101123"), s);
        let id = IdNumber::parse(s).unwrap();
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
        assert_eq!(id.area_code(), "141102");
        assert_eq!(id.province_code(), "14");
        assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()), 33);
        assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2022, 12, 31).unwrap()), 32);
        assert_eq!(id.masked(), "1411**********123X");
    }

    #[test]
    fn display_and_debug_are_masked() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.to_string(), "1101**********002X");
        let debug = format!("{id:?}");
        assert!(debug.contains("1101**********002X"), "{debug}");
        assert!(!debug.contains("19491231"), "{debug}");
        let debug = format!("{:?}", Some(&id));
        assert!(!debug.contains("19491231"), "{debug}");
    }

    #[test]
    fn empty() {
        for s in ["", "   ", "\n\t"] {
            let e = IdNumber::parse(s).unwrap_err();
            assert_eq!(e, IdNumberError::Empty);
            assert_eq!(e.code(), "id_number_empty");
            assert_eq!(e.to_string(), "请填写身份证号码");
        }
    }

    #[test]
    fn wrong_length_counts_characters() {
        let e = IdNumber::parse("11010519491231002").unwrap_err();
        assert_eq!(e, IdNumberError::WrongLength { len: 17 });
        assert_eq!(e.to_string(), "身份证号码应为18位，当前为17位");
        assert_eq!(e.code(), "id_number_wrong_length");
        assert!(e.message_en().contains("17"));
        let e = IdNumber::parse("11010519491231002X1").unwrap_err();
        assert_eq!(e, IdNumberError::WrongLength { len: 19 });
        // 18 bytes but 6 characters: the length is in characters.
        let e = IdNumber::parse("身份证号码吗").unwrap_err();
        assert_eq!(e, IdNumberError::WrongLength { len: 6 });
        // 15-digit first-generation numbers are not accepted.
        let e = IdNumber::parse("110105491231002").unwrap_err();
        assert_eq!(e, IdNumberError::WrongLength { len: 15 });
    }

    #[test]
    fn invalid_character_reports_one_based_position() {
        let e = IdNumber::parse("1101051949123100XX").unwrap_err();
        assert_eq!(e, IdNumberError::InvalidCharacter { position: 17 });
        assert_eq!(e.to_string(), "身份证号码第17位应为数字");
        assert_eq!(e.code(), "id_number_invalid_character");
        let e = IdNumber::parse("x1010519491231002X").unwrap_err();
        assert_eq!(e, IdNumberError::InvalidCharacter { position: 1 });
        let e = IdNumber::parse("11010519491231002Y").unwrap_err();
        assert_eq!(e, IdNumberError::InvalidCharacter { position: 18 });
        assert_eq!(e.to_string(), "身份证号码最后一位只能是数字或字母X");
        assert!(e.message_en().contains("last character"));
        // Full-width digits are not ASCII digits.
        let e = IdNumber::parse("１1010519491231002X").unwrap_err();
        assert_eq!(e, IdNumberError::InvalidCharacter { position: 1 });
        let e = IdNumber::parse("110105 9491231002X").unwrap_err();
        assert_eq!(e, IdNumberError::InvalidCharacter { position: 7 });
    }

    #[test]
    fn unknown_province() {
        for prefix in [
            "00", "10", "16", "20", "24", "38", "47", "55", "60", "66", "72", "83", "99",
        ] {
            let s = complete(&format!("{prefix}010519491231002"));
            let e = IdNumber::parse(&s).unwrap_err();
            assert_eq!(
                e,
                IdNumberError::UnknownProvince {
                    code: prefix.to_owned()
                },
                "{s}"
            );
            assert_eq!(e.code(), "id_number_unknown_province");
            assert!(e.to_string().contains(prefix));
        }
        for prefix in [
            "11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82",
        ] {
            let s = complete(&format!("{prefix}010519491231002"));
            assert!(IdNumber::parse(&s).is_ok(), "{s}");
        }
    }

    #[test]
    fn invalid_birth_date() {
        for date in [
            "19490230", "19000229", "20230229", "19491301", "19491200", "18991231", "00000101",
        ] {
            let s = complete(&format!("110105{date}002"));
            let e = IdNumber::parse(&s).unwrap_err();
            assert_eq!(e, IdNumberError::InvalidBirthDate, "{s}");
            assert_eq!(e.code(), "id_number_invalid_birth_date");
        }
        for date in ["19000101", "20000229", "20240229", "20991231"] {
            let s = complete(&format!("110105{date}002"));
            assert!(IdNumber::parse(&s).is_ok(), "{s}");
        }
    }

    #[test]
    fn check_character_mismatch() {
        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(
            e,
            IdNumberError::CheckCharacterMismatch {
                expected: 'X',
                found: '1'
            }
        );
        assert_eq!(e.code(), "id_number_check_character_mismatch");
        assert!(e.to_string().contains("校验位"));
        // Neither message gives away the "right" last character.
        assert!(!e.to_string().contains('X'));
        assert!(!e.message_en().contains("'X'"));
    }

    #[test]
    fn every_check_value_is_reachable() {
        // Vary the sequence digits until every one of the 11 check characters shows up,
        // and confirm each completed number parses.
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..1000 {
            let s = complete(&format!("33010219820715{seq:03}"));
            seen.insert(s.chars().last().unwrap());
            assert!(IdNumber::parse(&s).is_ok(), "{s}");
        }
        assert_eq!(seen.len(), 11);
    }

    #[test]
    fn serde_full_string_and_validated_deserialize() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"11010519491231002X\"");
        let back: IdNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        let lower: IdNumber = serde_json::from_str("\"11010519491231002x\"").unwrap();
        assert_eq!(lower, id);
        let err = serde_json::from_str::<IdNumber>("\"110105194912310021\"").unwrap_err();
        assert!(err.to_string().contains("校验位"), "{err}");
        assert!(serde_json::from_str::<IdNumber>("110105194912310021").is_err());
        assert!(serde_json::from_str::<IdNumber>("null").is_err());
    }

    #[test]
    fn from_str_matches_parse() {
        let a: IdNumber = "11010519491231002X".parse().unwrap();
        assert_eq!(a, IdNumber::parse("11010519491231002X").unwrap());
    }

    #[test]
    fn sex_labels_and_serde() {
        assert_eq!(Sex::Male.label_zh(), "男");
        assert_eq!(Sex::Female.label_en(), "female");
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
    }
}
