//! Contact lists: their import and analysis state, the contacts themselves in a compact columnar
//! form (a 1,000,000-row list must fit in well under 400 MB), and the merge-tag rules that decide
//! which columns become which tags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::time::Millis;
use super::wire::{wire_enum, WireEnum};

wire_enum!(ImportStatus { Uploading => "uploading", Processing => "processing", Ready => "ready", Failed => "failed" });
wire_enum!(AnalysisStatus { NotStarted => "not_started", Processing => "processing", Complete => "complete", Failed => "failed" });
wire_enum!(
    /// What LRN analysis found a number to be.
    LineType { Mobile => "mobile", Landline => "landline", Voip => "voip", Invalid => "invalid" }
);

/// The standard merge-tag fields and the header spellings that map to each.
pub const STANDARD_FIELDS: &[(&str, &[&str])] = &[
    (
        "first_name",
        &["first_name", "firstname", "first", "fname", "given_name"],
    ),
    (
        "last_name",
        &[
            "last_name",
            "lastname",
            "last",
            "lname",
            "surname",
            "family_name",
        ],
    ),
    (
        "address",
        &[
            "address",
            "address_1",
            "address1",
            "street",
            "street_address",
            "address_line_1",
        ],
    ),
    (
        "address_line_2",
        &["address_line_2", "address_2", "address2", "apt", "unit"],
    ),
    ("city", &["city", "town"]),
    ("state", &["state", "st", "province"]),
    (
        "zip",
        &[
            "zip",
            "zip_code",
            "zipcode",
            "postal_code",
            "postcode",
            "zip5",
        ],
    ),
];

/// A header as a tag: lowercase, runs of anything but letters and digits become one underscore.
pub fn tag_of_header(header: &str) -> String {
    let mut out = String::new();
    let mut pending_sep = false;
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            out.extend(c.to_lowercase());
        } else {
            pending_sep = true;
        }
    }
    out
}

/// The standard field a header means, if any.
pub fn standard_field_of(header: &str) -> Option<&'static str> {
    let tag = tag_of_header(header);
    STANDARD_FIELDS
        .iter()
        .find(|(_, spellings)| spellings.contains(&tag.as_str()))
        .map(|(field, _)| *field)
}

pub fn is_standard(tag: &str) -> bool {
    STANDARD_FIELDS.iter().any(|(f, _)| *f == tag)
}

/// A merge tag offered by a list: which column it reads and whether it is a standard field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MergeTag {
    pub merge_tag: String,
    pub csv_column: String,
    pub standard: bool,
}

/// The rule of the Python SDK: without a mapping (or with one that maps nothing) every non-phone
/// column gets a tag (a standard field's tag when its header means one, else the header in
/// lowercase with underscores); with a mapping, exactly the mapped columns get tags.
pub fn auto_merge_tags(headers: &[String], phone_index: usize) -> Vec<MergeTag> {
    let mut seen = std::collections::HashSet::new();
    let mut tags = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if i == phone_index {
            continue;
        }
        let (tag, standard) = match standard_field_of(h) {
            Some(f) => (f.to_string(), true),
            None => (tag_of_header(h), false),
        };
        if tag.is_empty() || !seen.insert(tag.clone()) {
            continue;
        }
        tags.push(MergeTag {
            merge_tag: tag,
            csv_column: h.clone(),
            standard,
        });
    }
    tags
}

/// Where a list's contacts came from and how far along its import is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportState {
    pub status: ImportStatus,
    pub total_rows: Option<u64>,
    pub total_contacts: Option<u64>,
    pub clean_contacts: Option<u64>,
    pub duplicate_count: Option<u64>,
    pub bad_number_count: Option<u64>,
    pub opted_out_count: Option<u64>,
    pub processing_started_at: Option<Millis>,
    /// When processing ends (ready or failed); in the future while processing.
    pub processing_completed_at: Option<Millis>,
    pub failure_reason: Option<String>,
}

