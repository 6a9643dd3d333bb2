//! Stored answers to idempotent writes, per (API key, Idempotency-Key), kept for 24 h of sandbox
//! time. An entry is first `InFlight` (a second request with the key gets 409), then `Done` with
//! the answer to replay, or removed again when the answer is not one to keep (429, 5xx).
//!
//! The store is bounded: at most [`MAX_ENTRIES`] answers and [`MAX_BYTES`] of them, and no answer
//! over [`MAX_ANSWER_BYTES`] is kept (its key is freed, so a retry runs afresh, as after a 5xx).
//! When a bound is reached the answers closest to expiry go first, down to 90% of the bound, so
//! eviction is rare and a client's recent keys survive.

use std::collections::HashMap;

use actix_web::web::Bytes;
use parking_lot::Mutex;

use crate::domain::time::Millis;

/// What identifies "the same request": method, path with query, and a hash of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub method: String,
    pub path: String,
    pub body_sha256: [u8; 32],
}

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
    pub expires_at: Millis,
}

#[derive(Debug, Clone)]
enum Entry {
    InFlight(Fingerprint),
    Done(Fingerprint, StoredResponse),
}

/// What to do with a request carrying a key.
#[derive(Debug)]
pub enum Begin {
    Proceed,
    Replay(StoredResponse),
    InFlight,
    Reused,
}

/// The most answers kept at once.
pub const MAX_ENTRIES: usize = 10_000;
/// The most bytes of kept answers (bodies and headers).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The largest single answer kept.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

impl StoredResponse {
    /// Bytes the answer holds.
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>()
    }
}

struct Table {
    entries: HashMap<(String, String), Entry>,
    /// Bytes of the `Done` answers.
    bytes: usize,
}

pub struct IdempotencyStore {
    table: Mutex<Table>,
    max_entries: usize,
    max_bytes: usize,
}

impl Default for IdempotencyStore {
    fn default() -> Self {
        IdempotencyStore::with_limits(MAX_ENTRIES, MAX_BYTES)
    }
}

impl IdempotencyStore {
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> Self {
        IdempotencyStore {
            table: Mutex::new(Table {
                entries: HashMap::new(),
                bytes: 0,
            }),
            max_entries,
            max_bytes,
        }
    }

    pub fn begin(&self, api_key: &str, key: &str, fp: Fingerprint, now: Millis) -> Begin {
        let mut guard = self.table.lock();
        let table = &mut *guard;
        let entries = &mut table.entries;
        let slot = (api_key.to_string(), key.to_string());
        match entries.get(&slot) {
            Some(Entry::Done(_, stored)) if stored.expires_at <= now => {}
            Some(Entry::Done(first, stored)) => {
                return if *first == fp {
                    Begin::Replay(stored.clone())
                } else {
                    Begin::Reused
                };
            }
            Some(Entry::InFlight(first)) => {
                return if *first == fp {
                    Begin::InFlight
                } else {
                    Begin::Reused
                };
            }
            None => {}
        }
        // An expired answer under this key is replaced: its bytes are no longer held.
        if let Some(Entry::Done(_, old)) = entries.insert(slot, Entry::InFlight(fp)) {
            table.bytes -= old.size();
        }
        Begin::Proceed
    }

    /// Ends an in-flight request: keeps its answer, or forgets the key when `stored` is `None`
    /// (or the answer is too large to keep).
    pub fn finish(&self, api_key: &str, key: &str, stored: Option<StoredResponse>) {
        let mut table = self.table.lock();
        let slot = (api_key.to_string(), key.to_string());
        let stored = stored.filter(|s| s.size() <= MAX_ANSWER_BYTES);
        match (table.entries.remove(&slot), stored) {
            (Some(Entry::InFlight(fp)), Some(s)) => {
                table.bytes += s.size();
                table.entries.insert(slot, Entry::Done(fp, s));
                self.evict_if_full(&mut table);
            }
            (Some(Entry::Done(fp, s)), _) => {
                table.entries.insert(slot, Entry::Done(fp, s));
            }
            _ => {}
        }
    }

    /// Over a bound, drops the answers closest to expiry until 90% of each bound is left.
    fn evict_if_full(&self, table: &mut Table) {
        if table.entries.len() <= self.max_entries && table.bytes <= self.max_bytes {
            return;
        }
        let mut done: Vec<(Millis, (String, String))> = table
            .entries
            .iter()
            .filter_map(|(slot, e)| match e {
                Entry::Done(_, s) => Some((s.expires_at, slot.clone())),
                Entry::InFlight(_) => None,
            })
            .collect();
        done.sort();
        let (entries_goal, bytes_goal) = (self.max_entries * 9 / 10, self.max_bytes * 9 / 10);
        for (_, slot) in done {
            if table.entries.len() <= entries_goal && table.bytes <= bytes_goal {
                break;
            }
            if let Some(Entry::Done(_, s)) = table.entries.remove(&slot) {
                table.bytes -= s.size();
            }
        }
    }

