//! Contact lists: list and detail reads, delete, and (in submodules) import, LRN analysis and
//! CSV downloads. Detail reads use `list_id`/`organization_id`; list items use `id`/`org_id`.

mod analysis;
mod import;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use super::query::Query;
use super::registrations::OrgBrandFilter;
use super::{ok, resource};
use crate::app::AppState;
use crate::domain::contacts::{AnalysisStatus, ContactList, MergeTag};
use crate::domain::registry::WireEnum;
use crate::domain::time::{self, Millis};
use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::store::World;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/contact-lists", "GET").route(web::get().to(list_lists)))
        .service(
            resource("/contact-lists/import", "POST").route(web::post().to(import::import_list)),
        )
        .service(
            resource("/contact-lists/{id}", "GET, DELETE")
                .route(web::get().to(get_list))
                .route(web::delete().to(delete_list)),
        )
        .service(
            resource("/contact-lists/{id}/analyze", "POST")
                .route(web::post().to(analysis::analyze)),
        )
        .service(
            resource("/contact-lists/{id}/download", "GET")
                .route(web::get().to(analysis::download)),
        );
}

/// The list `id` if the caller reaches it; 404 otherwise, exactly as for an unknown id.
pub fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w ContactList> {
    caller.find(world, &world.contact_lists, id, "Contact list")
}

#[derive(Serialize)]
struct ListItem<'a> {
    id: &'a str,
    name: &'a str,
    brand_id: Option<&'a str>,
    brand_name: Option<&'a str>,
    org_id: &'a str,
    org_name: &'a str,
    created_at: String,
}

async fn list_lists(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(req.query_string())?;
    let world = state.store.read();
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
        })
        .collect();
    Ok(ok(items))
}

/// `ContactListDetail` at sandbox time `now`.
pub fn detail(l: &ContactList, now: Millis) -> Value {
    let i = &l.import;
    let ready = i.status == crate::domain::contacts::ImportStatus::Ready;
    // Counters are known once processing is over; total_rows as soon as the file was read.
    let when_ready = |v: Option<u64>| if ready { v } else { None };
    let mut analysis = json!({
        "status": l.analysis.status.as_str(),
        "analyzed_numbers": l.analysis.analyzed_numbers,
    });
    if l.analysis.analyzed_numbers > 0 {
        analysis["breakdown"] = json!(l.breakdown);
    }
    if l.analysis.status == AnalysisStatus::Processing {
        analysis["numbers_queued"] = json!(l.analysis.queued);
        analysis["estimated_completion_seconds"] = json!(l
            .analysis
            .completes_at
            .map_or(0, |c| ((c - now).max(0) + 999) / 1000));
    }
    let tags: Vec<&MergeTag> = l.merge_tags.iter().collect();
    json!({
        "list_id": l.id,
        "name": l.name,
        "brand_id": l.brand_id,
        "organization_id": l.org_id,
        "imported_via_api": l.imported_via_api,
        "created_at": time::format(l.created_at),
        "import": {
            "status": i.status.as_str(),
            "progress": i.progress(now),
            "total_rows": i.total_rows,
            "total_contacts": when_ready(i.total_contacts),
            "clean_contacts": when_ready(i.clean_contacts),
            "duplicate_count": when_ready(i.duplicate_count),
            "bad_number_count": when_ready(i.bad_number_count),
            "opted_out_count": when_ready(i.opted_out_count),
            "processing_started_at": i.processing_started_at.map(time::format),
            "processing_completed_at": i
                .processing_completed_at
                .filter(|_| i.status != crate::domain::contacts::ImportStatus::Processing)
                .map(time::format),
            "failure_reason": i.failure_reason,
        },
        "analysis": analysis,
        "available_merge_tags": tags,
    })
}

async fn get_list(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    let now = state.clock.now();
    let world = state.store.read();
    Ok(ok(detail(find(&world, &caller, &path)?, now)))
}

async fn delete_list(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    let mut world = state.store.write();
    find(&world, &caller, &path)?;
    // Projects that reference a list will block its deletion with 409 CONTACT_LIST_IN_USE
    // once projects exist; until then no list is referenced.
    let list = world
        .contact_lists
        .remove(path.as_str())
        .ok_or(ApiError::NotFound {
            resource: "Contact list",
        })?;
    Ok(ok(
        json!({ "list_id": list.id, "name": list.name, "deleted": true }),
    ))
}
