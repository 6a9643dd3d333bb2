//! The stats and ledger answers (CONTRACT §9) in the SDK's shapes (`MessageStats`,
//! `LedgerUsage`, `LedgerUsageByInitiator`), summed from the per-day aggregates of
//! `store::stats` over the organizations in scope: O(days × organizations × campaigns).
//!
//! Facts from the types, kept here: `totals` keyed by status with only the statuses present;
//! `byDay` one row per date and status, newest date first; rates are percentages 0-100; ledger
//! amounts in dollars, charges negative, `unitPrice` positive; `payments` and `adjustments`
//! empty and `totalPaymentAmount` 0; initiators sorted by spend, largest first.
//!
//! Decisions where the sources are silent: a `brandId` or `campaignId` filter keeps the
//! messages and ledger lines of that brand or campaign (lookups and other lines without one drop
//! out); `successfulCount` is delivered messages; money is rounded to 1/10,000 of a dollar.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::domain::ledger::js_number;
use crate::domain::stats::{format_day, DayRange};
use crate::store::stats::{LedgerCell, LedgerKey, STATUSES};
use crate::store::World;

/// What a query covers: organizations in scope, and an optional brand or campaign.
pub struct Scope<'a> {
    pub orgs: Vec<String>,
    pub brand_id: Option<&'a str>,
    pub campaign_id: Option<&'a str>,
}

impl Scope<'_> {
    fn keeps_campaign(&self, world: &World, campaign: Option<&str>) -> bool {
        if let Some(c) = self.campaign_id {
            return campaign == Some(c);
        }
        if let Some(b) = self.brand_id {
            return campaign
                .and_then(|c| world.campaigns.get(c))
                .is_some_and(|c| c.brand_id == b);
        }
        true
    }

    fn keeps_line(&self, world: &World, key: &LedgerKey) -> bool {
        if self.campaign_id.is_some() {
            return self.keeps_campaign(world, key.campaign_id.as_deref());
        }
        if let Some(b) = self.brand_id {
            // A line of the brand itself (a fee), or of one of its campaigns.
            return key.brand_id.as_deref() == Some(b)
                || self.keeps_campaign(world, key.campaign_id.as_deref());
        }
        true
    }
}

/// Cents as dollars, rounded to 1/10,000 of a dollar, written as JavaScript writes numbers.
pub fn dollars(cents: f64) -> Value {
    let d = (cents / 100.0 * 10_000.0).round() / 10_000.0;
    js_number(if d == 0.0 { 0.0 } else { d })
}

