//! What a send does: the magic numbers' outcomes, opt-outs reaching later sends, clicks through
//! the tracking link, and the same events for the same seed.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn a_send_over_the_mixed_list_ends_with_the_magic_numbers_outcomes() {
    let app = spawn_unlimited().await;
    let s = project_over_mixed(&app, false).await;
    let scheduled = schedule(&app, &s.project, &now(&app).await, false).await;
    assert_eq!(scheduled["status"], "scheduled");
    // Due now: it starts at once (the window is open at 13:00 Eastern).
    assert_eq!(project(&app, &s.project).await["status"], "sending");
    app.advance(3 * 3600).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "completed", "{p}");
    let log = events(&app).await;
    let mine = of_project(&log, &s.project);
    let by = story(&mine);
    let magic = |n: u8| format!("+1500555000{n}");
    let expect = |n: u8, steps: &[&str]| {
        assert_eq!(
            by.get(&magic(n)).cloned().unwrap_or_default(),
            steps.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "magic number {n}"
        );
    };
    expect(0, &["message.sent", "message.delivered"]);
    // 0001 is rejected at import: never in the audience.
    expect(1, &[]);
    expect(2, &["message.sent", "message.failed:300"]);
    expect(3, &["message.sent", "message.delivered"]);
    expect(4, &["message.sent", "message.failed:012"]);
    expect(
        5,
        &["message.sent", "message.delivered", "message.replied:STOP"],
    );
    expect(
        6,
        &[
            "message.sent",
            "message.delivered",
            "message.replied:Yes, count me in!",
        ],
    );
    expect(7, &["message.sent", "message.delivered", "link.clicked"]);
    expect(8, &["message.sent"]);
    // Already opted out: no message at all.
    expect(9, &[]);
    // Every contact got exactly one message; each message's steps are in order.
    for (who, steps) in &by {
        assert_eq!(
            steps.iter().filter(|s| *s == "message.sent").count(),
            1,
            "{who}: {steps:?}"
        );
    }
    // The log is in time order and every message event names its thread and org.
    let times: Vec<&str> = log
        .iter()
        .map(|e| e["created_at"].as_str().expect("time"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "time order");
    for e in &mine {
        assert_eq!(e["id"], e["event_id"]);
        if e["event_type"] != "link.clicked" {
            assert!(e["data"]["conversation_id"]
                .as_str()
                .is_some_and(|c| c.starts_with("conv_")));
            assert_eq!(e["data"]["organization_id"], s.org.as_str());
        }
        if e["event_type"] == "message.sent" {
            assert_eq!(e["data"]["from"], s.number_e164.as_str());
        }
    }
    // The stats agree with the events.
    let count = |t: &str| mine.iter().filter(|e| e["event_type"] == t).count() as u64;
    let stats = app
        .get(&format!("/projects/{}/stats", s.project), KEY)
        .await
        .data();
    let m = &stats["metrics"];
    assert_eq!(m["sent"], count("message.sent"));
    assert_eq!(m["delivered"], count("message.delivered"));
    assert_eq!(m["replies"], count("message.replied"));
    assert_eq!(m["clicks_total"], count("link.clicked"));
    let opt_outs = mine
        .iter()
        .filter(|e| {
            e["event_type"] == "message.replied"
                && pc_sandbox::domain::outcome::is_opt_out(e["data"]["text"].as_str().unwrap_or(""))
        })
        .count() as u64;
    assert_eq!(m["opt_outs"], opt_outs);
    assert!(opt_outs >= 1);
    // Replies made threads: 0006's thread holds the outbound message and the reply.
    let threads = app
        .get(&format!("/conversations?project_id={}", s.project), KEY)
        .await
        .data();
    let yes = items(&threads["data"])
        .iter()
        .find(|t| t["to"] == magic(6).as_str())
        .expect("0006's thread");
    assert_eq!(yes["from"], s.number_e164.as_str());
    let id = yes["conversation_id"].as_str().expect("id");
    let msgs = app
        .get(&format!("/conversations/{id}/messages"), KEY)
        .await
        .data();
    let msgs = items(&msgs["data"]);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["direction"], "inbound");
    assert_eq!(msgs[1]["direction"], "outbound");
    assert_eq!(msgs[1]["status"], "delivered");
    assert!(msgs[1]["text"].as_str().is_some_and(|t| t
        .starts_with("Hi Test! Find your polling place: https://")
        && t.ends_with("\nSTOP=END")));
    // Billing: the project's org and each ancestor were charged for what was delivered.
    let stop = app
        .get(&format!("/conversations?project_id={}", s.project), KEY)
        .await
        .data();
    let stopped = items(&stop["data"])
        .iter()
        .find(|t| t["to"] == magic(5).as_str())
        .expect("0005's thread");
    assert_eq!(stopped["status"], "opted_out");
    // Opt-outs reach later imports and sends.
    let again = import_into(&app, KEY, &s.org, "contacts-mixed.csv").await;
    let first = app.list(&s.list).await;
    assert!(
        again["import"]["opted_out_count"].as_u64() > first["import"]["opted_out_count"].as_u64(),
        "{again} vs {first}"
    );
    // A later send over the same list skips the numbers that opted out.
    let (campaign, numbers) = {
        let p = project(&app, &s.project).await;
        (p["campaign_id"].clone(), p["phone_number_ids"].clone())
    };
    let second = app
        .post(
            "/projects",
            KEY,
            json!({
                "organization_id": s.org,
                "brand_id": s.brand,
                "campaign_id": campaign,
                "phone_number_ids": numbers,
                "contact_list_ids": [s.list],
                "name": "Engine test, second wave",
                "protocol": "sms",
                "message_text": "Polls are open until 7:30pm.",
            }),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let second = second.data()["id"].as_str().expect("id").to_string();
    schedule(&app, &second, &now(&app).await, false).await;
    app.advance(3600).await;
    let log = events(&app).await;
    let wave2 = sent_to(&of_project(&log, &second));
    assert!(!wave2.is_empty());
    assert!(!wave2.contains(&magic(5)), "0005 opted out: {wave2:?}");
    assert!(wave2.contains(&magic(6)));
    // A conversation belongs to one project: 0006's answer to the second wave opens the second
    // project's own thread on the same number, and the first thread is left as it was.
    let second_thread = thread_of(&app, &second, &magic(6), false).await;
    assert_eq!(second_thread["project_id"], second.as_str());
    assert_eq!(second_thread["from"], s.number_e164.as_str());
    assert_ne!(second_thread["conversation_id"], id);
    assert_eq!(messages_of(&app, id).await.len(), 2);
    let replied = log
        .iter()
        .find(|e| {
            e["event_type"] == "message.replied" && e["data"]["project_id"] == second.as_str()
        })
        .expect("0006 answers the second wave");
    assert_eq!(
        replied["data"]["conversation_id"],
        second_thread["conversation_id"]
    );
}

