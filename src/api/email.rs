//! The `/email` surface. Production answers every email operation with 403 `EMAIL_EARLY_ACCESS`
//! until the product reaches general availability, so the sandbox does too: the 22 operations of
//! the SDK are routed (so other methods on these paths are 405s and other paths 404s), and each
//! answers that error after auth, rate limiting and scope checks, exactly like production.

use actix_web::{web, HttpResponse};

use super::resource;
use crate::error::ApiError;

async fn early_access() -> Result<HttpResponse, ApiError> {
    Err(ApiError::EmailEarlyAccess)
}

/// Each email path with the methods the SDK uses on it (22 operations in all), as an `Allow`
/// header value.
pub const OPERATIONS: &[(&str, &str)] = &[
    ("/email/domains", "GET"),
    ("/email/domains/{id}", "GET"),
    ("/email/senders", "GET"),
    ("/email/senders/{id}", "GET"),
    ("/email/lists", "GET, POST"),
    ("/email/lists/import", "POST"),
    ("/email/lists/{id}", "GET"),
    ("/email/lists/{id}/contacts", "GET, POST"),
    ("/email/suppressions", "GET, POST, DELETE"),
    ("/email/campaigns", "GET, POST"),
    ("/email/campaigns/{id}", "GET"),
    ("/email/campaigns/{id}/schedule", "POST"),
    ("/email/campaigns/{id}/unschedule", "POST"),
    ("/email/campaigns/{id}/stats", "GET"),
    ("/email/templates", "GET, POST"),
    ("/email/templates/{id}", "GET"),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, allow) in OPERATIONS {
        let mut r = resource(path, allow);
        for method in allow.split(", ") {
            let route = match method {
                "GET" => web::get(),
                "POST" => web::post(),
                _ => web::delete(),
            };
            r = r.route(route.to(early_access));
        }
        cfg.service(r);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_exactly_the_22_sdk_operations() {
        let n: usize = super::OPERATIONS
            .iter()
            .map(|(_, allow)| allow.split(", ").count())
            .sum();
        assert_eq!(n, 22);
    }
}
