//! A project's life: its status machine as one transition table, what makes it complete, why it
//! paused, and the name a copy gets. Handlers (PATCH, test, schedule, unschedule, pause) and the
//! send engine (start, finish, auto-pause) all move a project through [`transition`], so a status
//! can only change the way this table says, and its unit tests walk every pair.
//!
//! Every row follows a sentence of CONTRACT §7/§8 or, where the contract is silent, a decision
//! written beside it.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::wire::{wire_enum, WireEnum};

wire_enum!(
    /// Where a project is in its life.
    Status {
        Draft => "draft",
        AwaitingTest => "awaiting_test",
        Scheduled => "scheduled",
        Sending => "sending",
        Paused => "paused",
        Completed => "completed",
    }
);
wire_enum!(ProjectType { Broadcast => "broadcast", Survey => "survey" });
wire_enum!(Channel { TenDlc => "10dlc", TollFree => "toll-free" });
wire_enum!(Protocol { Sms => "sms", Mms => "mms" });

impl Status {
    /// PATCH only in `draft`/`awaiting_test` (CONTRACT §7).
    pub fn is_editable(self) -> bool {
        matches!(self, Status::Draft | Status::AwaitingTest)
    }

    /// How `/projects/stats?status=active` groups projects: scheduled and sending.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Scheduled | Status::Sending)
    }
}

/// Something that happens to a project. The first seven come from clients; `Start`, `Finish` and
/// `AutoPause` from the send engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// After a create or PATCH, the project has a list, a message and a number.
    Complete,
    /// After a PATCH, it lacks one of them.
    Incomplete,
    /// A PATCH is about to apply (checked before the body is; then `Complete`/`Incomplete`).
    Edit,
    Test,
    Schedule,
    Unschedule,
    /// A client's `/pause`.
    Pause,
    /// A scheduled project is due (and inside its sending window).
    Start,
    /// Every recipient has been sent to.
    Finish,
    /// The sandbox paused it: quiet hours, the brand's daily cap, funds.
    AutoPause,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Complete,
        Action::Incomplete,
        Action::Edit,
        Action::Test,
        Action::Schedule,
        Action::Unschedule,
        Action::Pause,
        Action::Start,
        Action::Finish,
        Action::AutoPause,
    ];
}

