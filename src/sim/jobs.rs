//! The kinds of work the scheduler runs. Each capability adds its variant here and its arm in
//! [`run`]; jobs are plain data (ids, not references), so pending work can be listed and
//! snapshotted, and a job whose subject was deleted meanwhile simply finds nothing to do.
//!
//! A job changes the world and returns [`Effect`]s; it never performs I/O itself. Rates and
//! periods are data ([`HOUSEKEEPING_EVERY`]), so a scenario or a snapshot can read them.

use serde::{Deserialize, Serialize};

use super::effects::Effect;
use super::{analysis, import, media, send};
use crate::domain::time::{Millis, HOUR};
use crate::store::World;

/// How often expired rate-limit windows and idempotent answers are forgotten.
pub const HOUSEKEEPING_EVERY: Millis = HOUR;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Hourly: forgets finished rate-limit windows and expired idempotency answers.
    Housekeeping,
    /// A contact list's processing window has passed: it is ready.
    ImportReady { list_id: String },
    /// An LRN analysis run has finished: results, breakdown, `contact_list.analyzed`.
    AnalysisComplete { list_id: String },
    /// A media file has been optimized: it is ready and its URL serves it.
    MediaReady { media_id: String },
    /// The send engine: starts, attempts and message steps that fell due (`sim::send`).
    SendTick,
    /// A webhook delivery's next attempt (its retry schedule is on the sandbox clock).
    WebhookRetry { delivery_id: String },
}

/// When a recurring job due at `at` runs next, given that the clock reads `now`: one period
/// later, or one period after `now` when the clock jumped past further runs. Runs missed by a
/// jump are caught up once, never one by one (a jump of years would otherwise run millions).
pub fn next_run(at: Millis, now: Millis, every: Millis) -> Millis {
    let next = at.saturating_add(every);
    if next > now {
        next
    } else {
        now.saturating_add(every)
    }
}

/// Runs one job due at `at` against the world, the clock reading `now` (at or after `at`),
/// returning what else must happen.
pub fn run(world: &mut World, job: &Job, at: Millis, now: Millis) -> Vec<Effect> {
    match job {
        Job::Housekeeping => vec![
            Effect::PruneExpired { now: now.max(at) },
            Effect::Schedule {
                at: next_run(at, now, HOUSEKEEPING_EVERY),
                job: Job::Housekeeping,
            },
        ],
        Job::ImportReady { list_id } => {
            if let Some(list) = world.contact_lists.get_mut(list_id) {
                import::finish_processing(&mut list.import, at);
            }
            Vec::new()
        }
        Job::AnalysisComplete { list_id } => analysis::complete(world, list_id, at)
            .map(Effect::Publish)
            .into_iter()
            .collect(),
        Job::MediaReady { media_id } => {
            if let Some(m) = world.media.get_mut(media_id) {
                media::finish_optimizing(m, at);
            }
            Vec::new()
        }
        Job::SendTick => send::tick(world, at, now),
        Job::WebhookRetry { delivery_id } => vec![Effect::Deliver {
            delivery_id: delivery_id.clone(),
            at,
        }],
    }
}
