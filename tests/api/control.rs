use pc_sandbox::Config;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn keys_lists_every_seeded_key_with_its_role() {
    let app = spawn_app().await;
    let keys = app.control(Method::GET, "/keys", None).await.data();
    let roles: Vec<&str> = items(&keys)
        .iter()
        .filter_map(|k| k["role"].as_str())
        .collect();
    for role in [
        "root",
        "child",
        "grandchild",
        "read_only",
        "revoked",
        "elevated",
        "onboarding_incomplete",
        "zero_balance",
        "sending_paused",
    ] {
        assert!(roles.contains(&role), "{role} missing");
    }
    let read_only = items(&keys)
        .iter()
        .find(|k| k["role"] == "read_only")
        .expect("read only");
    assert_eq!(read_only["scopes"], json!(["read"]));
    assert_eq!(read_only["rate_limit"], serde_json::Value::Null);
    let elevated = items(&keys)
        .iter()
        .find(|k| k["role"] == "elevated")
        .expect("elevated");
    assert_eq!(
        elevated["rate_limit"],
        json!({"limit": 100000, "window_seconds": 3600})
    );
    let revoked = items(&keys)
        .iter()
        .find(|k| k["role"] == "revoked")
        .expect("revoked");
    assert_eq!(revoked["revoked"], true);
}

#[actix_web::test]
async fn new_keys_are_validated_and_scoped() {
    let app = spawn_app().await;
    let body = app
        .control(
            Method::POST,
            "/keys",
            Some(json!({"organization_id": "org_nope", "scopes": ["admin"], "rate_limit": {"limit": 0}, "x": 1})),
        )
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for f in [
        "organization_id",
        "scopes[0]",
        "rate_limit.limit",
        "rate_limit.window_seconds",
        "x",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let org = app.org_of(CHILD).await;
    let created = app
        .control(
            Method::POST,
            "/keys",
            Some(json!({"organization_id": org, "scopes": ["read"], "name": "CI"})),
        )
        .await
        .data();
    let key = created["key"].as_str().expect("key");
    assert!(key.starts_with("pc_test_") && key.len() == 32);
    assert_eq!(created["name"], "CI");
    let orgs = app.get("/organizations", key).await.data();
    assert_eq!(items(&orgs).len(), 3);
    app.request(Method::POST, "/v1/email/lists", Some(key), Some(json!({})))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    app.control(Method::POST, "/keys/pc_test_nope/revoke", None)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn reset_returns_to_the_seeded_world() {
    let app = spawn_app().await;
    let before = app.get("/phone-numbers", ROOT).await.text;
    let org = app.org_of(ROOT).await;
    let key = app
        .control(Method::POST, "/keys", Some(json!({"organization_id": org})))
        .await
        .data()["key"]
        .as_str()
        .expect("key")
        .to_string();
    app.advance(600).await;
    let info = app.control(Method::POST, "/reset", None).await.data();
    assert_eq!(info["counts"]["keys"], 9);
    for what in [
        "contact_lists",
        "media",
        "projects",
        "conversations",
        "messages",
    ] {
        assert!(
            info["counts"][what].as_u64().is_some_and(|n| n > 0),
            "{what}: {}",
            info["counts"]
        );
    }
    assert_eq!(
        info["counts"]["events"], 0,
        "nothing published before the clock start"
    );
    assert_eq!(
        info["clock"]["now"], "2026-11-03T18:10:00.000Z",
        "the clock keeps its time"
    );
    app.get("/organizations", &key)
        .await
        .expect_error(401, "INVALID_API_KEY");
    assert_eq!(
        app.get("/phone-numbers", ROOT).await.text,
        before,
        "same ids after reset"
    );
}

#[actix_web::test]
async fn a_control_token_guards_everything_but_health() {
    let app = spawn_with(Config {
        control_token: Some("sekrit-token".into()),
        ..config()
    })
    .await;
    assert_eq!(app.control(Method::GET, "/health", None).await.status, 200);
    app.control(Method::GET, "/keys", None)
        .await
        .expect_error(401, "UNAUTHORIZED");
    let url = format!("{}/_sandbox/info", app.sandbox.url());
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("sekrit-tokeN")
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(&url)
        .bearer_auth("sekrit-token")
        .send()
        .await
        .expect("answered");
    assert_eq!(right.status(), 200);
    // The API itself is unaffected.
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
}

#[actix_web::test]
async fn info_describes_the_running_sandbox() {
    let app = spawn_app().await;
    let info = app.control(Method::GET, "/info", None).await.data();
    assert_eq!(info["seed"], 1);
    assert_eq!(info["base_path"], "/v1");
    assert_eq!(info["counts"]["organizations"], 10);
    assert_eq!(
        info["rate_limit"],
        json!({"limit": 100, "window_seconds": 3600})
    );
    assert!(info["version"].is_string());
}

#[actix_web::test]
async fn the_base_path_can_be_changed() {
    let app = spawn_with(Config {
        base_path: "/api/v1".into(),
        ..config()
    })
    .await;
    let r = app
        .request(Method::GET, "/api/v1/organizations", Some(ROOT), None)
        .await;
    assert_eq!(r.status, 200);
    app.request(Method::GET, "/v1/organizations", Some(ROOT), None)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn a_fixture_file_can_extend_the_default_world() {
    let fixtures = pc_sandbox::seed::Fixtures::from_user_file(
        r#"{"extends_default": true,
            "organizations": [{"ref": "new_pac", "name": "Riverbend PAC", "parent": "owf"}],
            "keys": [{"key": "pc_test_RiverbendKey000000000000", "name": "Riverbend", "org": "new_pac", "role": "custom"}]}"#,
    )
    .expect("valid fixtures");
    let app = spawn_with(Config {
        fixtures,
        ..config()
    })
    .await;
    let orgs = app
        .get("/organizations", "pc_test_RiverbendKey000000000000")
        .await
        .data();
    assert_eq!(items(&orgs).len(), 1);
    assert_eq!(
        items(&orgs)[0]["parent_org_name"],
        "Ohio Working Families PAC"
    );
    let root = app.get("/organizations", ROOT).await.data();
    assert_eq!(items(&root).len(), 8);
}
