//! Broadcast projects (CONTRACT §7): create and PATCH validation with every problem at once, the
//! status machine through test, schedule, unschedule and pause, copies, org states, deletion
//! guards, seeded projects, stats and throughput.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const ZERO_BALANCE: &str = "pc_test_SandboxZeroBalanceKey000";
const PAUSED: &str = "pc_test_SandboxPausedKey00000000";

/// The ids a valid create body for `key`'s tree needs: (org, brand, campaign, a free number, a
/// ready list), found through the API.
async fn ingredients(app: &TestApp, key: &str) -> (String, String, String, String, String) {
    let campaigns = app.get("/campaigns", key).await.data();
    let numbers = app.get("/phone-numbers?channel=10dlc", key).await.data();
    let projects = app.get("/projects", key).await.data();
    let mut held = Vec::new();
    for p in items(&projects) {
        if ["scheduled", "sending", "paused"].contains(&p["status"].as_str().unwrap_or("")) {
            let id = p["id"].as_str().expect("id");
            let d = app.get(&format!("/projects/{id}"), key).await.data();
            held.extend(
                d["phone_number_ids"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|v| v.as_str().unwrap_or("").to_string()),
            );
        }
    }
    let lists = app.get("/contact-lists", key).await.data();
    for c in items(&campaigns) {
        let cid = c["id"].as_str().expect("id");
        let org = c["org_id"].as_str().expect("org");
        let number = items(&numbers).iter().find(|n| {
            n["campaign_id"] == cid
                && n["org_id"] == org
                && n["status"] == "active"
                && !n["shared"].as_bool().unwrap_or(false)
                && !held.contains(&n["id"].as_str().unwrap_or("").to_string())
        });
        let list = items(&lists)
            .iter()
            .find(|l| l["org_id"] == org && l["status"] == "ready");
        if let (Some(n), Some(l)) = (number, list) {
            return (
                org.to_string(),
                c["brand_id"].as_str().expect("brand").to_string(),
                cid.to_string(),
                n["id"].as_str().expect("id").to_string(),
                l["id"].as_str().expect("id").to_string(),
            );
        }
    }
    panic!("the seeded world has a campaign with a free number and a ready list");
}

fn body(org: &str, brand: &str, campaign: &str, number: &str, list: Option<&str>) -> Value {
    let mut b = json!({
        "organization_id": org,
        "brand_id": brand,
        "campaign_id": campaign,
        "phone_number_ids": [number],
        "name": "Polling Place Reminder",
        "protocol": "sms",
        "message_text": "Hi {first_name|there}, polls close at 7:30pm.",
    });
    if let Some(l) = list {
        b["contact_list_ids"] = json!([l]);
    }
    b
}

#[actix_web::test]
async fn a_project_is_created_complete_or_as_a_draft_with_id_beside_project_id() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, list) = ingredients(&app, ROOT).await;
    let r = app
        .post(
            "/projects",
            ROOT,
            body(&org, &brand, &campaign, &number, Some(&list)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.data();
    assert_eq!(d["id"], d["project_id"]);
    assert_eq!(d["status"], "awaiting_test");
    assert_eq!(d["type"], "broadcast");
    assert_eq!(d["completeness"]["ready_to_test"], true);
    assert!(d["total_recipients"].as_u64().expect("recipients") > 0);
    assert!(d["estimated_cost_cents"].as_f64().expect("cost") > 0.0);
    let id = d["id"].as_str().expect("id");
    let detail = app.get(&format!("/projects/{id}"), ROOT).await.data();
    assert_eq!(detail["media_ids"], json!([]));
    assert_eq!(detail["opt_out_footer_enabled"], true);
    assert!(detail.get("questions").is_none(), "absent on broadcasts");
    assert_eq!(detail["pause_reason"], Value::Null);
    // Without lists: a draft.
    let draft = app
        .post(
            "/projects",
            ROOT,
            body(&org, &brand, &campaign, &number, None),
        )
        .await
        .data();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["completeness"]["has_list"], false);
}

