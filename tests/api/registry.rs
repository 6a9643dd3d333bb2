//! The route registry, the OpenAPI document and the Postman collection: a route cannot exist
//! without its operation and an operation cannot exist without its route, the document lists
//! exactly the registered operations, and every operation's example works against a fresh
//! sandbox with its documented answer.

use std::collections::{BTreeMap, BTreeSet};

use pc_sandbox::app::{api_routes, control_routes};
use pc_sandbox::http::routes::{ExampleContext, Method as Op, Operation, ParamIn, Payload};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

fn method_of(m: Op) -> Method {
    Method::from_bytes(m.as_str().as_bytes()).expect("a method")
}

#[test]
fn every_operation_is_fully_described() {
    for (surface, ops) in [
        ("api", api_routes().into_operations()),
        ("control", control_routes().into_operations()),
    ] {
        let mut ids = BTreeSet::new();
        let mut routes = BTreeSet::new();
        for op in &ops {
            let name = format!("{surface} {} {}", op.method.as_str(), op.path);
            assert!(
                !op.id.is_empty() && !op.summary.is_empty(),
                "{name}: no id or summary"
            );
            assert!(ids.insert(op.id), "{name}: operationId {} twice", op.id);
            assert!(
                routes.insert((op.method, op.path.clone())),
                "{name}: registered twice"
            );
            assert!(
                op.success.is_some() || !op.errors.is_empty(),
                "{name}: neither a success nor an error is documented"
            );
            let declared: Vec<&str> = op
                .params
                .iter()
                .filter(|p| p.location == ParamIn::Path)
                .map(|p| p.name)
                .collect();
            assert_eq!(declared, op.path_names(), "{name}: path parameters");
            if matches!(op.method, Op::Post | Op::Patch | Op::Put) && surface == "api" {
                assert!(
                    op.request.is_some() || op.success.is_none() || op.path_names().len() == 1,
                    "{name}: a write without a documented body"
                );
            }
        }
    }
}

#[actix_web::test]
async fn every_route_answers_as_its_operation_says_and_nothing_else_is_routed() {
    let app = spawn_unlimited().await;
    let origin = app.sandbox.url();
    let ops = api_routes().into_operations();
    let requests: Vec<(Method, String, Option<Value>, &Operation)> = {
        let world = app.sandbox.state().sim.store.read();
        let ctx = ExampleContext {
            world: &world,
            origin: &origin,
        };
        ops.iter()
            .map(|op| {
                let body = op.request_example.and_then(|f| f(&ctx));
                (
                    method_of(op.method),
                    format!("/v1{}", op.example_uri(&ctx)),
                    body,
                    op,
                )
            })
            .collect()
    };
    // Registry → routes: each operation's example answers what the operation documents.
    for (method, path, body, op) in &requests {
        let key = (!op.public).then_some(ROOT);
        let r = app.request(method.clone(), path, key, body.clone()).await;
        let expected = match &op.success {
            Some((status, _)) => *status,
            None => op.errors[0].status(),
        };
        assert_eq!(
            r.status.as_u16(),
            expected,
            "{} {path} ({}): {}",
            method,
            op.id,
            r.text
        );
        if let Some((_, Payload::Json(_))) = &op.success {
            assert_eq!(r.json()["success"], true, "{}", r.text);
        }
    }
    // Routes → registry: on every registered path, every other method is a 405 whose Allow
    // lists exactly the registered methods.
    let mut by_path: BTreeMap<String, (String, BTreeSet<&str>)> = BTreeMap::new();
    for (_, path, _, op) in &requests {
        by_path
            .entry(op.path.clone())
            .or_insert_with(|| {
                (
                    path.split('?').next().unwrap_or("").to_string(),
                    BTreeSet::new(),
                )
            })
            .1
            .insert(op.method.as_str());
    }
    // HEAD answers wherever GET does.
    for (_, methods) in by_path.values_mut() {
        if methods.contains("GET") {
            methods.insert("HEAD");
        }
    }
    for (template, (path, methods)) in &by_path {
        for other in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if methods.contains(other) {
                continue;
            }
            let r = app
                .request(
                    Method::from_bytes(other.as_bytes()).expect("method"),
                    path,
                    Some(ROOT),
                    None,
                )
                .await;
            let public = template == "/openapi.json";
            if public {
                assert_eq!(r.status, 405, "{other} {path}: {}", r.text);
                continue;
            }
            r.expect_error(405, "METHOD_NOT_ALLOWED");
            let allow: BTreeSet<&str> = r
                .header("allow")
                .expect("an Allow header")
                .split(", ")
                .collect();
            assert_eq!(&allow, methods, "{other} {path}");
        }
    }
}

