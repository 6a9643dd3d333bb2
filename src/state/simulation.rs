//! The one owner of the simulation: the sandbox clock, the scheduler of jobs and every store that
//! reset (and, later, snapshot and scenarios) must hold — the world, hosted files, idempotent
//! answers, rate-limit windows, cached answers and the event log. Nothing else keeps state that
//! outlives a request.
//!
//! Time moves in one place. `run_due` pops every job due by the clock's time, runs it against the
//! world under the write lock, and collects the effects it returns; the dispatcher then performs
//! them in order. One async lock serializes these runs (the realtime driver and
//! `/_sandbox/clock/advance` may race), so jobs and their effects happen in the same order on
//! every run, and `advance` answers only once everything that fell due has been performed.

use std::sync::Arc;

use tokio::sync::Mutex as AsyncMutex;

use crate::domain::send::SendSettings;
use crate::domain::time::{Millis, HOUR};
use crate::seed::{self, Fixtures};
use crate::sim::clock::{Clock, ClockError};
use crate::sim::effects::Effect;
use crate::sim::jobs::{self, Job};
use crate::sim::scheduler::Scheduler;
use crate::store::events::EventLog;
use crate::store::files::FileStore;
use crate::store::idempotency::IdempotencyStore;
use crate::store::limiter::RateLimiter;
use crate::store::responses::ResponseCache;
use crate::store::Store;
use crate::webhooks::Hub;

/// What the seeded world is generated from (and regenerated from on reset).
struct Origin {
    fixtures: Fixtures,
    seed: u64,
    clock_start: Millis,
    history_scale: f64,
}

pub struct Simulation {
    origin: Origin,
    pub clock: Clock,
    pub scheduler: Arc<Scheduler<Job>>,
    pub store: Store,
    pub files: FileStore,
    pub idempotency: IdempotencyStore,
    pub limiter: RateLimiter,
    /// Serialized answers of the hierarchy reads, valid while the world is unchanged.
    pub responses: ResponseCache,
    pub events: EventLog,
    /// Webhook endpoints, the delivery log and the delivery workers.
    pub hub: Hub,
    /// Serializes running due jobs and performing their effects.
    running: AsyncMutex<()>,
    /// The send engine's settings, applied again to the world a reset regenerates.
    sends: parking_lot::Mutex<SendSettings>,
}

impl Simulation {
    pub fn new(fixtures: Fixtures, seed: u64, clock_start: Millis, clock: Clock) -> Self {
        Self::with_history(fixtures, seed, clock_start, clock, 1.0)
    }

    /// [`new`](Self::new) with the seeded message history's volume scaled.
    pub fn with_history(
        fixtures: Fixtures,
        seed: u64,
        clock_start: Millis,
        clock: Clock,
        history_scale: f64,
    ) -> Self {
        let world = seed::generate_with(&fixtures, seed, clock_start, history_scale);
        let scheduler = Arc::new(Scheduler::default());
        let hub = Hub::new(
            seed,
            scheduler.clone(),
            crate::webhooks::hub::DEFAULT_TIMEOUT,
        );
        let sim = Simulation {
            origin: Origin {
                fixtures,
                seed,
                clock_start,
                history_scale,
            },
            clock,
            scheduler,
            store: Store::new(world),
            files: FileStore::new(seed::samples::CATALOG),
            idempotency: IdempotencyStore::default(),
            limiter: RateLimiter::default(),
            responses: ResponseCache::default(),
            events: EventLog::default(),
            hub,
            running: AsyncMutex::new(()),
            sends: Default::default(),
        };
        sim.prepare_world();
        sim
    }

    /// Sets the send engine's settings (rate, outcome rates) now and after every reset.
    pub fn configure_sends(&self, settings: SendSettings) {
        *self.sends.lock() = settings;
        let mut world = self.store.write();
        apply_send_settings(&mut world, settings);
    }

    /// What a freshly generated world needs around it: the hourly housekeeping job, the engine's
    /// settings and its first tick (seeded projects that are scheduled or sending), and the bytes
    /// of seeded media (made from the bundled samples).
    fn prepare_world(&self) {
        self.scheduler
            .schedule(self.clock.now() + HOUR, Job::Housekeeping);
        {
            let mut world = self.store.write();
            apply_send_settings(&mut world, *self.sends.lock());
            self.wake_engine(&mut world);
        }
        let world = self.store.read();
        for m in world.media.values() {
            if let Some(bytes) = m.seed_sample.as_deref().and_then(|s| self.files.get(s)) {
                self.files.put_media(&m.id, bytes.bytes);
            }
        }
    }

