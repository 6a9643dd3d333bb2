//! Rendering the event log: each entry becomes the body its webhook carries (CONTRACT §10).
//! Steps of simulated messages are rendered from their run, the rest are stored whole; ids come
//! from the entry's position, so they are stable and decode back to it.

use serde_json::{json, Map, Value};

use super::send;
use crate::domain::contacts::phone_from_u64;
use crate::domain::conversation_record::MessageStatus;
use crate::domain::ledger::{Event, Logged};
use crate::domain::send::{event_id, Step, SIMULATED_USER_AGENT};
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::store::World;

/// The event at log position `seq`.
pub fn render(world: &World, seq: u64, entry: &Logged) -> Event {
    let at = entry.created_at();
    let id = event_id(world.seed, seq, at);
    match entry {
        Logged::Full(e) => Event {
            id,
            event_type: e.event_type.clone(),
            created_at: e.created_at,
            data: e.data.clone(),
        },
        Logged::Message { run, idx, step, at } => {
            let (event_type, data) = message_event(world, *run, *idx as usize, *step, *at);
            Event {
                id,
                event_type: event_type.to_string(),
                created_at: *at,
                data,
            }
        }
    }
}

/// The type and data of step `step` of recipient `idx` of run `run`.
fn message_event(
    world: &World,
    run: u32,
    idx: usize,
    step: Step,
    at: i64,
) -> (&'static str, Value) {
    let seed = world.seed;
    let Some(r) = world.engine.runs.get(run as usize) else {
        return ("message.sent", json!({}));
    };
    let rec = &r.recipients[idx];
    let o = r.outcome(seed, idx);
    let number = r.numbers.get(rec.pin as usize).map_or("", |n| n.1.as_str());
    let contact = phone_from_u64(rec.phone);
    if step == Step::Click {
        let code = crate::domain::send::link_code(seed, run, idx as u32);
        return (
            "link.clicked",
            json!({
                "link_id": code,
                "url": send::short_link(seed, r, idx),
                "destination_url": send::destination(world, r, idx),
                "project_id": r.project_id,
                "contact_phone": contact,
                "clicked_at": time::format(at),
                "user_agent": SIMULATED_USER_AGENT,
            }),
        );
    }
    let conversation_id = send::thread_of(world, r, idx);
    let mut data = Map::new();
    let (event_type, status) = match step {
        Step::Sent => ("message.sent", MessageStatus::Sent),
        Step::Receipt if o.status.is_delivered() => ("message.delivered", MessageStatus::Delivered),
        Step::Receipt => ("message.failed", MessageStatus::Failed),
        _ => ("message.replied", MessageStatus::Received),
    };
    let reply = o.reply.filter(|_| step == Step::Reply);
    let message_id = match reply {
        Some(_) => crate::domain::send::inbound_id(seed, run, idx as u32, at),
        None => send::outbound_id(seed, r, idx),
    };
    data.insert("message_id".into(), json!(message_id));
    data.insert("project_id".into(), json!(r.project_id));
    data.insert("conversation_id".into(), json!(conversation_id));
    data.insert("organization_id".into(), json!(r.org_id));
    let (from, to) = match reply {
        Some(_) => (contact.as_str(), number),
        None => (number, contact.as_str()),
    };
    data.insert("from".into(), json!(from));
    data.insert("to".into(), json!(to));
    data.insert("status".into(), json!(status.as_str()));
    let segments = match reply {
        Some(rep) => crate::domain::message::segments(rep.text).parts.max(1),
        None => u32::from(rec.parts),
    };
    data.insert("segments".into(), json!(segments));
    data.insert("is_test".into(), json!(r.test));
    if status == MessageStatus::Failed {
        data.insert(
            "error_code".into(),
            json!(o.status.error_code().map(|c| c.as_str())),
        );
    }
    if let Some(rep) = reply {
        data.insert("text".into(), json!(rep.text));
    }
    (event_type, Value::Object(data))
}
