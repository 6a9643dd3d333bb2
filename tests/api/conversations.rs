//! Conversation reads (CONTRACT §9) over the seeded threads and `/_sandbox/inbound`: filters,
//! keyset pages with signed cursors, the documented 404, STOP opting a number out.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn page(v: &Value) -> (&Vec<Value>, bool, Option<String>) {
    (
        v["data"].as_array().expect("data"),
        v["has_more"].as_bool().expect("has_more"),
        v["next_cursor"].as_str().map(str::to_string),
    )
}

#[actix_web::test]
async fn seeded_threads_page_newest_first_with_cursors_that_cannot_be_forged() {
    let app = spawn_unlimited().await;
    let all = app.get("/conversations?limit=200", ROOT).await.data();
    let (threads, more, _) = page(&all);
    assert!(!more);
    assert!(
        threads.len() >= 3,
        "seeded replies make threads: {}",
        threads.len()
    );
    let times: Vec<&str> = threads
        .iter()
        .filter_map(|t| t["last_inbound_at"].as_str())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Walking pages of 1 visits every thread once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/conversations?limit=1".to_string(),
            Some(c) => format!("/conversations?limit=1&cursor={c}"),
        };
        let p = app.get(&path, ROOT).await.data();
        let (data, more, next) = page(&p);
        seen.extend(data.iter().map(|t| t["conversation_id"].clone()));
        if !more {
            assert!(next.is_none());
            break;
        }
        cursor = next;
    }
    let expected: Vec<Value> = threads
        .iter()
        .map(|t| t["conversation_id"].clone())
        .collect();
    assert_eq!(seen, expected);
    // A tampered cursor, or one from another query, is a 400.
    let first = app.get("/conversations?limit=1", ROOT).await.data();
    let c = first["next_cursor"].as_str().expect("a cursor").to_string();
    let mut tampered = c.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    app.get(&format!("/conversations?limit=1&cursor={tampered}"), ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get(
        &format!("/conversations?limit=1&include_test=true&cursor={c}"),
        ROOT,
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    // updated_since more than 90 days back, and a bad include_test, are 400s.
    app.get("/conversations?updated_since=2026-01-01T00:00:00Z", ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get("/conversations?include_test=yes", ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    // A thread and its messages, newest first; another tree gets the documented 404.
    let id = threads[0]["conversation_id"].as_str().expect("id");
    let one = app.get(&format!("/conversations/{id}"), ROOT).await.data();
    assert_eq!(one["conversation_id"], id);
    assert!(one["inbound_messages"].as_u64().expect("count") >= 1);
    let msgs = app
        .get(&format!("/conversations/{id}/messages"), ROOT)
        .await
        .data();
    let (m, _, _) = page(&msgs);
    assert_eq!(m[0]["direction"], "inbound");
    assert!(m[0]["received_at"].is_string());
    assert!(m
        .iter()
        .any(|x| x["direction"] == "outbound" && x["received_at"].is_null()));
    app.get(&format!("/conversations/{id}"), ONBOARDING)
        .await
        .expect_error(404, "CONVERSATION_NOT_FOUND");
}

#[actix_web::test]
async fn an_inbound_stop_opts_the_contact_out_and_is_published() {
    let app = spawn_unlimited().await;
    // A number a seeded project sends from (every thread belongs to a project).
    let projects = app.get("/projects", ROOT).await.data();
    let pid = items(&projects)
        .iter()
        .find(|p| p["status"] == "awaiting_test")
        .and_then(|p| p["id"].as_str())
        .expect("a seeded project")
        .to_string();
    let detail = app.get(&format!("/projects/{pid}"), ROOT).await.data();
    let number_id = detail["phone_number_ids"][0].as_str().expect("a number");
    let numbers = app.get("/phone-numbers", ROOT).await.data();
    let number = items(&numbers)
        .iter()
        .find(|n| n["id"] == number_id)
        .and_then(|n| n["number"].as_str())
        .expect("the number")
        .to_string();
    let r = app
        .control(
            Method::POST,
            "/inbound",
            Some(json!({"from": "+16145550199", "to": number, "text": "Who is this?"})),
        )
        .await
        .data();
    let id = r["conversation_id"].as_str().expect("a thread").to_string();
    assert_eq!(r["opted_out"], false);
    assert_eq!(r["project_id"], pid.as_str());
    let c = app.get(&format!("/conversations/{id}"), ROOT).await.data();
    assert_eq!(c["status"], "active");
    let stop = app
        .control(
            Method::POST,
            "/inbound",
            Some(json!({"from": "(614) 555-0199", "to": number, "text": " stop "})),
        )
        .await
        .data();
    assert_eq!(stop["conversation_id"], id.as_str(), "the same thread");
    assert_eq!(stop["opted_out"], true);
    let c = app.get(&format!("/conversations/{id}"), ROOT).await.data();
    assert_eq!(c["status"], "opted_out");
    assert_eq!(c["inbound_messages"], 2);
    let events = app.control(Method::GET, "/events", None).await.data();
    let replied: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["event_type"] == "message.replied" && e["data"]["conversation_id"] == id.as_str()
        })
        .collect();
    assert_eq!(replied.len(), 2);
    assert_eq!(replied[1]["data"]["text"], " stop ");
    // An unknown number of ours is a 404; a bad body a 400.
    app.control(
        Method::POST,
        "/inbound",
        Some(json!({"from": "+16145550199", "to": "+19995550000", "text": "hi"})),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // A number no project sends from (an unassigned one) has no thread to join: a 400.
    let unassigned = items(&numbers)
        .iter()
        .find(|n| n["owner_type"] == "unassigned" && n["channel"] == "10dlc")
        .and_then(|n| n["number"].as_str())
        .expect("an unassigned number")
        .to_string();
    app.control(
        Method::POST,
        "/inbound",
        Some(json!({"from": "+16145550123", "to": unassigned, "text": "who is this?"})),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    app.control(Method::POST, "/inbound", Some(json!({"from": "nope"})))
        .await
        .expect_error(400, "VALIDATION_ERROR");
}