#[actix_web::test]
async fn the_openapi_document_describes_exactly_the_registered_operations() {
    let app = spawn_app().await;
    // Served without a key, and the control plane serves the same bytes.
    let public = app
        .request(Method::GET, "/v1/openapi.json", None, None)
        .await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert!(
        public.header("x-ratelimit-limit").is_none(),
        "never limited"
    );
    let control = app.control(Method::GET, "/openapi.json", None).await;
    assert_eq!(public.text, control.text);
    let doc = public.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["servers"][0]["url"],
        format!("{}/v1", app.sandbox.url())
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["ApiKey"]["name"],
        "X-API-Key"
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            documented.insert((method.to_uppercase(), path.clone()));
            assert!(op["operationId"].is_string(), "{method} {path}");
            let responses = op["responses"].as_object().expect("responses");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"];
                    assert_eq!(
                        schema["allOf"][0]["$ref"], "#/components/schemas/ErrorEnvelope",
                        "{method} {path} {status}"
                    );
                }
            }
            if op.get("security").is_none() {
                assert!(
                    responses.contains_key("401") && responses.contains_key("429"),
                    "{method} {path}: gated operations document 401 and 429"
                );
                let ok = responses
                    .iter()
                    .find(|(s, _)| s.starts_with('2'))
                    .map(|(_, r)| r);
                if let Some(ok) = ok {
                    assert!(ok["headers"]["X-RateLimit-Limit"].is_object());
                }
            }
        }
    }
    let registered: BTreeSet<(String, String)> = api_routes()
        .into_operations()
        .iter()
        .map(|op| (op.method.as_str().to_string(), op.path.clone()))
        .collect();
    assert_eq!(documented, registered);
    // Query parameters keep the endpoint's own casing.
    let param_names = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(param_names("/hierarchy"), ["organizationId"]);
    // Answers of the seeded world are the examples of reads.
    let example = &doc["paths"]["/organizations"]["get"]["responses"]["200"]["content"]
        ["application/json"]["example"];
    assert_eq!(example["success"], true);
    assert!(example["data"][0]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("org_")));
    assert!(param_names("/phone-numbers").contains(&"owner_type".to_string()));
    // Every sandbox-defined code the document names comes from the one catalogue.
    let codes = &doc["components"]["schemas"]["ErrorEnvelope"]["properties"]["code"]["enum"];
    assert!(codes
        .as_array()
        .expect("codes")
        .contains(&Value::from("IDEMPOTENCY_KEY_REUSED")));
}

#[actix_web::test]
async fn the_postman_collection_has_a_request_per_operation_in_a_folder_per_resource() {
    let app = spawn_app().await;
    let c = app.control(Method::GET, "/postman.json", None).await.json();
    assert_eq!(
        c["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    let vars: BTreeSet<&str> = c["variable"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    assert_eq!(vars, BTreeSet::from(["apiKey", "baseUrl", "origin"]));
    let folders = c["item"].as_array().expect("folders");
    let requests: usize = folders
        .iter()
        .map(|f| f["item"].as_array().expect("requests").len())
        .sum();
    let gated = api_routes()
        .into_operations()
        .iter()
        .filter(|op| !op.public)
        .count();
    assert_eq!(requests, gated);
    let names: Vec<&str> = folders.iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(
        names.contains(&"Contact lists") && names.contains(&"Media"),
        "{names:?}"
    );
    // The import example hosts its file on the sandbox itself, through the `origin` variable.
    let import = folders
        .iter()
        .flat_map(|f| f["item"].as_array().expect("requests"))
        .find(|r| r["request"]["url"]["raw"] == "{{baseUrl}}/contact-lists/import")
        .expect("the import request");
    assert!(import["request"]["body"]["raw"]
        .as_str()
        .expect("a body")
        .contains("{{origin}}/_sandbox/files/contacts-clean.csv"));
}

#[actix_web::test]
async fn a_loopback_only_sandbox_refuses_other_hosts_before_resolving_them() {
    let mut config = config();
    config.sim.fetch_loopback_only = true;
    let app = spawn_with(config).await;
    for url in [
        "http://example.com/list.csv",
        "http://10.1.2.3/list.csv",
        "https://[2001:db8::1]/x.csv",
    ] {
        let r = app
            .post(
                "/contact-lists/import",
                ROOT,
                serde_json::json!({"source_url": url, "list_name": "x", "phone_column": "phone"}),
            )
            .await;
        let body = r.expect_error(400, "VALIDATION_ERROR");
        assert!(body.to_string().contains("loopback"), "{body}");
    }
    let url = app.file_url("contacts-clean.csv");
    app.import(&url, "phone").await;
}

#[test]
fn the_readme_lists_exactly_the_sandbox_defined_error_codes() {
    use pc_sandbox::error::{Code, Origin};
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let listed = readme
        .split("<!-- sandbox-codes -->")
        .nth(1)
        .and_then(|s| s.split("<!-- /sandbox-codes -->").next())
        .expect("the README's sandbox-codes block");
    let listed: BTreeSet<&str> = listed
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|w| w.len() > 2)
        .collect();
    let catalogue: BTreeSet<&str> = Code::ALL
        .iter()
        .filter(|c| c.origin() == Origin::Sandbox)
        .map(|c| c.as_str())
        .collect();
    assert_eq!(listed, catalogue);
}
