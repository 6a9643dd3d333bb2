//! `POST /projects` (201), `PATCH /projects/{id}` and `POST /projects/{id}/copy` (201). One body
//! parser and one rule set (`sim::projects::apply`) serve create and PATCH, so every problem of a
//! body is reported together in `details`.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{detail, examples, find, ProjectDetail};
use crate::access::Caller;
use crate::domain::ids::{new_id, Kind};
use crate::domain::project::{
    copy_name, transition, Channel, Completeness, ProjectType, Protocol, Refusal, Status,
};
use crate::domain::project_record::Project;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, respond, Body, Query};
use crate::sim::projects::{self, apply, check_org, completeness_of, estimate, Draft, OrgChecks};
use crate::state::AppState;

pub fn configure(r: &mut Routes) {
    r.post("/projects", create_project)
        .op("createProject", "Create a broadcast project")
        .describe(
            "Without contact_list_ids the project is a draft; with a list, a message and a \
             number it is awaiting_test. Every problem of the body is reported together.",
        )
        .body::<CreateProjectRequest>(examples::create_project_body)
        .answers::<CreateProjectAnswer>(201)
        .errors(&[
            Code::OrgAccessDenied,
            Code::OnboardingIncomplete,
            Code::SendingPaused,
            Code::PhoneNumberUnavailable,
            Code::ListAnalysisInProgress,
            Code::InvalidLinkPlaceholder,
        ]);
    r.add(
        crate::http::routes::Method::Patch,
        "/projects/{id}",
        update_project,
    )
    .op("updateProject", "Edit a draft or awaiting_test project")
    .path_param("id", "Project id", examples::editable_project_id)
    .body::<UpdateProjectRequest>(examples::update_project_body)
    .ok::<ProjectDetail>()
    .errors(&[
        Code::ProjectNotEditable,
        Code::PhoneNumberUnavailable,
        Code::ListAnalysisInProgress,
        Code::InvalidLinkPlaceholder,
    ]);
    r.post("/projects/{id}/copy", copy_project)
        .op(
            "copyProject",
            "Copy a project (a draft without lists, schedule or stats)",
        )
        .path_param("id", "Project id", examples::project_id)
        .answers::<CreateProjectAnswer>(201)
        .errors(&[Code::OnboardingIncomplete, Code::ProjectNotEditable]);
}

/// `CreateProjectRequest` (broadcast only; surveys are seeded and read-only).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CreateProjectRequest {
    organization_id: String,
    /// Default 10dlc.
    channel: Option<Channel>,
    /// Required for 10dlc (a brand of the organization); omitted for toll-free.
    brand_id: Option<String>,
    /// Required for 10dlc (a campaign of that brand); omitted for toll-free.
    campaign_id: Option<String>,
    /// Required for toll-free; omitted for 10dlc.
    toll_free_verification_id: Option<String>,
    /// 1-49 numbers of the channel that the organization owns or has shared to it.
    #[schemars(length(min = 1, max = 49))]
    phone_number_ids: Option<Vec<String>>,
    /// Deprecated: one number, taken as a one-element phone_number_ids.
    phone_number_id: Option<String>,
    #[schemars(length(min = 1, max = 255))]
    name: String,
    protocol: Protocol,
    /// Optional (omitted: a draft); an empty array is refused.
    #[schemars(length(min = 1))]
    contact_list_ids: Option<Vec<String>>,
    suppression_list_ids: Option<Vec<String>>,
    /// Merge tags `{tag}` / `{tag|fallback}`; `{link}` is the tracking link.
    #[schemars(length(min = 1, max = 1600))]
    message_text: String,
    media_ids: Option<Vec<String>>,
    link_tracking_enabled: Option<bool>,
    link_tracking_destination_url: Option<String>,
    link_tracking_domain_id: Option<String>,
    #[schemars(length(max = 64))]
    link_tracking_param_field: Option<String>,
    link_tracking_fallback_url: Option<String>,
    /// Appends "STOP=END" on its own line; default true.
    opt_out_footer_enabled: Option<bool>,
}

