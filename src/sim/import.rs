//! Turning fetched bytes into a contact list: header, phone column, E.164 normalization, bad
//! numbers, dedupe by phone, opted-out numbers, merge tags, counters. Pure and streaming (one
//! record at a time with the `csv` crate), so it can be fuzzed and benchmarked on its own; the
//! import endpoint runs it off the async workers.

use std::collections::HashSet;

use std::sync::Arc;

use crate::domain::contacts::{
    self, AnalysisState, ContactList, Contacts, ImportState, ImportStatus, MergeTag,
};
use crate::domain::lrn::{self, Magic};
use crate::domain::phone::normalize_us;
use crate::domain::time::Millis;

/// The columns a caller mapped to merge tags (`merge_tags` of the import request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// (merge tag, csv column) pairs, standard fields first, in request order.
    pub pairs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The header has no such column: a 400 on the import request, listing what the header has.
    MissingPhoneColumn {
        phone_column: String,
        headers: Vec<String>,
    },
    /// Mapped columns the header lacks: a 400 as well.
    MissingMappedColumns {
        columns: Vec<String>,
        headers: Vec<String>,
    },
    /// Anything else ends the import as `failed` with this reason.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub contacts: Contacts,
    pub merge_tags: Vec<MergeTag>,
    pub total_rows: u64,
    pub total_contacts: u64,
    pub clean_contacts: u64,
    pub duplicate_count: u64,
    pub bad_number_count: u64,
    pub opted_out_count: u64,
}

/// Sandbox milliseconds (at least one second) processing `rows` takes at `rate` rows per second.
pub fn processing_millis(rows: u64, rate: u64) -> Millis {
    let seconds = rows.div_ceil(rate.max(1)).max(1);
    Millis::try_from(seconds.saturating_mul(1000)).unwrap_or(Millis::MAX / 4)
}

/// The import state of a file that could not be imported.
pub fn failed(reason: Option<String>, started_at: Millis, ended_at: Millis) -> ImportState {
    ImportState {
        status: ImportStatus::Failed,
        total_rows: None,
        total_contacts: None,
        clean_contacts: None,
        duplicate_count: None,
        bad_number_count: None,
        opted_out_count: None,
        processing_started_at: Some(started_at),
        processing_completed_at: Some(ended_at),
        failure_reason: reason,
    }
}

/// The import state of a parsed file: `processing` until `rows / rate` seconds have passed.
pub fn processing(p: &Parsed, started_at: Millis, rows_per_second: u64) -> ImportState {
    ImportState {
        status: ImportStatus::Processing,
        total_rows: Some(p.total_rows),
        total_contacts: Some(p.total_contacts),
        clean_contacts: Some(p.clean_contacts),
        duplicate_count: Some(p.duplicate_count),
        bad_number_count: Some(p.bad_number_count),
        opted_out_count: Some(p.opted_out_count),
        processing_started_at: Some(started_at),
        processing_completed_at: Some(
            started_at.saturating_add(processing_millis(p.total_rows, rows_per_second)),
        ),
        failure_reason: None,
    }
}

/// Processing is over at `at`: the list is ready.
pub fn finish_processing(import: &mut ImportState, at: Millis) {
    if import.status == ImportStatus::Processing {
        import.status = ImportStatus::Ready;
        import.processing_completed_at = Some(at);
    }
}

/// Who a new list belongs to and what it was made from.
pub struct NewList {
    pub id: String,
    pub org_id: String,
    pub brand_id: Option<String>,
    pub name: String,
    pub created_at: Millis,
    pub imported_via_api: bool,
    pub source_url: Option<String>,
}

/// A new list from the outcome of fetching and parsing its file: `processing` with its contacts,
/// or `failed` with the reason. When it will be ready is `import.processing_completed_at`.
pub fn new_list(
    new: NewList,
    outcome: Result<Parsed, String>,
    rows_per_second: u64,
) -> ContactList {
    let now = new.created_at;
    let (import, contacts, merge_tags) = match outcome {
        Err(reason) => (
            failed(Some(reason), now, now),
            Contacts::default(),
            Vec::new(),
        ),
        Ok(p) => (
            processing(&p, now, rows_per_second),
            p.contacts,
            p.merge_tags,
        ),
    };
    ContactList {
        id: new.id,
        org_id: new.org_id,
        brand_id: new.brand_id,
        name: new.name,
        created_at: now,
        imported_via_api: new.imported_via_api,
        source_url: new.source_url,
        import,
        analysis: AnalysisState::default(),
        merge_tags,
        contacts: Arc::new(contacts),
        breakdown: Default::default(),
    }
}

