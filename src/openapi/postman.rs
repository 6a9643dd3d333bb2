//! The Postman Collection v2.1 of the /v1 surface, as the real dashboard's "Export to Postman"
//! produces one: `baseUrl` and `apiKey` variables (plus `origin`, where the sandbox's own hosted
//! sample files live), a folder per resource, one request per operation with example parameters
//! and bodies that work against a freshly started sandbox, and a test per request asserting the
//! documented answer, so `newman run` checks the whole surface end to end.

use serde_json::{json, Value};

use crate::http::routes::{ExampleContext, Method, Operation, ParamIn};

/// The collection of `ops`. Examples are made against the seeded world, with the sandbox origin
/// written as `{{origin}}` so the collection runs against any port.
pub fn collection(ops: &[Operation], ctx: &ExampleContext, base_path: &str) -> Value {
    let templated = ExampleContext {
        world: ctx.world,
        origin: "{{origin}}",
    };
    let mut folders: Vec<(String, Vec<Value>)> = Vec::new();
    for op in ops.iter().filter(|op| !op.public) {
        let item = request_item(op, &templated);
        match folders.iter_mut().find(|(t, _)| t == op.tag) {
            Some((_, items)) => items.push(item),
            None => folders.push((op.tag.to_string(), vec![item])),
        }
    }
    json!({
        "info": {
            "name": "Political Comms API (pc-sandbox)",
            "description": "Every /v1 operation of the sandbox. Set `baseUrl`, `origin` and `apiKey`; \
                            the examples work against a freshly started sandbox.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "auth": {
            "type": "apikey",
            "apikey": [
                { "key": "key", "value": "X-API-Key", "type": "string" },
                { "key": "value", "value": "{{apiKey}}", "type": "string" },
                { "key": "in", "value": "header", "type": "string" },
            ],
        },
        "variable": [
            { "key": "origin", "value": ctx.origin, "type": "string" },
            { "key": "baseUrl", "value": format!("{{{{origin}}}}{base_path}"), "type": "string" },
            { "key": "apiKey", "value": "pc_test_SandboxRootKey0000000000", "type": "string" },
        ],
        "item": folders
            .into_iter()
            .map(|(name, items)| json!({ "name": name, "item": items }))
            .collect::<Vec<_>>(),
    })
}

/// The status a request of `op` is expected to answer on a fresh sandbox: its success status, or
/// the one refusal of an operation that only refuses (email).
fn expected_status(op: &Operation) -> u16 {
    match &op.success {
        Some((status, _)) => *status,
        None => op.errors.first().map_or(200, |c| c.status()),
    }
}

fn request_item(op: &Operation, ctx: &ExampleContext) -> Value {
    let mut path = op.path.clone();
    let mut variables = Vec::new();
    let mut query = Vec::new();
    for p in &op.params {
        let example = p.example.and_then(|f| f(ctx));
        let text = match &example {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        match p.location {
            ParamIn::Path => {
                path = path.replace(&format!("{{{}}}", p.name), &format!(":{}", p.name));
                variables
                    .push(json!({ "key": p.name, "value": text, "description": p.description }));
            }
            ParamIn::Query => query.push(json!({
                "key": p.name,
                "value": text,
                "description": p.description,
                "disabled": !p.required,
            })),
        }
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let raw_query: Vec<String> = op
        .params
        .iter()
        .zip(query.iter())
        .filter(|(p, _)| p.required)
        .map(|(_, q)| {
            format!(
                "{}={}",
                q["key"].as_str().unwrap_or(""),
                q["value"].as_str().unwrap_or("")
            )
        })
        .collect();
    let query_params: Vec<Value> = op
        .params
        .iter()
        .filter(|p| p.location == ParamIn::Query)
        .zip(query)
        .map(|(_, q)| q)
        .collect();
    let raw = if raw_query.is_empty() {
        format!("{{{{baseUrl}}}}{path}")
    } else {
        format!("{{{{baseUrl}}}}{path}?{}", raw_query.join("&"))
    };
    let mut request = json!({
        "method": op.method.as_str(),
        "header": [],
        "url": {
            "raw": raw,
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": query_params,
            "variable": variables,
        },
        "description": if op.description.is_empty() { op.summary } else { op.description },
    });
    if let Some(example) = op.request_example.and_then(|f| f(ctx)) {
        request["header"] = json!([{ "key": "Content-Type", "value": "application/json" }]);
        request["body"] = json!({
            "mode": "raw",
            "raw": serde_json::to_string_pretty(&example).unwrap_or_default(),
            "options": { "raw": { "language": "json" } },
        });
    }
    let status = expected_status(op);
    let mut checks = vec![format!(
        "pm.test(\"answers {status}\", function () {{ pm.response.to.have.status({status}); }});"
    )];
    if op.method != Method::Get || op.success.is_some() {
        checks.push(
            "pm.test(\"carries a request id\", function () { pm.response.to.have.header(\"X-Request-ID\"); });"
                .to_string(),
        );
    }
    json!({
        "name": op.summary,
        "request": request,
        "event": [{
            "listen": "test",
            "script": { "type": "text/javascript", "exec": checks },
        }],
    })
}
