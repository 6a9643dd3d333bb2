//! Application state and the actix `App`: which routes exist under the API base path and the
//! control plane, which middleware wraps them, and how extractor failures become envelopes.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest};
use parking_lot::RwLock;

use crate::domain::keys::RateLimitSpec;
use crate::domain::time::{Millis, HOUR};
use crate::error::{self, ApiError, MAX_BODY_BYTES};
use crate::middleware::rate_limit::RateLimiter;
use crate::middleware::{control_auth::control_auth, gate::gate, idempotency::idempotency};
use crate::seed::{self, Fixtures};
use crate::sim::clock::Clock;
use crate::sim::jobs::{self, Job};
use crate::sim::scheduler::Scheduler;
use crate::store::files::FileStore;
use crate::store::idempotency::IdempotencyStore;
use crate::store::Store;

/// How fast simulated work runs on the sandbox clock, and how big imports may be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSettings {
    /// Contact-list rows processed per sandbox second.
    pub import_rows_per_second: u64,
    /// Numbers LRN analysis looks up per sandbox second.
    pub analysis_numbers_per_second: u64,
    /// Sandbox seconds media optimization takes (plus one per MB).
    pub media_optimize_seconds: u64,
    /// Largest file an import may fetch.
    pub max_import_bytes: u64,
    /// Most data rows a contact list may have.
    pub max_import_rows: u64,
    /// Real-time limit on fetching a source URL.
    pub fetch_timeout_seconds: u64,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            import_rows_per_second: 5_000,
            analysis_numbers_per_second: 1_000,
            media_optimize_seconds: 3,
            max_import_bytes: 50 * 1024 * 1024,
            max_import_rows: 1_000_000,
            fetch_timeout_seconds: 30,
        }
    }
}

/// What the sandbox was started with and keeps for reset.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    pub fixtures: Fixtures,
    /// Where the seeded world is anchored in sandbox time.
    pub clock_start: Millis,
    /// The API's base path, `/v1` unless changed.
    pub base_path: String,
    pub control_token: Option<String>,
    /// The global per-key limit; `None` is `off`.
    pub rate_limit: Option<RateLimitSpec>,
    pub sim: SimSettings,
}

/// Everything a request can reach: settings, clock, world, scheduler and limiter.
pub struct AppState {
    pub settings: Settings,
    pub clock: Clock,
    pub store: Store,
    pub scheduler: Scheduler<Job>,
    pub limiter: RateLimiter,
    pub idempotency: IdempotencyStore,
    /// Serialized answers of the hierarchy reads, valid while the world is unchanged.
    pub responses: crate::api::cache::ResponseCache,
    pub files: FileStore,
    /// The client that fetches `source_url`s.
    pub http: reqwest::Client,
    global_rate_limit: RwLock<Option<RateLimitSpec>>,
    request_seq: AtomicU64,
}

impl AppState {
    pub fn new(settings: Settings, clock: Clock) -> Self {
        let world = seed::generate(&settings.fixtures, settings.seed, settings.clock_start);
        let state = AppState {
            global_rate_limit: RwLock::new(settings.rate_limit),
            settings,
            clock,
            store: Store::new(world),
            scheduler: Scheduler::default(),
            limiter: RateLimiter::default(),
            idempotency: IdempotencyStore::default(),
            responses: Default::default(),
            files: FileStore::default(),
            http: crate::sim::fetch::client(),
            request_seq: AtomicU64::new(0),
        };
        state.prepare_world();
        state
    }

    /// What a freshly generated world needs around it: the hourly housekeeping job, and the bytes
    /// of seeded media (made from the bundled samples).
    fn prepare_world(&self) {
        self.scheduler
            .schedule(self.clock.now() + HOUR, Job::Housekeeping);
        // Seeded media are served from the bundled samples they were made from.
        let world = self.store.read();
        for m in world.media.values() {
            if let Some(bytes) = m.seed_sample.as_deref().and_then(|s| self.files.get(s)) {
                self.files.put_media(&m.id, bytes.bytes);
            }
        }
    }

    pub fn global_rate_limit(&self) -> Option<RateLimitSpec> {
        *self.global_rate_limit.read()
    }

    /// Runs every job due by the clock's current time. Returns how many ran.
    pub fn run_due(&self) -> usize {
        let now = self.clock.now();
        self.scheduler
            .run_due(now, |job, at| jobs::run(self, job, at))
    }

    /// Moves the clock forward by `ms` and runs everything due by then.
    pub fn advance_by(&self, ms: Millis) -> Millis {
        let now = self.clock.advance(ms);
        self.run_due();
        now
    }

    /// Moves the clock to `to` (never backwards) and runs everything due by then.
    pub fn advance_to(&self, to: Millis) -> Result<Millis, crate::sim::clock::ClockError> {
        let now = self.clock.set_now(to)?;
        self.run_due();
        Ok(now)
    }

    /// Back to the seeded state: the world is regenerated from the same fixtures, seed and clock
    /// start (so ids are the same as at start-up); pending jobs and rate-limit windows are
    /// dropped. The clock keeps its time: sandbox time never goes backwards.
    pub fn reset(&self) {
        let world = seed::generate(
            &self.settings.fixtures,
            self.settings.seed,
            self.settings.clock_start,
        );
        self.scheduler.clear();
        self.limiter.clear();
        self.idempotency.clear();
        self.files.clear();
        self.store.replace(world);
        self.prepare_world();
    }

    /// `req_` + a ULID from the sandbox clock and a seeded counter: deterministic for a given
    /// seed, clock and request sequence.
    pub fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let mixed = splitmix64(self.settings.seed ^ splitmix64(n));
        let random = ((mixed as u128) << 16) | (n as u128 & 0xffff);
        let ulid = ulid::Ulid::from_parts(self.clock.now().max(0) as u64, random);
        format!("req_{ulid}")
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

async fn route_not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound {
        method: req.method().to_string(),
        path: req.path().to_string(),
    })
}

/// Registers the API, the control plane and the extractor error handlers on an `App`.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    let base = state.settings.base_path.clone();
    cfg.app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|e, _| error::json_error(e).into()),
        )
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(|e, _| error::path_error(e).into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| error::query_error(e).into()))
        .service(
            web::scope("/_sandbox")
                .wrap(from_fn(control_auth))
                .configure(crate::control::configure)
                .default_service(web::to(route_not_found)),
        )
        .service(
            web::scope(&base)
                .wrap(from_fn(idempotency))
                .wrap(from_fn(gate))
                .configure(crate::api::configure)
                .default_service(web::to(route_not_found)),
        )
        .default_service(web::to(route_not_found));
}