#[actix_web::test]
async fn every_problem_of_a_body_is_reported_together() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, _) = ingredients(&app, ROOT).await;
    let mut b = body(&org, &brand, &campaign, &number, None);
    b["contact_list_ids"] = json!([]);
    b["protocol"] = json!("fax");
    b["message_text"] = json!("Hi {nickname}!");
    b["surprise"] = json!(true);
    b.as_object_mut().expect("object").remove("campaign_id");
    let r = app.post("/projects", ROOT, b).await;
    let e = r.expect_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = e["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for f in ["contact_list_ids", "protocol", "surprise"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    // World rules are reported together too: the campaign and the unknown tag.
    let mut b = body(&org, &brand, &campaign, &number, None);
    b.as_object_mut().expect("object").remove("campaign_id");
    b["message_text"] = json!("Hi {nickname}!");
    let e = app
        .post("/projects", ROOT, b)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let text = e["details"].to_string();
    assert!(
        text.contains("campaign_id") && text.contains("nickname"),
        "{text}"
    );
}

#[actix_web::test]
async fn link_placeholders_numbers_in_use_and_org_states_have_their_codes() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, list) = ingredients(&app, ROOT).await;
    let domains = app
        .get(&format!("/tracking-domains?organization_id={org}"), ROOT)
        .await
        .data();
    let domain = items(&domains)[0]["id"]
        .as_str()
        .expect("domain")
        .to_string();
    let mut b = body(&org, &brand, &campaign, &number, Some(&list));
    b["link_tracking_enabled"] = json!(true);
    b["link_tracking_domain_id"] = json!(domain);
    b["link_tracking_destination_url"] = json!("https://example.org/?ref={linkid}");
    b["link_tracking_param_field"] = json!("phone");
    b["message_text"] = json!("Vote! {link}");
    app.post("/projects", ROOT, b.clone())
        .await
        .expect_error(400, "INVALID_LINK_PLACEHOLDER");
    b["link_tracking_destination_url"] = json!("https://example.org/?ref={phone}");
    assert_eq!(app.post("/projects", ROOT, b).await.status, 201);
    // A number held by the seeded scheduled project is unavailable.
    let projects = app.get("/projects", ROOT).await.data();
    let scheduled = items(&projects)
        .iter()
        .find(|p| p["status"] == "scheduled")
        .expect("a seeded scheduled project");
    let sid = scheduled["id"].as_str().expect("id");
    let held = app.get(&format!("/projects/{sid}"), ROOT).await.data()["phone_number_ids"][0]
        .as_str()
        .expect("a number")
        .to_string();
    let d = app.get(&format!("/projects/{sid}"), ROOT).await.data();
    let b = json!({
        "organization_id": d["organization_id"], "brand_id": d["brand_id"],
        "campaign_id": d["campaign_id"], "phone_number_ids": [held],
        "name": "Clash", "protocol": "sms", "message_text": "Hi",
    });
    app.post("/projects", ROOT, b)
        .await
        .expect_error(409, "PHONE_NUMBER_UNAVAILABLE");
    // Org states.
    let onboarding_org = app.org_of(ONBOARDING).await;
    let r = app
        .post(
            "/projects",
            ONBOARDING,
            json!({"organization_id": onboarding_org, "name": "x", "protocol": "sms", "message_text": "Hi", "phone_number_ids": ["pn_x"], "brand_id": "b", "campaign_id": "c"}),
        )
        .await;
    let e = r.expect_error(403, "ONBOARDING_INCOMPLETE");
    assert_eq!(e["details"]["onboardingUrl"], "/onboarding");
    let paused_org = app.org_of(PAUSED).await;
    let e = app
        .post(
            "/projects",
            PAUSED,
            json!({"organization_id": paused_org, "name": "x", "protocol": "sms", "message_text": "Hi", "phone_number_ids": ["pn_x"], "brand_id": "b", "campaign_id": "c"}),
        )
        .await
        .expect_error(409, "SENDING_PAUSED");
    assert_eq!(e["details"]["scope"], "organization");
}

