//! Amounts of money in yuan (元), exact to the fen (分).
//!
//! Never a float: amounts are stored as a `Decimal` with exactly two decimal places and
//! travel as strings ("28.00"). The value range is that of an `i64` count of fen
//! (about ±9.2 × 10^16 yuan), so [`Money::to_fen`] is total; like integer arithmetic,
//! the operators panic when a result leaves that range and the `checked_*` methods
//! return `None` instead.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a value is not an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("请填写金额")]
    Empty,
    #[error("金额格式不正确，请填写数字，例如 28 或 28.50")]
    InvalidFormat,
    #[error("金额最多保留两位小数（精确到分）")]
    TooManyDecimalPlaces,
    #[error("金额超出允许范围")]
    OutOfRange,
}

impl MoneyError {
    /// Stable snake_case machine code (API `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "money_empty",
            Self::InvalidFormat => "money_invalid_format",
            Self::TooManyDecimalPlaces => "money_too_many_decimal_places",
            Self::OutOfRange => "money_out_of_range",
        }
    }

    /// English message for the English UI.
    pub fn message_en(&self) -> String {
        match self {
            Self::Empty => "Please enter an amount.",
            Self::InvalidFormat => "The amount is not a number such as 28 or 28.50.",
            Self::TooManyDecimalPlaces => "The amount may have at most two decimal places (one fen).",
            Self::OutOfRange => "The amount is out of range.",
        }
        .to_owned()
    }
}

/// An amount in yuan with exactly two decimal places.
// Invariant: scale is 2 and the mantissa (the fen count) fits in i64. Derived Eq/Ord/Hash
// are therefore plain numeric comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// Whole yuan.
    ///
    /// # Panics
    /// If `yuan × 100` does not fit in an `i64`.
    pub fn yuan(yuan: i64) -> Money {
        Money::from_fen(yuan.checked_mul(100).expect("Money::yuan overflow"))
    }

    pub fn from_fen(fen: i64) -> Money {
        Money(Decimal::new(fen, 2))
    }

    pub fn to_fen(self) -> i64 {
        i64::try_from(self.0.mantissa()).expect("Money invariant: fen fits in i64")
    }

    /// Exact conversion: rejects values with more than two significant decimal places
    /// (1.005) rather than silently rounding; `1.000` is fine.
    pub fn new(value: Decimal) -> Result<Money, MoneyError> {
        let n = value.normalize();
        if n.scale() > 2 {
            return Err(MoneyError::TooManyDecimalPlaces);
        }
        // mantissa < 2^96 and the factor ≤ 100, so this cannot overflow i128.
        let fen = n.mantissa() * 10i128.pow(2 - n.scale());
        i64::try_from(fen)
            .map(Money::from_fen)
            .map_err(|_| MoneyError::OutOfRange)
    }

    /// Rounds half away from zero (四舍五入) to the fen: 0.005 → 0.01, -0.005 → -0.01.
    ///
    /// # Panics
    /// If the rounded value is outside the `Money` range.
    pub fn round_from(value: Decimal) -> Money {
        Money::new(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
            .expect("Money::round_from out of range")
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.to_fen() < 0
    }

    pub fn is_positive(self) -> bool {
        self.to_fen() > 0
    }

    pub fn abs(self) -> Money {
        if self.is_negative() {
            -self
        } else {
            self
        }
    }

    pub fn checked_add(self, rhs: Money) -> Option<Money> {
        self.to_fen().checked_add(rhs.to_fen()).map(Money::from_fen)
    }

    pub fn checked_sub(self, rhs: Money) -> Option<Money> {
        self.to_fen().checked_sub(rhs.to_fen()).map(Money::from_fen)
    }

    pub fn checked_neg(self) -> Option<Money> {
        self.to_fen().checked_neg().map(Money::from_fen)
    }

    /// `self × count`, e.g. a per-person amount times a head count.
    pub fn checked_mul_count(self, count: u64) -> Option<Money> {
        let count = i64::try_from(count).ok()?;
        self.to_fen().checked_mul(count).map(Money::from_fen)
    }

    /// `percent` % of `self`, rounded half away from zero: 10 % of 280.00 = 28.00.
    ///
    /// # Panics
    /// If the result is outside the `Money` range.
    pub fn percent(self, percent: Decimal) -> Money {
        let value = self
            .0
            .checked_mul(percent)
            .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
            .expect("Money::percent overflow");
        Money::round_from(value)
    }
}

impl Default for Money {
    fn default() -> Self {
        Money::ZERO
    }
}

impl Money {
    /// The same text as `Display` ("28.00", "-0.50"), built without `fmt` for hot paths.
    pub fn to_plain(self) -> String {
        self.write_plain(&mut [0; 40]).to_owned()
    }

