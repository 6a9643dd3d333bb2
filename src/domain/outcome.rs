//! What happens to one message after it leaves: how it ends, whether the recipient replies or
//! clicks, when each of those happens, whether it is billed, and the T-Mobile daily cap's day.
//!
//! Everything here is a pure function of (seed, number, rates), so the send engine, the test send
//! and the seeded history all agree, and a run can be replayed to the millisecond. The magic
//! numbers `+1 500 555 000x` follow CONTRACT §3's table whatever the seed or the rates; every other
//! number draws each decision from [`lrn::unit`] with its own salt, so delivery, reply and click are
//! independent of each other (and of the line type and carrier, salts 1 and 2 in `lrn`).
//!
//! Decisions where the contract is silent, written once here:
//! - The invalid magic number (0001) is normally rejected at import, but a test send can still
//!   reach it: it ends [`Final::Rejected`] with error code "301" and never counts as sent.
//! - The opted-out magic number (0009) ends [`Final::Skipped`]: no message, counted in
//!   `opted_out_count`.
//! - Non-magic landlines fail with "300" (a landline cannot receive SMS), non-magic invalid numbers
//!   are rejected with "301", rate-drawn carrier failures are "012" (filtered) or "300"
//!   (unreachable handset), and T-Mobile messages sent over the daily cap under
//!   `daily_cap_bypass` fail half the time with the sandbox-defined "015" ([`over_cap`]).
//! - A test send to a non-magic number follows its line type but skips the rate draws: a mobile
//!   or voip test recipient is always delivered and never replies or clicks, so trying a message on
//!   one's own phone is predictable and adds no simulated conversations.
//! - Outcomes depend on (seed, number) only, as the contract says, so a number that replies to one
//!   project replies to every project of the same seed. A caller that wants variety per project
//!   can mix the project into the seed.

// Phone numbers are written grouped as they are read: 1 500 555 0000.
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::NaiveDate;
use chrono_tz::America::Los_Angeles;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::contacts::LineType;
use super::lrn::{self, Magic};
use super::time::{self, Millis, HOUR, MINUTE, SECOND};
use super::wire::wire_enum;

// ---------------------------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------------------------

/// How often things happen to messages to non-magic numbers, each a probability in 0..=1.
/// A scenario file sets them (CONTRACT §12); the defaults model a typical political broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeRates {
    /// Of messages to reachable (mobile or voip) numbers that did not fail, the share that gets a
    /// delivery receipt; the rest stay `sent` forever. Default 0.97.
    pub delivery: f64,
    /// Of messages to reachable numbers, the share the carrier fails ("012" or "300").
    /// Default 0.02. Landlines and invalid numbers fail whatever this says.
    pub failure: f64,
    /// Of delivered messages, the share whose recipient replies with an ordinary text (drawn only
    /// when the recipient did not opt out). Default 0.05.
    pub reply: f64,
    /// Of delivered messages, the share whose recipient replies with an opt-out keyword.
    /// Default 0.01.
    pub opt_out: f64,
    /// Of delivered messages, the share whose recipient clicks the tracking link (when the message
    /// has one: the caller ignores clicks otherwise). Default 0.08.
    pub click: f64,
}

impl Default for OutcomeRates {
    fn default() -> Self {
        OutcomeRates {
            delivery: 0.97,
            failure: 0.02,
            reply: 0.05,
            opt_out: 0.01,
            click: 0.08,
        }
    }
}

/// A rate outside 0..=1 (or not a number).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("outcome rate `{field}` must be a probability between 0 and 1, got {value}")]
pub struct RateError {
    pub field: &'static str,
    pub value: f64,
}

