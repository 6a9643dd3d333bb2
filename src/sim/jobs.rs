//! The kinds of work the scheduler runs. Each later capability (imports, LRN analysis, media
//! optimization, sends, webhook retries, idempotency expiry) adds its variant here and its arm in
//! [`run`]; jobs are plain data so pending work can be listed and snapshotted.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::domain::time::{Millis, HOUR};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Forgets rate-limit windows that have ended, so the limiter's memory stays bounded by the
    /// keys active in current windows; runs every sandbox hour.
    PruneRateWindows,
}

impl Job {
    pub fn label(&self) -> &'static str {
        match self {
            Job::PruneRateWindows => "prune_rate_windows",
        }
    }
}

/// Runs one due job at its due time `at`.
pub fn run(core: &AppState, job: Job, at: Millis) {
    match job {
        Job::PruneRateWindows => {
            core.limiter.prune(at.div_euclid(1000));
            core.scheduler.schedule(at + HOUR, Job::PruneRateWindows);
        }
    }
}
