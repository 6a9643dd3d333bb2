//! The send engine (CONTRACT §8): broadcasts, test sends and conversation replies on the sandbox
//! clock.
//!
//! One job, [`Job::SendTick`](super::jobs::Job), moves every run. A tick handles what fell due
//! in time order: a run that starts, a message that leaves (`queued → sending`), and the steps
//! of messages already out (`sent`, the receipt, a reply, a click), each one an event. It does at
//! most [`BUDGET`] of them under one hold of the world's write lock, then asks to run again at
//! the next thing due, which the scheduler does at once when that is already past: a day's jump
//! of the manual clock over a million-message send is a few hundred short slices, and reads get
//! the lock between them. Nothing here keeps a timer per message.
//!
//! What a message does is decided by `domain::outcome` from (seed, number, rates), so the same
//! seed and requests give the same messages, outcomes and timestamps, and resuming a paused run
//! never sends a message twice: a recipient is attempted at most once, ever.

mod billing;
mod build;
mod clicks;
mod counts;
mod rows;
mod runs;
mod steps;

use super::conversations;
use super::effects::Effect;
use super::jobs::Job;
use crate::domain::conversation_record::MessageStatus;
use crate::domain::outcome;
use crate::domain::project::{Pause, PauseReason, Status};
use crate::domain::send::{attempt_at, flag, Held, RunKind, RunState, SendRun, Step};
use crate::domain::time::Millis;
use crate::domain::window;
use crate::store::World;

use billing::bill;
pub use build::{build, install, schedule, Built};
pub use clicks::{click, destination, ClickError};
pub use runs::{adopt, hold, start_single, Single};
pub use steps::{outbound_id, rendered_text, short_link, thread_of};
use steps::{record_outbound, run_step, update_record};

/// The most starts, attempts and steps one tick handles under the write lock.
pub const BUDGET: usize = 20_000;

/// When run `seq` next acts (starts or attempts), if it is active.
fn next_action(run: &SendRun) -> Option<Millis> {
    match run.state {
        RunState::Waiting { from } => Some(from),
        RunState::Sending { start, count } => Some(attempt_at(start, count, run.per_minute)),
        RunState::Held(_) | RunState::Done => None,
    }
}

/// The earliest run action: (time, run).
fn earliest_action(world: &World) -> Option<(Millis, u32)> {
    world
        .engine
        .active
        .iter()
        .filter_map(|&seq| next_action(&world.engine.runs[seq as usize]).map(|at| (at, seq)))
        .min()
}

