//! The OpenAPI 3.1 document and the Postman collection, generated from the route registry: every
//! operation's method, path, parameters (in their exact casing), request and success schemas
//! (derived with schemars from the types the handlers serialize) and error codes (from the
//! catalogue), plus what every /v1 call shares — the `X-API-Key` scheme, the rate-limit, request
//! id and `Idempotency-Key` headers, and the error envelope. Examples come from the seeded world.
//!
//! Both documents are built once at start-up from the same list of operations the app mounts, so
//! they describe exactly the surface that is served. `pc-sandbox openapi|postman` print them.

mod postman;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::ContentType;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use crate::error::{Code, Origin};
use crate::http::routes::{ExampleContext, Method, Operation, ParamIn, Payload, Routes};

pub use postman::collection;

/// The serialized OpenAPI document and Postman collection.
#[derive(Debug, Clone, Default)]
pub struct Built {
    pub openapi: Bytes,
    pub postman: Bytes,
}

impl Built {
    /// Serializes both documents of `ops`, with `answers` as the examples of success answers.
    pub fn new(
        ops: &[Operation],
        ctx: &ExampleContext,
        base_path: &str,
        answers: &BTreeMap<String, Value>,
    ) -> Built {
        let doc = document(ops, ctx, base_path, answers);
        let postman = collection(ops, ctx, base_path);
        Built {
            openapi: Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()),
            postman: Bytes::from(serde_json::to_vec(&postman).unwrap_or_default()),
        }
    }
}

/// Makes the documents (the server gathers the answer examples from a throwaway sandbox).
pub type Builder = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Built>>> + Send + Sync>;

/// The documents a sandbox serves, built on first request: start-up stays instant, and the
/// examples are gathered only when somebody asks.
pub struct Documents {
    built: tokio::sync::OnceCell<Built>,
    make: Builder,
}

impl Documents {
    pub fn lazy(make: Builder) -> Documents {
        Documents {
            built: tokio::sync::OnceCell::new(),
            make,
        }
    }

    /// Documents that are already built (or deliberately empty).
    pub fn ready(built: Built) -> Documents {
        Documents {
            built: tokio::sync::OnceCell::new_with(Some(built)),
            make: Box::new(|| Box::pin(async { Built::default() })),
        }
    }

    pub async fn get(&self) -> &Built {
        self.built.get_or_init(|| (self.make)()).await
    }
}

async fn serve_openapi(docs: web::Data<Documents>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(docs.get().await.openapi.clone())
}

async fn serve_postman(docs: web::Data<Documents>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(docs.get().await.postman.clone())
}

/// A shortened copy of an answer for an example: arrays keep their first two items.
pub fn shorten(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().take(2).map(shorten).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, shorten(v))).collect())
        }
        other => other,
    }
}

/// The document of the /v1 surface, at `GET /v1/openapi.json` (no key).
pub fn api_routes(r: &mut Routes) {
    r.tag("Meta")
        .get("/openapi.json", serve_openapi)
        .op("getOpenApiDocument", "This OpenAPI 3.1 document")
        .describe("Served without an API key and never rate limited.")
        .file(200, "application/json")
        .public();
}

/// The documents on the control plane: `GET /_sandbox/openapi.json` and `/_sandbox/postman.json`.
pub fn control_routes(r: &mut Routes) {
    r.tag("Documents")
        .get("/openapi.json", serve_openapi)
        .op(
            "getOpenApiDocument",
            "The OpenAPI 3.1 document of the /v1 surface",
        )
        .file(200, "application/json");
    r.get("/postman.json", serve_postman)
        .op(
            "getPostmanCollection",
            "A Postman Collection v2.1 of the /v1 surface",
        )
        .file(200, "application/json");
}

/// The refusals every gated /v1 operation can answer, besides its own.
fn gate_codes(op: &Operation) -> Vec<Code> {
    if op.public {
        return Vec::new();
    }
    let mut codes = vec![
        Code::InvalidApiKey,
        Code::RateLimitExceeded,
        Code::ValidationError,
    ];
    if op.method != Method::Get {
        codes.push(Code::PermissionDenied);
    }
    if op.request.is_some() {
        codes.extend([
            Code::InvalidJson,
            Code::PayloadTooLarge,
            Code::UnsupportedMediaType,
        ]);
    }
    if matches!(op.method, Method::Post | Method::Patch | Method::Delete) {
        codes.extend([Code::IdempotencyKeyReused, Code::IdempotencyKeyInProgress]);
    }
    if !op.path_names().is_empty() {
        codes.push(Code::NotFound);
    }
    codes
}

