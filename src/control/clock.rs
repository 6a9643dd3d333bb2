//! `GET|POST /_sandbox/clock` and `POST /_sandbox/clock/advance`: read, switch mode or scale,
//! jump forward, or advance — each running every job due by the new time before answering.

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::domain::time::{self, Millis};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, Body};
use crate::sim::clock::{ClockError, ClockMode};
use crate::state::AppState;

fn advance_example(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(serde_json::json!({ "seconds": 3600 }))
}

pub fn configure(r: &mut Routes) {
    r.tag("Clock")
        .get("/clock", get_clock)
        .op("getClock", "The sandbox clock")
        .ok::<serde_json::Value>();
    r.post("/clock", set_clock)
        .op("setClock", "Switch mode or scale, or jump forward")
        .ok::<serde_json::Value>()
        .errors(&[Code::ClockBackwards, Code::ValidationError]);
    r.post("/clock/advance", advance)
        .op(
            "advanceClock",
            "Advance the clock and run everything due by then",
        )
        .optional_body::<serde_json::Value>(advance_example)
        .ok::<serde_json::Value>()
        .errors(&[Code::ClockBackwards, Code::ValidationError]);
}

#[derive(Serialize)]
pub struct ClockView {
    now: String,
    mode: &'static str,
    #[serde(serialize_with = "crate::http::js_number")]
    time_scale: f64,
}

impl ClockView {
    pub fn of(state: &AppState) -> Self {
        let r = state.sim.clock.read();
        ClockView {
            now: time::format(r.now),
            mode: r.mode.as_str(),
            time_scale: r.time_scale,
        }
    }
}

impl From<ClockError> for ApiError {
    fn from(e: ClockError) -> Self {
        match e {
            ClockError::Backwards { .. } => ApiError::coded(Code::ClockBackwards, e.to_string()),
            ClockError::BadScale => ApiError::validation("time_scale", e.to_string()),
            ClockError::PastEnd { .. } => ApiError::coded(Code::ClockOutOfRange, e.to_string()),
        }
    }
}

async fn get_clock(state: web::Data<AppState>) -> HttpResponse {
    ok(ClockView::of(&state))
}

/// At most ten years per call, so a typo cannot overflow the clock.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 86_400;

fn timestamp(body: &mut Body, name: &str) -> Option<Millis> {
    let raw = body.string(name, false, 64)?;
    match time::parse_rfc3339(&raw) {
        Some(ms) => Some(ms),
        None => {
            body.reject(
                name,
                "must be an RFC 3339 timestamp with an offset, e.g. 2026-11-03T18:00:00Z",
            );
            None
        }
    }
}

async fn set_clock(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let mode = body.enumeration::<ClockMode>("mode", false);
    let scale = body.number("time_scale", false, 0.001, 1_000_000.0);
    let now = timestamp(&mut body, "now");
    body.finish()?;
    if let Some(to) = now {
        state.sim.advance_to(to).await?;
    }
    if let Some(scale) = scale {
        state.sim.clock.set_scale(scale)?;
    }
    if let Some(mode) = mode {
        state.sim.clock.set_mode(mode);
    }
    Ok(ok(ClockView::of(&state)))
}

async fn advance(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let (has_seconds, has_to) = (body.has("seconds"), body.has("to"));
    let seconds = body.number("seconds", false, 0.0, MAX_ADVANCE_SECONDS as f64);
    let to = timestamp(&mut body, "to");
    match (has_seconds, has_to) {
        (true, true) => body.reject("to", "give either seconds or to, not both"),
        (false, false) => body.reject("seconds", "give seconds (a number) or to (a timestamp)"),
        _ => {}
    }
    body.finish()?;
    match (seconds, to) {
        (Some(s), _) => {
            state.sim.advance_by((s * 1000.0).round() as Millis).await?;
        }
        (_, Some(t)) => {
            state.sim.advance_to(t).await?;
        }
        _ => {}
    }
    Ok(ok(ClockView::of(&state)))
}
