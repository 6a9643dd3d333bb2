use serde_json::Value;

use crate::helpers::*;

async fn org_named(app: &TestApp, name: &str) -> String {
    let orgs = app.get("/organizations", ROOT).await.data();
    items(&orgs)
        .iter()
        .find(|o| o["display_name"] == name)
        .and_then(|o| o["id"].as_str())
        .expect("org exists")
        .to_string()
}

#[actix_web::test]
async fn brands_carry_tcr_fields_and_filter_by_organization() {
    let app = spawn_app().await;
    let brands = app.get("/brands", ROOT).await.data();
    assert_eq!(items(&brands).len(), 5);
    let pending = items(&brands)
        .iter()
        .find(|b| b["status"] == "PENDING")
        .expect("unregistered brand");
    assert_eq!(pending["tcr_brand_id"], Value::Null);
    let registered = items(&brands)
        .iter()
        .find(|b| b["brand_name"] == "Ohio Working Families")
        .expect("owf");
    assert!(registered["tcr_brand_id"]
        .as_str()
        .is_some_and(|t| t.starts_with('B') && t.len() == 7));
    let owf = org_named(&app, "Ohio Working Families PAC").await;
    let filtered = app
        .get(&format!("/brands?organization_id={owf}"), ROOT)
        .await
        .data();
    assert_eq!(items(&filtered).len(), 1);
    assert!(items(&filtered).iter().all(|b| b["org_id"] == owf.as_str()));
    assert_eq!(items(&filtered)[0]["org_name"], "Ohio Working Families PAC");
}

#[actix_web::test]
async fn campaigns_filter_by_organization_and_brand_together() {
    let app = spawn_app().await;
    let all = app.get("/campaigns", ROOT).await.data();
    assert_eq!(items(&all).len(), 8);
    let owf = org_named(&app, "Ohio Working Families PAC").await;
    let by_org = app
        .get(&format!("/campaigns?organization_id={owf}"), ROOT)
        .await
        .data();
    assert_eq!(items(&by_org).len(), 2);
    let brand = items(&by_org)[0]["brand_id"]
        .as_str()
        .expect("brand")
        .to_string();
    let both = app
        .get(
            &format!("/campaigns?organization_id={owf}&brand_id={brand}"),
            ROOT,
        )
        .await
        .data();
    assert_eq!(items(&both).len(), 2);
    let delgado = org_named(&app, "Friends of Maria Delgado").await;
    let mismatch = app
        .get(
            &format!("/campaigns?organization_id={delgado}&brand_id={brand}"),
            ROOT,
        )
        .await
        .data();
    assert!(items(&mismatch).is_empty(), "filters combine with AND");
    for c in items(&all) {
        for f in [
            "id",
            "name",
            "brand_id",
            "brand_name",
            "org_id",
            "org_name",
            "campaign_status",
            "created_at",
        ] {
            assert!(c[f].is_string(), "{f} missing in {c}");
        }
    }
}

#[actix_web::test]
async fn throughput_reports_metered_and_unmetered_campaigns() {
    let app = spawn_app().await;
    let campaigns = app.get("/campaigns", ROOT).await.data();
    let find = |name: &str| {
        items(&campaigns)
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["id"].as_str())
            .expect("campaign")
            .to_string()
    };
    let metered = app
        .get(
            &format!("/campaigns/{}/throughput", find("Member Updates")),
            ROOT,
        )
        .await
        .data();
    assert_eq!(metered["carrier_metered"], true);
    assert_eq!(metered["t_mobile"]["daily_cap"], 10000);
    assert_eq!(metered["t_mobile"]["used_today"], 0);
    assert_eq!(metered["t_mobile"]["remaining_today"], 10000);
    // 18:00 UTC on Nov 3 is still Nov 3 in California.
    assert_eq!(metered["t_mobile"]["pacific_day"], "2026-11-03");
    assert_eq!(metered["att"]["sms_tpm"], 240);
    assert_eq!(metered["att"]["mms_tpm"], 150);

    let political = app
        .get(
            &format!("/campaigns/{}/throughput", find("Delgado GOTV 2026")),
            ROOT,
        )
        .await
        .data();
    assert_eq!(political["carrier_metered"], false);
    assert_eq!(political["t_mobile"], Value::Null);
    assert_eq!(political["att"], Value::Null);

    // After 08:00 UTC the next day it is a new Pacific day.
    app.advance(14 * 3600).await;
    let later = app
        .get(
            &format!("/campaigns/{}/throughput", find("Member Updates")),
            ROOT,
        )
        .await
        .data();
    assert_eq!(later["t_mobile"]["pacific_day"], "2026-11-04");
}

