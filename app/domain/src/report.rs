//! Pure report arithmetic: coverage rates, the efficacy-coefficient ranking (功效系数法),
//! per-head incentives and the weekly reporting days. No IO, so the same figures are
//! computed the same way wherever they are shown.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::Money;

/// Enrolled as a percentage of `base`, at most two decimals (half up, trailing zeros
/// dropped); 0 when the base is 0 (an empty area shows zeros, never NaN).
pub fn percent(part: i64, base: i64) -> Decimal {
    if base <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(base))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// One indicator of a ranking and its weight in points (Weifang: 60, 25, 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indicator {
    pub weight: u32,
}

/// The efficacy-coefficient method: each indicator value x of unit i becomes
/// d = 60 + 40 × (x − min) / (max − min) (the worst unit scores 60, the best 100; all
/// 100 when every unit has the same value); the score is Σ weight × d / 100, so a unit
/// best on everything scores 100. Scores are rounded to two decimals.
pub fn efficacy_scores(values: &[Vec<Decimal>], indicators: &[Indicator]) -> Vec<Decimal> {
    let sixty = Decimal::from(60);
    let forty = Decimal::from(40);
    let mut scores = vec![Decimal::ZERO; values.len()];
    for (k, ind) in indicators.iter().enumerate() {
        let column: Vec<Decimal> = values.iter().map(|v| v.get(k).copied().unwrap_or_default()).collect();
        let (Some(min), Some(max)) = (column.iter().min().copied(), column.iter().max().copied()) else {
            continue;
        };
        for (i, x) in column.iter().enumerate() {
            let d = if max == min {
                Decimal::ONE_HUNDRED
            } else {
                sixty + forty * (*x - min) / (max - min)
            };
            scores[i] += Decimal::from(ind.weight) * d / Decimal::ONE_HUNDRED;
        }
    }
    scores
        .into_iter()
        .map(|s| {
            s.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        })
        .collect()
}

/// Rugao: a village that met its target earns `per_head` for every person actually
/// enrolled; a village short of it (or without a target) earns nothing.
pub fn incentive(enrolled: i64, target: Option<i64>, per_head: Money) -> Money {
    match target {
        Some(t) if enrolled >= t && enrolled > 0 => per_head.checked_mul_count(enrolled as u64).unwrap_or(Money::ZERO),
        _ => Money::ZERO,
    }
}

/// The reporting days from `start` to `end`: every Friday (Lishi's weekly report is due
/// Fridays), plus `end` itself when it is not one.
pub fn weekly_points(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    if end < start {
        return out;
    }
    let ahead = (7 + Weekday::Fri.num_days_from_monday() as i64 - start.weekday().num_days_from_monday() as i64) % 7;
    let mut day = start + Duration::days(ahead);
    while day <= end {
        out.push(day);
        day += Duration::days(7);
    }
    if out.last() != Some(&end) {
        out.push(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn percent_is_two_decimals_and_zero_for_an_empty_base() {
        assert_eq!(percent(189_240, 199_200), d("95.00"));
        assert_eq!(percent(2, 3), d("66.67"));
        assert_eq!(percent(1, 8), d("12.5"));
        assert_eq!(percent(3, 3).to_string(), "100");
        assert_eq!(percent(0, 0), Decimal::ZERO);
        assert_eq!(percent(5, 0), Decimal::ZERO);
    }

    #[test]
    fn efficacy_scores_weight_60_25_15_and_span_60_to_100() {
        let w = [
            Indicator { weight: 60 },
            Indicator { weight: 25 },
            Indicator { weight: 15 },
        ];
        // Unit 0 best on everything, unit 2 worst on everything, unit 1 in the middle.
        let values = vec![
            vec![d("98"), d("100"), d("3")],
            vec![d("97"), d("90"), d("2")],
            vec![d("96"), d("80"), d("1")],
        ];
        let s = efficacy_scores(&values, &w);
        assert_eq!(s, vec![d("100"), d("80"), d("60")]);
        // Ties on one indicator give everyone 100 on it.
        let tied = vec![vec![d("95"), d("50"), d("0")], vec![d("95"), d("100"), d("0")]];
        // unit 0: 60 + 25×60/100 + 15 = 90; unit 1: 60 + 25 + 15 = 100.
        assert_eq!(efficacy_scores(&tied, &w), vec![d("90"), d("100")]);
        assert!(efficacy_scores(&[], &w).is_empty());
    }

    #[test]
    fn incentive_pays_only_villages_that_met_their_target() {
        let per = Money::new(d("1.5")).unwrap();
        assert_eq!(incentive(20_000, Some(20_000), per), Money::yuan(30_000));
        assert_eq!(incentive(19_999, Some(20_000), per), Money::ZERO);
        assert_eq!(incentive(500, None, per), Money::ZERO);
    }

    #[test]
    fn weekly_points_are_fridays_and_the_last_day() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Lishi: 2022-09-01 is a Thursday; the first Friday is 09-02.
        let p = weekly_points(day("2022-09-01"), day("2022-09-20"));
        assert_eq!(
            p,
            vec![
                day("2022-09-02"),
                day("2022-09-09"),
                day("2022-09-16"),
                day("2022-09-20")
            ]
        );
        assert_eq!(
            weekly_points(day("2022-09-02"), day("2022-09-02")),
            vec![day("2022-09-02")]
        );
        assert!(weekly_points(day("2022-09-03"), day("2022-09-02")).is_empty());
    }
}
