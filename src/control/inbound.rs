//! `POST /_sandbox/inbound {from, to, text}`: a contact writes in. The message joins the thread of
//! (`to`, `from`) — opened if there is none, on the newest project that sends from `to` (a number
//! no project sends from is a 400: every thread belongs to a project) — a STOP
//! keyword opts the contact out across the organization, and `message.replied` is published.

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::domain::contacts::phone_to_u64;
use crate::domain::phone::normalize_us;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, Body};
use crate::sim::conversations;
use crate::sim::effects::Effect;
use crate::state::AppState;

fn example(ctx: &ExampleContext) -> Option<Value> {
    let id = ctx
        .world
        .projects
        .values()
        .find_map(|p| p.phone_number_ids.first())?;
    let number = ctx.world.phone_numbers.get(id)?;
    Some(json!({ "from": "+15005550006", "to": number.number, "text": "Yes, count me in!" }))
}

pub fn configure(r: &mut Routes) {
    r.tag("Simulation")
        .post("/inbound", inject_inbound)
        .op("injectInbound", "A contact writes in")
        .body::<Value>(example)
        .ok::<Value>()
        .errors(&[Code::ValidationError, Code::NotFound]);
}

async fn inject_inbound(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let from = body.string("from", true, 32);
    let to = body.string("to", true, 32);
    let text = body.string("text", true, 1600);
    let from = from.and_then(|f| match normalize_us(&f) {
        Ok(n) => Some(n),
        Err(_) => {
            body.reject("from", "must be a US phone number");
            None
        }
    });
    body.finish()?;
    let (Some(from), Some(to), Some(text)) = (from, to, text) else {
        return Err(ApiError::validation(
            "body",
            "from, to and text are required",
        ));
    };
    let now = state.sim.clock.now();
    let (answer, event) = {
        let mut world = state.sim.store.write();
        let to_e164 = normalize_us(&to).unwrap_or(to.clone());
        let number = world
            .phone_numbers
            .values()
            .find(|n| n.number == to_e164)
            .map(|n| n.id.clone())
            .ok_or(ApiError::NotFound {
                resource: "Phone number",
            })?;
        // A thread belongs to a project ("created by a project send"): the newest project that
        // sends from the number.
        let project = world
            .projects
            .values()
            .rev()
            .find(|p| p.phone_number_ids.contains(&number))
            .map(|p| p.id.clone())
            .ok_or_else(|| {
                ApiError::validation(
                    "to",
                    "no project sends from this number; an inbound message joins a project's thread",
                )
            })?;
        let org = world.projects.get(&project).map(|p| p.org_id.clone());
        let phone =
            phone_to_u64(&from).ok_or(ApiError::validation("from", "must be a US phone number"))?;
        let conv = conversations::thread(
            &mut world,
            conversations::Party {
                number_id: &number,
                phone,
                org_id: org.as_deref(),
                project_id: Some(&project),
                is_test: false,
            },
            now,
        )
        .ok_or(ApiError::NotFound {
            resource: "Phone number",
        })?;
        let event = conversations::add_inbound(&mut world, &conv, &text, now);
        // A message like any other in the day's stats: `received`.
        let campaign = world
            .projects
            .get(&project)
            .and_then(|p| p.campaign_id.clone());
        if let Some(org) = org.as_deref() {
            world.stats.message(crate::store::stats::MessageDelta {
                org_id: org,
                campaign_id: campaign.as_deref(),
                project_id: Some(&project),
                day: crate::store::stats::day_of(now),
                status: crate::store::stats::status::RECEIVED,
                count: 1,
                cost_cents: 0.0,
            });
        }
        let c = &world.conversations[&conv];
        let answer = json!({
            "conversation_id": c.id,
            "message_id": c.message_ids.last(),
            "project_id": c.project_id,
            "opted_out": c.opted_out,
        });
        (answer, event)
    };
    state
        .sim
        .perform(event.into_iter().map(Effect::Publish).collect())
        .await;
    Ok(ok(answer))
}