#[actix_web::test]
async fn the_status_machine_runs_through_test_schedule_unschedule_pause_and_copy() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, list) = ingredients(&app, ROOT).await;
    let draft = app
        .post(
            "/projects",
            ROOT,
            body(&org, &brand, &campaign, &number, None),
        )
        .await
        .data();
    let id = draft["id"].as_str().expect("id").to_string();
    let path = |suffix: &str| format!("/projects/{id}{suffix}");
    // A draft cannot be tested or scheduled.
    let tests = json!({"test_contacts": [{"phone": "+15005550000", "merge_values": {"first_name": "Ana"}}]});
    app.post(&path("/test"), ROOT, tests.clone())
        .await
        .expect_error(409, "PROJECT_NOT_READY");
    // Attaching a list makes it awaiting_test.
    let patched = app
        .request(
            Method::PATCH,
            &format!("/v1{}", path("")),
            Some(ROOT),
            Some(json!({"contact_list_ids": [list]})),
        )
        .await
        .data();
    assert_eq!(patched["status"], "awaiting_test");
    assert_eq!(patched["id"], patched["project_id"]);
    // Immutable fields are a 400.
    app.request(
        Method::PATCH,
        &format!("/v1{}", path("")),
        Some(ROOT),
        Some(json!({"channel": "toll-free"})),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    let t = app.post(&path("/test"), ROOT, tests).await;
    assert_eq!(t.status, 202, "{}", t.text);
    let t = t.data();
    assert_eq!(t["tests_sent"], 1);
    assert_eq!(t["test_messages"][0]["sent_to"], "+1500****000");
    let stats = app.get(&path("/stats"), ROOT).await.data();
    assert_eq!(stats["test"]["sent"], 1);
    assert_eq!(stats["metrics"]["sent"], 0, "tests never count in metrics");
    // Schedule needs an explicit offset, and says how to write one.
    let e = app
        .post(
            &path("/schedule"),
            ROOT,
            json!({"scheduled_at": "2026-11-05T09:00:00", "scheduled_timezone": "America/New_York"}),
        )
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert!(e.to_string().contains("2026-11-05T09:00:00-05:00"), "{e}");
    let s = app
        .post(
            &path("/schedule"),
            ROOT,
            json!({"scheduled_at": "2026-11-05T09:00:00-05:00", "scheduled_timezone": "America/New_York", "daily_cap_bypass": true}),
        )
        .await
        .data();
    assert_eq!(s["status"], "scheduled");
    assert_eq!(s["daily_cap_bypass"], true);
    // PATCH is refused once scheduled.
    app.request(
        Method::PATCH,
        &format!("/v1{}", path("")),
        Some(ROOT),
        Some(json!({"name": "Renamed"})),
    )
    .await
    .expect_error(409, "PROJECT_NOT_EDITABLE");
    // Pause with a reason; pausing again keeps it.
    let p = app
        .post(&path("/pause"), ROOT, json!({"reason": "legal review"}))
        .await
        .data();
    assert_eq!(
        (p["status"].as_str(), p["pause_reason"].as_str()),
        (Some("paused"), Some("legal review"))
    );
    let again = app.post(&path("/pause"), ROOT, json!({})).await.data();
    assert_eq!(again["pause_reason"], "legal review");
    // Scheduling resumes it and rewrites the bypass (false when omitted).
    let s = app
        .post(
            &path("/schedule"),
            ROOT,
            json!({"scheduled_at": "2026-11-05T09:00:00-05:00", "scheduled_timezone": "America/Chicago"}),
        )
        .await
        .data();
    assert_eq!(
        (s["status"].as_str(), s["daily_cap_bypass"].as_bool()),
        (Some("scheduled"), Some(false))
    );
    // Unschedule is safe to repeat.
    let u1 = app.post(&path("/unschedule"), ROOT, json!({})).await;
    let u2 = app.post(&path("/unschedule"), ROOT, json!({})).await;
    assert_eq!(u1.data()["status"], "awaiting_test");
    assert_eq!(u1.data(), u2.data());
    // A copy is a draft named X_v2, then X_v3.
    let c1 = app.post(&path("/copy"), ROOT, json!({})).await;
    assert_eq!(c1.status, 201);
    assert_eq!(c1.data()["name"], "Polling Place Reminder_v2");
    assert_eq!(c1.data()["status"], "draft");
    let c2 = app.post(&path("/copy"), ROOT, json!({})).await.data();
    assert_eq!(c2["name"], "Polling Place Reminder_v3");
}

