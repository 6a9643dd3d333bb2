//! Media: `POST /media` fetches the file for real, checks its type against its bytes and its size
//! against the usage, then optimizes on the sandbox clock; once ready, `url` serves the same
//! bytes forever. Detail reads use `media_id`/`organization_id`; list items `id`/`org_id`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{examples, imports};
use crate::access::{Caller, OrgBrandFilter};
use crate::api::contact_lists::MAX_REASON_CHARS;
use crate::domain::ids::{new_id, Kind};
use crate::domain::media::{self, MediaFile, MediaStatus, MediaUsage};
use crate::domain::text::clip;
use crate::domain::time;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, respond, Body, Query};
use crate::sim::fetch::Limits;
use crate::sim::jobs::Job;
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Media")
        .get("/media", list_media)
        .op("listMedia", "List media files")
        .query::<String>(
            "organization_id",
            "Only files of exactly this organization.",
        )
        .query::<String>("brand_id", "Only files of this brand.")
        .ok::<Vec<MediaItem>>()
        .errors(&[Code::OrgAccessDenied]);
    r.post("/media", import_media)
        .op("importMedia", "Import a media file from a URL")
        .describe(
            "The sandbox fetches `source_url`, checks the type against the bytes and the size \
             against the usage, then optimizes on the sandbox clock; a ready file's `url` serves \
             the same bytes for its whole life.",
        )
        .body::<ImportMediaRequest>(examples::import_media_body)
        .answers::<ImportMediaAnswer>(202)
        .errors(&[
            Code::OrgAccessDenied,
            Code::NotFound,
            Code::BrandOrgMismatch,
            Code::ImportsBusy,
        ]);
    r.get("/media/{id}", get_media)
        .op("getMedia", "Get a media file")
        .path_param("id", "Media file id", examples::media_id)
        .ok::<MediaDetail>();
    r.delete("/media/{id}", delete_media)
        .op("deleteMedia", "Delete a media file")
        .path_param("id", "Media file id", examples::deletable_media_id)
        .ok::<MediaDeleted>()
        .errors(&[Code::MediaInUse]);
}

/// `ImportMediaRequest`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportMediaRequest {
    /// An http(s) URL of the file (its extension gives the expected type).
    #[schemars(length(min = 1, max = 4096))]
    source_url: String,
    /// Default: the key's organization (or the brand's).
    organization_id: Option<String>,
    /// Not allowed with `usage: email_asset` (email assets are organization-scoped).
    brand_id: Option<String>,
    /// Default: the URL's file name.
    #[schemars(length(min = 1, max = 255))]
    name: Option<String>,
    /// Default `mms`.
    usage: Option<MediaUsage>,
}

/// `ImportMediaResult`.
#[derive(Serialize, JsonSchema)]
pub struct ImportMediaAnswer {
    media_id: String,
    status: MediaStatus,
    uploaded_via_api: bool,
    file_size_bytes: u64,
    name: String,
}

/// A row of `GET /media`.
#[derive(Serialize, JsonSchema)]
pub struct MediaItem {
    id: String,
    name: String,
    brand_id: Option<String>,
    brand_name: Option<String>,
    org_id: String,
    org_name: String,
    created_at: String,
    /// The stable URL once ready; null before.
    url: Option<String>,
    storage_key: Option<String>,
    file_size_bytes: u64,
    content_type: Option<String>,
    status: MediaStatus,
    uploaded_via_api: bool,
    usage: MediaUsage,
}

/// `MediaFileDetail`.
#[derive(Serialize, JsonSchema)]
pub struct MediaDetail {
    media_id: String,
    organization_id: String,
    brand_id: Option<String>,
    name: String,
    status: MediaStatus,
    content_type: Option<String>,
    file_size_bytes: u64,
    storage_key: Option<String>,
    url: Option<String>,
    uploaded_via_api: bool,
    created_at: String,
    optimized_at: Option<String>,
    usage: MediaUsage,
    /// Why the import failed (a sandbox addition).
    failure_reason: Option<String>,
}

/// The answer of a delete.
#[derive(Serialize, JsonSchema)]
pub struct MediaDeleted {
    media_id: String,
    name: String,
    deleted: bool,
}

/// The public URL of a ready file: served by the sandbox itself, stable for the file's life.
pub fn url_of(origin: &str, m: &MediaFile) -> Option<String> {
    if m.status != MediaStatus::Ready {
        return None;
    }
    let stored = m.stored_name.as_deref()?;
    Some(format!("{origin}/_sandbox/media/{}/{stored}", m.id))
}

/// Where the caller reaches the sandbox (see `http::origin`).
fn origin_of(req: &HttpRequest, state: &AppState) -> String {
    crate::http::origin::origin(req, state.settings.trust_forwarded_headers)
}

fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w MediaFile> {
    caller.find(world, &world.media, id, "Media file")
}

fn item(origin: &str, world: &World, m: &MediaFile) -> MediaItem {
    MediaItem {
        id: m.id.clone(),
        name: m.name.clone(),
        brand_id: m.brand_id.clone(),
        brand_name: m
            .brand_id
            .as_deref()
            .and_then(|b| world.brands.get(b))
            .map(|b| b.name.clone()),
        org_id: m.org_id.clone(),
        org_name: world.org_name(&m.org_id).to_string(),
        created_at: time::format(m.created_at),
        url: url_of(origin, m),
        storage_key: m.storage_key.clone(),
        file_size_bytes: m.file_size_bytes,
        content_type: m.content_type.clone(),
        status: m.status,
        uploaded_via_api: m.uploaded_via_api,
        usage: m.usage,
    }
}

