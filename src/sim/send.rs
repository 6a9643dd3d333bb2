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

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use super::conversations::{self, Outbound, Party};
use super::effects::Effect;
use super::jobs::Job;
use crate::domain::contacts::{phone_from_u64, ContactList, Contacts};
use crate::domain::conversation_record::MessageStatus;
use crate::domain::ledger::Logged;
use crate::domain::message::{self, MergeValues, Template};
use crate::domain::outcome::{self, Final};
use crate::domain::project::{Channel, Pause, PauseReason, Protocol, Status};
use crate::domain::project_record::Project;
use crate::domain::send::{
    self, attempt_at, flag, Explicit, Held, Recipient, RunKind, RunLink, RunState, SendRun, Step,
    NOT_ATTEMPTED,
};
use crate::domain::time::Millis;
use crate::domain::window::{self, Window};
use crate::domain::wire::WireEnum;
use crate::store::world::Charge;
use crate::store::{tree, World};

/// The most starts, attempts and steps one tick handles under the write lock.
pub const BUDGET: usize = 20_000;

/// A list recipient's merge values, read from the list's columns without building a map.
struct RowValues<'a> {
    contacts: &'a Contacts,
    /// (tag, column) of the list's merge tags.
    columns: &'a [(String, usize)],
    row: usize,
    phone: &'a str,
}

impl MergeValues for RowValues<'_> {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        if tag == message::PHONE_TAG {
            return Some(self.phone);
        }
        self.columns
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, col)| self.contacts.field(self.row, *col))
    }
}

/// The (tag, column) pairs of a list, and the column of a field by tag or header name.
fn columns(list: &ContactList) -> Vec<(String, usize)> {
    list.merge_tags
        .iter()
        .filter_map(|t| {
            list.contacts
                .headers
                .iter()
                .position(|h| *h == t.csv_column)
                .map(|col| (t.merge_tag.clone(), col))
        })
        .collect()
}

/// Each payer's rate per part, in cents.
fn payer_rates(world: &World, payers: &[String], mms: bool) -> Vec<f64> {
    let rate = charged_rate(if mms { Protocol::Mms } else { Protocol::Sms });
    payers
        .iter()
        .map(|id| world.orgs.get(id).map_or(0.0, |o| rate(&o.rates)))
        .collect()
}

fn charged_rate(p: Protocol) -> fn(&crate::domain::registry::Rates) -> f64 {
    match p {
        Protocol::Mms => |r| r.mms_cents,
        Protocol::Sms => |r| r.sms_cents,
    }
}

// ---------------------------------------------------------------------------------------------
// Starting, pausing, resuming
// ---------------------------------------------------------------------------------------------

/// The audience of `p` in order: its lists' contacts (list, row), less suppressions and opt-outs,
/// each phone once.
fn audience_rows(world: &World, p: &Project) -> Vec<(u16, u32, u64)> {
    let suppressed: HashSet<u64> = p
        .suppression_list_ids
        .iter()
        .filter_map(|id| world.contact_lists.get(id))
        .flat_map(|l| l.contacts.phones.iter().copied())
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (li, id) in p.contact_list_ids.iter().enumerate() {
        let Some(list) = world.contact_lists.get(id) else {
            continue;
        };
        for (row, &phone) in list.contacts.phones.iter().enumerate() {
            if !suppressed.contains(&phone)
                && !world.is_opted_out(&p.org_id, phone)
                && seen.insert(phone)
            {
                out.push((li as u16, row as u32, phone));
            }
        }
    }
    out
}

/// A list's contacts and its (tag, column) pairs.
type ListColumns<'a> = (&'a Contacts, Vec<(String, usize)>);

/// Parts of each recipient's rendered text: computed once when the text has no merge tags.
struct PartsOf<'a> {
    template: Template,
    fixed: Option<u8>,
    defaults: BTreeMap<String, String>,
    link: Option<String>,
    footer: bool,
    lists: Vec<Option<ListColumns<'a>>>,
}

