//! Webhooks (CONTRACT §10): signed deliveries of the event log to registered endpoints, with the
//! documented retry schedule and a delivery log; and a test receiver for tests.
//!
//! `signing` signs and verifies (constant time) bodies; `body` is the one shape of an event's body
//! (the webhook and `GET /_sandbox/events` serve the same bytes); `model` holds endpoints,
//! deliveries and the rules that are data (event types, retry schedule); `hub` owns the registry,
//! the log and the per-endpoint workers; `receiver` records what it is sent.

pub mod body;
pub mod hub;
pub mod model;
pub mod receiver;
pub mod signing;

pub use hub::{Hub, HubState};
pub use signing::{sign, verify};
