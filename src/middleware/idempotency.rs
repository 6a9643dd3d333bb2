//! `Idempotency-Key` on POST, PATCH and DELETE, around the whole API (inside the gate, so replays
//! still count against the rate limit and scoping is already known). The first completed answer
//! — status, body and headers, but not the per-response request id and rate-limit headers, which
//! outer layers add — is kept for 24 h of sandbox time and replayed byte for byte with
//! `Idempotent-Replayed: true`. 2xx and 4xx answers are kept; 429 and 5xx are not, so a retry
//! after them runs afresh. The same key with another method, path or body is a 422; while the
//! first request is still running, a 409.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_ENCODING};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use sha2::{Digest, Sha256};

use crate::access::Caller;
use crate::domain::time::DAY;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::store::idempotency::{Begin, Fingerprint, StoredResponse};

pub const MAX_KEY_LEN: usize = 255;

/// Headers that belong to one response, never to a replay.
fn per_response(name: &str) -> bool {
    matches!(
        name,
        "x-request-id" | "date" | "content-length" | "retry-after"
    ) || name.starts_with("x-ratelimit-")
}

/// Frees the key if the request never completes (client gone, handler dropped).
struct InFlight<'a> {
    state: &'a AppState,
    api_key: String,
    key: String,
    done: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.state
                .sim
                .idempotency
                .finish(&self.api_key, &self.key, None);
        }
    }
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let writes = matches!(*req.method(), Method::POST | Method::PATCH | Method::DELETE);
    if !writes || !req.headers().contains_key("idempotency-key") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let header = req.headers().get("idempotency-key").cloned();
    let caller = req.extensions().get::<Caller>().cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(header), Some(caller), Some(state)) = (header, caller, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match header.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= MAX_KEY_LEN => k.to_string(),
        Ok(k) if k.len() > MAX_KEY_LEN => {
            let err = ApiError::validation(
                "Idempotency-Key",
                format!("must be at most {MAX_KEY_LEN} characters, got {}", k.len()),
            );
            return Ok(req.error_response(err));
        }
        _ => {
            let err =
                ApiError::validation("Idempotency-Key", "must be a non-empty printable string");
            return Ok(req.error_response(err));
        }
    };
    let bytes = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => return Ok(req.error_response(e)),
    };
    // The extractor has already decoded a compressed body: hand the handler the decoded bytes
    // without the encoding header, or it would decode them a second time (and fail).
    req.headers_mut().remove(CONTENT_ENCODING);
    req.set_payload(actix_web::dev::Payload::from(bytes.clone()));
    let fingerprint = Fingerprint {
        method: req.method().to_string(),
        path: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_string(), |p| p.to_string()),
        body_sha256: Sha256::digest(&bytes).into(),
    };
    let now = state.sim.clock.now();
    match state
        .sim
        .idempotency
        .begin(&caller.key, &key, fingerprint, now)
    {
        Begin::Replay(stored) => {
            let mut res =
                HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
            for (name, value) in &stored.headers {
                if let (Ok(n), Ok(v)) = (
                    HeaderName::try_from(name.as_str()),
                    HeaderValue::from_bytes(value),
                ) {
                    res.append_header((n, v));
                }
            }
            res.insert_header(("Idempotent-Replayed", "true"));
            Ok(req.into_response(res.body(stored.body)))
        }
        Begin::InFlight => Ok(req.error_response(ApiError::coded(
            Code::IdempotencyKeyInProgress,
            "A request with this Idempotency-Key is still in progress; retry when it has finished",
        ))),
        Begin::Reused => Ok(req.error_response(ApiError::coded(
            Code::IdempotencyKeyReused,
            "This Idempotency-Key was already used with a different method, path or body",
        ))),
        Begin::Proceed => {
            let mut guard = InFlight {
                state: &state,
                api_key: caller.key.clone(),
                key: key.clone(),
                done: false,
            };
            let res = next.call(req).await?.map_into_boxed_body();
            let status = res.status();
            let (http_req, response) = res.into_parts();
            let (head, body) = response.into_parts();
            let bytes = body::to_bytes(body).await.unwrap_or_default();
            let keep = status.is_success()
                || (status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS);
            let stored = keep.then(|| StoredResponse {
                status: status.as_u16(),
                headers: head
                    .headers()
                    .iter()
                    .filter(|(n, _)| !per_response(n.as_str()))
                    .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect(),
                body: bytes.clone(),
                expires_at: now + DAY,
            });
            state.sim.idempotency.finish(&caller.key, &key, stored);
            guard.done = true;
            let response = head.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, response))
        }
    }
}
