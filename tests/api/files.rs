use reqwest::Method;

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
