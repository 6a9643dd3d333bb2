//! Webhooks (CONTRACT §10) against the test receiver: signed bodies verified independently, the
//! retry schedule on the manual clock, an outage survived, a hanging receiver that delays no
//! one else, subscriptions, the endpoint registry, and a restart with `--state-file`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use pc_sandbox::webhooks::receiver::TestReceiver;
use pc_sandbox::Config;

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(10);

/// Registers `url` for `events` (all when empty); returns (id, secret).
async fn register(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let r = app
        .control(
            Method::POST,
            "/webhook-endpoints",
            Some(json!({"name": "test receiver", "url": url, "events": events})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let e = r.data();
    (
        e["id"].as_str().expect("id").to_string(),
        e["secret"].as_str().expect("secret").to_string(),
    )
}

/// A number a seeded project sends from, for `/_sandbox/inbound`.
async fn sending_number(app: &TestApp) -> String {
    let projects = app.get("/projects", ROOT).await.data();
    for p in items(&projects) {
        let id = p["id"].as_str().expect("id");
        let d = app.get(&format!("/projects/{id}"), ROOT).await.data();
        if let Some(n) = d["phone_number_ids"].as_array().and_then(|a| a.first()) {
            let numbers = app.get("/phone-numbers", ROOT).await.data();
            if let Some(found) = items(&numbers).iter().find(|x| x["id"] == *n) {
                return found["number"].as_str().expect("number").to_string();
            }
        }
    }
    panic!("a seeded project has a number");
}

/// A contact writes in: one `message.replied` event.
async fn write_in(app: &TestApp, to: &str, text: &str) {
    let r = app
        .control(
            Method::POST,
            "/inbound",
            Some(json!({"from": "+16145550123", "to": to, "text": text})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A `webhook.test` event to endpoint `id` (only to it); returns its event id.
async fn ping(app: &TestApp, id: &str) -> String {
    let r = app
        .control(Method::POST, &format!("/webhook-endpoints/{id}/test"), None)
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    r.data()["event_id"].as_str().expect("event id").to_string()
}

async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    items(
        &app.control(Method::GET, &format!("/webhook-deliveries{query}"), None)
            .await
            .data(),
    )
    .clone()
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[actix_web::test]
async fn a_delivery_is_signed_over_the_raw_body_with_the_documented_headers() {
    let app = spawn_unlimited().await;
    let rx = TestReceiver::start().await.expect("receiver");
    let (id, secret) = register(&app, &rx.url(), &[]).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 32,
        "{secret}"
    );
    assert!(secret[6..].chars().all(|c| c.is_ascii_alphanumeric()));
    let number = sending_number(&app).await;
    write_in(&app, &number, "Où est mon bureau de vote ? — «merci»").await;
    assert!(rx.wait_for(1, WAIT).await, "the receiver got the event");
    let got = &rx
        .received()
        .into_iter()
        .find(|r| r.json()["data"]["from"] == "+16145550123")
        .expect("our contact's reply");
    // The signature, computed here with hmac + sha2 over the raw bytes.
    assert_eq!(
        got.header("x-webhook-signature"),
        Some(format!("sha256={}", hmac_hex(&secret, &got.body)).as_str())
    );
    assert!(pc_sandbox::webhooks::verify(
        &secret,
        &got.body,
        got.header("x-webhook-signature").expect("signed")
    ));
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("x-event-type"), Some("message.replied"));
    let body = got.json();
    assert_eq!(got.header("x-event-id"), body["event_id"].as_str());
    assert_eq!(body["id"], body["event_id"]);
    assert_eq!(
        body["data"]["text"],
        "Où est mon bureau de vote ? — «merci»"
    );
    assert!(got
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("pc-sandbox/")));
    // X-Timestamp is the host clock (the sandbox clock is frozen in 2026-11-03).
    let ts: u64 = got
        .header("x-timestamp")
        .and_then(|t| t.parse().ok())
        .expect("unix seconds");
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert!(ts <= host && host - ts < 60, "{ts} vs {host}");
    // The body is the event log's entry, byte for byte, compact and unescaped.
    let log = app
        .control(Method::GET, "/events?limit=1000", None)
        .await
        .data();
    let entry = items(&log)
        .iter()
        .find(|e| e["event_id"] == body["event_id"])
        .expect("in the log");
    assert_eq!(serde_json::to_vec(entry).expect("json"), got.body);
    assert!(!String::from_utf8_lossy(&got.body).contains("\\u"));
    // The delivery log says so.
    let d: Vec<Value> = deliveries(&app, &format!("?endpoint_id={id}"))
        .await
        .into_iter()
        .filter(|d| d["event_id"] == body["event_id"])
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["status"], "succeeded");
    assert_eq!(d[0]["attempts"][0]["status_code"], 200);
    assert_eq!(d[0]["attempts"][0]["response_body"], "ok");
    assert_eq!(d[0]["next_attempt_at"], Value::Null);
    rx.stop().await;
}

#[actix_web::test]
async fn retries_come_4_16_and_64_sandbox_seconds_after_each_failure_then_it_fails() {
    let app = spawn_unlimited().await;
    let rx = TestReceiver::start().await.expect("receiver");
    rx.fail_next(100, 503);
    // Subscribed to test events only, so the seeded send's events (it goes on sending as the
    // clock moves) stay out of this receiver.
    let (id, _) = register(&app, &rx.url(), &["webhook.test"]).await;
    ping(&app, &id).await;
    assert!(rx.wait_for(1, WAIT).await);
    app.advance(0).await;
    let one = &deliveries(&app, &format!("?endpoint_id={id}")).await[0];
    assert_eq!(one["status"], "pending");
    assert_eq!(one["attempts"].as_array().expect("attempts").len(), 1);
    let first = pc_sandbox::domain::time::parse_rfc3339(
        one["attempts"][0]["attempted_at"].as_str().expect("time"),
    )
    .expect("a time");
    assert_eq!(
        one["next_attempt_at"].as_str(),
        Some(pc_sandbox::domain::time::format(first + 4_000).as_str())
    );
    // Nothing before its time: 3 s is not enough.
    app.advance(3).await;
    assert_eq!(rx.received().len(), 1);
    app.advance(1).await; // +4
    assert_eq!(rx.received().len(), 2);
    app.advance(15).await; // +19
    assert_eq!(rx.received().len(), 2);
    app.advance(1).await; // +20 = 4 + 16
    assert_eq!(rx.received().len(), 3);
    app.advance(64).await; // +84 = 4 + 16 + 64
    assert_eq!(rx.received().len(), 4);
    app.advance(3600).await;
    assert_eq!(rx.received().len(), 4, "four attempts, then it is failed");
    let d = &deliveries(&app, &format!("?endpoint_id={id}")).await[0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["next_attempt_at"], Value::Null);
    let times: Vec<i64> = d["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            pc_sandbox::domain::time::parse_rfc3339(a["attempted_at"].as_str().expect("t"))
                .expect("a time")
        })
        .collect();
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, [4_000, 16_000, 64_000]);
    for a in d["attempts"].as_array().expect("attempts") {
        assert_eq!(a["status_code"], 503);
        assert_eq!(a["response_body"], "receiver told to fail");
        assert!(a["error"].as_str().is_some_and(|e| e.contains("503")));
    }
    // The same event each time.
    let ids: Vec<Option<String>> = rx
        .received()
        .iter()
        .map(|r| r.header("x-event-id").map(str::to_string))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    // A failed delivery is retried by hand: a new round, and this time the receiver is up.
    rx.fail_next(0, 200);
    let did = d["id"].as_str().expect("id");
    let r = app
        .control(
            Method::POST,
            &format!("/webhook-deliveries/{did}/retry"),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(rx.wait_for(5, WAIT).await);
    app.advance(0).await;
    let d = app
        .control(Method::GET, &format!("/webhook-deliveries/{did}"), None)
        .await
        .data();
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["attempts"].as_array().expect("attempts").len(), 5);
    // Retrying a succeeded delivery is refused.
    app.control(
        Method::POST,
        &format!("/webhook-deliveries/{did}/retry"),
        None,
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    rx.stop().await;
}

