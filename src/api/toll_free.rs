//! Toll-free verifications: the list (with `phone_number_count`) and the detail read (with
//! `phone_number_ids`, `rejection_reason`, `updated_at`).

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::cached;
use super::examples;
use crate::access::{org_filter, visible, Caller};
use crate::domain::registry::{TfvStatus, TollFreeVerification};
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::error::{ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{write_data, Query};
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Toll-free verifications")
        .get("/toll-free-verifications", list_verifications)
        .op("listTollFreeVerifications", "List toll-free verifications")
        .query::<String>(
            "organization_id",
            "Only verifications of exactly this organization.",
        )
        .query::<TfvStatus>(
            "status",
            "Only verifications in this status (carrier casing).",
        )
        .ok::<Vec<TollFreeVerificationView<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
    r.get("/toll-free-verifications/{id}", get_verification)
        .op("getTollFreeVerification", "Get a toll-free verification")
        .path_param(
            "id",
            "Toll-free verification id",
            examples::toll_free_verification_id,
        )
        .ok::<TollFreeVerificationDetailView<'static>>();
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
    let mut q = Query::of(&req, &["organization_id", "status"]);
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
    Query::of(&req, &[]).finish()?;
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