impl ImportState {
    /// 0-100 at `now`: proportional to the sandbox time elapsed of the processing window.
    pub fn progress(&self, now: Millis) -> u8 {
        match self.status {
            ImportStatus::Ready => 100,
            ImportStatus::Uploading | ImportStatus::Failed => 0,
            ImportStatus::Processing => {
                match (self.processing_started_at, self.processing_completed_at) {
                    (Some(start), Some(end)) if end > start => {
                        let done =
                            (now - start).clamp(0, end - start) as f64 / (end - start) as f64;
                        ((done * 100.0).floor() as u8).min(99)
                    }
                    _ => 0,
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisState {
    pub status: AnalysisStatus,
    pub analyzed_numbers: u64,
    /// Numbers in the run under way.
    pub queued: u64,
    pub started_at: Option<Millis>,
    pub completes_at: Option<Millis>,
}

impl Default for AnalysisState {
    fn default() -> Self {
        AnalysisState {
            status: AnalysisStatus::NotStarted,
            analyzed_numbers: 0,
            queued: 0,
            started_at: None,
            completes_at: None,
        }
    }
}

/// The clean contacts of a list, columnar: one `u64` per phone (the 11 digits of `+1...`), the
/// original row's fields in one text arena, and one byte per contact for the LRN result.
///
/// A row stores only the fields it has, up to its last non-empty one and at most the header's
/// width: a phone-only row under a 1,000-column header costs its phone text, one field offset and
/// one row offset, not 1,000 offsets. The columns a row lacks read as "" (see [`Contacts::field`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contacts {
    /// Header of the source file, in order.
    pub headers: Vec<String>,
    pub phone_column: usize,
    pub phones: Vec<u64>,
    text: String,
    /// End offset in `text` of each stored field, row after row.
    field_ends: Vec<u32>,
    /// End (exclusive) in `field_ends` of each contact's stored fields: contact `r` stores
    /// `row_ends[r] - row_ends[r - 1]` fields (`row_ends[0]` for the first), at most
    /// `headers.len()`.
    row_ends: Vec<u32>,
    /// 0 = not analyzed, else `LineType` index + 1.
    pub line_types: Vec<u8>,
}

/// An offset into the arena or the field list as stored; imports are capped far below 4 GiB.
fn offset(n: usize) -> u32 {
    n.min(u32::MAX as usize) as u32
}

impl Contacts {
    pub fn new(headers: Vec<String>, phone_column: usize) -> Self {
        Contacts {
            headers,
            phone_column,
            ..Default::default()
        }
    }

    /// Appends a contact. Fields past the header's width are dropped; trailing empty fields (and
    /// the columns a short row lacks) are not stored, and read as "".
    pub fn push<'a>(&mut self, phone: u64, fields: impl IntoIterator<Item = &'a [u8]>) {
        let width = self.headers.len();
        // Up to the last non-empty field: empty ones in between are stored (as a repeated end),
        // empty ones at the end are dropped again below.
        let mut kept = self.field_ends.len();
        for f in fields.into_iter().take(width) {
            if !f.is_empty() {
                self.text.push_str(&String::from_utf8_lossy(f));
            }
            self.field_ends.push(offset(self.text.len()));
            if !f.is_empty() {
                kept = self.field_ends.len();
            }
        }
        self.field_ends.truncate(kept);
        self.row_ends.push(offset(self.field_ends.len()));
        self.phones.push(phone);
        self.line_types.push(0);
    }

    pub fn len(&self) -> usize {
        self.phones.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phones.is_empty()
    }

    /// Field `col` of contact `row`; "" for a column the row lacks, or past the header or rows.
    pub fn field(&self, row: usize, col: usize) -> &str {
        let Some(&row_end) = self.row_ends.get(row) else {
            return "";
        };
        let row_start = match row.checked_sub(1) {
            Some(prev) => self.row_ends.get(prev).copied().unwrap_or(0),
            None => 0,
        };
        let i = row_start as usize + col;
        if i >= row_end as usize {
            return "";
        }
        let end = self.field_ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i.checked_sub(1) {
            Some(prev) => self.field_ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// Every column of contact `row`, in header order: its stored fields, then "" for the
    /// columns it lacks (`headers.len()` items; none past the rows). For renderers: one lookup
    /// of the row, not one per column.
    pub fn row(&self, row: usize) -> impl Iterator<Item = &str> + '_ {
        let width = if row < self.len() {
            self.headers.len()
        } else {
            0
        };
        let row_end = self.row_ends.get(row).copied().unwrap_or(0) as usize;
        let row_start = match row.checked_sub(1) {
            Some(prev) => self.row_ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        let stored = row_end.saturating_sub(row_start).min(width);
        (0..width).map(move |col| {
            if col >= stored {
                return "";
            }
            let i = row_start + col;
            let end = self.field_ends.get(i).copied().unwrap_or(0) as usize;
            let start = match i.checked_sub(1) {
                Some(prev) => self.field_ends.get(prev).copied().unwrap_or(0) as usize,
                None => 0,
            };
            self.text.get(start..end).unwrap_or("")
        })
    }

    /// Fields stored over all contacts (a padded layout would store `len() * headers.len()`).
    pub fn stored_fields(&self) -> usize {
        self.field_ends.len()
    }

    /// Bytes of field text stored over all contacts.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }

    pub fn line_type(&self, row: usize) -> Option<LineType> {
        match self.line_types.get(row).copied().unwrap_or(0) {
            0 => None,
            n => LineType::ALL.get(n as usize - 1).copied(),
        }
    }

    pub fn set_line_type(&mut self, row: usize, t: LineType) {
        if let Some(slot) = self.line_types.get_mut(row) {
            *slot = LineType::ALL.iter().position(|x| *x == t).unwrap_or(0) as u8 + 1;
        }
    }

    /// Approximate heap bytes, for `/_sandbox/info`.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.field_ends.capacity() * 4
            + self.row_ends.capacity() * 4
            + self.phones.capacity() * 8
            + self.line_types.capacity()
    }
}

/// `+1NXXNXXXXXX` → 1NXXNXXXXXX as an integer.
pub fn phone_to_u64(e164: &str) -> Option<u64> {
    e164.strip_prefix('+')?.parse().ok()
}

pub fn phone_from_u64(n: u64) -> String {
    format!("+{n}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactList {
    pub id: String,
    pub org_id: String,
    pub brand_id: Option<String>,
    pub name: String,
    pub created_at: Millis,
    pub imported_via_api: bool,
    pub source_url: Option<String>,
    pub import: ImportState,
    pub analysis: AnalysisState,
    pub merge_tags: Vec<MergeTag>,
    /// Shared so a download renders from a snapshot without holding the world's lock; the
    /// rare writer (analysis) copies on write if a download still holds the old one.
    pub contacts: std::sync::Arc<Contacts>,
    /// Line-type counts of the analyzed contacts.
    pub breakdown: BTreeMap<String, u64>,
}

super::registry::owned!(ContactList);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_become_tags() {
        assert_eq!(tag_of_header("  Precinct Name "), "precinct_name");
        assert_eq!(tag_of_header("Donor-Tier (2026)"), "donor_tier_2026");
        assert_eq!(tag_of_header("---"), "");
        assert_eq!(standard_field_of("First Name"), Some("first_name"));
        assert_eq!(standard_field_of("ZIP Code"), Some("zip"));
        assert_eq!(standard_field_of("Precinct"), None);
    }

    #[test]
    fn auto_tags_skip_the_phone_column_and_duplicates() {
        let headers: Vec<String> = ["Phone", "First Name", "Precinct", "precinct", "Zip"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let tags = auto_merge_tags(&headers, 0);
        let names: Vec<(&str, bool)> = tags
            .iter()
            .map(|t| (t.merge_tag.as_str(), t.standard))
            .collect();
        assert_eq!(
            names,
            [("first_name", true), ("precinct", false), ("zip", true)]
        );
        assert_eq!(tags[0].csv_column, "First Name");
    }

    #[test]
    fn contacts_store_fields_compactly_and_read_ragged_rows_as_padded() {
        let mut c = Contacts::new(vec!["phone".into(), "name".into(), "city".into()], 0);
        c.push(16145550123, [&b"614-555-0123"[..], b"Ann"]);
        c.push(
            15005550006,
            [&b"+15005550006"[..], b"Bo", b"Akron", b"extra"],
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c.field(0, 1), "Ann");
        assert_eq!(c.field(0, 2), "");
        assert_eq!(c.field(1, 2), "Akron");
        assert_eq!(c.line_type(1), None);
        c.set_line_type(1, LineType::Voip);
        assert_eq!(c.line_type(1), Some(LineType::Voip));
        assert_eq!(phone_from_u64(c.phones[1]), "+15005550006");
    }

    #[test]
    fn ragged_rows_store_only_their_own_fields() {
        let mut headers = vec!["phone".to_string()];
        headers.extend((1..1000).map(|i| format!("c{i}")));
        let mut c = Contacts::new(headers, 0);
        for i in 0..1000u64 {
            let phone = format!("614555{:04}", 1000 + i);
            c.push(16_145_550_000 + 1000 + i, [phone.as_bytes()]);
        }
        // One offset per phone, not one per header column.
        assert_eq!(c.stored_fields(), 1000);
        assert_eq!(c.text_bytes(), 1000 * 10);
        assert!(
            c.heap_bytes() < 1000 * 64,
            "{} heap bytes for 1,000 phone-only contacts",
            c.heap_bytes()
        );
        for row in [0, 1, 999] {
            assert_eq!(c.field(row, 0), format!("614555{:04}", 1000 + row));
            assert_eq!(c.field(row, 1), "");
            assert_eq!(c.field(row, 999), "");
        }
        // Beyond the header or the rows: empty, never a panic.
        assert_eq!(c.field(0, 1000), "");
        assert_eq!(c.field(1000, 0), "");
    }

    #[test]
    fn short_and_long_rows_read_like_padded_and_cut_ones() {
        let headers: Vec<String> = ["phone", "a", "b", "c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut c = Contacts::new(headers, 0);
        c.push(1, [&b"p1"[..]]);
        c.push(2, [&b"p2"[..], b"", b"B", b""]);
        c.push(3, [&b"p3"[..], b"A", b"B", b"C", b"extra", b"more"]);
        c.push(4, []);
        c.push(5, [&b""[..], b"", b"", b"C"]);
        let rows: Vec<Vec<&str>> = (0..c.len())
            .map(|r| (0..c.headers.len()).map(|col| c.field(r, col)).collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["p1", "", "", ""],
                ["p2", "", "B", ""],
                ["p3", "A", "B", "C"],
                ["", "", "", ""],
                ["", "", "", "C"],
            ]
        );
        for (r, expected) in rows.iter().enumerate() {
            assert_eq!(&c.row(r).collect::<Vec<_>>(), expected, "row {r}");
        }
        assert_eq!(c.row(5).count(), 0);
        // Trailing empty fields and fields past the header are not stored: 1 + 3 + 4 + 0 + 4.
        assert_eq!(c.stored_fields(), 12);
        let json = serde_json::to_string(&c).expect("serializes");
        let back: Contacts = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, c);
        assert_eq!(back.field(2, 3), "C");
    }

    #[test]
    fn progress_follows_the_sandbox_clock() {
        let s = ImportState {
            status: ImportStatus::Processing,
            total_rows: Some(10),
            total_contacts: None,
            clean_contacts: None,
            duplicate_count: None,
            bad_number_count: None,
            opted_out_count: None,
            processing_started_at: Some(1_000),
            processing_completed_at: Some(5_000),
            failure_reason: None,
        };
        assert_eq!(s.progress(1_000), 0);
        assert_eq!(s.progress(3_000), 50);
        assert_eq!(
            s.progress(9_000),
            99,
            "only the completion job makes it 100"
        );
    }
}
