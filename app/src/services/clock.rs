//! The one source of "today".
//!
//! Business dates are in Asia/Shanghai. China has kept UTC+8 without daylight
//! saving since 1991, so a fixed offset is exact and saves shipping a tz database.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    pinned: Option<NaiveDate>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { pinned: None }
    }

    /// A clock whose date is fixed (`CANBAO_TODAY`); times still come from the system.
    pub fn pinned(date: NaiveDate) -> Clock {
        Clock { pinned: Some(date) }
    }

    pub fn is_pinned(&self) -> bool {
        self.pinned.is_some()
    }

    /// Today's date in Asia/Shanghai (or the pinned date).
    pub fn today(&self) -> NaiveDate {
        self.pinned.unwrap_or_else(|| shanghai_date(Utc::now()))
    }

    /// The real current instant (expiry of codes and sessions never uses the pinned date).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// When a business event happens: a payment, a receipt, a certification's step. On a
    /// pinned clock it is the pinned date at the current Shanghai time of day, so a demo on
    /// 2022-10-08 issues receipts and history dated 2022-10-08 rather than beside it; on the
    /// system clock it is [`Clock::now`]. Security timing (codes, sessions, order expiry,
    /// the audit log) keeps the real instant.
    pub fn business_now(&self) -> DateTime<Utc> {
        on_date(self.pinned, Utc::now())
    }
}

fn on_date(pinned: Option<NaiveDate>, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(date) = pinned else { return now };
    let time = now.with_timezone(&domain::dates::SHANGHAI).time();
    domain::dates::SHANGHAI
        .from_local_datetime(&date.and_time(time))
        .single()
        .map_or(now, |d| d.with_timezone(&Utc))
}

pub fn shanghai_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&domain::dates::SHANGHAI).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shanghai_date_turns_over_at_16_utc() {
        let before = Utc.with_ymd_and_hms(2022, 12, 31, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2022, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(shanghai_date(before), NaiveDate::from_ymd_opt(2022, 12, 31).unwrap());
        assert_eq!(shanghai_date(after), NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
    }

    #[test]
    fn business_time_on_a_pinned_clock_keeps_the_time_of_day_on_the_pinned_date() {
        let d = NaiveDate::from_ymd_opt(2022, 10, 8).unwrap();
        // 2026-12-07 23:30 in Shanghai (15:30 UTC).
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 15, 30, 0).unwrap();
        let at = on_date(Some(d), now);
        assert_eq!(shanghai_date(at), d);
        assert_eq!(at, Utc.with_ymd_and_hms(2022, 10, 8, 15, 30, 0).unwrap());
        assert_eq!(on_date(None, now), now);
    }

    #[test]
    fn pinned_clock_returns_the_pinned_date() {
        let d = NaiveDate::from_ymd_opt(2022, 10, 8).unwrap();
        assert_eq!(Clock::pinned(d).today(), d);
        assert!(Clock::pinned(d).is_pinned());
        assert!(!Clock::system().is_pinned());
    }
}