#[actix_web::test]
async fn phone_numbers_cover_every_channel_and_owner_type_and_filters_apply() {
    let app = spawn_unlimited().await;
    let all = app.get("/phone-numbers", ROOT).await.data();
    for (param, values) in [
        ("channel", &["10dlc", "toll-free", "short-code", "rcs"][..]),
        (
            "owner_type",
            &[
                "campaign",
                "toll_free_registration",
                "short_code",
                "unassigned",
            ][..],
        ),
    ] {
        for value in values {
            let rows = app
                .get(&format!("/phone-numbers?{param}={value}"), ROOT)
                .await
                .data();
            assert!(!items(&rows).is_empty(), "no {param}={value}");
            assert!(items(&rows).iter().all(|r| r[param] == *value));
            let expected = items(&all).iter().filter(|r| r[param] == *value).count();
            assert_eq!(items(&rows).len(), expected);
        }
    }
    for r in items(&all) {
        let n = r["number"].as_str().expect("number");
        if r["channel"] != "short-code" {
            assert!(n.starts_with("+1") && n.len() == 12, "{n}");
        }
    }
    let campaign = items(&all)
        .iter()
        .find(|r| r["owner_type"] == "campaign" && r["shared"] == false)
        .expect("campaign number");
    let cid = campaign["campaign_id"].as_str().expect("id");
    let by_campaign = app
        .get(&format!("/phone-numbers?campaign_id={cid}"), ROOT)
        .await
        .data();
    assert!(items(&by_campaign).iter().all(|r| r["campaign_id"] == cid));
    let bid = campaign["brand_id"].as_str().expect("brand");
    let by_brand = app
        .get(&format!("/phone-numbers?brand_id={bid}"), ROOT)
        .await
        .data();
    assert!(!items(&by_brand).is_empty());
    assert!(items(&by_brand).iter().all(|r| r["brand_id"] == bid));
    let toll_free = app
        .get(
            "/phone-numbers?channel=toll-free&owner_type=toll_free_registration",
            ROOT,
        )
        .await
        .data();
    for r in items(&toll_free).iter().filter(|r| r["shared"] == false) {
        assert!(r["toll_free_verification_id"].is_string());
        assert!(r["tf_verification_status"].is_string());
        assert!(r["toll_free_registration_name"].is_string());
        assert_eq!(r["brand_id"], Value::Null);
    }
}

#[actix_web::test]
async fn shared_numbers_appear_for_the_descendant_under_their_nickname() {
    let app = spawn_app().await;
    let field = app.org_of(GRANDCHILD).await;
    let rows = app.get("/phone-numbers", GRANDCHILD).await.data();
    let shared: Vec<&Value> = items(&rows)
        .iter()
        .filter(|r| r["shared"] == true)
        .collect();
    assert_eq!(
        shared.len(),
        4,
        "the committee shares its four GOTV numbers"
    );
    for r in &shared {
        assert_eq!(r["nickname"], "Field HQ line");
        assert_eq!(r["org_id"], field.as_str());
        assert_eq!(r["brand_id"], Value::Null);
        assert_eq!(r["brand_name"], Value::Null);
        assert_eq!(r["campaign_name"], Value::Null);
        assert!(r["campaign_id"].is_string());
    }
    // The owner sees the same numbers as owned rows, with owner names and no nickname.
    let owned = app.get("/phone-numbers", CHILD).await.data();
    let id = shared[0]["id"].as_str().expect("id");
    let own_row = items(&owned)
        .iter()
        .find(|r| r["id"] == id && r["shared"] == false)
        .expect("owner row");
    assert_eq!(own_row["nickname"], Value::Null);
    assert!(own_row["brand_name"].is_string());
}

