//! The scoping matrix: every seeded key × every hierarchy endpoint × every organization filter
//! and every resource id, in and out of the key's tree.

use std::collections::{HashMap, HashSet};

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

const KEYS: &[&str] = &[
    ROOT,
    CHILD,
    GRANDCHILD,
    READ_ONLY,
    ELEVATED,
    ONBOARDING,
    "pc_test_SandboxZeroBalanceKey000",
    "pc_test_SandboxPausedKey00000000",
];

const FILTERED: &[(&str, &str)] = &[
    ("/brands", "organization_id"),
    ("/campaigns", "organization_id"),
    ("/tracking-domains", "organization_id"),
    ("/phone-numbers", "organization_id"),
    ("/toll-free-verifications", "organization_id"),
    ("/hierarchy", "organizationId"),
];

#[actix_web::test]
async fn every_key_reaches_exactly_its_subtree_on_every_endpoint() {
    let app = spawn_unlimited().await;
    let all_orgs = app.all_org_ids().await;
    assert_eq!(all_orgs.len(), 10);
    // Each key's reach, as the key itself lists it.
    let mut reach: HashMap<&str, HashSet<String>> = HashMap::new();
    for key in KEYS {
        let orgs = app.get("/organizations", key).await.data();
        reach.insert(
            key,
            items(&orgs)
                .iter()
                .map(|o| o["id"].as_str().unwrap_or("").to_string())
                .collect(),
        );
    }
    assert_eq!(reach[ROOT].len(), 7);
    assert_eq!(reach[CHILD].len(), 3);
    assert_eq!(reach[GRANDCHILD].len(), 1);
    assert!(reach[CHILD].is_subset(&reach[ROOT]));
    assert!(reach[ONBOARDING].is_disjoint(&reach[ROOT]));

    let mut checked = 0;
    for key in KEYS {
        for (path, param) in FILTERED {
            // Unfiltered: every row belongs to the key's tree.
            let rows = app.get(path, key).await.data();
            if let Some(rows) = rows.as_array() {
                for r in rows {
                    if let Some(org) = r["org_id"].as_str() {
                        assert!(reach[key].contains(org), "{key} {path} leaked {org}");
                    }
                }
            }
            for org in &all_orgs {
                let reply = app.get(&format!("{path}?{param}={org}"), key).await;
                if reach[key].contains(org) {
                    assert_eq!(reply.status, 200, "{key} {path} {org}: {}", reply.text);
                    if let Some(rows) = reply.data().as_array() {
                        for r in rows {
                            if let Some(row_org) = r["org_id"].as_str() {
                                assert_eq!(row_org, org, "{key} {path} filter ignored");
                            }
                        }
                    }
                } else {
                    reply.expect_error(403, "ORG_ACCESS_DENIED");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, KEYS.len() * FILTERED.len() * all_orgs.len());
}

#[actix_web::test]
async fn resource_ids_outside_the_tree_are_404_never_403() {
    let app = spawn_unlimited().await;
    // Every TFV and campaign id of every tree, with its owning org.
    let mut tfvs = Vec::new();
    let mut campaigns = Vec::new();
    for key in [
        ROOT,
        ONBOARDING,
        "pc_test_SandboxZeroBalanceKey000",
        "pc_test_SandboxPausedKey00000000",
    ] {
        for t in items(&app.get("/toll-free-verifications", key).await.data()) {
            tfvs.push((
                t["id"].as_str().unwrap_or("").to_string(),
                t["org_id"].as_str().unwrap_or("").to_string(),
            ));
        }
        for c in items(&app.get("/campaigns", key).await.data()) {
            campaigns.push((
                c["id"].as_str().unwrap_or("").to_string(),
                c["org_id"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    assert!(tfvs.len() >= 5 && campaigns.len() >= 10);
    for key in KEYS {
        let orgs = app.get("/organizations", key).await.data();
        let reach: HashSet<&str> = items(&orgs)
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        for (path, ids) in [
            ("/toll-free-verifications/{}", &tfvs),
            ("/campaigns/{}/throughput", &campaigns),
        ] {
            for (id, org) in ids {
                let reply = app.get(&path.replace("{}", id), key).await;
                if reach.contains(org.as_str()) {
                    assert_eq!(reply.status, 200, "{key} {path} {id}");
                } else {
                    let body = reply.expect_error(404, "NOT_FOUND");
                    assert!(
                        !body.to_string().contains(org.as_str()),
                        "must not reveal the owner"
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn revoked_malformed_missing_and_unknown_keys_are_401() {
    let app = spawn_app().await;
    for key in [
        Some(REVOKED),
        Some("pc_test_NotARealKeyButWellFormed"),
        Some("pc_test_short"),
        Some("Bearer pc_test_SandboxRootKey0000000000"),
        Some(""),
        None,
    ] {
        let reply = app
            .request(Method::GET, "/v1/organizations", key, None)
            .await;
        reply.expect_error(401, "INVALID_API_KEY");
        assert_eq!(reply.header("x-ratelimit-limit"), Some("100"));
    }
    // A revoked key stays revoked; a fresh key of the same org works.
    let org = app.org_of(ROOT).await;
    let created = app
        .control(
            Method::POST,
            "/keys",
            Some(serde_json::json!({ "organization_id": org })),
        )
        .await
        .data();
    let key = created["key"].as_str().expect("key");
    assert_eq!(app.get("/organizations", key).await.status, 200);
    app.control(Method::POST, &format!("/keys/{key}/revoke"), None)
        .await
        .data();
    app.get("/organizations", key)
        .await
        .expect_error(401, "INVALID_API_KEY");
}

#[actix_web::test]
async fn read_only_keys_read_but_cannot_write() {
    let app = spawn_app().await;
    assert_eq!(app.get("/organizations", READ_ONLY).await.status, 200);
    let body = app
        .request(
            Method::POST,
            "/v1/email/lists",
            Some(READ_ONLY),
            Some(serde_json::json!({})),
        )
        .await
        .expect_error(403, "PERMISSION_DENIED");
    assert!(body["error"].as_str().unwrap_or("").contains("write"));
    // The same write with a read-write key reaches the endpoint.
    app.request(
        Method::POST,
        "/v1/email/lists",
        Some(ROOT),
        Some(serde_json::json!({})),
    )
    .await
    .expect_error(403, "EMAIL_EARLY_ACCESS");
}

#[actix_web::test]
async fn every_email_operation_is_early_access() {
    let app = spawn_unlimited().await;
    let ops: &[(Method, &str)] = &[
        (Method::GET, "/email/domains"),
        (Method::GET, "/email/domains/dom_1"),
        (Method::GET, "/email/senders"),
        (Method::GET, "/email/senders/snd_1"),
        (Method::GET, "/email/lists"),
        (Method::POST, "/email/lists"),
        (Method::GET, "/email/lists/el_1"),
        (Method::GET, "/email/lists/el_1/contacts"),
        (Method::POST, "/email/lists/el_1/contacts"),
        (Method::GET, "/email/suppressions"),
        (Method::POST, "/email/suppressions"),
        (Method::DELETE, "/email/suppressions"),
        (Method::GET, "/email/campaigns"),
        (Method::GET, "/email/campaigns/ec_1"),
        (Method::POST, "/email/campaigns"),
        (Method::POST, "/email/campaigns/ec_1/schedule"),
        (Method::POST, "/email/campaigns/ec_1/unschedule"),
        (Method::GET, "/email/campaigns/ec_1/stats"),
        (Method::GET, "/email/templates"),
        (Method::GET, "/email/templates/et_1"),
        (Method::POST, "/email/templates"),
        (Method::POST, "/email/lists/import"),
    ];
    assert_eq!(ops.len(), 22);
    for (method, path) in ops {
        app.request(
            method.clone(),
            &format!("/v1{path}"),
            Some(ROOT),
            Some(Value::Null),
        )
        .await
        .expect_error(403, "EMAIL_EARLY_ACCESS");
    }
    let reply = app
        .request(Method::DELETE, "/v1/email/templates", Some(ROOT), None)
        .await;
    reply.expect_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(reply.header("allow"), Some("GET, POST, HEAD"));
    // Auth still comes first.
    app.request(Method::GET, "/v1/email/domains", None, None)
        .await
        .expect_error(401, "INVALID_API_KEY");
}
