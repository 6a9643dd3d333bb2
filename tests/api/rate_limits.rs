use futures::future::join_all;
use pc_sandbox::domain::keys::{BucketSpec, LimitPolicy, RateLimitSpec};
use pc_sandbox::Config;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn key_with_limit(app: &TestApp, limit: u64, window_seconds: u64) -> String {
    let org = app.org_of(ROOT).await;
    let created = app
        .control(
            Method::POST,
            "/keys",
            Some(json!({
                "organization_id": org,
                "rate_limit": { "limit": limit, "window_seconds": window_seconds }
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let data = created.data();
    assert_eq!(data["rate_limit"]["limit"], limit);
    assert_eq!(data["role"], "custom");
    data["key"].as_str().expect("key").to_string()
}

#[actix_web::test]
async fn every_response_carries_the_documented_hourly_headers() {
    let app = spawn_app().await;
    let first = app.get("/organizations", ROOT).await;
    assert_eq!(first.header("x-ratelimit-limit"), Some("100"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("99"));
    // The window is the clock hour: 18:00 → reset at 19:00 sandbox time.
    let reset: i64 = first
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("reset");
    assert_eq!(
        reset,
        pc_sandbox::domain::time::parse_rfc3339("2026-11-03T19:00:00Z").expect("ts") / 1000
    );
    // Errors count and carry the headers too.
    let missing = app.get("/nope", ROOT).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-ratelimit-remaining"), Some("98"));
    let invalid = app.get("/brands?organization_id=", ROOT).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.header("x-ratelimit-remaining"), Some("97"));
    // The control plane is never limited and carries no headers.
    let info = app.control(Method::GET, "/info", None).await;
    assert_eq!(info.header("x-ratelimit-limit"), None);
}

#[actix_web::test]
async fn a_key_over_its_limit_gets_429_until_the_window_ends() {
    let app = spawn_app().await;
    let key = key_with_limit(&app, 3, 3600).await;
    for expected in [2, 1, 0] {
        let ok = app.get("/organizations", &key).await;
        assert_eq!(ok.status, 200);
        assert_eq!(
            ok.header("x-ratelimit-remaining"),
            Some(expected.to_string().as_str())
        );
    }
    let limited = app.get("/organizations", &key).await;
    let body = limited.expect_error(429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(limited.header("retry-after"), Some("3600"));
    assert_eq!(body["retryAfter"], 3600);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    // Other keys are unaffected.
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
    // Time passes on the sandbox clock only.
    app.advance(1800).await;
    let still = app.get("/organizations", &key).await;
    still.expect_error(429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(still.header("retry-after"), Some("1800"));
    app.advance(1800).await;
    let fresh = app.get("/organizations", &key).await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.header("x-ratelimit-remaining"), Some("2"));
}

#[actix_web::test]
async fn exact_under_concurrency() {
    let app = spawn_app().await;
    let key = key_with_limit(&app, 40, 60).await;
    let replies = join_all((0..100).map(|_| app.get("/phone-numbers", &key))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let limited = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!((ok, limited), (40, 60));
}

#[actix_web::test]
async fn a_keys_own_limit_wins_over_the_global_one() {
    let app = spawn_app().await;
    let reply = app.get("/organizations", ELEVATED).await;
    assert_eq!(reply.header("x-ratelimit-limit"), Some("100000"));
    let per_minute = spawn_with(Config {
        rate_limit: Some(LimitPolicy::Window(RateLimitSpec {
            limit: 600,
            window_seconds: 60,
        })),
        ..config()
    })
    .await;
    let r = per_minute.get("/organizations", ROOT).await;
    assert_eq!(r.header("x-ratelimit-limit"), Some("600"));
    assert_eq!(
        r.header("x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok()),
        pc_sandbox::domain::time::parse_rfc3339("2026-11-03T18:01:00Z").map(|t| t / 1000)
    );
}

#[actix_web::test]
async fn limits_off_removes_limits_and_headers() {
    let app = spawn_unlimited().await;
    for _ in 0..150 {
        let r = app.get("/brands", ROOT).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), None);
    }
    // A key with its own limit is still limited.
    let key = key_with_limit(&app, 1, 60).await;
    assert_eq!(app.get("/brands", &key).await.status, 200);
    app.get("/brands", &key)
        .await
        .expect_error(429, "RATE_LIMIT_EXCEEDED");
}

#[actix_web::test]
async fn scope_and_auth_failures_follow_counting_rules() {
    let app = spawn_app().await;
    // Unknown keys do not consume anyone's budget.
    for _ in 0..5 {
        app.get("/organizations", "pc_test_NotARealKeyButWellFormed")
            .await;
    }
    // A read-only key's refused write still counts against its window.
    app.request(
        Method::POST,
        "/v1/email/lists",
        Some(READ_ONLY),
        Some(json!({})),
    )
    .await;
    let r = app.get("/organizations", READ_ONLY).await;
    assert_eq!(r.header("x-ratelimit-remaining"), Some("98"));
}

#[actix_web::test]
async fn a_token_bucket_limits_like_the_newest_sdk_readme_says() {
    let app = spawn_with(Config {
        rate_limit: Some(LimitPolicy::Bucket(BucketSpec {
            capacity: 5,
            refill_per_second: 1,
        })),
        ..config()
    })
    .await;
    for left in (0..5).rev() {
        let r = app.get("/organizations", ROOT).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(left.to_string().as_str())
        );
    }
    let over = app.get("/organizations", ROOT).await;
    let body = over.expect_error(429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(over.header("retry-after"), Some("1"));
    assert_eq!(body["retryAfter"], 1);
    // One sandbox second refills one token: one request passes, the next does not.
    app.advance(1).await;
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
    assert_eq!(app.get("/organizations", ROOT).await.status, 429);
    // Full again after five seconds; -Reset says when.
    let reset: i64 = app
        .get("/organizations", ROOT)
        .await
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .expect("a reset");
    let now = app.control(Method::GET, "/clock", None).await.data()["now"]
        .as_str()
        .and_then(pc_sandbox::domain::time::parse_rfc3339)
        .expect("now");
    assert_eq!(reset, now / 1000 + 5);
}
