//! Every collection of the world. Collections are `BTreeMap`s keyed by id: ids are ULIDs whose
//! time part is the creation time, so iteration order is creation order and deterministic.
//! Usage counters are kept per (brand, Pacific day) so throughput answers in O(1).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rand_chacha::ChaCha8Rng;

use crate::domain::contacts::ContactList;
use crate::domain::conversation_record::{Conversation, Message};
use crate::domain::keys::ApiKey;
use crate::domain::ledger::round_cents;
use crate::domain::media::MediaFile;
use crate::domain::project_record::Project;
use crate::domain::registry::{
    Brand, Campaign, Organization, PhoneNumber, TollFreeVerification, TrackingDomain,
};
use crate::domain::time::Millis;

/// What an audience count depends on.
pub type AudienceKey = (String, Vec<String>, Vec<String>, usize);

/// One billable use: who pays, who asked, what, how many, for what, when.
pub struct Charge<'a> {
    pub org_id: &'a str,
    pub initiating_org_id: &'a str,
    /// The product code: `carrier_lookup`, `sms`, `mms`.
    pub kind: &'a str,
    /// What happened: `message_delivered`, `lookup`.
    pub event_type: &'a str,
    pub quantity: u64,
    /// The project whose `actual_cost` this adds to, if any.
    pub project_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
    pub brand_id: Option<&'a str>,
    pub at: Millis,
}

pub struct World {
    /// The seed the world was generated from.
    pub seed: u64,
    /// The sandbox time the world was generated at (the clock start).
    pub generated_at: Millis,
    /// All randomness after generation (new ids, new keys) comes from here.
    pub rng: ChaCha8Rng,
    pub orgs: BTreeMap<String, Organization>,
    /// Organizations in tree pre-order (each root, then its subtree, siblings by name).
    pub org_order: Vec<String>,
    pub children: HashMap<String, Vec<String>>,
    pub brands: BTreeMap<String, Brand>,
    pub campaigns: BTreeMap<String, Campaign>,
    pub phone_numbers: BTreeMap<String, PhoneNumber>,
    pub toll_free_verifications: BTreeMap<String, TollFreeVerification>,
    pub tracking_domains: BTreeMap<String, TrackingDomain>,
    /// API keys by key string.
    pub keys: BTreeMap<String, ApiKey>,
    /// Message parts sent towards T-Mobile per brand and Pacific day (throughput, daily caps).
    pub t_mobile_parts: HashMap<(String, NaiveDate), u64>,
    pub contact_lists: BTreeMap<String, ContactList>,
    pub media: BTreeMap<String, MediaFile>,
    pub projects: BTreeMap<String, Project>,
    pub conversations: BTreeMap<String, Conversation>,
    /// Conversation messages, by id.
    pub messages: BTreeMap<String, Message>,
    /// Every send (broadcasts, tests, replies) and the steps due.
    pub engine: super::engine::Engine,
    /// Audience sizes already counted, by (organization, lists, suppression lists, size of the
    /// organization's opt-out set). Lists never change after import and opt-outs only grow, so
    /// the key says when a count is stale; a project's create or PATCH over a million contacts
    /// then costs a lookup, not a scan.
    pub audience_cache: parking_lot::Mutex<HashMap<AudienceKey, u64>>,
    /// Opted-out numbers (as `u64`, see `contacts::phone_to_u64`) per organization.
    pub opt_outs: HashMap<String, HashSet<u64>>,
    /// Per-day message and ledger aggregates (stats, usage, `actual_cost`).
    pub stats: super::stats::Stats,
}

impl World {
    pub fn empty(seed: u64, generated_at: Millis, rng: ChaCha8Rng) -> Self {
        World {
            seed,
            generated_at,
            rng,
            orgs: BTreeMap::new(),
            org_order: Vec::new(),
            children: HashMap::new(),
            brands: BTreeMap::new(),
            campaigns: BTreeMap::new(),
            phone_numbers: BTreeMap::new(),
            toll_free_verifications: BTreeMap::new(),
            tracking_domains: BTreeMap::new(),
            keys: BTreeMap::new(),
            t_mobile_parts: HashMap::new(),
            contact_lists: BTreeMap::new(),
            media: BTreeMap::new(),
            projects: BTreeMap::new(),
            engine: Default::default(),
            conversations: BTreeMap::new(),
            messages: BTreeMap::new(),
            audience_cache: Default::default(),
            opt_outs: HashMap::new(),
            stats: Default::default(),
        }
    }

