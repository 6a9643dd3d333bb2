//! A request body that stops arriving is timed out. Without this, a client that sends headers
//! and then stalls keeps a connection and a handler waiting forever (a review held 300 such
//! connections open). Every request's payload is read through a stream that fails when no bytes
//! arrive for `--body-timeout-seconds`; the answer is then a 408 `REQUEST_TIMEOUT` envelope.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, Error, HttpMessage};
use futures_util::{Stream, StreamExt};

use crate::error::ApiError;
use crate::state::AppState;

type Chunk = Result<Bytes, PayloadError>;

/// `inner`, failing with a timeout when a chunk takes longer than `idle` (and then ending).
fn timed(
    inner: Payload,
    idle: Duration,
    fired: Arc<AtomicBool>,
) -> Pin<Box<dyn Stream<Item = Chunk>>> {
    let stream = futures_util::stream::unfold(Some(inner), move |state| {
        let fired = fired.clone();
        async move {
            let mut inner = state?;
            match tokio::time::timeout(idle, inner.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(inner))),
                Ok(None) => None,
                Err(_) => {
                    fired.store(true, Ordering::Relaxed);
                    let err = io::Error::new(io::ErrorKind::TimedOut, "the request body stalled");
                    Some((Err(PayloadError::Io(err)), None))
                }
            }
        }
    });
    Box::pin(stream)
}

pub async fn body_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let idle = req
        .app_data::<web::Data<AppState>>()
        .map(|s| Duration::from_millis(s.settings.body_timeout_ms.max(1)));
    // Only a request that announces a body has one to wait for (GETs pass untouched).
    let has_body = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || req
            .headers()
            .contains_key(actix_web::http::header::TRANSFER_ENCODING);
    let Some(idle) = idle.filter(|_| has_body) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let fired = Arc::new(AtomicBool::new(false));
    let payload = req.take_payload();
    req.set_payload(Payload::Stream {
        payload: timed(payload, idle, fired.clone()),
    });
    let res = next.call(req).await?.map_into_boxed_body();
    if fired.load(Ordering::Relaxed) {
        let seconds = idle.as_secs_f64();
        let (req, _) = res.into_parts();
        let err = ApiError::Http {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!("the request body stalled: no bytes arrived for {seconds} s"),
        };
        let mut res = ServiceResponse::from_err(err, req).map_into_boxed_body();
        res.headers_mut().insert(
            actix_web::http::header::CONNECTION,
            actix_web::http::header::HeaderValue::from_static("close"),
        );
        return Ok(res);
    }
    Ok(res)
}
