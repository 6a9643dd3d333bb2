//! The send engine on the manual clock (CONTRACT §8): magic-number outcomes, the sending window,
//! the T-Mobile daily cap, pause and resume, opt-outs, funds, clicks, replies and the event log.

use std::collections::{BTreeMap, HashSet};

use reqwest::Method;
use serde_json::{json, Value};

use pc_sandbox::state::SimSettings;
use pc_sandbox::Config;

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

/// A sandbox whose sends make `per_second` messages per sandbox second, over `fixtures`.
async fn slow_app(per_second: f64, fixtures: Option<pc_sandbox::seed::Fixtures>) -> TestApp {
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

fn sent_to(events: &[&Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event_type"] == "message.sent")
        .map(|e| e["data"]["to"].as_str().expect("to").to_string())
        .collect()
}

/// The audience of a fresh mixed-list send: every row but the invalid, the unparseable, the
/// already opted-out 0009 and duplicates.
async fn audience_of(app: &TestApp, id: &str) -> u64 {
    let p = project(app, id).await;
    p["total_recipients"]
        .as_u64()
        .unwrap_or_else(|| panic!("total_recipients in {p}"))
}

#[actix_web::test]
async fn the_window_closes_into_a_quiet_hours_pause_and_a_schedule_resumes_next_morning() {
    // One message every 100 sandbox seconds: the mixed list takes about 40 minutes.
    let app = slow_app(0.01, None).await;
    let s = project_over_mixed(&app, false).await;
    let audience = audience_of(&app, &s.project).await;
    // 21:40 Eastern (the list's majority zone): twenty minutes of window left.
    app.control(
        Method::POST,
        "/clock/advance",
        Some(json!({"to": "2026-11-04T02:40:00Z"})),
    )
    .await
    .data();
    schedule(&app, &s.project, &now(&app).await, false).await;
    assert_eq!(project(&app, &s.project).await["status"], "sending");
    app.advance(30 * 60).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "paused", "{p}");
    assert_eq!(p["pause_reason"], "quiet_hours");
    assert_eq!(p["auto_paused"], true);
    let before = sent_to(&of_project(&events(&app).await, &s.project)).len();
    assert!(
        before > 0 && (before as u64) < audience,
        "{before} of {audience}"
    );
    // It does not resume by itself.
    app.advance(3600).await;
    assert_eq!(project(&app, &s.project).await["status"], "paused");
    assert_eq!(
        sent_to(&of_project(&events(&app).await, &s.project)).len(),
        before
    );
    // Scheduled again at 23:40 Eastern: due, but the window is shut, so it waits for 08:00.
    let again = schedule(&app, &s.project, &now(&app).await, false).await;
    assert_eq!(again["status"], "scheduled");
    assert_eq!(project(&app, &s.project).await["status"], "scheduled");
    app.control(
        Method::POST,
        "/clock/advance",
        Some(json!({"to": "2026-11-04T12:59:00Z"})),
    )
    .await
    .data();
    assert_eq!(project(&app, &s.project).await["status"], "scheduled");
    app.advance(120).await;
    assert_eq!(project(&app, &s.project).await["status"], "sending");
    app.advance(2 * 3600).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "completed", "{p}");
    // Everyone once, nobody twice; the second stretch began at 08:00 Eastern.
    let log = events(&app).await;
    let mine = of_project(&log, &s.project);
    let to = sent_to(&mine);
    let unique: HashSet<&String> = to.iter().collect();
    assert_eq!(unique.len(), to.len(), "no duplicates");
    assert_eq!(to.len() as u64 + skipped_invalid(&mine), audience);
    let resumed = mine
        .iter()
        .filter(|e| e["event_type"] == "message.sent")
        .nth(before)
        .expect("a message after the resume");
    assert!(resumed["created_at"].as_str().expect("time") >= "2026-11-04T13:00:00");
}

