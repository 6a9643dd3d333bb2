use pc_sandbox::Config;

use crate::helpers::*;

const PATHS: &[&str] = &[
    "/organizations",
    "/hierarchy",
    "/brands",
    "/campaigns",
    "/tracking-domains",
    "/phone-numbers",
    "/toll-free-verifications",
];

async fn bodies(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for p in PATHS {
        out.push(app.get(p, ROOT).await.text);
    }
    out
}

#[actix_web::test]
async fn same_seed_and_clock_start_give_byte_identical_responses() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    assert_eq!(bodies(&a).await, bodies(&b).await);
    // Errors too, correlation ids included, for the same request sequence.
    let ea = a.get("/nope", ROOT).await;
    let eb = b.get("/nope", ROOT).await;
    assert_eq!(ea.text, eb.text);
}

#[actix_web::test]
async fn another_seed_gives_another_world_with_the_same_shape() {
    let a = spawn_app().await;
    let b = spawn_with(Config {
        seed: 2,
        ..config()
    })
    .await;
    let (x, y) = (bodies(&a).await, bodies(&b).await);
    for (p, (bx, by)) in PATHS.iter().zip(x.iter().zip(y.iter())) {
        assert_ne!(bx, by, "{p} did not change with the seed");
        let (vx, vy): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(bx).expect("json"),
            serde_json::from_str(by).expect("json"),
        );
        if let (Some(ax), Some(ay)) = (vx["data"].as_array(), vy["data"].as_array()) {
            assert_eq!(ax.len(), ay.len(), "{p}");
        }
    }
}

#[actix_web::test]
async fn cached_reads_follow_every_change_to_the_world() {
    let app = spawn_unlimited().await;
    let first = app.get("/organizations", ROOT).await.text;
    assert_eq!(
        app.get("/organizations", ROOT).await.text,
        first,
        "served again"
    );
    assert!(!app.sandbox.state().sim.responses.is_empty());
    let root = app.org_of(ROOT).await;
    app.sandbox
        .state()
        .sim
        .store
        .write()
        .orgs
        .get_mut(&root)
        .expect("root")
        .name = "Renamed Agency".into();
    let after = app.get("/organizations", ROOT).await.text;
    assert!(after.contains("Renamed Agency"), "{after}");
    // Each caller's reach has its own entry.
    let child = app.get("/organizations", CHILD).await.data();
    assert_eq!(items(&child).len(), 3);
    // And a reset brings the seeded answer back.
    app.control(reqwest::Method::POST, "/reset", None)
        .await
        .data();
    assert_eq!(app.get("/organizations", ROOT).await.text, first);
}
