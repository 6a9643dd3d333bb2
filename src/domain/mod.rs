//! The world's types and rules, free of HTTP: ids, timestamps, phone numbers, keys, organizations
//! and their messaging registrations. Handlers validate into these types; the store holds them.

pub mod contacts;
pub mod conversation;
pub mod conversation_record;
pub mod cursor;
pub mod ids;
pub mod keys;
pub mod ledger;
pub mod lrn;
pub mod media;
pub mod message;
pub mod outcome;
pub mod phone;
pub mod project;
pub mod project_record;
pub mod registry;
pub mod secrets;
pub mod send;
pub mod stats;
pub mod text;
pub mod time;
pub mod window;
pub mod wire;
