//! The send engine on the manual clock (CONTRACT §8): magic-number outcomes, the sending window,
//! the T-Mobile daily cap, pause and resume, opt-outs, funds, clicks, replies and the event log.

use std::collections::{BTreeMap, HashSet};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// A 10DLC campaign of the test org with a free active number: (org, brand, campaign,
/// number id, number E.164).
async fn sending_setup(
    app: &TestApp,
    key: &str,
    metered: bool,
) -> (String, String, String, String, String) {
    let org = app.org_of(key).await;
    let campaigns = app
        .get(&format!("/campaigns?organization_id={org}"), key)
        .await
        .data();
    let numbers = app.get("/phone-numbers?channel=10dlc", key).await.data();
    let held = held_numbers(app, key).await;
    for c in items(&campaigns) {
        if c["org_id"] != org.as_str() || c["carrier_metered"].as_bool().unwrap_or(false) != metered
        {
            continue;
        }
        let cid = c["id"].as_str().expect("id");
        let n = items(&numbers).iter().find(|n| {
            n["campaign_id"] == cid
                && n["org_id"] == org.as_str()
                && n["status"] == "active"
                && !held.contains(n["id"].as_str().unwrap_or(""))
        });
        if let Some(n) = n {
            return (
                org.clone(),
                c["brand_id"].as_str().expect("brand").to_string(),
                cid.to_string(),
                n["id"].as_str().expect("id").to_string(),
                n["number"].as_str().unwrap_or("").to_string(),
            );
        }
    }
    panic!("the test org has a campaign (metered: {metered}) with a free number");
}

async fn held_numbers(app: &TestApp, key: &str) -> HashSet<String> {
    let projects = app.get("/projects", key).await.data();
    let mut held = HashSet::new();
    for p in items(&projects) {
        if ["scheduled", "sending", "paused"].contains(&p["status"].as_str().unwrap_or("")) {
            let id = p["id"].as_str().expect("id");
            let d = app.get(&format!("/projects/{id}"), key).await.data();
            for n in d["phone_number_ids"].as_array().expect("ids") {
                held.insert(n.as_str().unwrap_or("").to_string());
            }
        }
    }
    held
}

/// Imports a bundled file into `org` with `key` and waits until it is ready.
async fn import_into(app: &TestApp, key: &str, org: &str, file: &str) -> Value {
    let r = app
        .post(
            "/contact-lists/import",
            key,
            json!({
                "source_url": app.file_url(file),
                "list_name": format!("{file} for sends"),
                "phone_column": "Phone Number",
                "organization_id": org,
            }),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.data()["list_id"].as_str().expect("id").to_string();
    for _ in 0..20 {
        let l = app.get(&format!("/contact-lists/{id}"), key).await.data();
        if l["import"]["status"] == "ready" {
            return l;
        }
        app.advance(5).await;
    }
    panic!("the import of {file} is ready within 100 sandbox seconds");
}

struct Setup {
    project: String,
    list: String,
    org: String,
    brand: String,
    number: String,
    number_e164: String,
}

/// The key of the org the tests send from (the child org: campaigns, numbers, domains).
const KEY: &str = CHILD;

/// A project of the test org over the bundled mixed list, with link tracking.
async fn project_over_mixed(app: &TestApp, metered: bool) -> Setup {
    let (org, brand, campaign, number, number_e164) = sending_setup(app, KEY, metered).await;
    let list = import_into(app, KEY, &org, "contacts-mixed.csv").await;
    let list = list["list_id"].as_str().expect("id").to_string();
    let domains = app.get("/tracking-domains", KEY).await.data();
    let domain = items(&domains)[0]["id"]
        .as_str()
        .expect("a domain")
        .to_string();
    let r = app
        .post(
            "/projects",
            KEY,
            json!({
                "organization_id": org,
                "brand_id": brand,
                "campaign_id": campaign,
                "phone_number_ids": [number],
                "contact_list_ids": [list],
                "name": "Engine test",
                "protocol": "sms",
                "message_text": "Hi {first_name|there}! Find your polling place: {link}",
                "link_tracking_enabled": true,
                "link_tracking_destination_url": "https://vote.example.org/find",
                "link_tracking_domain_id": domain,
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    Setup {
        project: r.data()["id"].as_str().expect("id").to_string(),
        list,
        org,
        brand,
        number,
        number_e164,
    }
}

async fn now(app: &TestApp) -> String {
    app.control(Method::GET, "/clock", None).await.data()["now"]
        .as_str()
        .expect("now")
        .to_string()
}

async fn schedule(app: &TestApp, project: &str, at: &str, bypass: bool) -> Value {
    let r = app
        .post(
            &format!("/projects/{project}/schedule"),
            KEY,
            json!({"scheduled_at": at, "scheduled_timezone": "America/New_York", "daily_cap_bypass": bypass}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.data()
}

async fn project(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/projects/{id}"), KEY).await.data()
}

/// Every event of the log, in order.
async fn events(app: &TestApp) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    loop {
        let path = match out.last() {
            None => "/events?limit=1000".to_string(),
            Some(e) => format!("/events?limit=1000&after={}", e["id"].as_str().expect("id")),
        };
        let page = app.control(Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.data();
        let batch = items(&page).clone();
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

fn of_project<'a>(events: &'a [Value], project: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["data"]["project_id"] == project)
        .collect()
}

/// Event types per contact (the `to` of outbound steps, the `from` of replies, the
/// `contact_phone` of clicks).
fn story(events: &[&Value]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in events {
        let t = e["event_type"].as_str().expect("type").to_string();
        let who = match t.as_str() {
            "message.replied" => &e["data"]["from"],
            "link.clicked" => &e["data"]["contact_phone"],
            _ => &e["data"]["to"],
        };
        let mut label = t.clone();
        if let Some(code) = e["data"]["error_code"].as_str() {
            label = format!("{t}:{code}");
        }
        if let Some(text) = e["data"]["text"].as_str() {
            label = format!("{t}:{text}");
        }
        out.entry(who.as_str().unwrap_or("").to_string())
            .or_default()
            .push(label);
    }
    out
}

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
    let _ = (&s.brand, &s.number);
}
