//! The send engine on the manual clock (CONTRACT §8): magic-number outcomes, the sending window,
//! the T-Mobile daily cap, pause and resume, opt-outs, funds, clicks, replies and the event log.
//! The helpers below drive a project of the child org over the bundled mixed list.

mod outcomes;
mod pauses;
mod replies;

use std::collections::{BTreeMap, HashSet};

use reqwest::Method;
use serde_json::{json, Value};

use pc_sandbox::state::SimSettings;
use pc_sandbox::Config;

use crate::helpers::*;

/// A 10DLC campaign of the test org with a free active number: (org, brand, campaign,
/// number id, number E.164).
pub async fn sending_setup(
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

pub async fn held_numbers(app: &TestApp, key: &str) -> HashSet<String> {
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
pub async fn import_into(app: &TestApp, key: &str, org: &str, file: &str) -> Value {
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

pub struct Setup {
    pub project: String,
    pub list: String,
    pub org: String,
    pub brand: String,
    pub number: String,
    pub number_e164: String,
}

/// The key of the org the tests send from (the child org: campaigns, numbers, domains).
pub const KEY: &str = CHILD;

/// A project of the test org over the bundled mixed list, with link tracking.
pub async fn project_over_mixed(app: &TestApp, metered: bool) -> Setup {
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

pub async fn now(app: &TestApp) -> String {
    app.control(Method::GET, "/clock", None).await.data()["now"]
        .as_str()
        .expect("now")
        .to_string()
}

pub async fn schedule(app: &TestApp, project: &str, at: &str, bypass: bool) -> Value {
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

pub async fn project(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/projects/{id}"), KEY).await.data()
}

/// Every event of the log, in order.
pub async fn events(app: &TestApp) -> Vec<Value> {
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

pub fn of_project<'a>(events: &'a [Value], project: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["data"]["project_id"] == project)
        .collect()
}

/// Event types per contact (the `to` of outbound steps, the `from` of replies, the
/// `contact_phone` of clicks).
pub fn story(events: &[&Value]) -> BTreeMap<String, Vec<String>> {
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

/// A sandbox whose sends make `per_second` messages per sandbox second, over `fixtures`.
pub async fn slow_app(per_second: f64, fixtures: Option<pc_sandbox::seed::Fixtures>) -> TestApp {
    let mut c = Config {
        rate_limit: None,
        sim: SimSettings {
            send_per_second: Some(per_second),
            ..SimSettings::default()
        },
        ..config()
    };
    if let Some(f) = fixtures {
        c.fixtures = f;
    }
    spawn_with(c).await
}

pub fn sent_to(events: &[&Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event_type"] == "message.sent")
        .map(|e| e["data"]["to"].as_str().expect("to").to_string())
        .collect()
}

/// The audience of a fresh mixed-list send: every row but the invalid, the unparseable, the
/// already opted-out 0009 and duplicates.
pub async fn audience_of(app: &TestApp, id: &str) -> u64 {
    let p = project(app, id).await;
    p["total_recipients"]
        .as_u64()
        .unwrap_or_else(|| panic!("total_recipients in {p}"))
}

/// Messages refused before they reached a carrier (no `message.sent`): failed at once.
pub fn skipped_invalid(events: &[&Value]) -> u64 {
    let sent: HashSet<&str> = events
        .iter()
        .filter(|e| e["event_type"] == "message.sent")
        .filter_map(|e| e["data"]["message_id"].as_str())
        .collect();
    events
        .iter()
        .filter(|e| e["event_type"] == "message.failed")
        .filter(|e| !sent.contains(e["data"]["message_id"].as_str().unwrap_or("")))
        .count() as u64
}

/// The thread of `contact` in `project`'s conversations.
pub async fn thread_of(app: &TestApp, project: &str, contact: &str, test: bool) -> Value {
    let page = app
        .get(
            &format!("/conversations?project_id={project}&include_test={test}&limit=200"),
            KEY,
        )
        .await
        .data();
    items(&page["data"])
        .iter()
        .find(|t| t["to"] == contact && t["is_test"] == test)
        .cloned()
        .unwrap_or_else(|| panic!("{contact}'s thread in {page}"))
}

pub async fn messages_of(app: &TestApp, conversation: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/conversations/{conversation}/messages"), KEY)
        .await
        .data();
    items(&page["data"]).clone()
}

pub async fn metrics(app: &TestApp, project: &str) -> Value {
    app.get(&format!("/projects/{project}/stats"), KEY)
        .await
        .data()["metrics"]
        .clone()
}
