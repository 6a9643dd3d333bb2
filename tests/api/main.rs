//! Black-box tests of the running sandbox over HTTP: each test starts the real server in-process
//! on port 0 with a manual clock, so nothing depends on wall-clock time or a fixed port.

mod helpers;

mod clock;
mod contact_lists;
mod control;
mod conversations;
mod determinism;
mod errors;
mod fetch_guard;
mod files;
mod hierarchy;
mod idempotency;
mod import_limits;
mod media;
mod projects;
mod rate_limits;
mod registrations;
mod registry;
mod retention;
mod scoping;
mod sends;
mod stats;
mod webhooks;
