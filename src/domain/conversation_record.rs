//! Conversations and their messages as the world stores them. A conversation is one thread
//! between one of an organization's numbers and one contact, created by a project's send and
//! listed only once the contact has sent an inbound message (CONTRACT §9); the rules (status,
//! filters, reply text) live in `domain::conversation`.

use serde::{Deserialize, Serialize};

use super::time::Millis;
use super::wire::wire_enum;

wire_enum!(
    /// Which way a message went.
    Direction { Inbound => "inbound", Outbound => "outbound" }
);

wire_enum!(
    /// A message's delivery status, in the SDK's spellings.
    MessageStatus {
        Unsent => "unsent",
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Delivered => "delivered",
        Failed => "failed",
        Received => "received",
        OnHold => "on_hold",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub direction: Direction,
    pub text: String,
    pub media_urls: Vec<String>,
    pub status: MessageStatus,
    pub sent_at: Option<Millis>,
    pub delivered_at: Option<Millis>,
    pub received_at: Option<Millis>,
    pub error_code: Option<String>,
    pub segments: u32,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub org_id: String,
    pub project_id: Option<String>,
    /// The organization's number (id) the thread runs on, and its E.164 text.
    pub phone_number_id: String,
    pub from: String,
    /// The contact, E.164.
    pub to: String,
    pub is_test: bool,
    pub opted_out: bool,
    /// Message ids, oldest first.
    pub message_ids: Vec<String>,
    pub created_at: Millis,
    pub first_message_at: Option<Millis>,
    pub last_inbound_at: Option<Millis>,
    pub last_outbound_at: Option<Millis>,
}

super::registry::owned!(Conversation);

impl Conversation {
    /// When anything last happened on the thread.
    pub fn last_message_at(&self) -> Millis {
        self.last_inbound_at
            .max(self.last_outbound_at)
            .unwrap_or(self.created_at)
    }
}