/// When the engine next has something to do.
pub fn next_due(world: &World) -> Option<Millis> {
    let steps = world.engine.next_step_at();
    let runs = earliest_action(world).map(|(at, _)| at);
    match (steps, runs) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The `Schedule` effect for the next tick, unless one at or before it is queued.
pub fn follow_up(world: &mut World) -> Option<Effect> {
    let at = next_due(world)?;
    world.engine.want_tick(at).then_some(Effect::Schedule {
        at,
        job: Job::SendTick,
    })
}

/// Runs what fell due by `now` (at most [`BUDGET`] items), returning the events and the next
/// tick.
pub fn tick(world: &mut World, at: Millis, now: Millis) -> Vec<Effect> {
    if world.engine.tick_at == Some(at) {
        world.engine.tick_at = None;
    }
    let mut out = Vec::new();
    let mut last = at;
    for _ in 0..BUDGET {
        let step_at = world.engine.next_step_at();
        let action = earliest_action(world);
        let next = match (step_at, action) {
            (Some(s), Some((a, _))) => s.min(a),
            (Some(s), None) => s,
            (None, Some((a, _))) => a,
            (None, None) => break,
        };
        if next > now {
            break;
        }
        last = last.max(next);
        match (step_at, action) {
            (Some(s), action) if action.is_none_or(|(a, _)| s <= a) => {
                if let Some(d) = world.engine.pop_step(now) {
                    out.extend(run_step(world, d).map(Effect::Publish));
                }
            }
            (_, Some((a, seq))) => act(world, seq, a),
            _ => break,
        }
    }
    bill(world, last);
    out.extend(follow_up(world));
    out
}

/// Starts or advances run `seq` at `at`.
fn act(world: &mut World, seq: u32, at: Millis) {
    let run = &world.engine.runs[seq as usize];
    match run.state {
        RunState::Waiting { .. } => start(world, seq, at),
        RunState::Sending { .. } => attempt(world, seq, at),
        _ => {
            world.engine.active.remove(&seq);
        }
    }
}

fn start(world: &mut World, seq: u32, at: Millis) {
    let run = &mut world.engine.runs[seq as usize];
    if let Some(w) = run.window {
        if !window::is_open(w, at) {
            run.state = RunState::Waiting {
                from: window::next_open(w, at),
            };
            return;
        }
        run.closes_at = window::closes_at(w, at);
    }
    run.state = RunState::Sending {
        start: at,
        count: 0,
    };
    let project = run.project_id.clone();
    if run.kind == RunKind::Broadcast {
        if let Some(p) = project.and_then(|id| world.projects.get_mut(&id)) {
            p.status = Status::Sending;
            p.pause = None;
            p.updated_at = at;
        }
    }
}

/// Pauses run `seq` at `at` for `reason` (the sandbox's own pause: `auto_paused`).
fn auto_pause(world: &mut World, seq: u32, at: Millis, reason: PauseReason, held: Held) {
    let run = &mut world.engine.runs[seq as usize];
    run.state = RunState::Held(held);
    world.engine.active.remove(&seq);
    counts::hold(world, seq, at, held);
    let run = &world.engine.runs[seq as usize];
    let project = run.project_id.clone();
    if let Some(p) = project.and_then(|id| world.projects.get_mut(&id)) {
        p.status = Status::Paused;
        p.pause = Some(Pause {
            reason,
            auto_paused: true,
        });
        p.updated_at = at;
    }
}

fn finish(world: &mut World, seq: u32, at: Millis) {
    let run = &mut world.engine.runs[seq as usize];
    run.state = RunState::Done;
    world.engine.active.remove(&seq);
    if run.kind != RunKind::Broadcast {
        return;
    }
    let project = run.project_id.clone();
    if let Some(p) = project.and_then(|id| world.projects.get_mut(&id)) {
        p.status = Status::Completed;
        p.pause = None;
        p.completed_at = Some(at);
        p.updated_at = at;
    }
}

/// The next recipient of run `seq` leaves at `at`, unless the window, the funds or the cap stop
/// the run first, or the recipient opted out since the run was built.
fn attempt(world: &mut World, seq: u32, at: Millis) {
    let seed = world.seed;
    let run = &world.engine.runs[seq as usize];
    let idx = run.next;
    if idx >= run.recipients.len() {
        return finish(world, seq, at);
    }
    let r = run.recipients[idx];
    if run.kind == RunKind::Broadcast {
        if let Some(close) = run.closes_at.filter(|c| at >= *c) {
            return auto_pause(world, seq, close, PauseReason::QuietHours, Held::Unsent);
        }
        let owed = &world.engine.owed;
        let broke = run.payers.iter().position(|id| {
            world.orgs.get(id).is_some_and(|o| {
                o.balance_cents as f64 - owed.get(id).copied().unwrap_or(0.0) <= 0.0
            })
        });
        if let Some(i) = broke {
            let reason = if i == 0 {
                PauseReason::InsufficientFundsAutoRechargeFailed
            } else {
                PauseReason::InsufficientFundsAncestor
            };
            return auto_pause(world, seq, at, reason, Held::Unsent);
        }
    }
    if run.kind != RunKind::Reply && world.is_opted_out(&run.org_id, r.phone) {
        let run = &mut world.engine.runs[seq as usize];
        run.recipients[idx].flags |= flag::SKIPPED;
        run.skipped += 1;
        run.next += 1;
        if run.next >= run.recipients.len() {
            finish(world, seq, at);
        }
        return;
    }
    let mut over_cap = false;
    let brand = run.brand_id.clone();
    if let Some(brand) = brand.as_deref().filter(|_| r.has(flag::T_MOBILE)) {
        let cap = world.brands.get(brand).and_then(|b| b.t_mobile_daily_cap);
        if let Some(cap) = cap {
            let used = world.t_mobile_used(brand, outcome::cap_day(at));
            if !outcome::cap_allows(used, cap, u64::from(r.parts)) {
                if !run.daily_cap_bypass {
                    return auto_pause(world, seq, at, PauseReason::BrandDailyCap, Held::OnHold);
                }
                over_cap = true;
            }
        }
        *world
            .t_mobile_parts
            .entry((brand.to_string(), outcome::cap_day(at)))
            .or_default() += u64::from(r.parts);
    }
    let number_id = run.numbers.get(r.pin as usize).map(|n| n.0.clone());
    let test = run.test;
    let project = run.project_id.clone();
    let explicit_thread = run
        .explicit
        .get(idx)
        .and_then(|e| e.conversation_id.clone());
    let run = &mut world.engine.runs[seq as usize];
    let rec = &mut run.recipients[idx];
    rec.attempted_at = at;
    if over_cap {
        rec.flags |= flag::OVER_CAP;
    }
    run.next += 1;
    if let RunState::Sending { count, .. } = &mut run.state {
        *count += 1;
    }
    let o = run.outcome(seed, idx);
    let t = outcome::timing(seed, r.phone, &o);
    let done = run.next >= run.recipients.len();
    world.engine.attempted += 1;
    counts::left(world, seq, at);
    if let Some(d) = t.sent {
        world.engine.push(at + d, seq, idx as u32, Step::Sent);
    } else if let Some(d) = t.receipt {
        world.engine.push(at + d, seq, idx as u32, Step::Receipt);
    }
    // A thread already recorded with this contact shows the message from now on.
    if explicit_thread.is_none() && world.engine.threads.contains(&r.phone) {
        if let Some(number_id) = number_id {
            let conv =
                conversations::thread_id(world, project.as_deref(), &number_id, r.phone, test);
            if world.conversations.contains_key(&conv) {
                record_outbound(world, seq, idx, &conv, MessageStatus::Sending);
            }
        }
    } else if explicit_thread.is_some() {
        update_record(world, seq, idx, MessageStatus::Sending);
    }
    if done {
        finish(world, seq, at);
    }
}
