//! `POST /contact-lists/import`: validate, fetch the CSV for real, parse it off the async workers,
//! and create the list. A header without the phone column (or without a mapped column) is a 400
//! with the headers that were read; every other problem with the file ends the import as `failed`
//! with a reason. A good file is `processing` for `rows / import_rows_per_second` sandbox seconds,
//! then `ready`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::api::{examples, imports};
use crate::domain::contacts::ImportStatus;
use crate::domain::ids::{new_id, Kind};
use crate::domain::text::{clip, clip_list};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{respond, Body};
use crate::sim::fetch::Limits;
use crate::sim::import::{self, Mapping, NewList, ParseError};
use crate::sim::jobs::Job;
use crate::state::AppState;

/// How many header columns a 400 lists.
const MAX_LISTED: usize = 50;
/// The longest `failure_reason` kept (a reason may quote a URL or a header).
pub const MAX_REASON_CHARS: usize = 1_000;

pub fn configure(r: &mut Routes) {
    r.post("/contact-lists/import", import_list)
        .op("importContactList", "Import a contact list from a CSV URL")
        .describe(
            "The sandbox fetches `source_url` (http or https; its own hosted files work offline) \
             and parses the CSV within the request. A header without the phone column is a 400; \
             any other problem with the file creates the list as `failed` with a reason.",
        )
        .body::<ImportListRequest>(examples::import_list_body)
        .answers::<ImportListAnswer>(202)
        .errors(&[
            Code::OrgAccessDenied,
            Code::NotFound,
            Code::BrandOrgMismatch,
            Code::ImportsBusy,
        ]);
}

/// A standard merge-tag field or a custom one, mapped to a CSV column.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CustomField {
    csv_column: String,
    /// Lowercase letters, digits and underscores, starting with a letter.
    #[schemars(length(max = 64), regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    merge_tag: String,
}

/// Which CSV columns become which merge tags (omitted: every non-phone column gets a tag).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MergeTagMapping {
    first_name: Option<String>,
    last_name: Option<String>,
    address: Option<String>,
    address_line_2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    custom_fields: Option<Vec<CustomField>>,
}

/// `ImportContactListRequest`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportListRequest {
    /// An http(s) URL of a CSV file (e.g. a presigned URL, or `/_sandbox/files/{name}`).
    #[schemars(length(min = 1, max = 4096))]
    source_url: String,
    #[schemars(length(min = 1, max = 255))]
    list_name: String,
    /// The header of the column holding phone numbers.
    #[schemars(length(min = 1, max = 255))]
    phone_column: String,
    /// Default: the key's organization (or the brand's).
    organization_id: Option<String>,
    brand_id: Option<String>,
    merge_tags: Option<MergeTagMapping>,
}

/// `ImportContactListResult`.
#[derive(Serialize, JsonSchema)]
pub struct ImportListAnswer {
    list_id: String,
    name: String,
    status: ImportStatus,
    /// null until the list's detail shows it.
    total_rows: Option<u64>,
    imported_via_api: bool,
}

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
        imports::resolve(&state.sim.store.read(), &caller, organization_id, brand_id)?;

    let sim = state.settings.sim;
    let limits = Limits {
        max_bytes: sim.max_import_bytes,
        timeout: Duration::from_secs(sim.fetch_timeout_seconds),
        loopback_only: sim.fetch_loopback_only,
    };
    let slot = imports::slot(&state).await?;
    let outcome = match imports::fetch_source(&state, url.clone(), limits).await? {
        Err(why) => Err(why),
        Ok(bytes) => {
            let opted_out: std::collections::HashSet<u64> = state
                .sim
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
                            clip_list(&headers, MAX_LISTED)
                        ),
                    ))
                }
                Err(ParseError::MissingMappedColumns { columns, headers }) => {
                    return Err(ApiError::validation(
                        "merge_tags",
                        format!(
                            "mapped columns not in the file: {}; its header has: {}",
                            clip_list(&columns, MAX_LISTED),
                            clip_list(&headers, MAX_LISTED)
                        ),
                    ))
                }
            }
        }
    };

    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let id = new_id(Kind::ContactList, now, &mut world.rng);
    let new = NewList {
        id: id.clone(),
        org_id,
        brand_id,
        name: list_name,
        created_at: now,
        imported_via_api: true,
        source_url: Some(url.to_string()),
    };
    drop(slot);
    let outcome = outcome.map_err(|why| clip(&why, MAX_REASON_CHARS));
    let list = import::new_list(new, outcome, sim.import_rows_per_second);
    let ready_at = (list.import.status == ImportStatus::Processing)
        .then_some(list.import.processing_completed_at)
        .flatten();
    let name = list.name.clone();
    world.contact_lists.insert(id.clone(), list);
    drop(world);
    if let Some(at) = ready_at {
        state.sim.scheduler.schedule(
            at,
            Job::ImportReady {
                list_id: id.clone(),
            },
        );
    }
    Ok(respond(
        StatusCode::ACCEPTED,
        ImportListAnswer {
            list_id: id,
            name,
            status: ImportStatus::Processing,
            total_rows: None,
            imported_via_api: true,
        },
    ))
}
