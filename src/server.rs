//! Starting and stopping a sandbox: [`Config`] says what to start, [`Sandbox::start`] generates the
//! world, binds the port (0 picks a free one, as tests do) and runs the HTTP server beside the
//! realtime driver that runs due jobs as sandbox time passes.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use serde_json::Value;

use crate::domain::keys::KeyRole;
use crate::domain::keys::{LimitPolicy, RateLimitSpec};
use crate::domain::time::{self, Millis};
use crate::http::routes::ExampleContext;
use crate::http::routes::{Operation, Payload};
use crate::openapi::{self, Built, Documents};
use crate::seed;
use crate::seed::Fixtures;
use crate::sim::clock::{Clock, ClockMode};
use crate::state::{AppState, Settings, SimSettings};
use crate::webhooks::model::{Endpoint, WebhookSpec};
use crate::webhooks::HubState;
use crate::{app, middleware};

/// Everything needed to start a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    pub seed: u64,
    pub fixtures: Fixtures,
    /// The global per-key limit; `None` is `off`.
    pub rate_limit: Option<LimitPolicy>,
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
    /// Host milliseconds a request body may go without a byte before it is a 408.
    pub body_timeout_ms: u64,
    /// Honour `X-Forwarded-Host`/`-Proto` when building URLs in answers.
    pub trust_forwarded_headers: bool,
    /// Ignore unknown query parameters on /v1 (`--lenient-query`).
    pub lenient_query: bool,
    /// Webhook endpoints to start with (`--webhook`), after the fixtures' own.
    pub webhooks: Vec<WebhookSpec>,
    /// Where pending webhook deliveries (and the endpoints and log) go on a graceful shutdown, and
    /// come back from at the next start.
    pub state_file: Option<std::path::PathBuf>,
    /// Host milliseconds one webhook attempt may take.
    pub webhook_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 4010,
            seed: 1,
            fixtures: Fixtures::default_world(),
            rate_limit: Some(LimitPolicy::Window(RateLimitSpec {
                limit: 100,
                window_seconds: 3600,
            })),
            clock_mode: ClockMode::Realtime,
            clock_start: None,
            time_scale: 1.0,
            base_path: "/v1".into(),
            control_token: None,
            workers: None,
            handle_signals: true,
            sim: SimSettings::default(),
            body_timeout_ms: 30_000,
            trust_forwarded_headers: false,
            lenient_query: false,
            webhooks: Vec::new(),
            state_file: None,
            webhook_timeout_ms: 10_000,
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
                ClockMode::Manual => time::start_of_utc_day(host_now),
            }
        })
    }
}

/// The documents of the /v1 surface for a sandbox of `settings` reached at `origin`, with the
/// success answers of a throwaway sandbox of the same world as examples.
pub async fn build_documents(settings: Settings, origin: &str) -> Built {
    let ops = app::api_routes().into_operations();
    let world = seed::generate(&settings.fixtures, settings.seed, settings.clock_start);
    let ctx = ExampleContext {
        world: &world,
        origin,
    };
    let answers = answer_examples(settings.clone(), &ops, &ctx).await;
    Built::new(&ops, &ctx, &settings.base_path, &answers)
}

/// The `data` of each operation's success answer, by `operationId`, asked of an in-process
/// sandbox of a fresh world (no limits, a frozen clock) with the seeded root key. Operations
/// with a request body are left out: their examples would fetch files.
async fn answer_examples(
    mut settings: Settings,
    ops: &[Operation],
    ctx: &ExampleContext<'_>,
) -> BTreeMap<String, Value> {
    let mut answers = BTreeMap::new();
    let Some(key) = ctx
        .world
        .keys
        .values()
        .find(|k| k.role == KeyRole::Root)
        .map(|k| k.key.clone())
    else {
        return answers;
    };
    settings.rate_limit = None;
    settings.control_token = None;
    let Ok(clock) = Clock::new(ClockMode::Manual, settings.clock_start, 1.0) else {
        return answers;
    };
    let base = settings.base_path.clone();
    let state = web::Data::new(AppState::new(settings, clock));
    let docs = web::Data::new(Documents::ready(Built::default()));
    let service = actix_web::test::init_service(
        App::new()
            .wrap(from_fn(middleware::request_id::request_id))
            .configure(move |cfg| app::configure(cfg, state, docs)),
    )
    .await;
    for op in ops {
        let Some((status, Payload::Json(_))) = &op.success else {
            continue;
        };
        if op.public || op.request.is_some() || op.raw_request.is_some() {
            continue;
        }
        let req = actix_web::test::TestRequest::default()
            .method(
                actix_web::http::Method::from_bytes(op.method.as_str().as_bytes())
                    .unwrap_or_default(),
            )
            .uri(&format!("{base}{}", op.example_uri(ctx)))
            .insert_header(("X-API-Key", key.as_str()))
            .to_request();
        let res = actix_web::test::call_service(&service, req).await;
        if res.status().as_u16() != *status {
            continue;
        }
        let body: Value = actix_web::test::read_body_json(res).await;
        if let Some(data) = body.get("data") {
            answers.insert(op.id.to_string(), openapi::shorten(data.clone()));
        }
    }
    answers
}

