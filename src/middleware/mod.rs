//! Request plumbing around the handlers: request ids and the error safety net (every request),
//! the /v1 gate (auth, scoping, scopes, rate limits) and the control-plane token check.

pub mod body_timeout;
pub mod control_auth;
pub mod gate;
pub mod idempotency;
pub mod request_id;
pub mod trailing_slash;