    /// [`Money::to_plain`] without allocating: the text is written into `buf`.
    pub fn write_plain(self, buf: &mut [u8; 40]) -> &str {
        let fen = self.to_fen();
        // Fill from the end: fen digits, the point before the last two, at least "0.05".
        let (mut n, mut at, mut written) = (fen.unsigned_abs(), buf.len(), 0);
        while n > 0 || written < 3 {
            if written == 2 {
                at -= 1;
                buf[at] = b'.';
            }
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            written += 1;
        }
        if fen < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        std::str::from_utf8(&buf[at..]).expect("ASCII digits")
    }
}

impl fmt::Display for Money {
    /// Always two decimal places, no grouping: "28.00", "-0.50".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fen = self.to_fen();
        let sign = if fen < 0 { "-" } else { "" };
        let abs = fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Plain decimal notation only: optional `-`, digits, optionally `.` and digits
    /// ("28", "28.5", "-3.00"). No exponent, no `+`, no grouping, no bare "28." or ".5".
    /// Surrounding whitespace is ignored. Extra zero decimals ("28.500") are accepted,
    /// consistent with [`Money::new`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int_part, frac_part) = match unsigned.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (unsigned, None),
        };
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || !frac_part.is_none_or(all_digits) {
            return Err(MoneyError::InvalidFormat);
        }
        let frac = frac_part.unwrap_or("").trim_end_matches('0');
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimalPlaces);
        }
        let int_digits = int_part.trim_start_matches('0');
        // i64 fen has at most 19 digits, so 18 yuan digits bound the integer part
        // and keep the i128 arithmetic below from overflowing.
        if int_digits.len() > 18 {
            return Err(MoneyError::OutOfRange);
        }
        let to_i128 = |p: &str| p.bytes().fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'));
        let frac_fen = to_i128(frac) * if frac.len() == 1 { 10 } else { 1 };
        let magnitude = to_i128(int_digits) * 100 + frac_fen;
        let fen = if negative { -magnitude } else { magnitude };
        i64::try_from(fen)
            .map(Money::from_fen)
            .map_err(|_| MoneyError::OutOfRange)
    }
}

impl Add for Money {
    type Output = Money;

    fn add(self, rhs: Money) -> Money {
        self.checked_add(rhs).expect("Money addition overflow")
    }
}

impl Sub for Money {
    type Output = Money;

    fn sub(self, rhs: Money) -> Money {
        self.checked_sub(rhs).expect("Money subtraction overflow")
    }
}

impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        self.checked_neg().expect("Money negation overflow")
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Mul<u32> for Money {
    type Output = Money;

    fn mul(self, rhs: u32) -> Money {
        self.checked_mul_count(u64::from(rhs))
            .expect("Money multiplication overflow")
    }
}

impl Mul<i64> for Money {
    type Output = Money;

