//! Bytes the sandbox serves: files hosted under `/_sandbox/files/{name}` (uploaded with PUT, or
//! bundled samples) and the stored bytes of media files. Kept apart from the world's lock so that
//! serving a large file never holds up API requests.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::web::Bytes;
use parking_lot::RwLock;

use crate::domain::time::Millis;

#[derive(Debug, Clone)]
pub struct HostedFile {
    pub bytes: Bytes,
    pub content_type: String,
    pub created_at: Millis,
    pub bundled: bool,
}

/// A sample file shipped in the binary, or made on first request.
struct Sample {
    name: &'static str,
    content_type: &'static str,
    make: fn() -> Vec<u8>,
}

const SAMPLES: &[Sample] = &[
    Sample {
        name: "contacts-clean.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-clean.csv").to_vec(),
    },
    Sample {
        name: "contacts-mixed.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-mixed.csv").to_vec(),
    },
    Sample {
        name: "contacts-no-phone-column.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-no-phone-column.csv").to_vec(),
    },
    Sample {
        name: "contacts-100k.csv",
        content_type: "text/csv",
        make: || crate::seed::samples::large_csv(100_000, 100),
    },
    Sample {
        name: "contacts-1m.csv",
        content_type: "text/csv",
        make: || crate::seed::samples::large_csv(1_000_000, 1),
    },
    Sample {
        name: "rally.jpg",
        content_type: "image/jpeg",
        make: || include_bytes!("../../fixtures/files/rally.jpg").to_vec(),
    },
    Sample {
        name: "logo.png",
        content_type: "image/png",
        make: || include_bytes!("../../fixtures/files/logo.png").to_vec(),
    },
    Sample {
        name: "clip.mp4",
        content_type: "video/mp4",
        make: || include_bytes!("../../fixtures/files/clip.mp4").to_vec(),
    },
    Sample {
        name: "oversized.jpg",
        content_type: "image/jpeg",
        make: crate::seed::samples::oversized_jpeg,
    },
];

static MADE: OnceLock<Vec<OnceLock<Bytes>>> = OnceLock::new();

fn sample(name: &str) -> Option<HostedFile> {
    let i = SAMPLES.iter().position(|s| s.name == name)?;
    let cells = MADE.get_or_init(|| SAMPLES.iter().map(|_| OnceLock::new()).collect());
    let bytes = cells[i]
        .get_or_init(|| Bytes::from((SAMPLES[i].make)()))
        .clone();
    Some(HostedFile {
        bytes,
        content_type: SAMPLES[i].content_type.to_string(),
        created_at: 0,
        bundled: true,
    })
}

/// Names of the bundled samples.
pub fn sample_names() -> impl Iterator<Item = &'static str> {
    SAMPLES.iter().map(|s| s.name)
}

#[derive(Default)]
pub struct FileStore {
    uploaded: RwLock<HashMap<String, HostedFile>>,
    media: RwLock<HashMap<String, Bytes>>,
}

impl FileStore {
    /// An uploaded file, else a bundled sample of that name.
    pub fn get(&self, name: &str) -> Option<HostedFile> {
        self.uploaded
            .read()
            .get(name)
            .cloned()
            .or_else(|| sample(name))
    }

    pub fn put(&self, name: &str, file: HostedFile) {
        self.uploaded.write().insert(name.to_string(), file);
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
        for name in sample_names() {
            if !uploaded.contains_key(name) {
                if let Some(f) = sample(name) {
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