    /// Runs every job due by the clock's time, one at a time: each under the world's write lock,
    /// then its effects performed (follow-ups scheduled, events appended and queued for their
    /// webhooks) before the next one, so the lock is held only for one job and events are out as
    /// soon as their job ran. Returns how many jobs ran. Requests and the realtime driver call
    /// this: it never waits for a webhook receiver.
    pub async fn run_due(&self) -> usize {
        self.run_due_with(false).await
    }

    /// [`run_due`](Self::run_due), and after each job, wait until the webhook attempts it set
    /// off have been made (so their retries that fall due by now run too): what
    /// `/_sandbox/clock/advance` promises.
    pub async fn run_due_settled(&self) -> usize {
        self.run_due_with(true).await
    }

    async fn run_due_with(&self, settle: bool) -> usize {
        let _running = self.running.lock().await;
        let now = self.clock.now();
        let mut ran = 0;
        if settle {
            self.hub.idle().await;
        }
        while let Some((at, job)) = self.scheduler.pop_due(now) {
            let effects = {
                let mut world = self.store.write();
                jobs::run(&mut world, &job, at, now)
            };
            ran += 1;
            self.perform(effects).await;
            if settle {
                self.hub.idle().await;
            }
            // Let the requests that share this worker thread in between slices: a long advance
            // must not stall them for its whole length.
            tokio::task::yield_now().await;
        }
        ran
    }

    /// Schedules the engine's next tick when a request gave it something to do.
    pub fn wake_engine(&self, world: &mut crate::store::World) {
        if let Some(Effect::Schedule { at, job }) = crate::sim::send::follow_up(world) {
            self.scheduler.schedule(at, job);
        }
    }

    /// Moves the clock forward by `ms` and runs everything due by then.
    pub async fn advance_by(&self, ms: Millis) -> Result<Millis, ClockError> {
        let now = self.clock.advance(ms)?;
        self.run_due_settled().await;
        Ok(now)
    }

    /// Moves the clock to `to` (never backwards) and runs everything due by then.
    pub async fn advance_to(&self, to: Millis) -> Result<Millis, ClockError> {
        let now = self.clock.set_now(to)?;
        self.run_due_settled().await;
        Ok(now)
    }

    /// Back to the seeded state: the world is regenerated from the same fixtures, seed and clock
    /// start (so ids are the same as at start-up); pending jobs, rate-limit windows, idempotent
    /// answers, uploads and events are dropped. The clock keeps its time: sandbox time never goes
    /// backwards.
    pub async fn reset(&self) {
        let _running = self.running.lock().await;
        let world = seed::generate_with(
            &self.origin.fixtures,
            self.origin.seed,
            self.origin.clock_start,
            self.origin.history_scale,
        );
        self.scheduler.clear();
        self.limiter.clear();
        self.idempotency.clear();
        self.files.clear();
        self.events.clear();
        self.hub.reset();
        self.responses.clear();
        self.store.replace(world);
        self.prepare_world();
    }
}

/// The engine's settings on a world, including the runs the seeding already built.
fn apply_send_settings(world: &mut crate::store::World, settings: SendSettings) {
    world.engine.settings = settings;
    if let Some(per_second) = settings.per_second {
        for run in &mut world.engine.runs {
            if run.per_minute.is_finite() {
                run.per_minute = per_second * 60.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::DAY;
    use crate::sim::clock::{ClockMode, MAX_TIME};

    fn simulation(start: Millis) -> Simulation {
        let clock = Clock::new(ClockMode::Manual, start, 1.0).expect("a clock");
        Simulation::new(Fixtures::default_world(), 1, start, clock)
    }

    #[tokio::test]
    async fn a_jump_of_years_runs_each_recurring_job_once_and_the_clock_stops_at_9999() {
        let start = 1_790_000_000_000;
        let sim = simulation(start);
        sim.clock.set_now(start + 3_650 * DAY).expect("forward");
        sim.run_due().await;
        let housekeeping = |sim: &Simulation| {
            sim.scheduler
                .list()
                .into_iter()
                .filter(|(_, j)| *j == Job::Housekeeping)
                .map(|(due, _)| due)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            housekeeping(&sim),
            vec![start + 3_650 * DAY + HOUR],
            "housekeeping catches up once"
        );
        // The seeded sends ran to their end in the jump: nothing but housekeeping is left.
        assert_eq!(sim.scheduler.pending(), 1);
        assert_eq!(sim.advance_by(HOUR).await, Ok(start + 3_650 * DAY + HOUR));
        assert_eq!(sim.scheduler.pending(), 1);
        assert!(sim.advance_to(MAX_TIME + 1).await.is_err());
        assert_eq!(sim.advance_to(MAX_TIME).await, Ok(MAX_TIME));
        assert!(sim.advance_by(1).await.is_err());
        assert_eq!(sim.clock.now(), MAX_TIME);
    }
}