    fn mul(self, rhs: i64) -> Money {
        self.to_fen()
            .checked_mul(rhs)
            .map(Money::from_fen)
            .expect("Money multiplication overflow")
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

impl Serialize for Money {
    /// As a string with two places ("28.00"): JSON numbers are floats to most clients.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// From a decimal string, or a JSON integer (whole yuan). JSON floats are refused:
    /// by the time we see them they are already binary floats and may be inexact.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount as a decimal string such as \"28.00\", or an integer")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
                v.checked_mul(100)
                    .map(Money::from_fen)
                    .ok_or_else(|| E::custom(MoneyError::OutOfRange))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom(MoneyError::OutOfRange))
                    .and_then(|v| self.visit_i64(v))
            }

            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Money, E> {
                Err(E::custom("金额须以字符串表示（例如 \"28.00\"），不接受浮点数"))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// In JSON a `Money` is a decimal string with two places, e.g. "28.00".
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]+\\.[0-9]{2}$",
            "description": "Yuan as a decimal string with two places",
            "examples": ["70.00"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn constructors_agree() {
        assert_eq!(Money::yuan(28), Money::from_fen(2800));
        assert_eq!(Money::yuan(28), Money::new(d("28")).unwrap());
        assert_eq!(Money::yuan(28), Money::new(d("28.000")).unwrap());
        assert_eq!(Money::yuan(28).to_fen(), 2800);
        assert_eq!(Money::ZERO, Money::from_fen(0));
        assert_eq!(Money::default(), Money::ZERO);
        assert_eq!(Money::yuan(-3).to_fen(), -300);
        assert_eq!(Money::from_fen(i64::MIN).to_fen(), i64::MIN);
        assert_eq!(Money::from_fen(i64::MAX).to_fen(), i64::MAX);
    }

    #[test]
    fn always_two_places() {
        assert_eq!(Money::yuan(28).to_string(), "28.00");
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-50).to_string(), "-0.50");
        assert_eq!(Money::new(d("1.5")).unwrap().to_string(), "1.50");
        assert_eq!(Money::yuan(28).as_decimal().scale(), 2);
        assert_eq!(Money::new(d("7")).unwrap().as_decimal().scale(), 2);
        assert_eq!(Money::round_from(d("7.1")).as_decimal().scale(), 2);
        assert_eq!(Money::from_fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn new_rejects_sub_fen_precision() {
        assert_eq!(Money::new(d("1.005")), Err(MoneyError::TooManyDecimalPlaces));
        assert_eq!(Money::new(d("1.01")).unwrap().to_fen(), 101);
        assert_eq!(Money::new(Decimal::MAX), Err(MoneyError::OutOfRange));
    }

    #[test]
    fn round_half_away_from_zero() {
        assert_eq!(Money::round_from(d("1.005")).to_string(), "1.01");
        assert_eq!(Money::round_from(d("1.004999")).to_string(), "1.00");
        assert_eq!(Money::round_from(d("2.675")).to_string(), "2.68");
        assert_eq!(Money::round_from(d("-1.005")).to_string(), "-1.01");
        assert_eq!(Money::round_from(d("0.125")).to_string(), "0.13");
        assert_eq!(Money::round_from(d("0.135")).to_string(), "0.14");
        assert_eq!(Money::round_from(d("-0.001")).to_string(), "0.00");
        assert!(!Money::round_from(d("-0.001")).is_negative());
    }

    #[test]
    fn percent() {
        // Sanya: the registered poor pay 10 % of 280.
        assert_eq!(Money::yuan(280).percent(d("10")), Money::yuan(28));
        assert_eq!(Money::yuan(280).percent(d("90")), Money::yuan(252));
        assert_eq!(Money::yuan(350).percent(d("0")), Money::ZERO);
        assert_eq!(Money::yuan(350).percent(d("100")), Money::yuan(350));
        // 1/3 of a fen rounds down, 1/2 rounds up.
        assert_eq!(m("0.05").percent(d("10")), m("0.01"));
        assert_eq!(m("0.03").percent(d("10")), m("0.00"));
        assert_eq!(m("1.00").percent(d("33.333")), m("0.33"));
        assert_eq!(m("-0.05").percent(d("10")), m("-0.01"));
    }

    #[test]
    fn arithmetic() {
        let a = m("350.00");
        let b = m("280");
        assert_eq!(a - b, Money::yuan(70));
        assert_eq!(a + b, m("630"));
        assert_eq!(-a, m("-350"));
        assert_eq!(b * 3u32, m("840"));
        assert_eq!(b * -2i64, m("-560"));
        assert_eq!(b.checked_mul_count(62_390), Some(m("17469200")));
        assert_eq!(b.checked_mul_count(u64::MAX), None);
        let mut c = Money::ZERO;
        c += a;
        c -= b;
        assert_eq!(c, Money::yuan(70));
        let total: Money = [a, b, c].iter().sum();
        assert_eq!(total, m("700"));
        let total: Money = vec![a, b].into_iter().sum();
        assert_eq!(total, m("630"));
        assert_eq!(std::iter::empty::<Money>().sum::<Money>(), Money::ZERO);
        assert_eq!(a.min(b), b);
        assert_eq!(a.max(b), a);
        assert!(m("-0.01") < Money::ZERO);
        assert!(m("-0.01").is_negative());
        assert!(!Money::ZERO.is_negative());
        assert!(Money::ZERO.is_zero());
        assert!(m("0.01").is_positive());
        assert_eq!(m("-5").abs(), m("5"));
        assert_eq!(Money::from_fen(i64::MAX).checked_add(m("0.01")), None);
        assert_eq!(Money::from_fen(i64::MIN).checked_sub(m("0.01")), None);
        assert_eq!(Money::from_fen(i64::MIN).checked_neg(), None);
    }

    #[test]
    #[should_panic(expected = "overflow")]
    fn add_overflow_panics() {
        let _ = Money::from_fen(i64::MAX) + Money::from_fen(1);
    }

    #[test]
    fn equal_values_hash_equally() {
        use std::collections::HashSet;
        let set: HashSet<Money> = [m("28"), m("28.0"), m("28.00"), Money::yuan(28)].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn to_plain_matches_display() {
        for fen in [
            0,
            5,
            50,
            99,
            100,
            2800,
            35000,
            -50,
            -12345,
            i64::from(i32::MAX),
            i64::MIN + 1,
        ] {
            let m = Money::from_fen(fen);
            assert_eq!(m.to_plain(), m.to_string(), "{fen}");
        }
    }

    #[test]
    fn from_str_accepts_plain_decimals() {
        assert_eq!(m("28"), Money::yuan(28));
        assert_eq!(m("28.5"), Money::from_fen(2850));
        assert_eq!(m("28.50"), Money::from_fen(2850));
        assert_eq!(m("28.00"), Money::yuan(28));
        assert_eq!(m("028.00"), Money::yuan(28));
        assert_eq!(m(" 28 "), Money::yuan(28));
        assert_eq!(m("28.500"), Money::from_fen(2850));
        assert_eq!(m("-0.5"), Money::from_fen(-50));
        assert_eq!(m("-0"), Money::ZERO);
        assert_eq!(m("-0").to_string(), "0.00");
        assert_eq!(m("92233720368547758.07"), Money::from_fen(i64::MAX));
        assert_eq!(m("-92233720368547758.08"), Money::from_fen(i64::MIN));
    }

    #[test]
    fn from_str_rejects_with_typed_errors() {
        use MoneyError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("1.005", TooManyDecimalPlaces),
            ("0.001", TooManyDecimalPlaces),
            ("1e2", InvalidFormat),
            ("1E2", InvalidFormat),
            ("2.8e1", InvalidFormat),
            ("abc", InvalidFormat),
            ("28元", InvalidFormat),
            ("¥28", InvalidFormat),
            ("+28", InvalidFormat),
            ("--28", InvalidFormat),
            ("-", InvalidFormat),
            ("28.", InvalidFormat),
            (".5", InvalidFormat),
            ("1,000", InvalidFormat),
            ("1 000", InvalidFormat),
            ("1.2.3", InvalidFormat),
            ("NaN", InvalidFormat),
            ("inf", InvalidFormat),
            ("２８", InvalidFormat),
            ("92233720368547758.08", OutOfRange),
            ("1000000000000000000", OutOfRange),
            ("99999999999999999999999999999999999999999", OutOfRange),
        ];
        for (input, expected) in cases {
            assert_eq!(Money::from_str(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(MoneyError::Empty.to_string(), "请填写金额");
        assert_eq!(
            MoneyError::TooManyDecimalPlaces.to_string(),
            "金额最多保留两位小数（精确到分）"
        );
        assert_eq!(MoneyError::InvalidFormat.code(), "money_invalid_format");
        assert_eq!(MoneyError::OutOfRange.code(), "money_out_of_range");
        assert!(MoneyError::Empty.message_en().starts_with("Please"));
    }

    #[test]
    fn serde_as_string() {
        assert_eq!(serde_json::to_string(&m("28")).unwrap(), "\"28.00\"");
        assert_eq!(serde_json::to_string(&m("-0.5")).unwrap(), "\"-0.50\"");
        let back: Money = serde_json::from_str("\"28.00\"").unwrap();
        assert_eq!(back, m("28"));
        let back: Money = serde_json::from_str("\"28.5\"").unwrap();
        assert_eq!(back, m("28.50"));
        // A JSON integer is whole yuan.
        let back: Money = serde_json::from_str("28").unwrap();
        assert_eq!(back, m("28"));
        let back: Money = serde_json::from_str("-3").unwrap();
        assert_eq!(back, m("-3"));
    }

    #[test]
    fn serde_rejects_floats_and_bad_strings() {
        for json in ["28.0", "28.5", "2.8e1", "1e2", "-0.5"] {
            let err = serde_json::from_str::<Money>(json).unwrap_err();
            assert!(err.to_string().contains("浮点数"), "{json}: {err}");
        }
        let err = serde_json::from_str::<Money>("\"1.005\"").unwrap_err();
        assert!(err.to_string().contains("两位小数"), "{err}");
        assert!(serde_json::from_str::<Money>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Money>("null").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
        assert!(serde_json::from_str::<Money>("18446744073709551615").is_err());
        assert!(serde_json::from_str::<Money>("92233720368547759").is_err());
    }

    #[test]
    fn serde_inside_a_struct() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Quote {
            subsidy: Money,
            personal_due: Money,
        }
        let q = Quote {
            subsidy: m("280"),
            personal_due: m("70"),
        };
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(json, r#"{"subsidy":"280.00","personal_due":"70.00"}"#);
        assert_eq!(serde_json::from_str::<Quote>(&json).unwrap(), q);
        assert!(serde_json::from_str::<Quote>(r#"{"subsidy":280.0,"personal_due":"70"}"#).is_err());
    }
}
