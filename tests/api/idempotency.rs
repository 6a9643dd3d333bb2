use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn import_with_key(app: &TestApp, key: &str, name: &str) -> Reply {
    let res = app
        .client
        .post(format!("{}/v1/contact-lists/import", app.sandbox.url()))
        .header("X-API-Key", ROOT)
        .header("Idempotency-Key", key)
        .json(&json!({"source_url": app.file_url("contacts-clean.csv"), "list_name": name, "phone_column": "phone"}))
        .send()
        .await
        .expect("answered");
    Reply {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.expect("body"),
    }
}

async fn list_count(app: &TestApp) -> usize {
    items(&app.get("/contact-lists", ROOT).await.data()).len()
}

#[actix_web::test]
async fn a_replay_is_byte_identical_and_creates_nothing() {
    let app = spawn_app().await;
    let before = list_count(&app).await;
    let first = import_with_key(&app, "import-1", "Once").await;
    assert_eq!(first.status, 202);
    assert_eq!(first.header("idempotent-replayed"), None);
    let second = import_with_key(&app, "import-1", "Once").await;
    assert_eq!(second.status, 202);
    assert_eq!(second.text, first.text);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_ne!(second.header("x-request-id"), first.header("x-request-id"));
    // A replay still counts against the rate limit.
    let r1: u64 = first
        .header("x-ratelimit-remaining")
        .and_then(|v| v.parse().ok())
        .expect("remaining");
    let r2: u64 = second
        .header("x-ratelimit-remaining")
        .and_then(|v| v.parse().ok())
        .expect("remaining");
    assert_eq!(r2, r1 - 1);
    assert_eq!(list_count(&app).await, before + 1);
}

#[actix_web::test]
async fn the_same_key_with_another_request_is_422() {
    let app = spawn_app().await;
    import_with_key(&app, "k", "Original").await;
    import_with_key(&app, "k", "Changed")
        .await
        .expect_error(422, "IDEMPOTENCY_KEY_REUSED");
    let res = app
        .client
        .post(format!("{}/v1/media", app.sandbox.url()))
        .header("X-API-Key", ROOT)
        .header("Idempotency-Key", "k")
        .json(&json!({"source_url": app.file_url("logo.png")}))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 422);
    // Keys are per API key: another key may use the same string.
    let other = app
        .client
        .post(format!("{}/v1/media", app.sandbox.url()))
        .header("X-API-Key", ELEVATED)
        .header("Idempotency-Key", "k")
        .json(&json!({"source_url": app.file_url("logo.png")}))
        .send()
        .await
        .expect("answered");
    assert_eq!(other.status(), 202);
}

#[actix_web::test]
async fn concurrent_duplicates_create_exactly_one_list() {
    let app = spawn_unlimited().await;
    let before = list_count(&app).await;
    let replies = join_all((0..12).map(|_| import_with_key(&app, "same-key", "Concurrent"))).await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 202).collect();
    assert!(!created.is_empty());
    for r in &replies {
        assert!(
            r.status == 202 || r.status == 409,
            "{}: {}",
            r.status,
            r.text
        );
        if r.status == 409 {
            r.expect_error(409, "IDEMPOTENCY_KEY_IN_PROGRESS");
        }
    }
    let ids: std::collections::HashSet<String> = created
        .iter()
        .map(|r| r.data()["list_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every success is the same list");
    assert_eq!(list_count(&app).await, before + 1);
}

#[actix_web::test]
async fn client_errors_are_kept_rate_limits_are_not() {
    let app = spawn_app().await;
    let bad = json!({"list_name": "no url", "phone_column": "phone"});
    let send = |key: &'static str| {
        let app = &app;
        let bad = bad.clone();
        async move {
            let res = app
                .client
                .post(format!("{}/v1/contact-lists/import", app.sandbox.url()))
                .header("X-API-Key", key)
                .header("Idempotency-Key", "bad-1")
                .json(&bad)
                .send()
                .await
                .expect("answered");
            (
                res.status(),
                res.headers().get("idempotent-replayed").is_some(),
                res.text().await.expect("body"),
            )
        }
    };
    let (s1, replayed1, t1) = send(ROOT).await;
    let (s2, replayed2, t2) = send(ROOT).await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (400, 400));
    assert!(!replayed1 && replayed2, "a 400 is stored and replayed");
    assert_eq!(t1, t2, "byte-identical, correlation id included");
    // A 429 is not stored: after the window, the same key runs afresh.
    let org = app.org_of(ROOT).await;
    let limited = app
        .control(
            Method::POST,
            "/keys",
            Some(json!({"organization_id": org, "rate_limit": {"limit": 1, "window_seconds": 60}})),
        )
        .await
        .data()["key"]
        .as_str()
        .expect("key")
        .to_string();
    assert_eq!(app.get("/organizations", &limited).await.status, 200);
    let post = |k: String| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/v1/media", app.sandbox.url()))
                .header("X-API-Key", k)
                .header("Idempotency-Key", "after-429")
                .json(&json!({"source_url": app.file_url("logo.png")}))
                .send()
                .await
                .expect("answered")
        }
    };
    assert_eq!(post(limited.clone()).await.status(), 429);
    app.advance(60).await;
    let fresh = post(limited.clone()).await;
    assert_eq!(fresh.status(), 202);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
}

#[actix_web::test]
async fn replays_expire_after_24_hours_of_sandbox_time() {
    let app = spawn_unlimited().await;
    let first = import_with_key(&app, "daily", "Day one").await;
    app.advance(23 * 3600).await;
    let replay = import_with_key(&app, "daily", "Day one").await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.text, first.text);
    app.advance(3600).await;
    let fresh = import_with_key(&app, "daily", "Day one").await;
    assert_eq!(fresh.status, 202);
    assert_eq!(fresh.header("idempotent-replayed"), None);
    assert_ne!(fresh.text, first.text, "a new list");
}

#[actix_web::test]
async fn overlong_keys_are_refused_and_reads_ignore_keys() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let r = import_with_key(&app, &long, "x").await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    assert_eq!(body["details"][0]["field"], "Idempotency-Key");
    let ok = import_with_key(&app, &"k".repeat(255), "x").await;
    assert_eq!(ok.status, 202);
    let get = app
        .client
        .get(format!("{}/v1/organizations", app.sandbox.url()))
        .header("X-API-Key", ROOT)
        .header("Idempotency-Key", "read")
        .send()
        .await
        .expect("answered");
    assert!(get.headers().get("idempotent-replayed").is_none());
}
