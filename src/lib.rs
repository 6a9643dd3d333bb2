//! pc-sandbox: an offline sandbox of the Political Comms API.
//!
//! [`Sandbox::start`] runs the whole server in-process on any port (tests use port 0); the binary
//! is a thin CLI around it.
//!
//! Imports go one way, lowest layer first; a module imports only from layers before its own, and
//! `tests/layers.rs` fails on any cycle:
//!
//! 1. `domain`, `error` (leaves)
//! 2. `store` (the state's containers)
//! 3. `sim` (time, jobs, effects, write rules) → 4. `seed` (world generation, using those rules)
//! 5. `http` (plumbing, the route registry) → 6. `access` (caller, reach, filters)
//! 7. `state` (the one owner of the simulation)
//! 8. `middleware`, `api`, `control` (the request path) → 9. `openapi` (documents from the
//!    registry) → 10. `app` (the actix `App`) → 11. `server` (start/stop)
//! 12. `cli`, `serve` (the binary's front)

/// Who may see what: the caller, its reach in the org tree, filters, "in use" refusals.
pub mod access;
/// The /v1 surface, one module per resource family.
pub mod api;
/// Building the actix `App`: which routes exist where, which middleware wraps them.
pub mod app;
/// Command-line interface (clap derive).
pub mod cli;
/// The `/_sandbox` control plane.
pub mod control;
/// The world's types and rules, free of HTTP: ids, time, phones, contacts, media, registrations.
pub mod domain;
/// `ApiError` and the catalogue of error codes: the one place error envelopes are written.
pub mod error;
/// HTTP plumbing: strict bodies and queries, the success envelope, the route registry.
pub mod http;
/// Request id, the /v1 gate (auth, rate limits, scopes), idempotency, the control-plane token.
pub mod middleware;
/// The OpenAPI 3.1 document and the Postman collection, generated from the route registry.
pub mod openapi;
/// Deterministic world generation from fixtures and a seed, and the bundled sample files.
pub mod seed;
/// `pc-sandbox serve`: start-up and the banner.
pub mod serve;
/// Starting and stopping a sandbox in-process.
pub mod server;
/// Time and what happens over time: the clock, the scheduler, jobs and their effects, the write
/// rules of imports, analysis and media, fetching source URLs.
pub mod sim;
/// The one owner of the simulation (clock, scheduler, stores) and the application state.
pub mod state;
/// The in-memory stores: the world behind one lock, files, idempotency, rate limits, events.
pub mod store;
/// Signed webhook deliveries: endpoints, the delivery log, workers, the test receiver.
pub mod webhooks;

pub use server::{Config, Sandbox};
