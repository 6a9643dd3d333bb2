//! The send engine's records and its pure rules (CONTRACT §8). A send is a [`SendRun`]: a
//! project's broadcast, one test call, or one conversation reply. A run keeps one compact
//! [`Recipient`] per audience member (32 bytes, so a million recipients cost 32 MB), and nothing
//! else per message: a message's outcome and timing are pure functions of (seed, number, rates)
//! (`domain::outcome`), its id, its conversation's id and its tracking-link code are derived from
//! (run, index), and its events are rendered from the run when read. The rules that need the
//! world (audience, pauses, billing) live in `sim::send`.
//!
//! Decisions where the contract is silent, written once here:
//! - Rate: `--send-rate` messages per sandbox second when given; else the campaign's AT&T TPM
//!   (SMS or MMS) per minute when the campaign is metered; else 60 per sandbox second.
//! - Attempts are evenly spaced: the k-th attempt of a sending stretch leaves at
//!   `start + k × 60,000 / per_minute` ms. A resume starts a new stretch.
//! - Recipients are pinned to a number by the world's seeded rng when they join the run; a
//!   recipient whose number left the project (a PATCH between runs) is pinned anew at resume.

use serde::{Deserialize, Serialize};

use super::contacts::LineType;
use super::ids::Kind;
use super::lrn;
use super::outcome::{self, Outcome, OutcomeRates};
use super::time::Millis;
use super::window::Window;
use super::wire::WireEnum;

/// How fast messages leave when nothing says otherwise: 60 per sandbox second.
pub const DEFAULT_PER_MINUTE: f64 = 3_600.0;

/// The engine's settings, part of the world so jobs read them (a scenario sets them).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SendSettings {
    /// Messages per sandbox second for every run, overriding the campaigns' TPM.
    pub per_second: Option<f64>,
    pub rates: OutcomeRates,
}

/// Messages per minute for a run: the override, else the campaign's AT&T TPM, else the default.
pub fn per_minute(settings: &SendSettings, campaign_tpm: Option<u32>) -> f64 {
    match (settings.per_second, campaign_tpm) {
        (Some(s), _) if s > 0.0 => s * 60.0,
        (_, Some(tpm)) if tpm > 0 => f64::from(tpm),
        _ => DEFAULT_PER_MINUTE,
    }
}

/// When the `k`-th attempt of a stretch that started at `start` leaves.
pub fn attempt_at(start: Millis, k: u64, per_minute: f64) -> Millis {
    start.saturating_add((k as f64 * 60_000.0 / per_minute).floor() as Millis)
}

/// What a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A project's production send (counts in `metrics`; window, cap and funds apply).
    Broadcast,
    /// `POST /projects/{id}/test` (counts in `test`; sent at once).
    Test,
    /// `POST /conversations/{id}/messages` (sent at once, outside the window too).
    Reply,
}

/// Why the remaining recipients of a run wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// A pause (manual, quiet hours, funds) or an unschedule left them `unsent`.
    Unsent,
    /// The brand's daily cap holds them: `on_hold`.
    OnHold,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    /// Scheduled: starts at `from`, or when the window next opens after it.
    Waiting { from: Millis },
    /// Sending: the stretch began at `start` and has made `count` attempts.
    Sending { start: Millis, count: u64 },
    /// Paused or unscheduled: nothing leaves until the next schedule.
    Held(Held),
    /// Every recipient was attempted (or skipped).
    Done,
}

/// Per-recipient flags.
pub mod flag {
    /// The recipient's carrier is T-Mobile (the brand's daily cap counts its parts).
    pub const T_MOBILE: u8 = 1;
    /// Sent over the daily cap under `daily_cap_bypass` (`outcome::over_cap` applies).
    pub const OVER_CAP: u8 = 2;
    /// The message is recorded in a conversation (its steps update that record).
    pub const THREADED: u8 = 4;
    /// The recipient clicked at least once (`clicks_unique`).
    pub const CLICKED: u8 = 8;
    /// Skipped at attempt time: opted out since the run was built.
    pub const SKIPPED: u8 = 16;
}

/// Never attempted.
pub const NOT_ATTEMPTED: Millis = Millis::MIN;

