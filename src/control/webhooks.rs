//! Webhook endpoints and deliveries (CONTRACT §10). The real product manages endpoints in its
//! dashboard; the sandbox offers the same here: `/_sandbox/webhook-endpoints` (create answers the
//! signing secret once, as rotate does), `/{id}/test` (a `webhook.test` event to that endpoint
//! only), and the delivery log `/_sandbox/webhook-deliveries` with a manual retry of a failed one.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::ledger::Logged;
use crate::domain::message::is_http_url;
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, respond, Body, Query};
use crate::state::AppState;
use crate::webhooks::model::{Attempt, Delivery, DeliveryStatus, Endpoint, EVENT_TYPES};

fn endpoint_body(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!({
        "name": "Local receiver",
        "url": "http://127.0.0.1:9000/webhooks",
        "events": ["message.delivered", "message.replied"],
    }))
}

fn patch_body(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!({ "enabled": false }))
}

fn some_id(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!("whe_01JB0000000000000000000000"))
}

fn some_delivery(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!("whd_01JB0000000000000000000000"))
}

pub fn configure(r: &mut Routes) {
    r.tag("Webhooks")
        .post("/webhook-endpoints", create)
        .op(
            "createWebhookEndpoint",
            "Register an endpoint (answers its secret once)",
        )
        .describe(
            "http and https URLs (production requires https; the sandbox allows http for local \
             receivers). events: the types to receive; omitted or [] means all.",
        )
        .body::<EndpointRequest>(endpoint_body)
        .answers::<EndpointView>(201)
        .errors(&[Code::ValidationError]);
    r.get("/webhook-endpoints", list)
        .op("listWebhookEndpoints", "Every endpoint (no secrets)")
        .ok::<Vec<EndpointView>>();
    r.get("/webhook-endpoints/{id}", get)
        .op("getWebhookEndpoint", "One endpoint (no secret)")
        .path_param("id", "Endpoint id", some_id)
        .ok::<EndpointView>()
        .errors(&[Code::NotFound]);
    r.patch("/webhook-endpoints/{id}", patch)
        .op(
            "updateWebhookEndpoint",
            "Change name, url, events or enabled",
        )
        .path_param("id", "Endpoint id", some_id)
        .body::<EndpointPatch>(patch_body)
        .ok::<EndpointView>()
        .errors(&[Code::NotFound, Code::ValidationError]);
    r.delete("/webhook-endpoints/{id}", delete)
        .op("deleteWebhookEndpoint", "Remove an endpoint")
        .path_param("id", "Endpoint id", some_id)
        .ok::<serde_json::Value>()
        .errors(&[Code::NotFound]);
    r.post("/webhook-endpoints/{id}/rotate-secret", rotate)
        .op(
            "rotateWebhookSecret",
            "A new signing secret (answered once)",
        )
        .path_param("id", "Endpoint id", some_id)
        .ok::<EndpointView>()
        .errors(&[Code::NotFound]);
    r.post("/webhook-endpoints/{id}/test", test)
        .op(
            "testWebhookEndpoint",
            "Send a webhook.test event to this endpoint",
        )
        .path_param("id", "Endpoint id", some_id)
        .answers::<serde_json::Value>(202)
        .errors(&[Code::NotFound]);
    r.get("/webhook-deliveries", deliveries)
        .op("listWebhookDeliveries", "The delivery log, newest first")
        .query::<String>("endpoint_id", "Only this endpoint's deliveries.")
        .query::<String>("event_type", "Only this event type.")
        .query::<String>("status", "pending, succeeded or failed.")
        .query::<u32>("limit", "1-1000, default 100.")
        .ok::<Vec<DeliveryView>>()
        .errors(&[Code::ValidationError]);
    r.get("/webhook-deliveries/{id}", delivery)
        .op("getWebhookDelivery", "One delivery with every attempt")
        .path_param("id", "Delivery id", some_delivery)
        .ok::<DeliveryView>()
        .errors(&[Code::NotFound]);
    r.post("/webhook-deliveries/{id}/retry", retry)
        .op(
            "retryWebhookDelivery",
            "Try a failed delivery again (a new round of the schedule)",
        )
        .path_param("id", "Delivery id", some_delivery)
        .answers::<DeliveryView>(202)
        .errors(&[Code::NotFound, Code::ValidationError]);
}

