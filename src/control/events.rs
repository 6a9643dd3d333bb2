//! `GET /_sandbox/events?after=&limit=`: the event log in order, each event exactly as its
//! webhook body (`{id, event_id, event_type, created_at, data}`), so a test can see what the
//! simulation published without running a receiver.

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::domain::ledger::Event;
use crate::domain::time;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, Query};
use crate::state::AppState;

pub fn configure(r: &mut Routes) {
    r.tag("Events")
        .get("/events", list_events)
        .op("listEvents", "The event log, oldest first")
        .query::<String>("after", "Only events after the one with this id.")
        .query::<u32>("limit", "At most this many events (1-1000, default 100).")
        .ok::<Vec<EventBody>>()
        .errors(&[Code::ValidationError, Code::NotFound]);
}

/// An event as its webhook body carries it (`id` = `event_id`).
#[derive(Serialize, JsonSchema)]
pub struct EventBody {
    id: String,
    event_id: String,
    event_type: String,
    created_at: String,
    data: Value,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        EventBody {
            event_id: e.id.clone(),
            id: e.id,
            event_type: e.event_type,
            created_at: time::format(e.created_at),
            data: e.data,
        }
    }
}

async fn list_events(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["after", "limit"]);
    let after = q.string("after");
    let limit = q.integer("limit", 1, 1000).unwrap_or(100);
    q.finish()?;
    let events = state
        .sim
        .events
        .after(after.as_deref(), limit as usize)
        .ok_or(ApiError::NotFound { resource: "Event" })?;
    Ok(ok(events
        .into_iter()
        .map(EventBody::from)
        .collect::<Vec<_>>()))
}
