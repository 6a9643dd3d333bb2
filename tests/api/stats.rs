//! Message stats, project stats and the ledger (CONTRACT §9): every date rule at its boundary,
//! the totals' identities over random scopes, and the live counters after a send and an
//! analysis.

use rand::{RngExt, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// The default clock start is 2026-11-03T18:00:00Z: today is 2026-11-03.
const TODAY: &str = "2026-11-03";

fn day(offset: i64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).expect("a date");
    (base + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn stats(app: &TestApp, path: &str, start: &str, end: &str, extra: &str) -> Reply {
    app.get(
        &format!("{path}?startDate={start}&endDate={end}{extra}"),
        ROOT,
    )
    .await
}

fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap_or_else(|| panic!("a number: {v}")) * 1_000_000.0).round() as i64
}

#[actix_web::test]
async fn every_date_rule_holds_at_its_boundary_on_every_endpoint() {
    let app = spawn_unlimited().await;
    for (path, max_age) in [
        ("/messages/stats", 180),
        ("/ledger/usage", 180),
        ("/ledger/usage/by-initiator", 180),
        ("/projects/stats", 90),
    ] {
        // 31 days is the most; 32 is too many.
        let ok = stats(&app, path, &day(-30), TODAY, "").await;
        assert_eq!(ok.status, 200, "{path}: {}", ok.text);
        stats(&app, path, &day(-31), TODAY, "")
            .await
            .expect_error(400, "RANGE_TOO_LARGE");
        // The oldest start, and one day older.
        let oldest = stats(&app, path, &day(-max_age), &day(-max_age + 1), "").await;
        assert_eq!(oldest.status, 200, "{path}: {}", oldest.text);
        stats(&app, path, &day(-max_age - 1), &day(-max_age + 1), "")
            .await
            .expect_error(400, "RANGE_TOO_OLD");
        // Today alone, and the future (which holds nothing yet).
        assert_eq!(stats(&app, path, TODAY, TODAY, "").await.status, 200);
        assert_eq!(stats(&app, path, &day(10), &day(12), "").await.status, 200);
        // An end before the start, and dates not in YYYY-MM-DD.
        stats(&app, path, TODAY, &day(-1), "")
            .await
            .expect_error(400, "VALIDATION_ERROR");
        for bad in ["2026-11-3", "11/03/2026", "2026-02-30", "today"] {
            stats(&app, path, bad, TODAY, "")
                .await
                .expect_error(400, "INVALID_DATE_FORMAT");
        }
        app.get(&format!("{path}?endDate={TODAY}"), ROOT)
            .await
            .expect_error(400, "INVALID_DATE_FORMAT");
        // An organization outside the key's tree.
        let onboarding_org = app.org_of(ONBOARDING).await;
        stats(
            &app,
            path,
            TODAY,
            TODAY,
            &format!("&organizationId={onboarding_org}"),
        )
        .await
        .expect_error(403, "ORG_ACCESS_DENIED");
    }
    // The future holds nothing yet.
    let future = stats(&app, "/messages/stats", &day(10), &day(12), "")
        .await
        .data();
    assert_eq!(future["summary"]["totalMessages"], 0);
    assert_eq!(future["totals"], json!({}));
}

