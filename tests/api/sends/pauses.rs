//! What stops a send and what resumes it: the window, a manual pause, the daily cap, funds; pins
//! across a PATCH of the numbers.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::*;

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
    let csv = include_str!("../../../fixtures/files/contacts-mixed.csv");
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
    }
    // Charged at each org's own tier rate, the key's org initiating.
    let campaign = project(&app, &s.project).await["campaign_id"].clone();
    let today = "startDate=2026-11-03&endDate=2026-11-03";
    let usage = app
        .get(
            &format!(
                "/ledger/usage?{today}&campaignId={}",
                campaign.as_str().expect("id")
            ),
            ROOT,
        )
        .await
        .data();
    let payers: Vec<&str> = usage["organizations"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter_map(|o| o["organizationId"].as_str())
        .collect();
    assert!(payers.contains(&s.org.as_str()), "{usage}");
    assert_eq!(payers.len(), 2, "the org and the agency: {payers:?}");
    let by = app
        .get(
            &format!(
                "/ledger/usage/by-initiator?{today}&organizationId={}",
                s.org
            ),
            ROOT,
        )
        .await
        .data();
    assert_eq!(
        by["initiators"][0]["initiatingOrganizationId"],
        s.org.as_str()
    );
    // Resuming needs money first.
    app.post(
        &format!("/projects/{}/schedule", s.project),
        KEY,
        json!({"scheduled_at": now(&app).await, "scheduled_timezone": "America/New_York"}),
    )
    .await
    .expect_error(402, "INSUFFICIENT_BALANCE");
}
