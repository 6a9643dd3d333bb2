//! What every request can reach: the settings the sandbox started with, the [`Simulation`] (the
//! one owner of the clock, the scheduler and every resettable store), the HTTP client that
//! fetches source URLs, and the request-id sequence. Routing lives in `app`; nothing here knows
//! about routes, and nothing below imports this module except the request path above it.

mod dispatch;
mod simulation;

pub use simulation::Simulation;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::keys::LimitPolicy;
use crate::domain::secrets::Secrets;
use crate::domain::time::Millis;
use crate::seed::Fixtures;
use crate::sim::clock::Clock;

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
    /// Fetch source URLs only from loopback addresses (CI runs that fuzz the API).
    pub fetch_loopback_only: bool,
    /// Largest hosted file (`PUT /_sandbox/files/{name}`), after decoding.
    pub max_hosted_file_bytes: u64,
    /// The most bytes all hosted uploads may hold together.
    pub hosted_files_quota_bytes: u64,
    /// Imports (lists and media) fetched and parsed at once; more wait for a slot.
    pub max_concurrent_imports: usize,
    /// Messages per sandbox second for every send (`None`: the campaign's TPM, else 60/s).
    pub send_per_second: Option<f64>,
    /// Multiplies the seeded message history's daily volumes.
    pub history_scale: f64,
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
            fetch_loopback_only: false,
            max_hosted_file_bytes: 256 * 1024 * 1024,
            hosted_files_quota_bytes: 512 * 1024 * 1024,
            max_concurrent_imports: 4,
            send_per_second: None,
            history_scale: 1.0,
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
    pub rate_limit: Option<LimitPolicy>,
    pub sim: SimSettings,
    /// Host milliseconds a request body may go without a byte before it is a 408.
    pub body_timeout_ms: u64,
    /// Build URLs in answers from `X-Forwarded-*` / `Forwarded` (behind a trusted proxy).
    pub trust_forwarded_headers: bool,
    /// Ignore unknown query parameters on /v1 instead of refusing them.
    pub lenient_query: bool,
}

/// Everything a request can reach.
pub struct AppState {
    pub settings: Settings,
    /// The clock, the scheduler, the world and every other resettable store.
    pub sim: Simulation,
    /// The client that fetches `source_url`s.
    pub http: reqwest::Client,
    /// The file-signing key and the key-minting PRF (from the control token when there is one).
    pub secrets: Secrets,
    /// Slots for imports in progress: each holds a fetched file and its parse in memory, so their
    /// number bounds the memory imports can take.
    pub imports: tokio::sync::Semaphore,
    request_seq: AtomicU64,
}

impl AppState {
    pub fn new(settings: Settings, clock: Clock) -> Self {
        let sim = Simulation::with_history(
            settings.fixtures.clone(),
            settings.seed,
            settings.clock_start,
            clock,
            settings.sim.history_scale,
        );
        sim.configure_sends(crate::domain::send::SendSettings {
            per_second: settings.sim.send_per_second,
            ..Default::default()
        });
        let secrets = Secrets::derive(settings.seed, settings.control_token.as_deref());
        let imports = tokio::sync::Semaphore::new(settings.sim.max_concurrent_imports.max(1));
        AppState {
            settings,
            sim,
            http: crate::sim::fetch::client(),
            secrets,
            imports,
            request_seq: AtomicU64::new(0),
        }
    }

    pub fn global_rate_limit(&self) -> Option<LimitPolicy> {
        self.settings.rate_limit
    }

    /// `req_` + a ULID from the sandbox clock and a seeded counter: deterministic for a given
    /// seed, clock and request sequence.
    pub fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let mixed = splitmix64(self.settings.seed ^ splitmix64(n));
        let random = ((mixed as u128) << 16) | (n as u128 & 0xffff);
        let ulid = ulid::Ulid::from_parts(self.sim.clock.now().max(0) as u64, random);
        format!("req_{ulid}")
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
