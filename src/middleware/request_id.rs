//! Outermost middleware: gives every request an id (echoing a sane client-sent `X-Request-ID`),
//! makes it available to error rendering through [`REQUEST_ID`], sets the response header, and is
//! the safety net that turns any framework error that slipped past [`ApiError`] (payload limits,
//! malformed requests) into the contract's envelope — never an HTML or plain-text error.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};

use crate::error::{from_framework, ApiError, REQUEST_ID};
use crate::state::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A client-sent id is echoed when it is 1-128 characters of `[A-Za-z0-9._:-]`.
fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_string)
        .unwrap_or_else(|| match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.next_request_id(),
            None => "req_unknown".into(),
        });
    let method = req.method().to_string();
    let path = req.path().to_string();
    let mut res = REQUEST_ID
        .scope(id.clone(), async move {
            // Routed services turn their errors into responses, so an `Err` here is rare; it is
            // still rendered through `ApiError` (by actix, outside this scope, hence without a
            // correlation id) rather than as plain text.
            match next.call(req).await {
                Ok(res) => Ok(safety_net(res.map_into_boxed_body(), &method, &path)),
                Err(err) => {
                    let status = err.as_response_error().status_code();
                    Err(from_framework(status, err.to_string(), &method, &path))
                }
            }
        })
        .await
        .map_err(Error::from)?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    Ok(res)
}

/// Replaces error responses not written by [`ApiError`] with the envelope. Runs inside the
/// request-id scope so the replacement carries the correlation id.
fn safety_net(res: ServiceResponse<BoxBody>, method: &str, path: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let ours = res
        .response()
        .error()
        .map(|e| e.as_error::<ApiError>().is_some())
        .unwrap_or_else(|| {
            res.headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/json"))
        });
    if ours {
        return res;
    }
    let message = res
        .response()
        .error()
        .map(|e| e.to_string())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let api = from_framework(status, message, method, path);
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, api.error_response())
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn echoes_only_sane_ids() {
        assert!(sane("abc-123_X.y:z"));
        assert!(!sane(""));
        assert!(!sane("has space"));
        assert!(!sane("<script>"));
        assert!(!sane(&"a".repeat(129)));
    }
}
