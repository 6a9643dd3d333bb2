//! The outcome rules against CONTRACT §3 and §8, and the properties the send engine relies on.

use super::*;
use crate::domain::wire::WireEnum;
use proptest::prelude::*;

const RATES: OutcomeRates = OutcomeRates {
    delivery: 0.97,
    failure: 0.02,
    reply: 0.05,
    opt_out: 0.01,
    click: 0.08,
};

fn magic(n: u64) -> u64 {
    lrn::MAGIC_PREFIX + n
}

fn failed(code: &str) -> Final {
    Final::Failed {
        error_code: ErrorCode::parse(code).expect("known code"),
    }
}

#[test]
fn magic_numbers_follow_the_contract_table_whatever_the_seed_rates_or_test_flag() {
    let extreme = OutcomeRates {
        delivery: 0.0,
        failure: 1.0,
        reply: 1.0,
        opt_out: 1.0,
        click: 1.0,
    };
    for seed in [0, 1, 42, u64::MAX] {
        for rates in [RATES, extreme] {
            for is_test in [false, true] {
                let o = |n| outcome(seed, magic(n), Some(LineType::Landline), &rates, is_test);
                assert_eq!(o(0), Outcome::ends(Final::Delivered));
                assert_eq!(
                    o(1).status,
                    Final::Rejected {
                        error_code: ErrorCode::InvalidNumber
                    }
                );
                assert_eq!(o(2).status, failed("300"));
                assert_eq!(o(3), Outcome::ends(Final::Delivered));
                assert_eq!(o(4).status, failed("012"));
                let stop = o(5);
                assert_eq!(stop.status, Final::Delivered);
                assert_eq!(
                    stop.reply,
                    Some(Reply {
                        text: "STOP",
                        opt_out: true
                    })
                );
                let yes = o(6);
                assert_eq!(
                    yes.reply.map(|r| (r.text, r.opt_out)),
                    Some((YES_REPLY, false))
                );
                assert!(!yes.click);
                let click = o(7);
                assert_eq!(
                    (click.status, click.reply, click.click),
                    (Final::Delivered, None, true)
                );
                assert_eq!(o(8), Outcome::ends(Final::SentNoReceipt));
                assert_eq!(o(9), Outcome::ends(Final::Skipped));
            }
        }
    }
}

#[test]
fn landlines_fail_with_300_and_invalid_numbers_are_rejected_with_301() {
    let phone = 1_614_555_0123;
    let o = outcome(3, phone, Some(LineType::Landline), &RATES, false);
    assert_eq!(o, Outcome::ends(failed("300")));
    assert!(o.status.is_sent());
    let o = outcome(3, phone, Some(LineType::Invalid), &RATES, true);
    assert_eq!(o.status.error_code().map(ErrorCode::as_str), Some("301"));
    assert!(!o.status.is_sent());
}

#[test]
fn without_an_analysis_the_network_decides_the_line_type() {
    for i in 0..2_000u64 {
        let phone = 1_212_200_0000 + i * 7919;
        let o = outcome(5, phone, None, &RATES, false);
        match lrn::line_type(5, phone) {
            LineType::Landline => assert_eq!(o.status, failed("300")),
            LineType::Invalid => assert!(!o.status.is_sent()),
            _ => assert_ne!(o.status.error_code(), Some(ErrorCode::InvalidNumber)),
        }
    }
}

#[test]
fn test_sends_to_reachable_numbers_are_delivered_quietly() {
    let extreme = OutcomeRates {
        delivery: 0.0,
        failure: 1.0,
        reply: 1.0,
        opt_out: 1.0,
        click: 1.0,
    };
    for t in [LineType::Mobile, LineType::Voip] {
        let o = outcome(9, 1_614_555_0100, Some(t), &extreme, true);
        assert_eq!(o, Outcome::ends(Final::Delivered));
    }
}

#[test]
fn other_numbers_follow_the_rates() {
    let n = 100_000u64;
    let (mut failed, mut no_receipt, mut delivered) = (0u64, 0u64, 0u64);
    let (mut replies, mut opt_outs, mut clicks, mut filtered) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..n {
        let o = outcome(
            11,
            1_312_200_0000 + i * 31,
            Some(LineType::Mobile),
            &RATES,
            false,
        );
        match o.status {
            Final::Delivered => delivered += 1,
            Final::Failed { error_code } => {
                failed += 1;
                filtered += u64::from(error_code == ErrorCode::CarrierFiltered);
            }
            Final::SentNoReceipt => no_receipt += 1,
            other => panic!("{other:?}"),
        }
        if let Some(r) = o.reply {
            if r.opt_out {
                opt_outs += 1;
            } else {
                replies += 1;
            }
        }
        clicks += u64::from(o.click);
    }
    let share = |k: u64, of: u64| k as f64 / of as f64;
    assert!((share(failed, n) - 0.02).abs() < 0.003, "{failed}");
    assert!(
        (share(filtered, failed) - 0.7).abs() < 0.05,
        "{filtered}/{failed}"
    );
    assert!(
        (share(delivered, n - failed) - 0.97).abs() < 0.003,
        "{delivered}"
    );
    assert_eq!(failed + no_receipt + delivered, n);
    assert!(
        (share(opt_outs, delivered) - 0.01).abs() < 0.002,
        "{opt_outs}"
    );
    assert!(
        (share(replies, delivered) - 0.05 * 0.99).abs() < 0.004,
        "{replies}"
    );
    assert!((share(clicks, delivered) - 0.08).abs() < 0.004, "{clicks}");
}