#[actix_web::test]
async fn a_zero_balance_refuses_tests_and_schedules_with_a_402() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, list) = ingredients(&app, ZERO_BALANCE).await;
    let p = app
        .post(
            "/projects",
            ZERO_BALANCE,
            body(&org, &brand, &campaign, &number, Some(&list)),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    let id = p.data()["id"].as_str().expect("id").to_string();
    app.post(
        &format!("/projects/{id}/test"),
        ZERO_BALANCE,
        json!({"test_contacts": [{"phone": "+15005550000"}]}),
    )
    .await
    .expect_error(402, "INSUFFICIENT_BALANCE");
    app.post(
        &format!("/projects/{id}/schedule"),
        ZERO_BALANCE,
        json!({"scheduled_at": "2026-11-05T09:00:00-05:00", "scheduled_timezone": "America/New_York"}),
    )
    .await
    .expect_error(402, "INSUFFICIENT_BALANCE");
}

#[actix_web::test]
async fn lists_and_media_in_use_cannot_be_deleted_and_seeded_projects_cover_every_status() {
    let app = spawn_unlimited().await;
    let projects = app.get("/projects", ROOT).await.data();
    let statuses: std::collections::BTreeSet<&str> = items(&projects)
        .iter()
        .filter_map(|p| p["status"].as_str())
        .collect();
    for s in [
        "draft",
        "awaiting_test",
        "scheduled",
        "sending",
        "paused",
        "completed",
    ] {
        assert!(statuses.contains(s), "no seeded {s} project");
    }
    let survey = items(&projects)
        .iter()
        .find(|p| p["type"] == "survey")
        .expect("a survey");
    let sid = survey["id"].as_str().expect("id");
    let detail = app.get(&format!("/projects/{sid}"), ROOT).await.data();
    assert!(detail["questions"].as_array().is_some_and(|q| q.len() >= 2));
    assert!(detail["message_text"].is_null());
    let paused = items(&projects)
        .iter()
        .find(|p| p["status"] == "paused")
        .expect("paused");
    let pid = paused["id"].as_str().expect("id");
    let d = app.get(&format!("/projects/{pid}"), ROOT).await.data();
    assert_eq!(d["pause_reason"], "brand_daily_cap");
    assert_eq!(d["auto_paused"], true);
    // Its list cannot be deleted.
    let list = d["contact_list_ids"][0].as_str().expect("a list");
    let e = app
        .request(
            Method::DELETE,
            &format!("/v1/contact-lists/{list}"),
            Some(ROOT),
            None,
        )
        .await
        .expect_error(409, "CONTACT_LIST_IN_USE");
    assert!(e["details"]["projects"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["id"] == pid)));
    // Throughput of a metered project.
    let t = app
        .get(&format!("/projects/{pid}/throughput"), ROOT)
        .await
        .data();
    assert_eq!(t["project_id"], pid);
    assert!(t["carrier_metered"].is_boolean());
}

