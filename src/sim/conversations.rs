//! Threads and their messages: finding or opening the thread of (number, contact), recording an
//! outbound message, and recording an inbound message (which opts the number out across the
//! organization on a STOP keyword). The seeding, the control plane's `/_sandbox/inbound` and the
//! send engine write threads only through these functions.
//!
//! A thread's id is derived from (project, number, contact, test or not) (`domain::send::
//! conversation_id`), so the events of a message can name its thread before anyone wrote back and
//! the thread is recorded.

use serde_json::json;

use crate::domain::contacts::phone_to_u64;
use crate::domain::conversation_record::{Conversation, Direction, Message, MessageStatus};
use crate::domain::ids::{new_id, Kind};
use crate::domain::ledger::Logged;
use crate::domain::message;
use crate::domain::outcome;
use crate::domain::send;
use crate::domain::time::Millis;
use crate::domain::wire::WireEnum;
use crate::store::World;

/// Who a thread is between, and for whom.
pub struct Party<'a> {
    /// The organization's number (id).
    pub number_id: &'a str,
    /// The contact.
    pub phone: u64,
    /// The organization the thread belongs to; the number's owner when `None`.
    pub org_id: Option<&'a str>,
    pub project_id: Option<&'a str>,
    pub is_test: bool,
}

/// The id of the thread of (project, number, contact), whether or not it is recorded yet.
pub fn thread_id(
    world: &World,
    project_id: Option<&str>,
    number_id: &str,
    phone: u64,
    is_test: bool,
) -> String {
    send::conversation_id(
        world.seed,
        world.generated_at,
        project_id,
        number_id,
        phone,
        is_test,
    )
}

/// The thread of `party`, opened at `at` if there is none. `None` when the number is unknown.
pub fn thread(world: &mut World, party: Party<'_>, at: Millis) -> Option<String> {
    let number = world.phone_numbers.get(party.number_id)?;
    let id = thread_id(
        world,
        party.project_id,
        party.number_id,
        party.phone,
        party.is_test,
    );
    if world.conversations.contains_key(&id) {
        return Some(id);
    }
    let conversation = Conversation {
        id: id.clone(),
        org_id: party
            .org_id
            .map_or_else(|| number.org_id.clone(), str::to_string),
        project_id: party.project_id.map(str::to_string),
        phone_number_id: party.number_id.to_string(),
        from: number.number.clone(),
        to: crate::domain::contacts::phone_from_u64(party.phone),
        is_test: party.is_test,
        opted_out: false,
        message_ids: Vec::new(),
        created_at: at,
        first_message_at: None,
        last_inbound_at: None,
        last_outbound_at: None,
    };
    world.conversations.insert(id.clone(), conversation);
    world.engine.threads.insert(party.phone);
    Some(id)
}

/// An outbound message to record on a thread.
pub struct Outbound<'a> {
    pub id: String,
    pub text: &'a str,
    pub status: MessageStatus,
    pub sent_at: Option<Millis>,
    pub delivered_at: Option<Millis>,
    pub error_code: Option<String>,
    pub at: Millis,
}

/// Records `out` on `conversation_id`; a message already recorded keeps its place.
pub fn add_outbound(world: &mut World, conversation_id: &str, out: Outbound<'_>) -> Option<String> {
    let conv = world.conversations.get_mut(conversation_id)?;
    if world.messages.contains_key(&out.id) {
        return Some(out.id);
    }
    conv.message_ids.push(out.id.clone());
    conv.first_message_at = Some(conv.first_message_at.map_or(out.at, |f| f.min(out.at)));
    conv.last_outbound_at = Some(conv.last_outbound_at.map_or(out.at, |l| l.max(out.at)));
    world.messages.insert(
        out.id.clone(),
        Message {
            id: out.id.clone(),
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
    Some(out.id)
}

/// Records inbound `text` (message `id`) on `conversation_id` at `at`: a STOP keyword opts the
/// contact out across the organization. Returns whether it opted out.
pub fn record_inbound(
    world: &mut World,
    conversation_id: &str,
    id: String,
    text: &str,
    at: Millis,
) -> Option<bool> {
    let conv = world.conversations.get_mut(conversation_id)?;
    conv.message_ids.push(id.clone());
    conv.first_message_at.get_or_insert(at);
    conv.last_inbound_at = Some(conv.last_inbound_at.map_or(at, |l| l.max(at)));
    let opts_out = outcome::is_opt_out(text);
    if opts_out {
        conv.opted_out = true;
        if let Some(phone) = phone_to_u64(&conv.to) {
            let org = conv.org_id.clone();
            world.opt_outs.entry(org).or_default().insert(phone);
        }
    }
    world.messages.insert(
        id.clone(),
        Message {
            id,
            conversation_id: conversation_id.to_string(),
            direction: Direction::Inbound,
            text: text.to_string(),
            media_urls: Vec::new(),
            status: MessageStatus::Received,
            sent_at: None,
            delivered_at: None,
            received_at: Some(at),
            error_code: None,
            segments: message::segments(text).parts.max(1),
            created_at: at,
        },
    );
    Some(opts_out)
}

/// Records an inbound `text` typed by hand (`/_sandbox/inbound`) and returns its
/// `message.replied` event.
pub fn add_inbound(
    world: &mut World,
    conversation_id: &str,
    text: &str,
    at: Millis,
) -> Option<Logged> {
    let id = new_id(Kind::Message, at, &mut world.rng);
    record_inbound(world, conversation_id, id.clone(), text, at)?;
    let conv = world.conversations.get(conversation_id)?;
    Some(Logged::full(
        "message.replied",
        at,
        json!({
            "message_id": id,
            "project_id": conv.project_id,
            "conversation_id": conv.id,
            "organization_id": conv.org_id,
            "from": conv.to,
            "to": conv.from,
            "status": MessageStatus::Received.as_str(),
            "segments": message::segments(text).parts.max(1),
            "is_test": conv.is_test,
            "text": text,
        }),
    ))
}