/// One audience member of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub phone: u64,
    /// When the message left `sending` ([`NOT_ATTEMPTED`] until then).
    pub attempted_at: Millis,
    /// The contact's row in `lists[list]` (merge values, link parameter).
    pub row: u32,
    /// Index into the run's `lists`; `u16::MAX` for a recipient from no list (tests, replies).
    pub list: u16,
    /// Index into the run's `numbers`: the number this recipient is pinned to.
    pub pin: u16,
    /// Message parts of the rendered text (footer included).
    pub parts: u8,
    /// 0 when unknown (use the network's answer), else `LineType::ALL` index + 1.
    pub line: u8,
    pub flags: u8,
}

impl Recipient {
    pub fn attempted(&self) -> bool {
        self.attempted_at != NOT_ATTEMPTED
    }

    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    pub fn line_type(&self) -> Option<LineType> {
        match self.line {
            0 => None,
            n => LineType::ALL.get(n as usize - 1).copied(),
        }
    }
}

/// The line-type byte of a recipient.
pub fn line_byte(t: Option<LineType>) -> u8 {
    t.and_then(|t| LineType::ALL.iter().position(|x| *x == t))
        .map_or(0, |i| i as u8 + 1)
}

/// Whether a number's carrier is T-Mobile.
pub fn is_t_mobile(seed: u64, phone: u64, line: Option<LineType>) -> bool {
    if lrn::magic(phone).is_some() {
        return false;
    }
    let t = line.unwrap_or_else(|| lrn::line_type(seed, phone));
    lrn::carrier(seed, phone, t).starts_with("T-Mobile")
}

/// A message given explicitly (tests and replies): its id and text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explicit {
    pub id: String,
    pub text: String,
    /// The thread it belongs to (replies only).
    pub conversation_id: Option<String>,
}

/// Link tracking as a run sends it: the domain its short links use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLink {
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendRun {
    /// Index in the engine's runs.
    pub seq: u32,
    pub kind: RunKind,
    /// Test messages (`is_test`): a test call, or a reply on a test thread.
    pub test: bool,
    pub project_id: Option<String>,
    pub org_id: String,
    /// The organization of the key that started it (the ledger's `initiatingOrganizationId`).
    pub initiating_org_id: String,
    /// The brand whose T-Mobile daily cap applies (10DLC broadcasts only).
    pub brand_id: Option<String>,
    /// The project's campaign (stats and ledger lines are kept per campaign).
    pub campaign_id: Option<String>,
    /// Recipients a pause or a cap left waiting, as counted in the stats: (day, status, n).
    pub held_count: Option<(i64, usize, i64)>,
    /// Every number recipients were ever pinned to: (id, E.164). Only grows.
    pub numbers: Vec<(String, String)>,
    /// The project's numbers now (indexes into `numbers`), for new pins.
    pub current_numbers: Vec<u16>,
    pub lists: Vec<String>,
    /// The raw message text (broadcasts), rendered per recipient when a message is recorded.
    pub text: String,
    pub footer: bool,
    pub mms: bool,
    pub link: Option<RunLink>,
    /// Tests and replies: one per recipient.
    pub explicit: Vec<Explicit>,
    pub recipients: Vec<Recipient>,
    /// The next recipient to attempt.
    pub next: usize,
    /// Recipients skipped at attempt time (opted out since the run was built); all before `next`.
    pub skipped: usize,
    pub state: RunState,
    pub per_minute: f64,
    /// The sending window (broadcasts only).
    pub window: Option<Window>,
    /// When the open window of the current stretch closes.
    pub closes_at: Option<Millis>,
    pub rates: OutcomeRates,
    pub daily_cap_bypass: bool,
    /// The org and its ancestors, for the funds check and billing.
    pub payers: Vec<String>,
    /// Each payer's rate per part (cents), in `payers` order.
    pub payer_rates: Vec<f64>,
    /// Parts delivered (or billed over the cap) and not yet written to the ledger.
    pub unbilled_parts: u64,
    /// When the first of them was delivered (ledger lines never span two UTC days).
    pub unbilled_since: Millis,
    /// What the run has been charged to its own org, in cents.
    pub cost_cents: f64,
    pub created_at: Millis,
}

impl SendRun {
    pub fn is_test(&self) -> bool {
        self.test
    }

    /// How the message to recipient `i` ends.
    pub fn outcome(&self, seed: u64, i: usize) -> Outcome {
        let r = &self.recipients[i];
        let o = outcome::outcome(seed, r.phone, r.line_type(), &self.rates, self.is_test());
        if r.has(flag::OVER_CAP) {
            outcome::over_cap(seed, r.phone, o)
        } else {
            o
        }
    }