#[actix_web::test]
async fn the_offset_400_suggests_the_zones_own_offset_at_that_date() {
    let app = spawn_unlimited().await;
    let projects = app.get("/projects", ROOT).await.data();
    let id = items(&projects)
        .iter()
        .find(|p| p["status"] == "awaiting_test")
        .and_then(|p| p["id"].as_str())
        .expect("an awaiting_test project")
        .to_string();
    for (at, zone, expected) in [
        (
            "2026-11-20T10:00:00",
            "America/Chicago",
            "2026-11-20T10:00:00-06:00",
        ),
        (
            "2027-07-06T10:00:00",
            "America/New_York",
            "2027-07-06T10:00:00-04:00",
        ),
        (
            "2026-11-20T10:00:00.000",
            "Pacific/Honolulu",
            "2026-11-20T10:00:00-10:00",
        ),
        (
            "2026-11-20 10:00:00",
            "America/Denver",
            "2026-11-20T10:00:00-07:00",
        ),
    ] {
        let e = app
            .post(
                &format!("/projects/{id}/schedule"),
                ROOT,
                json!({"scheduled_at": at, "scheduled_timezone": zone}),
            )
            .await
            .expect_error(400, "VALIDATION_ERROR");
        assert!(e.to_string().contains(expected), "{at} {zone}: {e}");
    }
    // Unschedule of a never-scheduled project answers a time, and the same time again.
    let u1 = app
        .post(&format!("/projects/{id}/unschedule"), ROOT, json!({}))
        .await
        .data();
    assert!(u1["unscheduled_at"].is_string(), "{u1}");
    app.advance(60).await;
    let u2 = app
        .post(&format!("/projects/{id}/unschedule"), ROOT, json!({}))
        .await
        .data();
    assert_eq!(u1, u2);
}

#[actix_web::test]
async fn org_states_refuse_test_schedule_and_copy_of_their_seeded_projects() {
    let app = spawn_unlimited().await;
    let first_project = |key: &'static str| {
        let app = &app;
        async move {
            let ps = app.get("/projects", key).await.data();
            items(&ps)[0]["id"]
                .as_str()
                .expect("a seeded project")
                .to_string()
        }
    };
    let paused = first_project(PAUSED).await;
    let e = app
        .post(
            &format!("/projects/{paused}/test"),
            PAUSED,
            json!({"test_contacts": [{"phone": "+15005550000"}]}),
        )
        .await
        .expect_error(409, "SENDING_PAUSED");
    assert_eq!(e["details"]["scope"], "organization");
    app.post(
        &format!("/projects/{paused}/schedule"),
        PAUSED,
        json!({"scheduled_at": "2026-11-05T09:00:00-05:00", "scheduled_timezone": "America/New_York"}),
    )
    .await
    .expect_error(409, "SENDING_PAUSED");
    let onboarding = first_project(ONBOARDING).await;
    let e = app
        .post(
            &format!("/projects/{onboarding}/copy"),
            ONBOARDING,
            json!({}),
        )
        .await
        .expect_error(403, "ONBOARDING_INCOMPLETE");
    assert!(e["details"]["missingSteps"].is_array());
}

#[actix_web::test]
async fn mms_media_must_be_mms_files_of_the_projects_brand_or_org() {
    let app = spawn_unlimited().await;
    let (org, brand, campaign, number, list) = ingredients(&app, ROOT).await;
    let media = app.get("/media", ROOT).await.data();
    let email_asset = items(&media)
        .iter()
        .find(|m| m["usage"] == "email_asset")
        .and_then(|m| m["id"].as_str())
        .expect("a seeded email asset");
    let mut b = body(&org, &brand, &campaign, &number, Some(&list));
    b["protocol"] = json!("mms");
    b["media_ids"] = json!([email_asset]);
    let e = app
        .post("/projects", ROOT, b)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert!(e.to_string().contains("media_ids[0]"), "{e}");
}
