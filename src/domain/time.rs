//! Timestamps are `i64` milliseconds since the Unix epoch (UTC) everywhere inside the sandbox and
//! are rendered only at the edge, as RFC 3339 with milliseconds and a `Z` (`2026-11-03T18:00:00.000Z`).

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// `2026-11-03T18:00:00.000Z`.
pub fn format(ms: Millis) -> String {
    to_datetime(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn to_datetime(ms: Millis) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The compact UTC form of presigned URLs' `X-Amz-Date` (`20261103T180000Z`).
pub fn format_amz(ms: Millis) -> String {
    to_datetime(ms).format("%Y%m%dT%H%M%SZ").to_string()
}

/// Parses an `X-Amz-Date` value.
pub fn parse_amz(s: &str) -> Option<Millis> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|d| d.and_utc().timestamp_millis())
}

/// Parses an RFC 3339 timestamp with an explicit offset.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// The calendar day of `ms` in `tz`.
pub fn local_date(ms: Millis, tz: chrono_tz::Tz) -> NaiveDate {
    to_datetime(ms).with_timezone(&tz).date_naive()
}

/// Midnight UTC of the day containing `ms`.
pub fn start_of_utc_day(ms: Millis) -> Millis {
    ms.div_euclid(DAY) * DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        let ms = parse_rfc3339("2026-11-03T18:00:00Z").expect("valid");
        assert_eq!(format(ms), "2026-11-03T18:00:00.000Z");
        assert_eq!(format(ms + 7), "2026-11-03T18:00:00.007Z");
    }

    #[test]
    fn parses_offsets_to_utc() {
        let a = parse_rfc3339("2026-11-03T10:00:00-08:00").expect("valid");
        assert_eq!(format(a), "2026-11-03T18:00:00.000Z");
        assert!(parse_rfc3339("2026-11-03T10:00:00").is_none());
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn pacific_day_differs_from_utc_day_in_the_evening() {
        let ms = parse_rfc3339("2026-11-04T03:00:00Z").expect("valid");
        assert_eq!(
            local_date(ms, chrono_tz::America::Los_Angeles).to_string(),
            "2026-11-03"
        );
        assert_eq!(format(start_of_utc_day(ms)), "2026-11-04T00:00:00.000Z");
    }
}
