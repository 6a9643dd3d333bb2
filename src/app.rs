//! Building the actix `App`: which routes exist under the API base path and the control plane,
//! which middleware wraps them, and how extractor failures become envelopes.
//!
//! The request path, outermost first: request id (and the error safety net) → for /v1 the gate
//! (key, rate limit, scope, `Caller`) → idempotency → handler; for `/_sandbox` the control token
//! → handler. Routes come from the registries of `api` and `control` (plus the documents served
//! by `openapi`), so every route has its documented operation.

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest};

use crate::error::{self, ApiError, MAX_BODY_BYTES};
use crate::http::query::QueryMode;
use crate::http::routes::Routes;
use crate::middleware::{control_auth::control_auth, gate::gate, idempotency::idempotency};
use crate::openapi::{self, Documents};
use crate::state::AppState;

/// The /v1 surface: every resource's routes and the OpenAPI document.
pub fn api_routes() -> Routes {
    let mut routes = Routes::default();
    crate::api::configure(&mut routes);
    openapi::api_routes(&mut routes);
    routes
}

/// The control plane's routes, including its copies of the documents.
pub fn control_routes() -> Routes {
    let mut routes = Routes::default();
    crate::control::configure(&mut routes);
    openapi::control_routes(&mut routes);
    routes
}

async fn route_not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound {
        method: req.method().to_string(),
        path: req.path().to_string(),
    })
}

/// Registers the API, the control plane and the extractor error handlers on an `App`.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    state: web::Data<AppState>,
    docs: web::Data<Documents>,
) {
    let base = state.settings.base_path.clone();
    let query_mode = QueryMode {
        lenient: state.settings.lenient_query,
    };
    let (public, gated) = api_routes().split_public();
    cfg.app_data(state)
        .app_data(docs)
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|e, _| error::json_error(e).into()),
        )
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(|e, _| error::path_error(e).into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| error::query_error(e).into()))
        .service(
            web::scope("/_sandbox")
                .wrap(from_fn(control_auth))
                .configure(|c| control_routes().mount(c))
                .default_service(web::to(route_not_found)),
        )
        // Public operations (the OpenAPI document) answer without a key, ahead of the gate.
        .configure(|c| public.mount_under(&base, c))
        .service(
            web::scope(&base)
                .app_data(query_mode)
                .wrap(from_fn(idempotency))
                .wrap(from_fn(gate))
                .configure(|c| gated.mount(c))
                .default_service(web::to(route_not_found)),
        )
        .default_service(web::to(route_not_found));
}
