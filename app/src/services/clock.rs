//! The one source of "today".
//!
//! Business dates are in Asia/Shanghai. China has kept UTC+8 without daylight
//! saving since 1991, so a fixed offset is exact and saves shipping a tz database.

use chrono::{DateTime, NaiveDate, Utc};

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
    fn pinned_clock_returns_the_pinned_date() {
        let d = NaiveDate::from_ymd_opt(2022, 10, 8).unwrap();
        assert_eq!(Clock::pinned(d).today(), d);
        assert!(Clock::pinned(d).is_pinned());
        assert!(!Clock::system().is_pinned());
    }
}
