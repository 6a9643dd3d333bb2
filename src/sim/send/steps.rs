//! What happens to a message after it leaves: `sent`, the receipt, a reply, a click. Each step
//! updates the project's counters and the recorded thread, owes the delivery's price, and is one
//! event of the log.

use super::billing::owe;
use super::rows::{columns, RowValues};
use crate::domain::contacts::phone_from_u64;
use crate::domain::conversation_record::MessageStatus;
use crate::domain::ledger::Logged;
use crate::domain::message;
use crate::domain::outcome::{self, Final};
use crate::domain::project_record::Project;
use crate::domain::send::{self, flag, RunKind, SendRun, Step};
use crate::domain::time::Millis;
use crate::domain::wire::WireEnum;
use crate::sim::conversations::{self, Outbound, Party};
use crate::store::stats::status;
use crate::store::World;

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
    let defaults = crate::sim::projects::merge_defaults(world, &run.org_id);
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
pub(super) fn record_fields(
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
pub(super) fn record_outbound(
    world: &mut World,
    seq: u32,
    idx: usize,
    conv: &str,
    status: MessageStatus,
) {
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
pub(super) fn update_record(world: &mut World, seq: u32, idx: usize, status: MessageStatus) {
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
pub(super) fn count(world: &mut World, run: u32, f: impl FnOnce(&mut Project, bool)) {
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
pub(super) fn run_step(world: &mut World, d: send::Due) -> Option<Logged> {
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
            super::counts::moved(
                world,
                seq,
                r.attempted_at,
                status::SENDING,
                status::SENT,
                0.0,
            );
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
            let billable = outcome::billable(&o, r.has(flag::OVER_CAP));
            if billable {
                owe(world, seq, u64::from(r.parts), d.at);
            }
            let own_rate = world.engine.runs[seq as usize]
                .payer_rates
                .first()
                .copied()
                .unwrap_or(0.0);
            let cost = if billable {
                own_rate * f64::from(r.parts)
            } else {
                0.0
            };
            let from = if o.status.is_sent() {
                status::SENT
            } else {
                status::SENDING
            };
            let to = if delivered {
                status::DELIVERED
            } else {
                status::FAILED
            };
            super::counts::moved(world, seq, r.attempted_at, from, to, cost);
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
            super::counts::received(world, seq, d.at);
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
pub(super) fn ensure_thread(world: &mut World, seq: u32, idx: usize) -> Option<String> {
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
pub(super) fn record_click(world: &mut World, seq: u32, idx: usize) {
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