#[actix_web::test]
async fn a_tracking_link_redirects_with_the_parameter_rules_and_counts_the_click() {
    let app = spawn_unlimited().await;
    let s = project_over_mixed(&app, false).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3 * 3600).await;
    let log = events(&app).await;
    let click = of_project(&log, &s.project)
        .into_iter()
        .find(|e| e["event_type"] == "link.clicked")
        .expect("0007 clicks");
    assert_eq!(click["data"]["contact_phone"], "+15005550007");
    assert_eq!(
        click["data"]["destination_url"],
        "https://vote.example.org/find"
    );
    let url = click["data"]["url"].as_str().expect("url").to_string();
    let code = url.rsplit('/').next().expect("code").to_string();
    let before = metrics(&app, &s.project).await;
    // Following the link: a 302 to the destination, a click counted, link.clicked published.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/_sandbox/l/{code}", app.sandbox.url()))
        .header("User-Agent", "test-phone/1.0")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["location"].to_str().expect("location"),
        "https://vote.example.org/find"
    );
    let after = metrics(&app, &s.project).await;
    assert_eq!(
        after["clicks_total"],
        before["clicks_total"].as_u64().unwrap_or(0) + 1
    );
    assert_eq!(
        after["clicks_unique"], before["clicks_unique"],
        "the same recipient again"
    );
    let last = events(&app).await.pop().expect("an event");
    assert_eq!(last["event_type"], "link.clicked");
    assert_eq!(last["data"]["user_agent"], "test-phone/1.0");
    // By hand, with the URL as the message carries it.
    let r = app
        .control(Method::POST, "/clicks", Some(json!({"url": url})))
        .await
        .data();
    assert_eq!(r["destination_url"], "https://vote.example.org/find");
    // A code nobody got is a 404, garbage too; the server keeps serving.
    app.control(Method::GET, "/l/AAAAAAAAAAA", None)
        .await
        .expect_error(404, "NOT_FOUND");
    app.control(Method::GET, "/l/..%2F..", None)
        .await
        .expect_error(404, "NOT_FOUND");
    app.control(
        Method::POST,
        "/clicks",
        Some(json!({"code": "x", "url": "y"})),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
}

#[actix_web::test]
async fn the_same_seed_and_requests_give_the_same_events() {
    let mut logs = Vec::new();
    for _ in 0..2 {
        let app = spawn_unlimited().await;
        let s = project_over_mixed(&app, false).await;
        schedule(&app, &s.project, &now(&app).await, false).await;
        app.advance(3 * 3600).await;
        logs.push(serde_json::to_string(&events(&app).await).expect("json"));
    }
    assert_eq!(logs[0], logs[1]);
}
