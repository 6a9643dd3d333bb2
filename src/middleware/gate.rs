//! The /v1 gate: authenticates the `X-API-Key`, counts the request against the key's rate limit,
//! checks the key's scope for the method, and hands the handlers a [`Caller`]. Every /v1 answer,
//! errors included, leaves with the three `X-RateLimit-*` headers (unless limits are off).
//!
//! Order matters and mirrors production: an unknown or revoked key is a 401 that does not count;
//! a known key counts first, so a read-only key writing is a counted 403, and a key over its limit
//! gets a 429 before anything else is looked at.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};

use crate::access::{Caller, Reach};
use crate::domain::keys::{self, LimitPolicy, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::limiter::Decision;

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

fn put_headers(headers: &mut HeaderMap, d: Option<Decision>) {
    if let Some(d) = d {
        headers.insert(LIMIT, HeaderValue::from(d.limit));
        headers.insert(REMAINING, HeaderValue::from(d.remaining));
        headers.insert(RESET, HeaderValue::from(d.reset));
    }
}

fn reject(req: ServiceRequest, err: ApiError, d: Option<Decision>) -> ServiceResponse<BoxBody> {
    let mut res = req.error_response(err);
    put_headers(res.headers_mut(), d);
    res
}

pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(ApiError::Internal("application state missing".into())));
    };
    let now = state.sim.clock.now();
    let global = state.global_rate_limit();
    let presented = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| keys::is_well_formed(k));
    let found = presented.and_then(|k| {
        let world = state.sim.store.read();
        world
            .keys
            .get(k)
            .filter(|key| !key.revoked)
            .map(|key| (key.clone(), world.orgs.contains_key(&key.organization_id)))
    });
    let key = match found {
        Some((key, true)) => key,
        _ => {
            // Unauthenticated answers carry the global window's headers but count against nothing.
            let d = global.map(|policy| state.sim.limiter.peek("", policy, now));
            return Ok(reject(req, ApiError::InvalidApiKey, d));
        }
    };
    let decision = key
        .rate_limit
        .map(LimitPolicy::Window)
        .or(global)
        .map(|policy| state.sim.limiter.hit(&key.key, policy, now));
    if let Some(d) = decision.filter(|d| !d.allowed) {
        let err = ApiError::RateLimited {
            retry_after_secs: d.retry_after,
        };
        return Ok(reject(req, err, decision));
    }
    let needed = match *req.method() {
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE => Scope::Write,
        _ => Scope::Read,
    };
    if !key.has_scope(needed) {
        return Ok(reject(
            req,
            ApiError::PermissionDenied(needed.as_str()),
            decision,
        ));
    }
    req.extensions_mut().insert(Caller {
        reach: Reach::new(key.organization_id.clone()),
        org_id: key.organization_id,
        key: key.key,
    });
    let mut res = next.call(req).await?.map_into_boxed_body();
    put_headers(res.headers_mut(), decision);
    Ok(res)
}