/// Why an action does not apply to a project in its status. Every client-facing refusal is a
/// 409; `Stale` is the engine's own (a job that outlived the state it was queued for), which it
/// drops rather than answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A PATCH outside `draft`/`awaiting_test`: 409 `PROJECT_NOT_EDITABLE`.
    NotEditable { status: Status },
    /// Test or schedule of a draft, which lacks a list, a message or a number.
    NotReady,
    /// Pause of a project that is neither scheduled nor sending (nor already paused).
    NotPausable { status: Status },
    /// Schedule or unschedule while sending: a running send stops through a pause.
    AlreadySending,
    /// Schedule, unschedule or pause of a completed project: it is finished for good.
    AlreadyCompleted,
    /// An engine step in a status it does not apply to.
    Stale { status: Status, action: Action },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotEditable { status } => write!(
                f,
                "Project is {} and can no longer be edited; only draft and awaiting_test \
                 projects can be.",
                status.as_str()
            ),
            Refusal::NotReady => f.write_str(
                "Project is a draft: it needs a contact list, a message and a phone number before \
                 it can be tested or scheduled.",
            ),
            Refusal::NotPausable { status } => write!(
                f,
                "Project is {}; only scheduled or sending projects can be paused.",
                status.as_str()
            ),
            Refusal::AlreadySending => {
                f.write_str("Project is sending; pause it first, then schedule or unschedule it.")
            }
            Refusal::AlreadyCompleted => {
                f.write_str("Project has completed; copy it to send the message again.")
            }
            Refusal::Stale { status, action } => {
                write!(
                    f,
                    "{action:?} does not apply to a {} project.",
                    status.as_str()
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// The status a project moves to, or why it cannot. Decisions, row by row:
///
/// - `Complete`/`Incomplete`: "draft (incomplete) → awaiting_test (complete: list + message +
///   number)"; a complete awaiting_test project stays, an incomplete one falls back to draft.
///   Only a PATCH changes completeness, so past awaiting_test they refuse like `Edit`.
/// - `Edit`: "PATCH only in draft/awaiting_test, else 409 PROJECT_NOT_EDITABLE".
/// - `Test`: "A draft project cannot be tested (409)". Every other status may test, unchanged:
///   test messages reach only the test contacts and count apart from `metrics`, so nothing a
///   status guards is at stake (a completed project may be tested too).
/// - `Schedule`: awaiting_test → scheduled; scheduled → scheduled (a new time); paused →
///   scheduled ("Scheduling a paused project resumes it"; "Every pause needs a schedule call to
///   resume"). A draft cannot be scheduled (SDK: "cannot be tested or scheduled until a list is
///   attached"). Sending is refused: its start has passed, and stopping it is what pause is for.
///   Completed is refused: the contract offers `/copy` to send again.
/// - `Unschedule`: "returns a scheduled or paused project to awaiting_test and is safe to
///   repeat", so awaiting_test → awaiting_test. A draft stays a draft (nothing is scheduled,
///   and moving it to awaiting_test would skip the completeness rule). Sending is refused like
///   `Schedule` (pause first); completed is refused.
/// - `Pause`: "paused from scheduled or sending"; "already paused → 200 with the current
///   pause_reason" (see [`pause_after`]). Anything else is refused.
/// - `Start`: scheduled → sending, nothing else. `Finish`: sending → completed, nothing else.
/// - `AutoPause`: like `Pause` for scheduled, sending and paused (a pause keeps its first
///   reason); stale elsewhere.
pub fn transition(from: Status, action: Action) -> Result<Status, Refusal> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Draft | S::AwaitingTest, A::Complete) => Ok(S::AwaitingTest),
        (S::Draft | S::AwaitingTest, A::Incomplete) => Ok(S::Draft),
        (S::Draft | S::AwaitingTest, A::Edit) => Ok(from),
        (_, A::Complete | A::Incomplete | A::Edit) => Err(Refusal::NotEditable { status: from }),

        (S::Draft, A::Test | A::Schedule) => Err(Refusal::NotReady),
        (_, A::Test) => Ok(from),

        (S::AwaitingTest | S::Scheduled | S::Paused, A::Schedule) => Ok(S::Scheduled),
        (S::Scheduled | S::Paused | S::AwaitingTest, A::Unschedule) => Ok(S::AwaitingTest),
        (S::Draft, A::Unschedule) => Ok(S::Draft),
        (S::Sending, A::Schedule | A::Unschedule) => Err(Refusal::AlreadySending),
        (S::Completed, A::Schedule | A::Unschedule | A::Pause) => Err(Refusal::AlreadyCompleted),

        (S::Scheduled | S::Sending | S::Paused, A::Pause | A::AutoPause) => Ok(S::Paused),
        (_, A::Pause) => Err(Refusal::NotPausable { status: from }),

        (S::Scheduled, A::Start) => Ok(S::Sending),
        (S::Sending, A::Finish) => Ok(S::Completed),
        (_, A::Start | A::Finish | A::AutoPause) => Err(Refusal::Stale {
            status: from,
            action,
        }),
    }
}

/// Why a project is paused, as `pause_reason` spells it. An enum for the values the sandbox
/// itself sets or reacts to, with `Other` for the rest: a caller's free-text reason and the
/// values the SDK lists that the sandbox never sets ("Other values may appear"). Reading a
/// spelling always gives the same variant, so a caller's `"quiet_hours"` is `QuietHours`: on the
/// wire they are indistinguishable anyway, and `auto_paused` tells who paused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PauseReason {
    Manual,
    QuietHours,
    BrandDailyCap,
    InsufficientFundsAncestor,
    InsufficientFundsAutoRechargeFailed,
    Other(String),
}

/// Longest caller reason (SDK: "a short free-text reason (up to 100 characters)").
pub const PAUSE_REASON_MAX: usize = 100;

