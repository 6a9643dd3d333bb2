//! Nothing a client sends can make the sandbox hold unbounded memory or answer unbounded text:
//! hosted files have a per-file limit and a total quota (counted after decoding), error bodies
//! quote client input only in part, and a compressed body with an Idempotency-Key works.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use pc_sandbox::Config;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("compresses");
    e.finish().expect("compresses")
}

fn small_quota() -> Config {
    let mut c = config();
    c.sim.max_hosted_file_bytes = 1024 * 1024;
    c.sim.hosted_files_quota_bytes = 3 * 1024 * 1024;
    c
}

async fn put(app: &TestApp, name: &str, body: Vec<u8>, gzipped: bool) -> Reply {
    let mut req = app
        .client
        .put(format!("{}/_sandbox/files/{name}", app.sandbox.url()))
        .body(body);
    if gzipped {
        req = req.header("Content-Encoding", "gzip");
    }
    let res = req.send().await.expect("answered");
    Reply {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.expect("body"),
    }
}

#[actix_web::test]
async fn hosted_files_have_a_size_limit_and_a_total_quota_that_name_themselves() {
    let app = spawn_with(small_quota()).await;
    let mb = vec![b'x'; 1024 * 1024];
    for i in 0..3 {
        assert_eq!(
            put(&app, &format!("f{i}.bin"), mb.clone(), false)
                .await
                .status,
            200
        );
    }
    let over = put(&app, "f3.bin", mb.clone(), false).await;
    let body = over.expect_error(413, "FILES_QUOTA_EXCEEDED");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("3145728")),
        "{body}"
    );
    // Replacing a file counts only the new bytes, and deleting frees room.
    assert_eq!(put(&app, "f2.bin", mb.clone(), false).await.status, 200);
    app.control(Method::DELETE, "/files/f0.bin", None)
        .await
        .data();
    assert_eq!(put(&app, "f3.bin", mb.clone(), false).await.status, 200);
    // One file over the per-file limit: a 413 that names that limit (not the JSON one).
    app.control(Method::DELETE, "/files/f1.bin", None)
        .await
        .data();
    let big = put(&app, "big.bin", vec![b'y'; 1024 * 1024 + 1], false).await;
    let body = big.expect_error(413, "PAYLOAD_TOO_LARGE");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("1048576")),
        "{body}"
    );
}

#[actix_web::test]
async fn a_compressed_upload_is_decoded_and_a_bomb_stops_at_the_limit() {
    let app = spawn_with(small_quota()).await;
    let csv = b"phone\n6145550100\n6145550101\n".to_vec();
    let r = put(&app, "list.csv", gzip(&csv), true).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.data()["size_bytes"], csv.len());
    // 64 MB of zeros compress to ~64 KB; decoding stops at the 1 MB limit.
    let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < 200 * 1024);
    put(&app, "bomb.bin", bomb, true)
        .await
        .expect_error(413, "PAYLOAD_TOO_LARGE");
    let files = app.control(Method::GET, "/files", None).await.data();
    assert!(!files.to_string().contains("bomb.bin"));
}

#[actix_web::test]
async fn a_gzipped_write_with_an_idempotency_key_is_decoded_once() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({
        "source_url": app.file_url("contacts-clean.csv"),
        "list_name": "Gzipped",
        "phone_column": "phone",
    }))
    .expect("json");
    let send = || {
        app.client
            .post(format!("{}/v1/contact-lists/import", app.sandbox.url()))
            .header("X-API-Key", ROOT)
            .header("Idempotency-Key", "gz-1")
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .body(gzip(&body))
            .send()
    };
    let first = send().await.expect("answered");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let second = send().await.expect("answered");
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.expect("json");
    assert_eq!(first, second);
}

#[actix_web::test]
async fn errors_quote_client_input_only_in_part() {
    let app = spawn_unlimited().await;
    // 5,000 unknown query parameters: one bounded error, not 5,000 details.
    let query: Vec<String> = (0..5_000).map(|i| format!("p{i}=1")).collect();
    let r = app
        .get(&format!("/organizations?{}", query.join("&")), ROOT)
        .await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    let details = body["details"].as_array().expect("details");
    assert_eq!(details.len(), 51, "50 problems and a count of the rest");
    assert!(details[50]["message"]
        .as_str()
        .is_some_and(|m| m.contains("4950 more")));
    assert!(r.text.len() < 20_000, "{} bytes", r.text.len());
    // A header without the phone column and 900 long columns: the 400 lists a few of them.
    let header: Vec<String> = (0..900)
        .map(|i| format!("column_{i}_{}", "x".repeat(60)))
        .collect();
    let url = app
        .host("wide.csv", format!("{}\nvalue\n", header.join(",")))
        .await;
    let r = app
        .post(
            "/contact-lists/import",
            ROOT,
            json!({"source_url": url, "list_name": "Wide", "phone_column": "phone"}),
        )
        .await;
    let body = r.expect_error(400, "VALIDATION_ERROR");
    assert!(body.to_string().contains("more"), "{body}");
    assert!(r.text.len() < 10_000, "{} bytes", r.text.len());
}

