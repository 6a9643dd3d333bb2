//! Threads and their messages: finding or opening the thread of (number, contact), recording an
//! outbound message with its outcome, and recording an inbound message (which opts the number out
//! across the organization on a STOP keyword and publishes `message.replied`). The seeding, the
//! control plane's `/_sandbox/inbound` and, later, the send engine write threads only through
//! these functions.

use serde_json::json;

use crate::domain::contacts::phone_to_u64;
use crate::domain::conversation_record::{Conversation, Direction, Message, MessageStatus};
use crate::domain::ids::{new_id, Kind};
use crate::domain::ledger::Event;
use crate::domain::message;
use crate::domain::outcome;
use crate::domain::time::Millis;
use crate::domain::wire::WireEnum;
use crate::store::World;

/// The thread between number `number_id` and `contact` (E.164), opened at `at` if there is none.
pub fn thread(
    world: &mut World,
    number_id: &str,
    contact: &str,
    project_id: Option<&str>,
    is_test: bool,
    at: Millis,
) -> Option<String> {
    let number = world.phone_numbers.get(number_id)?.clone();
    if let Some(c) = world
        .conversations
        .values()
        .find(|c| c.phone_number_id == number_id && c.to == contact && c.is_test == is_test)
    {
        return Some(c.id.clone());
    }
    let id = new_id(Kind::Conversation, at, &mut world.rng);
    world.conversations.insert(
        id.clone(),
        Conversation {
            id: id.clone(),
            org_id: number.org_id.clone(),
            project_id: project_id.map(str::to_string),
            phone_number_id: number_id.to_string(),
            from: number.number.clone(),
            to: contact.to_string(),
            is_test,
            opted_out: false,
            message_ids: Vec::new(),
            created_at: at,
            first_message_at: None,
            last_inbound_at: None,
            last_outbound_at: None,
        },
    );
    Some(id)
}

/// Records an outbound message on `conversation_id` as its outcome leaves it.
pub struct Outbound<'a> {
    pub text: &'a str,
    pub status: MessageStatus,
    pub sent_at: Option<Millis>,
    pub delivered_at: Option<Millis>,
    pub error_code: Option<String>,
    pub at: Millis,
}

pub fn add_outbound(world: &mut World, conversation_id: &str, out: Outbound<'_>) -> Option<String> {
    let id = new_id(Kind::Message, out.at, &mut world.rng);
    let conv = world.conversations.get_mut(conversation_id)?;
    conv.message_ids.push(id.clone());
    conv.first_message_at.get_or_insert(out.at);
    conv.last_outbound_at = Some(out.at);
    world.messages.insert(
        id.clone(),
        Message {
            id: id.clone(),
            conversation_id: conversation_id.to_string(),
            direction: Direction::Outbound,
            text: out.text.to_string(),
            media_urls: Vec::new(),
            status: out.status,
            sent_at: out.sent_at,
            delivered_at: out.delivered_at,
            received_at: None,
            error_code: out.error_code,
            segments: message::segments(out.text).parts.max(1),
            created_at: out.at,
        },
    );
    Some(id)
}

/// Records an inbound `text` on `conversation_id` at `at`: a STOP keyword opts the contact out
/// across the organization. Returns the `message.replied` event to publish.
pub fn add_inbound(
    world: &mut World,
    conversation_id: &str,
    text: &str,
    at: Millis,
) -> Option<Event> {
    let id = new_id(Kind::Message, at, &mut world.rng);
    let conv = world.conversations.get_mut(conversation_id)?;
    conv.message_ids.push(id.clone());
    conv.first_message_at.get_or_insert(at);
    conv.last_inbound_at = Some(at);
    let opts_out = outcome::is_opt_out(text);
    if opts_out {
        conv.opted_out = true;
    }
    let conv = conv.clone();
    if opts_out {
        if let Some(phone) = phone_to_u64(&conv.to) {
            world
                .opt_outs
                .entry(conv.org_id.clone())
                .or_default()
                .insert(phone);
        }
    }
    let segments = message::segments(text).parts.max(1);
    world.messages.insert(
        id.clone(),
        Message {
            id: id.clone(),
            conversation_id: conversation_id.to_string(),
            direction: Direction::Inbound,
            text: text.to_string(),
            media_urls: Vec::new(),
            status: MessageStatus::Received,
            sent_at: None,
            delivered_at: None,
            received_at: Some(at),
            error_code: None,
            segments,
            created_at: at,
        },
    );
    let event_id = new_id(Kind::Event, at, &mut world.rng);
    Some(Event {
        id: event_id,
        event_type: "message.replied".into(),
        created_at: at,
        data: json!({
            "message_id": id,
            "project_id": conv.project_id,
            "conversation_id": conv.id,
            "organization_id": conv.org_id,
            "from": conv.to,
            "to": conv.from,
            "status": MessageStatus::Received.as_str(),
            "segments": segments,
            "is_test": conv.is_test,
            "text": text,
        }),
    })
}
