//! Billing: a delivery is owed at once (the funds check counts it) and written to the ledger per
//! run and tick (never across two UTC days), at each payer's own rate, the key's org initiating.

use crate::domain::project::Protocol;
use crate::domain::time::Millis;
use crate::store::world::Charge;
use crate::store::World;

/// Each payer's rate per part, in cents.
pub(super) fn payer_rates(world: &World, payers: &[String], mms: bool) -> Vec<f64> {
    let rate = charged_rate(if mms { Protocol::Mms } else { Protocol::Sms });
    payers
        .iter()
        .map(|id| world.orgs.get(id).map_or(0.0, |o| rate(&o.rates)))
        .collect()
}

pub(super) fn charged_rate(p: Protocol) -> fn(&crate::domain::registry::Rates) -> f64 {
    match p {
        Protocol::Mms => |r| r.mms_cents,
        Protocol::Sms => |r| r.sms_cents,
    }
}

/// Records that run `seq` delivered `parts` billable parts at `at`: each payer owes them at once
/// (the funds check sees it); the ledger line is written per run and tick, and never spans two
/// UTC days.
pub(super) fn owe(world: &mut World, seq: u32, parts: u64, at: Millis) {
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
pub(super) fn bill_run(world: &mut World, seq: u32, at: Millis) {
    let run = &mut world.engine.runs[seq as usize];
    let parts = std::mem::take(&mut run.unbilled_parts);
    if parts == 0 {
        return;
    }
    let org = run.org_id.clone();
    let initiator = run.initiating_org_id.clone();
    let mms = run.mms;
    let project = run.project_id.clone();
    let campaign = run.campaign_id.clone();
    let brand = run.brand_id.clone();
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
            event_type: "message_delivered",
            quantity: parts,
            project_id: project.as_deref(),
            campaign_id: campaign.as_deref(),
            brand_id: brand.as_deref(),
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
pub(super) fn bill(world: &mut World, at: Millis) {
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
