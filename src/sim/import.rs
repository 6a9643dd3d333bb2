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

/// Most columns a file may have: in its header, and in any row (a row with a few more fields
/// than the header imports with the extra ones dropped, but never more than this many).
pub const MAX_COLUMNS: usize = 1_000;
/// Most bytes the header row may take (as spelled in the file, without its line end).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Most bytes one field may hold (its value: without enclosing quotes, `""` counting as one).
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The limits on a file's shape that [`check_shape`] enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeLimits {
    pub columns: usize,
    pub header_bytes: usize,
    pub field_bytes: usize,
}

/// What every import is held to.
pub const SHAPE_LIMITS: ShapeLimits = ShapeLimits {
    columns: MAX_COLUMNS,
    header_bytes: MAX_HEADER_BYTES,
    field_bytes: MAX_FIELD_BYTES,
};

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
        return Some(BINARY);
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
    // Past the first 4 KB too: a text head over a binary body is still binary.
    if bytes.contains(&0) {
        return Some(BINARY);
    }
    None
}

const BINARY: &str = "the file contains binary data, not CSV text";

/// Checks the file against `limits` in one pass over its bytes, before the csv reader buffers
/// any record: a record's fields and their bounds are held in memory whole, so a 40 MB header
/// line or a row of millions of commas must be refused before it is read. Splits records and
/// fields exactly as the `csv` crate does with the options [`parse`] uses (`"` quotes a field
/// that starts with it, `""` inside quotes is one quote, `\r`, `\n` or `\r\n` ends a record,
/// empty lines are skipped), and stops at the first record over a limit. The header row fails
/// as soon as it passes its byte limit, whatever follows.
pub fn check_shape(bytes: &[u8], limits: &ShapeLimits) -> Result<(), String> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum S {
        StartRecord,
        StartField,
        InField,
        InQuoted,
        QuoteInQuoted,
    }
    let too_many = |record: usize, line: usize, fields: usize| {
        if record == 0 {
            format!(
                "the header has {fields} columns, more than the limit of {} columns",
                limits.columns
            )
        } else {
            format!(
                "line {line} has {fields} fields, more than the limit of {} columns",
                limits.columns
            )
        }
    };
    let mut state = S::StartRecord;
    let mut line = 1; // of the current byte
    let mut record = 0; // index of the current record; 0 is the header
    let mut record_line = 1;
    let mut record_start = 0;
    let mut fields = 0; // fields of the current record ended so far
    let mut field_len = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if state == S::StartRecord {
            if b == b'\n' {
                line += 1;
            }
            if b == b'\n' || b == b'\r' {
                continue;
            }
            state = S::StartField;
            record_start = i;
            record_line = line;
            fields = 0;
            field_len = 0;
        }
        let (end_field, end_record) = match (state, b) {
            (S::StartField | S::InField | S::QuoteInQuoted, b',') => (true, false),
            (S::StartField | S::InField | S::QuoteInQuoted, b'\n' | b'\r') => (true, true),
            (S::StartField, b'"') => {
                state = S::InQuoted;
                (false, false)
            }
            (S::InQuoted, b'"') => {
                state = S::QuoteInQuoted;
                (false, false)
            }
            (S::QuoteInQuoted, b'"') => {
                state = S::InQuoted;
                field_len += 1;
                (false, false)
            }
            (S::InQuoted, _) => {
                field_len += 1;
                (false, false)
            }
            _ => {
                state = S::InField;
                field_len += 1;
                (false, false)
            }
        };
        if b == b'\n' {
            line += 1;
        }
        if record == 0 && !end_record && i + 1 - record_start > limits.header_bytes {
            let mut why = format!(
                "the header row is longer than {} bytes, the limit for a header row",
                limits.header_bytes
            );
            if fields > limits.columns {
                why.push_str(&format!(
                    " (and has more than {} columns, the column limit)",
                    limits.columns
                ));
            }
            return Err(why);
        }
        if field_len > limits.field_bytes {
            return Err(if record == 0 {
                format!(
                    "a header column is longer than {} bytes, the limit for one field",
                    limits.field_bytes
                )
            } else {
                format!(
                    "line {record_line} has a field longer than {} bytes, the limit for one field",
                    limits.field_bytes
                )
            });
        }
        if end_field {
            fields += 1;
            field_len = 0;
            state = S::StartField;
        }
        if end_record {
            if fields > limits.columns {
                return Err(too_many(record, record_line, fields));
            }
            record += 1;
            state = S::StartRecord;
        }
    }
    if state != S::StartRecord && fields + 1 > limits.columns {
        return Err(too_many(record, record_line, fields + 1));
    }
    Ok(())
}

