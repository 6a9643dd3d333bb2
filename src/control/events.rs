//! `GET /_sandbox/events?after=&limit=`: the event log in order, each event exactly as its
//! webhook body (`{id, event_id, event_type, created_at, data}`), so a test can see what the
//! simulation published without running a receiver.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::send;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, Query};
use crate::sim::events;
use crate::state::AppState;
use crate::webhooks::body::EventBody;

pub fn configure(r: &mut Routes) {
    r.tag("Events")
        .get("/events", list_events)
        .op("listEvents", "The event log, oldest first")
        .query::<String>("after", "Only events after the one with this id.")
        .query::<u32>("limit", "At most this many events (1-1000, default 100).")
        .ok::<Vec<EventBody>>()
        .errors(&[Code::ValidationError, Code::NotFound]);
}

async fn list_events(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["after", "limit"]);
    let after = q.string("after");
    let limit = q.integer("limit", 1, 1000).unwrap_or(100);
    q.finish()?;
    let world = state.sim.store.read();
    let from = match after.as_deref() {
        None => 0,
        Some(id) => {
            // An id names an entry when it decodes to a position that renders back to it.
            let seq = send::event_seq(world.seed, id)
                .filter(|seq| {
                    state
                        .sim
                        .events
                        .get(*seq)
                        .is_some_and(|e| events::render(&world, *seq, &e).id == id)
                })
                .ok_or(ApiError::NotFound { resource: "Event" })?;
            seq as usize + 1
        }
    };
    let bodies: Vec<EventBody> = state
        .sim
        .events
        .slice(from, limit as usize)
        .into_iter()
        .map(|(seq, e)| EventBody::from(events::render(&world, seq, &e)))
        .collect();
    drop(world);
    Ok(ok(bodies))
}
