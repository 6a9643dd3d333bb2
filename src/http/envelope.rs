//! The success envelope `{"success": true, "data": ...}`, written directly or into a buffer (the
//! response cache keeps the bytes).

use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

#[derive(Serialize)]
struct Envelope<T> {
    success: bool,
    data: T,
}

/// `{"success": true, "data": ...}` with status 200.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    respond(StatusCode::OK, data)
}

/// The success envelope with another 2xx status (201 on create, 202 on queued work).
pub fn respond<T: Serialize>(status: StatusCode, data: T) -> HttpResponse {
    HttpResponse::build(status).json(Envelope {
        success: true,
        data,
    })
}

/// Writes `{"success": true, "data": <data>}` into `buf`.
pub fn write_data<T: Serialize>(buf: &mut Vec<u8>, data: &T) -> ApiResult<()> {
    serde_json::to_writer(
        buf,
        &Envelope {
            success: true,
            data,
        },
    )
    .map_err(|e| ApiError::Internal(format!("serializing the answer failed: {e}")))
}

/// A 200 whose body is an already serialized envelope.
pub fn json_bytes(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// Serializes a float as JavaScript writes it: a whole number without a fraction (`10`, never
/// `10.0`), and never `-0`. Clients and webhook receivers re-serialize with `JSON.stringify`.
pub fn js_number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&crate::domain::ledger::js_number(*v), s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Money(#[serde(serialize_with = "js_number")] f64);

    #[test]
    fn floats_serialize_as_javascript_writes_them() {
        let text = |v: f64| serde_json::to_string(&Money(v)).expect("serializes");
        assert_eq!(text(10.0), "10");
        assert_eq!(text(0.0), "0");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(6.9), "6.9");
        assert_eq!(text(-12.5), "-12.5");
    }
}
