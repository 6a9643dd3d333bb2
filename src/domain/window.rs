//! The sending window of CONTRACT §8: 08:00-22:00 in the time zone where most recipients live, or
//! 08:00 America/New_York to 22:00 America/Los_Angeles when no zone holds a majority.
//!
//! A window is a pair of zones, one whose 08:00 opens it and one whose 22:00 closes it; a local
//! window is the same zone twice. Day `D`'s window is `[08:00 D in opens, 22:00 D in closes)`, and
//! every question (open now? when next? until when?) is answered from the windows of the days
//! around the instant, computed through chrono_tz, so daylight-saving changes move the UTC instants
//! with the wall clock and never need a special case.
//!
//! Decisions where the contract is silent:
//! - Zones come from the area code via the state in [`AREA_CODES`]; a state spanning zones takes
//!   its most populous one (FL and MI → New York, TX → Chicago, OR and NV → Los Angeles). Only
//!   the five canonical zones are used (New York, Chicago, Denver, Phoenix, Los Angeles): Michigan
//!   is New York rather than its same-clock alias America/Detroit, so one wall clock is one zone
//!   when votes are counted. Arizona is Phoenix (no daylight saving), not Denver.
//! - Area codes not in [`AREA_CODES`] (the magic 500, toll-free, codes the sandbox does not list)
//!   have no zone.
//! - "Most recipients" is a strict majority (more than half) of the recipients that have a zone;
//!   those without one do not vote. A tie, or no recipient with a zone, gives the fallback.
//! - The window is half-open: 08:00:00.000 is open, 22:00:00.000 is closed.
//! - A local 08:00 or 22:00 that a clock change skips resolves to the first instant after the gap,
//!   and one that happens twice to the earlier instant (US changes are at 02:00, so neither
//!   happens in the zones used here; the rule keeps the functions total).

// Phone numbers are written grouped as they are read: 1 614 555 0123.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::America::{Chicago, Denver, Los_Angeles, New_York, Phoenix};
use chrono_tz::Tz;

use super::phone::AREA_CODES;
use super::time::{self, Millis, MINUTE};

/// The local hour the window opens.
pub const OPENS_AT_HOUR: u32 = 8;
/// The local hour the window closes.
pub const CLOSES_AT_HOUR: u32 = 22;

/// The zone of each state present in [`AREA_CODES`].
const STATE_ZONES: &[(&str, Tz)] = &[
    ("AL", Chicago),
    ("AZ", Phoenix),
    ("CA", Los_Angeles),
    ("CO", Denver),
    ("DC", New_York),
    // The panhandle west of the Apalachicola is Central; most Floridians are Eastern.
    ("FL", New_York),
    ("GA", New_York),
    ("IL", Chicago),
    ("MA", New_York),
    // America/Detroit keeps New York's clock; four Upper Peninsula counties are Central.
    ("MI", New_York),
    ("MN", Chicago),
    ("NC", New_York),
    // West Wendover is Mountain.
    ("NV", Los_Angeles),
    ("NY", New_York),
    ("OH", New_York),
    // Most of Malheur County is Mountain.
    ("OR", Los_Angeles),
    ("PA", New_York),
    // El Paso and Hudspeth are Mountain.
    ("TX", Chicago),
    ("VA", New_York),
    ("WI", Chicago),
];

/// The zone of a state (two-letter code, any case), if the sandbox knows it.
pub fn state_zone(state: &str) -> Option<Tz> {
    STATE_ZONES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(state))
        .map(|(_, tz)| *tz)
}

/// The area code of a `+1NXXNXXXXXX` number held as `1NXXNXXXXXX`.
fn area_code(phone: u64) -> Option<u64> {
    (10_000_000_000..20_000_000_000)
        .contains(&phone)
        .then_some((phone / 10_000_000) % 1000)
}

/// The zone a number's area code lives in; `None` for codes outside [`AREA_CODES`].
pub fn zone_of(phone: u64) -> Option<Tz> {
    let area = area_code(phone)?;
    AREA_CODES
        .iter()
        .find(|(code, _)| code.parse::<u64>() == Ok(area))
        .and_then(|(_, state)| state_zone(state))
}