impl PartsOf<'_> {
    fn parts(&self, list: u16, row: u32, phone: u64) -> u8 {
        if let Some(p) = self.fixed {
            return p;
        }
        let Some(Some((contacts, cols))) = self.lists.get(list as usize) else {
            return 1;
        };
        let phone = phone_from_u64(phone);
        let values = RowValues {
            contacts,
            columns: cols,
            row: row as usize,
            phone: &phone,
        };
        let text = message::with_footer(
            &self
                .template
                .render(&values, &self.defaults, self.link.as_deref()),
            self.footer,
        );
        message::segments(&text).parts.clamp(1, 255) as u8
    }
}

/// A broadcast run built from a read of the world, to install under the write lock.
pub struct Built {
    run: SendRun,
    /// The project's `updated_at` when it was built: a later change makes the build stale.
    stamp: Millis,
    /// The run it replaces, if any.
    replaces: Option<u32>,
}

/// Builds (or, on a resume, refreshes) the broadcast run of `project_id` and sets it waiting
/// from `from`, then installs it. Returns when to tick.
pub fn schedule(
    world: &mut World,
    project_id: &str,
    initiating_org_id: &str,
    from: Millis,
    now: Millis,
) -> Option<Millis> {
    let built = build(world, project_id, initiating_org_id, from, now)?;
    install(world, built, false).then_some(from)
}

/// Installs a run built by [`build`], unless the world moved on meanwhile: the project changed
/// (a pause or unschedule came first), or `scheduled_only` and it is no longer scheduled, or
/// another run took its place. Returns whether it was installed.
pub fn install(world: &mut World, built: Built, scheduled_only: bool) -> bool {
    let Built {
        mut run,
        stamp,
        replaces,
    } = built;
    let Some(project_id) = run.project_id.clone() else {
        return false;
    };
    let fresh = world.projects.get(&project_id).is_some_and(|p| {
        p.updated_at == stamp && (!scheduled_only || p.status == Status::Scheduled)
    });
    if !fresh || world.engine.by_project.get(&project_id).copied() != replaces {
        return false;
    }
    let seq = match replaces {
        Some(seq) => seq,
        None => world.engine.runs.len() as u32,
    };
    run.seq = seq;
    if replaces.is_some() {
        world.engine.runs[seq as usize] = run;
    } else {
        world.engine.runs.push(run);
        world.engine.by_project.insert(project_id, seq);
    }
    world.engine.active.insert(seq);
    true
}

