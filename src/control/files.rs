//! Offline sources: `PUT /_sandbox/files/{name}` hosts bytes under a presigned-style URL on the
//! sandbox itself, so a client can rehearse the S3 upload-then-import flow with no network.
//! Bundled samples are there from the start. Ready media files are served from
//! `/_sandbox/media/{id}/{file}`, the stable URL the media endpoints hand out.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::domain::media::{Kind, MediaStatus};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::ok;
use crate::http::routes::{ExampleContext, Routes};
use crate::http::Query;
use crate::state::AppState;
use crate::store::files::HostedFile;

/// Largest file `PUT /_sandbox/files/{name}` accepts.
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

fn file_name(_: &ExampleContext) -> Option<Value> {
    Some(Value::String("contacts-clean.csv".into()))
}

fn no_example(_: &ExampleContext) -> Option<Value> {
    None
}

pub fn configure(r: &mut Routes) {
    r.tag("Hosted files")
        .get("/files", list_files)
        .op("listFiles", "List hosted files and bundled samples")
        .ok::<Vec<Value>>();
    r.get("/files/{name}", get_file)
        .op("getFile", "Download a hosted file (presigned-style URL)")
        .path_param("name", "File name", file_name)
        .body_limit(MAX_FILE_BYTES)
        .file(200, "application/octet-stream")
        .errors(&[
            Code::NotFound,
            Code::SignatureDoesNotMatch,
            Code::SignatureRequired,
        ]);
    r.put("/files/{name}", put_file)
        .op("putFile", "Host the request body under a name")
        .path_param("name", "File name", file_name)
        .raw_body("application/octet-stream")
        .body_limit(MAX_FILE_BYTES)
        .ok::<Value>()
        .errors(&[Code::ValidationError, Code::PayloadTooLarge]);
    r.delete("/files/{name}", delete_file)
        .op("deleteFile", "Delete an uploaded file")
        .path_param("name", "File name", file_name)
        .ok::<Value>()
        .errors(&[Code::NotFound]);
    r.tag("Media files")
        .get("/media/{id}/{file}", get_media_bytes)
        .op("getMediaBytes", "The stable URL of a ready media file")
        .path_param("id", "Media file id", no_example)
        .path_param("file", "Stored file name", no_example)
        .file(200, "application/octet-stream")
        .errors(&[Code::NotFound]);
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The presigned-style signature of `name`: HMAC-SHA256 keyed by the sandbox seed.
pub fn signature(state: &AppState, name: &str) -> String {
    let key = format!("pc-sandbox-files:{}", state.settings.seed);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this branch cannot be taken.
        Hmac::<Sha256>::new_from_slice(b"pc-sandbox").expect("fixed key")
    });
    mac.update(name.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `http://host/_sandbox/files/{name}?X-Amz-...&X-Amz-Signature=...`, on the host the caller used.
pub fn url_of(req: &HttpRequest, state: &AppState, name: &str) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/_sandbox/files/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        info.scheme(),
        info.host(),
        signature(state, name)
    )
}

fn guess_type(name: &str) -> &'static str {
    if name.to_ascii_lowercase().ends_with(".csv") {
        "text/csv"
    } else {
        Kind::from_name(name).map_or("application/octet-stream", Kind::content_type)
    }
}

fn describe(req: &HttpRequest, state: &AppState, name: &str, f: &HostedFile) -> Value {
    json!({
        "url": url_of(req, state, name),
        "name": name,
        "size_bytes": f.bytes.len(),
        "content_type": f.content_type,
        "bundled": f.bundled,
    })
}

async fn put_file(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let name = path.into_inner();
    if !valid_name(&name) {
        return Err(ApiError::validation(
            "name",
            "use 1-200 characters of letters, digits, '.', '_' and '-', not starting with '.'",
        ));
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| !ct.is_empty() && *ct != "application/x-www-form-urlencoded")
        .map_or_else(|| guess_type(&name).to_string(), str::to_string);
    let file = HostedFile {
        bytes,
        content_type,
        created_at: state.sim.clock.now(),
        bundled: false,
    };
    state.sim.files.put(&name, file.clone());
    Ok(ok(describe(&req, &state, &name, &file)))
}

async fn get_file(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let name = path.into_inner();
    let mut q = Query::parse(
        req.query_string(),
        &[
            "X-Amz-Algorithm",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Date",
        ],
    );
    let given = q.string("X-Amz-Signature");
    // Other X-Amz-* values are accepted as a real presigned URL would carry them.
    let _ = q.finish();
    let must_sign = state.settings.control_token.is_some();
    match given {
        Some(sig) if sig != signature(&state, &name) => {
            return Err(ApiError::coded(
                Code::SignatureDoesNotMatch,
                "the X-Amz-Signature of this URL is not valid for this file",
            ))
        }
        None if must_sign => return Err(ApiError::coded(
            Code::SignatureRequired,
            "with a control token set, hosted files are served only through their presigned url",
        )),
        _ => {}
    }
    let file = state
        .sim
        .files
        .get(&name)
        .ok_or(ApiError::NotFound { resource: "File" })?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .body(file.bytes))
}

async fn delete_file(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    if state.sim.files.delete(&path) {
        Ok(ok(json!({ "name": path.into_inner(), "deleted": true })))
    } else {
        Err(ApiError::NotFound {
            resource: "Uploaded file",
        })
    }
}

async fn list_files(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let files: Vec<Value> = state
        .sim
        .files
        .list()
        .iter()
        .map(|(name, f)| describe(&req, &state, name, f))
        .collect();
    ok(files)
}

async fn get_media_bytes(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (id, file) = path.into_inner();
    let content_type = {
        let world = state.sim.store.read();
        world
            .media
            .get(&id)
            .filter(|m| {
                m.status == MediaStatus::Ready && m.stored_name.as_deref() == Some(file.as_str())
            })
            .ok_or(ApiError::NotFound {
                resource: "Media file",
            })?;
        Kind::from_name(&file).map_or("application/octet-stream", Kind::content_type)
    };
    let bytes = state.sim.files.media(&id).ok_or(ApiError::NotFound {
        resource: "Media file",
    })?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(bytes))
}