fn looks_binary(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("the file is UTF-16 encoded; save it as UTF-8 CSV");
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some("the file is a ZIP archive or an Excel workbook, not a CSV; export it as CSV");
    }
    if crate::domain::media::Kind::sniff(head).is_some() {
        return Some("the file is an image, video, audio or PDF file, not a CSV");
    }
    if head.contains(&0) {
        return Some("the file contains binary data, not CSV text");
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(256)])
        .trim_start()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || start.starts_with("<?xml")
    {
        return Some("the file is an HTML or XML page, not a CSV (is the URL a download link?)");
    }
    if start.starts_with('{') || start.starts_with('[') {
        return Some("the file is JSON, not a CSV");
    }
    None
}

fn find_column(headers: &[String], wanted: &str) -> Option<usize> {
    headers.iter().position(|h| h == wanted).or_else(|| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(wanted.trim()))
    })
}

/// Parses a CSV into a list for `phone_column`, skipping `opted_out` numbers and stopping with a
/// failure past `max_rows` data rows.
pub fn parse(
    bytes: &[u8],
    phone_column: &str,
    mapping: Option<&Mapping>,
    opted_out: &dyn Fn(u64) -> bool,
    max_rows: u64,
) -> Result<Parsed, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Failed("the file is empty".into()));
    }
    if let Some(why) = looks_binary(bytes) {
        return Err(ParseError::Failed(why.into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let headers: Vec<String> = match reader.byte_headers() {
        Ok(h) => h
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
        Err(e) => {
            return Err(ParseError::Failed(format!(
                "the header row cannot be read as CSV: {e}"
            )))
        }
    };
    let phone_index =
        find_column(&headers, phone_column).ok_or_else(|| ParseError::MissingPhoneColumn {
            phone_column: phone_column.to_string(),
            headers: headers.clone(),
        })?;
    let merge_tags = match mapping.filter(|m| !m.pairs.is_empty()) {
        None => contacts::auto_merge_tags(&headers, phone_index),
        Some(m) => {
            let missing: Vec<String> = m
                .pairs
                .iter()
                .filter(|(_, col)| find_column(&headers, col).is_none())
                .map(|(_, col)| col.clone())
                .collect();
            if !missing.is_empty() {
                return Err(ParseError::MissingMappedColumns {
                    columns: missing,
                    headers,
                });
            }
            m.pairs
                .iter()
                .map(|(tag, col)| MergeTag {
                    merge_tag: tag.clone(),
                    csv_column: headers[find_column(&headers, col).unwrap_or(0)].clone(),
                    standard: contacts::is_standard(tag),
                })
                .collect()
        }
    };

    let mut out = Parsed {
        contacts: Contacts::new(headers, phone_index),
        merge_tags,
        total_rows: 0,
        total_contacts: 0,
        clean_contacts: 0,
        duplicate_count: 0,
        bad_number_count: 0,
        opted_out_count: 0,
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(ParseError::Failed(format!(
                    "the file is not valid CSV near line {line}: {e}"
                )));
            }
        }
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        out.total_rows += 1;
        if out.total_rows > max_rows {
            return Err(ParseError::Failed(format!(
                "the file has more than {max_rows} rows, the import limit"
            )));
        }
        let raw = record.get(phone_index).unwrap_or(b"");
        let phone = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| normalize_us(s).ok())
            .and_then(|e164| contacts::phone_to_u64(&e164));
        let Some(phone) = phone.filter(|p| lrn::magic(*p) != Some(Magic::Invalid)) else {
            out.bad_number_count += 1;
            continue;
        };
        out.total_contacts += 1;
        if !seen.insert(phone) {
            out.duplicate_count += 1;
            continue;
        }
        if opted_out(phone) || lrn::magic(phone) == Some(Magic::AlreadyOptedOut) {
            out.opted_out_count += 1;
            continue;
        }
        out.contacts.push(phone, record.iter());
        out.clean_contacts += 1;
    }
    if out.total_rows == 0 {
        return Err(ParseError::Failed(
            "the file has a header row but no data rows".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &[u8], phone: &str) -> Result<Parsed, ParseError> {
        parse(csv, phone, None, &|p| p == 16_145_550_199, 1_000_000)
    }

    #[test]
    fn counts_the_mixed_sample_file() {
        let p = run(
            include_bytes!("../../fixtures/files/contacts-mixed.csv"),
            "Phone Number",
        )
        .expect("parses");
        assert_eq!(p.total_rows, 33);
        assert_eq!(
            p.bad_number_count, 6,
            "five malformed plus the magic invalid number"
        );
        assert_eq!(p.total_contacts, 27);
        assert_eq!(p.duplicate_count, 3);
        assert_eq!(p.opted_out_count, 1, "the magic already-opted-out number");
        assert_eq!(p.clean_contacts, 23);
        assert_eq!(p.contacts.len(), 23);
        let tags: Vec<&str> = p.merge_tags.iter().map(|t| t.merge_tag.as_str()).collect();
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

    #[test]
    fn counters_add_up_and_opt_outs_are_skipped() {
        let csv =
            b"phone,name\n6145550199,Opted\n614-555-0100,A\n(614) 555-0100,A again\nnope,Bad\n";
        let p = run(csv, "phone").expect("parses");
        assert_eq!(
            (
                p.total_rows,
                p.total_contacts,
                p.duplicate_count,
                p.bad_number_count,
                p.opted_out_count,
                p.clean_contacts
            ),
            (4, 3, 1, 1, 1, 1)
        );
        assert_eq!(
            p.total_contacts,
            p.clean_contacts + p.duplicate_count + p.opted_out_count
        );
        assert_eq!(p.contacts.field(0, 1), "A");
    }

    #[test]
    fn tolerates_bom_crlf_quoted_newlines_ragged_rows_and_latin1() {
        let csv = b"\xEF\xBB\xBFPhone,Note\r\n6145550101,\"two\r\nlines\"\r\n6145550102\r\n6145550103,a,b,c\r\n6145550104,caf\xE9\r\n\r\n";
        let p = run(csv, "phone").expect("parses with a case-insensitive column match");
        assert_eq!(p.total_rows, 4);
        assert_eq!(p.clean_contacts, 4);
        assert_eq!(p.contacts.field(0, 1), "two\r\nlines");
        assert_eq!(p.contacts.field(1, 1), "");
        assert_eq!(p.contacts.field(3, 1), "caf\u{FFFD}");
    }

    #[test]
    fn missing_phone_column_names_the_headers() {
        let err = run(
            include_bytes!("../../fixtures/files/contacts-no-phone-column.csv"),
            "phone",
        )
        .expect_err("no column");
        assert_eq!(
            err,
            ParseError::MissingPhoneColumn {
                phone_column: "phone".into(),
                headers: vec!["name".into(), "email".into(), "zip".into()]
            }
        );
    }

    #[test]
    fn explicit_mappings_are_used_exactly() {
        let mapping = Mapping {
            pairs: vec![
                ("first_name".into(), "Name".into()),
                ("ward".into(), "Ward".into()),
            ],
        };
        let csv = b"Phone,Name,Ward,Other\n6145550101,Ann,3,x\n";
        let p = parse(csv, "Phone", Some(&mapping), &|_| false, 10).expect("parses");
        let tags: Vec<(&str, &str, bool)> = p
            .merge_tags
            .iter()
            .map(|t| (t.merge_tag.as_str(), t.csv_column.as_str(), t.standard))
            .collect();
        assert_eq!(
            tags,
            [("first_name", "Name", true), ("ward", "Ward", false)]
        );
        let bad = Mapping {
            pairs: vec![("city".into(), "Town".into())],
        };
        assert!(matches!(
            parse(csv, "Phone", Some(&bad), &|_| false, 10),
            Err(ParseError::MissingMappedColumns { .. })
        ));
    }

    #[test]
    fn files_that_are_not_csv_fail_with_a_reason() {
        for (bytes, needle) in [
            (&b""[..], "empty"),
            (b"   \n", "empty"),
            (b"\x89PNG\r\n\x1a\n....", "image"),
            (b"<!DOCTYPE html><html>", "HTML"),
            (b"{\"phone\": 1}", "JSON"),
            (b"\xFF\xFEp\0h\0", "UTF-16"),
            (b"phone\n", "no data rows"),
        ] {
            match run(bytes, "phone") {
                Err(ParseError::Failed(why)) => assert!(why.contains(needle), "{why}"),
                other => panic!("expected a failure for {bytes:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn row_limit_is_enforced() {
        let csv = b"phone\n6145550101\n6145550102\n6145550103\n";
        match parse(csv, "phone", None, &|_| false, 2) {
            Err(ParseError::Failed(why)) => assert!(why.contains("more than 2 rows")),
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes never panic, and whatever parses keeps its counters consistent.
        #[test]
        fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let mut csv = b"phone,a,b\n".to_vec();
            csv.extend_from_slice(&data);
            if let Ok(p) = run(&csv, "phone") {
                proptest::prop_assert_eq!(p.total_rows, p.total_contacts + p.bad_number_count);
                proptest::prop_assert_eq!(p.total_contacts, p.clean_contacts + p.duplicate_count + p.opted_out_count);
                proptest::prop_assert_eq!(p.contacts.len() as u64, p.clean_contacts);
            }
        }

        /// CSV-shaped input made of plausible fields: counters always add up.
        #[test]
        fn counters_always_add_up(rows in proptest::collection::vec(
            ("[0-9()+. -]{0,16}", "[a-zA-Z\",\r\n ]{0,8}"), 1..60)) {
            let mut csv = String::from("phone,name\n");
            for (p, n) in &rows {
                csv.push_str(&format!("\"{}\",\"{}\"\n", p.replace('"', ""), n.replace('"', "\"\"")));
            }
            if let Ok(p) = run(csv.as_bytes(), "phone") {
                proptest::prop_assert_eq!(p.total_rows, p.total_contacts + p.bad_number_count);
                proptest::prop_assert_eq!(p.total_contacts, p.clean_contacts + p.duplicate_count + p.opted_out_count);
            }
        }
    }
}
