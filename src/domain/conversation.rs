//! Conversation rules (CONTRACT §9): a thread's status, the `updated_since` and `include_test`
//! filters of `GET /conversations`, and what a reply's text may be. The handlers, the seeding
//! and the send engine read a conversation through these functions, so a thread the list calls
//! `inactive` is `inactive` everywhere, and a reply the handler accepts is exactly the text the
//! send engine counts and sends.
//!
//! Where the contract is silent, the decision is written beside the rule:
//! - `inactive` starts strictly *after* 30 sandbox days without a message in either direction;
//!   at exactly 30 days a thread is still `active`.
//! - `updated_since` takes an RFC 3339 date-time, a date-time without an offset (read as UTC)
//!   and a bare date `YYYY-MM-DD` (midnight UTC), as JavaScript's `new Date()` reads them on a
//!   UTC server. Exactly 90 days back is accepted; a millisecond more is a 400. A time in the
//!   future is accepted and simply matches nothing yet (it is a filter, not a schedule).
//! - A reply's 1-1,600 characters are counted as the client wrote them (Unicode scalar values,
//!   before normalization, so a typed `…` is one character even though it goes out as `...`).
//!   The text is not trimmed (what the sender typed is what is sent), but a text of only
//!   whitespace is refused as empty. "SMS only" means no media (the SDK's own reading); the
//!   normalization replaces the typographic characters that would force UCS-2, and a text that
//!   still is not GSM (an emoji, Chinese) is sent as UCS-2 and counted in UCS-2 parts.

use super::message::normalize_gsm;
use super::time::{self, Millis, DAY};
use super::wire::wire_enum;

wire_enum!(
    /// A thread's state as `GET /conversations` reports it.
    ConversationStatus {
        Active => "active",
        Inactive => "inactive",
        OptedOut => "opted_out",
    }
);

/// A thread with no message for longer than this is `inactive`.
pub const INACTIVE_AFTER: Millis = 30 * DAY;
/// How far back `updated_since` reaches when the client sends none.
pub const UPDATED_SINCE_DEFAULT: Millis = 7 * DAY;
/// The furthest back `updated_since` may reach.
pub const UPDATED_SINCE_MAX_AGE: Millis = 90 * DAY;
/// The most characters a reply may have.
pub const REPLY_MAX_CHARS: usize = 1_600;

/// `opted_out` once the contact opted out, whatever else; `inactive` when the last message, in
/// either direction, is more than 30 days before `now`; else `active`.
pub fn status_of(opted_out: bool, last_message_at: Millis, now: Millis) -> ConversationStatus {
    if opted_out {
        ConversationStatus::OptedOut
    } else if now.saturating_sub(last_message_at) > INACTIVE_AFTER {
        ConversationStatus::Inactive
    } else {
        ConversationStatus::Active
    }
}

/// Reads an ISO 8601 instant: RFC 3339 with an offset, a date-time without one (UTC), or a date
/// (midnight UTC).
fn parse_instant(raw: &str) -> Option<Millis> {
    if let Some(ms) = time::parse_rfc3339(raw) {
        return Some(ms);
    }
    if let Ok(local) = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(local.and_utc().timestamp_millis());
    }
    // `%Y` alone would take "+12345-01-01" and unpadded years; a date is exactly 10 characters.
    if raw.len() == 10 {
        if let Ok(date) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Some(
                date.and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis(),
            );
        }
    }
    None
}

/// The `updated_since` filter of `GET /conversations`: conversations whose `last_inbound_at` is
/// at or after the returned instant. Absent → `now` − 7 days. The error is a sentence for the
/// `updated_since` field of a `VALIDATION_ERROR`.
pub fn parse_updated_since(raw: Option<&str>, now: Millis) -> Result<Millis, String> {
    let Some(raw) = raw else {
        return Ok(now.saturating_sub(UPDATED_SINCE_DEFAULT));
    };
    let since = parse_instant(raw).ok_or_else(|| {
        format!(
            "must be an ISO 8601 date-time such as 2026-11-03T18:00:00Z (or a date such as \
             2026-11-03), got '{raw}'"
        )
    })?;
    let oldest = now.saturating_sub(UPDATED_SINCE_MAX_AGE);
    if since < oldest {
        return Err(format!(
            "must be at most 90 days back; the oldest accepted now is {}",
            time::format(oldest)
        ));
    }
    Ok(since)
}

/// The `include_test` filter: only `true` and `false` (CONTRACT §9), absent → false. The error
/// is a sentence for the `include_test` field of a `VALIDATION_ERROR`.
pub fn parse_include_test(raw: Option<&str>) -> Result<bool, String> {
    match raw {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(format!("must be 'true' or 'false', got '{other}'")),
    }
}