/// The zone where more than half of the recipients that have a zone live (see the module note).
pub fn majority_zone(phones: impl IntoIterator<Item = u64>) -> Option<Tz> {
    // Per area code first, so a million recipients cost a million array increments.
    let mut by_area = [0u64; 1000];
    for phone in phones {
        if let Some(area) = area_code(phone) {
            by_area[area as usize] += 1;
        }
    }
    let mut by_zone: Vec<(Tz, u64)> = Vec::new();
    for (area, count) in by_area.iter().enumerate().filter(|(_, c)| **c > 0) {
        let Some(tz) = zone_of(10_000_000_000 + area as u64 * 10_000_000) else {
            continue;
        };
        match by_zone.iter_mut().find(|(z, _)| *z == tz) {
            Some((_, n)) => *n += count,
            None => by_zone.push((tz, *count)),
        }
    }
    let zoned: u64 = by_zone.iter().map(|(_, n)| n).sum();
    by_zone
        .into_iter()
        .find(|(_, n)| n * 2 > zoned)
        .map(|(tz, _)| tz)
}

/// When a project may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The zone whose 08:00 opens each day's window.
    pub opens_in: Tz,
    /// The zone whose 22:00 closes it.
    pub closes_in: Tz,
}

impl Window {
    /// 08:00-22:00 in `zone`, or 08:00 New York to 22:00 Los Angeles without one.
    pub fn for_zone(zone: Option<Tz>) -> Self {
        match zone {
            Some(tz) => Window {
                opens_in: tz,
                closes_in: tz,
            },
            None => Window::FALLBACK,
        }
    }

    /// The window when no zone holds a majority.
    pub const FALLBACK: Window = Window {
        opens_in: New_York,
        closes_in: Los_Angeles,
    };

    /// The window of recipients `phones` (majority zone, else the fallback).
    pub fn for_recipients(phones: impl IntoIterator<Item = u64>) -> Self {
        Window::for_zone(majority_zone(phones))
    }

    /// Day `day`'s window as `[opens, closes)` in milliseconds.
    fn on(self, day: NaiveDate) -> Option<(Millis, Millis)> {
        let open = at_local(self.opens_in, day, OPENS_AT_HOUR)?;
        let close = at_local(self.closes_in, day, CLOSES_AT_HOUR)?;
        Some((open, close))
    }

    /// The windows of the days around `ms` (in the opening zone), in order. Windows never span
    /// more than a day and a half, so three days hold the one containing `ms` and the next one.
    fn around(self, ms: Millis) -> impl Iterator<Item = (Millis, Millis)> {
        let today = time::local_date(ms, self.opens_in);
        [
            today.checked_sub_days(Days::new(1)),
            Some(today),
            today.checked_add_days(Days::new(1)),
            today.checked_add_days(Days::new(2)),
        ]
        .into_iter()
        .flatten()
        .filter_map(move |d| self.on(d))
    }
}

/// The instant of `hour`:00 on `day` in `tz` (see the module note for gaps and repeats).
fn at_local(tz: Tz, day: NaiveDate, hour: u32) -> Option<Millis> {
    let mut local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0)?);
    // A skipped hour is at most a few hours long in practice; look a day ahead at most.
    for _ in 0..=(24 * 60 / 15) {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return Some(t.timestamp_millis());
        }
        local += chrono::Duration::milliseconds(15 * MINUTE);
    }
    None
}

/// Whether the window is open at `ms`.
pub fn is_open(window: Window, ms: Millis) -> bool {
    closes_at(window, ms).is_some()
}

/// When the window open at `ms` closes; `None` when it is closed at `ms`.
pub fn closes_at(window: Window, ms: Millis) -> Option<Millis> {
    window
        .around(ms)
        .find(|(open, close)| (*open..*close).contains(&ms))
        .map(|(_, close)| close)
}