/// `UpdateProjectRequest`: any of these; the registration fields cannot change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UpdateProjectRequest {
    #[schemars(length(min = 1, max = 255))]
    name: Option<String>,
    #[schemars(length(min = 1, max = 1600))]
    message_text: Option<String>,
    protocol: Option<Protocol>,
    #[schemars(length(min = 1, max = 49))]
    phone_number_ids: Option<Vec<String>>,
    phone_number_id: Option<String>,
    #[schemars(length(min = 1))]
    contact_list_ids: Option<Vec<String>>,
    suppression_list_ids: Option<Vec<String>>,
    media_ids: Option<Vec<String>>,
    link_tracking_enabled: Option<bool>,
    link_tracking_destination_url: Option<String>,
    link_tracking_domain_id: Option<String>,
    #[schemars(length(max = 64))]
    link_tracking_param_field: Option<String>,
    link_tracking_fallback_url: Option<String>,
    opt_out_footer_enabled: Option<bool>,
}

/// `CreateProjectResult` (also the copy's answer).
#[derive(Serialize, JsonSchema)]
pub struct CreateProjectAnswer {
    project_id: String,
    /// The same as `project_id`.
    id: String,
    name: String,
    #[serde(rename = "type")]
    project_type: ProjectType,
    status: Status,
    channel: Channel,
    created_via_api: bool,
    #[serde(serialize_with = "crate::http::js_number")]
    estimated_cost_cents: f64,
    total_recipients: u64,
    completeness: Completeness,
}

fn answer(world: &crate::store::World, p: &Project) -> CreateProjectAnswer {
    let (recipients, _, cost) = estimate(world, p);
    CreateProjectAnswer {
        project_id: p.id.clone(),
        id: p.id.clone(),
        name: p.name.clone(),
        project_type: p.project_type,
        status: p.status,
        channel: p.channel,
        created_via_api: p.created_via_api,
        estimated_cost_cents: cost,
        total_recipients: recipients,
        completeness: completeness_of(p),
    }
}

const ID_MAX: usize = 64;

/// The body fields create and PATCH share.
fn common(body: &mut Body, draft: &mut Draft, creating: bool) {
    draft.name = body.string("name", creating, 255);
    draft.message_text = body.string("message_text", creating, 1600);
    draft.protocol = body.enumeration::<Protocol>("protocol", creating);
    let many = body.strings("phone_number_ids", false, ID_MAX);
    let one = body.string("phone_number_id", false, ID_MAX);
    draft.phone_number_ids = match (many, one) {
        (Some(_), Some(_)) => {
            body.reject(
                "phone_number_id",
                "give phone_number_ids or the deprecated phone_number_id, not both",
            );
            None
        }
        (Some(many), None) => Some(many),
        (None, Some(one)) => Some(vec![one]),
        (None, None) => None,
    };
    if draft.phone_number_ids.as_ref().is_some_and(Vec::is_empty) {
        body.reject("phone_number_ids", "give 1 to 49 numbers");
    }
    draft.contact_list_ids = body.strings("contact_list_ids", false, ID_MAX);
    if draft.contact_list_ids.as_ref().is_some_and(Vec::is_empty) {
        body.reject(
            "contact_list_ids",
            "must not be empty; omit it to create a draft without lists",
        );
    }
    draft.suppression_list_ids = body.strings("suppression_list_ids", false, ID_MAX);
    draft.media_ids = body.strings("media_ids", false, ID_MAX);
    draft.link_enabled = body.boolean("link_tracking_enabled", false);
    draft.link_destination = body.nullable_string("link_tracking_destination_url", 2048);
    draft.link_domain = body.nullable_string("link_tracking_domain_id", ID_MAX);
    draft.link_param = body.nullable_string("link_tracking_param_field", 64);
    draft.link_fallback = body.nullable_string("link_tracking_fallback_url", 2048);
    draft.opt_out_footer_enabled = body.boolean("opt_out_footer_enabled", false);
}

