//! Answers of the hierarchy reads, kept as serialized bytes per (caller's organization, path and
//! query) and valid while the world has not changed (see `api::cache` for why). The table is
//! cleared when it grows past a bound, so arbitrary filter values cannot make it grow without
//! limit.

use std::collections::HashMap;

use actix_web::web::Bytes;
use parking_lot::RwLock;

const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct ResponseCache {
    entries: RwLock<HashMap<(String, String), (u64, Bytes)>>,
}

impl ResponseCache {
    pub fn get(&self, key: &(String, String), version: u64) -> Option<Bytes> {
        self.entries
            .read()
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, b)| b.clone())
    }

    pub fn put(&self, key: (String, String), version: u64, body: Bytes) {
        let mut entries = self.entries.write();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (version, body));
    }

    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.entries.write().clear();
    }
}