/// The earliest instant at or after `ms` when the window is open: `ms` itself when it is open,
/// else the next opening.
pub fn next_open(window: Window, ms: Millis) -> Millis {
    if is_open(window, ms) {
        return ms;
    }
    window
        .around(ms)
        .map(|(open, _)| open)
        .find(|open| *open > ms)
        // Unreachable for real zones: some day within two holds an 08:00.
        .unwrap_or(Millis::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{format, parse_rfc3339, DAY, HOUR};
    use proptest::prelude::*;

    fn at(s: &str) -> Millis {
        parse_rfc3339(s).expect("valid timestamp")
    }

    const NY: Window = Window {
        opens_in: New_York,
        closes_in: New_York,
    };

    #[test]
    fn every_listed_area_code_has_a_zone() {
        for (code, state) in AREA_CODES {
            let phone =
                10_000_000_000 + code.parse::<u64>().expect("digits") * 10_000_000 + 5550123;
            assert!(zone_of(phone).is_some(), "{code} {state}");
        }
        assert_eq!(zone_of(1_614_555_0123), Some(New_York));
        assert_eq!(zone_of(1_713_555_0123), Some(Chicago));
        assert_eq!(zone_of(1_480_555_0123), Some(Phoenix));
        assert_eq!(zone_of(1_720_555_0123), Some(Denver));
        assert_eq!(zone_of(1_415_555_0123), Some(Los_Angeles));
        assert_eq!(zone_of(1_313_555_0123), Some(New_York));
        assert_eq!(state_zone("fl"), Some(New_York));
    }

    #[test]
    fn magic_toll_free_and_unknown_codes_have_no_zone() {
        assert_eq!(zone_of(1_500_555_0006), None);
        assert_eq!(zone_of(1_800_555_0123), None);
        assert_eq!(zone_of(1_419_555_0123), None);
        assert_eq!(zone_of(614_555_0123), None);
        assert_eq!(state_zone("PR"), None);
    }

    #[test]
    fn the_majority_is_more_than_half_of_the_recipients_with_a_zone() {
        let (ny, la, chi) = (1_212_555_0100, 1_213_555_0100, 1_312_555_0100);
        assert_eq!(majority_zone([ny, ny, la]), Some(New_York));
        // Columbus and Miami count together as New York.
        assert_eq!(
            majority_zone([1_614_555_0100, 1_305_555_0100, la]),
            Some(New_York)
        );
        // A plurality is not a majority.
        assert_eq!(majority_zone([ny, ny, la, chi]), None);
        // A tie is not a majority.
        assert_eq!(majority_zone([ny, la]), None);
        assert_eq!(majority_zone(std::iter::empty()), None);
    }

    #[test]
    fn magic_numbers_do_not_vote() {
        let magic: Vec<u64> = (0..10).map(|i| 1_500_555_0000 + i).collect();
        assert_eq!(majority_zone(magic.clone()), None);
        let mut audience = magic;
        audience.push(1_415_555_0100);
        assert_eq!(majority_zone(audience.clone()), Some(Los_Angeles));
        assert_eq!(
            Window::for_recipients(audience),
            Window::for_zone(Some(Los_Angeles))
        );
    }

    #[test]
    fn new_york_opens_at_eight_and_closes_at_ten() {
        // July: New York is UTC-4.
        assert!(!is_open(NY, at("2026-07-15T07:59:59.999-04:00")));
        assert!(is_open(NY, at("2026-07-15T08:00:00-04:00")));
        assert!(is_open(NY, at("2026-07-15T21:59:00-04:00")));
        assert!(!is_open(NY, at("2026-07-15T22:00:00-04:00")));
        assert_eq!(
            closes_at(NY, at("2026-07-15T12:00:00-04:00")),
            Some(at("2026-07-15T22:00:00-04:00"))
        );
        assert_eq!(closes_at(NY, at("2026-07-15T23:00:00-04:00")), None);
    }

    #[test]
    fn the_fallback_runs_from_eight_in_new_york_to_ten_in_los_angeles() {
        let w = Window::for_zone(None);
        assert_eq!(w, Window::FALLBACK);
        // 23:00 Eastern is 20:00 Pacific.
        assert!(is_open(w, at("2026-07-15T23:00:00-04:00")));
        assert_eq!(
            closes_at(w, at("2026-07-15T23:00:00-04:00")),
            Some(at("2026-07-15T22:00:00-07:00"))
        );
        // 06:00 Pacific is 09:00 Eastern: open, on the new day.
        assert!(is_open(w, at("2026-07-16T06:00:00-07:00")));
        // 01:00 Eastern is 22:00 Pacific: closed until 08:00 Eastern.
        let late = at("2026-07-16T01:00:00-04:00");
        assert!(!is_open(w, late));
        assert!(!is_open(w, at("2026-07-16T07:59:00-04:00")));
        assert_eq!(next_open(w, late), at("2026-07-16T08:00:00-04:00"));
    }

    #[test]
    fn next_open_is_now_when_open_and_tomorrow_morning_after_closing() {
        let noon = at("2026-07-15T12:00:00-04:00");
        assert_eq!(next_open(NY, noon), noon);
        assert_eq!(
            next_open(NY, at("2026-07-15T22:00:00-04:00")),
            at("2026-07-16T08:00:00-04:00")
        );
        // Across midnight, and from just after it.
        assert_eq!(
            next_open(NY, at("2026-07-15T23:59:59-04:00")),
            at("2026-07-16T08:00:00-04:00")
        );
        assert_eq!(
            next_open(NY, at("2026-07-16T00:30:00-04:00")),
            at("2026-07-16T08:00:00-04:00")
        );
        // Across the new year.
        assert_eq!(
            format(next_open(NY, at("2026-12-31T23:00:00-05:00"))),
            "2027-01-01T13:00:00.000Z"
        );
    }

    #[test]
    fn daylight_saving_changes_move_the_utc_instants() {
        // Spring forward: Sunday 2026-03-08, New York goes from UTC-5 to UTC-4 at 02:00.
        let saturday_night = at("2026-03-07T22:30:00-05:00");
        assert_eq!(
            format(next_open(NY, saturday_night)),
            "2026-03-08T12:00:00.000Z"
        );
        assert_eq!(
            format(closes_at(NY, at("2026-03-08T09:00:00-04:00")).expect("open")),
            "2026-03-09T02:00:00.000Z"
        );
        // Fall back: Sunday 2026-11-01, back to UTC-5.
        let night = at("2026-10-31T23:00:00-04:00");
        assert_eq!(format(next_open(NY, night)), "2026-11-01T13:00:00.000Z");
        // The fallback window that day: 08:00 EST to 22:00 PST, still 17 hours.
        let w = Window::FALLBACK;
        let open = next_open(w, at("2026-11-01T01:00:00-05:00"));
        assert_eq!(format(open), "2026-11-01T13:00:00.000Z");
        assert_eq!(closes_at(w, open), Some(open + 17 * HOUR));
    }

    #[test]
    fn phoenix_keeps_its_hours_all_year() {
        let w = Window::for_zone(Some(Phoenix));
        for day in ["2026-01-15", "2026-07-15"] {
            assert!(is_open(w, at(&format!("{day}T15:00:00Z")))); // 08:00 MST
            assert!(!is_open(w, at(&format!("{day}T14:59:59Z"))));
        }
    }

    proptest! {
        #[test]
        fn next_open_is_the_first_open_instant_and_closes_at_ends_it(
            ms in 1_700_000_000_000i64..1_900_000_000_000,
            zone in prop::sample::select(vec![
                Some(New_York), Some(Chicago), Some(Denver), Some(Phoenix), Some(Los_Angeles), None,
            ]),
        ) {
            let w = Window::for_zone(zone);
            let next = next_open(w, ms);
            prop_assert!(next >= ms && next - ms < DAY);
            prop_assert!(is_open(w, next));
            if next > ms {
                prop_assert!(!is_open(w, next - 1));
                prop_assert!(!is_open(w, ms + (next - ms) / 2));
            }
            let close = closes_at(w, next).expect("open");
            prop_assert!(close > next && close - next <= 18 * HOUR);
            prop_assert!(is_open(w, close - 1));
            prop_assert!(!is_open(w, close));
        }
    }
}
