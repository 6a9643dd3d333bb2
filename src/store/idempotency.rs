//! Stored answers to idempotent writes, per (API key, Idempotency-Key), kept for 24 h of sandbox
//! time. An entry is first `InFlight` (a second request with the key gets 409), then `Done` with
//! the answer to replay, or removed again when the answer is not one to keep (429, 5xx).

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

#[derive(Default)]
pub struct IdempotencyStore {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

impl IdempotencyStore {
    pub fn begin(&self, api_key: &str, key: &str, fp: Fingerprint, now: Millis) -> Begin {
        let mut entries = self.entries.lock();
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
        entries.insert(slot, Entry::InFlight(fp));
        Begin::Proceed
    }

    /// Ends an in-flight request: keeps its answer, or forgets the key when `stored` is `None`.
    pub fn finish(&self, api_key: &str, key: &str, stored: Option<StoredResponse>) {
        let mut entries = self.entries.lock();
        let slot = (api_key.to_string(), key.to_string());
        match (entries.remove(&slot), stored) {
            (Some(Entry::InFlight(fp)), Some(s)) => {
                entries.insert(slot, Entry::Done(fp, s));
            }
            (Some(Entry::Done(fp, s)), _) => {
                entries.insert(slot, Entry::Done(fp, s));
            }
            _ => {}
        }
    }

    /// Drops answers older than 24 h of sandbox time.
    pub fn prune(&self, now: Millis) {
        self.entries
            .lock()
            .retain(|_, e| !matches!(e, Entry::Done(_, s) if s.expires_at <= now));
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.entries.lock().len()
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
}
