//! Webhook endpoints and deliveries as the hub keeps them, and the rules that are data: the event
//! types an endpoint can subscribe to and the retry schedule (CONTRACT §10).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::time::{Millis, SECOND};
use crate::domain::wire::wire_enum;

/// Every event type the sandbox publishes; an endpoint subscribes to some (none listed = all).
pub const EVENT_TYPES: &[&str] = &[
    "message.sent",
    "message.delivered",
    "message.failed",
    "message.replied",
    "link.clicked",
    "contact_list.analyzed",
    "webhook.test",
];

/// After the first attempt fails, the next ones come this long after each failure (sandbox
/// time); after the last, the delivery is `failed` until retried by hand.
pub const RETRY_AFTER: &[Millis] = &[4 * SECOND, 16 * SECOND, 64 * SECOND];

/// How much of a receiver's answer the log keeps.
pub const RESPONSE_BODY_MAX: usize = 1_024;

/// An endpoint the sandbox starts with: from fixtures (`webhook_endpoints`) or
/// `serve --webhook URL[=event,event]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// An absolute http or https URL.
    pub url: String,
    /// Defaults to the URL.
    #[serde(default)]
    pub name: Option<String>,
    /// Event types to receive; omitted or empty means all.
    #[serde(default)]
    pub events: Vec<String>,
    /// A fixed signing secret (`whsec_…`), so a receiver's configuration survives restarts;
    /// minted when omitted.
    #[serde(default)]
    pub secret: Option<String>,
}

impl WebhookSpec {
    /// `URL` or `URL=event,event` as `--webhook` takes it.
    pub fn parse(arg: &str) -> Result<WebhookSpec, String> {
        let (url, events) = match arg.rsplit_once('=') {
            // A query string's `=` belongs to the URL: only a suffix of event names splits.
            Some((url, events))
                if !events.is_empty()
                    && events.split(',').all(|e| EVENT_TYPES.contains(&e.trim())) =>
            {
                (
                    url,
                    events.split(',').map(|e| e.trim().to_string()).collect(),
                )
            }
            _ => (arg, Vec::new()),
        };
        let spec = WebhookSpec {
            url: url.trim().to_string(),
            name: None,
            events,
            secret: None,
        };
        spec.check()?;
        Ok(spec)
    }

    /// A sentence for what is wrong with it, if anything.
    pub fn check(&self) -> Result<(), String> {
        if !crate::domain::message::is_http_url(&self.url) {
            return Err(format!(
                "{:?} is not an absolute http or https URL",
                self.url
            ));
        }
        if let Some(bad) = self
            .events
            .iter()
            .find(|e| !EVENT_TYPES.contains(&e.as_str()))
        {
            return Err(format!(
                "unknown event type {bad:?}; known: {}",
                EVENT_TYPES.join(", ")
            ));
        }
        if let Some(s) = &self.secret {
            if !s.starts_with("whsec_") || s.len() < 6 + 16 {
                return Err("a secret is whsec_ and at least 16 more characters".into());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: String,
    pub name: String,
    pub url: String,
    /// Subscribed event types; empty means every type.
    pub events: Vec<String>,
    pub enabled: bool,
    pub secret: String,
    pub created_at: Millis,
}

impl Endpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled && (self.events.is_empty() || self.events.iter().any(|e| e == event_type))
    }
}

wire_enum!(
    /// Where a delivery is.
    DeliveryStatus { Pending => "pending", Succeeded => "succeeded", Failed => "failed" }
);

/// One try: when (sandbox time), what came back (or why nothing did), how long it took (host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Attempt {
    pub attempted_at: Millis,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
    /// The first [`RESPONSE_BODY_MAX`] bytes of the answer, as text.
    pub response_body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    /// Shared by every delivery of the endpoint.
    pub endpoint_id: std::sync::Arc<str>,
    pub event_id: String,
    /// Shared by the deliveries of one event.
    pub event_type: std::sync::Arc<str>,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    /// Attempts of the current round (a manual retry starts a new round of the schedule).
    pub round_attempts: usize,
    pub next_attempt_at: Option<Millis>,
    pub created_at: Millis,
    /// The body to post, kept while the delivery may still be attempted.
    #[serde(with = "body_text")]
    pub body: Option<std::sync::Arc<[u8]>>,
}

/// Bodies are JSON text: kept as text in a state file.
mod body_text {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &Option<Arc<[u8]>>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_some(&String::from_utf8_lossy(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<[u8]>>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(|s| Arc::from(s.into_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_flag_splits_event_names_off_the_url_only() {
        let s = WebhookSpec::parse("http://127.0.0.1:9000/hooks=message.sent,message.failed")
            .expect("valid");
        assert_eq!(s.url, "http://127.0.0.1:9000/hooks");
        assert_eq!(s.events, ["message.sent", "message.failed"]);
        let q = WebhookSpec::parse("http://127.0.0.1:9000/hooks?token=abc").expect("valid");
        assert_eq!(q.url, "http://127.0.0.1:9000/hooks?token=abc");
        assert!(q.events.is_empty());
        assert!(WebhookSpec::parse("ftp://x").is_err());
        assert!(WebhookSpec::parse("http://x=message.nope").is_ok_and(|s| s.events.is_empty()));
    }
}