impl OutcomeRates {
    /// The first rate that is not a probability, by field name.
    pub fn validate(&self) -> Result<(), RateError> {
        for (field, value) in [
            ("delivery", self.delivery),
            ("failure", self.failure),
            ("reply", self.reply),
            ("opt_out", self.opt_out),
            ("click", self.click),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(RateError { field, value });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

wire_enum!(
    /// Why a message failed, as the `error_code` string of messages and `message.failed`.
    /// "012" and "300" are CONTRACT §3's; "301" and "015" are the sandbox's own.
    ErrorCode {
        CarrierFiltered => "012",
        DailyCapExceeded => "015",
        Unreachable => "300",
        InvalidNumber => "301",
    }
);

/// How a message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    /// `sent`, then `delivered`.
    Delivered,
    /// `sent`, then `failed` with a receipt carrying the code.
    Failed { error_code: ErrorCode },
    /// `sent`, and no receipt ever arrives.
    SentNoReceipt,
    /// Refused before it reached a carrier (an invalid number): `failed` with no `sent` step.
    Rejected { error_code: ErrorCode },
    /// The recipient had already opted out: no message at all; counts in `opted_out_count`.
    Skipped,
}

impl Final {
    /// Whether the message reached a carrier (and so has a `sent` step and `message.sent`).
    pub fn is_sent(self) -> bool {
        matches!(
            self,
            Final::Delivered | Final::Failed { .. } | Final::SentNoReceipt
        )
    }

    pub fn is_delivered(self) -> bool {
        self == Final::Delivered
    }

    /// The `error_code` of a failed or rejected message.
    pub fn error_code(self) -> Option<ErrorCode> {
        match self {
            Final::Failed { error_code } | Final::Rejected { error_code } => Some(error_code),
            _ => None,
        }
    }
}

/// An inbound reply. The texts are canned, so `&'static str` keeps [`Outcome`] `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub text: &'static str,
    /// Always `is_opt_out(text)`; kept so callers need not re-parse.
    pub opt_out: bool,
}

/// Everything that happens to one message. `reply` and `click` are only ever set on delivered
/// messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Final,
    pub reply: Option<Reply>,
    /// Whether the recipient clicks the tracking link, if the message has one.
    pub click: bool,
}

impl Outcome {
    const fn ends(status: Final) -> Self {
        Outcome {
            status,
            reply: None,
            click: false,
        }
    }
}

/// The reply of magic number 0006.
pub const YES_REPLY: &str = "Yes, count me in!";

/// Ordinary replies drawn for non-magic numbers.
const REPLIES: &[&str] = &[
    YES_REPLY,
    "Who is this?",
    "Thanks!",
    "Already voted",
    "Where do I vote?",
    "No thanks",
    "What time are the polls open?",
    "Maybe",
];

/// Opt-out replies drawn for non-magic numbers: the ways people really type them.
const OPT_OUT_REPLIES: &[&str] = &[
    "STOP",
    "Stop",
    "stop",
    "STOP.",
    "UNSUBSCRIBE",
    "Quit",
    "cancel",
    "STOPALL",
];

// Salts of the per-number draws; 1 and 2 are `lrn`'s line type and carrier.
const SALT_FAILURE: u64 = 0x11;
const SALT_FAILURE_CODE: u64 = 0x12;
const SALT_RECEIPT: u64 = 0x13;
const SALT_OPT_OUT: u64 = 0x14;
const SALT_REPLY: u64 = 0x15;
const SALT_REPLY_TEXT: u64 = 0x16;
const SALT_CLICK: u64 = 0x17;
const SALT_OVER_CAP: u64 = 0x18;
const SALT_T_SENT: u64 = 0x21;
const SALT_T_RECEIPT: u64 = 0x22;
const SALT_T_REPLY: u64 = 0x23;
const SALT_T_CLICK: u64 = 0x24;

/// Of rate-drawn carrier failures, the share that is "012" (filtered); the rest are "300".
const FILTERED_SHARE: f64 = 0.7;

/// Of T-Mobile messages sent over the daily cap under `daily_cap_bypass`, the share that fails.
pub const OVER_CAP_FAILURE: f64 = 0.5;

