//! Broadcast projects (CONTRACT §7): list and detail reads here; create, PATCH and copy in
//! `write`; test, schedule, unschedule and pause in `actions`; stats and throughput in `stats`.
//! Detail reads use `project_id`/`organization_id` (and `id` beside it, which the docs, both SDK
//! READMEs and the CLI read); list items `id`/`org_id`. Rules live in `domain::project`,
//! `domain::message` and `sim::projects`.

mod actions;
mod stats;
mod write;

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::examples;
use crate::access::{visible, Caller};
use crate::domain::project::{Channel, PauseReason, ProjectType, Protocol, Status};
use crate::domain::project_record::{Project, SurveyQuestion};
use crate::domain::time;
use crate::error::{ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, Query};
use crate::sim::projects::estimate;
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Projects")
        .get("/projects", list_projects)
        .op("listProjects", "List projects")
        .query::<ProjectType>("type", "Only broadcast or only survey projects.")
        .query::<String>(
            "organization_id",
            "Only projects of exactly this organization.",
        )
        .query::<String>("brand_id", "Only projects of this brand.")
        .query::<String>("campaign_id", "Only projects of this campaign.")
        .ok::<Vec<ProjectItem>>()
        .errors(&[Code::OrgAccessDenied]);
    write::configure(r);
    r.get("/projects/{id}", get_project)
        .op("getProject", "Get a project")
        .path_param("id", "Project id", examples::project_id)
        .ok::<ProjectDetail>();
    actions::configure(r);
    stats::configure(r);
}

/// The project `id` if the caller reaches it; 404 otherwise, exactly as for an unknown id.
pub fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w Project> {
    caller.find(world, &world.projects, id, "Project")
}

/// A row of `GET /projects` (the SDK's `Project`).
#[derive(Serialize, JsonSchema)]
pub struct ProjectItem {
    id: String,
    name: String,
    #[serde(rename = "type")]
    project_type: ProjectType,
    status: Status,
    channel: Channel,
    campaign_id: Option<String>,
    campaign_name: Option<String>,
    brand_id: Option<String>,
    brand_name: Option<String>,
    toll_free_verification_id: Option<String>,
    contact_list_ids: Vec<String>,
    org_id: String,
    org_name: String,
    /// null for survey projects.
    message_text: Option<String>,
    created_at: String,
}

fn item(world: &World, p: &Project) -> ProjectItem {
    ProjectItem {
        id: p.id.clone(),
        name: p.name.clone(),
        project_type: p.project_type,
        status: p.status,
        channel: p.channel,
        campaign_id: p.campaign_id.clone(),
        campaign_name: p
            .campaign_id
            .as_deref()
            .and_then(|c| world.campaigns.get(c))
            .map(|c| c.name.clone()),
        brand_id: p.brand_id.clone(),
        brand_name: p
            .brand_id
            .as_deref()
            .and_then(|b| world.brands.get(b))
            .map(|b| b.name.clone()),
        toll_free_verification_id: p.toll_free_verification_id.clone(),
        contact_list_ids: p.contact_list_ids.clone(),
        org_id: p.org_id.clone(),
        org_name: world.org_name(&p.org_id).to_string(),
        message_text: p.message_text.clone(),
        created_at: time::format(p.created_at),
    }
}

/// `ProjectDetail`: the whole project.
#[derive(Serialize, JsonSchema)]
pub struct ProjectDetail {
    project_id: String,
    /// The same as `project_id` (the docs, SDK READMEs and CLI read `data.id`).
    id: String,
    organization_id: String,
    channel: Channel,
    brand_id: Option<String>,
    campaign_id: Option<String>,
    toll_free_verification_id: Option<String>,
    phone_number_ids: Vec<String>,
    name: String,
    status: Status,
    #[serde(rename = "type")]
    project_type: ProjectType,
    protocol: Protocol,
    /// null for survey projects.
    message_text: Option<String>,
    contact_list_ids: Vec<String>,
    suppression_list_ids: Vec<String>,
    /// Always an empty array in the current API version; see media_urls.
    media_ids: Vec<String>,
    media_urls: Vec<String>,
    link_tracking_enabled: bool,
    link_tracking_destination_url: Option<String>,
    link_tracking_domain_id: Option<String>,
    link_tracking_param_field: Option<String>,
    link_tracking_fallback_url: Option<String>,
    opt_out_footer_enabled: bool,
    ai_survey_analysis_enabled: bool,
    total_recipients: u64,
    #[serde(serialize_with = "crate::http::js_number")]
    estimated_cost_cents: f64,
    scheduled_at: Option<String>,
    scheduled_timezone: Option<String>,
    /// Why a paused project stopped; null when not paused.
    pause_reason: Option<PauseReason>,
    /// True when the sandbox paused the project itself.
    auto_paused: bool,
    daily_cap_bypass: bool,
    created_via_api: bool,
    created_at: String,
    updated_at: String,
    /// Survey projects only; absent on broadcasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    questions: Option<Vec<SurveyQuestion>>,
}