fn detail(origin: &str, m: &MediaFile) -> MediaDetail {
    MediaDetail {
        media_id: m.id.clone(),
        organization_id: m.org_id.clone(),
        brand_id: m.brand_id.clone(),
        name: m.name.clone(),
        status: m.status,
        content_type: m.content_type.clone(),
        file_size_bytes: m.file_size_bytes,
        storage_key: m.storage_key.clone(),
        url: url_of(origin, m),
        uploaded_via_api: m.uploaded_via_api,
        created_at: time::format(m.created_at),
        optimized_at: m
            .optimized_at
            .filter(|_| m.status == MediaStatus::Ready)
            .map(time::format),
        usage: m.usage,
        failure_reason: m.failure_reason.clone(),
    }
}

async fn list_media(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(&req)?;
    let origin = origin_of(&req, &state);
    let world = state.sim.store.read();
    filter.check(&world, &caller)?;
    let items: Vec<MediaItem> = world
        .media
        .values()
        .rev()
        .filter(|m| filter.admits(&world, &caller, &m.org_id, m.brand_id.as_deref()))
        .map(|m| item(&origin, &world, m))
        .collect();
    Ok(ok(items))
}

async fn get_media(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let world = state.sim.store.read();
    Ok(ok(detail(
        &origin_of(&req, &state),
        find(&world, &caller, &path)?,
    )))
}

async fn delete_media(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut world = state.sim.store.write();
    find(&world, &caller, &path)?;
    crate::access::in_use(
        Code::MediaInUse,
        "The media file",
        "projects",
        crate::sim::projects::users_of_media(&world, &path),
    )?;
    let m = world
        .media
        .remove(path.as_str())
        .ok_or(ApiError::NotFound {
            resource: "Media file",
        })?;
    drop(world);
    state.sim.files.delete_media(&m.id);
    Ok(ok(MediaDeleted {
        media_id: m.id,
        name: m.name,
        deleted: true,
    }))
}

/// The last path segment of a URL, percent-decoded, as a file name.
fn file_name_of(url: &reqwest::Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let decoded: String = serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("n={last}"))
        .ok()?
        .pop()?
        .1;
    (!decoded.trim().is_empty()).then_some(decoded)
}

async fn import_media(
    req: HttpRequest,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut body = Body::parse(&req, &bytes)?;
    let url = imports::source_url(&mut body);
    let organization_id = body.string("organization_id", false, 64);
    let brand_id = body.string("brand_id", false, 64);
    let name = body.string("name", false, 255);
    let usage = body
        .enumeration::<MediaUsage>("usage", false)
        .unwrap_or(MediaUsage::Mms);
    if usage == MediaUsage::EmailAsset && brand_id.is_some() {
        body.reject(
            "brand_id",
            "email assets are organization-scoped: omit brand_id when usage is 'email_asset'",
        );
    }
    body.finish()?;
    let url = url.ok_or_else(|| ApiError::validation("source_url", "is required"))?;
    let (org_id, brand_id) =
        imports::resolve(&state.sim.store.read(), &caller, organization_id, brand_id)?;
    let url_name = file_name_of(&url);
    let name = name
        .or_else(|| url_name.clone())
        .unwrap_or_else(|| "media".into());
    let name_kind = url_name
        .as_deref()
        .and_then(media::Kind::from_name)
        .or_else(|| media::Kind::from_name(&name));

    let sim = state.settings.sim;
    let limits = Limits {
        // Enough to measure an oversized file and say by how much.
        max_bytes: media::EMAIL_ASSET_MAX_BYTES * 5,
        timeout: Duration::from_secs(sim.fetch_timeout_seconds),
        loopback_only: sim.fetch_loopback_only,
    };
    let _slot = imports::slot(&state).await?;
    let fetched = imports::fetch_source(&state, url.clone(), limits).await?;
    // A file that was fetched is measured even when it is then refused.
    let measured = fetched.as_ref().map_or(0, |b| b.len() as u64);
    let checked = fetched.and_then(|b| media::check(name_kind, &b, usage).map(|k| (k, b)));

    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let id = new_id(Kind::Media, now, &mut world.rng);
    let (status, size, stored_name, reason, ready_at) = match &checked {
        Ok((kind, b)) => {
            let size = b.len() as u64;
            let ready_at = now.saturating_add(crate::sim::media::optimize_millis(
                size,
                sim.media_optimize_seconds,
            ));
            (
                MediaStatus::Optimizing,
                size,
                Some(media::stored_name(&name, *kind)),
                None,
                Some(ready_at),
            )
        }
        Err(why) => (
            MediaStatus::Failed,
            measured,
            None,
            Some(clip(why, MAX_REASON_CHARS)),
            None,
        ),
    };
    let record = MediaFile {
        id: id.clone(),
        org_id: org_id.clone(),
        brand_id,
        name: name.clone(),
        usage,
        status,
        content_type: name_kind.map(|k| k.content_type().to_string()),
        file_size_bytes: size,
        storage_key: stored_name
            .as_ref()
            .map(|s| format!("media/{org_id}/{id}/{s}")),
        stored_name,
        uploaded_via_api: true,
        source_url: Some(url.to_string()),
        failure_reason: reason,
        created_at: now,
        optimized_at: ready_at,
        seed_sample: None,
    };
    world.media.insert(id.clone(), record);
    drop(world);
    if let (Ok((_, b)), Some(at)) = (checked, ready_at) {
        state.sim.files.put_media(&id, b);
        state.sim.scheduler.schedule(
            at,
            Job::MediaReady {
                media_id: id.clone(),
            },
        );
    }
    Ok(respond(
        StatusCode::ACCEPTED,
        ImportMediaAnswer {
            media_id: id,
            status: MediaStatus::Optimizing,
            uploaded_via_api: true,
            file_size_bytes: size,
            name,
        },
    ))
}
