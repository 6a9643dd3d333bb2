//! Time and the things that happen over time: the sandbox clock and the scheduler of due jobs.
//! Imports, analysis, media, sends and webhook retries are jobs on this scheduler.

pub mod analysis;
pub mod clock;
pub mod conversations;
pub mod effects;
pub mod events;
pub mod fetch;
pub mod import;
pub mod jobs;
pub mod media;
pub mod project_stats;
pub mod projects;
pub mod scheduler;
pub mod send;
pub mod usage;
