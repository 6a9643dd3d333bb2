//! Replies inside conversations (every refusal with its code) and conversation pages over many
//! threads.

use reqwest::Method;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn a_reply_goes_out_at_once_from_the_threads_number_and_every_refusal_has_its_code() {
    let app = spawn_unlimited().await;
    let s = project_over_mixed(&app, false).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3 * 3600).await; // every click and reply of the send has happened
    let yes = thread_of(&app, &s.project, "+15005550006", false).await;
    let yes_id = yes["conversation_id"].as_str().expect("id").to_string();
    let path = format!("/conversations/{yes_id}/messages");
    // Curly quotes, an em dash and an ellipsis become GSM.
    let r = app
        .post(
            &path,
            KEY,
            json!({"text": "\u{201c}Great\u{201d} \u{2014} see you there\u{2026}"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let reply = r.data();
    assert_eq!(reply["text"], "\"Great\" - see you there...");
    assert_eq!(reply["conversation_id"], yes_id.as_str());
    assert_eq!(reply["project_id"], s.project.as_str());
    assert_eq!(reply["from"], s.number_e164.as_str());
    assert_eq!(reply["to"], "+15005550006");
    let id = reply["message_id"].as_str().expect("id").to_string();
    // Outside the window too: it has left already; its outcome arrives as events.
    let msgs = messages_of(&app, &yes_id).await;
    assert_eq!(msgs[0]["message_id"], id.as_str());
    assert_eq!(msgs[0]["direction"], "outbound");
    assert_eq!(msgs[0]["status"], "sending");
    app.advance(60).await;
    let msgs = messages_of(&app, &yes_id).await;
    assert_eq!(msgs[0]["status"], "delivered");
    assert!(msgs[0]["delivered_at"].is_string());
    let log = events(&app).await;
    let mine: Vec<&str> = log
        .iter()
        .filter(|e| e["data"]["message_id"] == id.as_str())
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(mine, ["message.sent", "message.delivered"]);
    let delivered = log
        .iter()
        .find(|e| e["data"]["message_id"] == id.as_str() && e["event_type"] == "message.delivered")
        .expect("delivered");
    assert_eq!(delivered["data"]["conversation_id"], yes_id.as_str());
    assert_eq!(delivered["data"]["is_test"], false);
    // Replies are not project messages: the project's metrics do not move.
    let before = app
        .get(&format!("/projects/{}/stats", s.project), KEY)
        .await
        .data()["metrics"]
        .clone();
    // Refusals, each before anything is queued.
    let count = |msgs: &Vec<Value>| msgs.len();
    let n = count(&messages_of(&app, &yes_id).await);
    app.post(&path, KEY, json!({"text": "   "}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.post(&path, KEY, json!({"text": "x".repeat(1601)}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.post(&path, KEY, json!({}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.post(
        "/conversations/conv_nope/messages",
        KEY,
        json!({"text": "hi"}),
    )
    .await
    .expect_error(404, "CONVERSATION_NOT_FOUND");
    // Another tree's key cannot reach it.
    let onboarding = app.post(&path, ONBOARDING, json!({"text": "hi"})).await;
    assert_eq!(onboarding.status, 404, "{}", onboarding.text);
    assert_eq!(
        count(&messages_of(&app, &yes_id).await),
        n,
        "nothing queued by a refusal"
    );
    let stop = thread_of(&app, &s.project, "+15005550005", false).await;
    app.post(
        &format!(
            "/conversations/{}/messages",
            stop["conversation_id"].as_str().expect("id")
        ),
        KEY,
        json!({"text": "Sorry to see you go"}),
    )
    .await
    .expect_error(409, "CONTACT_OPTED_OUT");
    // A test thread takes no reply.
    let t = app
        .post(
            &format!("/projects/{}/test", s.project),
            KEY,
            json!({"test_contacts": [{"phone": "+15005550006"}]}),
        )
        .await;
    assert_eq!(t.status, 202, "{}", t.text);
    app.advance(3600).await;
    let test_thread = thread_of(&app, &s.project, "+15005550006", true).await;
    // 0006 answers every message it gets, our reply included.
    let thread = messages_of(&app, &yes_id).await;
    assert_eq!(thread.len(), n + 1);
    assert_eq!(thread[0]["direction"], "inbound");
    assert_eq!(thread[0]["text"], "Yes, count me in!");
    let n = thread.len();
    app.post(
        &format!(
            "/conversations/{}/messages",
            test_thread["conversation_id"].as_str().expect("id")
        ),
        KEY,
        json!({"text": "hi"}),
    )
    .await
    .expect_error(409, "CONVERSATION_NOT_SENDABLE");
    // The org's states, set on the world directly (no endpoint changes them).
    let state = app.sandbox.state();
    let set = |f: &dyn Fn(&mut pc_sandbox::store::World)| f(&mut state.sim.store.write());
    let org = s.org.clone();
    set(&|w| {
        w.orgs.get_mut(&org).expect("org").sending_paused =
            Some(pc_sandbox::domain::registry::PauseScope::Organization)
    });
    let paused = app.post(&path, KEY, json!({"text": "hi"})).await;
    assert_eq!(
        paused.expect_error(409, "SENDING_PAUSED")["details"]["scope"],
        "organization"
    );
    set(&|w| w.orgs.get_mut(&org).expect("org").sending_paused = None);
    let balance = state.sim.store.read().orgs[&org].balance_cents;
    set(&|w| w.orgs.get_mut(&org).expect("org").balance_cents = 0);
    app.post(&path, KEY, json!({"text": "hi"}))
        .await
        .expect_error(402, "INSUFFICIENT_BALANCE");
    set(&|w| w.orgs.get_mut(&org).expect("org").balance_cents = balance);
    let number = s.number.clone();
    set(&|w| w.phone_numbers.get_mut(&number).expect("number").status = "released".into());
    app.post(&path, KEY, json!({"text": "hi"}))
        .await
        .expect_error(409, "PHONE_NUMBER_UNAVAILABLE");
    set(&|w| w.phone_numbers.get_mut(&number).expect("number").status = "active".into());
    let project_id = s.project.clone();
    let kept = state.sim.store.read().projects[&project_id].clone();
    set(&|w| {
        w.projects.remove(&project_id);
    });
    app.post(&path, KEY, json!({"text": "hi"}))
        .await
        .expect_error(409, "PROJECT_DELETED");
    set(&|w| {
        w.projects.insert(project_id.clone(), kept.clone());
    });
    assert_eq!(
        count(&messages_of(&app, &yes_id).await),
        n,
        "nothing queued by a refusal"
    );
    let after = app
        .get(&format!("/projects/{}/stats", s.project), KEY)
        .await
        .data()["metrics"]
        .clone();
    assert_eq!(before, after);
    // And once the states are back, the thread takes replies again.
    let ok = app
        .post(&path, KEY, json!({"text": "Polls close at 7:30"}))
        .await;
    assert_eq!(ok.status, 202, "{}", ok.text);
}

#[actix_web::test]
async fn conversations_page_across_many_threads_with_no_gap_or_repeat() {
    let app = spawn_unlimited().await;
    let s = project_over_mixed(&app, false).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3600).await;
    // 30 more contacts write in at the same instant (the clock is frozen): ties on
    // last_inbound_at are broken by id.
    for i in 0..30 {
        let r = app
            .control(
                Method::POST,
                "/inbound",
                Some(json!({"from": format!("+1614555{:04}", 2000 + i), "to": s.number_e164, "text": "Where do I vote?"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let all = app
        .get(
            &format!("/conversations?project_id={}&limit=200", s.project),
            KEY,
        )
        .await
        .data();
    let expected: Vec<Value> = items(&all["data"])
        .iter()
        .map(|t| t["conversation_id"].clone())
        .collect();
    assert!(expected.len() >= 32, "{}", expected.len());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/conversations?project_id={}&limit=7", s.project);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, KEY).await.data();
        pages += 1;
        seen.extend(
            items(&page["data"])
                .iter()
                .map(|t| t["conversation_id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every thread once, in order");
    assert_eq!(pages, expected.len().div_ceil(7));
}