#[actix_web::test]
async fn a_stalled_request_body_is_timed_out_with_a_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_with(Config {
        body_timeout_ms: 300,
        ..config()
    })
    .await;
    let mut conn = tokio::net::TcpStream::connect(app.sandbox.addr())
        .await
        .expect("connects");
    conn.write_all(
        format!(
            "POST /v1/contact-lists/import HTTP/1.1\r\nHost: x\r\nX-API-Key: {ROOT}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"source_"
        )
        .as_bytes(),
    )
    .await
    .expect("writes");
    let mut answer = Vec::new();
    // The server answers and closes; the read ends there (bounded by a generous guard).
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        conn.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the stalled body was never timed out");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("REQUEST_TIMEOUT"), "{text}");
    // The server keeps serving.
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
}

#[actix_web::test]
async fn urls_in_answers_ignore_forwarded_headers_unless_trusted() {
    let app = spawn_app().await;
    let put = |app: &TestApp, trusted_headers: bool| {
        let mut req = app
            .client
            .put(format!("{}/_sandbox/files/f.csv", app.sandbox.url()))
            .body("phone\n6145550100\n");
        if trusted_headers {
            req = req
                .header("X-Forwarded-Host", "169.254.169.254")
                .header("X-Forwarded-Proto", "gopher");
        }
        req.send()
    };
    let body: Value = put(&app, true)
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    let url = body["data"]["url"].as_str().expect("a url");
    assert!(
        url.starts_with(&format!("{}/_sandbox/files/f.csv?", app.sandbox.url())),
        "{url}"
    );
    let trusting = spawn_with(Config {
        trust_forwarded_headers: true,
        ..config()
    })
    .await;
    let body: Value = put(&trusting, true)
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    let url = body["data"]["url"].as_str().expect("a url");
    assert!(url.starts_with("http://169.254.169.254/"), "{url}");
}

#[actix_web::test]
async fn numbers_are_written_as_javascript_writes_them() {
    let app = spawn_app().await;
    let clock = app.control(Method::GET, "/clock", None).await;
    assert!(
        clock.text.contains("\"time_scale\":1}") || clock.text.contains("\"time_scale\":1,"),
        "{}",
        clock.text
    );
    // A whole-cent analysis cost is an integer: 100 contacts at the agency's 0.3 cents = 30.
    let csv: String = std::iter::once("phone".to_string())
        .chain((0..100).map(|i| format!("614555{:04}", 1000 + i)))
        .collect::<Vec<_>>()
        .join("\n");
    let url = app.host("hundred.csv", csv).await;
    let id = app.import(&url, "phone").await;
    app.advance(5).await;
    let r = app
        .post(&format!("/contact-lists/{id}/analyze"), ROOT, json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        r.text.contains("\"cost_cents\":30}") || r.text.contains("\"cost_cents\":30,"),
        "{}",
        r.text
    );
}

#[actix_web::test]
async fn imports_run_in_bounded_slots_and_a_full_house_is_a_503() {
    use tokio::io::AsyncReadExt;
    let mut c = config();
    c.sim.max_concurrent_imports = 1;
    c.sim.fetch_timeout_seconds = 2;
    let app = spawn_with(c).await;
    // A source that accepts the connection and never answers holds the only slot.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let stall_url = format!("http://{}/slow.csv", stall.local_addr().expect("addr"));
    let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Ok((mut conn, _)) = stall.accept().await {
            let _ = accepted_tx.send(());
            let mut buf = [0u8; 1024];
            // Read and hold the connection until the client gives up.
            while matches!(conn.read(&mut buf).await, Ok(n) if n > 0) {}
        }
    });
    let body = |url: &str| json!({"source_url": url, "list_name": "Slow", "phone_column": "phone"});
    let first = {
        let client = app.client.clone();
        let url = format!("{}/v1/contact-lists/import", app.sandbox.url());
        let body = body(&stall_url);
        tokio::spawn(async move {
            client
                .post(url)
                .header("X-API-Key", ROOT)
                .json(&body)
                .send()
                .await
                .expect("answered")
                .status()
        })
    };
    accepted_rx.await.expect("the first import is fetching");
    let busy = app
        .post(
            "/contact-lists/import",
            ROOT,
            body(&app.file_url("contacts-clean.csv")),
        )
        .await;
    busy.expect_error(503, "IMPORTS_BUSY");
    assert_eq!(busy.header("retry-after"), Some("5"));
    // The stalled import ends failed (timed out) and frees the slot.
    assert_eq!(first.await.expect("joined"), 202);
    app.import(&app.file_url("contacts-clean.csv"), "phone")
        .await;
}