#[test]
fn reply_and_click_are_uncorrelated() {
    let rates = OutcomeRates {
        reply: 0.5,
        click: 0.5,
        opt_out: 0.0,
        failure: 0.0,
        delivery: 1.0,
    };
    let mut both = 0u64;
    let n = 40_000u64;
    for i in 0..n {
        let o = outcome(2, 1_404_300_0000 + i, Some(LineType::Mobile), &rates, false);
        both += u64::from(o.reply.is_some() && o.click);
    }
    assert!((both as f64 / n as f64 - 0.25).abs() < 0.01, "{both}");
}

#[test]
fn the_seed_changes_who_replies() {
    let rates = OutcomeRates {
        reply: 0.5,
        ..RATES
    };
    let differs = (0..200u64).any(|i| {
        let phone = 1_617_400_0000 + i;
        let a = outcome(1, phone, Some(LineType::Mobile), &rates, false);
        let b = outcome(2, phone, Some(LineType::Mobile), &rates, false);
        a.reply.is_some() != b.reply.is_some()
    });
    assert!(differs);
}

#[test]
fn rates_validate_with_the_field_named() {
    assert_eq!(OutcomeRates::default().validate(), Ok(()));
    assert_eq!(OutcomeRates::default(), RATES);
    let bad = OutcomeRates {
        reply: 1.5,
        ..RATES
    };
    let err = bad.validate().expect_err("out of range");
    assert_eq!(err.field, "reply");
    assert_eq!(
        err.to_string(),
        "outcome rate `reply` must be a probability between 0 and 1, got 1.5"
    );
    let nan = OutcomeRates {
        click: f64::NAN,
        ..RATES
    };
    assert_eq!(nan.validate().map_err(|e| e.field), Err("click"));
    let negative = OutcomeRates {
        delivery: -0.1,
        ..RATES
    };
    assert_eq!(negative.validate().map_err(|e| e.field), Err("delivery"));
}

