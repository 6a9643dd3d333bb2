//! Bytes the sandbox serves: files hosted under `/_sandbox/files/{name}` (uploaded with PUT, or
//! bundled samples) and the stored bytes of media files. Kept apart from the world's lock so that
//! serving a large file never holds up API requests.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_web::web::Bytes;
use parking_lot::{Mutex, RwLock};

use crate::domain::time::Millis;

/// The cell of a sample's bytes, shared by every store in the process, so a generated sample (a
/// million-row CSV) is made once per process, not once per sandbox or reset.
fn made_cell(name: &'static str) -> Arc<OnceLock<Bytes>> {
    type Cells = Mutex<HashMap<&'static str, Arc<OnceLock<Bytes>>>>;
    static CELLS: OnceLock<Cells> = OnceLock::new();
    CELLS
        .get_or_init(Default::default)
        .lock()
        .entry(name)
        .or_default()
        .clone()
}

#[derive(Debug, Clone)]
pub struct HostedFile {
    pub bytes: Bytes,
    pub content_type: String,
    pub created_at: Millis,
    pub bundled: bool,
}

/// A sample file shipped in the binary, or made on first request. The catalogue itself is part
/// of the seeded world (`seed::samples::CATALOG`); the store only serves it.
pub struct Sample {
    pub name: &'static str,
    pub content_type: &'static str,
    pub make: fn() -> Vec<u8>,
}

/// The bundled samples and their bytes, each made at most once per process (the large ones are
/// generated, and the same bytes serve every sandbox in the process).
struct Samples {
    catalog: &'static [Sample],
    made: Vec<Arc<OnceLock<Bytes>>>,
}

impl Samples {
    fn get(&self, name: &str) -> Option<HostedFile> {
        let i = self.catalog.iter().position(|s| s.name == name)?;
        let bytes = self.made[i]
            .get_or_init(|| Bytes::from((self.catalog[i].make)()))
            .clone();
        Some(HostedFile {
            bytes,
            content_type: self.catalog[i].content_type.to_string(),
            created_at: 0,
            bundled: true,
        })
    }
}

pub struct FileStore {
    samples: Samples,
    uploaded: RwLock<HashMap<String, HostedFile>>,
    media: RwLock<HashMap<String, Bytes>>,
}

impl FileStore {
    /// A store serving `catalog` and nothing uploaded yet.
    pub fn new(catalog: &'static [Sample]) -> Self {
        FileStore {
            samples: Samples {
                catalog,
                made: catalog.iter().map(|s| made_cell(s.name)).collect(),
            },
            uploaded: Default::default(),
            media: Default::default(),
        }
    }

    /// A bundled sample by name (uploads do not shadow it here).
    pub fn sample(&self, name: &str) -> Option<HostedFile> {
        self.samples.get(name)
    }

    /// An uploaded file, else a bundled sample of that name.
    pub fn get(&self, name: &str) -> Option<HostedFile> {
        self.uploaded
            .read()
            .get(name)
            .cloned()
            .or_else(|| self.samples.get(name))
    }

    /// Hosts `file` under `name` unless the uploads (less the one it replaces) would then hold
    /// more than `quota` bytes; `Err` carries the bytes already held by the other uploads.
    pub fn put(&self, name: &str, file: HostedFile, quota: usize) -> Result<(), usize> {
        let mut uploaded = self.uploaded.write();
        let others: usize = uploaded
            .iter()
            .filter(|(n, _)| n.as_str() != name)
            .map(|(_, f)| f.bytes.len())
            .sum();
        if others + file.bytes.len() > quota {
            return Err(others);
        }
        uploaded.insert(name.to_string(), file);
        Ok(())
    }

    /// Bytes held by uploads other than `name`.
    pub fn uploaded_bytes_except(&self, name: &str) -> usize {
        self.uploaded
            .read()
            .iter()
            .filter(|(n, _)| n.as_str() != name)
            .map(|(_, f)| f.bytes.len())
            .sum()
    }

    pub fn delete(&self, name: &str) -> bool {
        self.uploaded.write().remove(name).is_some()
    }

    /// Every file: uploaded ones, then the samples not shadowed by an upload.
    pub fn list(&self) -> Vec<(String, HostedFile)> {
        let uploaded = self.uploaded.read();
        let mut out: Vec<(String, HostedFile)> = uploaded
            .iter()
            .map(|(n, f)| (n.clone(), f.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        for name in self.samples.catalog.iter().map(|s| s.name) {
            if !uploaded.contains_key(name) {
                if let Some(f) = self.samples.get(name) {
                    out.push((name.to_string(), f));
                }
            }
        }
        out
    }

    pub fn media(&self, media_id: &str) -> Option<Bytes> {
        self.media.read().get(media_id).cloned()
    }

    pub fn put_media(&self, media_id: &str, bytes: Bytes) {
        self.media.write().insert(media_id.to_string(), bytes);
    }

    pub fn delete_media(&self, media_id: &str) {
        self.media.write().remove(media_id);
    }

    /// Back to the bundled samples only.
    pub fn clear(&self) {
        self.uploaded.write().clear();
        self.media.write().clear();
    }
}