impl PauseReason {
    const KNOWN: &'static [(PauseReason, &'static str)] = &[
        (PauseReason::Manual, "manual"),
        (PauseReason::QuietHours, "quiet_hours"),
        (PauseReason::BrandDailyCap, "brand_daily_cap"),
        (
            PauseReason::InsufficientFundsAncestor,
            "insufficient_funds_ancestor",
        ),
        (
            PauseReason::InsufficientFundsAutoRechargeFailed,
            "insufficient_funds_auto_recharge_failed",
        ),
    ];

    pub fn as_str(&self) -> &str {
        match self {
            PauseReason::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(r, _)| r == known)
                .map_or("", |(_, s)| s),
        }
    }

    /// Any stored or received spelling.
    pub fn parse(s: &str) -> PauseReason {
        Self::KNOWN
            .iter()
            .find(|(_, w)| *w == s)
            .map_or_else(|| PauseReason::Other(s.to_string()), |(r, _)| r.clone())
    }

    /// The reason of a `/pause {reason?}`: `manual` without one, else the caller's text,
    /// trimmed, 1-100 characters.
    pub fn from_caller(reason: Option<&str>) -> Result<PauseReason, String> {
        let Some(text) = reason.map(str::trim) else {
            return Ok(PauseReason::Manual);
        };
        match text.chars().count() {
            0 => Err("reason must not be blank; omit it to pause with \"manual\".".into()),
            n if n > PAUSE_REASON_MAX => Err(format!(
                "reason must be at most {PAUSE_REASON_MAX} characters (got {n})."
            )),
            _ => Ok(PauseReason::parse(text)),
        }
    }
}

impl Serialize for PauseReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PauseReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| PauseReason::parse(&s))
    }
}

impl schemars::JsonSchema for PauseReason {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PauseReason".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "manual, quiet_hours, brand_daily_cap, insufficient_funds_ancestor, \
                insufficient_funds_auto_recharge_failed, a caller's reason, or another value."
        })
    }
}

/// A paused project's `pause_reason` and `auto_paused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub reason: PauseReason,
    pub auto_paused: bool,
}

/// The pause a project carries after moving `from` → `to`, given the one it had and the one the
/// action asked for: none once it is not paused; the current one when it was already paused
/// ("already paused → 200 with the current pause_reason"); else the one asked for.
pub fn pause_after(
    from: Status,
    to: Status,
    current: Option<Pause>,
    asked: Pause,
) -> Option<Pause> {
    match (from, to) {
        (_, to) if to != Status::Paused => None,
        (Status::Paused, _) => current.or(Some(asked)),
        _ => Some(asked),
    }
}

/// What a broadcast project has, as `completeness` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Completeness {
    pub has_list: bool,
    pub has_message: bool,
    pub has_phone_number: bool,
    pub ready_to_test: bool,
}

pub fn completeness(has_list: bool, has_message: bool, has_phone_number: bool) -> Completeness {
    Completeness {
        has_list,
        has_message,
        has_phone_number,
        ready_to_test: has_list && has_message && has_phone_number,
    }
}

impl Completeness {
    /// The action a create or PATCH ends with.
    pub fn action(self) -> Action {
        match self.ready_to_test {
            true => Action::Complete,
            false => Action::Incomplete,
        }
    }

    /// The status a new project starts in (a copy drops its lists, so it is always a draft).
    pub fn initial_status(self) -> Status {
        match self.ready_to_test {
            true => Status::AwaitingTest,
            false => Status::Draft,
        }
    }
}

/// The version suffix of a name: `_v` + a number ≥ 2 without leading zeros, after a non-empty
/// base. `_v1`, `_v0`, `_v02` are part of a name, since the rule never writes them.
fn strip_version(name: &str) -> &str {
    let Some(i) = name.rfind("_v") else {
        return name;
    };
    let (base, digits) = (&name[..i], &name[i + 2..]);
    let is_version = !base.is_empty()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
        && digits != "1";
    if is_version {
        base
    } else {
        name
    }
}

