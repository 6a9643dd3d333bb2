//! The command line: `serve` runs the sandbox, `schema` prints the JSON Schema of its files.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::domain::keys::LimitPolicy;
use crate::domain::time;
use crate::seed::Fixtures;
use crate::sim::clock::ClockMode;
use crate::Config;

#[derive(Debug, Parser)]
#[command(
    name = "pc-sandbox",
    version,
    about = "Offline sandbox of the Political Comms API",
    long_about = "Serves the whole Political Comms /v1 API from an in-memory, seeded world, with \
                  real auth, org-tree scoping, rate limits and error codes, driven by a sandbox \
                  clock. No network and no live credentials needed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start-up, so the size of the `serve` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sandbox HTTP server.
    Serve(ServeArgs),
    /// Print the JSON Schema of a sandbox file format.
    Schema {
        #[arg(value_enum)]
        what: SchemaKind,
    },
    /// Print the OpenAPI 3.1 document of the /v1 surface (what GET /v1/openapi.json serves).
    Openapi(DocumentArgs),
    /// Print a Postman Collection v2.1 of the /v1 surface (what GET /_sandbox/postman.json serves).
    Postman(DocumentArgs),
}

/// What the printed documents describe: the examples come from the world of this seed.
#[derive(Debug, Clone, clap::Args)]
pub struct DocumentArgs {
    /// Where the sandbox is reached (the document's server and the hosted sample files).
    #[arg(long, default_value = "http://127.0.0.1:4010")]
    pub origin: String,
    /// Path prefix of the API.
    #[arg(long, default_value = "/v1")]
    pub base_path: String,
    /// Seed of the world the examples are taken from.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Clock start of that world (ids carry it), so the output is the same on every run.
    #[arg(long, default_value = "2026-01-01T00:00:00Z")]
    pub clock_start: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    /// Fixture files (`--fixtures`, `fixtures/default.json`).
    Fixtures,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to bind. Non-loopback addresses need --control-token (or --insecure-control-plane).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind; 0 picks a free one (printed at start-up).
    #[arg(long, default_value_t = 4010)]
    pub port: u16,
    /// Seed of the generated world: the same seed and clock start give byte-identical responses.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A fixture file replacing the bundled world, or extending it with "extends_default": true.
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
    /// Global per-key limit: N/hour, N/minute, N/second, N/day, N/<secs>s, or off. Keys with a
    /// limit of their own keep it.
    #[arg(long, default_value = "100/hour")]
    pub rate_limit: String,
    /// realtime runs on its own (optionally scaled); manual is frozen and moves only when
    /// advanced through POST /_sandbox/clock/advance.
    #[arg(long, value_enum, default_value_t = ClockMode::Realtime)]
    pub clock: ClockMode,
    /// Pin the clock start (RFC 3339, e.g. 2026-11-03T18:00:00Z). Default: now in realtime mode,
    /// today's 00:00:00 UTC in manual mode.
    #[arg(long)]
    pub clock_start: Option<String>,
    /// Sandbox seconds per real second in realtime mode (60 = a sandbox minute per second).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Path prefix of the API.
    #[arg(long, default_value = "/v1")]
    pub base_path: String,
    /// Require `Authorization: Bearer <token>` on every /_sandbox route but /health.
    #[arg(long, env = "PC_SANDBOX_CONTROL_TOKEN")]
    pub control_token: Option<String>,
    /// Allow a non-loopback bind without a control token (anyone who can reach the port can
    /// then steer the sandbox).
    #[arg(long)]
    pub insecure_control_plane: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Contact-list rows processed per sandbox second (import progress moves at this rate).
    #[arg(long, default_value_t = 5_000)]
    pub import_rows_per_second: u64,
    /// Numbers LRN analysis looks up per sandbox second.
    #[arg(long, default_value_t = 1_000)]
    pub analysis_numbers_per_second: u64,
    /// Sandbox seconds media optimization takes (plus one per MB).
    #[arg(long, default_value_t = 3)]
    pub media_optimize_seconds: u64,
    /// Largest contact-list file an import may fetch, in MB.
    #[arg(long, default_value_t = 50)]
    pub max_import_mb: u64,
    /// Most data rows a contact list may have.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_import_rows: u64,
    /// Real seconds a source_url fetch may take.
    #[arg(long, default_value_t = 30)]
    pub fetch_timeout_seconds: u64,
    /// Fetch source URLs only from loopback hosts (127.0.0.0/8, ::1, localhost), refusing every
    /// other URL with a 400 before any name is resolved: for CI runs that fuzz the API, so no
    /// generated URL ever reaches the network.
    #[arg(long)]
    pub fetch_loopback_only: bool,
    /// Ignore unknown query parameters on /v1 instead of answering 400 (the default names the
    /// spelling the endpoint takes: organization_id here, organizationId there).
    #[arg(long)]
    pub lenient_query: bool,
    /// Build the URLs in answers (presigned files, media) from X-Forwarded-Host/-Proto and
    /// Forwarded: only behind a proxy you trust.
    #[arg(long)]
    pub trust_forwarded_headers: bool,
    /// Real seconds a request body may go without sending a byte before it is answered with a
    /// 408 and the connection closed.
    #[arg(long, default_value_t = 30)]
    pub body_timeout_seconds: u64,
    /// Imports (contact lists and media) fetched and parsed at once; others wait up to half the
    /// fetch timeout for a slot, then get a 503 IMPORTS_BUSY. Bounds the memory imports take.
    #[arg(long, default_value_t = 4)]
    pub max_concurrent_imports: usize,
    /// Largest file PUT /_sandbox/files/{name} hosts (after decoding a Content-Encoding), in MB.
    #[arg(long, default_value_t = 256)]
    pub max_hosted_file_mb: u64,
    /// The most all hosted uploads may hold together, in MB (bundled samples do not count).
    #[arg(long, default_value_t = 512)]
    pub hosted_files_quota_mb: u64,
    /// A webhook endpoint to start with: `URL` (every event type) or `URL=event,event`. Repeatable;
    /// each endpoint's signing secret is printed at start-up.
    #[arg(long = "webhook", value_name = "URL[=EVENTS]")]
    pub webhooks: Vec<String>,
    /// On a graceful shutdown, webhook deliveries still pending after a 5 s grace period are
    /// written here (with the endpoints and the delivery log) and resumed at the next start.
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<std::path::PathBuf>,
    /// Real seconds one webhook attempt may take before it counts as failed.
    #[arg(long, default_value_t = 10)]
    pub webhook_timeout_seconds: u64,
    /// Multiplies the daily message volumes of the seeded 180-day history (stats and ledger):
    /// 10 for a busy agency, 0 for none.
    #[arg(long, default_value_t = 1.0)]
    pub history_scale: f64,
    /// Messages a send makes per sandbox second, for every project. Without it a project sends
    /// at its campaign's AT&T TPM (per minute) when the campaign is metered, else 60 per second.
    #[arg(long)]
    pub send_rate: Option<f64>,
}

