//! The control plane under `/_sandbox`: no API key, never rate limited, same envelopes as /v1.
//! It is how tests, scenarios and people steer the sandbox: the clock, keys, reset, inspection.

pub mod clicks;
pub mod clock;
pub mod events;
pub mod files;
pub mod inbound;
pub mod keys;
pub mod webhooks;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use crate::domain::keys::LimitPolicy;
use crate::http::ok;
use crate::http::routes::Routes;
use crate::state::AppState;

pub fn configure(r: &mut Routes) {
    r.tag("Sandbox")
        .get("/health", health)
        .op("getHealth", "Liveness (open even with a control token)")
        .ok::<Value>();
    r.get("/info", info)
        .op(
            "getInfo",
            "Version, seed, clock, rate limit, counts and pending jobs",
        )
        .ok::<Value>();
    r.post("/reset", reset)
        .op(
            "reset",
            "Back to the seeded world (the clock keeps its time)",
        )
        .ok::<Value>();
    clock::configure(r);
    keys::configure(r);
    files::configure(r);
    events::configure(r);
    inbound::configure(r);
    clicks::configure(r);
    webhooks::configure(r);
}

async fn health() -> HttpResponse {
    ok(serde_json::json!({ "status": "ok" }))
}

#[derive(Serialize)]
struct Counts {
    organizations: usize,
    brands: usize,
    campaigns: usize,
    phone_numbers: usize,
    toll_free_verifications: usize,
    tracking_domains: usize,
    keys: usize,
    contact_lists: usize,
    media: usize,
    projects: usize,
    /// Runs of the send engine (broadcasts, test calls, replies).
    sends: usize,
    /// Messages that have left, all runs together.
    messages_attempted: u64,
    /// Test messages created.
    test_messages: usize,
    /// Message steps (receipts, replies, clicks) still to happen.
    steps_pending: usize,
    conversations: usize,
    messages: usize,
    events: usize,
}

#[derive(Serialize)]
struct WebhookCounts {
    endpoints: usize,
    deliveries: usize,
    pending: usize,
    failed: usize,
    /// Deliveries queued on a worker or being attempted right now.
    in_flight: usize,
}

#[derive(Serialize)]
struct Info {
    version: &'static str,
    seed: u64,
    base_path: String,
    clock: clock::ClockView,
    rate_limit: Option<LimitPolicy>,
    counts: Counts,
    webhooks: WebhookCounts,
    pending_jobs: usize,
    next_job_at: Option<String>,
    /// The next few pending jobs (`kind` and its fields, `due_at`), in run order.
    upcoming_jobs: Vec<serde_json::Value>,
}

fn info_of(state: &AppState) -> Info {
    let counts = {
        let w = state.sim.store.read();
        Counts {
            organizations: w.orgs.len(),
            brands: w.brands.len(),
            campaigns: w.campaigns.len(),
            phone_numbers: w.phone_numbers.len(),
            toll_free_verifications: w.toll_free_verifications.len(),
            tracking_domains: w.tracking_domains.len(),
            keys: w.keys.len(),
            contact_lists: w.contact_lists.len(),
            media: w.media.len(),
            projects: w.projects.len(),
            sends: w.engine.runs.len(),
            messages_attempted: w.engine.attempted,
            test_messages: w
                .engine
                .runs
                .iter()
                .filter(|r| r.kind == crate::domain::send::RunKind::Test)
                .map(|r| r.recipients.len())
                .sum(),
            steps_pending: w.engine.steps_pending(),
            conversations: w.conversations.len(),
            messages: w.messages.len(),
            events: state.sim.events.len(),
        }
    };
    let hub = &state.sim.hub;
    let (deliveries, pending, failed) = hub.counts();
    let webhooks = WebhookCounts {
        endpoints: hub.endpoints().len(),
        deliveries,
        pending,
        failed,
        in_flight: hub.busy(),
    };
    Info {
        version: env!("CARGO_PKG_VERSION"),
        seed: state.settings.seed,
        base_path: state.settings.base_path.clone(),
        clock: clock::ClockView::of(state),
        rate_limit: state.global_rate_limit(),
        counts,
        webhooks,
        pending_jobs: state.sim.scheduler.pending(),
        next_job_at: state
            .sim
            .scheduler
            .next_due()
            .map(crate::domain::time::format),
        upcoming_jobs: state
            .sim
            .scheduler
            .list()
            .into_iter()
            .take(10)
            .map(|(due, job)| {
                let mut v = serde_json::to_value(&job).unwrap_or_default();
                v["due_at"] = serde_json::json!(crate::domain::time::format(due));
                v
            })
            .collect(),
    }
}

async fn info(state: web::Data<AppState>) -> HttpResponse {
    ok(info_of(&state))
}

async fn reset(state: web::Data<AppState>) -> HttpResponse {
    state.sim.reset().await;
    ok(info_of(&state))
}
