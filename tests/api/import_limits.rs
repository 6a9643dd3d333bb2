//! The import's limits on a file's shape, through the API: too many columns ends the list as
//! `failed` with a reason naming the limit; a wide header over short rows imports without padding
//! every row to the header's width, and its download still has every column.

use crate::helpers::*;

/// `phone` plus `extra` columns `c1..c<extra>`, then `rows` phone-only rows.
fn wide_csv(extra: usize, rows: usize) -> String {
    let mut csv = String::from("phone");
    for i in 1..=extra {
        csv.push_str(&format!(",c{i}"));
    }
    csv.push('\n');
    for i in 0..rows {
        csv.push_str(&format!("+1614555{i:04}\n"));
    }
    csv
}

#[actix_web::test]
async fn a_header_with_more_columns_than_the_limit_fails_the_import() {
    let app = spawn_app().await;
    // 1,001 columns: one over the limit.
    let url = app.host("wide-1001.csv", wide_csv(1_000, 10)).await;
    let id = app.import(&url, "phone").await;
    let d = app.list(&id).await;
    assert_eq!(d["import"]["status"], "failed", "{d}");
    let why = d["import"]["failure_reason"].as_str().expect("a reason");
    assert!(
        why.contains("1001 columns") && why.contains("limit of 1000"),
        "the reason names the count and the limit: {why}"
    );
}

#[actix_web::test]
async fn a_wide_header_over_phone_only_rows_imports_small_and_downloads() {
    let app = spawn_app().await;
    // 1,000 columns (the limit) and 5,000 phone-only rows.
    let url = app.host("wide-1000.csv", wide_csv(999, 5_000)).await;
    let id = app.import(&url, "phone").await;
    let d = app.list(&id).await;
    assert_eq!(d["import"]["status"], "processing", "{d}");
    assert_eq!(d["import"]["total_rows"], 5_000);

    // Rows are not padded to the header's width: each stores its phone field only. Padded, the
    // offsets alone took 5,000 x 1,000 x 4 bytes = 20 MB.
    {
        let world = app.sandbox.state().sim.store.read();
        let contacts = &world.contact_lists[&id].contacts;
        assert_eq!(contacts.len(), 5_000);
        assert!(
            contacts.heap_bytes() < 512 * 1024,
            "5,000 phone-only contacts take {} heap bytes",
            contacts.heap_bytes()
        );
    }

    app.advance(60).await;
    assert_eq!(app.list(&id).await["import"]["status"], "ready");
    let res = app
        .client
        .get(format!(
            "{}/v1/contact-lists/{id}/download?type=original",
            app.sandbox.url()
        ))
        .header("X-API-Key", ROOT)
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.expect("body");
    // One line per contact: the phone twice and 999 empty columns; a few MB at most.
    assert!(body.len() < 6 * 1024 * 1024, "{} bytes", body.len());
    let mut reader = csv::Reader::from_reader(&body[..]);
    let header = reader.headers().expect("header").clone();
    assert_eq!(
        header.len(),
        1_001,
        "phone_number plus the file's 1,000 columns"
    );
    assert_eq!(&header[1], "phone");
    assert_eq!(&header[1_000], "c999");
    let mut rows = 0;
    for r in reader.records() {
        let r = r.expect("row");
        assert_eq!(r.len(), 1_001);
        assert_eq!(r[0], r[1], "the phone column as imported");
        assert!(r.iter().skip(2).all(str::is_empty));
        rows += 1;
    }
    assert_eq!(rows, 5_000);
}