/// The public URL of each attached media file (ready files only).
fn media_urls(req: &HttpRequest, state: &AppState, world: &World, p: &Project) -> Vec<String> {
    let origin = crate::http::origin::origin(req, state.settings.trust_forwarded_headers);
    p.media_ids
        .iter()
        .filter_map(|id| world.media.get(id))
        .filter_map(|m| super::media::url_of(&origin, m))
        .collect()
}

pub fn detail(req: &HttpRequest, state: &AppState, world: &World, p: &Project) -> ProjectDetail {
    let (recipients, _, cost) = estimate(world, p);
    ProjectDetail {
        project_id: p.id.clone(),
        id: p.id.clone(),
        organization_id: p.org_id.clone(),
        channel: p.channel,
        brand_id: p.brand_id.clone(),
        campaign_id: p.campaign_id.clone(),
        toll_free_verification_id: p.toll_free_verification_id.clone(),
        phone_number_ids: p.phone_number_ids.clone(),
        name: p.name.clone(),
        status: p.status,
        project_type: p.project_type,
        protocol: p.protocol,
        message_text: p.message_text.clone(),
        contact_list_ids: p.contact_list_ids.clone(),
        suppression_list_ids: p.suppression_list_ids.clone(),
        media_ids: Vec::new(),
        media_urls: media_urls(req, state, world, p),
        link_tracking_enabled: p.link.enabled,
        link_tracking_destination_url: p.link.destination_url.clone(),
        link_tracking_domain_id: p.link.domain_id.clone(),
        link_tracking_param_field: p.link.param_field.clone(),
        link_tracking_fallback_url: p.link.fallback_url.clone(),
        opt_out_footer_enabled: p.opt_out_footer_enabled,
        ai_survey_analysis_enabled: p.ai_survey_analysis_enabled,
        total_recipients: recipients,
        estimated_cost_cents: cost,
        scheduled_at: p.scheduled_at.map(time::format),
        scheduled_timezone: p.scheduled_timezone.clone(),
        pause_reason: p.pause.as_ref().map(|x| x.reason.clone()),
        auto_paused: p.pause.as_ref().is_some_and(|x| x.auto_paused),
        daily_cap_bypass: p.daily_cap_bypass,
        created_via_api: p.created_via_api,
        created_at: time::format(p.created_at),
        updated_at: time::format(p.updated_at),
        questions: p.questions.clone(),
    }
}

async fn list_projects(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(
        &req,
        &["type", "organization_id", "brand_id", "campaign_id"],
    );
    let kind = q.enumeration::<ProjectType>("type");
    let org = q.string("organization_id");
    let brand = q.string("brand_id");
    let campaign = q.string("campaign_id");
    q.finish()?;
    let world = state.sim.store.read();
    if let Some(o) = &org {
        caller.check_org_filter(&world, o)?;
    }
    let items: Vec<ProjectItem> = world
        .projects
        .values()
        .rev()
        .filter(|p| visible(&world, &caller, org.as_deref(), &p.org_id))
        .filter(|p| kind.is_none_or(|k| k == p.project_type))
        .filter(|p| {
            brand
                .as_deref()
                .is_none_or(|b| p.brand_id.as_deref() == Some(b))
        })
        .filter(|p| {
            campaign
                .as_deref()
                .is_none_or(|c| p.campaign_id.as_deref() == Some(c))
        })
        .map(|p| item(&world, p))
        .collect();
    Ok(ok(items))
}

async fn get_project(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let world = state.sim.store.read();
    let p = find(&world, &caller, &path)?;
    Ok(ok(detail(&req, &state, &world, p)))
}
