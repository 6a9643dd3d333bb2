//! Building a broadcast run: the audience as it is now, each recipient's parts, T-Mobile flag
//! and pinned number; built from a read of the world and installed under the write lock.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::billing::payer_rates;
use super::rows::{columns, RowValues};
use crate::domain::contacts::{phone_from_u64, Contacts};
use crate::domain::message::{self, Template};
use crate::domain::project::{Channel, Protocol, Status};
use crate::domain::project_record::Project;
use crate::domain::send::{
    self, flag, Recipient, RunKind, RunLink, RunState, SendRun, NOT_ATTEMPTED,
};
use crate::domain::time::Millis;
use crate::domain::window::Window;
use crate::store::{tree, World};

/// The audience of `p` in order: its lists' contacts (list, row), less suppressions and opt-outs,
/// each phone once.
pub(super) fn audience_rows(world: &World, p: &Project) -> Vec<(u16, u32, u64)> {
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
pub(super) type ListColumns<'a> = (&'a Contacts, Vec<(String, usize)>);

/// Parts of each recipient's rendered text: computed once when the text has no merge tags.
pub(super) struct PartsOf<'a> {
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
    if let Some(held) = run.held_count.take() {
        super::counts::unhold(world, &run, held);
    }
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
            campaign_id: None,
            held_count: None,
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
            skipped: 0,
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
    run.campaign_id = p.campaign_id.clone();
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
    run.link = crate::sim::projects::link_domain(world, &p).map(|domain| RunLink { domain });
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
    let defaults = crate::sim::projects::merge_defaults(world, &p.org_id);
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