#[actix_web::test]
async fn a_receiver_down_for_three_attempts_still_gets_the_event() {
    let app = spawn_unlimited().await;
    let rx = TestReceiver::start().await.expect("receiver");
    rx.fail_next(3, 500);
    let (id, _) = register(&app, &rx.url(), &["webhook.test"]).await;
    ping(&app, &id).await;
    assert!(rx.wait_for(1, WAIT).await);
    app.advance(4 + 16 + 64).await;
    let d = &deliveries(&app, &format!("?endpoint_id={id}")).await[0];
    assert_eq!(d["status"], "succeeded", "{d}");
    let codes: Vec<&Value> = d["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(500), &json!(200)]);
    rx.stop().await;
}

#[actix_web::test]
async fn a_hanging_receiver_delays_neither_another_endpoint_nor_the_api() {
    let app = spawn_with(Config {
        rate_limit: None,
        webhook_timeout_ms: 2_000,
        ..config()
    })
    .await;
    let slow = TestReceiver::start().await.expect("receiver");
    let fast = TestReceiver::start().await.expect("receiver");
    slow.hang(true);
    let (slow_id, _) = register(&app, &slow.url(), &[]).await;
    register(&app, &fast.url(), &[]).await;
    let number = sending_number(&app).await;
    let started = std::time::Instant::now();
    write_in(&app, &number, "first").await;
    write_in(&app, &number, "second").await;
    // The request path never waits for a receiver.
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the API answered while a receiver hangs"
    );
    assert!(fast.wait_for(2, WAIT).await, "the other endpoint got both");
    assert!(slow.wait_for(1, WAIT).await);
    // The hanging one's first attempt times out; its second event waits its turn (event order).
    app.advance(0).await;
    let d = deliveries(&app, &format!("?endpoint_id={slow_id}")).await;
    let first = d
        .iter()
        .find(|x| !x["attempts"].as_array().expect("a").is_empty());
    let first = first.expect("an attempt was made");
    assert!(first["attempts"][0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("timeout")));
    slow.hang(false);
    slow.stop().await;
    fast.stop().await;
}

