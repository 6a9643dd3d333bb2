//! Answers of the hierarchy reads, kept as serialized bytes per (caller's organization, path and
//! query) and valid while the world has not changed. These reads are pure functions of the world
//! and of the caller's reach, and they are what clients poll most (the docs tell them to cache
//! hierarchy data; many do not), so a hit costs a lookup and a copy of bytes instead of walking
//! and serializing the world. Any write to the world bumps its version and so invalidates every
//! entry; the table is cleared when it grows past a bound, so arbitrary filter values cannot
//! make it grow without limit.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::access::Caller;
use crate::error::ApiResult;
use crate::http::envelope::json_bytes;
use crate::state::AppState;
use crate::store::World;

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
    let world = state.sim.store.read();
    let version = state.sim.store.version();
    if let Some(body) = state.sim.responses.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let mut buf = Vec::with_capacity(4096);
    build(&world, &mut buf)?;
    drop(world);
    let body = Bytes::from(buf);
    state.sim.responses.put(key, version, body.clone());
    Ok(json_bytes(body))
}