    /// Drops answers older than 24 h of sandbox time.
    pub fn prune(&self, now: Millis) {
        let mut table = self.table.lock();
        let mut freed = 0;
        table.entries.retain(|_, e| match e {
            Entry::Done(_, s) if s.expires_at <= now => {
                freed += s.size();
                false
            }
            _ => true,
        });
        table.bytes -= freed;
    }

    pub fn clear(&self) {
        let mut table = self.table.lock();
        table.entries.clear();
        table.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.table.lock().entries.len()
    }

    /// Bytes of the kept answers.
    pub fn bytes(&self) -> usize {
        self.table.lock().bytes
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(body: u8) -> Fingerprint {
        Fingerprint {
            method: "POST".into(),
            path: "/v1/media".into(),
            body_sha256: [body; 32],
        }
    }

    fn stored(expires_at: Millis) -> StoredResponse {
        StoredResponse {
            status: 202,
            headers: vec![],
            body: Bytes::from_static(b"{}"),
            expires_at,
        }
    }

    #[test]
    fn first_proceeds_concurrent_waits_done_replays_other_body_is_reuse() {
        let s = IdempotencyStore::default();
        assert!(matches!(s.begin("k", "a", fp(1), 0), Begin::Proceed));
        assert!(matches!(s.begin("k", "a", fp(1), 0), Begin::InFlight));
        assert!(matches!(s.begin("k", "a", fp(2), 0), Begin::Reused));
        s.finish("k", "a", Some(stored(100)));
        assert!(matches!(s.begin("k", "a", fp(1), 50), Begin::Replay(_)));
        assert!(matches!(s.begin("k", "a", fp(2), 50), Begin::Reused));
        // Another API key has its own namespace.
        assert!(matches!(s.begin("other", "a", fp(2), 50), Begin::Proceed));
        // After expiry the key is fresh again.
        assert!(matches!(s.begin("k", "a", fp(2), 100), Begin::Proceed));
    }

    #[test]
    fn unstored_answers_free_the_key() {
        let s = IdempotencyStore::default();
        assert!(matches!(s.begin("k", "a", fp(1), 0), Begin::Proceed));
        s.finish("k", "a", None);
        assert!(matches!(s.begin("k", "a", fp(1), 0), Begin::Proceed));
        s.finish("k", "a", Some(stored(10)));
        s.prune(10);
        assert!(s.is_empty());
    }

    #[test]
    fn the_store_stays_within_its_bounds_dropping_answers_closest_to_expiry() {
        let s = IdempotencyStore::with_limits(10, 1_000);
        let big = |expires_at: Millis, n: usize| StoredResponse {
            status: 400,
            headers: vec![],
            body: Bytes::from(vec![b'x'; n]),
            expires_at,
        };
        for i in 0..30 {
            let key = format!("k{i}");
            assert!(matches!(s.begin("api", &key, fp(1), 0), Begin::Proceed));
            s.finish("api", &key, Some(big(1_000 + i, 50)));
            assert!(
                s.len() <= 10 && s.bytes() <= 1_000,
                "{} {}",
                s.len(),
                s.bytes()
            );
        }
        // The newest answers are kept, the oldest went first.
        assert!(matches!(s.begin("api", "k29", fp(1), 0), Begin::Replay(_)));
        assert!(matches!(s.begin("api", "k0", fp(1), 0), Begin::Proceed));
        // An answer over the per-answer bound is not kept, and its key is free again.
        assert!(matches!(s.begin("api", "huge", fp(1), 0), Begin::Proceed));
        s.finish("api", "huge", Some(big(5_000, MAX_ANSWER_BYTES + 1)));
        assert!(matches!(s.begin("api", "huge", fp(1), 0), Begin::Proceed));
        // Bytes are accounted exactly through expiry, replacement and clearing.
        s.prune(1_000_000);
        assert_eq!(s.bytes(), 0);
        s.finish("api", "huge", Some(big(10, 100)));
        assert_eq!(s.bytes(), 100);
        assert!(matches!(s.begin("api", "huge", fp(1), 20), Begin::Proceed));
        assert_eq!(s.bytes(), 0);
        s.clear();
        assert!(s.is_empty());
    }
}