fn pick(seed: u64, phone: u64, salt: u64, options: &[&'static str]) -> &'static str {
    let i = (lrn::unit(seed, phone, salt) * options.len() as f64) as usize;
    options[i.min(options.len() - 1)]
}

/// How a message to `phone` ends. `line_type` is the list analysis's answer when there is one
/// (else the network's, [`lrn::line_type`]); magic numbers ignore it, the rates and `is_test`.
pub fn outcome(
    seed: u64,
    phone: u64,
    line_type: Option<LineType>,
    rates: &OutcomeRates,
    is_test: bool,
) -> Outcome {
    if let Some(m) = lrn::magic(phone) {
        return magic_outcome(m);
    }
    match line_type.unwrap_or_else(|| lrn::line_type(seed, phone)) {
        LineType::Invalid => {
            return Outcome::ends(Final::Rejected {
                error_code: ErrorCode::InvalidNumber,
            })
        }
        LineType::Landline => {
            return Outcome::ends(Final::Failed {
                error_code: ErrorCode::Unreachable,
            })
        }
        LineType::Mobile | LineType::Voip => {}
    }
    if is_test {
        return Outcome::ends(Final::Delivered);
    }
    let draw = |salt| lrn::unit(seed, phone, salt);
    if draw(SALT_FAILURE) < rates.failure {
        let error_code = if draw(SALT_FAILURE_CODE) < FILTERED_SHARE {
            ErrorCode::CarrierFiltered
        } else {
            ErrorCode::Unreachable
        };
        return Outcome::ends(Final::Failed { error_code });
    }
    if draw(SALT_RECEIPT) >= rates.delivery {
        return Outcome::ends(Final::SentNoReceipt);
    }
    let reply = if draw(SALT_OPT_OUT) < rates.opt_out {
        Some(Reply {
            text: pick(seed, phone, SALT_REPLY_TEXT, OPT_OUT_REPLIES),
            opt_out: true,
        })
    } else if draw(SALT_REPLY) < rates.reply {
        Some(Reply {
            text: pick(seed, phone, SALT_REPLY_TEXT, REPLIES),
            opt_out: false,
        })
    } else {
        None
    };
    Outcome {
        status: Final::Delivered,
        reply,
        click: draw(SALT_CLICK) < rates.click,
    }
}

/// CONTRACT §3's table.
fn magic_outcome(m: Magic) -> Outcome {
    match m {
        Magic::Delivered | Magic::VoipDelivered => Outcome::ends(Final::Delivered),
        Magic::Invalid => Outcome::ends(Final::Rejected {
            error_code: ErrorCode::InvalidNumber,
        }),
        Magic::LandlineFails => Outcome::ends(Final::Failed {
            error_code: ErrorCode::Unreachable,
        }),
        Magic::CarrierFiltered => Outcome::ends(Final::Failed {
            error_code: ErrorCode::CarrierFiltered,
        }),
        Magic::RepliesStop => Outcome {
            reply: Some(Reply {
                text: "STOP",
                opt_out: true,
            }),
            ..Outcome::ends(Final::Delivered)
        },
        Magic::RepliesYes => Outcome {
            reply: Some(Reply {
                text: YES_REPLY,
                opt_out: false,
            }),
            ..Outcome::ends(Final::Delivered)
        },
        Magic::Clicks => Outcome {
            click: true,
            ..Outcome::ends(Final::Delivered)
        },
        Magic::NoReceipt => Outcome::ends(Final::SentNoReceipt),
        Magic::AlreadyOptedOut => Outcome::ends(Final::Skipped),
    }
}

/// A T-Mobile message sent over the brand's daily cap under `daily_cap_bypass` (CONTRACT §8):
/// with probability [`OVER_CAP_FAILURE`] a message that reached the carrier fails with "015"
/// instead (and loses any reply or click); either way it is billed (see [`billable`]).
pub fn over_cap(seed: u64, phone: u64, outcome: Outcome) -> Outcome {
    if outcome.status.is_sent() && lrn::unit(seed, phone, SALT_OVER_CAP) < OVER_CAP_FAILURE {
        Outcome::ends(Final::Failed {
            error_code: ErrorCode::DailyCapExceeded,
        })
    } else {
        outcome
    }
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

/// When each step happens, in sandbox milliseconds after the send attempt (the moment the message
/// leaves `sending`). `None` when the step never happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeTiming {
    /// The carrier accepts it: 0.2-2 s.
    pub sent: Option<Millis>,
    /// The delivered/failed receipt: 2-20 s after `sent`; at once (0) for a rejected message.
    pub receipt: Option<Millis>,
    /// The reply: 30 s - 30 min after the receipt.
    pub reply: Option<Millis>,
    /// The click: 10 s - 2 h after the receipt.
    pub click: Option<Millis>,
}

/// The timing of `outcome` for `phone`, jittered by the same hash (with its own salts). Magic
/// numbers ignore the seed here too, so their whole story is the same in every run.
pub fn timing(seed: u64, phone: u64, outcome: &Outcome) -> OutcomeTiming {
    let seed = if lrn::magic(phone).is_some() { 0 } else { seed };
    let jitter = |salt, lo: Millis, hi: Millis| {
        let span = (hi - lo + 1) as f64;
        lo + ((lrn::unit(seed, phone, salt) * span) as Millis).min(hi - lo)
    };
    let sent = outcome
        .status
        .is_sent()
        .then(|| jitter(SALT_T_SENT, 200, 2 * SECOND));
    let receipt = match outcome.status {
        Final::Delivered | Final::Failed { .. } => {
            sent.map(|s| s + jitter(SALT_T_RECEIPT, 2 * SECOND, 20 * SECOND))
        }
        Final::Rejected { .. } => Some(0),
        Final::SentNoReceipt | Final::Skipped => None,
    };
    let after_receipt = |on: bool, salt, lo, hi| {
        receipt
            .filter(|_| on && outcome.status.is_delivered())
            .map(|r| r + jitter(salt, lo, hi))
    };
    OutcomeTiming {
        sent,
        receipt,
        reply: after_receipt(
            outcome.reply.is_some(),
            SALT_T_REPLY,
            30 * SECOND,
            30 * MINUTE,
        ),
        click: after_receipt(outcome.click, SALT_T_CLICK, 10 * SECOND, 2 * HOUR),
    }
}

// ---------------------------------------------------------------------------------------------
// Opt-out keywords
// ---------------------------------------------------------------------------------------------

/// The sandbox's opt-out keywords (CONTRACT §8).
pub const OPT_OUT_KEYWORDS: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "END",
    "QUIT",
    "CANCEL",
    "REVOKE",
    "OPTOUT",
];

/// Whether an inbound text opts the sender out: the whole message is one keyword, in any case.
/// Surrounding whitespace and trailing `.`/`!` are tolerated ("Stop." and " STOP! " opt out, as
/// people type them); anything else is not ("STOP please", "don't stop", "S T O P", "STOP?").
pub fn is_opt_out(text: &str) -> bool {
    let word = text.trim().trim_end_matches(['.', '!']).trim_end();
    OPT_OUT_KEYWORDS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

// ---------------------------------------------------------------------------------------------
// Billing and the T-Mobile daily cap
// ---------------------------------------------------------------------------------------------

/// Whether a message is charged (CONTRACT §8): delivered messages are; failed, unconfirmed,
/// rejected and skipped ones are not, except that a T-Mobile message sent over the daily cap
/// under `daily_cap_bypass` (`bypass_over_cap`) is charged whenever it reached the carrier.
pub fn billable(outcome: &Outcome, bypass_over_cap: bool) -> bool {
    outcome.status.is_delivered() || (bypass_over_cap && outcome.status.is_sent())
}

/// The Pacific day a T-Mobile part counts against.
pub fn cap_day(ms: Millis) -> NaiveDate {
    time::local_date(ms, Los_Angeles)
}

/// When the Pacific day of `ms` ends (the next Pacific midnight), when a capped brand may send
/// again.
pub fn cap_day_ends_at(ms: Millis) -> Millis {
    let next = cap_day(ms).succ_opt().unwrap_or(NaiveDate::MAX);
    // Midnight exists in Los Angeles every day (its changes happen at 02:00).
    next.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(Los_Angeles).earliest())
        .map_or(Millis::MAX, |t| t.timestamp_millis())
}

/// Whether a message of `parts` fits under the brand's `cap` with `used_parts` already sent
/// today: all its parts must fit (a message is never split across days).
pub fn cap_allows(used_parts: u64, cap: u64, parts: u64) -> bool {
    used_parts
        .checked_add(parts)
        .is_some_and(|total| total <= cap)
}

#[cfg(test)]
mod tests;
