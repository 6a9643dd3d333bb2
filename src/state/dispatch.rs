//! Performing effects. Jobs and write rules decide what should happen; this is where it happens,
//! in the order the effects were returned: events join the event log and go to the webhook
//! endpoints that want them, follow-up jobs are scheduled, retries fall due, expired windows and
//! answers are forgotten.

use std::sync::Arc;

use super::Simulation;
use crate::domain::ledger::Logged;
use crate::sim::effects::Effect;
use crate::sim::events;
use crate::webhooks::body::EventBody;

impl Simulation {
    /// Performs `effects` in order. Deliveries are queued on their endpoints' workers, not
    /// awaited: an advance of the manual clock waits for them (`run_due_settled`), requests never.
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
                Effect::Deliver { delivery_id, at } => self.hub.retry_due(&delivery_id, at),
            }
        }
        self.publish(events, None).await;
    }

    /// Appends `events` to the log and hands each to the endpoints that want it (only to
    /// `only` when given: `webhook.test`). Returns the log position of the first. Bodies are
    /// rendered in chunks, yielding between them, so a large slice of a send does not hold up
    /// the requests that share this worker thread.
    pub async fn publish(&self, events: Vec<Logged>, only: Option<&str>) -> u64 {
        if events.is_empty() {
            return self.events.len() as u64;
        }
        let rendered = if self.hub.listening() {
            Some(events.clone())
        } else {
            None
        };
        let first = self.events.append(events);
        let Some(logged) = rendered else {
            return first;
        };
        for (c, chunk) in logged.chunks(RENDER_CHUNK).enumerate() {
            let base = first + (c * RENDER_CHUNK) as u64;
            let bodies: Vec<(EventBody, i64)> = {
                let world = self.store.read();
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let body = EventBody::from(events::render(&world, base + i as u64, e));
                        (body, e.created_at())
                    })
                    .collect()
            };
            for (body, at) in bodies {
                let bytes: Arc<[u8]> = Arc::from(body.to_bytes());
                self.hub
                    .publish(&body.event_id, &body.event_type, bytes, at, only);
            }
            tokio::task::yield_now().await;
        }
        first
    }
}

/// Events rendered between two yields.
const RENDER_CHUNK: usize = 1_000;
