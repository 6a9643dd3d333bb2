use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn import(app: &TestApp, body: Value) -> String {
    let r = app.post("/media", ROOT, body).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let d = r.data();
    assert_eq!(d["status"], "optimizing");
    assert_eq!(d["uploaded_via_api"], true);
    d["media_id"].as_str().expect("id").to_string()
}

async fn media(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/media/{id}"), ROOT).await.data()
}

#[actix_web::test]
async fn media_optimizes_on_the_clock_then_serves_the_same_bytes_forever() {
    let app = spawn_app().await;
    let id = import(
        &app,
        json!({"source_url": app.file_url("rally.jpg"), "name": "Rally flyer.jpg"}),
    )
    .await;
    let m = media(&app, &id).await;
    assert_eq!(m["status"], "optimizing");
    assert_eq!(m["url"], Value::Null);
    assert_eq!(m["content_type"], "image/jpeg");
    assert_eq!(m["file_size_bytes"], 23104);
    assert_eq!(m["optimized_at"], Value::Null);
    app.advance(3).await;
    let m = media(&app, &id).await;
    assert_eq!(m["status"], "ready");
    assert_eq!(m["optimized_at"], "2026-11-03T18:00:03.000Z");
    let url = m["url"].as_str().expect("url").to_string();
    let served = app.client.get(&url).send().await.expect("answered");
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let bytes = served.bytes().await.expect("bytes");
    assert_eq!(&bytes[..], include_bytes!("../../fixtures/files/rally.jpg"));
    // The list item uses id/org_id and carries the same URL.
    let list = app.get("/media", ROOT).await.data();
    let item = items(&list)
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("listed");
    assert_eq!(item["url"], url.as_str());
    assert_eq!(item["org_id"], app.org_of(ROOT).await.as_str());
    // Stable: the same URL after time passes.
    app.advance(3600).await;
    assert_eq!(media(&app, &id).await["url"], url.as_str());
}

#[actix_web::test]
async fn unusable_files_fail_with_a_reason() {
    let app = spawn_app().await;
    let png_as_jpg = app
        .host(
            "photo.jpg",
            include_bytes!("../../fixtures/files/logo.png").to_vec(),
        )
        .await;
    let text = app.host("notes.txt", "just text").await;
    let cases = [
        (app.file_url("oversized.jpg"), "5 MB"),
        (png_as_jpg, "image/png"),
        (text, "not a supported media type"),
        (app.file_url("missing.png"), "HTTP 404"),
    ];
    for (url, needle) in cases {
        let id = import(&app, json!({"source_url": url})).await;
        let m = media(&app, &id).await;
        assert_eq!(m["status"], "failed", "{m}");
        assert_eq!(m["url"], Value::Null);
        let reason = m["failure_reason"].as_str().unwrap_or("");
        assert!(reason.contains(needle), "{reason} should mention {needle}");
    }
    // An oversized file was fetched and measured.
    let list = app.get("/media", ROOT).await.data();
    let big = items(&list)
        .iter()
        .find(|m| m["name"] == "oversized.jpg")
        .expect("listed");
    assert_eq!(big["file_size_bytes"], 6 * 1024 * 1024 + 2);
}

#[actix_web::test]
async fn brand_and_usage_rules_have_their_codes() {
    let app = spawn_app().await;
    let url = app.file_url("logo.png");
    let brands = app.get("/brands", CHILD).await.data();
    let child_brand = items(&brands)
        .iter()
        .find(|b| b["brand_name"] == "Friends of Maria Delgado")
        .and_then(|b| b["id"].as_str())
        .expect("brand")
        .to_string();
    let body = app
        .post(
            "/media",
            ROOT,
            json!({"source_url": url, "brand_id": child_brand, "usage": "email_asset"}),
        )
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert_eq!(body["details"][0]["field"], "brand_id");
    let root_org = app.org_of(ROOT).await;
    app.post(
        "/media",
        ROOT,
        json!({"source_url": url, "brand_id": child_brand, "organization_id": root_org}),
    )
    .await
    .expect_error(400, "BRAND_ORG_MISMATCH");
    app.post(
        "/media",
        ROOT,
        json!({"source_url": url, "usage": "billboard"}),
    )
    .await
    .expect_error(400, "VALIDATION_ERROR");
    // A brand outside the key's tree does not exist for it.
    let other = items(&app.get("/brands", ONBOARDING).await.data())[0]["id"]
        .as_str()
        .expect("brand")
        .to_string();
    app.post(
        "/media",
        ROOT,
        json!({"source_url": url, "brand_id": other}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // With only a brand, the file belongs to the brand's organization.
    let id = import(&app, json!({"source_url": url, "brand_id": child_brand})).await;
    let m = media(&app, &id).await;
    assert_eq!(m["organization_id"], app.org_of(CHILD).await.as_str());
    assert_eq!(m["brand_id"], child_brand.as_str());
}

#[actix_web::test]
async fn seeded_media_is_ready_and_deletable() {
    let app = spawn_app().await;
    let list = app.get("/media", ROOT).await.data();
    assert!(items(&list).len() >= 3);
    let flyer = items(&list)
        .iter()
        .find(|m| m["name"] == "GOTV Rally Flyer")
        .expect("seeded");
    assert_eq!(flyer["status"], "ready");
    let url = flyer["url"].as_str().expect("url");
    let bytes = app
        .client
        .get(url)
        .send()
        .await
        .expect("answered")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], include_bytes!("../../fixtures/files/rally.jpg"));
    let id = flyer["id"].as_str().expect("id");
    app.request(
        Method::DELETE,
        &format!("/v1/media/{id}"),
        Some(CHILD),
        None,
    )
    .await
    .data();
    app.get(&format!("/media/{id}"), ROOT)
        .await
        .expect_error(404, "NOT_FOUND");
    let gone = app.client.get(url).send().await.expect("answered");
    assert_eq!(gone.status(), 404);
}
