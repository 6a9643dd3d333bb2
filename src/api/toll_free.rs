//! Toll-free verifications: the list (with `phone_number_count`) and the detail read (with
//! `phone_number_ids`, `rejection_reason`, `updated_at`).

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::{cached, write_data};
use super::query::Query;
use super::registrations::{org_filter, visible};
use super::resource;
use crate::app::AppState;
use crate::domain::registry::{TfvStatus, TollFreeVerification, WireEnum};
use crate::domain::time;
use crate::error::ApiResult;
use crate::middleware::gate::Caller;
use crate::store::World;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/toll-free-verifications", "GET").route(web::get().to(list_verifications)),
    )
    .service(
        resource("/toll-free-verifications/{id}", "GET").route(web::get().to(get_verification)),
    );
}

#[derive(Serialize, JsonSchema)]
pub struct TollFreeVerificationView<'a> {
    id: &'a str,
    name: &'a str,
    /// Verbatim carrier casing, e.g. "In Progress".
    status: &'static str,
    verification_request_id: Option<&'a str>,
    org_id: &'a str,
    org_name: &'a str,
    business_name: Option<&'a str>,
    use_case: Option<&'a str>,
    phone_number_count: usize,
    submitted_at: Option<String>,
    verified_at: Option<String>,
    created_at: String,
}

#[derive(Serialize, JsonSchema)]
pub struct TollFreeVerificationDetailView<'a> {
    #[serde(flatten)]
    summary: TollFreeVerificationView<'a>,
    phone_number_ids: Vec<&'a str>,
    rejection_reason: Option<&'a str>,
    updated_at: String,
}

fn numbers_of<'a>(world: &'a World, t: &TollFreeVerification) -> Vec<&'a str> {
    world
        .phone_numbers
        .values()
        .filter(|p| p.toll_free_verification_id.as_deref() == Some(t.id.as_str()))
        .map(|p| p.id.as_str())
        .collect()
}

fn view<'a>(world: &'a World, t: &'a TollFreeVerification) -> TollFreeVerificationView<'a> {
    TollFreeVerificationView {
        id: &t.id,
        name: &t.name,
        status: t.status.as_str(),
        verification_request_id: t.verification_request_id.as_deref(),
        org_id: &t.org_id,
        org_name: world.org_name(&t.org_id),
        business_name: t.business_name.as_deref(),
        use_case: t.use_case.as_deref(),
        phone_number_count: numbers_of(world, t).len(),
        submitted_at: t.submitted_at.map(time::format),
        verified_at: t.verified_at.map(time::format),
        created_at: time::format(t.created_at),
    }
}

async fn list_verifications(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::parse(req.query_string(), &["organization_id", "status"]);
    let org = q.string("organization_id");
    let status = q.enumeration::<TfvStatus>("status");
    q.finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let org = org_filter(world, &caller, org)?;
        let items: Vec<_> = world
            .toll_free_verifications
            .values()
            .rev()
            .filter(|t| visible(world, &caller, org.as_deref(), &t.org_id))
            .filter(|t| status.is_none_or(|s| s == t.status))
            .map(|t| view(world, t))
            .collect();
        write_data(buf, &items)
    })
}

async fn get_verification(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let t = caller.find(
            world,
            &world.toll_free_verifications,
            &path,
            "Toll-free verification",
        )?;
        write_data(
            buf,
            &TollFreeVerificationDetailView {
                summary: view(world, t),
                phone_number_ids: numbers_of(world, t),
                rejection_reason: t.rejection_reason.as_deref(),
                updated_at: time::format(t.updated_at),
            },
        )
    })
}