fn percent(part: i64, whole: i64) -> Value {
    if whole <= 0 {
        return js_number(0.0);
    }
    js_number((part as f64 / whole as f64 * 10_000.0).round() / 100.0)
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBucket {
    count: i64,
    total_cost: Value,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    total_messages: i64,
    status_breakdown: BTreeMap<String, i64>,
    total_cost: Value,
    project_count: usize,
    organization_count: usize,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRates {
    total_messages: i64,
    delivered_count: i64,
    failed_count: i64,
    successful_count: i64,
    /// Percentage 0-100.
    delivery_rate: Value,
    failure_rate: Value,
    success_rate: Value,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayRow {
    date: String,
    status: String,
    count: i64,
    total_cost: Value,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DateRangeView {
    start_date: String,
    end_date: String,
}

impl From<DayRange> for DateRangeView {
    fn from(r: DayRange) -> Self {
        DateRangeView {
            start_date: format_day(r.first),
            end_date: format_day(r.last),
        }
    }
}

/// `MessageStats`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageStats {
    /// Keyed by status; only the statuses present in the range.
    totals: BTreeMap<String, StatusBucket>,
    summary: MessageSummary,
    delivery_rates: DeliveryRates,
    /// One row per date and status, newest date first.
    by_day: Vec<DayRow>,
    date_range: DateRangeView,
}

pub fn message_stats(world: &World, scope: &Scope<'_>, range: DayRange) -> MessageStats {
    // (day, status) → (count, cents)
    let mut days: BTreeMap<(i64, usize), (i64, f64)> = BTreeMap::new();
    let mut projects: BTreeSet<&str> = BTreeSet::new();
    let mut orgs = 0;
    for org in &scope.orgs {
        let mut any = false;
        for (day, campaign, cell) in world.stats.message_days(org, range.first, range.last) {
            if !scope.keeps_campaign(world, campaign.as_deref()) {
                continue;
            }
            for (i, n) in cell.counts.iter().enumerate() {
                if *n != 0 || cell.cost_cents[i] != 0.0 {
                    let e = days.entry((day, i)).or_default();
                    e.0 += n;
                    e.1 += cell.cost_cents[i];
                    any |= *n > 0;
                }
            }
            projects.extend(cell.projects.iter().map(String::as_str));
        }
        orgs += usize::from(any);
    }
    let mut totals: BTreeMap<usize, (i64, f64)> = BTreeMap::new();
    let mut by_day = Vec::new();
    for ((day, st), (n, cents)) in days.iter().rev() {
        if *n <= 0 {
            continue;
        }
        let t = totals.entry(*st).or_default();
        t.0 += n;
        t.1 += cents;
        by_day.push(((*day, *st), *n, *cents));
    }
    // Newest date first; within a date, statuses in the SDK's order.
    by_day.sort_by(|a, b| b.0 .0.cmp(&a.0 .0).then(a.0 .1.cmp(&b.0 .1)));
    let total: i64 = totals.values().map(|t| t.0).sum();
    let cost: f64 = totals.values().map(|t| t.1).sum();
    let count = |i: usize| totals.get(&i).map_or(0, |t| t.0);
    let delivered = count(4);
    let failed = count(5);
    MessageStats {
        totals: totals
            .iter()
            .map(|(i, (n, c))| {
                (
                    STATUSES[*i].to_string(),
                    StatusBucket {
                        count: *n,
                        total_cost: dollars(*c),
                    },
                )
            })
            .collect(),
        summary: MessageSummary {
            total_messages: total,
            status_breakdown: totals
                .iter()
                .map(|(i, (n, _))| (STATUSES[*i].to_string(), *n))
                .collect(),
            total_cost: dollars(cost),
            project_count: projects.len(),
            organization_count: orgs,
        },
        delivery_rates: DeliveryRates {
            total_messages: total,
            delivered_count: delivered,
            failed_count: failed,
            successful_count: delivered,
            delivery_rate: percent(delivered, total),
            failure_rate: percent(failed, total),
            success_rate: percent(delivered, total),
        },
        by_day: by_day
            .into_iter()
            .map(|((day, st), n, c)| DayRow {
                date: format_day(day),
                status: STATUSES[st].to_string(),
                count: n,
                total_cost: dollars(c),
            })
            .collect(),
        date_range: range.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The ledger
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageLine {
    product_code: String,
    event_type: String,
    quantity: u64,
    /// Positive; the direction is on totalAmount.
    unit_price: Value,
    /// Signed dollars; charges are negative.
    total_amount: Value,
    transaction_count: u64,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgUsage {
    organization_id: String,
    organization_name: String,
    stripe_customer_id: Option<String>,
    account_rep: Option<String>,
    tier: Option<u32>,
    usage: Vec<UsageLine>,
    /// Always empty on this endpoint.
    payments: Vec<Value>,
    /// Always empty on this endpoint.
    adjustments: Vec<Value>,
    total_usage_amount: Value,
    /// Always 0 on this endpoint.
    total_payment_amount: Value,
}

/// `LedgerUsage`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerUsage {
    start_date: String,
    end_date: String,
    organizations: Vec<OrgUsage>,
    total_usage_amount: Value,
    total_payment_amount: Value,
    total_quantity: u64,
    /// Quantity per product code across all organizations.
    service_totals: BTreeMap<String, u64>,
}

/// A line summed over days: (quantity, cents, transactions, unit cents).
#[derive(Default, Clone, Copy)]
struct Sum {
    quantity: u64,
    cents: f64,
    transactions: u64,
    unit: f64,
}

impl Sum {
    fn add(&mut self, c: &LedgerCell) {
        self.quantity += c.quantity;
        self.cents += c.amount_cents;
        self.transactions += c.transactions;
        self.unit = c.unit_cents;
    }
}

/// An organization's tier: 1 for a root, 2 for its children, and so on.
fn tier(world: &World, org: &str) -> u32 {
    crate::store::tree::ancestors(world, org).len() as u32 + 1
}

pub fn ledger_usage(world: &World, scope: &Scope<'_>, range: DayRange) -> LedgerUsage {
    let mut organizations = Vec::new();
    let mut total_cents = 0.0;
    let mut total_quantity = 0;
    let mut services: BTreeMap<String, u64> = BTreeMap::new();
    for org in &scope.orgs {
        let mut lines: BTreeMap<(String, String), Sum> = BTreeMap::new();
        for (_, key, cell) in world.stats.ledger_days(org, range.first, range.last) {
            if scope.keeps_line(world, key) {
                lines
                    .entry((key.product.clone(), key.event_type.clone()))
                    .or_default()
                    .add(cell);
            }
        }
        if lines.is_empty() {
            continue;
        }
        let org_cents: f64 = lines.values().map(|s| s.cents).sum();
        total_cents += org_cents;
        for ((product, _), s) in &lines {
            total_quantity += s.quantity;
            *services.entry(product.clone()).or_default() += s.quantity;
        }
        organizations.push(OrgUsage {
            organization_id: org.clone(),
            organization_name: world.org_name(org).to_string(),
            stripe_customer_id: None,
            account_rep: None,
            tier: Some(tier(world, org)),
            usage: lines
                .into_iter()
                .map(|((product, event), s)| UsageLine {
                    product_code: product,
                    event_type: event,
                    quantity: s.quantity,
                    unit_price: dollars(s.unit),
                    total_amount: dollars(s.cents),
                    transaction_count: s.transactions,
                })
                .collect(),
            payments: Vec::new(),
            adjustments: Vec::new(),
            total_usage_amount: dollars(org_cents),
            total_payment_amount: js_number(0.0),
        });
    }
    LedgerUsage {
        start_date: format_day(range.first),
        end_date: format_day(range.last),
        organizations,
        total_usage_amount: dollars(total_cents),
        total_payment_amount: js_number(0.0),
        total_quantity,
        service_totals: services,
    }
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitiatorLine {
    date: String,
    /// The organization charged (the sending org, or an ancestor at its own tier rate).
    organization_id: String,
    product_code: String,
    event_type: String,
    quantity: u64,
    unit_price: Value,
    total_amount: Value,
    transaction_count: u64,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitiatorUsage {
    initiating_organization_id: String,
    initiating_organization_name: Option<String>,
    usage: Vec<InitiatorLine>,
    total_amount: Value,
    total_quantity: u64,
    transaction_count: u64,
}

/// `LedgerUsageByInitiator`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageByInitiator {
    start_date: String,
    end_date: String,
    /// Largest spend first.
    initiators: Vec<InitiatorUsage>,
    total_amount: Value,
    total_quantity: u64,
    total_transaction_count: u64,
}

/// (day, product, event type, paying organization).
type LineKey = (i64, String, String, String);

pub fn by_initiator(world: &World, scope: &Scope<'_>, range: DayRange) -> UsageByInitiator {
    // initiator → (day, product, event, payer) → sum: one line per payer, so each line keeps
    // the payer's own unit price (an ancestor's roll-up is charged at its own tier rate).
    let mut by: BTreeMap<String, BTreeMap<LineKey, Sum>> = BTreeMap::new();
    for org in &scope.orgs {
        for (day, key, cell) in world.stats.ledger_days(org, range.first, range.last) {
            if !scope.keeps_line(world, key) {
                continue;
            }
            let e = by
                .entry(key.initiating_org_id.clone())
                .or_default()
                .entry((
                    day,
                    key.product.clone(),
                    key.event_type.clone(),
                    org.clone(),
                ))
                .or_default();
            e.add(cell);
        }
    }
    let mut initiators: Vec<(f64, InitiatorUsage)> = by
        .into_iter()
        .map(|(id, lines)| {
            let cents: f64 = lines.values().map(|s| s.cents).sum();
            let quantity = lines.values().map(|s| s.quantity).sum();
            let transactions = lines.values().map(|s| s.transactions).sum();
            let name = world.orgs.get(&id).map(|o| o.name.clone());
            (
                cents,
                InitiatorUsage {
                    initiating_organization_id: id,
                    initiating_organization_name: name,
                    usage: lines
                        .into_iter()
                        .rev()
                        .map(|((day, product, event, payer), s)| InitiatorLine {
                            date: format_day(day),
                            organization_id: payer,
                            product_code: product,
                            event_type: event,
                            quantity: s.quantity,
                            unit_price: dollars(s.unit),
                            total_amount: dollars(s.cents),
                            transaction_count: s.transactions,
                        })
                        .collect(),
                    total_amount: dollars(cents),
                    total_quantity: quantity,
                    transaction_count: transactions,
                },
            )
        })
        .collect();
    // Charges are negative: the largest spend is the most negative total.
    initiators.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total_cents: f64 = initiators.iter().map(|(c, _)| c).sum();
    let total_quantity = initiators.iter().map(|(_, i)| i.total_quantity).sum();
    let total_transactions = initiators.iter().map(|(_, i)| i.transaction_count).sum();
    UsageByInitiator {
        start_date: format_day(range.first),
        end_date: format_day(range.last),
        initiators: initiators.into_iter().map(|(_, i)| i).collect(),
        total_amount: dollars(total_cents),
        total_quantity,
        total_transaction_count: total_transactions,
    }
}
