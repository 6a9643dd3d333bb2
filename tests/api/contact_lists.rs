use pc_sandbox::state::SimSettings;
use pc_sandbox::Config;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[actix_web::test]
async fn a_fresh_world_has_ready_lists_some_analyzed() {
    let app = spawn_app().await;
    let lists = app.get("/contact-lists", ROOT).await.data();
    assert!(items(&lists).len() >= 6);
    let franklin = items(&lists)
        .iter()
        .find(|l| l["name"] == "Franklin County Likely Voters")
        .expect("seeded list");
    for f in ["id", "name", "org_id", "org_name", "created_at"] {
        assert!(franklin[f].is_string(), "{f}");
    }
    let d = app.list(franklin["id"].as_str().expect("id")).await;
    assert_eq!(d["import"]["status"], "ready");
    assert_eq!(d["import"]["progress"], 100);
    // 1200 generated + 10 magic + 20 duplicates + 8 bad rows; 12 of the org's opt-outs plus the
    // magic opted-out number are skipped; the magic invalid number is a bad number.
    assert_eq!(d["import"]["total_rows"], 1238);
    assert_eq!(d["import"]["bad_number_count"], 9);
    assert_eq!(d["import"]["duplicate_count"], 20);
    assert_eq!(d["import"]["opted_out_count"], 13);
    assert_eq!(d["import"]["clean_contacts"], 1238 - 9 - 20 - 13);
    assert_eq!(d["analysis"]["status"], "complete");
    let b = &d["analysis"]["breakdown"];
    let total: u64 = ["mobile", "landline", "voip", "invalid"]
        .iter()
        .map(|k| b[k].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(json!(total), d["analysis"]["analyzed_numbers"]);
    assert_eq!(d["imported_via_api"], false);
}

#[actix_web::test]
async fn an_import_progresses_only_as_the_manual_clock_advances() {
    let app = spawn_with(Config {
        sim: SimSettings {
            import_rows_per_second: 10,
            ..SimSettings::default()
        },
        ..config()
    })
    .await;
    let id = app
        .import(&app.file_url("contacts-mixed.csv"), "Phone Number")
        .await;
    let first = app.list(&id).await;
    assert_eq!(first["import"]["status"], "processing");
    assert_eq!(first["import"]["progress"], 0);
    assert_eq!(first["import"]["total_rows"], 33);
    assert_eq!(
        first["import"]["clean_contacts"],
        Value::Null,
        "counters come with ready"
    );
    assert_eq!(first["import"]["processing_completed_at"], Value::Null);
    // No sandbox time passes on its own.
    assert_eq!(app.list(&id).await["import"]["progress"], 0);
    app.advance(2).await; // 33 rows at 10/s take 4 s
    let half = app.list(&id).await;
    assert_eq!(half["import"]["status"], "processing");
    assert_eq!(half["import"]["progress"], 50);
    app.advance(2).await;
    let done = app.list(&id).await;
    assert_eq!(done["import"]["status"], "ready");
    assert_eq!(done["import"]["progress"], 100);
    assert_eq!(
        done["import"]["processing_started_at"],
        "2026-11-03T18:00:00.000Z"
    );
    assert_eq!(
        done["import"]["processing_completed_at"],
        "2026-11-03T18:00:04.000Z"
    );
    let counters: Vec<u64> = [
        "total_rows",
        "total_contacts",
        "clean_contacts",
        "duplicate_count",
        "bad_number_count",
        "opted_out_count",
    ]
    .iter()
    .map(|k| done["import"][k].as_u64().expect(k))
    .collect();
    assert_eq!(counters, [33, 27, 23, 3, 6, 1]);
    let tags: Vec<&str> = done["available_merge_tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["merge_tag"].as_str())
        .collect();
    assert_eq!(
        tags,
        [
            "first_name",
            "last_name",
            "city",
            "zip",
            "volunteer_interest"
        ]
    );
}

async fn failure_of(app: &TestApp, url: &str) -> String {
    let id = app.import(url, "phone").await;
    let d = app.list(&id).await;
    assert_eq!(d["import"]["status"], "failed", "{d}");
    d["import"]["failure_reason"]
        .as_str()
        .expect("a reason")
        .to_string()
}

#[actix_web::test]
async fn every_bad_source_fails_with_a_reason_the_user_can_act_on() {
    let app = spawn_with(Config {
        sim: SimSettings {
            max_import_bytes: 4096,
            max_import_rows: 30,
            ..SimSettings::default()
        },
        ..config()
    })
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let unreachable = failure_of(&app, &format!("http://127.0.0.1:{closed}/list.csv")).await;
    assert!(unreachable.contains("could not fetch"), "{unreachable}");
    let missing = failure_of(&app, &app.file_url("no-such-file.csv")).await;
    assert!(missing.contains("HTTP 404"), "{missing}");
    let image = failure_of(&app, &app.file_url("logo.png")).await;
    assert!(image.contains("not a CSV"), "{image}");
    let empty = failure_of(&app, &app.host("empty.csv", Vec::<u8>::new()).await).await;
    assert!(empty.contains("empty"), "{empty}");
    let big = failure_of(
        &app,
        &app.host("big.csv", format!("phone\n{}", "6145550100\n".repeat(500)))
            .await,
    )
    .await;
    assert!(big.contains("limit"), "{big}");
    let rows = failure_of(
        &app,
        &app.host("rows.csv", format!("phone\n{}", "6145550100\n".repeat(31)))
            .await,
    )
    .await;
    assert!(rows.contains("more than 30 rows"), "{rows}");
    // Failures are final at once and have no counters.
    let lists = app.get("/contact-lists", ROOT).await.data();
    assert!(items(&lists).len() >= 6);
}

#[actix_web::test]
async fn requests_that_cannot_start_an_import_are_400s() {
    let app = spawn_app().await;
    let before = items(&app.get("/contact-lists", ROOT).await.data()).len();
    let body = app
        .post("/contact-lists/import", ROOT, json!({"source_url": app.file_url("contacts-no-phone-column.csv"), "list_name": "x", "phone_column": "phone"}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let message = body["details"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("name, email, zip"), "{message}");
    for url in [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/a.csv",
        "not a url",
    ] {
        let b = app
            .post(
                "/contact-lists/import",
                ROOT,
                json!({"source_url": url, "list_name": "x", "phone_column": "phone"}),
            )
            .await
            .expect_error(400, "VALIDATION_ERROR");
        assert_eq!(b["details"][0]["field"], "source_url", "{url}");
    }
    let all = app
        .post("/contact-lists/import", ROOT, json!({"list_name": 5, "merge_tags": {"custom_fields": [{"csv_column": "A", "merge_tag": "Bad Tag"}]}, "extra": 1}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = all["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    for f in [
        "source_url",
        "list_name",
        "phone_column",
        "merge_tags.custom_fields[0].merge_tag",
        "extra",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert_eq!(
        items(&app.get("/contact-lists", ROOT).await.data()).len(),
        before,
        "nothing was created"
    );
}

#[actix_web::test]
async fn malformed_csvs_never_500() {
    let app = spawn_unlimited().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "bom-crlf.csv",
            b"\xEF\xBB\xBFphone,name\r\n6145550101,A\r\n".to_vec(),
        ),
        (
            "quoted.csv",
            b"phone,note\n6145550102,\"line one\nline two, with comma\"\n".to_vec(),
        ),
        (
            "ragged.csv",
            b"phone,a,b\n6145550103\n6145550104,1,2,3,4\n".to_vec(),
        ),
        ("latin1.csv", b"phone,name\n6145550105,Jos\xE9\n".to_vec()),
        (
            "unterminated.csv",
            b"phone,name\n6145550106,\"never closed\n".to_vec(),
        ),
        ("nul.csv", b"phone\n\x00\x00\x00".to_vec()),
    ];
    for (name, bytes) in cases {
        let url = app.host(name, bytes).await;
        let r = app
            .post(
                "/contact-lists/import",
                ROOT,
                json!({"source_url": url, "list_name": name, "phone_column": "phone"}),
            )
            .await;
        assert!(r.status.as_u16() < 500, "{name}: {}", r.text);
        if r.status == 202 {
            let id = r.data()["list_id"].as_str().expect("id").to_string();
            app.advance(5).await;
            let d = app.list(&id).await;
            assert!(
                ["ready", "failed"].contains(&d["import"]["status"].as_str().unwrap_or("")),
                "{name}: {d}"
            );
        }
    }
    assert_eq!(app.get("/organizations", ROOT).await.status, 200);
}

#[actix_web::test]
async fn explicit_merge_tags_are_used_exactly_and_checked_against_the_header() {
    let app = spawn_app().await;
    let url = app.file_url("contacts-clean.csv");
    let r = app
        .post("/contact-lists/import", ROOT, json!({"source_url": url, "list_name": "mapped", "phone_column": "phone",
            "merge_tags": {"first_name": "first_name", "custom_fields": [{"csv_column": "precinct", "merge_tag": "ward"}]}}))
        .await;
    let id = r.data()["list_id"].as_str().expect("id").to_string();
    app.advance(1).await;
    let tags = app.list(&id).await["available_merge_tags"].clone();
    assert_eq!(
        tags,
        json!([
            {"merge_tag": "first_name", "csv_column": "first_name", "standard": true},
            {"merge_tag": "ward", "csv_column": "precinct", "standard": false}
        ])
    );
    app.post("/contact-lists/import", ROOT, json!({"source_url": url, "list_name": "bad map", "phone_column": "phone", "merge_tags": {"city": "Town"}}))
        .await
        .expect_error(400, "VALIDATION_ERROR");
}

#[actix_web::test]
async fn analysis_is_billed_runs_on_the_clock_and_follows_the_magic_numbers() {
    let app = spawn_app().await;
    let id = app
        .import(&app.file_url("contacts-mixed.csv"), "Phone Number")
        .await;
    app.post(&format!("/contact-lists/{id}/analyze"), ROOT, json!({}))
        .await
        .expect_error(409, "LIST_NOT_READY");
    app.get(&format!("/contact-lists/{id}/download?type=original"), ROOT)
        .await
        .expect_error(409, "LIST_NOT_READY");
    app.advance(1).await;
    let root_org = app.org_of(ROOT).await;
    let balance_before = app.sandbox.state().sim.store.read().orgs[&root_org].balance_cents;
    let started = app
        .post(&format!("/contact-lists/{id}/analyze"), ROOT, json!({}))
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let s = started.data();
    assert_eq!(s["analysis"]["status"], "processing");
    assert_eq!(s["analysis"]["numbers_queued"], 23);
    assert_eq!(s["analysis"]["estimated_completion_seconds"], 1);
    assert_eq!(s["cost_cents"], 6.9, "23 lookups at the agency's 0.3 cents");
    let again = app
        .post(&format!("/contact-lists/{id}/analyze"), ROOT, json!({}))
        .await;
    assert_eq!(again.status, 202);
    assert_eq!(again.data()["cost_cents"], 0);
    app.get(&format!("/contact-lists/{id}/download?type=analyzed"), ROOT)
        .await
        .expect_error(409, "ANALYSIS_NOT_COMPLETE");
    {
        // One ledger line today: the agency is the root, so no roll-up.
        let usage = app
            .get(
                &format!("/ledger/usage?startDate=2026-11-03&endDate=2026-11-03&organizationId={root_org}"),
                ROOT,
            )
            .await
            .data();
        let lookups: Vec<&Value> = usage["organizations"][0]["usage"]
            .as_array()
            .expect("usage")
            .iter()
            .filter(|l| l["productCode"] == "carrier_lookup")
            .collect();
        assert_eq!(lookups.len(), 1, "{usage}");
        assert_eq!(lookups[0]["quantity"], 23);
        assert_eq!(lookups[0]["totalAmount"], -0.069);
        assert_eq!(lookups[0]["unitPrice"], 0.003);
        assert_eq!(lookups[0]["transactionCount"], 1);
        let state = app.sandbox.state();
        let world = state.sim.store.read();
        assert_eq!(world.orgs[&root_org].balance_cents, balance_before - 7);
    }
    app.advance(1).await;
    let d = app.list(&id).await;
    assert_eq!(d["analysis"]["status"], "complete");
    assert_eq!(d["analysis"]["analyzed_numbers"], 23);
    let done = app
        .post(&format!("/contact-lists/{id}/analyze"), ROOT, json!({}))
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.data()["analysis"]["status"], "complete");
    assert_eq!(done.data()["cost_cents"], 0);
    // The download carries the LRN results; magic numbers answer as documented.
    let csv = app
        .get(&format!("/contact-lists/{id}/download?type=analyzed"), ROOT)
        .await;
    assert!(csv
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[0], "phone_number");
    assert_eq!(
        &header[header.len() - 6..],
        [
            "phone_type",
            "carrier",
            "is_mobile",
            "opted_out",
            "city",
            "state"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 23);
    let type_of = |phone: &str| {
        rows.iter()
            .find(|r| &r[0] == phone)
            .map(|r| r[header.len() - 6].to_string())
    };
    assert_eq!(type_of("+15005550002").as_deref(), Some("landline"));
    assert_eq!(type_of("+15005550003").as_deref(), Some("voip"));
    assert_eq!(type_of("+15005550000").as_deref(), Some("mobile"));
    assert_eq!(type_of("+15005550001"), None, "rejected at import");
    assert_eq!(type_of("+15005550009"), None, "already opted out");
    // The event that webhooks will deliver is in the log, shaped as its webhook body.
    let events = app
        .request(Method::GET, "/_sandbox/events", None, None)
        .await
        .data();
    let analyzed: Vec<&Value> = events
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["event_type"] == "contact_list.analyzed")
        .collect();
    assert_eq!(analyzed.len(), 1, "{events}");
    let event = analyzed[0];
    assert_eq!(event["id"], event["event_id"]);
    assert!(event["id"].as_str().is_some_and(|i| i.starts_with("evt_")));
    assert_eq!(event["data"]["list_id"], id.as_str());
    assert_eq!(event["data"]["analyzed_numbers"], 23);
    assert_eq!(event["data"]["breakdown"]["invalid"], 0);
}

#[actix_web::test]
async fn analysis_needs_a_balance() {
    let app = spawn_app().await;
    let key = "pc_test_SandboxZeroBalanceKey000";
    let lists = app.get("/contact-lists", key).await.data();
    let id = items(&lists)[0]["id"].as_str().expect("id").to_string();
    let body = app
        .post(&format!("/contact-lists/{id}/analyze"), key, json!({}))
        .await
        .expect_error(402, "INSUFFICIENT_BALANCE");
    assert_eq!(body["details"]["balance_cents"], 0);
    assert!(body["details"]["required_cents"].as_f64().unwrap_or(0.0) > 0.0);
    assert_eq!(
        app.get(&format!("/contact-lists/{id}"), key).await.data()["analysis"]["status"],
        "not_started"
    );
}

#[actix_web::test]
async fn original_download_has_every_clean_contact_once_in_e164() {
    let app = spawn_app().await;
    let id = app
        .import(&app.file_url("contacts-mixed.csv"), "Phone Number")
        .await;
    app.advance(1).await;
    let r = app
        .get(&format!("/contact-lists/{id}/download?type=original"), ROOT)
        .await;
    assert_eq!(r.status, 200);
    let mut reader = csv::Reader::from_reader(r.text.as_bytes());
    let phones: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[0].to_string())
        .collect();
    assert_eq!(phones.len(), 23);
    let unique: std::collections::HashSet<&String> = phones.iter().collect();
    assert_eq!(unique.len(), 23);
    assert!(phones.iter().all(|p| p.starts_with("+1") && p.len() == 12));
    app.get(&format!("/contact-lists/{id}/download"), ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get(&format!("/contact-lists/{id}/download?type=pdf"), ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
}

#[actix_web::test]
async fn lists_are_scoped_filtered_and_deletable() {
    let app = spawn_app().await;
    let id = app
        .import(&app.file_url("contacts-clean.csv"), "phone")
        .await;
    // The child key cannot see the agency's list, and cannot import into the agency.
    app.get(&format!("/contact-lists/{id}"), CHILD)
        .await
        .expect_error(404, "NOT_FOUND");
    let root_org = app.org_of(ROOT).await;
    app.post("/contact-lists/import", CHILD, json!({"source_url": app.file_url("contacts-clean.csv"), "list_name": "x", "phone_column": "phone", "organization_id": root_org}))
        .await
        .expect_error(403, "ORG_ACCESS_DENIED");
    app.get(&format!("/contact-lists?organization_id={root_org}"), CHILD)
        .await
        .expect_error(403, "ORG_ACCESS_DENIED");
    let mine = app
        .get(&format!("/contact-lists?organization_id={root_org}"), ROOT)
        .await
        .data();
    assert!(items(&mine).iter().any(|l| l["id"] == id.as_str()));
    assert!(items(&mine)
        .iter()
        .all(|l| l["org_id"] == root_org.as_str()));
    let brands = app.get("/brands", CHILD).await.data();
    let brand = items(&brands)
        .iter()
        .find(|b| b["brand_name"] == "Friends of Maria Delgado")
        .and_then(|b| b["id"].as_str())
        .expect("brand")
        .to_string();
    let by_brand = app
        .get(&format!("/contact-lists?brand_id={brand}"), ROOT)
        .await
        .data();
    assert!(!items(&by_brand).is_empty());
    assert!(items(&by_brand)
        .iter()
        .all(|l| l["brand_id"] == brand.as_str()));
    // A brand of another org than organization_id is a mismatch.
    app.post("/contact-lists/import", ROOT, json!({"source_url": app.file_url("contacts-clean.csv"), "list_name": "x", "phone_column": "phone", "organization_id": root_org, "brand_id": brand}))
        .await
        .expect_error(400, "BRAND_ORG_MISMATCH");
    app.request(
        Method::DELETE,
        &format!("/v1/contact-lists/{id}"),
        Some(CHILD),
        None,
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let deleted = app
        .request(
            Method::DELETE,
            &format!("/v1/contact-lists/{id}"),
            Some(ROOT),
            None,
        )
        .await
        .data();
    assert_eq!(
        deleted,
        json!({"list_id": id, "name": "Test list", "deleted": true})
    );
    app.get(&format!("/contact-lists/{id}"), ROOT)
        .await
        .expect_error(404, "NOT_FOUND");
    // The job that would have made it ready finds nothing and does no harm.
    app.advance(5).await;
    app.get(&format!("/contact-lists/{id}"), ROOT)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn a_large_list_imports_in_proportion_to_its_rows() {
    let app = spawn_app().await;
    let id = app
        .import(&app.file_url("contacts-100k.csv"), "phone")
        .await;
    // 100,000 rows at 5,000 rows per sandbox second.
    app.advance(10).await;
    assert_eq!(app.list(&id).await["import"]["progress"], 50);
    app.advance(10).await;
    let d = app.list(&id).await;
    assert_eq!(d["import"]["status"], "ready");
    assert_eq!(d["import"]["clean_contacts"], 100_000);
}

#[actix_web::test]
async fn analyzed_downloads_keep_original_columns_that_clash_with_added_ones() {
    let app = spawn_app().await;
    let lists = app.get("/contact-lists", ROOT).await.data();
    let franklin = items(&lists)
        .iter()
        .find(|l| l["name"] == "Franklin County Likely Voters")
        .and_then(|l| l["id"].as_str())
        .expect("seeded list")
        .to_string();
    let csv = app
        .get(
            &format!("/contact-lists/{franklin}/download?type=analyzed"),
            ROOT,
        )
        .await;
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let unique: std::collections::HashSet<&String> = header.iter().collect();
    assert_eq!(unique.len(), header.len(), "no repeated column: {header:?}");
    assert!(header.contains(&"original_city".to_string()), "{header:?}");
    assert!(header.contains(&"city".to_string()));
    let original = app
        .get(
            &format!("/contact-lists/{franklin}/download?type=original"),
            ROOT,
        )
        .await;
    assert!(
        original
            .text
            .starts_with("phone_number,phone,first_name,last_name,city,"),
        "{}",
        &original.text[..80]
    );
}