/// `host:port`, with brackets around an IPv6 host.
pub fn display_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// A running sandbox.
pub struct Sandbox {
    addr: SocketAddr,
    state: web::Data<AppState>,
    state_file: Option<std::path::PathBuf>,
    /// What starting did with the state file (for the banner).
    restored: Option<String>,
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
            body_timeout_ms: config.body_timeout_ms,
            trust_forwarded_headers: config.trust_forwarded_headers,
            lenient_query: config.lenient_query,
        };
        let state = web::Data::new(AppState::new(settings, clock));
        let restored = start_webhooks(&state, &config)?;
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        let addr = listener.local_addr()?;
        let docs = {
            let settings = state.settings.clone();
            let origin = format!("http://{}", display_addr(addr));
            web::Data::new(Documents::lazy(Box::new(move || {
                let (settings, origin) = (settings.clone(), origin.clone());
                Box::pin(async move { build_documents(settings, &origin).await })
            })))
        };
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let state = app_state.clone();
            let docs = docs.clone();
            App::new()
                .wrap(from_fn(middleware::body_timeout::body_timeout))
                .wrap(from_fn(middleware::trailing_slash::trailing_slash))
                .wrap(from_fn(middleware::request_id::request_id))
                .configure(move |cfg| app::configure(cfg, state, docs))
        })
        // Longer than the idle timeouts of common clients (Node's undici, Python's urllib3, Go):
        // a client that reuses an idle connection must not race the server closing it.
        .keep_alive(Duration::from_secs(75))
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
                if driver_state.sim.clock.read().mode == ClockMode::Realtime {
                    driver_state.sim.run_due().await;
                }
            }
        });
        Ok(Sandbox {
            addr,
            state,
            state_file: config.state_file.clone(),
            restored,
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

    /// What starting did with `--state-file`, if one was given.
    pub fn restored(&self) -> Option<&str> {
        self.restored.as_deref()
    }

    /// Stops accepting connections, lets in-flight requests finish, settles webhook deliveries
    /// (see [`Sandbox::wait`]) and returns.
    pub async fn stop(self) -> std::io::Result<String> {
        self.handle.stop(true).await;
        self.driver.abort();
        let _ = self.server.await;
        settle_webhooks(&self.state, self.state_file.as_deref()).await
    }

    /// Serves until the server stops (SIGINT/SIGTERM when signals are handled), then gives
    /// pending webhook deliveries [`SHUTDOWN_GRACE`] to finish and writes what is left (with the
    /// endpoints and the delivery log) to the state file. Returns a line saying what happened.
    pub async fn wait(self) -> std::io::Result<String> {
        let result = self.server.await;
        self.driver.abort();
        result.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))?;
        settle_webhooks(&self.state, self.state_file.as_deref()).await
    }
}

/// How long a graceful shutdown waits for deliveries in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Registers the fixtures' and `--webhook` endpoints and takes over a state file's endpoints, log
/// and pending deliveries. An endpoint the state file already has (same URL) keeps its id and
/// secret, so receivers keep verifying across restarts.
fn start_webhooks(state: &AppState, config: &Config) -> std::io::Result<Option<String>> {
    let hub = &state.sim.hub;
    hub.set_runtime(tokio::runtime::Handle::current());
    hub.set_timeout(Duration::from_millis(config.webhook_timeout_ms.max(1)));
    let now = state.sim.clock.now();
    let mut restored = None;
    if let Some(path) = config.state_file.as_deref().filter(|p| p.exists()) {
        let text = std::fs::read_to_string(path)?;
        let saved: HubState = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: not a pc-sandbox state file ({e})", path.display()),
            )
        })?;
        let endpoints = saved.endpoints.len();
        let deliveries = saved.deliveries.len();
        let pending = hub.import(saved, now);
        restored = Some(format!(
            "state file {}: {endpoints} endpoints, {deliveries} deliveries, {pending} pending resumed",
            path.display()
        ));
    }
    let known: Vec<String> = hub.endpoints().into_iter().map(|e| e.url).collect();
    for spec in state
        .settings
        .fixtures
        .webhook_endpoints
        .iter()
        .chain(&config.webhooks)
    {
        spec.check()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        if known.contains(&spec.url) {
            continue;
        }
        let (id, drawn) = hub.draw(now);
        hub.add_initial(Endpoint {
            id,
            name: spec.name.clone().unwrap_or_else(|| spec.url.clone()),
            url: spec.url.clone(),
            events: spec.events.clone(),
            enabled: true,
            secret: spec
                .secret
                .clone()
                .unwrap_or_else(|| format!("whsec_{}", state.secrets.mint(&drawn))),
            created_at: now,
        });
    }
    Ok(restored)
}

/// Gives deliveries in flight [`SHUTDOWN_GRACE`] and writes the state file if there is one.
async fn settle_webhooks(
    state: &AppState,
    file: Option<&std::path::Path>,
) -> std::io::Result<String> {
    let hub = &state.sim.hub;
    let flushed = tokio::time::timeout(SHUTDOWN_GRACE, hub.idle())
        .await
        .is_ok();
    let saved = hub.export();
    let pending = saved
        .deliveries
        .iter()
        .filter(|d| d.status == crate::webhooks::model::DeliveryStatus::Pending)
        .count();
    match file {
        Some(path) => {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, serde_json::to_vec(&saved).unwrap_or_default())?;
            std::fs::rename(&tmp, path)?;
            Ok(format!(
                "webhooks: {pending} pending deliveries written to {} with {} endpoints and {} deliveries",
                path.display(),
                saved.endpoints.len(),
                saved.deliveries.len()
            ))
        }
        None if pending > 0 => Ok(format!(
            "webhooks: {pending} deliveries still pending at shutdown{} (use --state-file to keep them)",
            if flushed { "" } else { " after the grace period" }
        )),
        None => Ok("webhooks: nothing pending".into()),
    }
}