/// The run `schedule` installs, built from a read of the world (a million recipients take a
/// few hundred milliseconds: under a read lock, readers go on). Recipients already attempted
/// stay as they are; the rest are taken from the audience as it is now (a PATCH between runs may
/// have changed lists or numbers), keeping the numbers they were pinned to while those stay on
/// the project.
pub fn build(
    world: &World,
    project_id: &str,
    initiating_org_id: &str,
    from: Millis,
    now: Millis,
) -> Option<Built> {
    let p = world.projects.get(project_id)?.clone();
    let seed = world.seed;
    let existing = world.engine.by_project.get(project_id).copied();
    let mut run = match existing {
        Some(seq) => world.engine.runs[seq as usize].clone(),
        None => SendRun {
            seq: world.engine.runs.len() as u32,
            kind: RunKind::Broadcast,
            test: false,
            project_id: Some(p.id.clone()),
            org_id: p.org_id.clone(),
            initiating_org_id: String::new(),
            brand_id: None,
            numbers: Vec::new(),
            current_numbers: Vec::new(),
            lists: Vec::new(),
            text: String::new(),
            footer: true,
            mms: false,
            link: None,
            explicit: Vec::new(),
            recipients: Vec::new(),
            next: 0,
            state: RunState::Done,
            per_minute: send::DEFAULT_PER_MINUTE,
            window: None,
            closes_at: None,
            rates: world.engine.settings.rates,
            daily_cap_bypass: false,
            payers: Vec::new(),
            payer_rates: Vec::new(),
            unbilled_parts: 0,
            unbilled_since: now,
            cost_cents: 0.0,
            created_at: now,
        },
    };
    run.initiating_org_id = initiating_org_id.to_string();
    run.brand_id = (p.channel == Channel::TenDlc)
        .then(|| p.brand_id.clone())
        .flatten();
    run.text = p.message_text.clone().unwrap_or_default();
    run.footer = p.opt_out_footer_enabled;
    run.mms = p.protocol == Protocol::Mms || !p.media_ids.is_empty();
    run.daily_cap_bypass = p.daily_cap_bypass;
    run.payers = std::iter::once(p.org_id.clone())
        .chain(
            tree::ancestors(world, &p.org_id)
                .into_iter()
                .map(str::to_string),
        )
        .collect();
    run.payer_rates = payer_rates(world, &run.payers, run.mms);
    let domain = p
        .link
        .domain_id
        .as_deref()
        .and_then(|d| world.tracking_domains.get(d))
        .map_or("l.example".to_string(), |d| d.domain.clone());
    run.link = p.link.enabled.then_some(RunLink { domain });
    let tpm = p
        .campaign_id
        .as_deref()
        .and_then(|c| world.campaigns.get(c))
        .and_then(|c| {
            if run.mms {
                c.att_mms_tpm
            } else {
                c.att_sms_tpm
            }
        });
    run.per_minute = send::per_minute(&world.engine.settings, tpm);
    // Numbers: the registry only grows, so pins stay valid.
    run.current_numbers = p
        .phone_number_ids
        .iter()
        .filter_map(|id| {
            let e164 = world.phone_numbers.get(id)?.number.clone();
            let at = match run.numbers.iter().position(|(n, _)| n == id) {
                Some(i) => i,
                None => {
                    run.numbers.push((id.clone(), e164));
                    run.numbers.len() - 1
                }
            };
            u16::try_from(at).ok()
        })
        .collect();
    // Lists: the registry only grows too (rows of old recipients keep their meaning).
    let list_index: Vec<u16> = p
        .contact_list_ids
        .iter()
        .map(|id| match run.lists.iter().position(|l| l == id) {
            Some(i) => i as u16,
            None => {
                run.lists.push(id.clone());
                (run.lists.len() - 1) as u16
            }
        })
        .collect();
    // The unattempted tail is rebuilt from the audience as it is now.
    let old_pins: HashMap<u64, u16> = run.recipients[run.next.min(run.recipients.len())..]
        .iter()
        .map(|r| (r.phone, r.pin))
        .collect();
    run.recipients.truncate(run.next);
    let done: HashSet<u64> = run.recipients.iter().map(|r| r.phone).collect();
    let template = message::parse(&run.text);
    let defaults = super::projects::merge_defaults(world, &p.org_id);
    let link = run
        .link
        .as_ref()
        .map(|l| message::short_link(&l.domain, send::SAMPLE_LINK_CODE));
    let fixed = template.tags().is_empty().then(|| {
        let text = message::with_footer(
            &template.render(&message::NoValues, &defaults, link.as_deref()),
            run.footer,
        );
        message::segments(&text).parts.clamp(1, 255) as u8
    });
    let rows = audience_rows(world, &p);
    let mut fresh = Vec::with_capacity(rows.len());
    {
        let parts_of = PartsOf {
            fixed,
            defaults: defaults.clone(),
            link: link.clone(),
            footer: run.footer,
            lists: run
                .lists
                .iter()
                .map(|id| {
                    world
                        .contact_lists
                        .get(id)
                        .map(|l| (l.contacts.as_ref(), columns(l)))
                })
                .collect(),
            template,
        };
        for (li, row, phone) in rows {
            if done.contains(&phone) {
                continue;
            }
            let list = list_index[li as usize];
            let line = run
                .lists
                .get(list as usize)
                .and_then(|id| world.contact_lists.get(id))
                .and_then(|l| l.contacts.line_type(row as usize));
            let mut flags = 0;
            if send::is_t_mobile(seed, phone, line) {
                flags |= flag::T_MOBILE;
            }
            fresh.push(Recipient {
                phone,
                attempted_at: NOT_ATTEMPTED,
                row,
                list,
                pin: old_pins.get(&phone).copied().unwrap_or(u16::MAX),
                parts: parts_of.parts(list, row, phone),
                line: send::line_byte(line),
                flags,
            });
        }
    }
    // Pins: kept while the number stays on the project, else drawn by a seeded hash.
    let current = run.current_numbers.clone();
    for r in &mut fresh {
        if !current.contains(&r.pin) && !current.is_empty() {
            r.pin = current[send::pin_index(seed, &p.id, r.phone, current.len())];
        }
    }
    run.recipients.extend(fresh);
    run.window = Some(Window::for_recipients(
        run.recipients.iter().map(|r| r.phone),
    ));
    run.state = RunState::Waiting { from };
    Some(Built {
        run,
        stamp: p.updated_at,
        replaces: existing,
    })
}

