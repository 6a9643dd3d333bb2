//! The event log: every event the simulation published, in order. Webhook deliveries, the
//! `/_sandbox/events` reader and scenario waits all read from here, so it is apart from the
//! world's lock and wakes whoever waits for a new event.

use parking_lot::RwLock;
use tokio::sync::Notify;

use crate::domain::ledger::Event;

#[derive(Default)]
pub struct EventLog {
    events: RwLock<Vec<Event>>,
    appended: Notify,
}

impl EventLog {
    /// Appends events in the order given and wakes every waiter.
    pub fn append(&self, events: impl IntoIterator<Item = Event>) {
        let mut log = self.events.write();
        let before = log.len();
        log.extend(events);
        let grew = log.len() > before;
        drop(log);
        if grew {
            self.appended.notify_waiters();
        }
    }

    pub fn len(&self) -> usize {
        self.events.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` events after the one with id `after` (from the start when `None`); `None`
    /// when `after` names no event.
    pub fn after(&self, after: Option<&str>, limit: usize) -> Option<Vec<Event>> {
        let log = self.events.read();
        let start = match after {
            None => 0,
            Some(id) => log.iter().position(|e| e.id == id)? + 1,
        };
        Some(log.iter().skip(start).take(limit).cloned().collect())
    }

    /// Resolves at the next append (register before checking, so nothing is missed).
    pub fn appended(&self) -> tokio::sync::futures::Notified<'_> {
        self.appended.notified()
    }

    pub fn clear(&self) {
        self.events.write().clear();
    }
}