#[actix_web::test]
async fn toll_free_verifications_in_every_status_with_details() {
    let app = spawn_app().await;
    for status in ["draft", "In Progress", "Verified", "Rejected"] {
        let q = status.replace(' ', "%20");
        let rows = app
            .get(&format!("/toll-free-verifications?status={q}"), ROOT)
            .await
            .data();
        assert_eq!(items(&rows).len(), 1, "status {status}");
        let t = &items(&rows)[0];
        assert_eq!(t["status"], status);
        let id = t["id"].as_str().expect("id");
        let detail = app
            .get(&format!("/toll-free-verifications/{id}"), ROOT)
            .await
            .data();
        assert_eq!(
            detail["phone_number_count"],
            detail["phone_number_ids"].as_array().map_or(0, Vec::len)
        );
        assert!(detail["updated_at"].is_string());
        match status {
            "draft" => {
                assert_eq!(detail["submitted_at"], Value::Null);
                assert_eq!(detail["verification_request_id"], Value::Null);
            }
            "Verified" => {
                assert!(detail["verified_at"].is_string());
                assert_eq!(detail["phone_number_count"], 2);
            }
            "Rejected" => assert!(detail["rejection_reason"].is_string()),
            _ => assert_eq!(detail["verified_at"], Value::Null),
        }
    }
    app.get("/toll-free-verifications?status=verified", ROOT)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    app.get(
        "/toll-free-verifications/tfv_01JUNKJUNKJUNKJUNKJUNKJUNK",
        ROOT,
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn tracking_domains_are_owned_or_inherited_by_perspective() {
    let app = spawn_app().await;
    let root = app.get("/tracking-domains", ROOT).await.data();
    assert!(items(&root).iter().all(|d| d["source"] == "own"));
    assert_eq!(items(&root).len(), 3);
    for d in items(&root) {
        for f in ["id", "domain", "status", "created_at"] {
            assert!(d[f].is_string());
        }
        assert!(d.get("verified_at").is_some());
    }
    let child = app.get("/tracking-domains", CHILD).await.data();
    let sources: Vec<(&str, &str)> = items(&child)
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap_or(""),
                d["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(sources.contains(&("go.delgado2026.com", "own")));
    assert!(sources.contains(&("ks-vote.link", "inherited")));
    assert_eq!(sources.len(), 2);
    let inherited = items(&child)
        .iter()
        .find(|d| d["source"] == "inherited")
        .expect("one");
    assert_eq!(
        inherited.as_object().map(|o| o.len()),
        Some(3),
        "only id, domain, source"
    );
    let field = app.org_of(GRANDCHILD).await;
    let from_root = app
        .get(&format!("/tracking-domains?organization_id={field}"), ROOT)
        .await
        .data();
    assert_eq!(items(&from_root).len(), 2);
    assert!(items(&from_root).iter().all(|d| d["source"] == "inherited"));
}

#[actix_web::test]
async fn brands_campaigns_and_owned_domains_carry_notes() {
    let app = spawn_app().await;
    for (path, noted) in [
        ("/brands", "Aegis vetted 2025; renew Q3"),
        ("/campaigns", "Weekly appeals, Tue/Thu only"),
        ("/tracking-domains", "Agency default short domain"),
    ] {
        let rows = app.get(path, ROOT).await.data();
        let rows = items(&rows);
        assert!(rows.iter().any(|r| r["notes"] == noted), "{path}");
        for r in rows {
            if r["source"] == "inherited" {
                assert!(
                    r.get("notes").is_none(),
                    "inherited rows carry only id, domain, source"
                );
            } else {
                assert!(
                    r["notes"].is_null() || r["notes"].is_string(),
                    "{path}: {r}"
                );
            }
        }
        assert!(
            rows.iter().any(|r| r["notes"].is_null()),
            "{path}: some are unset"
        );
    }
}

#[actix_web::test]
async fn a_political_campaign_can_have_an_att_rate_and_no_t_mobile_cap() {
    let app = spawn_app().await;
    let campaigns = app.get("/campaigns", ROOT).await.data();
    let rapid = items(&campaigns)
        .iter()
        .find(|c| c["name"] == "Delgado Rapid Response")
        .expect("the seeded campaign");
    let id = rapid["id"].as_str().expect("id");
    let t = app
        .get(&format!("/campaigns/{id}/throughput"), ROOT)
        .await
        .data();
    assert_eq!(t["carrier_metered"], true);
    assert!(t["t_mobile"].is_null());
    assert_eq!(t["att"]["sms_tpm"], 60);
}
