//! Answers of the hierarchy reads, kept as serialized bytes per (caller's organization, path and
//! query) and valid while the world has not changed. These reads are pure functions of the world
//! and of the caller's reach, and they are what clients poll most (the docs tell them to cache
//! hierarchy data; many do not), so a hit costs a lookup and a copy of bytes instead of walking
//! and serializing the world. Any write to the world bumps its version and so invalidates every
//! entry; the table is cleared when it grows past a bound, so arbitrary filter values cannot
//! make it grow without limit.

use std::collections::HashMap;

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use parking_lot::RwLock;
use serde::Serialize;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::store::World;

const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct ResponseCache {
    entries: RwLock<HashMap<(String, String), (u64, Bytes)>>,
}

impl ResponseCache {
    fn get(&self, key: &(String, String), version: u64) -> Option<Bytes> {
        self.entries
            .read()
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, b)| b.clone())
    }

    fn put(&self, key: (String, String), version: u64, body: Bytes) {
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
}

fn json_ok(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// Writes `{"success": true, "data": <data>}` into `buf`.
pub fn write_data<T: Serialize>(buf: &mut Vec<u8>, data: &T) -> ApiResult<()> {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        success: bool,
        data: &'a T,
    }
    serde_json::to_writer(
        buf,
        &Envelope {
            success: true,
            data,
        },
    )
    .map_err(|e| ApiError::Internal(format!("serializing the answer failed: {e}")))
}

/// The success envelope `build` writes (with [`write_data`]) from the world, or the cached bytes
/// when the world has not changed since it was built for this caller's organization, path and
/// query. Errors are never cached.
pub fn cached(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    build: impl FnOnce(&World, &mut Vec<u8>) -> ApiResult<()>,
) -> ApiResult<HttpResponse> {
    let key = (caller.org_id.clone(), req.uri().to_string());
    let world = state.store.read();
    let version = state.store.version();
    if let Some(body) = state.responses.get(&key, version) {
        return Ok(json_ok(body));
    }
    let mut buf = Vec::with_capacity(4096);
    build(&world, &mut buf)?;
    drop(world);
    let body = Bytes::from(buf);
    state.responses.put(key, version, body.clone());
    Ok(json_ok(body))
}
