//! Contact lists: list and detail reads, delete, and (in submodules) import, LRN analysis and
//! CSV downloads. Detail reads use `list_id`/`organization_id`; list items use `id`/`org_id`.

mod analysis;
mod import;

pub use import::MAX_REASON_CHARS;

use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::examples;
use crate::access::{in_use, Caller, OrgBrandFilter};
use crate::domain::contacts::{AnalysisStatus, ContactList, ImportStatus, MergeTag};
use crate::domain::time::{self, Millis};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, Query};
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Contact lists")
        .get("/contact-lists", list_lists)
        .op("listContactLists", "List contact lists")
        .query::<String>(
            "organization_id",
            "Only lists of exactly this organization.",
        )
        .query::<String>("brand_id", "Only lists of this brand.")
        .ok::<Vec<ListItem<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
    import::configure(r);
    r.get("/contact-lists/{id}", get_list)
        .op(
            "getContactList",
            "Get a contact list with its import and analysis progress",
        )
        .path_param("id", "Contact list id", examples::list_id)
        .ok::<ContactListDetail>();
    r.delete("/contact-lists/{id}", delete_list)
        .op("deleteContactList", "Delete a contact list")
        .path_param("id", "Contact list id", examples::deletable_list_id)
        .ok::<Deleted>()
        .errors(&[Code::ContactListInUse]);
    analysis::configure(r);
}

/// The list `id` if the caller reaches it; 404 otherwise, exactly as for an unknown id.
pub fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w ContactList> {
    caller.find(world, &world.contact_lists, id, "Contact list")
}

/// A row of `GET /contact-lists`: the SDK's `ContactList`, plus what the official CLI prints
/// (`status`, `contact_count`, `list_name`), so `political-comms contact-lists list` fills its
/// table.
#[derive(Serialize, JsonSchema)]
pub struct ListItem<'a> {
    id: &'a str,
    name: &'a str,
    brand_id: Option<&'a str>,
    brand_name: Option<&'a str>,
    org_id: &'a str,
    org_name: &'a str,
    created_at: String,
    /// The import status.
    status: ImportStatus,
    /// Clean contacts once the import is ready; null before.
    contact_count: Option<u64>,
    /// The same as `name`.
    list_name: &'a str,
}

async fn list_lists(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(&req)?;
    let world = state.sim.store.read();
    filter.check(&world, &caller)?;
    let items: Vec<ListItem> = world
        .contact_lists
        .values()
        .rev()
        .filter(|l| filter.admits(&world, &caller, &l.org_id, l.brand_id.as_deref()))
        .map(|l| ListItem {
            id: &l.id,
            name: &l.name,
            brand_id: l.brand_id.as_deref(),
            brand_name: l
                .brand_id
                .as_deref()
                .and_then(|b| world.brands.get(b))
                .map(|b| b.name.as_str()),
            org_id: &l.org_id,
            org_name: world.org_name(&l.org_id),
            created_at: time::format(l.created_at),
            status: l.import.status,
            contact_count: l
                .import
                .clean_contacts
                .filter(|_| l.import.status == ImportStatus::Ready),
            list_name: &l.name,
        })
        .collect();
    Ok(ok(items))
}

/// A list's import: status, progress and, once ready, its counters.
#[derive(Serialize, JsonSchema)]
pub struct ImportView {
    status: ImportStatus,
    /// 0-100, moving on the sandbox clock while processing.
    progress: u8,
    /// Known as soon as the file was read.
    total_rows: Option<u64>,
    total_contacts: Option<u64>,
    clean_contacts: Option<u64>,
    duplicate_count: Option<u64>,
    bad_number_count: Option<u64>,
    opted_out_count: Option<u64>,
    processing_started_at: Option<String>,
    processing_completed_at: Option<String>,
    /// Why the import failed (a sandbox addition).
    failure_reason: Option<String>,
}

/// A list's LRN analysis.
#[derive(Serialize, JsonSchema)]
pub struct AnalysisView {
    status: AnalysisStatus,
    analyzed_numbers: u64,
    /// Line-type counts; present once any number was analyzed.
    #[serde(skip_serializing_if = "Option::is_none")]
    breakdown: Option<BTreeMap<String, u64>>,
    /// Numbers in the run under way; present while processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    numbers_queued: Option<u64>,
    /// Seconds until the run completes; present while processing.
    #[serde(skip_serializing_if = "Option::is_none")]
    estimated_completion_seconds: Option<i64>,
}

/// `ContactListDetail`.
#[derive(Serialize, JsonSchema)]
pub struct ContactListDetail {
    list_id: String,
    name: String,
    brand_id: Option<String>,
    organization_id: String,
    imported_via_api: bool,
    created_at: String,
    import: ImportView,
    analysis: AnalysisView,
    available_merge_tags: Vec<MergeTag>,
}

/// `ContactListDetail` at sandbox time `now`.
pub fn detail(l: &ContactList, now: Millis) -> ContactListDetail {
    let i = &l.import;
    let ready = i.status == ImportStatus::Ready;
    // Counters are known once processing is over; total_rows as soon as the file was read.
    let when_ready = |v: Option<u64>| if ready { v } else { None };
    let processing = l.analysis.status == AnalysisStatus::Processing;
    ContactListDetail {
        list_id: l.id.clone(),
        name: l.name.clone(),
        brand_id: l.brand_id.clone(),
        organization_id: l.org_id.clone(),
        imported_via_api: l.imported_via_api,
        created_at: time::format(l.created_at),
        import: ImportView {
            status: i.status,
            progress: i.progress(now),
            total_rows: i.total_rows,
            total_contacts: when_ready(i.total_contacts),
            clean_contacts: when_ready(i.clean_contacts),
            duplicate_count: when_ready(i.duplicate_count),
            bad_number_count: when_ready(i.bad_number_count),
            opted_out_count: when_ready(i.opted_out_count),
            processing_started_at: i.processing_started_at.map(time::format),
            processing_completed_at: i
                .processing_completed_at
                .filter(|_| i.status != ImportStatus::Processing)
                .map(time::format),
            failure_reason: i.failure_reason.clone(),
        },
        analysis: AnalysisView {
            status: l.analysis.status,
            analyzed_numbers: l.analysis.analyzed_numbers,
            breakdown: (l.analysis.analyzed_numbers > 0).then(|| l.breakdown.clone()),
            numbers_queued: processing.then_some(l.analysis.queued),
            estimated_completion_seconds: processing
                .then(|| crate::sim::analysis::remaining_seconds(l.analysis.completes_at, now)),
        },
        available_merge_tags: l.merge_tags.clone(),
    }
}

async fn get_list(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let world = state.sim.store.read();
    Ok(ok(detail(find(&world, &caller, &path)?, now)))
}

/// The answer of a delete.
#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    list_id: String,
    name: String,
    deleted: bool,
}

async fn delete_list(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut world = state.sim.store.write();
    find(&world, &caller, &path)?;
    in_use(
        Code::ContactListInUse,
        "The contact list",
        "projects",
        crate::sim::projects::users_of_list(&world, &path),
    )?;
    let list = world
        .contact_lists
        .remove(path.as_str())
        .ok_or(ApiError::NotFound {
            resource: "Contact list",
        })?;
    Ok(ok(Deleted {
        list_id: list.id,
        name: list.name,
        deleted: true,
    }))
}