/// Stops the broadcast of `project_id` (a pause or an unschedule): what has not left stays
/// `unsent` until the next schedule. Steps of messages already out go on.
pub fn hold(world: &mut World, project_id: &str) {
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

// ---------------------------------------------------------------------------------------------
// The tick
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Messages' steps
// ---------------------------------------------------------------------------------------------

/// The id of the outbound message to recipient `idx` of `run`.
pub fn outbound_id(seed: u64, run: &SendRun, idx: usize) -> String {
    match run.explicit.get(idx) {
        Some(e) => e.id.clone(),
        None => send::message_id(seed, run.seq, idx as u32, run.recipients[idx].attempted_at),
    }
}

/// The thread id of recipient `idx` of `run`.
pub fn thread_of(world: &World, run: &SendRun, idx: usize) -> String {
    if let Some(c) = run
        .explicit
        .get(idx)
        .and_then(|e| e.conversation_id.clone())
    {
        return c;
    }
    let r = &run.recipients[idx];
    let number = run.numbers.get(r.pin as usize).map_or("", |n| n.0.as_str());
    conversations::thread_id(world, run.project_id.as_deref(), number, r.phone, run.test)
}

/// The short link of recipient `idx` of `run`, when the run tracks links.
pub fn short_link(seed: u64, run: &SendRun, idx: usize) -> Option<String> {
    run.link
        .as_ref()
        .map(|l| message::short_link(&l.domain, &send::link_code(seed, run.seq, idx as u32)))
}

/// The text recipient `idx` of `run` got, footer and link included.
pub fn rendered_text(world: &World, run: &SendRun, idx: usize) -> String {
    if let Some(e) = run.explicit.get(idx) {
        return e.text.clone();
    }
    let r = &run.recipients[idx];
    let defaults = super::projects::merge_defaults(world, &run.org_id);
    let link = short_link(world.seed, run, idx);
    let phone = phone_from_u64(r.phone);
    let template = message::parse(&run.text);
    let list = run
        .lists
        .get(r.list as usize)
        .and_then(|id| world.contact_lists.get(id));
    let text = match list {
        Some(l) => {
            let cols = columns(l);
            template.render(
                &RowValues {
                    contacts: &l.contacts,
                    columns: &cols,
                    row: r.row as usize,
                    phone: &phone,
                },
                &defaults,
                link.as_deref(),
            )
        }
        None => template.render(&message::NoValues, &defaults, link.as_deref()),
    };
    message::with_footer(&text, run.footer)
}

/// The message's status, times and error code once `step` has happened.
fn record_fields(
    seed: u64,
    run: &SendRun,
    idx: usize,
    status: MessageStatus,
) -> (Option<Millis>, Option<Millis>, Option<String>) {
    let r = &run.recipients[idx];
    let o = run.outcome(seed, idx);
    let t = outcome::timing(seed, r.phone, &o);
    let reached = |s: MessageStatus| {
        matches!(
            status,
            MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Failed
        ) && s != MessageStatus::Sending
    };
    let sent_at = t
        .sent
        .filter(|_| reached(status))
        .map(|d| r.attempted_at + d);
    let delivered_at = t
        .receipt
        .filter(|_| status == MessageStatus::Delivered)
        .map(|d| r.attempted_at + d);
    let error = (status == MessageStatus::Failed)
        .then(|| o.status.error_code().map(|c| c.as_str().to_string()))
        .flatten();
    (sent_at, delivered_at, error)
}

/// Records the outbound message of recipient `idx` on thread `conv` with `status`.
fn record_outbound(world: &mut World, seq: u32, idx: usize, conv: &str, status: MessageStatus) {
    let seed = world.seed;
    let run = &world.engine.runs[seq as usize];
    let id = outbound_id(seed, run, idx);
    let text = rendered_text(world, run, idx);
    let (sent_at, delivered_at, error_code) = record_fields(seed, run, idx, status);
    let at = run.recipients[idx].attempted_at;
    conversations::add_outbound(
        world,
        conv,
        Outbound {
            id,
            text: &text,
            status,
            sent_at,
            delivered_at,
            error_code,
            at,
        },
    );
    world.engine.runs[seq as usize].recipients[idx].flags |= flag::THREADED;
}

/// Updates the recorded message of recipient `idx` (if it is recorded) to `status`.
fn update_record(world: &mut World, seq: u32, idx: usize, status: MessageStatus) {
    let seed = world.seed;
    let run = &world.engine.runs[seq as usize];
    if !run.recipients[idx].has(flag::THREADED) {
        return;
    }
    let id = outbound_id(seed, run, idx);
    let (sent_at, delivered_at, error_code) = record_fields(seed, run, idx, status);
    if let Some(m) = world.messages.get_mut(&id) {
        m.status = status;
        m.sent_at = sent_at;
        m.delivered_at = delivered_at;
        m.error_code = error_code;
    }
}

/// What the step changes in the project's counters.
fn count(world: &mut World, run: u32, f: impl FnOnce(&mut Project, bool)) {
    let run = &world.engine.runs[run as usize];
    let test = run.test;
    let Some(id) = run.project_id.clone() else {
        return;
    };
    if run.kind == RunKind::Reply {
        return;
    }
    if let Some(p) = world.projects.get_mut(&id) {
        f(p, test);
    }
}

/// Happens step `d`: counters, the conversation record, billing. Returns its event.
fn run_step(world: &mut World, d: send::Due) -> Option<Logged> {
    let seed = world.seed;
    let seq = d.run;
    let idx = d.idx as usize;
    let run = world.engine.runs.get(seq as usize)?;
    let r = *run.recipients.get(idx)?;
    let o = run.outcome(seed, idx);
    let t = outcome::timing(seed, r.phone, &o);
    let event = Logged::Message {
        run: seq,
        idx: d.idx,
        step: d.step,
        at: d.at,
    };
    match d.step {
        Step::Sent => {
            count(world, seq, |p, test| {
                if !test {
                    p.metrics.sent += 1;
                }
            });
            update_record(world, seq, idx, MessageStatus::Sent);
            if let Some(receipt) = t.receipt {
                world
                    .engine
                    .push(r.attempted_at + receipt, seq, d.idx, Step::Receipt);
            }
        }
        Step::Receipt => {
            let delivered = o.status.is_delivered();
            count(world, seq, |p, test| match (test, delivered) {
                (false, true) => p.metrics.delivered += 1,
                (false, false) => p.metrics.undeliverable += 1,
                (true, d) => {
                    p.test.sent = p.test.sent.saturating_sub(1);
                    if d {
                        p.test.delivered += 1;
                    } else {
                        p.test.failed += 1;
                    }
                }
            });
            if outcome::billable(&o, r.has(flag::OVER_CAP)) {
                owe(world, seq, u64::from(r.parts), d.at);
            }
            let status = if delivered {
                MessageStatus::Delivered
            } else {
                MessageStatus::Failed
            };
            update_record(world, seq, idx, status);
            let tracks_links = world.engine.runs[seq as usize].link.is_some();
            if let Some(reply) = t.reply {
                world
                    .engine
                    .push(r.attempted_at + reply, seq, d.idx, Step::Reply);
            }
            if let Some(click) = t.click.filter(|_| tracks_links) {
                world
                    .engine
                    .push(r.attempted_at + click, seq, d.idx, Step::Click);
            }
        }
        Step::Reply => {
            let reply = o.reply?;
            let conv = ensure_thread(world, seq, idx)?;
            let id = send::inbound_id(seed, seq, d.idx, d.at);
            conversations::record_inbound(world, &conv, id, reply.text, d.at)?;
            count(world, seq, |p, test| {
                if test {
                    p.test.replies += 1;
                } else {
                    p.metrics.replies += 1;
                    if reply.opt_out {
                        p.metrics.opt_outs += 1;
                    }
                }
            });
        }
        Step::Click => {
            record_click(world, seq, idx);
        }
    }
    Some(event)
}

/// The recorded thread of recipient `idx`, recording it (and the outbound message, with its
/// status as of now) if needed.
fn ensure_thread(world: &mut World, seq: u32, idx: usize) -> Option<String> {
    let run = &world.engine.runs[seq as usize];
    let r = run.recipients[idx];
    let conv = thread_of(world, run, idx);
    if !world.conversations.contains_key(&conv) {
        let (number_id, _) = run.numbers.get(r.pin as usize)?.clone();
        let org = run.org_id.clone();
        let project = run.project_id.clone();
        let test = run.test;
        conversations::thread(
            world,
            Party {
                number_id: &number_id,
                phone: r.phone,
                org_id: Some(&org),
                project_id: project.as_deref(),
                is_test: test,
            },
            r.attempted_at,
        )?;
    }
    if !r.has(flag::THREADED) {
        let o = world.engine.runs[seq as usize].outcome(world.seed, idx);
        let status = match o.status {
            Final::Delivered => MessageStatus::Delivered,
            Final::Failed { .. } | Final::Rejected { .. } => MessageStatus::Failed,
            Final::SentNoReceipt => MessageStatus::Sent,
            Final::Skipped => MessageStatus::Unsent,
        };
        record_outbound(world, seq, idx, &conv, status);
    }
    Some(conv)
}

/// Counts a click of recipient `idx` (unique once per recipient).
fn record_click(world: &mut World, seq: u32, idx: usize) {
    let run = &mut world.engine.runs[seq as usize];
    let first = !run.recipients[idx].has(flag::CLICKED);
    run.recipients[idx].flags |= flag::CLICKED;
    count(world, seq, |p, test| {
        if test {
            p.test.clicks_total += 1;
            p.test.clicks_unique += u64::from(first);
        } else {
            p.metrics.clicks_total += 1;
            p.metrics.clicks_unique += u64::from(first);
        }
    });
}

/// Records that run `seq` delivered `parts` billable parts at `at`: each payer owes them at once
/// (the funds check sees it); the ledger line is written per run and tick, and never spans two
/// UTC days.
fn owe(world: &mut World, seq: u32, parts: u64, at: Millis) {
    let run = &world.engine.runs[seq as usize];
    let day = |ms: Millis| ms.div_euclid(crate::domain::time::DAY);
    if run.unbilled_parts > 0 && day(run.unbilled_since) != day(at) {
        let since = run.unbilled_since;
        bill_run(world, seq, since);
    }
    let run = &mut world.engine.runs[seq as usize];
    if run.unbilled_parts == 0 {
        run.unbilled_since = at;
    }
    run.unbilled_parts += parts;
    for (id, rate) in run.payers.iter().zip(&run.payer_rates) {
        *world.engine.owed.entry(id.clone()).or_default() += rate * parts as f64;
    }
}

/// Writes what run `seq` owes to the ledger (one line per payer, at each payer's own rate, the
/// key's org initiating) and takes it off the balances.
fn bill_run(world: &mut World, seq: u32, at: Millis) {
    let run = &mut world.engine.runs[seq as usize];
    let parts = std::mem::take(&mut run.unbilled_parts);
    if parts == 0 {
        return;
    }
    let org = run.org_id.clone();
    let initiator = run.initiating_org_id.clone();
    let reference = run
        .project_id
        .clone()
        .unwrap_or_else(|| run.explicit.first().map_or(String::new(), |e| e.id.clone()));
    let mms = run.mms;
    let settled: Vec<(String, f64)> = run
        .payers
        .iter()
        .zip(&run.payer_rates)
        .map(|(id, rate)| (id.clone(), rate * parts as f64))
        .collect();
    let own = world.charge(
        Charge {
            org_id: &org,
            initiating_org_id: &initiator,
            kind: if mms { "mms" } else { "sms" },
            quantity: parts,
            reference_id: &reference,
            at,
        },
        charged_rate(if mms { Protocol::Mms } else { Protocol::Sms }),
    );
    world.engine.runs[seq as usize].cost_cents += own;
    for (id, cents) in settled {
        if let Some(o) = world.engine.owed.get_mut(&id) {
            *o = (*o - cents).max(0.0);
        }
    }
}

/// Writes every run's unbilled parts to the ledger.
fn bill(world: &mut World, at: Millis) {
    let due: Vec<u32> = world
        .engine
        .runs
        .iter()
        .filter(|r| r.unbilled_parts > 0)
        .map(|r| r.seq)
        .collect();
    for seq in due {
        bill_run(world, seq, at);
    }
}

// ---------------------------------------------------------------------------------------------
// Clicks
// ---------------------------------------------------------------------------------------------

/// Why a click cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickError {
    /// No such link.
    Unknown,
    /// The message has not left yet.
    NotSent,
}