#[test]
fn rates_deserialize_with_defaults_and_refuse_unknown_fields() {
    let r: OutcomeRates = serde_json::from_str(r#"{"reply": 0.2}"#).expect("valid");
    assert_eq!(
        r,
        OutcomeRates {
            reply: 0.2,
            ..RATES
        }
    );
    assert!(serde_json::from_str::<OutcomeRates>(r#"{"replies": 0.2}"#).is_err());
}

#[test]
fn timing_follows_the_documented_ranges() {
    for i in 0..5_000u64 {
        let phone = 1_720_500_0000 + i;
        let o = Outcome {
            status: Final::Delivered,
            reply: Some(Reply {
                text: "Thanks!",
                opt_out: false,
            }),
            click: true,
        };
        let t = timing(4, phone, &o);
        let sent = t.sent.expect("sent");
        let receipt = t.receipt.expect("receipt");
        let reply = t.reply.expect("reply");
        let click = t.click.expect("click");
        assert!((200..=2 * SECOND).contains(&sent));
        assert!((2 * SECOND..=20 * SECOND).contains(&(receipt - sent)));
        assert!((30 * SECOND..=30 * MINUTE).contains(&(reply - receipt)));
        assert!((10 * SECOND..=2 * HOUR).contains(&(click - receipt)));
    }
}

#[test]
fn timing_has_no_steps_that_never_happen() {
    let t = timing(1, magic(8), &outcome(1, magic(8), None, &RATES, false));
    assert!(t.sent.is_some());
    assert_eq!((t.receipt, t.reply, t.click), (None, None, None));
    let t = timing(1, magic(1), &outcome(1, magic(1), None, &RATES, false));
    assert_eq!((t.sent, t.receipt), (None, Some(0)));
    let t = timing(1, magic(9), &outcome(1, magic(9), None, &RATES, false));
    assert_eq!(
        t,
        OutcomeTiming {
            sent: None,
            receipt: None,
            reply: None,
            click: None
        }
    );
    let t = timing(1, magic(2), &outcome(1, magic(2), None, &RATES, false));
    assert!(t.receipt.is_some() && t.reply.is_none());
}

#[test]
fn magic_numbers_have_the_same_timing_in_every_run() {
    let o = outcome(1, magic(5), None, &RATES, false);
    assert_eq!(timing(1, magic(5), &o), timing(77, magic(5), &o));
    assert!(timing(1, magic(5), &o).reply.is_some());
}

#[test]
fn opt_out_keywords_match_the_whole_message_in_any_case() {
    for yes in [
        "STOP",
        "stop",
        "Stop",
        " STOP ",
        "Stop.",
        "STOP!",
        "stop!!\n",
        "stopall",
        "Unsubscribe",
        "end",
        "QUIT",
        "cancel",
        "revoke",
        "OptOut",
    ] {
        assert!(is_opt_out(yes), "{yes:?}");
    }
    for no in [
        "",
        "STOP please",
        "please stop",
        "don't stop",
        "S T O P",
        "STOP?",
        "opt out",
        "stopp",
        ".STOP",
        "ending",
    ] {
        assert!(!is_opt_out(no), "{no:?}");
    }
}

#[test]
fn delivered_messages_are_billed_and_failed_ones_only_over_the_cap() {
    let delivered = Outcome::ends(Final::Delivered);
    let failed = Outcome::ends(failed("012"));
    let unconfirmed = Outcome::ends(Final::SentNoReceipt);
    let rejected = Outcome::ends(Final::Rejected {
        error_code: ErrorCode::InvalidNumber,
    });
    let skipped = Outcome::ends(Final::Skipped);
    assert!(billable(&delivered, false) && billable(&delivered, true));
    assert!(!billable(&failed, false) && billable(&failed, true));
    assert!(!billable(&unconfirmed, false) && billable(&unconfirmed, true));
    for never in [rejected, skipped] {
        assert!(!billable(&never, false) && !billable(&never, true));
    }
}

#[test]
fn over_the_cap_about_half_fail_with_015_and_unsent_ones_stay_as_they_were() {
    let n = 20_000u64;
    let delivered = Outcome::ends(Final::Delivered);
    let fails = (0..n)
        .filter(|i| over_cap(3, 1_213_600_0000 + i, delivered).status != Final::Delivered)
        .count();
    assert!(
        (fails as f64 / n as f64 - OVER_CAP_FAILURE).abs() < 0.02,
        "{fails}"
    );
    let phone = (0..n)
        .map(|i| 1_213_600_0000 + i)
        .find(|p| over_cap(3, *p, delivered) != delivered)
        .expect("some fail");
    assert_eq!(over_cap(3, phone, delivered), Outcome::ends(failed("015")));
    let skipped = Outcome::ends(Final::Skipped);
    assert_eq!(over_cap(3, phone, skipped), skipped);
}

#[test]
fn the_cap_day_is_the_pacific_day() {
    let late = time::parse_rfc3339("2026-11-04T07:59:59Z").expect("valid");
    assert_eq!(cap_day(late).to_string(), "2026-11-03");
    assert_eq!(cap_day(late + SECOND).to_string(), "2026-11-04");
    assert_eq!(
        time::format(cap_day_ends_at(late)),
        "2026-11-04T08:00:00.000Z"
    );
    // Summer time: midnight Pacific is 07:00 UTC.
    let summer = time::parse_rfc3339("2026-07-01T12:00:00Z").expect("valid");
    assert_eq!(
        time::format(cap_day_ends_at(summer)),
        "2026-07-02T07:00:00.000Z"
    );
    // The day clocks fall back is 25 hours long.
    let fall_back = time::parse_rfc3339("2026-11-01T07:00:00Z").expect("valid");
    assert_eq!(cap_day(fall_back).to_string(), "2026-11-01");
    assert_eq!(cap_day_ends_at(fall_back) - fall_back, 25 * HOUR);
}

#[test]
fn a_message_fits_under_the_cap_only_whole() {
    assert!(cap_allows(0, 10, 10));
    assert!(cap_allows(8, 10, 2));
    assert!(!cap_allows(9, 10, 2));
    assert!(!cap_allows(0, 0, 1));
    assert!(!cap_allows(u64::MAX, u64::MAX, 1));
}

proptest! {
    #[test]
    fn outcomes_are_deterministic_and_consistent(
        seed in any::<u64>(),
        phone in 1_200_000_0000u64..1_999_999_9999,
        is_test in any::<bool>(),
        failure in 0.0..=1.0f64,
        reply in 0.0..=1.0f64,
        opt_out in 0.0..=1.0f64,
    ) {
        let rates = OutcomeRates { failure, reply, opt_out, ..RATES };
        let a = outcome(seed, phone, None, &rates, is_test);
        prop_assert_eq!(a, outcome(seed, phone, None, &rates, is_test));
        if let Some(r) = a.reply {
            prop_assert_eq!(r.opt_out, is_opt_out(r.text));
        }
        if a.reply.is_some() || a.click {
            prop_assert_eq!(a.status, Final::Delivered);
        }
        let t = timing(seed, phone, &a);
        prop_assert_eq!(t, timing(seed, phone, &a));
        prop_assert_eq!(t.sent.is_some(), a.status.is_sent());
        if let (Some(r), Some(reply)) = (t.receipt, t.reply) {
            prop_assert!(reply > r);
        }
    }

    #[test]
    fn padding_never_changes_whether_a_text_opts_out(text in "[A-Za-z ]{0,12}") {
        prop_assert_eq!(is_opt_out(&text), is_opt_out(&format!("  {text}.\n")));
    }
}