fn ref_to(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn rate_limit_headers() -> Value {
    json!({
        "X-RateLimit-Limit": { "$ref": "#/components/headers/X-RateLimit-Limit" },
        "X-RateLimit-Remaining": { "$ref": "#/components/headers/X-RateLimit-Remaining" },
        "X-RateLimit-Reset": { "$ref": "#/components/headers/X-RateLimit-Reset" },
        "X-Request-ID": { "$ref": "#/components/headers/X-Request-ID" },
    })
}

/// The error responses of `codes`, one per status, each listing its codes.
fn error_responses(codes: &[Code], gated: bool) -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<Code>> = BTreeMap::new();
    for c in codes {
        let list = by_status.entry(c.status()).or_default();
        if !list.contains(c) {
            list.push(*c);
        }
    }
    let mut out = Map::new();
    for (status, codes) in by_status {
        let description = codes
            .iter()
            .map(|c| format!("`{}`: {}", c.as_str(), c.meaning()))
            .collect::<Vec<_>>()
            .join(" ");
        let wire: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        let mut headers = if gated {
            rate_limit_headers()
        } else {
            json!({ "X-Request-ID": { "$ref": "#/components/headers/X-Request-ID" } })
        };
        if status == 429 {
            headers["Retry-After"] = json!({ "$ref": "#/components/headers/Retry-After" });
        }
        let schema = json!({
            "allOf": [
                ref_to("ErrorEnvelope"),
                { "properties": { "code": { "enum": wire } } },
            ]
        });
        let example = json!({
            "success": false,
            "error": codes[0].meaning(),
            "code": codes[0].as_str(),
            "statusCode": status,
            "correlationId": "req_01JC0000000000000000000000",
        });
        out.insert(
            status.to_string(),
            json!({
                "description": description,
                "headers": headers,
                "content": { "application/json": { "schema": schema, "example": example } },
            }),
        );
    }
    out
}

fn error_envelope_schema() -> Value {
    json!({
        "type": "object",
        "description": "Every 4xx and 5xx answer.",
        "required": ["success", "error", "code", "statusCode", "correlationId"],
        "properties": {
            "success": { "const": false },
            "error": { "type": "string", "description": "A human sentence." },
            "code": {
                "type": "string",
                "enum": Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            },
            "statusCode": { "type": "integer" },
            "details": {
                "description": "VALIDATION_ERROR: [{field, message}] listing every problem; other codes: an object."
            },
            "correlationId": { "type": "string", "description": "The request id (X-Request-ID)." },
            "retryAfter": { "type": "integer", "description": "RATE_LIMIT_EXCEEDED: seconds to wait." },
        },
    })
}

/// A schema generator writing components under `#/components/schemas`.
fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    let settings = if serialize {
        settings.for_serialize()
    } else {
        settings.for_deserialize()
    };
    settings.into_generator()
}

