//! The /v1 surface: one module per resource family, each with its handlers, response views and
//! a `configure` that registers its routes. Handlers parse input (query, path, body) into domain
//! values, read or change the store, and render views; rules live in `domain/` and `sim/`.

pub mod body;
pub mod cache;
pub mod contact_lists;
pub mod email;
pub mod hierarchy;
pub mod imports;
pub mod media;
pub mod numbers;
pub mod query;
pub mod registrations;
pub mod toll_free;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

/// `{"success": true, "data": ...}` with status 200.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    respond(StatusCode::OK, data)
}

/// The success envelope with another 2xx status (201 on create, 202 on queued work).
pub fn respond<T: Serialize>(status: StatusCode, data: T) -> HttpResponse {
    #[derive(Serialize)]
    struct Envelope<T> {
        success: bool,
        data: T,
    }
    HttpResponse::build(status).json(Envelope {
        success: true,
        data,
    })
}

/// A resource at `path` whose unsupported methods answer 405 with `Allow: <allow>`.
pub fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        })
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    hierarchy::configure(cfg);
    registrations::configure(cfg);
    numbers::configure(cfg);
    toll_free::configure(cfg);
    contact_lists::configure(cfg);
    media::configure(cfg);
    email::configure(cfg);
}