/// `POST /_sandbox/webhook-endpoints`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EndpointRequest {
    /// 1-100 characters; defaults to the URL.
    name: Option<String>,
    /// An absolute http or https URL.
    url: String,
    /// Event types to receive; omitted or empty means all of them.
    events: Option<Vec<String>>,
}

/// `PATCH /_sandbox/webhook-endpoints/{id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EndpointPatch {
    name: Option<String>,
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[derive(Serialize, JsonSchema)]
pub struct EndpointView {
    id: String,
    name: String,
    url: String,
    /// Subscribed types; empty means all.
    events: Vec<String>,
    enabled: bool,
    created_at: String,
    /// On create and rotate only.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl EndpointView {
    fn of(e: &Endpoint, with_secret: bool) -> Self {
        EndpointView {
            id: e.id.clone(),
            name: e.name.clone(),
            url: e.url.clone(),
            events: e.events.clone(),
            enabled: e.enabled,
            created_at: time::format(e.created_at),
            secret: with_secret.then(|| e.secret.clone()),
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct AttemptView {
    attempted_at: String,
    status_code: Option<u16>,
    latency_ms: u64,
    error: Option<String>,
    response_body: String,
}

#[derive(Serialize, JsonSchema)]
pub struct DeliveryView {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    /// pending, succeeded or failed.
    status: String,
    attempts: Vec<AttemptView>,
    next_attempt_at: Option<String>,
    created_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id,
            endpoint_id: d.endpoint_id.to_string(),
            event_id: d.event_id,
            event_type: d.event_type.to_string(),
            status: d.status.as_str().to_string(),
            attempts: d.attempts.into_iter().map(attempt_view).collect(),
            next_attempt_at: d.next_attempt_at.map(time::format),
            created_at: time::format(d.created_at),
        }
    }
}

fn attempt_view(a: Attempt) -> AttemptView {
    AttemptView {
        attempted_at: time::format(a.attempted_at),
        status_code: a.status_code,
        latency_ms: a.latency_ms,
        error: a.error,
        response_body: a.response_body,
    }
}

/// The checks an endpoint's url and events share between create and PATCH.
fn check_url(body: &mut Body, url: Option<String>) -> Option<String> {
    let url = url?;
    if is_http_url(&url) {
        Some(url)
    } else {
        body.reject("url", "must be an absolute http or https URL");
        None
    }
}

fn check_events(body: &mut Body, events: Option<Vec<String>>) -> Option<Vec<String>> {
    let mut events = events?;
    let unknown: Vec<&String> = events
        .iter()
        .filter(|e| !EVENT_TYPES.contains(&e.as_str()))
        .collect();
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        body.reject(
            "events",
            format!(
                "unknown event types {}; known: {}",
                list.join(", "),
                EVENT_TYPES.join(", ")
            ),
        );
        return None;
    }
    events.sort_by_key(|e| EVENT_TYPES.iter().position(|t| t == e));
    events.dedup();
    Some(events)
}

fn name_problem(body: &mut Body, name: Option<String>) -> Option<String> {
    let name = name?;
    if name.trim().is_empty() {
        body.reject("name", "must not be empty");
        return None;
    }
    Some(name)
}

/// A fresh `whsec_` + 32 base62 secret and, for a new endpoint, its id.
fn mint(state: &AppState) -> (String, String) {
    let (id, drawn) = state.sim.hub.draw(state.sim.clock.now());
    (id, format!("whsec_{}", state.secrets.mint(&drawn)))
}

fn not_found() -> ApiError {
    ApiError::NotFound {
        resource: "Webhook endpoint",
    }
}

async fn create(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let name = body.string("name", false, 100);
    let url = body.string("url", true, 2048);
    let events = body.strings("events", false, 64);
    let name = name_problem(&mut body, name);
    let url = check_url(&mut body, url);
    let events = check_events(&mut body, events);
    body.finish()?;
    let url = url.ok_or_else(|| ApiError::validation("url", "is required"))?;
    let (id, secret) = mint(&state);
    let endpoint = Endpoint {
        id,
        name: name.unwrap_or_else(|| url.clone()),
        url,
        events: events.unwrap_or_default(),
        enabled: true,
        secret,
        created_at: state.sim.clock.now(),
    };
    state.sim.hub.add(endpoint.clone());
    Ok(respond(
        StatusCode::CREATED,
        EndpointView::of(&endpoint, true),
    ))
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let views: Vec<EndpointView> = state
        .sim
        .hub
        .endpoints()
        .iter()
        .map(|e| EndpointView::of(e, false))
        .collect();
    Ok(ok(views))
}