/// The OpenAPI 3.1 document of `ops`, served at `base_path`; `answers` holds example `data` of
/// success answers by `operationId`.
pub fn document(
    ops: &[Operation],
    ctx: &ExampleContext,
    base_path: &str,
    answers: &BTreeMap<String, Value>,
) -> Value {
    let mut responses_gen = generator(true);
    let mut requests_gen = generator(false);
    let mut paths: Map<String, Value> = Map::new();
    let mut tags: Vec<String> = Vec::new();
    for op in ops {
        if !tags.iter().any(|t| t == op.tag) {
            tags.push(op.tag.to_string());
        }
        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(op.id));
        operation.insert("summary".into(), json!(op.summary));
        if !op.description.is_empty() {
            operation.insert("description".into(), json!(op.description));
        }
        operation.insert("tags".into(), json!([op.tag]));
        if op.public {
            operation.insert("security".into(), json!([]));
        }
        let mut params: Vec<Value> = op
            .params
            .iter()
            .map(|p| {
                let mut v = json!({
                    "name": p.name,
                    "in": match p.location { ParamIn::Path => "path", ParamIn::Query => "query" },
                    "required": p.required,
                    "description": p.description,
                    "schema": Value::from((p.schema)(&mut requests_gen)),
                });
                if let Some(example) = p.example.and_then(|f| f(ctx)) {
                    v["example"] = example;
                }
                v
            })
            .collect();
        if matches!(op.method, Method::Post | Method::Patch | Method::Delete) && !op.public {
            params.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
        }
        if !params.is_empty() {
            operation.insert("parameters".into(), Value::Array(params));
        }
        if let Some((schema, required)) = op.request {
            let mut media = json!({ "schema": Value::from(schema(&mut requests_gen)) });
            if let Some(example) = op.request_example.and_then(|f| f(ctx)) {
                media["example"] = example;
            }
            operation.insert(
                "requestBody".into(),
                json!({ "required": required, "content": { "application/json": media } }),
            );
        } else if let Some(content_type) = op.raw_request {
            operation.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": { content_type: { "schema": { "type": "string", "contentMediaType": content_type } } },
                }),
            );
        }
        let gated = !op.public;
        let mut responses = Map::new();
        let successes = op
            .success
            .iter()
            .map(|(status, payload)| (*status, payload, op.summary))
            .chain(op.other_successes.iter().map(|(s, p, when)| (*s, p, *when)));
        for (status, payload, description) in successes {
            let headers = if gated {
                rate_limit_headers()
            } else {
                json!({ "X-Request-ID": { "$ref": "#/components/headers/X-Request-ID" } })
            };
            let mut response = json!({ "description": description, "headers": headers });
            match payload {
                Payload::Json(schema) => {
                    let data = Value::from(schema(&mut responses_gen));
                    let mut media = json!({
                        "schema": {
                            "type": "object",
                            "required": ["success", "data"],
                            "properties": { "success": { "const": true }, "data": data },
                        }
                    });
                    let primary = op.success.as_ref().is_some_and(|(s, _)| *s == status);
                    if let Some(example) = answers.get(op.id).filter(|_| primary) {
                        media["example"] = json!({ "success": true, "data": example });
                    }
                    response["content"] = json!({ "application/json": media });
                }
                Payload::File(content_type) => {
                    let content_type = *content_type;
                    let schema = if content_type == "application/json" {
                        json!({ "type": "object" })
                    } else {
                        json!({ "type": "string", "contentMediaType": content_type })
                    };
                    response["content"] = json!({ content_type: { "schema": schema } });
                }
                Payload::Empty => {}
            }
            responses.insert(status.to_string(), response);
        }
        let mut codes = op.errors.clone();
        codes.extend(gate_codes(op));
        responses.extend(error_responses(&codes, gated));
        operation.insert("responses".into(), Value::Object(responses));
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        item[op.method.lower()] = Value::Object(operation);
    }
    let mut schemas = requests_gen.take_definitions(true);
    for (name, schema) in responses_gen.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    schemas.insert("ErrorEnvelope".into(), error_envelope_schema());
    let sandbox_codes: Vec<String> = Code::ALL
        .iter()
        .filter(|c| c.origin() == Origin::Sandbox)
        .map(|c| format!("`{}`", c.as_str()))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Political Comms API (pc-sandbox)",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "The /v1 surface of the Political Comms API as the offline sandbox serves it.",
            "description": format!(
                "Generated by pc-sandbox from its route registry, so it describes exactly what this \
                 sandbox serves. Every answer is `{{success, data}}` or the error envelope. \
                 Error codes the public sources do not name are sandbox-defined: {}.",
                sandbox_codes.join(", ")
            ),
            "license": { "name": "MIT", "identifier": "MIT" },
        },
        "servers": [{ "url": format!("{}{}", ctx.origin, base_path), "description": "This sandbox" }],
        "security": [{ "ApiKey": [] }],
        "tags": tags.iter().map(|t| json!({ "name": t, "description": format!("{t} operations.") })).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "`pc_live_` or `pc_test_` + 24 base62 characters. The seeded world's keys are listed by `GET /_sandbox/keys`.",
                }
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "description": "Replays the first completed answer (2xx/4xx) for 24 h of sandbox time, per API key.",
                    "schema": { "type": "string", "minLength": 1, "maxLength": 255 },
                }
            },
            "headers": {
                "X-RateLimit-Limit": { "description": "Requests allowed in the current window.", "schema": { "type": "integer" } },
                "X-RateLimit-Remaining": { "description": "Requests left in the current window.", "schema": { "type": "integer" } },
                "X-RateLimit-Reset": { "description": "Unix seconds (sandbox clock) when the window ends.", "schema": { "type": "integer" } },
                "X-Request-ID": { "description": "The request id; error bodies repeat it as correlationId.", "schema": { "type": "string" } },
                "Retry-After": { "description": "Seconds until the window ends.", "schema": { "type": "integer" } },
            },
            "schemas": schemas,
        },
    })
}
