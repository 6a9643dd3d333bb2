//! Money and what happened: cent rounding and JavaScript numbers for amounts (the ledger's
//! aggregates live in `store::stats`), and the events of the log that webhooks deliver from.

use serde::{Deserialize, Serialize};

use super::time::Millis;

/// An event as it is delivered and read: the body of its webhook (CONTRACT §10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub created_at: Millis,
    pub data: serde_json::Value,
}

/// An entry of the event log. Most events of a send are steps of simulated messages: those are
/// kept as a reference (24 bytes) and rendered from their run when read, so a million-message
/// send does not hold millions of JSON trees. Everything else is kept whole. An entry's id comes
/// from its position in the log (`domain::send::event_id`).
#[derive(Debug, Clone, PartialEq)]
pub enum Logged {
    Full(Box<FullEvent>),
    Message {
        run: u32,
        idx: u32,
        step: super::send::Step,
        at: Millis,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FullEvent {
    pub event_type: String,
    pub created_at: Millis,
    pub data: serde_json::Value,
}

impl Logged {
    pub fn full(event_type: &str, created_at: Millis, data: serde_json::Value) -> Logged {
        Logged::Full(Box::new(FullEvent {
            event_type: event_type.to_string(),
            created_at,
            data,
        }))
    }

    pub fn created_at(&self) -> Millis {
        match self {
            Logged::Full(e) => e.created_at,
            Logged::Message { at, .. } => *at,
        }
    }
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
