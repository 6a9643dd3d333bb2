//! `GET|POST /_sandbox/keys` and `POST /_sandbox/keys/{key}/revoke`: the keys of the world, new
//! keys for any organization (with scopes and an own rate limit), and revocation.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::domain::ids;
use crate::domain::keys::{ApiKey, KeyRole, RateLimitSpec, Scope};
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::error::{ApiError, ApiResult};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, respond, Body};
use crate::state::AppState;

impl WireEnum for Scope {
    const ALL: &'static [Self] = &[Scope::Read, Scope::Write];
    fn as_str(self) -> &'static str {
        Scope::as_str(self)
    }
}

fn key_example(_: &ExampleContext) -> Option<serde_json::Value> {
    Some(serde_json::Value::String(
        "pc_test_SandboxChildKey000000000".into(),
    ))
}

pub fn configure(r: &mut Routes) {
    r.tag("Keys")
        .get("/keys", list_keys)
        .op("listKeys", "Every API key of the world")
        .ok::<Vec<serde_json::Value>>();
    r.post("/keys", create_key)
        .op("createKey", "Mint a key for any organization")
        .answers::<serde_json::Value>(201)
        .errors(&[
            crate::error::Code::ValidationError,
            crate::error::Code::NotFound,
        ]);
    r.post("/keys/{key}/revoke", revoke_key)
        .op("revokeKey", "Revoke a key")
        .path_param("key", "The key", key_example)
        .ok::<serde_json::Value>()
        .errors(&[crate::error::Code::NotFound]);
}

#[derive(Serialize)]
pub struct KeyView<'a> {
    key: &'a str,
    name: &'a str,
    organization_id: &'a str,
    scopes: &'a [Scope],
    rate_limit: Option<RateLimitSpec>,
    revoked: bool,
    role: KeyRole,
    created_at: String,
}

impl<'a> From<&'a ApiKey> for KeyView<'a> {
    fn from(k: &'a ApiKey) -> Self {
        KeyView {
            key: &k.key,
            name: &k.name,
            organization_id: &k.organization_id,
            scopes: &k.scopes,
            rate_limit: k.rate_limit,
            revoked: k.revoked,
            role: k.role,
            created_at: time::format(k.created_at),
        }
    }
}

async fn list_keys(state: web::Data<AppState>) -> HttpResponse {
    let world = state.sim.store.read();
    let mut keys: Vec<&ApiKey> = world.keys.values().collect();
    keys.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
    ok(keys.into_iter().map(KeyView::from).collect::<Vec<_>>())
}

async fn create_key(
    req: HttpRequest,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let org = body.string("organization_id", true, 64);
    let name = body.string("name", false, 200);
    let scopes = body.enumerations::<Scope>("scopes", false);
    let rate_limit = body.object("rate_limit", false).map(|mut rl| {
        let limit = rl.integer("limit", true, 1, 1_000_000_000);
        let window = rl.integer("window_seconds", true, 1, 31 * 86_400);
        body.absorb(rl);
        limit.zip(window).map(|(limit, window)| RateLimitSpec {
            limit: limit as u64,
            window_seconds: window as u64,
        })
    });
    if scopes.as_ref().is_some_and(Vec::is_empty) {
        body.reject("scopes", "give at least one scope");
    }
    let known_org = org
        .as_ref()
        .is_some_and(|o| state.sim.store.read().orgs.contains_key(o));
    if org.is_some() && !known_org {
        body.reject("organization_id", "no organization with this id");
    }
    body.finish()?;
    let org = org.ok_or_else(|| ApiError::validation("organization_id", "is required"))?;
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let drawn = ids::base62(24, &mut world.rng);
    let key = format!("pc_test_{}", state.secrets.mint(&drawn));
    let count = world.keys.len() + 1;
    let mut scopes = scopes.unwrap_or_else(|| vec![Scope::Read, Scope::Write]);
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    let record = ApiKey {
        key: key.clone(),
        name: name.unwrap_or_else(|| format!("Sandbox key {count}")),
        organization_id: org,
        scopes,
        rate_limit: rate_limit.flatten(),
        revoked: false,
        role: KeyRole::Custom,
        created_at: now,
    };
    world.keys.insert(key.clone(), record);
    Ok(respond(
        StatusCode::CREATED,
        KeyView::from(&world.keys[&key]),
    ))
}

async fn revoke_key(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut world = state.sim.store.write();
    let key = world
        .keys
        .get_mut(path.as_str())
        .ok_or(ApiError::NotFound {
            resource: "API key",
        })?;
    key.revoked = true;
    Ok(ok(KeyView::from(&*key)))
}
