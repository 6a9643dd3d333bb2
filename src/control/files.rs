//! Offline sources: `PUT /_sandbox/files/{name}` hosts bytes under a presigned-style URL on the
//! sandbox itself, so a client can rehearse the S3 upload-then-import flow with no network.
//! Bundled samples are there from the start. Ready media files are served from
//! `/_sandbox/media/{id}/{file}`, the stable URL the media endpoints hand out.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::domain::media::{Kind, MediaStatus};
use crate::domain::time::Millis;
use crate::domain::{secrets, time};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::ok;
use crate::http::origin::origin;
use crate::http::routes::{ExampleContext, Routes};
use crate::http::Query;
use crate::state::AppState;
use crate::store::files::HostedFile;

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
        .ok::<Value>()
        .errors(&[
            Code::ValidationError,
            Code::PayloadTooLarge,
            Code::FilesQuotaExceeded,
        ]);
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

/// How long a presigned URL is valid, in seconds (S3's maximum, 7 days), on the sandbox clock.
pub const URL_EXPIRES_SECONDS: i64 = 604_800;

/// The presigned-style signature of `name` issued at `date` (an `X-Amz-Date`) for `expires`
/// seconds: HMAC-SHA256 under the sandbox's file key (see `domain::secrets`).
pub fn signature(state: &AppState, name: &str, date: &str, expires: &str) -> String {
    hex::encode(secrets::hmac(
        &state.secrets.file_key,
        &[name.as_bytes(), date.as_bytes(), expires.as_bytes()],
    ))
}

/// The query of a presigned URL for `name`, issued now.
pub fn presigned_query(state: &AppState, name: &str) -> String {
    presigned_query_at(state, name, state.sim.clock.now())
}

/// The query of a presigned URL for `name` issued at sandbox time `at`.
pub fn presigned_query_at(state: &AppState, name: &str, at: Millis) -> String {
    let date = time::format_amz(at);
    let expires = URL_EXPIRES_SECONDS.to_string();
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        signature(state, name, &date, &expires)
    )
}

/// `http://host/_sandbox/files/{name}?X-Amz-...&X-Amz-Signature=...`, on the host the caller used.
pub fn url_of(req: &HttpRequest, state: &AppState, name: &str) -> String {
    format!(
        "{}/_sandbox/files/{name}?{}",
        origin(req, state.settings.trust_forwarded_headers),
        presigned_query(state, name)
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

fn quota_exceeded(quota: usize, held: usize) -> ApiError {
    ApiError::coded(
        Code::FilesQuotaExceeded,
        format!(
            "hosted files may hold at most {quota} bytes ({} MB) together (--hosted-files-quota-mb); \
             {held} bytes are held by other uploads: delete some (DELETE /_sandbox/files/{{name}}) first",
            quota / 1_048_576
        ),
    )
}

/// Reads the body, decoding any Content-Encoding as it goes, and stops as soon as the decoded
/// bytes pass the file limit or the room the quota leaves (so a small gzip bomb stops early).
async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    max_file: usize,
    room: usize,
) -> ApiResult<Vec<u8>> {
    use futures_util::StreamExt;
    let mut payload = actix_web::dev::Decompress::from_headers(payload.into_inner(), req.headers());
    let mut out = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::Http {
            status: actix_web::http::StatusCode::BAD_REQUEST,
            message: format!("the request body could not be read: {e}"),
        })?;
        if out.len() + chunk.len() > max_file {
            return Err(ApiError::PayloadTooLarge { limit: max_file });
        }
        if out.len() + chunk.len() > room {
            return Err(ApiError::Coded {
                code: Code::FilesQuotaExceeded,
                message: String::new(),
                details: None,
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn put_file(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let name = path.into_inner();
    if !valid_name(&name) {
        return Err(ApiError::validation(
            "name",
            "use 1-200 characters of letters, digits, '.', '_' and '-', not starting with '.'",
        ));
    }
    let sim = state.settings.sim;
    let max_file = usize::try_from(sim.max_hosted_file_bytes).unwrap_or(usize::MAX);
    let quota = usize::try_from(sim.hosted_files_quota_bytes).unwrap_or(usize::MAX);
    let held = state.sim.files.uploaded_bytes_except(&name);
    let bytes = match read_upload(&req, payload, max_file, quota.saturating_sub(held)).await {
        Err(ApiError::Coded {
            code: Code::FilesQuotaExceeded,
            ..
        }) => return Err(quota_exceeded(quota, held)),
        other => Bytes::from(other?),
    };
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
    state
        .sim
        .files
        .put(&name, file.clone(), quota)
        .map_err(|held| quota_exceeded(quota, held))?;
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
    let date = q.string("X-Amz-Date").unwrap_or_default();
    let expires = q.string("X-Amz-Expires").unwrap_or_default();
    // Other X-Amz-* values are accepted as a real presigned URL would carry them.
    let _ = q.finish();
    let must_sign = state.settings.control_token.is_some();
    match given {
        Some(sig)
            if !secrets::verify_hex(
                &state.secrets.file_key,
                &[name.as_bytes(), date.as_bytes(), expires.as_bytes()],
                &sig,
            ) =>
        {
            return Err(ApiError::coded(
                Code::SignatureDoesNotMatch,
                "the X-Amz-Signature of this URL is not valid for this file",
            ))
        }
        Some(_) => {
            // The signature covers the date and the lifetime, so they are the issuer's.
            let issued = time::parse_amz(&date);
            let lifetime = expires.parse::<i64>().ok();
            let ends = issued
                .zip(lifetime)
                .map(|(at, secs)| at.saturating_add(secs.saturating_mul(1000)));
            if ends.is_none_or(|end| state.sim.clock.now() > end) {
                return Err(ApiError::coded(
                    Code::RequestExpired,
                    "this presigned URL has expired (X-Amz-Date + X-Amz-Expires, on the sandbox clock); ask for a new one",
                ));
            }
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