/// A record over the limits that [`check_shape`] let through; never expected, but the
/// contacts must never hold such a record whatever the scan and the reader disagree on.
fn record_over_limits(record: &csv::ByteRecord, limits: &ShapeLimits) -> Option<String> {
    let line = record.position().map(|p| p.line()).unwrap_or(0);
    if record.len() > limits.columns {
        return Some(format!(
            "line {line} has {} fields, more than the limit of {} columns",
            record.len(),
            limits.columns
        ));
    }
    record
        .iter()
        .any(|f| f.len() > limits.field_bytes)
        .then(|| {
            format!(
                "line {line} has a field longer than {} bytes, the limit for one field",
                limits.field_bytes
            )
        })
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
    check_shape(bytes, &SHAPE_LIMITS).map_err(ParseError::Failed)?;
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
        if let Some(why) = record_over_limits(&record, &SHAPE_LIMITS) {
            return Err(ParseError::Failed(why));
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

    /// `phone` plus `extra` columns `c1..c<extra>`, then one phone-only row.
    fn wide(extra: usize) -> Vec<u8> {
        let mut csv = String::from("phone");
        for i in 1..=extra {
            csv.push_str(&format!(",c{i}"));
        }
        csv.push_str("\n6145550101\n");
        csv.into_bytes()
    }

    fn failure(result: Result<Parsed, ParseError>) -> String {
        match result {
            Err(ParseError::Failed(why)) => why,
            Err(other) => panic!("expected a failure, got {other:?}"),
            Ok(p) => panic!("expected a failure, parsed {} rows", p.total_rows),
        }
    }

    #[test]
    fn the_header_may_have_up_to_1000_columns() {
        let p = run(&wide(999), "phone").expect("1,000 columns is the limit");
        assert_eq!(p.contacts.headers.len(), 1000);
        let why = failure(run(&wide(1000), "phone"));
        assert!(
            why.contains("1001 columns") && why.contains("limit of 1000 columns"),
            "{why}"
        );
    }

    #[test]
    fn the_header_row_may_have_up_to_64_kib() {
        // Two columns, 65,536 bytes in all: accepted.
        let mut csv = b"phone,".to_vec();
        csv.resize(65_536, b'x');
        csv.extend_from_slice(b"\n6145550101,a\n");
        let p = run(&csv, "phone").expect("a header of exactly the limit");
        assert_eq!(p.contacts.headers[1].len(), 65_530);
        // One byte more: failed, naming the limit.
        let mut csv = b"phone,".to_vec();
        csv.resize(65_537, b'x');
        csv.extend_from_slice(b"\n6145550101,a\n");
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("header row") && why.contains("65536 bytes"),
            "{why}"
        );
    }

    #[test]
    fn a_huge_single_line_header_fails_on_its_size() {
        // 4 MB of one-byte columns and no line end: the byte limit is hit first, and the reason
        // says the column limit is exceeded as well.
        let mut csv = b"phone".to_vec();
        for _ in 0..2_000_000 {
            csv.extend_from_slice(b",c");
        }
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("header row") && why.contains("65536 bytes"),
            "{why}"
        );
        assert!(why.contains("more than 1000 columns"), "{why}");
        // A quoted newline does not end the header: still too long.
        let mut csv = b"phone,\"a\n".to_vec();
        csv.resize(100_000, b'x');
        csv.extend_from_slice(b"\"\n6145550101\n");
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("header row") && why.contains("65536 bytes"),
            "{why}"
        );
    }

    #[test]
    fn a_field_may_have_up_to_64_kib() {
        let mut field = vec![b'y'; 65_536];
        let csv = [&b"phone,note\n6145550101,"[..], &field, b"\n"].concat();
        let p = run(&csv, "phone").expect("a field of exactly the limit");
        assert_eq!(p.contacts.field(0, 1).len(), 65_536);
        // Quoted with escaped quotes: what counts is the field's value, not its spelling.
        let quoted = [
            &b"phone,note\n6145550101,\""[..],
            &b"\"\"".repeat(65_536),
            b"\"\n",
        ]
        .concat();
        let p = run(&quoted, "phone").expect("65,536 quote characters");
        assert_eq!(p.contacts.field(0, 1).len(), 65_536);
        // One byte more, in the third line: failed, naming the line and the limit.
        field.push(b'y');
        let csv = [&b"phone,note\n6145550101,a\n6145550102,"[..], &field, b"\n"].concat();
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("line 3") && why.contains("65536 bytes"),
            "{why}"
        );
        // Also in a column past the header's width, and in a row that is skipped.
        let csv = [&b"phone\nnope,"[..], &field, b"\n6145550101\n"].concat();
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("line 2") && why.contains("65536 bytes"),
            "{why}"
        );
    }

    #[test]
    fn a_data_row_may_not_have_more_fields_than_the_column_limit() {
        // A few extra fields are dropped, as ever.
        let p = run(b"phone,a\n6145550101,x,y,z\n", "phone").expect("parses");
        assert_eq!(p.contacts.stored_fields(), 2);
        assert_eq!(p.contacts.field(0, 1), "x");
        // More than 1,000 fields fail the import.
        let mut csv = b"phone\n6145550101".to_vec();
        csv.extend_from_slice(&b",".repeat(1_000));
        csv.push(b'\n');
        let why = failure(run(&csv, "phone"));
        assert!(
            why.contains("line 2 has 1001 fields") && why.contains("limit of 1000 columns"),
            "{why}"
        );
    }

    #[test]
    fn nul_bytes_anywhere_mean_binary_data() {
        let mut csv = b"phone,note\n".to_vec();
        for i in 0..600 {
            csv.extend_from_slice(format!("614555{:04},note\n", 1000 + i).as_bytes());
        }
        assert!(csv.len() > 4096);
        run(&csv, "phone").expect("text parses");
        csv.extend_from_slice(b"6145559999,\0\0\0\0\n");
        let why = failure(run(&csv, "phone"));
        assert!(why.contains("binary data"), "{why}");
    }

    #[test]
    fn phone_only_rows_under_a_wide_header_store_only_the_phone() {
        let mut csv = b"phone".to_vec();
        for i in 1..1000 {
            csv.extend_from_slice(format!(",c{i}").as_bytes());
        }
        csv.push(b'\n');
        for i in 0..100 {
            csv.extend_from_slice(format!("614555{:04}\n", 1000 + i).as_bytes());
        }
        // Trailing empty fields are not stored either.
        csv.extend_from_slice(b"6145552000,,,,,\n6145552001,,x,,\n");
        let p = run(&csv, "phone").expect("parses");
        assert_eq!(p.contacts.len(), 102);
        assert_eq!(p.contacts.stored_fields(), 100 + 1 + 3);
        assert_eq!(p.contacts.text_bytes(), 102 * 10 + 1);
        assert_eq!(p.contacts.field(0, 0), "6145551000");
        assert_eq!(p.contacts.field(0, 999), "");
        assert_eq!(p.contacts.field(101, 2), "x");
        assert_eq!(p.contacts.field(101, 3), "");
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

        /// The shape scan splits records and fields exactly as the csv reader does: with small
        /// limits, it refuses a file exactly when some record read by csv breaks one.
        #[test]
        fn the_shape_scan_agrees_with_the_csv_reader(text in "[a\",\r\n ]{0,40}") {
            let limits = ShapeLimits { columns: 3, header_bytes: usize::MAX, field_bytes: 3 };
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(text.as_bytes());
            let mut csv_refuses = false;
            for record in reader.byte_records() {
                let record = record.expect("the csv reader is lenient");
                if record_over_limits(&record, &limits).is_some() {
                    csv_refuses = true;
                    break;
                }
            }
            let scan = check_shape(text.as_bytes(), &limits);
            proptest::prop_assert_eq!(scan.is_err(), csv_refuses, "{:?}: {:?}", text, scan);
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
