//! What contact-list and media imports share: the `source_url` they fetch (checked, then fetched
//! for real) and who owns the result — `organization_id` and `brand_id` checked against the
//! caller's tree (403 for an organization outside it, 404 for a brand outside it) and against each
//! other (400 `BRAND_ORG_MISMATCH`).

use std::time::Duration;

use actix_web::web::Bytes;
use reqwest::Url;

use crate::access::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::Body;
use crate::sim::fetch::{self, FetchError, Limits};
use crate::state::AppState;
use crate::store::World;

/// A slot to fetch and parse one import in: waits while every slot is taken, for at most half
/// the fetch timeout, then answers 503 `IMPORTS_BUSY` (with `Retry-After`) rather than queueing
/// without bound. Hold it until the fetched bytes are parsed.
pub async fn slot(state: &AppState) -> ApiResult<tokio::sync::SemaphorePermit<'_>> {
    let wait = Duration::from_millis(state.settings.sim.fetch_timeout_seconds * 500);
    match tokio::time::timeout(wait, state.imports.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ApiError::coded(
            Code::ImportsBusy,
            format!(
                "{} imports are being fetched and parsed already; retry in a few seconds",
                state.settings.sim.max_concurrent_imports
            ),
        )),
    }
}

/// Takes `source_url` from `body`: a URL the sandbox may fetch, or a field error.
pub fn source_url(body: &mut Body) -> Option<Url> {
    let raw = body.string("source_url", true, 4096)?;
    match fetch::parse_source_url(&raw) {
        Ok(url) => Some(url),
        Err(FetchError::Refused(why) | FetchError::Failed(why)) => {
            body.reject("source_url", why);
            None
        }
    }
}

/// Fetches `url`: the bytes, or why the import fails (`Err` inside). A URL refused only once its
/// host resolved (a metadata address) is a 400 like any refused URL.
pub async fn fetch_source(
    state: &AppState,
    url: Url,
    limits: Limits,
) -> ApiResult<Result<Bytes, String>> {
    match fetch::fetch(&state.http, url, limits).await {
        Ok(fetched) => Ok(Ok(fetched.bytes)),
        Err(FetchError::Failed(why)) => Ok(Err(why)),
        Err(FetchError::Refused(why)) => Err(ApiError::validation("source_url", why)),
    }
}

pub fn resolve(
    world: &World,
    caller: &Caller,
    organization_id: Option<String>,
    brand_id: Option<String>,
) -> ApiResult<(String, Option<String>)> {
    if let Some(org) = &organization_id {
        caller.check_org_filter(world, org)?;
    }
    let brand = match brand_id {
        None => None,
        Some(id) => Some(caller.find(world, &world.brands, &id, "Brand")?),
    };
    let org = match (&organization_id, brand) {
        (Some(org), Some(b)) if *org != b.org_id => {
            return Err(ApiError::coded(
                Code::BrandOrgMismatch,
                format!("brand {} belongs to another organization than {org}", b.id),
            ))
        }
        (Some(org), _) => org.clone(),
        (None, Some(b)) => b.org_id.clone(),
        (None, None) => caller.org_id.clone(),
    };
    Ok((org, brand.map(|b| b.id.clone())))
}
