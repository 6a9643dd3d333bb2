//! Runs other than building: holding a broadcast (pause, unschedule), starting a test call's or
//! a reply's messages, and adopting a seeded project's history.

use std::collections::HashSet;

use super::billing::payer_rates;
use super::build::schedule;
use crate::domain::message;
use crate::domain::project::Status;
use crate::domain::send::{
    self, flag, Explicit, Held, Recipient, RunKind, RunLink, RunState, SendRun, NOT_ATTEMPTED,
};
use crate::domain::time::Millis;
use crate::store::{tree, World};

/// Stops the broadcast of `project_id` (a pause or an unschedule): what has not left stays
/// `unsent` until the next schedule. Steps of messages already out go on.
pub fn hold(world: &mut World, project_id: &str, at: Millis) {
    let Some(&seq) = world.engine.by_project.get(project_id) else {
        return;
    };
    let run = &mut world.engine.runs[seq as usize];
    if matches!(
        run.state,
        RunState::Waiting { .. } | RunState::Sending { .. }
    ) {
        run.state = RunState::Held(Held::Unsent);
        world.engine.active.remove(&seq);
        super::counts::hold(world, seq, at, Held::Unsent);
    }
}

/// One message a test or a reply sends.
pub struct Single {
    pub id: String,
    pub phone: u64,
    pub text: String,
    /// Index into `numbers`.
    pub pin: u16,
    pub conversation_id: Option<String>,
}

/// Starts a run of explicit messages (a test call or a reply) at `now`: they leave at once,
/// whatever the window. Returns the run's seq.
#[allow(clippy::too_many_arguments)]
pub fn start_single(
    world: &mut World,
    kind: RunKind,
    test: bool,
    project_id: Option<&str>,
    org_id: &str,
    initiating_org_id: &str,
    numbers: Vec<(String, String)>,
    link: Option<RunLink>,
    messages: Vec<Single>,
    now: Millis,
) -> u32 {
    let seq = world.engine.runs.len() as u32;
    let seed = world.seed;
    let mut recipients = Vec::with_capacity(messages.len());
    let mut explicit = Vec::with_capacity(messages.len());
    for m in messages {
        let mut flags = 0;
        if m.conversation_id.is_some() {
            flags |= flag::THREADED;
        }
        if send::is_t_mobile(seed, m.phone, None) {
            flags |= flag::T_MOBILE;
        }
        recipients.push(Recipient {
            phone: m.phone,
            attempted_at: NOT_ATTEMPTED,
            row: 0,
            list: u16::MAX,
            pin: m.pin,
            parts: message::segments(&m.text).parts.clamp(1, 255) as u8,
            line: 0,
            flags,
        });
        explicit.push(Explicit {
            id: m.id,
            text: m.text,
            conversation_id: m.conversation_id,
        });
    }
    let payers: Vec<String> = std::iter::once(org_id.to_string())
        .chain(
            tree::ancestors(world, org_id)
                .into_iter()
                .map(str::to_string),
        )
        .collect();
    let payer_rates = payer_rates(world, &payers, false);
    world.engine.runs.push(SendRun {
        seq,
        kind,
        test,
        project_id: project_id.map(str::to_string),
        org_id: org_id.to_string(),
        initiating_org_id: initiating_org_id.to_string(),
        brand_id: None,
        campaign_id: project_id
            .and_then(|id| world.projects.get(id))
            .and_then(|p| p.campaign_id.clone()),
        held_count: None,
        current_numbers: (0..numbers.len() as u16).collect(),
        numbers,
        lists: Vec::new(),
        text: String::new(),
        footer: false,
        mms: false,
        link,
        explicit,
        recipients,
        next: 0,
        skipped: 0,
        state: RunState::Sending {
            start: now,
            count: 0,
        },
        per_minute: f64::INFINITY,
        window: None,
        closes_at: None,
        rates: world.engine.settings.rates,
        daily_cap_bypass: false,
        payers,
        payer_rates,
        unbilled_parts: 0,
        unbilled_since: now,
        cost_cents: 0.0,
        created_at: now,
    });
    world.engine.active.insert(seq);
    seq
}

/// Builds the run of a seeded project that is scheduled, sending or paused. The recipients its
/// seeded history already reached (`reached`) count as attempted at `at` (they get no steps:
/// their story is history), so resuming never sends to them again. A paused project's run is held.
pub fn adopt(
    world: &mut World,
    project_id: &str,
    reached: &HashSet<u64>,
    from: Millis,
    at: Millis,
) {
    let Some(p) = world.projects.get(project_id) else {
        return;
    };
    let (org, status) = (p.org_id.clone(), p.status);
    if schedule(world, project_id, &org, from, at).is_none() {
        return;
    }
    let seq = world.engine.by_project[project_id];
    let run = &mut world.engine.runs[seq as usize];
    let (mut done, rest): (Vec<Recipient>, Vec<Recipient>) = run
        .recipients
        .drain(..)
        .partition(|r| reached.contains(&r.phone));
    for r in &mut done {
        r.attempted_at = at;
    }
    run.next = done.len();
    run.recipients = done;
    run.recipients.extend(rest);
    match status {
        Status::Sending => {
            run.state = RunState::Waiting { from };
        }
        Status::Scheduled => {}
        _ => {
            run.state = RunState::Held(Held::Unsent);
            world.engine.active.remove(&seq);
        }
    }
}
