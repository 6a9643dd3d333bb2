//! The /v1 surface: one module per resource family, each with its handlers, the types they read
//! and render (deriving `JsonSchema` for the OpenAPI document) and a `configure` that registers
//! each route with its operation. Handlers parse input (query, path, body) into domain values,
//! call the rules in `sim/` and `domain/`, and render views.

pub mod cache;
pub mod contact_lists;
pub mod conversations;
pub mod email;
pub mod examples;
pub mod hierarchy;
pub mod imports;
pub mod media;
pub mod numbers;
pub mod projects;
pub mod registrations;
pub mod stats;
pub mod toll_free;

use crate::http::routes::Routes;

pub fn configure(r: &mut Routes) {
    hierarchy::configure(r);
    registrations::configure(r);
    numbers::configure(r);
    toll_free::configure(r);
    contact_lists::configure(r);
    media::configure(r);
    // Before `/projects/{id}`, which would take `stats` for an id.
    stats::configure(r);
    projects::configure(r);
    conversations::configure(r);
    email::configure(r);
}
