//! Clicks on tracking links (CONTRACT §8). `GET /_sandbox/l/{code}` is where a message's short
//! link lands: a 302 to the destination with the project's parameter rules, counted in the
//! project's clicks and published as `link.clicked` (with the caller's User-Agent).
//! `POST /_sandbox/clicks {code | url, user_agent?}` clicks by hand and answers what the redirect
//! would do. Simulated clicks of the send engine take the same path (`sim::send`).

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::ledger::Logged;
use crate::domain::send::LINK_CODE_LEN;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, Body, Query};
use crate::sim::effects::Effect;
use crate::sim::send::{self, ClickError};
use crate::state::AppState;

/// The User-Agent recorded when a click names none.
const DEFAULT_USER_AGENT: &str = "pc-sandbox-click";

fn example(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!({ "code": "AbCdEfGh123" }))
}

fn code_example(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(json!("AbCdEfGh123"))
}

pub fn configure(r: &mut Routes) {
    r.tag("Clicks")
        .get("/l/{code}", follow)
        .op(
            "followLink",
            "Follow a tracking link (302 to its destination)",
        )
        .path_param("code", "The short link's code", code_example)
        .empty(302)
        .errors(&[Code::NotFound, Code::ValidationError]);
    r.post("/clicks", inject_click)
        .op("injectClick", "Click a tracking link by hand")
        .body::<ClickRequest>(example)
        .ok::<ClickAnswer>()
        .errors(&[Code::NotFound, Code::ValidationError]);
}

/// `{code}` or `{url}` (the short link as the message carries it).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ClickRequest {
    code: Option<String>,
    url: Option<String>,
    user_agent: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct ClickAnswer {
    code: String,
    destination_url: String,
    event_type: &'static str,
}

fn refused(e: ClickError) -> ApiError {
    match e {
        ClickError::Unknown => ApiError::NotFound {
            resource: "Tracking link",
        },
        ClickError::NotSent => ApiError::validation(
            "code",
            "the message carrying this link has not been sent yet",
        ),
    }
}

/// Takes the click and publishes its event; returns the destination.
async fn take(state: &AppState, code: &str, user_agent: &str) -> ApiResult<String> {
    let now = state.sim.clock.now();
    let (dest, event): (String, Logged) = {
        let mut world = state.sim.store.write();
        send::click(&mut world, code, user_agent, now).map_err(refused)?
    };
    state.sim.perform(vec![Effect::Publish(event)]).await;
    Ok(dest)
}

async fn follow(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    // Destinations may carry their own query; the short link itself takes none, but a client
    // that appends tracking parameters should still land.
    let _ = Query::of(&req, &[]);
    let ua = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(DEFAULT_USER_AGENT)
        .to_string();
    let dest = take(&state, &path, &ua).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, dest))
        .finish())
}

async fn inject_click(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let code = body.string("code", false, 64);
    let url = body.string("url", false, 2048);
    let ua = body.string("user_agent", false, 512);
    let code = match (code, url) {
        (Some(c), None) => Some(c),
        (None, Some(u)) => {
            let last = u.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            if last.len() == LINK_CODE_LEN {
                Some(last.to_string())
            } else {
                body.reject("url", "is not a tracking link of this sandbox");
                None
            }
        }
        _ => {
            body.reject("code", "give either code or url");
            None
        }
    };
    body.finish()?;
    let code = code.ok_or_else(|| ApiError::validation("code", "give either code or url"))?;
    let ua = ua.unwrap_or_else(|| crate::domain::send::SIMULATED_USER_AGENT.to_string());
    let dest = take(&state, &code, &ua).await?;
    Ok(ok(ClickAnswer {
        code,
        destination_url: dest,
        event_type: "link.clicked",
    }))
}
