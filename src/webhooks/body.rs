//! The body of an event, as its webhook carries it and as `GET /_sandbox/events` lists it:
//! `{id, event_id, event_type, created_at, data}` with `id` = `event_id`. Serialized compact by
//! serde_json, which already writes what `JSON.stringify(JSON.parse(body))` gives back: no
//! whitespace, `/` and non-ASCII text unescaped, control characters as lowercase `\u00xx`, keys
//! in insertion order (none integer-like), and numbers as JavaScript writes them (event data is
//! built with `ledger::js_number` wherever a float could be whole).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::domain::ledger::Event;
use crate::domain::time;

/// An event as its webhook body carries it (`id` = `event_id`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventBody {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    /// Sandbox time.
    pub created_at: String,
    pub data: Value,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        EventBody {
            event_id: e.id.clone(),
            id: e.id,
            event_type: e.event_type,
            created_at: time::format(e.created_at),
            data: e.data,
        }
    }
}

impl EventBody {
    /// The raw bytes a delivery posts and signs.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_compact_and_unescaped() {
        let body = EventBody::from(Event {
            id: "evt_1".into(),
            event_type: "message.replied".into(),
            created_at: 0,
            data: json!({"text": "¿Dónde voto? 🗳 a/b\n\u{1}", "segments": 1}),
        });
        let s = String::from_utf8(body.to_bytes()).expect("utf-8");
        assert_eq!(
            s,
            "{\"id\":\"evt_1\",\"event_id\":\"evt_1\",\"event_type\":\"message.replied\",\
             \"created_at\":\"1970-01-01T00:00:00.000Z\",\"data\":{\"text\":\"¿Dónde voto? 🗳 a/b\\n\\u0001\",\"segments\":1}}"
        );
    }
}
