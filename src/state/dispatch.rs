//! Performing effects. Jobs and write rules decide what should happen; this is where it happens,
//! in the order the effects were returned: events join the event log (where webhook deliveries
//! will pick them up), follow-up jobs are scheduled, expired windows and answers are forgotten.

use super::Simulation;
use crate::sim::effects::Effect;

impl Simulation {
    /// Performs `effects` in order. Async because deliveries (webhook attempts) will be awaited
    /// here, so that `/_sandbox/clock/advance` answers after them.
    pub async fn perform(&self, effects: Vec<Effect>) {
        let mut events = Vec::new();
        for effect in effects {
            match effect {
                Effect::Publish(event) => events.push(event),
                Effect::Schedule { at, job } => self.scheduler.schedule(at, job),
                Effect::PruneExpired { now } => {
                    self.limiter.prune(now);
                    self.idempotency.prune(now);
                }
            }
        }
        self.events.append(events);
    }
}
