//! Media: `POST /media` fetches the file for real, checks its type against its bytes and its size
//! against the usage, then optimizes on the sandbox clock; once ready, `url` serves the same
//! bytes forever. Detail reads use `media_id`/`organization_id`; list items `id`/`org_id`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::body::Body;
use super::query::Query;
use super::registrations::OrgBrandFilter;
use super::{imports, ok, resource, respond};
use crate::app::AppState;
use crate::domain::ids::{new_id, Kind};
use crate::domain::media::{self, MediaFile, MediaStatus, MediaUsage};
use crate::domain::registry::WireEnum;
use crate::domain::time::{self, Millis};
use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::sim::fetch::Limits;
use crate::sim::jobs::Job;
use crate::store::World;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/media", "GET, POST")
            .route(web::get().to(list_media))
            .route(web::post().to(import_media)),
    )
    .service(
        resource("/media/{id}", "GET, DELETE")
            .route(web::get().to(get_media))
            .route(web::delete().to(delete_media)),
    );
}

/// The public URL of a ready file: served by the sandbox itself, stable for the file's life.
pub fn url_of(req: &HttpRequest, m: &MediaFile) -> Option<String> {
    if m.status != MediaStatus::Ready {
        return None;
    }
    let info = req.connection_info();
    let stored = m.stored_name.as_deref()?;
    Some(format!(
        "{}://{}/_sandbox/media/{}/{stored}",
        info.scheme(),
        info.host(),
        m.id
    ))
}

fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w MediaFile> {
    caller.find(world, &world.media, id, "Media file")
}

fn item(req: &HttpRequest, world: &World, m: &MediaFile) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "brand_id": m.brand_id,
        "brand_name": m.brand_id.as_deref().and_then(|b| world.brands.get(b)).map(|b| b.name.as_str()),
        "org_id": m.org_id,
        "org_name": world.org_name(&m.org_id),
        "created_at": time::format(m.created_at),
        "url": url_of(req, m),
        "storage_key": m.storage_key,
        "file_size_bytes": m.file_size_bytes,
        "content_type": m.content_type,
        "status": m.status.as_str(),
        "uploaded_via_api": m.uploaded_via_api,
        "usage": m.usage.as_str(),
    })
}

fn detail(req: &HttpRequest, m: &MediaFile) -> Value {
    json!({
        "media_id": m.id,
        "organization_id": m.org_id,
        "brand_id": m.brand_id,
        "name": m.name,
        "status": m.status.as_str(),
        "content_type": m.content_type,
        "file_size_bytes": m.file_size_bytes,
        "storage_key": m.storage_key,
        "url": url_of(req, m),
        "uploaded_via_api": m.uploaded_via_api,
        "created_at": time::format(m.created_at),
        "optimized_at": m.optimized_at.filter(|_| m.status == MediaStatus::Ready).map(time::format),
        "usage": m.usage.as_str(),
        "failure_reason": m.failure_reason,
    })
}

async fn list_media(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(req.query_string())?;
    let world = state.store.read();
    filter.check(&world, &caller)?;
    let items: Vec<Value> = world
        .media
        .values()
        .rev()
        .filter(|m| filter.admits(&world, &caller, &m.org_id, m.brand_id.as_deref()))
        .map(|m| item(&req, &world, m))
        .collect();
    Ok(ok(items))
}

async fn get_media(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    let world = state.store.read();
    Ok(ok(detail(&req, find(&world, &caller, &path)?)))
}

async fn delete_media(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::parse(req.query_string(), &[]).finish()?;
    let mut world = state.store.write();
    find(&world, &caller, &path)?;
    // Projects that attach a file will block its deletion with 409 MEDIA_IN_USE once projects
    // exist; until then no file is referenced.
    let m = world
        .media
        .remove(path.as_str())
        .ok_or(ApiError::NotFound {
            resource: "Media file",
        })?;
    drop(world);
    state.files.delete_media(&m.id);
    Ok(ok(
        json!({ "media_id": m.id, "name": m.name, "deleted": true }),
    ))
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
        imports::resolve(&state.store.read(), &caller, organization_id, brand_id)?;
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
    };
    let fetched = imports::fetch_source(&state, url.clone(), limits).await?;
    // A file that was fetched is measured even when it is then refused.
    let measured = fetched.as_ref().map_or(0, |b| b.len() as u64);
    let checked = fetched.and_then(|b| media::check(name_kind, &b, usage).map(|k| (k, b)));

    let now = state.clock.now();
    let mut world = state.store.write();
    let id = new_id(Kind::Media, now, &mut world.rng);
    let (status, size, stored_name, reason, ready_at) = match &checked {
        Ok((kind, b)) => {
            let size = b.len() as u64;
            let seconds = sim.media_optimize_seconds + size / 1_048_576;
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            let stored = format!(
                "{}.{}",
                crate::domain::contacts::tag_of_header(stem).replace('_', "-"),
                kind.extension()
            );
            (
                MediaStatus::Optimizing,
                size,
                Some(stored),
                None,
                Some(now + seconds as Millis * 1000),
            )
        }
        Err(why) => (MediaStatus::Failed, measured, None, Some(why.clone()), None),
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
        state.files.put_media(&id, b);
        state.scheduler.schedule(
            at,
            Job::MediaReady {
                media_id: id.clone(),
            },
        );
    }
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({
            "media_id": id,
            "status": "optimizing",
            "uploaded_via_api": true,
            "file_size_bytes": size,
            "name": name,
        }),
    ))
}
