//! What jobs and write rules ask for beyond the world they change. A job runs under the world's
//! write lock and must not perform I/O or touch stores it does not own, so it returns effects;
//! the owner of the simulation performs them (in `state::dispatch`), in the order they were
//! returned, and `/_sandbox/clock/advance` answers only once they are done. Webhook deliveries
//! join this list as attempts to make.

use crate::domain::ledger::Logged;
use crate::domain::time::Millis;

use super::jobs::Job;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append an event to the event log (and, with webhooks, deliver it to subscribers).
    Publish(Logged),
    /// Schedule a further job.
    Schedule { at: Millis, job: Job },
    /// Forget rate-limit windows and idempotent answers that ended before this time.
    PruneExpired { now: Millis },
    /// Attempt a webhook delivery whose retry fell due at `at`.
    Deliver { delivery_id: String, at: Millis },
}
