//! With `--control-token T`, every `/_sandbox` route but `/health` requires
//! `Authorization: Bearer T`. Without a token the control plane is open, which `serve` allows
//! only on loopback addresses (or with `--insecure-control-plane`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::error::ApiError;
use crate::state::AppState;

/// Compares without an early exit, so response time does not leak the token's prefix.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn control_auth(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let token = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.settings.control_token.clone());
    if let Some(token) = token {
        let path = req.path().trim_end_matches('/');
        // Health is open; hosted files carry their own presigned signature, media URLs are
        // public, as on S3 or a CDN, and tracking links are what recipients tap.
        let is_open = path.ends_with("/_sandbox/health")
            || (req.method() == actix_web::http::Method::GET
                && (path.starts_with("/_sandbox/files/")
                    || path.starts_with("/_sandbox/media/")
                    || path.starts_with("/_sandbox/l/")));
        let presented = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let ok = presented.is_some_and(|p| same(p.as_bytes(), token.as_bytes()));
        if !is_open && !ok {
            return Ok(req.error_response(ApiError::ControlUnauthorized));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
