//! The SSRF guard seen from the API: a `source_url` that reaches a link-local or cloud metadata
//! address — written plainly or as an IPv6 form that embeds one — is a 400 on `source_url` that
//! names the address, and is never connected to. Loopback, by name or embedded, still works.
//!
//! Every refused URL here is an IP literal the guard refuses before any connection, so these
//! tests send nothing beyond loopback when the guard works; tests that need a name resolved to a
//! forbidden address live with the resolver, in `src/sim/fetch.rs`.

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// `source_url`s that reach a refused address, and the address the message must name.
const REFUSED: &[(&str, &str)] = &[
    ("http://[::a9fe:a9fe]/x.csv", "169.254.169.254"),
    ("http://[::ffff:a9fe:a9fe]/x.csv", "169.254.169.254"),
    ("http://[::ffff:0:a9fe:a9fe]/x.csv", "169.254.169.254"),
    ("http://[64:ff9b::a9fe:a9fe]/x.csv", "169.254.169.254"),
    ("http://[64:ff9b:1::a9fe:a9fe]/x.csv", "169.254.169.254"),
    ("http://[2002:a9fe:a9fe::]/x.csv", "169.254.169.254"),
    ("https://[2002:a9fe:a9fe:1234::1]/x.csv", "169.254.169.254"),
    // Teredo: server 65.54.227.120, client 169.254.169.254 inverted.
    (
        "http://[2001:0:4136:e378:8000:63bf:5601:5601]/x.csv",
        "169.254.169.254",
    ),
    (
        "http://100.100.100.200/latest/meta-data/",
        "100.100.100.200",
    ),
    ("http://[::ffff:6464:64c8]/x.csv", "100.100.100.200"),
    ("http://[64:ff9b::6464:64c8]/x.csv", "100.100.100.200"),
    ("http://169.254.170.2/v2/credentials", "169.254.170.2"),
    ("http://0.0.0.0:4010/x.csv", "0.0.0.0"),
    ("http://255.255.255.255/x.csv", "255.255.255.255"),
    ("http://[fe80::1]/x.csv", "fe80::1"),
    ("http://[fd00:ec2::254]/latest", "fd00:ec2::254"),
    ("http://[::]/x.csv", "::"),
];

fn refusal_message(body: &Value) -> String {
    assert_eq!(body["details"][0]["field"], "source_url", "{body}");
    body["details"][0]["message"]
        .as_str()
        .expect("a message")
        .to_string()
}

#[actix_web::test]
async fn contact_list_imports_from_metadata_addresses_in_any_form_are_400s_naming_them() {
    let app = spawn_unlimited().await;
    let before = items(&app.get("/contact-lists", ROOT).await.data()).len();
    for (url, address) in REFUSED {
        let body = app
            .post(
                "/contact-lists/import",
                ROOT,
                json!({"source_url": url, "list_name": "x", "phone_column": "phone"}),
            )
            .await
            .expect_error(400, "VALIDATION_ERROR");
        let message = refusal_message(&body);
        assert!(message.contains(address), "{url}: {message}");
        assert!(message.contains("refused"), "{url}: {message}");
    }
    assert_eq!(
        items(&app.get("/contact-lists", ROOT).await.data()).len(),
        before,
        "nothing was created"
    );
}

#[actix_web::test]
async fn media_imports_from_metadata_addresses_in_any_form_are_400s_naming_them() {
    let app = spawn_unlimited().await;
    for (url, address) in REFUSED {
        let body = app
            .post("/media", ROOT, json!({"source_url": url}))
            .await
            .expect_error(400, "VALIDATION_ERROR");
        let message = refusal_message(&body);
        assert!(message.contains(address), "{url}: {message}");
    }
}

#[actix_web::test]
async fn loopback_by_name_or_as_a_mapped_ipv6_address_still_imports() {
    let app = spawn_app().await;
    let url = app.file_url("contacts-clean.csv");
    let origin = app.sandbox.url();
    let port = app.sandbox.addr().port();
    let by_name = url.replacen(&origin, &format!("http://localhost:{port}"), 1);
    let id = app.import(&by_name, "phone").await;
    let list = app.list(&id).await;
    assert_ne!(list["import"]["status"], "failed", "{by_name}: {list}");
    // The guard lets an embedded loopback address through (a 202, not a 400); whether the host
    // can then connect over IPv6 is not this test's business.
    let mapped = url.replacen(&origin, &format!("http://[::ffff:127.0.0.1]:{port}"), 1);
    app.import(&mapped, "phone").await;
}

#[actix_web::test]
async fn a_redirect_to_an_embedded_metadata_address_is_not_followed() {
    let app = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let reply = "HTTP/1.1 302 Found\r\nLocation: http://[::ffff:0:a9fe:a9fe]/latest\r\n\
                         Content-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = socket.write_all(reply.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    let id = app
        .import(&format!("http://127.0.0.1:{port}/list.csv"), "phone")
        .await;
    let list = app.list(&id).await;
    assert_eq!(list["import"]["status"], "failed", "{list}");
    let reason = list["import"]["failure_reason"].as_str().expect("a reason");
    assert!(reason.contains("redirect refused"), "{reason}");
    assert!(reason.contains("169.254.169.254"), "{reason}");
}
