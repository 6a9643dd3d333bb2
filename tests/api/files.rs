use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

#[actix_web::test]
async fn files_are_hosted_under_presigned_style_urls() {
    let app = spawn_app().await;
    let res = app
        .client
        .put(format!("{}/_sandbox/files/voters.csv", app.sandbox.url()))
        .body("phone\n6145550100\n")
        .send()
        .await
        .expect("answered");
    let d: serde_json::Value = res.json().await.expect("json");
    let d = &d["data"];
    assert_eq!(d["name"], "voters.csv");
    assert_eq!(d["size_bytes"], 17);
    assert_eq!(d["content_type"], "text/csv");
    let url = d["url"].as_str().expect("url");
    assert!(
        url.contains("/_sandbox/files/voters.csv?") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    let got = app.client.get(url).send().await.expect("answered");
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.expect("text"), "phone\n6145550100\n");
    // A tampered signature is refused like S3 would.
    let tampered = format!("{}0", url);
    let r = app.client.get(&tampered).send().await.expect("answered");
    assert_eq!(r.status(), 403);
    // Samples are listed alongside uploads.
    let list = app.control(Method::GET, "/files", None).await.data();
    let names: Vec<&str> = items(&list)
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for n in [
        "voters.csv",
        "contacts-clean.csv",
        "contacts-mixed.csv",
        "rally.jpg",
        "logo.png",
        "clip.mp4",
        "oversized.jpg",
        "contacts-100k.csv",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    app.control(Method::DELETE, "/files/voters.csv", None)
        .await
        .data();
    assert_eq!(
        app.client.get(url).send().await.expect("answered").status(),
        404
    );
    app.control(Method::PUT, "/files/..%2Fescape", None)
        .await
        .expect_error(400, "VALIDATION_ERROR");
}

#[actix_web::test]
async fn with_a_control_token_files_need_their_signature() {
    let app = spawn_with(pc_sandbox::Config {
        control_token: Some("sekrit-token".into()),
        ..config()
    })
    .await;
    let unsigned = format!("{}/_sandbox/files/contacts-clean.csv", app.sandbox.url());
    assert_eq!(
        app.client
            .get(&unsigned)
            .send()
            .await
            .expect("answered")
            .status(),
        403
    );
    assert_eq!(
        app.client
            .get(app.file_url("contacts-clean.csv"))
            .send()
            .await
            .expect("answered")
            .status(),
        200
    );
    // And imports from hosted files still work: the sandbox fetches its own presigned URL.
    let id = app
        .import(&app.file_url("contacts-clean.csv"), "phone")
        .await;
    app.request(
        Method::POST,
        "/_sandbox/clock/advance",
        None,
        Some(serde_json::json!({"seconds": 1})),
    )
    .await;
    let _ = id;
}

#[actix_web::test]
async fn presigned_urls_expire_on_the_sandbox_clock_and_cannot_be_stretched() {
    let app = spawn_app().await;
    let url = app.file_url("contacts-clean.csv");
    let get = |u: String| {
        let client = app.client.clone();
        async move { client.get(u).send().await.expect("answered") }
    };
    assert_eq!(get(url.clone()).await.status(), 200);
    // Moving the issue date forward (to stretch the lifetime) breaks the signature.
    let stretched = url.replace("X-Amz-Date=2026", "X-Amz-Date=2027");
    assert_ne!(stretched, url);
    let r = get(stretched).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "SIGNATURE_DOES_NOT_MATCH");
    app.advance(7 * 86_400).await;
    assert_eq!(get(url.clone()).await.status(), 200, "valid for 7 days");
    app.advance(1).await;
    let r = get(url).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "REQUEST_EXPIRED");
}

#[actix_web::test]
async fn with_a_control_token_nothing_can_be_forged_from_the_seed() {
    let app = spawn_with(pc_sandbox::Config {
        control_token: Some("sekrit-token".into()),
        ..config()
    })
    .await;
    // What an attacker who recovered the seed (1) can compute: the seed-only file key.
    let seed_only = pc_sandbox::domain::secrets::Secrets::derive(1, None);
    let real = app.file_url("contacts-clean.csv");
    let date = real
        .split("X-Amz-Date=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("a date");
    let forged_sig = hex_of(pc_sandbox::domain::secrets::hmac(
        &seed_only.file_key,
        &[b"contacts-clean.csv", date.as_bytes(), b"604800"],
    ));
    let forged = format!(
        "{}/_sandbox/files/contacts-clean.csv?X-Amz-Date={date}&X-Amz-Expires=604800&X-Amz-Signature={forged_sig}",
        app.sandbox.url()
    );
    let r = app.client.get(forged).send().await.expect("answered");
    assert_eq!(r.status(), 403);
    // Minted keys differ from what the seed alone would mint.
    let orgs = app
        .request(Method::GET, "/v1/organizations", Some(ROOT), None)
        .await
        .data();
    let org = orgs[0]["id"].as_str().expect("org").to_string();
    let with_token = {
        let r = app
            .client
            .post(format!("{}/_sandbox/keys", app.sandbox.url()))
            .bearer_auth("sekrit-token")
            .json(&serde_json::json!({ "organization_id": org }))
            .send()
            .await
            .expect("answered");
        let body: Value = r.json().await.expect("json");
        body["data"]["key"].as_str().expect("a key").to_string()
    };
    let plain = spawn_app().await;
    let without_token = plain
        .control(
            Method::POST,
            "/keys",
            Some(serde_json::json!({ "organization_id": org })),
        )
        .await
        .data()["key"]
        .as_str()
        .expect("a key")
        .to_string();
    assert_ne!(with_token, without_token);
}

fn hex_of(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