impl ServeArgs {
    /// Checks every option and builds the server config; each problem is a readable sentence.
    pub fn into_config(self) -> Result<Config, Vec<String>> {
        let mut errors = Vec::new();
        let rate_limit = if self.rate_limit.trim().eq_ignore_ascii_case("off") {
            None
        } else {
            match LimitPolicy::parse(&self.rate_limit) {
                Ok(spec) => Some(spec),
                Err(e) => {
                    errors.push(format!("--rate-limit: {e}"));
                    None
                }
            }
        };
        let clock_start = match &self.clock_start {
            None => None,
            Some(s) => match time::parse_rfc3339(s) {
                Some(ms) => Some(ms),
                None => {
                    errors.push(format!(
                        "--clock-start: {s:?} is not an RFC 3339 timestamp with an offset (e.g. 2026-11-03T18:00:00Z)"
                    ));
                    None
                }
            },
        };
        if !(self.time_scale.is_finite() && (0.001..=1_000_000.0).contains(&self.time_scale)) {
            errors.push("--time-scale: must be between 0.001 and 1000000".into());
        }
        if !self.base_path.starts_with('/')
            || self.base_path.len() < 2
            || self.base_path.ends_with('/')
            || self.base_path.starts_with("/_sandbox")
        {
            errors.push(
                "--base-path: must look like /v1 (leading slash, no trailing slash, not /_sandbox)"
                    .into(),
            );
        }
        let loopback = self.host == "localhost"
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !loopback && self.control_token.is_none() && !self.insecure_control_plane {
            errors.push(format!(
                "--host {}: refusing to expose the control plane (/_sandbox) beyond loopback without \
                 --control-token; pass --insecure-control-plane to do it anyway",
                self.host
            ));
        }
        if self.control_token.as_deref().is_some_and(|t| t.len() < 8) {
            errors.push("--control-token: use at least 8 characters".into());
        }
        if self.import_rows_per_second == 0 || self.analysis_numbers_per_second == 0 {
            errors.push(
                "--import-rows-per-second and --analysis-numbers-per-second must be at least 1"
                    .into(),
            );
        }
        if !(1..=4096).contains(&self.max_hosted_file_mb)
            || !(1..=16384).contains(&self.hosted_files_quota_mb)
        {
            errors.push(
                "--max-hosted-file-mb must be 1-4096 and --hosted-files-quota-mb 1-16384".into(),
            );
        }
        if !(1..=64).contains(&self.max_concurrent_imports) {
            errors.push("--max-concurrent-imports: between 1 and 64".into());
        }
        if !(1..=3600).contains(&self.body_timeout_seconds) {
            errors.push("--body-timeout-seconds: between 1 and 3600".into());
        }
        if !(1..=2048).contains(&self.max_import_mb) {
            errors.push("--max-import-mb: between 1 and 2048".into());
        }
        if self.max_import_rows == 0 || !(1..=600).contains(&self.fetch_timeout_seconds) {
            errors.push("--max-import-rows must be at least 1 and --fetch-timeout-seconds between 1 and 600".into());
        }
        let sim = crate::state::SimSettings {
            import_rows_per_second: self.import_rows_per_second,
            analysis_numbers_per_second: self.analysis_numbers_per_second,
            media_optimize_seconds: self.media_optimize_seconds,
            max_import_bytes: self.max_import_mb * 1024 * 1024,
            max_import_rows: self.max_import_rows,
            fetch_timeout_seconds: self.fetch_timeout_seconds,
            fetch_loopback_only: self.fetch_loopback_only,
            max_hosted_file_bytes: self.max_hosted_file_mb * 1024 * 1024,
            hosted_files_quota_bytes: self.hosted_files_quota_mb * 1024 * 1024,
            max_concurrent_imports: self.max_concurrent_imports,
            send_per_second: self.send_rate,
            history_scale: self.history_scale,
        };
        if !(self.history_scale.is_finite() && (0.0..=10_000.0).contains(&self.history_scale)) {
            errors.push("--history-scale: between 0 and 10000".into());
        }
        if self
            .send_rate
            .is_some_and(|r| !(r.is_finite() && r > 0.0 && r <= 1_000_000.0))
        {
            errors.push(
                "--send-rate: messages per sandbox second, above 0 and at most 1000000".into(),
            );
        }
        if !(1..=120).contains(&self.webhook_timeout_seconds) {
            errors.push("--webhook-timeout-seconds: between 1 and 120".into());
        }
        let mut webhooks = Vec::new();
        for w in &self.webhooks {
            match crate::webhooks::model::WebhookSpec::parse(w) {
                Ok(spec) => webhooks.push(spec),
                Err(e) => errors.push(format!("--webhook {w}: {e}")),
            }
        }
        let fixtures = match &self.fixtures {
            None => Some(Fixtures::default_world()),
            Some(path) => match std::fs::read_to_string(path) {
                Err(e) => {
                    errors.push(format!("--fixtures {}: {e}", path.display()));
                    None
                }
                Ok(text) => match Fixtures::from_user_file(&text) {
                    Ok(f) => Some(f),
                    Err(problems) => {
                        errors.extend(
                            problems
                                .into_iter()
                                .map(|p| format!("--fixtures {}: {p}", path.display())),
                        );
                        None
                    }
                },
            },
        };
        match fixtures {
            Some(fixtures) if errors.is_empty() => Ok(Config {
                host: self.host,
                port: self.port,
                seed: self.seed,
                fixtures,
                rate_limit,
                clock_mode: self.clock,
                clock_start,
                time_scale: self.time_scale,
                base_path: self.base_path,
                control_token: self.control_token,
                workers: self.workers,
                handle_signals: true,
                sim,
                body_timeout_ms: self.body_timeout_seconds.saturating_mul(1000),
                trust_forwarded_headers: self.trust_forwarded_headers,
                lenient_query: self.lenient_query,
                webhooks,
                state_file: self.state_file,
                webhook_timeout_ms: self.webhook_timeout_seconds.saturating_mul(1000),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<Config, Vec<String>> {
        let mut argv = vec!["pc-sandbox", "serve"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Serve(a) => a.into_config(),
            _ => panic!("wrong command"),
        }
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = args(&[]).expect("valid");
        assert_eq!((c.host.as_str(), c.port, c.seed), ("127.0.0.1", 4010, 1));
        assert_eq!(
            c.rate_limit,
            Some(LimitPolicy::Window(crate::domain::keys::RateLimitSpec {
                limit: 100,
                window_seconds: 3600
            }))
        );
        assert_eq!(c.base_path, "/v1");
        assert_eq!(c.clock_mode, ClockMode::Realtime);
    }

    #[test]
    fn rate_limit_off_and_custom() {
        assert_eq!(
            args(&["--rate-limit", "off"]).expect("valid").rate_limit,
            None
        );
        let c = args(&["--rate-limit", "600/minute"]).expect("valid");
        assert_eq!(c.rate_limit.map(|r| r.limit()), Some(600));
        let bucket = args(&["--rate-limit", "bucket:600,10/s"]).expect("valid");
        assert_eq!(
            bucket.rate_limit,
            Some(LimitPolicy::Bucket(crate::domain::keys::BucketSpec {
                capacity: 600,
                refill_per_second: 10
            }))
        );
        assert!(args(&["--rate-limit", "bucket:600"]).is_err());
    }

    #[test]
    fn reports_every_bad_option() {
        let errors = args(&[
            "--rate-limit",
            "lots",
            "--clock-start",
            "tomorrow",
            "--time-scale",
            "0",
            "--host",
            "0.0.0.0",
        ])
        .expect_err("invalid");
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn non_loopback_needs_a_token_or_an_explicit_opt_in() {
        assert!(args(&["--host", "0.0.0.0"]).is_err());
        assert!(args(&["--host", "0.0.0.0", "--control-token", "s3cret-token"]).is_ok());
        assert!(args(&["--host", "0.0.0.0", "--insecure-control-plane"]).is_ok());
        assert!(args(&["--host", "::1"]).is_ok());
    }
}