/// The 409 of a refused transition.
pub fn refused(r: Refusal) -> ApiError {
    let code = match r {
        Refusal::NotEditable { .. } => Code::ProjectNotEditable,
        Refusal::NotReady => Code::ProjectNotReady,
        Refusal::NotPausable { .. } => Code::ProjectNotPausable,
        Refusal::AlreadySending => Code::ProjectSending,
        Refusal::AlreadyCompleted | Refusal::Stale { .. } => Code::ProjectCompleted,
    };
    ApiError::coded(code, r.to_string())
}

async fn create_project(
    req: HttpRequest,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    let org = body.string("organization_id", true, ID_MAX);
    let mut draft = Draft {
        channel: body.enumeration::<Channel>("channel", false),
        brand_id: body.string("brand_id", false, ID_MAX),
        campaign_id: body.string("campaign_id", false, ID_MAX),
        toll_free_verification_id: body.string("toll_free_verification_id", false, ID_MAX),
        ..Draft::default()
    };
    common(&mut body, &mut draft, true);
    body.finish()?;
    let org = org.ok_or_else(|| ApiError::validation("organization_id", "is required"))?;
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    caller.check_org_filter(&world, &org)?;
    check_org(&world, &org, now, OrgChecks::CREATE)?;
    let id = new_id(Kind::Project, now, &mut world.rng);
    let mut p = projects::blank(id.clone(), org, now);
    apply(&world, &caller.reach.root, &mut p, draft)?;
    p.status = completeness_of(&p).initial_status();
    let answer = answer(&world, &p);
    world.projects.insert(id, p);
    Ok(respond(StatusCode::CREATED, answer))
}

async fn update_project(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    for immutable in [
        "organization_id",
        "brand_id",
        "campaign_id",
        "channel",
        "toll_free_verification_id",
    ] {
        if body.has(immutable) || body.is_null(immutable) {
            body.reject(
                immutable,
                "cannot be changed; copy the project to use another",
            );
            let _ = body.nullable_string(immutable, usize::MAX);
        }
    }
    let mut draft = Draft::default();
    common(&mut body, &mut draft, false);
    body.finish()?;
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let mut p = find(&world, &caller, &path)?.clone();
    transition(p.status, crate::domain::project::Action::Edit).map_err(refused)?;
    apply(&world, &caller.reach.root, &mut p, draft)?;
    p.status = transition(p.status, completeness_of(&p).action()).map_err(refused)?;
    p.updated_at = now;
    let answer = detail(&req, &state, &world, &p);
    world.projects.insert(p.id.clone(), p);
    Ok(ok(answer))
}

async fn copy_project(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let source = find(&world, &caller, &path)?.clone();
    check_org(&world, &source.org_id, now, OrgChecks::COPY)?;
    if source.project_type != ProjectType::Broadcast {
        return Err(ApiError::coded(
            Code::ProjectNotEditable,
            "survey projects are read-only in the sandbox and cannot be copied",
        ));
    }
    let names: Vec<&str> = world
        .projects
        .values()
        .filter(|p| p.org_id == source.org_id)
        .map(|p| p.name.as_str())
        .collect();
    let name = copy_name(&source.name, &names);
    let id = new_id(Kind::Project, now, &mut world.rng);
    let mut copy = projects::blank(id.clone(), source.org_id.clone(), now);
    copy.name = name;
    copy.channel = source.channel;
    copy.brand_id = source.brand_id.clone();
    copy.campaign_id = source.campaign_id.clone();
    copy.toll_free_verification_id = source.toll_free_verification_id.clone();
    copy.phone_number_ids = source.phone_number_ids.clone();
    copy.protocol = source.protocol;
    copy.message_text = source.message_text.clone();
    copy.media_ids = source.media_ids.clone();
    copy.link = source.link.clone();
    copy.opt_out_footer_enabled = source.opt_out_footer_enabled;
    // Lists, schedule and stats are dropped, so a copy is always a draft.
    copy.status = completeness_of(&copy).initial_status();
    let answer = answer(&world, &copy);
    world.projects.insert(id, copy);
    Ok(respond(StatusCode::CREATED, answer))
}
