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

/// A number as JavaScript writes it: a whole float becomes an integer (`10`, never `10.0`), `-0`
/// becomes `0`; clients and webhook receivers re-serialize with `JSON.stringify`.
pub fn js_number(v: f64) -> serde_json::Value {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Cents rounded to hundredths of a cent, so sums stay stable.
pub fn round_cents(c: f64) -> f64 {
    (c * 100.0).round() / 100.0
}