/// Where recipient `idx`'s click goes, by the project's link settings and their field.
pub fn destination(world: &World, run: &SendRun, idx: usize) -> String {
    let Some(p) = run
        .project_id
        .as_deref()
        .and_then(|id| world.projects.get(id))
    else {
        return String::new();
    };
    let Some(dest) = p.link.destination_url.as_deref() else {
        return String::new();
    };
    let plan = match message::check_link_settings(
        dest,
        p.link.param_field.as_deref(),
        p.link.fallback_url.as_deref(),
    ) {
        Ok(plan) => plan,
        Err(_) => return dest.to_string(),
    };
    let r = &run.recipients[idx];
    let phone = phone_from_u64(r.phone);
    let value = plan.param_field().and_then(|field| {
        if field == message::PHONE_TAG {
            return Some(phone.clone());
        }
        let list = world.contact_lists.get(run.lists.get(r.list as usize)?)?;
        let col = columns(list)
            .into_iter()
            .find(|(t, _)| t == field)
            .map(|(_, c)| c)
            .or_else(|| list.contacts.headers.iter().position(|h| h == field))?;
        Some(list.contacts.field(r.row as usize, col).to_string())
    });
    message::redirect_target(&plan, value.as_deref())
}

/// A click on link `code` at `at` (the redirect of `/_sandbox/l/{code}` or `/_sandbox/clicks`):
/// counted like a simulated one. Returns the destination and the `link.clicked` event.
pub fn click(
    world: &mut World,
    code: &str,
    user_agent: &str,
    at: Millis,
) -> Result<(String, Logged), ClickError> {
    let (seq, idx) = send::parse_link_code(world.seed, code).ok_or(ClickError::Unknown)?;
    let run = world
        .engine
        .runs
        .get(seq as usize)
        .filter(|r| r.link.is_some())
        .ok_or(ClickError::Unknown)?;
    let r = run
        .recipients
        .get(idx as usize)
        .ok_or(ClickError::Unknown)?;
    if !r.attempted() || at < r.attempted_at {
        return Err(ClickError::NotSent);
    }
    let dest = destination(world, run, idx as usize);
    let url = short_link(world.seed, run, idx as usize).unwrap_or_default();
    let event = Logged::full(
        "link.clicked",
        at,
        json!({
            "link_id": code,
            "url": url,
            "destination_url": dest,
            "project_id": run.project_id,
            "contact_phone": phone_from_u64(r.phone),
            "clicked_at": crate::domain::time::format(at),
            "user_agent": user_agent,
        }),
    );
    record_click(world, seq, idx as usize);
    Ok((dest, event))
}

// ---------------------------------------------------------------------------------------------
// Seeded history
// ---------------------------------------------------------------------------------------------

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
