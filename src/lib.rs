//! pc-sandbox: an offline sandbox of the Political Comms API.
//!
//! [`Sandbox::start`] runs the whole server in-process on any port (tests use port 0); the binary
//! is a thin CLI around it.

/// The /v1 surface, one module per resource family.
pub mod api;
/// Application state and the actix `App` (routes, middleware, extractor errors).
pub mod app;
/// Command-line interface (clap derive).
pub mod cli;
/// The `/_sandbox` control plane.
pub mod control;
/// The world's types and rules, free of HTTP.
pub mod domain;
/// `ApiError`: the one place error envelopes are written.
pub mod error;
/// Request id, /v1 gate (auth, scoping, rate limits), control-plane token.
pub mod middleware;
/// Deterministic world generation from fixtures and a seed.
pub mod seed;
/// `pc-sandbox serve`: start-up and the banner.
pub mod serve;
/// The sandbox clock and the scheduler of due jobs.
pub mod sim;
/// The in-memory world behind one lock.
pub mod store;

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use app::{AppState, Settings, SimSettings};
use domain::keys::RateLimitSpec;
use domain::time::Millis;
use seed::Fixtures;
use sim::clock::{Clock, ClockMode};

/// Everything needed to start a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    pub seed: u64,
    pub fixtures: Fixtures,
    /// The global per-key limit; `None` is `off`.
    pub rate_limit: Option<RateLimitSpec>,
    pub clock_mode: ClockMode,
    /// Pins the clock start; otherwise now (realtime) or today's midnight UTC (manual).
    pub clock_start: Option<Millis>,
    pub time_scale: f64,
    pub base_path: String,
    pub control_token: Option<String>,
    /// HTTP worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// Whether SIGINT/SIGTERM stop the server gracefully (off for in-process tests).
    pub handle_signals: bool,
    /// Simulation speeds and import limits.
    pub sim: SimSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 4010,
            seed: 1,
            fixtures: Fixtures::default_world(),
            rate_limit: Some(RateLimitSpec {
                limit: 100,
                window_seconds: 3600,
            }),
            clock_mode: ClockMode::Realtime,
            clock_start: None,
            time_scale: 1.0,
            base_path: "/v1".into(),
            control_token: None,
            workers: None,
            handle_signals: true,
            sim: SimSettings::default(),
        }
    }
}

impl Config {
    /// The clock start this config implies, read from the host clock only when not pinned.
    pub fn resolved_clock_start(&self) -> Millis {
        self.clock_start.unwrap_or_else(|| {
            let host_now = chrono::Utc::now().timestamp_millis();
            match self.clock_mode {
                ClockMode::Realtime => host_now,
                ClockMode::Manual => domain::time::start_of_utc_day(host_now),
            }
        })
    }
}

/// A running sandbox.
pub struct Sandbox {
    addr: SocketAddr,
    state: web::Data<AppState>,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    driver: tokio::task::JoinHandle<()>,
}

/// How often the realtime driver runs due jobs, in host time.
const DRIVER_TICK: Duration = Duration::from_millis(20);

impl Sandbox {
    /// Generates the world, binds `host:port` and starts serving.
    pub async fn start(config: Config) -> std::io::Result<Sandbox> {
        let start = config.resolved_clock_start();
        let clock = Clock::new(config.clock_mode, start, config.time_scale)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let settings = Settings {
            seed: config.seed,
            fixtures: config.fixtures.clone(),
            clock_start: start,
            base_path: config.base_path.clone(),
            control_token: config.control_token.clone(),
            rate_limit: config.rate_limit,
            sim: config.sim,
        };
        let state = web::Data::new(AppState::new(settings, clock));
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let addr = listener.local_addr()?;
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let state = app_state.clone();
            App::new()
                .wrap(from_fn(middleware::request_id::request_id))
                .configure(move |cfg| app::configure(cfg, state))
        })
        .listen(listener)?
        .shutdown_timeout(10);
        if let Some(n) = config.workers {
            server = server.workers(n.max(1));
        }
        if !config.handle_signals {
            server = server.disable_signals();
        }
        let server = server.run();
        let handle = server.handle();
        let server = tokio::spawn(server);
        let driver_state = state.clone();
        let driver = tokio::spawn(async move {
            let mut tick = tokio::time::interval(DRIVER_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                if driver_state.clock.read().mode == ClockMode::Realtime {
                    driver_state.run_due();
                }
            }
        });
        Ok(Sandbox {
            addr,
            state,
            handle,
            server,
            driver,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://host:port/v1` (or the configured base path).
    pub fn api_url(&self) -> String {
        format!("{}{}", self.url(), self.state.settings.base_path)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, lets in-flight requests finish, and returns.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.driver.abort();
        let _ = self.server.await;
    }

    /// Serves until the server stops (SIGINT/SIGTERM when signals are handled).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.driver.abort();
        result.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
    }
}