/// The identities of one scope: message totals, ledger totals, by-initiator totals.
async fn check_identities(
    app: &TestApp,
    start: &str,
    end: &str,
    org: Option<&str>,
    brand: Option<&str>,
) {
    let mut extra = String::new();
    if let Some(o) = org {
        extra.push_str(&format!("&organizationId={o}"));
    }
    let base = extra.clone();
    if let Some(b) = brand {
        extra.push_str(&format!("&brandId={b}"));
    }
    let m = stats(app, "/messages/stats", start, end, &extra)
        .await
        .data();
    let by_day: i64 = m["byDay"]
        .as_array()
        .expect("byDay")
        .iter()
        .map(|r| r["count"].as_i64().expect("count"))
        .sum();
    assert_eq!(
        m["summary"]["totalMessages"],
        json!(by_day),
        "{start}..{end} {extra}"
    );
    let breakdown: i64 = m["summary"]["statusBreakdown"]
        .as_object()
        .expect("breakdown")
        .values()
        .map(|v| v.as_i64().expect("n"))
        .sum();
    assert_eq!(breakdown, by_day);
    for (status, bucket) in m["totals"].as_object().expect("totals") {
        let rows: i64 = m["byDay"]
            .as_array()
            .expect("byDay")
            .iter()
            .filter(|r| r["status"] == status.as_str())
            .map(|r| r["count"].as_i64().expect("count"))
            .sum();
        assert_eq!(bucket["count"], json!(rows), "{status}");
        assert!(
            bucket["count"].as_i64().expect("n") > 0,
            "only statuses present"
        );
    }
    let dates: Vec<&str> = m["byDay"]
        .as_array()
        .expect("byDay")
        .iter()
        .filter_map(|r| r["date"].as_str())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    for rate in ["deliveryRate", "failureRate", "successRate"] {
        let r = m["deliveryRates"][rate].as_f64().expect("rate");
        assert!((0.0..=100.0).contains(&r));
    }
    let u = stats(app, "/ledger/usage", start, end, &extra).await.data();
    let mut total = 0;
    let mut quantity = 0;
    for o in u["organizations"].as_array().expect("orgs") {
        let lines: i64 = o["usage"]
            .as_array()
            .expect("usage")
            .iter()
            .map(|l| {
                assert!(l["unitPrice"].as_f64().expect("price") >= 0.0);
                assert!(
                    l["totalAmount"].as_f64().expect("amount") <= 0.0,
                    "charges are negative"
                );
                quantity += l["quantity"].as_u64().expect("q");
                cents(&l["totalAmount"])
            })
            .sum();
        assert_eq!(cents(&o["totalUsageAmount"]), lines);
        assert_eq!(o["payments"], json!([]));
        assert_eq!(o["adjustments"], json!([]));
        assert_eq!(o["totalPaymentAmount"], 0);
        total += lines;
    }
    assert_eq!(cents(&u["totalUsageAmount"]), total);
    assert_eq!(u["totalQuantity"], json!(quantity));
    let services: u64 = u["serviceTotals"]
        .as_object()
        .expect("services")
        .values()
        .map(|v| v.as_u64().expect("q"))
        .sum();
    assert_eq!(services, quantity);
    if brand.is_none() {
        let b = stats(app, "/ledger/usage/by-initiator", start, end, &base)
            .await
            .data();
        assert_eq!(cents(&b["totalAmount"]), total, "by-initiator = usage");
        assert_eq!(b["totalQuantity"], json!(quantity));
        let spends: Vec<i64> = b["initiators"]
            .as_array()
            .expect("initiators")
            .iter()
            .map(|i| {
                let lines: i64 = i["usage"]
                    .as_array()
                    .expect("usage")
                    .iter()
                    .map(|l| cents(&l["totalAmount"]))
                    .sum();
                assert_eq!(cents(&i["totalAmount"]), lines);
                -cents(&i["totalAmount"])
            })
            .collect();
        assert!(
            spends.windows(2).all(|w| w[0] >= w[1]),
            "largest spend first"
        );
    }
}

#[actix_web::test]
async fn the_totals_add_up_on_random_scopes() {
    let app = spawn_unlimited().await;
    let tree = app.get("/organizations", ROOT).await.data();
    let orgs: Vec<String> = items(&tree)
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect();
    let brands = app.get("/brands", ROOT).await.data();
    let brands: Vec<String> = items(&brands)
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_string())
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_103);
    for _ in 0..40 {
        let len = rng.random_range(1..=31);
        let start = rng.random_range(-180..=0_i64);
        let end = (start + len - 1).min(5);
        let org =
            (rng.random_range(0..3) > 0).then(|| orgs[rng.random_range(0..orgs.len())].clone());
        let brand = (rng.random_range(0..4) == 0)
            .then(|| brands[rng.random_range(0..brands.len())].clone());
        check_identities(
            &app,
            &day(start),
            &day(end),
            org.as_deref(),
            brand.as_deref(),
        )
        .await;
    }
}