/// Messages refused before they reached a carrier (no `message.sent`): failed at once.
fn skipped_invalid(events: &[&Value]) -> u64 {
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

#[actix_web::test]
async fn a_manual_pause_stops_mid_send_and_a_schedule_resumes_without_a_duplicate() {
    let app = slow_app(0.1, None).await;
    let s = project_over_mixed(&app, false).await;
    let audience = audience_of(&app, &s.project).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(60).await;
    let paused = app
        .post(&format!("/projects/{}/pause", s.project), KEY, json!({}))
        .await
        .data();
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["pause_reason"], "manual");
    assert_eq!(paused["auto_paused"], false);
    app.advance(60).await; // receipts of what already left still arrive
    let at_pause = sent_to(&of_project(&events(&app).await, &s.project)).len();
    assert!(at_pause >= 3, "{at_pause}");
    app.advance(600).await;
    assert_eq!(
        sent_to(&of_project(&events(&app).await, &s.project)).len(),
        at_pause,
        "nothing leaves while paused"
    );
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3600).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "completed");
    let log = events(&app).await;
    let mine = of_project(&log, &s.project);
    let to = sent_to(&mine);
    let unique: HashSet<&String> = to.iter().collect();
    assert_eq!(unique.len(), to.len(), "no message twice");
    assert_eq!(to.len() as u64 + skipped_invalid(&mine), audience);
}

#[actix_web::test]
async fn recipients_stay_pinned_to_their_number_across_a_patch_of_the_numbers() {
    let app = slow_app(0.1, None).await;
    let s = project_over_mixed(&app, false).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(40).await;
    // Paused, back to awaiting_test, a second number of the same campaign added, scheduled again.
    app.post(&format!("/projects/{}/pause", s.project), KEY, json!({}))
        .await
        .data();
    let un = app
        .post(
            &format!("/projects/{}/unschedule", s.project),
            KEY,
            json!({}),
        )
        .await;
    assert_eq!(un.status, 200, "{}", un.text);
    let detail = project(&app, &s.project).await;
    let campaign = detail["campaign_id"]
        .as_str()
        .expect("campaign")
        .to_string();
    let held = held_numbers(&app, KEY).await;
    let numbers = app.get("/phone-numbers?channel=10dlc", KEY).await.data();
    let other = items(&numbers)
        .iter()
        .find(|n| {
            n["campaign_id"] == campaign.as_str()
                && n["status"] == "active"
                && n["id"] != s.number.as_str()
                && n["org_id"] == s.org.as_str()
                && !held.contains(n["id"].as_str().unwrap_or(""))
        })
        .map(|n| n["id"].as_str().expect("id").to_string());
    let Some(other) = other else {
        panic!("the campaign has a second free number");
    };
    let patched = app
        .request(
            Method::PATCH,
            &format!("/v1/projects/{}", s.project),
            Some(KEY),
            Some(json!({"phone_number_ids": [s.number, other]})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3600).await;
    assert_eq!(project(&app, &s.project).await["status"], "completed");
    let log = events(&app).await;
    let froms: HashSet<&str> = of_project(&log, &s.project)
        .iter()
        .filter(|e| e["event_type"] == "message.sent")
        .filter_map(|e| e["data"]["from"].as_str())
        .collect();
    // Everyone was pinned to the only number when the send began, and it stayed on the project.
    assert_eq!(froms, HashSet::from([s.number_e164.as_str()]));
}

#[actix_web::test]
async fn the_brand_daily_cap_pauses_a_send_unless_the_schedule_bypasses_it() {
    // The mixed list's T-Mobile recipients, as the engine sees them.
    let csv = include_str!("../../fixtures/files/contacts-mixed.csv");
    let t_mobile: HashSet<u64> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter_map(|p| pc_sandbox::domain::phone::normalize_us(p).ok())
        .filter_map(|e| pc_sandbox::domain::contacts::phone_to_u64(&e))
        .filter(|p| pc_sandbox::domain::send::is_t_mobile(1, *p, None))
        .collect();
    assert!(
        t_mobile.len() >= 2,
        "the mixed list reaches T-Mobile twice: {t_mobile:?}"
    );
    // A cap of one part a day for the child org's brand.
    let mut f = pc_sandbox::seed::Fixtures::default_world();
    for b in &mut f.brands {
        if b.reference == "delgado_brand" {
            b.t_mobile_daily_cap = Some(1);
        }
    }
    let app = slow_app(1.0, Some(f)).await;
    let s = project_over_mixed(&app, false).await;
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(120).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "paused", "{p}");
    assert_eq!(p["pause_reason"], "brand_daily_cap");
    assert_eq!(p["auto_paused"], true);
    {
        let world = app.sandbox.state().sim.store.read();
        let today = pc_sandbox::domain::outcome::cap_day(app.sandbox.state().sim.clock.now());
        assert_eq!(
            world.t_mobile_used(&s.brand, today),
            1,
            "one part used today"
        );
    }
    // With the bypass it runs to the end; T-Mobile messages over the cap may fail ("015").
    let r = schedule(&app, &s.project, &now(&app).await, true).await;
    assert_eq!(r["daily_cap_bypass"], true);
    app.advance(3600).await;
    assert_eq!(project(&app, &s.project).await["status"], "completed");
    let log = events(&app).await;
    let mine = of_project(&log, &s.project);
    let to: HashSet<String> = sent_to(&mine).into_iter().collect();
    let reached_t_mobile = t_mobile
        .iter()
        .filter(|p| to.contains(&pc_sandbox::domain::contacts::phone_from_u64(**p)))
        .count();
    assert_eq!(
        reached_t_mobile,
        t_mobile.len(),
        "every T-Mobile recipient got one"
    );
    for e in &mine {
        if e["data"]["error_code"] == "015" {
            let phone =
                pc_sandbox::domain::contacts::phone_to_u64(e["data"]["to"].as_str().expect("to"))
                    .expect("a phone");
            assert!(
                t_mobile.contains(&phone),
                "only T-Mobile fails over the cap"
            );
        }
    }
    // The bypass holds only until the next schedule call; the answer says what is stored.
    let p = project(&app, &s.project).await;
    assert_eq!(p["daily_cap_bypass"], true);
}