    /// Whether `phone` is opted out for `org_id` (the magic +15005550009 always is).
    pub fn is_opted_out(&self, org_id: &str, phone: u64) -> bool {
        crate::domain::lrn::magic(phone) == Some(crate::domain::lrn::Magic::AlreadyOptedOut)
            || self
                .opt_outs
                .get(org_id)
                .is_some_and(|s| s.contains(&phone))
    }

    /// Charges `per_unit(org's rates)` × `quantity` to the charged org and to each ancestor at
    /// its own tier rate, deducting each balance (never below 0) and writing one ledger line per
    /// org into the day's aggregates. Returns the charge to the org itself (cents).
    pub fn charge(
        &mut self,
        c: Charge<'_>,
        per_unit: impl Fn(&crate::domain::registry::Rates) -> f64,
    ) -> f64 {
        self.book(c, per_unit, true)
    }

    /// [`charge`](Self::charge) for seeded history: the same ledger lines and `actual_cost`, but
    /// the balances (today's) are left as they are.
    pub fn book_history(
        &mut self,
        c: Charge<'_>,
        per_unit: impl Fn(&crate::domain::registry::Rates) -> f64,
    ) -> f64 {
        self.book(c, per_unit, false)
    }

    fn book(
        &mut self,
        c: Charge<'_>,
        per_unit: impl Fn(&crate::domain::registry::Rates) -> f64,
        deduct: bool,
    ) -> f64 {
        let mut chain = vec![c.org_id.to_string()];
        chain.extend(
            crate::store::tree::ancestors(self, c.org_id)
                .into_iter()
                .map(str::to_string),
        );
        let day = super::stats::day_of(c.at);
        let mut own = 0.0;
        for (i, id) in chain.iter().enumerate() {
            let Some(org) = self.orgs.get_mut(id) else {
                continue;
            };
            let unit = per_unit(&org.rates);
            let cents = round_cents(unit * c.quantity as f64);
            // Balances never go negative (CONTRACT §8): the send that empties one stops there.
            if deduct {
                org.balance_cents = (org.balance_cents - cents.ceil() as i64).max(0);
            }
            if i == 0 {
                own = cents;
                if let Some(p) = c.project_id {
                    *self
                        .stats
                        .project_cost_cents
                        .entry(p.to_string())
                        .or_default() += cents;
                }
            }
            self.stats.ledger_line(
                id,
                day,
                super::stats::LedgerKey {
                    product: c.kind.to_string(),
                    event_type: c.event_type.to_string(),
                    initiating_org_id: c.initiating_org_id.to_string(),
                    campaign_id: c.campaign_id.map(str::to_string),
                    brand_id: c.brand_id.map(str::to_string),
                },
                c.quantity,
                -cents,
                unit,
            );
        }
        own
    }

    /// Rebuilds `children` and `org_order` after organizations change.
    pub fn index_orgs(&mut self) {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut roots = Vec::new();
        for org in self.orgs.values() {
            match &org.parent_id {
                Some(p) => children.entry(p.clone()).or_default().push(org.id.clone()),
                None => roots.push(org.id.clone()),
            }
        }
        let by_name = |orgs: &BTreeMap<String, Organization>, ids: &mut Vec<String>| {
            ids.sort_by(|a, b| orgs[a].name.cmp(&orgs[b].name).then(a.cmp(b)));
        };
        by_name(&self.orgs, &mut roots);
        for ids in children.values_mut() {
            by_name(&self.orgs, ids);
        }
        let mut order = Vec::with_capacity(self.orgs.len());
        let mut stack: Vec<String> = roots.into_iter().rev().collect();
        while let Some(id) = stack.pop() {
            if let Some(kids) = children.get(&id) {
                stack.extend(kids.iter().rev().cloned());
            }
            order.push(id);
        }
        self.children = children;
        self.org_order = order;
    }

    pub fn org_name(&self, id: &str) -> &str {
        self.orgs.get(id).map(|o| o.name.as_str()).unwrap_or("")
    }

    /// Parts sent to T-Mobile today (Pacific) for `brand_id`.
    pub fn t_mobile_used(&self, brand_id: &str, pacific_day: NaiveDate) -> u64 {
        self.t_mobile_parts
            .get(&(brand_id.to_string(), pacific_day))
            .copied()
            .unwrap_or(0)
    }
}
