//! LRN line-type analysis of a contact list: starting a run (the gate, the cost, the balance
//! check, the charge and the state change) and completing it (lookups, breakdown, the
//! `contact_list.analyzed` event). The API handler and the seeding call the same functions, so a
//! seeded analyzed list is exactly what a finished run leaves behind.

use std::collections::BTreeMap;

use serde_json::json;

use super::jobs::Job;
use crate::domain::contacts::{AnalysisStatus, ContactList, ImportStatus, LineType};
use crate::domain::ledger::{round_cents, Logged};
use crate::domain::lrn;
use crate::domain::time::Millis;
use crate::domain::wire::WireEnum;
use crate::error::{ApiError, Code};
use crate::store::world::Charge;
use crate::store::World;

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The import failed: there is nothing to analyze.
    ImportFailed,
    /// The import is still running.
    StillImporting,
    /// The balance of the list's organization does not cover the lookups.
    InsufficientBalance {
        organization_id: String,
        balance_cents: i64,
        required_cents: f64,
    },
    /// The list vanished between lookup and start.
    Missing,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::ImportFailed => ApiError::coded(
                Code::ListNotReady,
                "the list's import failed; nothing can be analyzed",
            ),
            Refusal::StillImporting => ApiError::coded(
                Code::ListNotReady,
                "the list is still importing; analyze it once its import status is ready",
            ),
            Refusal::InsufficientBalance {
                organization_id,
                balance_cents,
                required_cents,
            } => ApiError::coded(
                Code::InsufficientBalance,
                "the organization's balance does not cover this analysis; add funds and retry",
            )
            .with_details(json!({
                "balance_cents": balance_cents,
                "required_cents": crate::domain::ledger::js_number(required_cents),
                "organization_id": organization_id,
            })),
            Refusal::Missing => ApiError::NotFound {
                resource: "Contact list",
            },
        }
    }
}

/// What asking for an analysis did.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// A run is already going: nothing new is charged.
    AlreadyRunning { queued: u64, remaining_seconds: i64 },
    /// Every contact has been looked up already.
    NothingLeft { analyzed_numbers: u64 },
    /// A new run over the contacts not yet looked up, charged; `job` completes it.
    Queued {
        queued: u64,
        seconds: u64,
        cost_cents: f64,
        completes_at: Millis,
        job: Job,
    },
}

/// Seconds (rounded up) until a run completing at `completes_at` is done.
pub fn remaining_seconds(completes_at: Option<Millis>, now: Millis) -> i64 {
    completes_at.map_or(0, |c| ((c - now).max(0) + 999) / 1000)
}

/// Starts an analysis of `list_id` at `now` for a caller of `initiating_org_id`, at
/// `numbers_per_second` lookups per sandbox second.
pub fn start(
    world: &mut World,
    list_id: &str,
    initiating_org_id: &str,
    now: Millis,
    numbers_per_second: u64,
) -> Result<Started, Refusal> {
    let list = world.contact_lists.get(list_id).ok_or(Refusal::Missing)?;
    match list.import.status {
        ImportStatus::Ready => {}
        ImportStatus::Failed => return Err(Refusal::ImportFailed),
        ImportStatus::Uploading | ImportStatus::Processing => return Err(Refusal::StillImporting),
    }
    if list.analysis.status == AnalysisStatus::Processing {
        return Ok(Started::AlreadyRunning {
            queued: list.analysis.queued,
            remaining_seconds: remaining_seconds(list.analysis.completes_at, now),
        });
    }
    let pending = (0..list.contacts.len())
        .filter(|r| list.contacts.line_type(*r).is_none())
        .count() as u64;
    if pending == 0 {
        return Ok(Started::NothingLeft {
            analyzed_numbers: list.analysis.analyzed_numbers,
        });
    }
    let org_id = list.org_id.clone();
    let org = world.orgs.get(&org_id).ok_or(Refusal::Missing)?;
    let cost = round_cents(org.rates.lookup_cents * pending as f64);
    if org.balance_cents <= 0 || (org.balance_cents as f64) < cost {
        return Err(Refusal::InsufficientBalance {
            organization_id: org_id,
            balance_cents: org.balance_cents,
            required_cents: cost,
        });
    }
    let charged = world.charge(
        Charge {
            org_id: &org_id,
            initiating_org_id,
            kind: "carrier_lookup",
            event_type: "lookup",
            quantity: pending,
            project_id: None,
            campaign_id: None,
            brand_id: None,
            at: now,
        },
        |r| r.lookup_cents,
    );
    let seconds = pending.div_ceil(numbers_per_second.max(1)).max(1);
    let completes_at = now.saturating_add((seconds as Millis).saturating_mul(1000));
    let list = world
        .contact_lists
        .get_mut(list_id)
        .ok_or(Refusal::Missing)?;
    list.analysis.status = AnalysisStatus::Processing;
    list.analysis.queued = pending;
    list.analysis.started_at = Some(now);
    list.analysis.completes_at = Some(completes_at);
    Ok(Started::Queued {
        queued: pending,
        seconds,
        cost_cents: charged,
        completes_at,
        job: Job::AnalysisComplete {
            list_id: list_id.to_string(),
        },
    })
}

/// Looks up every contact of a running analysis not yet analyzed and records the breakdown;
/// returns the `contact_list.analyzed` event's data, or `None` when no run was going.
pub fn complete_list(list: &mut ContactList, seed: u64, at: Millis) -> Option<serde_json::Value> {
    if list.analysis.status != AnalysisStatus::Processing {
        return None;
    }
    let contacts = std::sync::Arc::make_mut(&mut list.contacts);
    let mut newly = 0u64;
    for row in 0..contacts.len() {
        if contacts.line_type(row).is_none() {
            let t = lrn::line_type(seed, contacts.phones[row]);
            contacts.set_line_type(row, t);
            newly += 1;
        }
    }
    let mut breakdown: BTreeMap<String, u64> = LineType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), 0))
        .collect();
    for row in 0..contacts.len() {
        if let Some(t) = contacts.line_type(row) {
            *breakdown.entry(t.as_str().to_string()).or_default() += 1;
        }
    }
    list.breakdown = breakdown;
    list.analysis.analyzed_numbers += newly;
    list.analysis.status = AnalysisStatus::Complete;
    list.analysis.queued = 0;
    list.analysis.completes_at = Some(at);
    Some(json!({
        "list_id": list.id,
        "organization_id": list.org_id,
        "analyzed_numbers": list.analysis.analyzed_numbers,
        "breakdown": list.breakdown,
    }))
}

/// Completes the run of `list_id` at `at`: the event to publish, if a run was going.
pub fn complete(world: &mut World, list_id: &str, at: Millis) -> Option<Logged> {
    let seed = world.seed;
    let list = world.contact_lists.get_mut(list_id)?;
    let data = complete_list(list, seed, at)?;
    Some(Logged::full("contact_list.analyzed", at, data))
}
