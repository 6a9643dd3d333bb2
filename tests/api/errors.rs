use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let app = spawn_app().await;
    for path in [
        "/v1/nope",
        "/v1/brands/extra",
        "/",
        "/v2/organizations",
        "/_sandbox/nope",
    ] {
        let key = path.starts_with("/v1").then_some(ROOT);
        let r = app.request(Method::GET, path, key, None).await;
        let body = r.expect_error(404, "NOT_FOUND");
        assert!(body["error"].as_str().unwrap_or("").contains(path));
    }
    for method in [
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ] {
        let r = app
            .request(method.clone(), "/v1/organizations", Some(ROOT), None)
            .await;
        r.expect_error(405, "METHOD_NOT_ALLOWED");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method}");
    }
    let r = app
        .request(Method::DELETE, "/_sandbox/clock", None, None)
        .await;
    r.expect_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET, POST, HEAD"));
}

#[actix_web::test]
async fn validation_lists_every_problem_at_once() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/phone-numbers?channel=fax&owner_type=nobody&organizationId=x&brand_id=&junk=1",
            ROOT,
        )
        .await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().unwrap_or(""))
        .collect();
    for f in [
        "channel",
        "owner_type",
        "organizationId",
        "brand_id",
        "junk",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let r = app.get("/organizations?limit=5", ROOT).await;
    r.expect_error(400, "VALIDATION_ERROR");
    let r = app
        .get("/brands?organization_id=a&organization_id=b", ROOT)
        .await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    assert_eq!(body["details"][0]["message"], "given more than once");
}

#[actix_web::test]
async fn request_ids_are_echoed_when_sane_and_generated_otherwise() {
    let app = spawn_app().await;
    let sent = app
        .client
        .get(format!("{}/v1/organizations", app.sandbox.url()))
        .header("X-Request-ID", "trace-123.abc")
        .send()
        .await
        .expect("answered");
    assert_eq!(sent.headers()["x-request-id"], "trace-123.abc");
    let weird = app
        .client
        .get(format!("{}/v1/organizations", app.sandbox.url()))
        .header("X-Request-ID", "no spaces <allowed>")
        .send()
        .await
        .expect("answered");
    let id = weird.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(id.starts_with("req_") && id.len() == 30, "{id}");
    let body: serde_json::Value = weird.json().await.expect("json");
    assert_eq!(body["correlationId"], id);
}

#[actix_web::test]
async fn bad_control_plane_bodies_are_structured_errors() {
    let app = spawn_app().await;
    let url = format!("{}/_sandbox/clock/advance", app.sandbox.url());
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .body("{not json"),
            400,
            "INVALID_JSON",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "text/plain")
                .body("seconds=5"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            app.client.post(&url).json(&json!([1, 2])),
            400,
            "VALIDATION_ERROR",
        ),
        (
            app.client.post(&url).json(&json!({"seconds": "ten"})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            app.client.post(&url).json(&json!({"seconds": -1})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            app.client
                .post(&url)
                .json(&json!({"seconds": 1, "to": "2030-01-01T00:00:00Z"})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            app.client.post(&url).json(&json!({"secs": 1})),
            400,
            "VALIDATION_ERROR",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .body(vec![b'x'; 2 * 1024 * 1024]),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (req, status, code) in cases {
        let res = req.send().await.expect("answered");
        let reply = Reply {
            status: res.status(),
            headers: res.headers().clone(),
            text: res.text().await.expect("body"),
        };
        reply.expect_error(status, code);
    }
    let r = app
        .control(
            Method::POST,
            "/clock/advance",
            Some(json!({"secs": 1, "seconds": "x"})),
        )
        .await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    assert_eq!(
        body["details"].as_array().map(Vec::len),
        Some(2),
        "both problems: {body}"
    );
}

#[actix_web::test]
async fn hostile_input_never_gets_a_500_and_the_server_keeps_serving() {
    let app = spawn_unlimited().await;
    let nasty = [
        "/v1/organizations?%",
        "/v1/organizations?a=%ff%fe",
        "/v1/phone-numbers?channel=%00",
        "/v1/toll-free-verifications/%2e%2e%2f%2e%2e",
        "/v1/toll-free-verifications/..%2f_sandbox",
        "/v1/campaigns/%F0%9F%92%A5/throughput",
        "/v1//organizations",
        "/v1/hierarchy?organizationId=%27%20OR%201%3D1",
        "/_sandbox/keys/%00/revoke",
    ];
    for path in nasty {
        for method in [Method::GET, Method::POST] {
            let r = app.request(method.clone(), path, Some(ROOT), None).await;
            assert!(r.status.as_u16() < 500, "{method} {path}: {}", r.text);
            let body = r.json();
            assert!(body["success"].is_boolean(), "{path}: {}", r.text);
        }
    }
    let long = format!("/v1/brands?organization_id={}", "x".repeat(6000));
    let r = app.request(Method::GET, &long, Some(ROOT), None).await;
    assert!(r.status.as_u16() < 500);
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body_and_a_trailing_slash_is_tolerated() {
    let app = spawn_app().await;
    let get = app.get("/organizations", ROOT).await;
    let head = app
        .request(Method::HEAD, "/v1/organizations", Some(ROOT), None)
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.text, "", "no body");
    assert!(head.header("x-ratelimit-remaining").is_some());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    // HEAD where only POST is routed is a 405 like any other method.
    let r = app
        .request(Method::HEAD, "/v1/contact-lists/import", Some(ROOT), None)
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    let slash = app.get("/organizations/", ROOT).await;
    assert_eq!(slash.status, 200, "{}", slash.text);
    assert_eq!(slash.data(), get.data());
    let control = app.control(Method::GET, "/clock/", None).await;
    assert_eq!(control.status, 200, "{}", control.text);
}

#[actix_web::test]
async fn lenient_query_ignores_unknown_parameters_but_keeps_every_other_check() {
    let strict = spawn_app().await;
    strict
        .get("/brands?organizationId=x&utm_source=mail", ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let lenient = spawn_with(pc_sandbox::Config {
        lenient_query: true,
        ..config()
    })
    .await;
    let all = lenient.get("/brands", ROOT).await.data();
    let ignored = lenient
        .get("/brands?organizationId=x&utm_source=mail", ROOT)
        .await
        .data();
    assert_eq!(all, ignored, "unknown parameters change nothing");
    // Known parameters are still checked.
    lenient
        .get("/phone-numbers?channel=fax", ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    lenient
        .get(
            "/brands?organization_id=org_00000000000000000000000000",
            ROOT,
        )
        .await
        .expect_error(403, "ORG_ACCESS_DENIED");
}
