//! Money and what happened: ledger charges (negative amounts, per organization, at each org's own
//! tier rate) and the event log that webhooks deliver from.

use serde::{Deserialize, Serialize};

use super::time::Millis;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: String,
    /// The organization charged.
    pub org_id: String,
    /// The organization of the key whose request caused the charge.
    pub initiating_org_id: String,
    /// `carrier_lookup`, `sms`, `mms`.
    pub kind: String,
    pub quantity: u64,
    /// Negative for charges, in cents.
    pub amount_cents: f64,
    pub created_at: Millis,
    /// The list, project or message the charge is for.
    pub reference_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub created_at: Millis,
    pub data: serde_json::Value,
}

/// Cents rounded to hundredths of a cent, so sums stay stable.
pub fn round_cents(c: f64) -> f64 {
    (c * 100.0).round() / 100.0
}