/// The text a reply sends: 1-1,600 characters as written, not only whitespace, normalized to
/// GSM where a typographic character would otherwise force UCS-2 (`message::normalize_gsm`).
/// The error is a sentence for the `text` field of a `VALIDATION_ERROR`.
pub fn reply_text(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        return Err("must not be empty: a reply needs at least 1 character besides spaces".into());
    }
    let chars = raw.chars().count();
    if chars > REPLY_MAX_CHARS {
        return Err(format!(
            "must be at most 1,600 characters, got {}",
            thousands(chars)
        ));
    }
    Ok(normalize_gsm(raw))
}

/// `1601` → `1,601`, as the contract writes its limits.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::message::{segments, Encoding};
    use crate::domain::time::{parse_rfc3339, MINUTE};
    use crate::domain::wire::WireEnum;

    fn at(s: &str) -> Millis {
        parse_rfc3339(s).expect("valid timestamp")
    }

    fn now() -> Millis {
        at("2026-11-03T18:00:00Z")
    }

    #[test]
    fn statuses_have_the_sdk_spellings() {
        let all: Vec<&str> = ConversationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(all, ["active", "inactive", "opted_out"]);
        assert_eq!(
            serde_json::to_string(&ConversationStatus::OptedOut).expect("serializes"),
            r#""opted_out""#
        );
    }

    #[test]
    fn a_thread_turns_inactive_only_after_30_days_exactly() {
        let n = now();
        assert_eq!(status_of(false, n, n), ConversationStatus::Active);
        assert_eq!(
            status_of(false, n - 30 * DAY, n),
            ConversationStatus::Active
        );
        assert_eq!(
            status_of(false, n - 30 * DAY - 1, n),
            ConversationStatus::Inactive
        );
        assert_eq!(
            status_of(false, n + DAY, n),
            ConversationStatus::Active,
            "clock skew"
        );
        assert_eq!(status_of(false, i64::MIN, n), ConversationStatus::Inactive);
    }

    #[test]
    fn opting_out_wins_over_activity() {
        let n = now();
        assert_eq!(status_of(true, n, n), ConversationStatus::OptedOut);
        assert_eq!(
            status_of(true, n - 365 * DAY, n),
            ConversationStatus::OptedOut
        );
    }

    #[test]
    fn updated_since_defaults_to_seven_days_back() {
        assert_eq!(parse_updated_since(None, now()), Ok(now() - 7 * DAY));
    }

    #[test]
    fn updated_since_reads_offsets_fractions_bare_times_and_dates() {
        let n = now();
        let expected = at("2026-11-01T12:00:00Z");
        for raw in [
            "2026-11-01T12:00:00Z",
            "2026-11-01T12:00:00.000Z",
            "2026-11-01T07:00:00-05:00",
            "2026-11-01T12:00:00",
            "2026-11-01T12:00:00.000",
        ] {
            assert_eq!(parse_updated_since(Some(raw), n), Ok(expected), "{raw}");
        }
        assert_eq!(
            parse_updated_since(Some("2026-11-01T12:00:00.123456Z"), n),
            Ok(expected + 123)
        );
        assert_eq!(
            parse_updated_since(Some("2026-11-01"), n),
            Ok(at("2026-11-01T00:00:00Z"))
        );
    }

    #[test]
    fn updated_since_refuses_what_is_not_a_date() {
        for raw in [
            "",
            "yesterday",
            "1730656800",
            "2026-11-01T12:00",
            "2026-13-01",
            "2026-02-30",
            "2026-1-1",
            "+02026-11-01",
            "11/01/2026",
            "2026-11-01 extra",
        ] {
            let err = parse_updated_since(Some(raw), now()).expect_err(raw);
            assert!(
                err.starts_with("must be an ISO 8601 date-time"),
                "{raw}: {err}"
            );
            assert!(err.contains(&format!("got '{raw}'")), "{err}");
        }
    }

    #[test]
    fn updated_since_reaches_back_90_days_exactly_and_no_further() {
        let n = now();
        let oldest = time::format(n - 90 * DAY);
        assert_eq!(oldest, "2026-08-05T18:00:00.000Z");
        assert_eq!(parse_updated_since(Some(&oldest), n), Ok(n - 90 * DAY));
        let err = parse_updated_since(Some("2026-08-05T17:59:59.999Z"), n).expect_err("too old");
        assert_eq!(
            err,
            "must be at most 90 days back; the oldest accepted now is 2026-08-05T18:00:00.000Z"
        );
        // A bare date is midnight, which is before the oldest instant here.
        assert!(parse_updated_since(Some("2026-08-05"), n).is_err());
        assert!(parse_updated_since(Some("2026-08-06"), n).is_ok());
    }

    #[test]
    fn updated_since_in_the_future_is_accepted() {
        let n = now();
        assert_eq!(
            parse_updated_since(Some("2027-01-01T00:00:00Z"), n),
            Ok(at("2027-01-01T00:00:00Z"))
        );
        assert_eq!(parse_updated_since(Some(&time::format(n)), n), Ok(n));
        assert_eq!(
            parse_updated_since(Some(&time::format(n + MINUTE)), n),
            Ok(n + MINUTE)
        );
    }

    #[test]
    fn include_test_takes_only_true_and_false() {
        assert_eq!(parse_include_test(None), Ok(false));
        assert_eq!(parse_include_test(Some("false")), Ok(false));
        assert_eq!(parse_include_test(Some("true")), Ok(true));
        for raw in ["", "TRUE", "True", "1", "0", "yes", " true"] {
            assert_eq!(
                parse_include_test(Some(raw)),
                Err(format!("must be 'true' or 'false', got '{raw}'")),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_reply_of_1_and_of_1600_characters_is_accepted_and_1601_is_not() {
        assert_eq!(reply_text("k"), Ok("k".to_string()));
        let longest = "a".repeat(1_600);
        assert_eq!(reply_text(&longest), Ok(longest.clone()));
        assert_eq!(
            reply_text(&"a".repeat(1_601)),
            Err("must be at most 1,600 characters, got 1,601".to_string())
        );
        // Characters, not bytes or UTF-16 units.
        let emoji = "🙂".repeat(1_600);
        assert_eq!(reply_text(&emoji).map(|t| t.chars().count()), Ok(1_600));
        assert!(reply_text(&"é".repeat(1_601)).is_err());
    }

    #[test]
    fn an_empty_or_blank_reply_is_refused() {
        for raw in ["", " ", "\n\t ", "\u{00A0}"] {
            let err = reply_text(raw).expect_err("blank");
            assert!(err.starts_with("must not be empty"), "{raw:?}: {err}");
        }
    }

    #[test]
    fn a_reply_is_sent_as_written_with_typography_made_gsm() {
        assert_eq!(
            reply_text("  hi \n"),
            Ok("  hi \n".to_string()),
            "not trimmed"
        );
        let typed = "\u{201C}Thanks\u{201D} \u{2014} we\u{2019}ll call\u{2026}";
        let sent = reply_text(typed).expect("valid");
        assert_eq!(sent, "\"Thanks\" - we'll call...");
        assert_eq!(segments(&sent).encoding, Encoding::Gsm7);
    }

    #[test]
    fn the_limit_counts_an_ellipsis_as_typed_and_the_sent_text_may_be_longer() {
        let typed = format!("{}\u{2026}", "a".repeat(1_599));
        let sent = reply_text(&typed).expect("1,600 characters as typed");
        assert_eq!(sent.chars().count(), 1_602);
    }

    #[test]
    fn a_reply_that_is_still_not_gsm_goes_as_ucs2() {
        let sent = reply_text("See you there 🙂").expect("valid");
        assert_eq!(sent, "See you there 🙂");
        assert_eq!(segments(&sent).encoding, Encoding::Ucs2);
    }

    #[test]
    fn thousands_are_separated_as_the_contract_writes_them() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (1_601, "1,601"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Whatever the text, a reply is refused or sent without a typographic character left.
        #[test]
        fn accepted_replies_carry_no_character_normalization_would_change(text in ".{0,40}") {
            if let Ok(sent) = reply_text(&text) {
                prop_assert_eq!(normalize_gsm(&sent), sent.clone());
                prop_assert!(!sent.trim().is_empty());
            }
        }

        /// Status is a function of the gap alone, monotone: once inactive, older is inactive.
        #[test]
        fn older_threads_are_never_more_active(gap in 0i64..(200 * DAY), more in 0i64..(10 * DAY)) {
            let n = now();
            if status_of(false, n - gap, n) == ConversationStatus::Inactive {
                prop_assert_eq!(status_of(false, n - gap - more, n), ConversationStatus::Inactive);
            }
        }

        /// Whatever the string, parsing answers (never panics), and an accepted instant is
        /// within 90 days back.
        #[test]
        fn updated_since_never_panics_and_never_reaches_past_90_days(raw in ".{0,30}") {
            if let Ok(since) = parse_updated_since(Some(&raw), now()) {
                prop_assert!(since >= now() - 90 * DAY);
            }
        }
    }
}