#[actix_web::test]
async fn an_endpoint_gets_only_the_events_it_subscribed_to() {
    let app = spawn_unlimited().await;
    let all = TestReceiver::start().await.expect("receiver");
    let some = TestReceiver::start().await.expect("receiver");
    register(&app, &all.url(), &[]).await;
    let (some_id, _) = register(&app, &some.url(), &["contact_list.analyzed"]).await;
    let number = sending_number(&app).await;
    write_in(&app, &number, "hi").await;
    // An analysis publishes contact_list.analyzed when it completes.
    let list = app
        .import(&app.file_url("contacts-mixed.csv"), "Phone Number")
        .await;
    app.advance(10).await;
    let r = app
        .post(&format!("/contact-lists/{list}/analyze"), ROOT, json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    app.advance(3600).await;
    let types = |rx: &TestReceiver| -> Vec<String> {
        rx.received()
            .iter()
            .filter_map(|r| r.header("x-event-type").map(str::to_string))
            .collect()
    };
    assert!(types(&all).contains(&"message.replied".to_string()));
    assert!(types(&all).contains(&"contact_list.analyzed".to_string()));
    assert_eq!(types(&some), ["contact_list.analyzed"]);
    let analyzed = some.received()[0].json();
    assert_eq!(analyzed["data"]["list_id"], list.as_str());
    assert!(analyzed["data"]["breakdown"].is_object());
    // A disabled endpoint gets nothing; enabled again, it does.
    let r = app
        .control(
            Method::PATCH,
            &format!("/webhook-endpoints/{some_id}"),
            Some(json!({"enabled": false, "events": ["webhook.test", "message.replied"]})),
        )
        .await
        .data();
    assert_eq!(r["enabled"], false);
    assert!(r.get("secret").is_none());
    write_in(&app, &number, "again").await;
    app.advance(0).await;
    assert_eq!(types(&some).len(), 1);
    app.control(
        Method::PATCH,
        &format!("/webhook-endpoints/{some_id}"),
        Some(json!({"enabled": true})),
    )
    .await
    .data();
    write_in(&app, &number, "and again").await;
    assert!(some.wait_for(2, WAIT).await);
    assert_eq!(types(&some)[1], "message.replied");
    all.stop().await;
    some.stop().await;
}

#[actix_web::test]
async fn the_registry_validates_rotates_tests_and_deletes() {
    let app = spawn_unlimited().await;
    let rx = TestReceiver::start().await.expect("receiver");
    let bad = app
        .control(
            Method::POST,
            "/webhook-endpoints",
            Some(json!({"url": "ftp://nope", "events": ["message.sent", "message.nope"], "extra": 1})),
        )
        .await;
    let details = bad.expect_error(400, "VALIDATION_ERROR")["details"].clone();
    let fields: Vec<&str> = details
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for f in ["url", "events", "extra"] {
        assert!(fields.contains(&f), "{f} in {details}");
    }
    let (id, secret) = register(&app, &rx.url(), &[]).await;
    let listed = app
        .control(Method::GET, "/webhook-endpoints", None)
        .await
        .data();
    assert_eq!(items(&listed).len(), 1);
    assert!(
        items(&listed)[0].get("secret").is_none(),
        "secrets are shown once"
    );
    let rotated = app
        .control(
            Method::POST,
            &format!("/webhook-endpoints/{id}/rotate-secret"),
            None,
        )
        .await
        .data();
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new_secret, secret);
    let t = app
        .control(Method::POST, &format!("/webhook-endpoints/{id}/test"), None)
        .await;
    assert_eq!(t.status, 202, "{}", t.text);
    assert!(rx.wait_for(1, WAIT).await);
    let got = &rx.received()[0];
    assert_eq!(got.header("x-event-type"), Some("webhook.test"));
    assert!(pc_sandbox::webhooks::verify(
        &new_secret,
        &got.body,
        got.header("x-webhook-signature").expect("signed")
    ));
    assert!(!pc_sandbox::webhooks::verify(
        &secret,
        &got.body,
        got.header("x-webhook-signature").expect("signed")
    ));
    let deleted = app
        .control(Method::DELETE, &format!("/webhook-endpoints/{id}"), None)
        .await
        .data();
    assert_eq!(deleted["deleted"], true);
    app.control(Method::GET, &format!("/webhook-endpoints/{id}"), None)
        .await
        .expect_error(404, "NOT_FOUND");
    app.control(Method::GET, "/webhook-deliveries?status=sideways", None)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    // A reset goes back to the endpoints the sandbox started with (none here) and an empty log.
    register(&app, &rx.url(), &[]).await;
    let info = app.control(Method::GET, "/info", None).await.data();
    assert_eq!(info["webhooks"]["endpoints"], 1);
    assert!(info["webhooks"]["deliveries"].as_u64() >= Some(1));
    app.control(Method::POST, "/reset", None).await.data();
    let info = app.control(Method::GET, "/info", None).await.data();
    assert_eq!(info["webhooks"]["endpoints"], 0);
    assert_eq!(info["webhooks"]["deliveries"], 0);
    rx.stop().await;
}

