//! The one place errors are written.
//!
//! Every 4xx/5xx the sandbox produces — handler errors, extractor failures, unknown routes, 405s,
//! auth and rate-limit rejections, control-plane errors — is an [`ApiError`] rendered into the
//! contract's envelope `{success:false, error, code, statusCode, details?, correlationId}`.
//! The correlation id is the request id, which the request-id middleware makes available through a
//! task-local for the duration of the request, so errors built anywhere below it carry it.

mod codes;

pub use codes::{Code, Origin};

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::domain::text::clip;

tokio::task_local! {
    /// The id of the request being handled on this task (set by the request-id middleware).
    pub static REQUEST_ID: String;
}

/// The largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// At most this many characters of an error sentence (which may quote client input).
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// At most this many `{field, message}` details; the rest are counted in one last entry.
pub const MAX_DETAILS: usize = 50;
/// At most this many characters of a detail's field or message.
pub const MAX_DETAIL_CHARS: usize = 300;

/// Result alias used by handlers and domain code.
pub type ApiResult<T> = Result<T, ApiError>;

/// One field-level problem of a `VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("The provided API key is invalid or has been revoked")]
    InvalidApiKey,
    #[error("The requested organization is not in your accessible hierarchy")]
    OrgAccessDenied,
    #[error("This API key lacks the '{0}' permission scope required by this endpoint")]
    PermissionDenied(&'static str),
    #[error("Rate limit exceeded. Try again after the X-RateLimit-Reset timestamp.")]
    RateLimited { retry_after_secs: u64 },
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    #[error("No route matches {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("Method {method} is not allowed on this path; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: &'static str },
    #[error("Request validation failed")]
    Validation(Vec<FieldError>),
    #[error("Request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("Request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("Email is in early access and not yet available for this organization")]
    EmailEarlyAccess,
    #[error("Missing or invalid control-plane token (Authorization: Bearer <token>)")]
    ControlUnauthorized,
    /// Any other code of the catalogue: the code (which fixes the status), a sentence and
    /// optional details.
    #[error("{message}")]
    Coded {
        code: Code,
        message: String,
        details: Option<Value>,
    },
    /// A framework-level rejection (timeouts, malformed requests) rendered in the envelope.
    #[error("{message}")]
    Http { status: StatusCode, message: String },
    #[error("Internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn coded(code: Code, message: impl Into<String>) -> Self {
        ApiError::Coded {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(self, details: Value) -> Self {
        match self {
            ApiError::Coded { code, message, .. } => ApiError::Coded {
                code,
                message,
                details: Some(details),
            },
            other => other,
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn code(&self) -> Code {
        match self {
            ApiError::InvalidApiKey => Code::InvalidApiKey,
            ApiError::OrgAccessDenied => Code::OrgAccessDenied,
            ApiError::PermissionDenied(_) => Code::PermissionDenied,
            ApiError::RateLimited { .. } => Code::RateLimitExceeded,
            ApiError::NotFound { .. } | ApiError::RouteNotFound { .. } => Code::NotFound,
            ApiError::MethodNotAllowed { .. } => Code::MethodNotAllowed,
            ApiError::Validation(_) => Code::ValidationError,
            ApiError::InvalidJson(_) => Code::InvalidJson,
            ApiError::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            ApiError::UnsupportedMediaType => Code::UnsupportedMediaType,
            ApiError::EmailEarlyAccess => Code::EmailEarlyAccess,
            ApiError::ControlUnauthorized => Code::Unauthorized,
            ApiError::Coded { code, .. } => *code,
            ApiError::Http { status, .. } => match status.as_u16() {
                408 => Code::RequestTimeout,
                411 => Code::LengthRequired,
                431 => Code::RequestHeaderFieldsTooLarge,
                _ if status.is_server_error() => Code::InternalError,
                _ => Code::BadRequest,
            },
            ApiError::Internal(_) => Code::InternalError,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            ApiError::Validation(errors) => {
                let mut shown: Vec<FieldError> = errors
                    .iter()
                    .take(MAX_DETAILS)
                    .map(|e| {
                        FieldError::new(
                            clip(&e.field, MAX_DETAIL_CHARS),
                            clip(&e.message, MAX_DETAIL_CHARS),
                        )
                    })
                    .collect();
                if errors.len() > MAX_DETAILS {
                    shown.push(FieldError::new(
                        "…",
                        format!("{} more problems not listed", errors.len() - MAX_DETAILS),
                    ));
                }
                Some(json!(shown))
            }
            ApiError::MethodNotAllowed { allow, .. } => Some(json!({ "allow": allow })),
            ApiError::Coded { details, .. } => details.clone(),
            _ => None,
        }
    }

    /// The envelope as a JSON object (without the correlation id).
    pub fn body(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("success".into(), Value::Bool(false));
        body.insert(
            "error".into(),
            Value::String(clip(&self.to_string(), MAX_MESSAGE_CHARS)),
        );
        body.insert("code".into(), Value::String(self.code().as_str().into()));
        body.insert("statusCode".into(), json!(self.status_code().as_u16()));
        if let Some(details) = self.details() {
            body.insert("details".into(), details);
        }
        if let ApiError::RateLimited { retry_after_secs } = self {
            body.insert("retryAfter".into(), json!(retry_after_secs));
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            // Framework rejections keep the status actix chose (a 400, 408, 431, ...).
            ApiError::Http { status, .. } => *status,
            other => StatusCode::from_u16(other.code().status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = self.body();
        if let Ok(id) = REQUEST_ID.try_with(|id| id.clone()) {
            body.insert("correlationId".into(), Value::String(id));
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, *allow));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Coded {
                code: Code::ImportsBusy,
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.json(Value::Object(body))
    }
}

/// Maps actix's JSON extractor failures into the envelope.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::PayloadTooLarge { limit }
        }
        E::ContentType => ApiError::UnsupportedMediaType,
        E::Deserialize(e) if e.is_data() => {
            ApiError::Validation(vec![FieldError::new("body", e.to_string())])
        }
        E::Deserialize(e) => ApiError::InvalidJson(e.to_string()),
        other => ApiError::InvalidJson(other.to_string()),
    }
}

/// Renders any framework error that did not come from an [`ApiError`] into the envelope, keyed
/// by the status actix chose for it.
pub fn from_framework(status: StatusCode, message: String, method: &str, path: &str) -> ApiError {
    match status.as_u16() {
        404 => ApiError::RouteNotFound {
            method: method.to_string(),
            path: path.to_string(),
        },
        413 => ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        },
        415 => ApiError::UnsupportedMediaType,
        s if s >= 500 => ApiError::Internal(message),
        _ => ApiError::Http { status, message },
    }
}

/// Maps actix's path extractor failures into the envelope.
pub fn path_error(err: actix_web::error::PathError) -> ApiError {
    ApiError::validation("path", err.to_string())
}

/// Maps actix's query extractor failures into the envelope.
pub fn query_error(err: actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::validation("query", err.to_string())
}