    /// Recipients not attempted yet (skips happen only at attempt time, so none of these is
    /// skipped).
    pub fn remaining(&self) -> usize {
        self.recipients.len().saturating_sub(self.next)
    }

    /// Recipients the send is for: everyone but those skipped at attempt time.
    pub fn audience(&self) -> usize {
        self.recipients.len() - self.skipped
    }
}

/// A step of one message, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The carrier accepted it: `sent`, `message.sent`.
    Sent,
    /// The delivery receipt (or the rejection): `delivered`/`failed`.
    Receipt,
    /// The recipient writes back: `message.replied`.
    Reply,
    /// The recipient clicks the tracking link: `link.clicked`.
    Click,
}

/// A step due at `at` for recipient `idx` of run `run`. Ordered by time, then by when it was
/// queued (`seq`), so equal times keep a deterministic order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    pub at: Millis,
    pub seq: u64,
    pub run: u32,
    pub idx: u32,
    pub step: Step,
}

// ---------------------------------------------------------------------------------------------
// Derived ids and link codes
// ---------------------------------------------------------------------------------------------

const RANDOM_BITS: u128 = (1u128 << 80) - 1;

/// The 80-bit mask that makes derived ids of one seed look random (and differ between seeds).
fn mask(seed: u64, salt: u64) -> u128 {
    let hi = lrn::mix(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let lo = lrn::mix(hi ^ salt);
    (((hi as u128) << 64) | lo as u128) & RANDOM_BITS
}

fn ulid_id(kind: Kind, at: Millis, random: u128) -> String {
    format!(
        "{}{}",
        kind.prefix(),
        ulid::Ulid::from_parts(at.max(0) as u64, random & RANDOM_BITS)
    )
}

const SALT_MESSAGE: u64 = 0x004d_5347;
const SALT_INBOUND: u64 = 0x0049_4e42;
const SALT_EVENT: u64 = 0x0045_5654;
const SALT_CONVERSATION: u64 = 0x0043_4f4e;
const SALT_LINK: u64 = 0x4c49_4e4b;

fn pair(run: u32, idx: u32) -> u128 {
    ((run as u128) << 32) | idx as u128
}

/// The id of the outbound message to recipient `idx` of run `run`, attempted at `at`.
pub fn message_id(seed: u64, run: u32, idx: u32, at: Millis) -> String {
    ulid_id(Kind::Message, at, pair(run, idx) ^ mask(seed, SALT_MESSAGE))
}

/// The id of recipient `idx`'s reply to run `run`, received at `at`.
pub fn inbound_id(seed: u64, run: u32, idx: u32, at: Millis) -> String {
    ulid_id(Kind::Message, at, pair(run, idx) ^ mask(seed, SALT_INBOUND))
}

/// The id of the `seq`-th event of the log, created at `at`.
pub fn event_id(seed: u64, seq: u64, at: Millis) -> String {
    ulid_id(Kind::Event, at, seq as u128 ^ mask(seed, SALT_EVENT))
}

/// The log position an event id names (`None` when it is not an event id of this seed).
pub fn event_seq(seed: u64, id: &str) -> Option<u64> {
    let ulid = ulid::Ulid::from_string(id.strip_prefix(Kind::Event.prefix())?).ok()?;
    let seq = (ulid.random() ^ mask(seed, SALT_EVENT)) & RANDOM_BITS;
    u64::try_from(seq).ok()
}

/// Which of `n` numbers a new recipient of `project_id` is pinned to: a seeded hash, so a
/// run can be built from a read of the world and the same seed pins the same way.
pub fn pin_index(seed: u64, project_id: &str, phone: u64, n: usize) -> usize {
    (lrn::mix(seed ^ fnv(project_id.as_bytes()) ^ lrn::mix(phone)) % n.max(1) as u64) as usize
}

/// FNV-1a: a stable hash of text (std's hasher may change between Rust releases).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The id of the thread of project `project_id` between number `number_id` and contact `phone`:
/// one per (project, number, contact, test or not), whoever writes first, so a message's events
/// can name its thread before the thread is ever recorded. A conversation belongs to one project
/// (a reply goes out "from the same sending number, on the same project"): a second project on
/// the same number opens its own thread with the contact. The time part is the world's clock start.
pub fn conversation_id(
    seed: u64,
    epoch: Millis,
    project_id: Option<&str>,
    number_id: &str,
    phone: u64,
    test: bool,
) -> String {
    let project = fnv(project_id.unwrap_or("").as_bytes());
    let h = lrn::mix(
        fnv(number_id.as_bytes()) ^ lrn::mix(project) ^ lrn::mix(phone ^ (u64::from(test) << 63)),
    );
    let random = ((h as u128) << 16 | (lrn::mix(h ^ SALT_CONVERSATION) & 0xffff) as u128)
        ^ mask(seed, SALT_CONVERSATION);
    ulid_id(Kind::Conversation, epoch, random)
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Link codes are always this long, so a message's length does not depend on who gets it.
pub const LINK_CODE_LEN: usize = 11;
/// A code of the right length, for estimates before any link exists.
pub const SAMPLE_LINK_CODE: &str = "AbCdEfGh123";

/// An odd multiplier and its inverse mod 2^64: codes look random but decode without a table.
const SCRAMBLE: u64 = 0x9E37_79B9_7F4A_7C15;
const UNSCRAMBLE: u64 = 0xF1DE_83E1_9937_733D;

/// The short-link code of recipient `idx` of run `run`.
pub fn link_code(seed: u64, run: u32, idx: u32) -> String {
    let v = ((u64::from(run) << 32) | u64::from(idx)).wrapping_mul(SCRAMBLE)
        ^ (mask(seed, SALT_LINK) as u64);
    let mut n = v;
    let mut out = [b'0'; LINK_CODE_LEN];
    for c in out.iter_mut().rev() {
        *c = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The (run, recipient) a code names; `None` for anything that is not a code of this seed.
pub fn parse_link_code(seed: u64, code: &str) -> Option<(u32, u32)> {
    if code.len() != LINK_CODE_LEN {
        return None;
    }
    let mut n: u128 = 0;
    for b in code.bytes() {
        let d = BASE62.iter().position(|c| *c == b)? as u128;
        n = n * 62 + d;
    }
    let v = u64::try_from(n).ok()? ^ (mask(seed, SALT_LINK) as u64);
    let pair = v.wrapping_mul(UNSCRAMBLE);
    Some(((pair >> 32) as u32, pair as u32))
}

/// The user agent of simulated clicks.
pub const SIMULATED_USER_AGENT: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_round_trip_and_have_a_fixed_length() {
        for (run, idx) in [(0, 0), (1, 2), (7, 999_999), (u32::MAX, u32::MAX)] {
            let code = link_code(5, run, idx);
            assert_eq!(code.len(), LINK_CODE_LEN);
            assert_eq!(parse_link_code(5, &code), Some((run, idx)));
        }
        assert_ne!(link_code(5, 1, 2), link_code(6, 1, 2));
        assert_eq!(parse_link_code(5, "short"), None);
        assert_eq!(parse_link_code(5, "AbCdEfGh12!"), None);
    }

    #[test]
    fn event_ids_decode_to_their_position() {
        let id = event_id(9, 12_345, 1_790_000_000_000);
        assert!(id.starts_with("evt_"));
        assert_eq!(event_seq(9, &id), Some(12_345));
        assert_ne!(event_seq(8, &id), Some(12_345));
        assert_eq!(event_seq(9, "evt_nope"), None);
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = message_id(1, 0, 1, 1_000);
        assert_eq!(a, message_id(1, 0, 1, 1_000));
        assert_ne!(a, message_id(1, 0, 2, 1_000));
        assert_ne!(a, inbound_id(1, 0, 1, 1_000));
        let p = Some("proj_1");
        let c = conversation_id(1, 0, p, "pn_1", 15_005_550_006, false);
        assert_eq!(c, conversation_id(1, 0, p, "pn_1", 15_005_550_006, false));
        assert_ne!(c, conversation_id(1, 0, p, "pn_1", 15_005_550_006, true));
        assert_ne!(c, conversation_id(1, 0, p, "pn_2", 15_005_550_006, false));
        assert_ne!(
            c,
            conversation_id(1, 0, Some("proj_2"), "pn_1", 15_005_550_006, false)
        );
    }

    #[test]
    fn rate_prefers_the_override_then_the_campaign() {
        let mut s = SendSettings::default();
        assert_eq!(per_minute(&s, None), 3_600.0);
        assert_eq!(per_minute(&s, Some(75)), 75.0);
        s.per_second = Some(10.0);
        assert_eq!(per_minute(&s, Some(75)), 600.0);
        assert_eq!(attempt_at(1_000, 3, 600.0), 1_300);
    }
}