#[actix_web::test]
async fn pending_deliveries_survive_a_restart_with_a_state_file() {
    let dir = std::env::temp_dir().join(format!("pc-sandbox-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    let rx = TestReceiver::start().await.expect("receiver");
    rx.fail_next(1_000, 503);
    let cfg = || Config {
        rate_limit: None,
        state_file: Some(file.clone()),
        webhooks: vec![pc_sandbox::webhooks::model::WebhookSpec::parse(&format!(
            "{}=webhook.test",
            rx.url()
        ))
        .expect("spec")],
        ..config()
    };
    let app = spawn_with(cfg()).await;
    let endpoint = app
        .control(Method::GET, "/webhook-endpoints", None)
        .await
        .data();
    let endpoint_id = items(&endpoint)[0]["id"].as_str().expect("id").to_string();
    let first = ping(&app, &endpoint_id).await;
    let second = ping(&app, &endpoint_id).await;
    assert!(rx.wait_for(2, WAIT).await);
    app.advance(4).await;
    let before = deliveries(&app, "").await;
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|d| d["status"] == "pending"));
    let summary = app.sandbox.stop().await.expect("stopped");
    assert!(summary.contains("2 pending"), "{summary}");
    assert!(file.exists());
    // The receiver is back; the next start resumes what was pending.
    rx.fail_next(0, 200);
    let again = spawn_with(cfg()).await;
    assert!(again
        .sandbox
        .restored()
        .is_some_and(|s| s.contains("2 pending resumed")));
    assert!(rx.wait_for(before.len() * 2 + 2, WAIT).await);
    again.advance(0).await;
    let after = deliveries(&again, "").await;
    assert_eq!(after.len(), 2, "no delivery lost or doubled");
    for d in &after {
        assert_eq!(d["status"], "succeeded", "{d}");
        assert_eq!(
            d["endpoint_id"],
            endpoint_id.as_str(),
            "the same endpoint, kept"
        );
        assert!(d["attempts"].as_array().expect("attempts").len() >= 2);
    }
    let delivered: Vec<String> = after
        .iter()
        .map(|d| d["event_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(delivered.contains(&first) && delivered.contains(&second));
    let last = rx.received();
    let ok_ids: Vec<&str> = last
        .iter()
        .rev()
        .take(2)
        .filter_map(|r| r.header("x-event-id"))
        .collect();
    assert!(ok_ids.contains(&first.as_str()) && ok_ids.contains(&second.as_str()));
    let _ = again.sandbox.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    rx.stop().await;
}
