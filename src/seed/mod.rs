//! Deterministic world generation: fixture files describe the fixed part of the world (the org
//! tree, registrations, keys, org states); a ChaCha8 rng seeded from `--seed` generates the rest
//! (ids, people, phone numbers, registration ids, timestamps relative to the clock start).

pub mod fixtures;
pub mod generate;
pub mod history;
pub mod lists;
pub mod projects;
pub mod samples;

pub use fixtures::Fixtures;
pub use generate::{generate, generate_with};