#[actix_web::test]
async fn a_send_and_an_analysis_add_to_todays_counters_and_actual_cost_is_the_ledger_charge() {
    let app = spawn_unlimited().await;
    let child = app.org_of(CHILD).await;
    let q = format!("&organizationId={child}");
    let before = stats(&app, "/messages/stats", TODAY, TODAY, &q)
        .await
        .data();
    let usage_before = stats(&app, "/ledger/usage", TODAY, TODAY, &q).await.data();
    // An analysis adds carrier lookups today.
    let list = app
        .post(
            "/contact-lists/import",
            CHILD,
            json!({"source_url": app.file_url("contacts-mixed.csv"), "list_name": "stats", "phone_column": "Phone Number", "organization_id": child}),
        )
        .await
        .data()["list_id"]
        .as_str()
        .expect("id")
        .to_string();
    app.advance(10).await;
    let r = app
        .post(&format!("/contact-lists/{list}/analyze"), CHILD, json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    app.advance(60).await;
    let lookups = |u: &Value| -> u64 {
        u["organizations"]
            .as_array()
            .expect("orgs")
            .iter()
            .filter(|o| o["organizationId"] == child.as_str())
            .flat_map(|o| o["usage"].as_array().expect("usage").clone())
            .filter(|l| l["productCode"] == "carrier_lookup")
            .map(|l| l["quantity"].as_u64().expect("q"))
            .sum()
    };
    let analyzed = app.list(&list).await["analysis"]["analyzed_numbers"]
        .as_u64()
        .expect("analyzed");
    let usage_mid = stats(&app, "/ledger/usage", TODAY, TODAY, &q).await.data();
    assert_eq!(lookups(&usage_mid), lookups(&usage_before) + analyzed);
    // A send over the list.
    let campaigns = app
        .get(&format!("/campaigns?organization_id={child}"), CHILD)
        .await
        .data();
    let numbers = app.get("/phone-numbers?channel=10dlc", CHILD).await.data();
    let projects = app.get("/projects", CHILD).await.data();
    let mut held = Vec::new();
    for p in items(&projects) {
        if ["scheduled", "sending", "paused"].contains(&p["status"].as_str().unwrap_or("")) {
            let d = app
                .get(
                    &format!("/projects/{}", p["id"].as_str().expect("id")),
                    CHILD,
                )
                .await
                .data();
            held.extend(
                d["phone_number_ids"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .cloned(),
            );
        }
    }
    let (campaign, number) = items(&campaigns)
        .iter()
        .filter(|c| c["org_id"] == child.as_str())
        .find_map(|c| {
            items(&numbers)
                .iter()
                .find(|n| {
                    n["campaign_id"] == c["id"]
                        && n["org_id"] == child.as_str()
                        && n["status"] == "active"
                        && !held.contains(&n["id"])
                })
                .map(|n| (c.clone(), n["id"].clone()))
        })
        .expect("a campaign with a free number");
    let created = app
        .post(
            "/projects",
            CHILD,
            json!({
                "organization_id": child, "brand_id": campaign["brand_id"], "campaign_id": campaign["id"],
                "phone_number_ids": [number], "contact_list_ids": [list], "name": "Stats send",
                "protocol": "sms", "message_text": "Polls close at 7:30pm tonight.",
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let project = created.data()["id"].as_str().expect("id").to_string();
    let now = app.control(Method::GET, "/clock", None).await.data()["now"].clone();
    let s = app
        .post(
            &format!("/projects/{project}/schedule"),
            CHILD,
            json!({"scheduled_at": now, "scheduled_timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    app.advance(3600).await;
    let metrics = app
        .get(&format!("/projects/{project}/stats"), CHILD)
        .await
        .data()["metrics"]
        .clone();
    let after = stats(&app, "/messages/stats", TODAY, TODAY, &q)
        .await
        .data();
    let count = |m: &Value, status: &str| m["totals"][status]["count"].as_i64().unwrap_or(0);
    assert_eq!(
        count(&after, "delivered") - count(&before, "delivered"),
        metrics["delivered"].as_i64().expect("delivered")
    );
    assert_eq!(
        count(&after, "failed") - count(&before, "failed"),
        metrics["undeliverable"].as_i64().expect("failed")
    );
    assert!(
        count(&after, "received") - count(&before, "received")
            >= metrics["replies"].as_i64().expect("replies")
    );
    assert!(after["summary"]["projectCount"].as_u64() >= Some(1));
    // actual_cost is what the project's own organization was charged: today's sms lines of its
    // campaign (no other project of that campaign sends today).
    let cq = format!(
        "&organizationId={child}&campaignId={}",
        campaign["id"].as_str().expect("id")
    );
    let charged = stats(&app, "/ledger/usage", TODAY, TODAY, &cq).await.data();
    let sms: i64 = charged["organizations"]
        .as_array()
        .expect("orgs")
        .iter()
        .flat_map(|o| o["usage"].as_array().expect("usage").clone())
        .filter(|l| l["productCode"] == "sms")
        .map(|l| cents(&l["totalAmount"]))
        .sum();
    let ps = stats(
        &app,
        "/projects/stats",
        TODAY,
        TODAY,
        &format!(
            "&campaignId={}&status=completed",
            campaign["id"].as_str().expect("id")
        ),
    )
    .await
    .data();
    let row = ps["projects"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == project.as_str())
        .expect("the project's row")
        .clone();
    let actual: f64 = row["actual_cost"]
        .as_str()
        .expect("a string")
        .parse()
        .expect("numeric");
    assert!(row["actual_cost"]
        .as_str()
        .is_some_and(|s| s.split('.').nth(1).is_some_and(|d| d.len() == 4)));
    assert_eq!(-((actual * 1_000_000.0).round() as i64), sms, "{row}");
    assert!(sms < 0);
    assert_eq!(row["messages_delivered"], metrics["delivered"]);
    assert_eq!(row["messages_sent"], metrics["sent"]);
}

#[actix_web::test]
async fn project_stats_filter_by_status_and_page_by_offset() {
    let app = spawn_unlimited().await;
    let all = stats(&app, "/projects/stats", &day(-30), TODAY, "")
        .await
        .data();
    let total = all["pagination"]["totalCount"].as_u64().expect("total");
    assert!(total >= 4, "{all}");
    assert_eq!(all["summary"]["totalProjects"], json!(total));
    let breakdown = all["summary"]["statusBreakdown"]
        .as_object()
        .expect("breakdown");
    let sum: u64 = breakdown.values().map(|v| v.as_u64().expect("n")).sum();
    assert_eq!(sum, total);
    let active = stats(&app, "/projects/stats", &day(-30), TODAY, "&status=active")
        .await
        .data();
    for r in active["projects"].as_array().expect("rows") {
        assert!(
            ["scheduled", "sending"].contains(&r["status"].as_str().unwrap_or("")),
            "{r}"
        );
    }
    let expected_active = breakdown
        .get("scheduled")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        + breakdown
            .get("sending")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    assert_eq!(active["pagination"]["totalCount"], json!(expected_active));
    // Pages of 2 visit every row once.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = stats(
            &app,
            "/projects/stats",
            &day(-30),
            TODAY,
            &format!("&limit=2&offset={offset}"),
        )
        .await
        .data();
        let rows = page["projects"].as_array().expect("rows").clone();
        seen.extend(rows.iter().map(|r| r["id"].clone()));
        assert_eq!(page["pagination"]["limit"], 2);
        assert_eq!(page["pagination"]["offset"], json!(offset));
        if page["pagination"]["hasMore"] != true {
            break;
        }
        offset += 2;
    }
    let everyone: Vec<Value> = all["projects"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(seen, everyone);
    for bad in [
        "&limit=0",
        "&limit=1001",
        "&offset=-1",
        "&status=sideways",
        "&limit=ten",
    ] {
        stats(&app, "/projects/stats", &day(-3), TODAY, bad)
            .await
            .expect_error(400, "VALIDATION_ERROR");
    }
    // A brand filter outside the tree gives nothing, not an error.
    let none = stats(
        &app,
        "/projects/stats",
        &day(-3),
        TODAY,
        "&brandId=brand_nope",
    )
    .await
    .data();
    assert_eq!(none["projects"], json!([]));
}
