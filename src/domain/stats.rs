//! The date rules of the stats and ledger endpoints (CONTRACT §9), relative to the sandbox clock:
//! `startDate` and `endDate` are `YYYY-MM-DD` (else `INVALID_DATE_FORMAT`), inclusive UTC days;
//! an end before the start is a `VALIDATION_ERROR`; more than 31 days is `RANGE_TOO_LARGE`; a
//! start more than 180 days back (90 for `/projects/stats`) is `RANGE_TOO_OLD`. Dates in the
//! future are allowed (they simply hold nothing yet).

use chrono::NaiveDate;

use super::time::{Millis, DAY};

/// The longest range, in days.
pub const MAX_DAYS: i64 = 31;
/// How far back message stats and the ledger go.
pub const MAX_AGE_DAYS: i64 = 180;
/// How far back project stats go.
pub const PROJECT_MAX_AGE_DAYS: i64 = 90;

/// An inclusive range of UTC days (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: i64,
    pub last: i64,
}

impl DayRange {
    pub fn contains_ms(&self, ms: Millis) -> bool {
        (self.first..=self.last).contains(&ms.div_euclid(DAY))
    }
}

/// Why a range is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    /// (parameter, what was given)
    Format(&'static str, Option<String>),
    EndBeforeStart,
    TooLarge(i64),
    TooOld {
        max_days: i64,
    },
}

/// `YYYY-MM-DD`, exactly: ten characters, a real date.
pub fn parse_day(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days())
}

/// The day as `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(day)))
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

/// Checks `startDate`/`endDate` against the rules, `now` being the sandbox clock.
pub fn range(
    start: Option<&str>,
    end: Option<&str>,
    now: Millis,
    max_age_days: i64,
) -> Result<DayRange, DateProblem> {
    let first = start
        .and_then(parse_day)
        .ok_or_else(|| DateProblem::Format("startDate", start.map(str::to_string)))?;
    let last = end
        .and_then(parse_day)
        .ok_or_else(|| DateProblem::Format("endDate", end.map(str::to_string)))?;
    if last < first {
        return Err(DateProblem::EndBeforeStart);
    }
    let days = last - first + 1;
    if days > MAX_DAYS {
        return Err(DateProblem::TooLarge(days));
    }
    let today = now.div_euclid(DAY);
    if first < today - max_age_days {
        return Err(DateProblem::TooOld {
            max_days: max_age_days,
        });
    }
    Ok(DayRange { first, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_793_728_800_000; // 2026-11-03T18:00:00Z

    fn r(a: &str, b: &str) -> Result<DayRange, DateProblem> {
        range(Some(a), Some(b), NOW, MAX_AGE_DAYS)
    }

    #[test]
    fn dates_are_strict_iso_days() {
        assert!(parse_day("2026-11-03").is_some());
        for bad in [
            "2026-11-3",
            "2026/11/03",
            "20261103",
            "2026-13-01",
            "2026-02-30",
            " 2026-11-03",
            "2026-11-03T00:00:00Z",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert_eq!(
            format_day(parse_day("2024-02-29").expect("leap")),
            "2024-02-29"
        );
        assert!(matches!(
            range(None, Some("2026-11-03"), NOW, 180),
            Err(DateProblem::Format("startDate", None))
        ));
    }

    #[test]
    fn thirty_one_days_is_the_longest_range() {
        assert!(r("2026-10-04", "2026-11-03").is_ok());
        assert_eq!(
            r("2026-10-03", "2026-11-03"),
            Err(DateProblem::TooLarge(32))
        );
        assert_eq!(
            r("2026-11-04", "2026-11-03"),
            Err(DateProblem::EndBeforeStart)
        );
        assert!(r("2026-11-03", "2026-11-03").is_ok(), "today alone");
        assert!(
            r("2026-12-01", "2026-12-05").is_ok(),
            "the future holds nothing yet"
        );
    }

    #[test]
    fn a_start_180_days_back_is_the_oldest() {
        // 2026-11-03 minus 180 days is 2026-05-07.
        assert!(r("2026-05-07", "2026-05-08").is_ok());
        assert_eq!(
            r("2026-05-06", "2026-05-08"),
            Err(DateProblem::TooOld { max_days: 180 })
        );
        assert!(range(Some("2026-08-05"), Some("2026-08-06"), NOW, 90).is_ok());
        assert!(range(Some("2026-08-04"), Some("2026-08-06"), NOW, 90).is_err());
    }
}
