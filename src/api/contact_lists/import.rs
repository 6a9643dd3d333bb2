//! `POST /contact-lists/import`: validate, fetch the CSV for real, parse it off the async workers,
//! and create the list. A header without the phone column (or without a mapped column) is a 400
//! with the headers that were read; every other problem with the file ends the import as `failed`
//! with a reason. A good file is `processing` for `rows / import_rows_per_second` sandbox seconds,
//! then `ready`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::api::body::Body;
use crate::api::{imports, respond};
use crate::app::AppState;
use crate::domain::contacts::{AnalysisState, ContactList, Contacts, ImportState, ImportStatus};
use crate::domain::ids::{new_id, Kind};
use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::sim::fetch::Limits;
use crate::sim::import::{self, Mapping, ParseError, Parsed};
use crate::sim::jobs::Job;

const STANDARD_MAPPING_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "address",
    "address_line_2",
    "city",
    "state",
    "zip",
];

fn valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && tag.len() <= 64
}

/// The `merge_tags` object, checked field by field.
fn mapping(body: &mut Body) -> Option<Mapping> {
    let mut m = body.object("merge_tags", false)?;
    let mut pairs = Vec::new();
    for field in STANDARD_MAPPING_FIELDS {
        if let Some(col) = m.string(field, false, 255) {
            pairs.push((field.to_string(), col));
        }
    }
    if let Some(items) = m.array("custom_fields", false) {
        for (i, item) in items.into_iter().enumerate() {
            let Some(mut item) = m.element_object("custom_fields", i, item) else {
                continue;
            };
            let col = item.string("csv_column", true, 255);
            let tag = item.string("merge_tag", true, 64);
            if let Some(t) = &tag {
                if !valid_tag(t) {
                    item.reject(
                        "merge_tag",
                        "must be lowercase letters, digits and underscores, starting with a letter",
                    );
                }
            }
            if let (Some(col), Some(tag)) = (col, tag) {
                if pairs.iter().any(|(t, _)| *t == tag) {
                    item.reject("merge_tag", format!("'{tag}' is mapped twice"));
                } else {
                    pairs.push((tag, col));
                }
            }
            m.absorb(item);
        }
    }
    body.absorb(m);
    Some(Mapping { pairs })
}

pub async fn import_list(
    req: HttpRequest,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let url = imports::source_url(&mut body);
    let list_name = body.string("list_name", true, 255);
    let phone_column = body.string("phone_column", true, 255);
    let organization_id = body.string("organization_id", false, 64);
    let brand_id = body.string("brand_id", false, 64);
    let mapping = mapping(&mut body);
    body.finish()?;
    let (Some(url), Some(list_name), Some(phone_column)) = (url, list_name, phone_column) else {
        return Err(ApiError::validation(
            "body",
            "source_url, list_name and phone_column are required",
        ));
    };
    let (org_id, brand_id) =
        imports::resolve(&state.store.read(), &caller, organization_id, brand_id)?;

    let sim = state.settings.sim;
    let limits = Limits {
        max_bytes: sim.max_import_bytes,
        timeout: Duration::from_secs(sim.fetch_timeout_seconds),
    };
    let outcome = match imports::fetch_source(&state, url.clone(), limits).await? {
        Err(why) => Err(why),
        Ok(bytes) => {
            let opted_out: std::collections::HashSet<u64> = state
                .store
                .read()
                .opt_outs
                .get(&org_id)
                .cloned()
                .unwrap_or_default();
            let column = phone_column.clone();
            let parsed = web::block(move || {
                import::parse(
                    &bytes,
                    &column,
                    mapping.as_ref(),
                    &|p| opted_out.contains(&p),
                    sim.max_import_rows,
                )
            })
            .await
            .map_err(|e| ApiError::Internal(format!("import worker failed: {e}")))?;
            match parsed {
                Ok(p) => Ok(p),
                Err(ParseError::Failed(why)) => Err(why),
                Err(ParseError::MissingPhoneColumn {
                    phone_column,
                    headers,
                }) => {
                    return Err(ApiError::validation(
                        "phone_column",
                        format!(
                            "the file has no column '{phone_column}'; its header has: {}",
                            headers.join(", ")
                        ),
                    ))
                }
                Err(ParseError::MissingMappedColumns { columns, headers }) => {
                    return Err(ApiError::validation(
                        "merge_tags",
                        format!(
                            "mapped columns not in the file: {}; its header has: {}",
                            columns.join(", "),
                            headers.join(", ")
                        ),
                    ))
                }
            }
        }
    };

    let now = state.clock.now();
    let mut world = state.store.write();
    let id = new_id(Kind::ContactList, now, &mut world.rng);
    let list = build(
        id.clone(),
        org_id,
        brand_id,
        list_name,
        url.to_string(),
        outcome,
        now,
        sim.import_rows_per_second,
    );
    let ready_at = list.import.processing_completed_at;
    let name = list.name.clone();
    world.contact_lists.insert(id.clone(), list);
    drop(world);
    if let Some(at) = ready_at {
        state.scheduler.schedule(
            at,
            Job::ImportReady {
                list_id: id.clone(),
            },
        );
    }
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({
            "list_id": id,
            "name": name,
            "status": "processing",
            "total_rows": null,
            "imported_via_api": true,
        }),
    ))
}

/// Sandbox seconds (at least one) to process `rows` at `rate` rows per second.
pub fn processing_millis(rows: u64, rate: u64) -> i64 {
    (rows.div_ceil(rate.max(1)).max(1) * 1000) as i64
}

#[allow(clippy::too_many_arguments)]
fn build(
    id: String,
    org_id: String,
    brand_id: Option<String>,
    name: String,
    source_url: String,
    outcome: Result<Parsed, String>,
    now: i64,
    rows_per_second: u64,
) -> ContactList {
    let (import, contacts, merge_tags) = match outcome {
        Err(reason) => (
            ImportState {
                status: ImportStatus::Failed,
                total_rows: None,
                total_contacts: None,
                clean_contacts: None,
                duplicate_count: None,
                bad_number_count: None,
                opted_out_count: None,
                processing_started_at: Some(now),
                processing_completed_at: Some(now),
                failure_reason: Some(reason),
            },
            Contacts::default(),
            Vec::new(),
        ),
        Ok(p) => (
            ImportState {
                status: ImportStatus::Processing,
                total_rows: Some(p.total_rows),
                total_contacts: Some(p.total_contacts),
                clean_contacts: Some(p.clean_contacts),
                duplicate_count: Some(p.duplicate_count),
                bad_number_count: Some(p.bad_number_count),
                opted_out_count: Some(p.opted_out_count),
                processing_started_at: Some(now),
                processing_completed_at: Some(
                    now + processing_millis(p.total_rows, rows_per_second),
                ),
                failure_reason: None,
            },
            p.contacts,
            p.merge_tags,
        ),
    };
    ContactList {
        id,
        org_id,
        brand_id,
        name,
        created_at: now,
        imported_via_api: true,
        source_url: Some(source_url),
        import,
        analysis: AnalysisState::default(),
        merge_tags,
        contacts,
        breakdown: Default::default(),
    }
}