/// The name of a copy: "X" → "X_v2" ("X_v3" if taken). The base is the name without a version
/// suffix, so copying "X_v2" gives the next free version of X, never "X_v2_v2"; the copy takes
/// the first free `X_vN`, N ≥ 2, among `existing` (compared exactly).
pub fn copy_name<S: AsRef<str>>(name: &str, existing: &[S]) -> String {
    let base = strip_version(name);
    let taken: HashSet<&str> = existing.iter().map(AsRef::as_ref).collect();
    (2u64..)
        .map(|n| format!("{base}_v{n}"))
        .find(|candidate| !taken.contains(candidate.as_str()))
        .unwrap_or_else(|| format!("{base}_v2"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use Action as A;
    use Status as S;

    /// The documented outcome of every (status, action) pair, one row per status, columns in
    /// the order of `Action::ALL`.
    #[rustfmt::skip]
    fn expected(from: Status) -> [Result<Status, Refusal>; 10] {
        let editable = Err(Refusal::NotEditable { status: from });
        let pausable = Err(Refusal::NotPausable { status: from });
        let stale = |action| Err(Refusal::Stale { status: from, action });
        let (ready, sending, done) =
            (Err(Refusal::NotReady), Err(Refusal::AlreadySending), Err(Refusal::AlreadyCompleted));
        let (d, at, sc, se, p, c) =
            (Ok(S::Draft), Ok(S::AwaitingTest), Ok(S::Scheduled), Ok(S::Sending), Ok(S::Paused), Ok(S::Completed));
        match from {
            //             Complete  Incomplete Edit      Test   Schedule Unschedule Pause
            //             Start            Finish            AutoPause
            S::Draft =>        [at,      d,         d,        ready, ready,   d,         pausable,
                                stale(A::Start), stale(A::Finish), stale(A::AutoPause)],
            S::AwaitingTest => [at,      d,         at,       at,    sc,      at,        pausable,
                                stale(A::Start), stale(A::Finish), stale(A::AutoPause)],
            S::Scheduled =>    [editable, editable, editable, sc,    sc,      at,        p,
                                se,              stale(A::Finish), p],
            S::Sending =>      [editable, editable, editable, se,    sending, sending,   p,
                                stale(A::Start), c,                p],
            S::Paused =>       [editable, editable, editable, p,     sc,      at,        p,
                                stale(A::Start), stale(A::Finish), p],
            S::Completed =>    [editable, editable, editable, c,     done,    done,      done,
                                stale(A::Start), stale(A::Finish), stale(A::AutoPause)],
        }
    }

    #[test]
    fn every_status_and_action_pair_has_its_documented_outcome() {
        assert_eq!(Action::ALL.len(), 10);
        let mut walked = 0;
        for &from in Status::ALL {
            for (&action, want) in Action::ALL.iter().zip(expected(from)) {
                assert_eq!(transition(from, action), want, "{from:?} + {action:?}");
                walked += 1;
            }
        }
        assert_eq!(walked, 60);
    }

    #[test]
    fn the_happy_path_runs_draft_to_completed() {
        let mut s = completeness(false, true, true).initial_status();
        assert_eq!(s, S::Draft);
        for (action, want) in [
            (completeness(true, true, true).action(), S::AwaitingTest),
            (A::Test, S::AwaitingTest),
            (A::Schedule, S::Scheduled),
            (A::Start, S::Sending),
            (A::AutoPause, S::Paused),
            (A::Schedule, S::Scheduled),
            (A::Start, S::Sending),
            (A::Finish, S::Completed),
        ] {
            s = transition(s, action).expect("allowed");
            assert_eq!(s, want, "after {action:?}");
        }
    }

    #[test]
    fn only_editable_statuses_are_patched_and_active_groups_scheduled_and_sending() {
        let editable: Vec<Status> = Status::ALL
            .iter()
            .copied()
            .filter(|s| s.is_editable())
            .collect();
        assert_eq!(editable, [S::Draft, S::AwaitingTest]);
        let active: Vec<Status> = Status::ALL
            .iter()
            .copied()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(active, [S::Scheduled, S::Sending]);
        assert_eq!(
            Refusal::NotEditable { status: S::Sending }.to_string(),
            "Project is sending and can no longer be edited; only draft and awaiting_test \
             projects can be."
        );
    }

    #[test]
    fn wire_spellings_are_the_sdks() {
        let json = serde_json::to_string(&(S::AwaitingTest, Channel::TenDlc, Channel::TollFree))
            .expect("serializes");
        assert_eq!(json, r#"["awaiting_test","10dlc","toll-free"]"#);
        assert_eq!(Protocol::parse("mms"), Some(Protocol::Mms));
        assert_eq!(ProjectType::parse("survey"), Some(ProjectType::Survey));
    }

    #[test]
    fn pause_reasons_read_and_write_as_their_spelling() {
        for (reason, wire) in [
            (PauseReason::Manual, "manual"),
            (PauseReason::QuietHours, "quiet_hours"),
            (PauseReason::BrandDailyCap, "brand_daily_cap"),
            (
                PauseReason::InsufficientFundsAncestor,
                "insufficient_funds_ancestor",
            ),
            (
                PauseReason::InsufficientFundsAutoRechargeFailed,
                "insufficient_funds_auto_recharge_failed",
            ),
            (
                PauseReason::Other("carrier_block_rate".into()),
                "carrier_block_rate",
            ),
            (PauseReason::Other("Board review".into()), "Board review"),
        ] {
            assert_eq!(reason.as_str(), wire);
            assert_eq!(PauseReason::parse(wire), reason);
            let json = serde_json::to_string(&reason).expect("serializes");
            assert_eq!(json, format!("\"{wire}\""));
            let back: PauseReason = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, reason);
        }
    }

    #[test]
    fn a_callers_reason_is_manual_or_1_to_100_characters() {
        assert_eq!(PauseReason::from_caller(None), Ok(PauseReason::Manual));
        assert_eq!(
            PauseReason::from_caller(Some("  Waiting on legal  ")),
            Ok(PauseReason::Other("Waiting on legal".into()))
        );
        assert_eq!(
            PauseReason::from_caller(Some("manual")),
            Ok(PauseReason::Manual)
        );
        assert!(PauseReason::from_caller(Some("é".repeat(100).as_str())).is_ok());
        assert!(PauseReason::from_caller(Some("é".repeat(101).as_str())).is_err());
        assert!(PauseReason::from_caller(Some("   ")).is_err());
    }

    #[test]
    fn a_pause_keeps_its_first_reason_until_the_project_leaves_paused() {
        let manual = Pause {
            reason: PauseReason::Manual,
            auto_paused: false,
        };
        let cap = Pause {
            reason: PauseReason::BrandDailyCap,
            auto_paused: true,
        };
        assert_eq!(
            pause_after(S::Sending, S::Paused, None, cap.clone()),
            Some(cap.clone())
        );
        assert_eq!(
            pause_after(S::Paused, S::Paused, Some(cap.clone()), manual.clone()),
            Some(cap.clone())
        );
        assert_eq!(
            pause_after(S::Paused, S::Scheduled, Some(cap.clone()), manual.clone()),
            None
        );
        assert_eq!(
            pause_after(S::Paused, S::AwaitingTest, Some(cap), manual),
            None
        );
    }

    #[test]
    fn a_project_is_ready_to_test_with_a_list_a_message_and_a_number() {
        for bits in 0..8u8 {
            let (l, m, p) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
            let c = completeness(l, m, p);
            assert_eq!((c.has_list, c.has_message, c.has_phone_number), (l, m, p));
            assert_eq!(c.ready_to_test, bits == 7, "{c:?}");
            assert_eq!(c.action() == A::Complete, bits == 7);
            assert_eq!(c.initial_status() == S::AwaitingTest, bits == 7);
        }
        let json = serde_json::to_value(completeness(true, false, true)).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"has_list": true, "has_message": false,
                "has_phone_number": true, "ready_to_test": false})
        );
    }

    #[test]
    fn a_copy_takes_the_first_free_version_of_the_base_name() {
        let none: [&str; 0] = [];
        assert_eq!(copy_name("GOTV", &none), "GOTV_v2");
        assert_eq!(copy_name("GOTV", &["GOTV", "GOTV_v2"]), "GOTV_v3");
        assert_eq!(copy_name("GOTV", &["GOTV", "GOTV_v3"]), "GOTV_v2");
        assert_eq!(copy_name("GOTV_v2", &["GOTV", "GOTV_v2"]), "GOTV_v3");
        assert_eq!(copy_name("GOTV_v3", &["GOTV", "GOTV_v3"]), "GOTV_v2");
        assert_eq!(
            copy_name("GOTV_v12", &["GOTV_v2", "GOTV_v3", "GOTV_v12"]),
            "GOTV_v4"
        );
        // Suffixes the rule never writes are part of the name.
        assert_eq!(copy_name("Plan_v1", &none), "Plan_v1_v2");
        assert_eq!(copy_name("Plan_v02", &none), "Plan_v02_v2");
        assert_eq!(copy_name("Plan_vX", &none), "Plan_vX_v2");
        assert_eq!(copy_name("_v2", &none), "_v2_v2");
        assert_eq!(copy_name("", &none), "_v2");
        // Names are compared exactly.
        assert_eq!(copy_name("gotv", &["GOTV_v2"]), "gotv_v2");
        let owned = vec![String::from("Q4"), String::from("Q4_v2")];
        assert_eq!(copy_name("Q4", &owned), "Q4_v3");
    }
}
