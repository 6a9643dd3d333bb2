//! What a send adds to the per-day message aggregates (`store::stats`): each message counts on
//! the UTC day it left, under its current status, moving `sending → sent → delivered | failed`
//! as its steps happen (with its cost once billed); a reply counts as `received` on its own day;
//! recipients a pause or a cap leaves waiting count as `unsent` / `on_hold` until the send
//! resumes.

use crate::domain::send::{Held, SendRun};
use crate::domain::time::Millis;
use crate::store::stats::{day_of, status, MessageDelta};
use crate::store::World;

/// Adds `count` messages of run `seq` with `status` to day `day`.
fn add(world: &mut World, seq: u32, day: i64, status: usize, count: i64) {
    let run = &world.engine.runs[seq as usize];
    let (org, campaign, project) = (
        run.org_id.clone(),
        run.campaign_id.clone(),
        run.project_id.clone(),
    );
    world.stats.message(MessageDelta {
        org_id: &org,
        campaign_id: campaign.as_deref(),
        project_id: project.as_deref(),
        day,
        status,
        count,
        cost_cents: 0.0,
    });
}

/// A message of run `seq` left at `at`.
pub(super) fn left(world: &mut World, seq: u32, at: Millis) {
    add(world, seq, day_of(at), status::SENDING, 1);
}

/// A message of run `seq` that left at `left_at` moved from status `from` to `to`, costing the
/// org `cost_cents`.
pub(super) fn moved(
    world: &mut World,
    seq: u32,
    left_at: Millis,
    from: usize,
    to: usize,
    cost_cents: f64,
) {
    let run = &world.engine.runs[seq as usize];
    let (org, campaign) = (run.org_id.clone(), run.campaign_id.clone());
    world.stats.moved(
        &org,
        campaign.as_deref(),
        day_of(left_at),
        from,
        to,
        1,
        cost_cents,
    );
}

/// A reply to run `seq` arrived at `at`.
pub(super) fn received(world: &mut World, seq: u32, at: Millis) {
    add(world, seq, day_of(at), status::RECEIVED, 1);
}

/// Run `seq` stopped at `at` with recipients left: they count as `unsent` or `on_hold`.
pub(super) fn hold(world: &mut World, seq: u32, at: Millis, held: Held) {
    let run = &world.engine.runs[seq as usize];
    let n = run.remaining() as i64;
    if n == 0 || run.held_count.is_some() {
        return;
    }
    let st = match held {
        Held::Unsent => status::UNSENT,
        Held::OnHold => status::ON_HOLD,
    };
    add(world, seq, day_of(at), st, n);
    world.engine.runs[seq as usize].held_count = Some((day_of(at), st, n));
}

/// The send resumes: its waiting recipients no longer count as waiting.
pub(super) fn unhold(world: &mut World, run: &SendRun, (day, st, n): (i64, usize, i64)) {
    world.stats.message(MessageDelta {
        org_id: &run.org_id,
        campaign_id: run.campaign_id.as_deref(),
        project_id: None,
        day,
        status: st,
        count: -n,
        cost_cents: 0.0,
    });
}
