//! The event log: every event the simulation published, in order. Webhook deliveries, the
//! `/_sandbox/events` reader and scenario waits all read from here, so it is apart from the
//! world's lock and wakes whoever waits for a new event. Entries are compact (`Logged`); the
//! reader renders them against the world.

use parking_lot::RwLock;
use tokio::sync::Notify;

use crate::domain::ledger::Logged;

#[derive(Default)]
pub struct EventLog {
    events: RwLock<Vec<Logged>>,
    appended: Notify,
}

impl EventLog {
    /// Appends events in the order given and wakes every waiter. Returns the position of the
    /// first one (the next ones follow it).
    pub fn append(&self, events: impl IntoIterator<Item = Logged>) -> u64 {
        let mut log = self.events.write();
        let before = log.len();
        log.extend(events);
        let grew = log.len() > before;
        drop(log);
        if grew {
            self.appended.notify_waiters();
        }
        before as u64
    }

    pub fn len(&self) -> usize {
        self.events.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `limit` entries from position `from`, with their positions.
    pub fn slice(&self, from: usize, limit: usize) -> Vec<(u64, Logged)> {
        let log = self.events.read();
        log.iter()
            .enumerate()
            .skip(from)
            .take(limit)
            .map(|(i, e)| (i as u64, e.clone()))
            .collect()
    }

    /// The entry at position `seq`.
    pub fn get(&self, seq: u64) -> Option<Logged> {
        self.events.read().get(usize::try_from(seq).ok()?).cloned()
    }

    /// Resolves at the next append (register before checking, so nothing is missed).
    pub fn appended(&self) -> tokio::sync::futures::Notified<'_> {
        self.appended.notified()
    }

    pub fn clear(&self) {
        self.events.write().clear();
    }
}
