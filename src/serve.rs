//! `pc-sandbox serve`: start the sandbox and print what a person needs to make the first call —
//! where it listens, the keys of the seeded world and a ready-to-paste curl.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{DocumentArgs, ServeArgs};
use crate::domain::keys::LimitPolicy;
use crate::domain::time;
use crate::seed::Fixtures;
use crate::state::{Settings, SimSettings};
use crate::Sandbox;

pub async fn run(args: ServeArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(c) => c,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PC_SANDBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let host = config.host.clone();
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start on {host}: {e}");
            return ExitCode::from(1);
        }
    };
    print_banner(&sandbox, &host);
    match sandbox.wait().await {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn print_banner(sandbox: &Sandbox, host: &str) {
    let state = sandbox.state();
    let port = sandbox.addr().port();
    let shown_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let base = format!("http://{shown_host}:{port}");
    let api = format!("{base}{}", state.settings.base_path);
    let clock = state.sim.clock.read();
    let limit = match state.global_rate_limit() {
        Some(LimitPolicy::Window(l)) => {
            format!("{} requests / {} s per key", l.limit, l.window_seconds)
        }
        Some(LimitPolicy::Bucket(b)) => format!(
            "token bucket of {} per key, refilling {}/s",
            b.capacity, b.refill_per_second
        ),
        None => "off".into(),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "pc-sandbox {} listening on {api}\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(&format!("control plane: {base}/_sandbox\n"));
    out.push_str(&format!(
        "seed {} | clock {} x{} from {} | rate limit {limit}\n\n",
        state.settings.seed,
        clock.mode.as_str(),
        clock.time_scale,
        time::format(clock.now),
    ));
    out.push_str("API keys of the seeded world:\n");
    let world = state.sim.store.read();
    let mut root_key = None;
    for key in world
        .keys
        .values()
        .filter(|k| k.role != crate::domain::keys::KeyRole::Custom)
    {
        let role = serde_json::to_value(key.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if role == "root" {
            root_key = Some(key.key.clone());
        }
        out.push_str(&format!(
            "  {role:<22} {}  {}\n",
            key.key,
            world.org_name(&key.organization_id)
        ));
    }
    drop(world);
    let endpoints = state.sim.hub.endpoints();
    if !endpoints.is_empty() {
        out.push_str("\nwebhook endpoints (verify X-Webhook-Signature with the secret):\n");
        for e in endpoints {
            let events = if e.events.is_empty() {
                "all events".to_string()
            } else {
                e.events.join(",")
            };
            out.push_str(&format!("  {}  {}  [{events}]\n", e.url, e.secret));
        }
    }
    if let Some(line) = sandbox.restored() {
        out.push_str(&format!("\n{line}\n"));
    }
    if let Some(key) = root_key {
        out.push_str(&format!(
            "\nquickstart:\n  curl -s {api}/organizations -H 'X-API-Key: {key}'\n"
        ));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// Which document `print_document` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    OpenApi,
    Postman,
}

/// `pc-sandbox openapi|postman`: builds the document from the same route registry and a world of
/// the given seed, and prints it (pretty JSON).
pub async fn print_document(kind: DocumentKind, args: DocumentArgs) -> ExitCode {
    let Some(start) = time::parse_rfc3339(&args.clock_start) else {
        eprintln!(
            "error: --clock-start {:?} is not an RFC 3339 timestamp",
            args.clock_start
        );
        return ExitCode::from(2);
    };
    let settings = Settings {
        seed: args.seed,
        fixtures: Fixtures::default_world(),
        clock_start: start,
        base_path: args.base_path.clone(),
        control_token: None,
        rate_limit: None,
        sim: SimSettings::default(),
        body_timeout_ms: 30_000,
        trust_forwarded_headers: false,
        lenient_query: false,
    };
    let built = crate::server::build_documents(settings, args.origin.trim_end_matches('/')).await;
    let bytes = match kind {
        DocumentKind::OpenApi => built.openapi,
        DocumentKind::Postman => built.postman,
    };
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    if writeln!(stdout, "{text}").is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
