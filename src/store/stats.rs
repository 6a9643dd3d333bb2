//! Per-day aggregates behind the stats and ledger endpoints (CONTRACT §9): message counts and
//! costs by (organization, UTC day, campaign, status), and ledger lines by (organization, UTC day,
//! product, initiating organization, campaign). Seeded history and everything simulated add to
//! the same cells, so a query costs O(days × organizations in scope × campaigns), whatever the
//! number of messages behind it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::time::{Millis, DAY};

/// Message statuses in the SDK's order (`MessageStats.totals` keys).
pub const STATUSES: [&str; 8] = [
    "unsent",
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "received",
    "on_hold",
];

/// Index of a status in [`STATUSES`].
pub mod status {
    pub const UNSENT: usize = 0;
    pub const SENDING: usize = 2;
    pub const SENT: usize = 3;
    pub const DELIVERED: usize = 4;
    pub const FAILED: usize = 5;
    pub const RECEIVED: usize = 6;
    pub const ON_HOLD: usize = 7;
}

/// A UTC day as days since 1970-01-01.
pub type Day = i64;

pub fn day_of(ms: Millis) -> Day {
    ms.div_euclid(DAY)
}

/// Messages of one organization, day and campaign.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageCell {
    pub counts: [i64; 8],
    /// What the messages cost the organization, by status, in cents.
    pub cost_cents: [f64; 8],
    /// Projects that sent these messages.
    pub projects: BTreeSet<String>,
}

/// What a ledger line is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LedgerKey {
    /// `sms`, `mms`, `carrier_lookup`, `10dlc_brand_registration`, `campaign_verify_token`,
    /// `10dlc_campaign_monthly`.
    pub product: String,
    /// `message_delivered`, `lookup`, `fee`, ...
    pub event_type: String,
    pub initiating_org_id: String,
    pub campaign_id: Option<String>,
    pub brand_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LedgerCell {
    pub quantity: u64,
    /// Signed: charges are negative.
    pub amount_cents: f64,
    pub transactions: u64,
    /// The positive price of one unit at this organization's rate.
    pub unit_cents: f64,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub messages: HashMap<String, BTreeMap<Day, HashMap<Option<String>, MessageCell>>>,
    pub ledger: HashMap<String, BTreeMap<Day, HashMap<LedgerKey, LedgerCell>>>,
    /// What each project has been charged to its own organization, in cents (`actual_cost`).
    pub project_cost_cents: HashMap<String, f64>,
}

/// A change to the message counts of one cell.
pub struct MessageDelta<'a> {
    pub org_id: &'a str,
    pub campaign_id: Option<&'a str>,
    pub project_id: Option<&'a str>,
    pub day: Day,
    pub status: usize,
    pub count: i64,
    pub cost_cents: f64,
}

impl Stats {
    fn cell(&mut self, org: &str, day: Day, campaign: Option<&str>) -> &mut MessageCell {
        self.messages
            .entry(org.to_string())
            .or_default()
            .entry(day)
            .or_default()
            .entry(campaign.map(str::to_string))
            .or_default()
    }

    pub fn message(&mut self, d: MessageDelta<'_>) {
        let cell = self.cell(d.org_id, d.day, d.campaign_id);
        cell.counts[d.status] += d.count;
        cell.cost_cents[d.status] += d.cost_cents;
        if let Some(p) = d.project_id {
            if !cell.projects.contains(p) {
                cell.projects.insert(p.to_string());
            }
        }
    }

    /// Moves `n` messages (and their cost) from one status to another in one cell.
    #[allow(clippy::too_many_arguments)]
    pub fn moved(
        &mut self,
        org: &str,
        campaign: Option<&str>,
        day: Day,
        from: usize,
        to: usize,
        n: i64,
        cost_cents: f64,
    ) {
        let cell = self.cell(org, day, campaign);
        cell.counts[from] -= n;
        cell.counts[to] += n;
        cell.cost_cents[to] += cost_cents;
    }

    /// A ledger line (or more of one): `amount_cents` is signed, charges negative.
    pub fn ledger_line(
        &mut self,
        org: &str,
        day: Day,
        key: LedgerKey,
        quantity: u64,
        amount_cents: f64,
        unit_cents: f64,
    ) {
        let cell = self
            .ledger
            .entry(org.to_string())
            .or_default()
            .entry(day)
            .or_default()
            .entry(key)
            .or_default();
        cell.quantity += quantity;
        cell.amount_cents += amount_cents;
        cell.transactions += 1;
        cell.unit_cents = unit_cents;
    }

    /// Message cells of `org` from `first` to `last` (inclusive).
    pub fn message_days(
        &self,
        org: &str,
        first: Day,
        last: Day,
    ) -> impl Iterator<Item = (Day, &Option<String>, &MessageCell)> {
        self.messages.get(org).into_iter().flat_map(move |days| {
            days.range(first..=last)
                .flat_map(|(d, cells)| cells.iter().map(move |(c, cell)| (*d, c, cell)))
        })
    }

    /// Ledger cells of `org` from `first` to `last` (inclusive).
    pub fn ledger_days(
        &self,
        org: &str,
        first: Day,
        last: Day,
    ) -> impl Iterator<Item = (Day, &LedgerKey, &LedgerCell)> {
        self.ledger.get(org).into_iter().flat_map(move |days| {
            days.range(first..=last)
                .flat_map(|(d, cells)| cells.iter().map(move |(k, cell)| (*d, k, cell)))
        })
    }
}