async fn get(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let e = state.sim.hub.endpoint(&path).ok_or_else(not_found)?;
    Ok(ok(EndpointView::of(&e, false)))
}

async fn patch(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let name = body.string("name", false, 100);
    let url = body.string("url", false, 2048);
    let events = body.strings("events", false, 64);
    let enabled = body.boolean("enabled", false);
    let name = name_problem(&mut body, name);
    let url = check_url(&mut body, url);
    let events = check_events(&mut body, events);
    body.finish()?;
    let e = state
        .sim
        .hub
        .update(&path, |e| {
            if let Some(n) = name {
                e.name = n;
            }
            if let Some(u) = url {
                e.url = u;
            }
            if let Some(ev) = events {
                e.events = ev;
            }
            if let Some(on) = enabled {
                e.enabled = on;
            }
        })
        .ok_or_else(not_found)?;
    Ok(ok(EndpointView::of(&e, false)))
}

async fn delete(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let e = state.sim.hub.remove(&path).ok_or_else(not_found)?;
    Ok(ok(json!({ "id": e.id, "deleted": true })))
}

async fn rotate(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.sim.hub.endpoint(&path).ok_or_else(not_found)?;
    let (_, secret) = mint(&state);
    let e = state
        .sim
        .hub
        .update(&path, |e| e.secret = secret)
        .ok_or_else(not_found)?;
    Ok(ok(EndpointView::of(&e, true)))
}

async fn test(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let e = state.sim.hub.endpoint(&path).ok_or_else(not_found)?;
    let now = state.sim.clock.now();
    let event = Logged::full(
        "webhook.test",
        now,
        json!({
            "endpoint_id": e.id,
            "message": "A test event from pc-sandbox: if you can read this, your endpoint works.",
        }),
    );
    let seq = state.sim.publish(vec![event], Some(&e.id)).await;
    let world = state.sim.store.read();
    let event_id = crate::domain::send::event_id(world.seed, seq, now);
    drop(world);
    let delivery = state
        .sim
        .hub
        .deliveries(Some(&e.id), Some("webhook.test"), None, 1)
        .into_iter()
        .next()
        .map(|d| d.id);
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({ "event_id": event_id, "event_type": "webhook.test", "delivery_id": delivery }),
    ))
}

async fn deliveries(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["endpoint_id", "event_type", "status", "limit"]);
    let endpoint = q.string("endpoint_id");
    let event_type = q.string("event_type");
    let status = q.string("status");
    let limit = q.integer("limit", 1, 1000).unwrap_or(100);
    q.finish()?;
    let status = match status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            ApiError::validation("status", "must be pending, succeeded or failed")
        })?),
    };
    let list: Vec<DeliveryView> = state
        .sim
        .hub
        .deliveries(
            endpoint.as_deref(),
            event_type.as_deref(),
            status,
            limit as usize,
        )
        .into_iter()
        .map(DeliveryView::from)
        .collect();
    Ok(ok(list))
}

async fn delivery(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let d = state.sim.hub.delivery(&path).ok_or(ApiError::NotFound {
        resource: "Webhook delivery",
    })?;
    Ok(ok(DeliveryView::from(d)))
}

async fn retry(path: web::Path<String>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let now = state.sim.clock.now();
    match state.sim.hub.retry_now(&path, now) {
        None => Err(ApiError::NotFound {
            resource: "Webhook delivery",
        }),
        Some(false) => Err(ApiError::validation(
            "id",
            "only a failed delivery can be retried by hand",
        )),
        Some(true) => {
            let d = state.sim.hub.delivery(&path).ok_or(ApiError::NotFound {
                resource: "Webhook delivery",
            })?;
            Ok(respond(StatusCode::ACCEPTED, DeliveryView::from(d)))
        }
    }
}