#[actix_web::test]
async fn an_ancestor_at_zero_stops_the_send_and_balances_never_go_negative() {
    let app = slow_app(0.05, None).await;
    let s = project_over_mixed(&app, false).await;
    // The agency (the root, the child org's parent) can pay for about two more messages.
    {
        let mut world = app.sandbox.state().sim.store.write();
        for o in world.orgs.values_mut() {
            if o.parent_id.is_none() && o.name.starts_with("Keystone") {
                o.balance_cents = 4;
            }
        }
    }
    schedule(&app, &s.project, &now(&app).await, false).await;
    app.advance(3600).await;
    let p = project(&app, &s.project).await;
    assert_eq!(p["status"], "paused", "{p}");
    assert_eq!(p["pause_reason"], "insufficient_funds_ancestor");
    assert_eq!(p["auto_paused"], true);
    {
        let world = app.sandbox.state().sim.store.read();
        assert!(world.orgs.values().all(|o| o.balance_cents >= 0));
        let agency = world
            .orgs
            .values()
            .find(|o| o.parent_id.is_none() && o.name.starts_with("Keystone"))
            .expect("the agency");
        assert_eq!(agency.balance_cents, 0);
        // Charged at each org's own tier rate, the key's org initiating.
        let lines: Vec<_> = world
            .ledger
            .iter()
            .filter(|l| l.reference_id == s.project)
            .collect();
        assert!(lines.iter().any(|l| l.org_id == s.org));
        assert!(lines.iter().any(|l| l.org_id == agency.id));
        assert!(lines
            .iter()
            .all(|l| l.initiating_org_id == s.org && l.amount_cents < 0.0));
    }
    // Resuming needs money first.
    app.post(
        &format!("/projects/{}/schedule", s.project),
        KEY,
        json!({"scheduled_at": now(&app).await, "scheduled_timezone": "America/New_York"}),
    )
    .await
    .expect_error(402, "INSUFFICIENT_BALANCE");
}

/// The thread of `contact` in `project`'s conversations.
async fn thread_of(app: &TestApp, project: &str, contact: &str, test: bool) -> Value {
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

async fn messages_of(app: &TestApp, conversation: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/conversations/{conversation}/messages"), KEY)
        .await
        .data();
    items(&page["data"]).clone()
}

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

async fn metrics(app: &TestApp, project: &str) -> Value {
    app.get(&format!("/projects/{project}/stats"), KEY)
        .await
        .data()["metrics"]
        .clone()
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
