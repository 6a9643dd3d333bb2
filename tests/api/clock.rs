use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[actix_web::test]
async fn the_manual_clock_is_frozen_and_moves_only_when_told() {
    let app = spawn_app().await;
    let clock = app.control(Method::GET, "/clock", None).await.data();
    assert_eq!(clock["now"], "2026-11-03T18:00:00.000Z");
    assert_eq!(clock["mode"], "manual");
    assert_eq!(clock["time_scale"], 1.0);
    let after = app.advance(90).await;
    assert_eq!(after["now"], "2026-11-03T18:01:30.000Z");
    let to = app
        .control(
            Method::POST,
            "/clock/advance",
            Some(json!({"to": "2026-11-04T00:00:00-05:00"})),
        )
        .await
        .data();
    assert_eq!(to["now"], "2026-11-04T05:00:00.000Z");
    let fractional = app
        .control(
            Method::POST,
            "/clock/advance",
            Some(json!({"seconds": 0.25})),
        )
        .await
        .data();
    assert_eq!(fractional["now"], "2026-11-04T05:00:00.250Z");
}

#[actix_web::test]
async fn time_never_moves_backwards() {
    let app = spawn_app().await;
    for body in [json!({"to": "2026-11-03T17:59:59Z"})] {
        app.control(Method::POST, "/clock/advance", Some(body))
            .await
            .expect_error(400, "CLOCK_BACKWARDS");
    }
    app.control(
        Method::POST,
        "/clock",
        Some(json!({"now": "2020-01-01T00:00:00Z"})),
    )
    .await
    .expect_error(400, "CLOCK_BACKWARDS");
    let clock = app.control(Method::GET, "/clock", None).await.data();
    assert_eq!(clock["now"], "2026-11-03T18:00:00.000Z");
}

#[actix_web::test]
async fn mode_and_scale_can_change_at_run_time() {
    let app = spawn_app().await;
    let set = app
        .control(
            Method::POST,
            "/clock",
            Some(json!({"mode": "realtime", "time_scale": 3600, "now": "2026-11-03T20:00:00Z"})),
        )
        .await
        .data();
    assert_eq!(set["mode"], "realtime");
    assert_eq!(set["time_scale"], 3600.0);
    assert!(set["now"].as_str().unwrap_or("") >= "2026-11-03T20:00:00.000Z");
    // At an hour per second, the realtime clock visibly runs; freezing it again stops it.
    let frozen = app
        .control(Method::POST, "/clock", Some(json!({"mode": "manual"})))
        .await
        .data();
    let again = app.control(Method::GET, "/clock", None).await.data();
    assert_eq!(frozen["now"], again["now"]);
    app.control(
        Method::POST,
        "/clock",
        Some(json!({"mode": "sideways", "time_scale": 0})),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
}

#[actix_web::test]
async fn advancing_runs_due_jobs_before_answering() {
    let app = spawn_app().await;
    let housekeeping = |info: &Value| -> Vec<String> {
        info["upcoming_jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .filter(|j| j["kind"] == "housekeeping")
            .map(|j| j["due_at"].as_str().expect("due").to_string())
            .collect()
    };
    let info = app.control(Method::GET, "/info", None).await.data();
    assert_eq!(housekeeping(&info), ["2026-11-03T19:00:00.000Z"]);
    let key = {
        let org = app.org_of(ROOT).await;
        app.control(
            Method::POST,
            "/keys",
            Some(json!({"organization_id": org, "rate_limit": {"limit": 5, "window_seconds": 60}})),
        )
        .await
        .data()["key"]
            .as_str()
            .expect("key")
            .to_string()
    };
    app.get("/organizations", &key).await;
    // Three hours later the hourly housekeeping job has run three times and re-armed itself.
    app.advance(3 * 3600).await;
    let info = app.control(Method::GET, "/info", None).await.data();
    assert_eq!(housekeeping(&info), ["2026-11-03T22:00:00.000Z"]);
    let state = app.sandbox.state();
    assert_eq!(
        state.sim.limiter.tracked_keys(),
        0,
        "finished windows were pruned"
    );
}

#[actix_web::test]
async fn info_lists_upcoming_jobs_in_run_order() {
    let app = spawn_app().await;
    let id = app
        .import(&app.file_url("contacts-clean.csv"), "phone")
        .await;
    let info = app.control(Method::GET, "/info", None).await.data();
    let jobs = info["upcoming_jobs"].as_array().expect("jobs");
    // The seeded sends' engine tick is there too.
    let import = jobs
        .iter()
        .find(|j| j["kind"] == "import_ready")
        .expect("the import's job");
    assert_eq!(import["list_id"], id.as_str());
    assert_eq!(import["due_at"], "2026-11-03T18:00:01.000Z");
    let kinds: Vec<&str> = jobs.iter().filter_map(|j| j["kind"].as_str()).collect();
    assert!(kinds.contains(&"housekeeping"), "{kinds:?}");
    let dues: Vec<&str> = jobs.iter().filter_map(|j| j["due_at"].as_str()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "run order: {dues:?}");
}
