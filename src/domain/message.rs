//! Message text rules: merge tags and their fallback chain, how many parts a text costs (GSM-7 or
//! UCS-2), the opt-out footer, the cost estimate, and where a tracking link sends a recipient.
//! The create/PATCH handlers validate with these, the test send and the send engine render and
//! count with them, and `/_sandbox/l/{code}` redirects with them: they must agree to the
//! character, so each rule is written once, here, as a pure function of text and settings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasher;

use serde::Serialize;

use super::contacts::is_standard;
use super::ledger::round_cents;
use super::wire::wire_enum;

// ---------------------------------------------------------------------------------------------
// Merge tags
// ---------------------------------------------------------------------------------------------

/// `{link}` marks where the tracking link goes; it is not a merge tag.
pub const LINK_TAG: &str = "link";
/// The contact's own number: every contact has one, so it is always a known tag.
pub const PHONE_TAG: &str = "phone";

/// One piece of a message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `{name}` or `{name|fallback}`; `fallback` is `Some("")` for `{name|}`.
    Tag {
        name: String,
        fallback: Option<String>,
    },
    /// `{link}` (or `{link|fallback}`, whose fallback renders when the project has no link).
    Link {
        fallback: Option<String>,
    },
}

/// A message text split into literal text, merge tags and the link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

/// Tag names are what lists offer: `tag_of_header` keeps alphanumerics (any script, any case)
/// and underscores. Uppercase is accepted here so `{First_Name}` parses as a tag, and is then
/// reported unknown rather than silently matched to `first_name`.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The tag at the start of `s` (which starts with `{`): name, inline fallback, length in bytes.
/// A fallback runs to the first `}` and may hold anything but braces, so `{a|{b}}` is not a tag
/// with a tag inside: its outer brace is literal text and `{b}` is the tag.
fn tag_at(s: &str) -> Option<(&str, Option<&str>, usize)> {
    let body = s.strip_prefix('{')?;
    let name_len = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
    if name_len == 0 {
        return None;
    }
    let (name, rest) = body.split_at(name_len);
    if rest.starts_with('}') {
        return Some((name, None, name_len + 2));
    }
    let fallback = rest.strip_prefix('|')?;
    let end = fallback.find(['{', '}'])?;
    if !fallback[end..].starts_with('}') {
        return None;
    }
    Some((name, Some(&fallback[..end]), name_len + end + 3))
}

/// Splits a text into pieces. Never fails: a `{` that does not open a well-formed tag is text.
/// Linear in the text: a failed tag attempt never reads past the next brace.
pub fn parse(text: &str) -> Template {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        literal.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some((name, fallback, len)) = tag_at(rest) else {
            literal.push('{');
            rest = &rest[1..];
            continue;
        };
        if !literal.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut literal)));
        }
        let fallback = fallback.map(str::to_string);
        pieces.push(if name == LINK_TAG {
            Piece::Link { fallback }
        } else {
            Piece::Tag {
                name: name.to_string(),
                fallback,
            }
        });
        rest = &rest[len..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Template { pieces }
}

/// Where a tag's value comes from: a contact's row, a test contact's `merge_values`, an org's
/// defaults. The send engine implements it over its own row view, so no map is built per message.
pub trait MergeValues {
    fn merge_value(&self, tag: &str) -> Option<&str>;
}

impl<S: BuildHasher> MergeValues for HashMap<String, String, S> {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        self.get(tag).map(String::as_str)
    }
}

impl MergeValues for BTreeMap<String, String> {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        self.get(tag).map(String::as_str)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> MergeValues for [(K, V)] {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref() == tag)
            .map(|(_, v)| v.as_ref())
    }
}

impl<T: MergeValues + ?Sized> MergeValues for &T {
    fn merge_value(&self, tag: &str) -> Option<&str> {
        (**self).merge_value(tag)
    }
}

/// No values at all (an org without defaults, a contact with no fields).
pub struct NoValues;

impl MergeValues for NoValues {
    fn merge_value(&self, _tag: &str) -> Option<&str> {
        None
    }
}

/// The last step of the chain before empty. Only `first_name` has one: "Hi {first_name}," must
/// still read as a greeting ("Hi Friend,"); any other standard field left empty reads better as
/// nothing than as a made-up address or city.
pub fn standard_default(tag: &str) -> &'static str {
    match tag {
        "first_name" => "Friend",
        _ => "",
    }
}

/// A tag every contact can fill: a standard contact field, or `phone`.
pub fn is_standard_tag(tag: &str) -> bool {
    is_standard(tag) || tag == PHONE_TAG
}

/// A value that counts: trimmed, and not blank.
fn filled(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl Template {
    /// Distinct merge tags in order of first use, `{link}` excluded.
    pub fn tags(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Tag { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .filter(|n| seen.insert(*n))
            .collect()
    }

    pub fn has_link(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Link { .. }))
    }

    /// The text one recipient gets. Per tag, the first that applies: the contact's value (trimmed,
    /// when not blank) → the inline fallback, as written, even empty (`{tag|}` is how an author
    /// says "nothing" instead of a default) → the org's default (when not blank) → the standard
    /// default → empty. `{link}` renders `link` (when not empty), else its inline fallback.
    pub fn render(
        &self,
        values: &(impl MergeValues + ?Sized),
        org_defaults: &(impl MergeValues + ?Sized),
        link: Option<&str>,
    ) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Tag { name, fallback } => out.push_str(
                    filled(values.merge_value(name))
                        .or(fallback.as_deref())
                        .or_else(|| filled(org_defaults.merge_value(name)))
                        .unwrap_or_else(|| standard_default(name)),
                ),
                Piece::Link { fallback } => out.push_str(
                    link.filter(|l| !l.is_empty())
                        .or(fallback.as_deref())
                        .unwrap_or(""),
                ),
            }
        }
        out
    }
}

/// Distinct merge tags of `text` in order of first use, `{link}` excluded.
pub fn tags(text: &str) -> Vec<String> {
    parse(text).tags().into_iter().map(str::to_string).collect()
}

/// Tags that no attached list offers (`known`) and that are not standard: the 400 lists these.
pub fn unknown_tags(text: &str, known: &[impl AsRef<str>]) -> Vec<String> {
    tags(text)
        .into_iter()
        .filter(|t| !is_standard_tag(t) && !known.iter().any(|k| k.as_ref() == t))
        .collect()
}

/// [`Template::render`] as a free function.
pub fn render(
    template: &Template,
    values: &(impl MergeValues + ?Sized),
    org_defaults: &(impl MergeValues + ?Sized),
    link: Option<&str>,
) -> String {
    template.render(values, org_defaults, link)
}

// ---------------------------------------------------------------------------------------------
// Segments, footer, normalization, cost
// ---------------------------------------------------------------------------------------------

wire_enum!(
    /// How a text travels: GSM-7 when every character is in the GSM 03.38 tables, else UCS-2.
    Encoding { Gsm7 => "GSM-7", Ucs2 => "UCS-2" }
);

pub const GSM7_SINGLE: usize = 160;
/// Per part of a multi-part GSM-7 text (7 septets go to the concatenation header).
pub const GSM7_PART: usize = 153;
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_PART: usize = 67;

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Segments {
    pub encoding: Encoding,
    /// Characters as a person counts them (Unicode scalar values).
    pub characters: usize,
    /// What the limits count: septets (GSM-7, an extension character is 2) or UTF-16 code units.
    pub units: usize,
    /// 0 for the empty text: nothing is sent, so nothing is billed. The API counts rendered text
    /// with the footer, which is never empty once the footer is on.
    pub parts: u32,
}

/// Septets a character takes in GSM-7 (2 for the extension table's escape + code), or `None`
/// when it is not in either table. A `match`, not a table lookup, because it runs per character
/// of every message sent.
pub fn gsm_septets(c: char) -> Option<usize> {
    match c {
        '\x0C' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        '\n' | '\r' | ' '..='_' | 'a'..='z' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

pub fn is_gsm(text: &str) -> bool {
    text.chars().all(|c| gsm_septets(c).is_some())
}

/// Encoding, size and parts of `text`. Parts are packed greedily, and a character never
/// straddles two parts: an escape sequence (2 septets) or a surrogate pair (2 code units) that
/// does not fit in what is left of a part starts the next one, as handsets reassemble them.
pub fn segments(text: &str) -> Segments {
    let gsm = is_gsm(text);
    let (encoding, single, per_part) = if gsm {
        (Encoding::Gsm7, GSM7_SINGLE, GSM7_PART)
    } else {
        (Encoding::Ucs2, UCS2_SINGLE, UCS2_PART)
    };
    let cost = |c: char| match gsm {
        true => gsm_septets(c).unwrap_or(1),
        false => c.len_utf16(),
    };
    let units: usize = text.chars().map(cost).sum();
    let parts = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        let (mut parts, mut used) = (1, 0);
        for n in text.chars().map(cost) {
            if used + n > per_part {
                parts += 1;
                used = 0;
            }
            used += n;
        }
        parts
    };
    Segments {
        encoding,
        characters: text.chars().count(),
        units,
        parts,
    }
}

/// The opt-out footer, on its own line.
pub const FOOTER: &str = "\nSTOP=END";

/// The text as sent: with `"\nSTOP=END"` appended when the project's footer is on. Appended
/// as is, whatever the text ends with, so what the sender sees counted is what goes out.
pub fn with_footer(text: &str, enabled: bool) -> String {
    match enabled {
        true => format!("{text}{FOOTER}"),
        false => text.to_string(),
    }
}

/// Replaces the typographic characters phones and word processors insert, which would turn a
/// whole reply into UCS-2 (70 characters a part instead of 160): curly quotes, dashes, the
/// ellipsis and non-breaking spaces. Everything else is left alone.
pub fn normalize_gsm(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => out.push('"'),
            '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{00A0}' | '\u{202F}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// recipients × parts × rate, to hundredths of a cent like every other amount in the ledger.
pub fn estimated_cost_cents(recipients: u64, parts: u32, rate_cents: f64) -> f64 {
    round_cents(recipients as f64 * f64::from(parts) * rate_cents)
}

// ---------------------------------------------------------------------------------------------
// Tracking links
// ---------------------------------------------------------------------------------------------

wire_enum!(
    /// The body property a link setting problem is about.
    LinkField {
        DestinationUrl => "link_tracking_destination_url",
        ParamField => "link_tracking_param_field",
        FallbackUrl => "link_tracking_fallback_url",
    }
);

/// Which answer a link problem gets: the SDK names `INVALID_LINK_PLACEHOLDER` for placeholder
/// problems (and for a fallback URL outside whole-URL mode); the rest is `VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkErrorKind {
    InvalidPlaceholder,
    Validation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    pub kind: LinkErrorKind,
    pub field: LinkField,
    /// A sentence for the envelope or a `details` entry.
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LinkError {}

const PARAM_FIELD: &str = "link_tracking_param_field";
/// Longest `link_tracking_param_field` (SDK).
pub const PARAM_FIELD_MAX: usize = 64;

/// Where a project's tracking links redirect, checked once at create/PATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPlan {
    /// Everyone goes to the same URL (no param field).
    Fixed { url: String },
    /// The recipient's value, URL-encoded, replaces every `{field}` in `url`.
    Embedded { url: String, field: String },
    /// The recipient's value is appended to `url` as the query pair `field=value`.
    Appended { url: String, field: String },
    /// The URL is the recipient's `field` itself; `fallback` when it holds no http(s) URL.
    WholeUrl { field: String, fallback: String },
}

impl LinkPlan {
    /// The contact field a redirect needs, if any.
    pub fn param_field(&self) -> Option<&str> {
        match self {
            LinkPlan::Fixed { .. } => None,
            LinkPlan::Embedded { field, .. }
            | LinkPlan::Appended { field, .. }
            | LinkPlan::WholeUrl { field, .. } => Some(field),
        }
    }
}

/// An absolute http(s) URL with a host and no whitespace: what a redirect can point at.
pub fn is_http_url(s: &str) -> bool {
    let rest =
        strip_prefix_ignore_case(s, "https://").or_else(|| strip_prefix_ignore_case(s, "http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| s.get(prefix.len()..))
}

/// `scheme://{field}` and nothing else: (whether the scheme is https, the field).
fn whole_url_placeholder(url: &str) -> Option<(bool, &str)> {
    let (https, rest) = match strip_prefix_ignore_case(url, "https://") {
        Some(rest) => (true, rest),
        None => (false, strip_prefix_ignore_case(url, "http://")?),
    };
    let field = rest.strip_prefix('{')?.strip_suffix('}')?;
    (!field.contains(['{', '}'])).then_some((https, field))
}

/// The `{...}` placeholders of a URL, or `None` when a brace is left unpaired.
fn placeholders(url: &str) -> Option<Vec<&str>> {
    let mut found = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find(['{', '}']) {
        let after = rest[open..].strip_prefix('{')?;
        let close = after.find(['{', '}'])?;
        if !after[close..].starts_with('}') {
            return None;
        }
        found.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Some(found)
}

const FALLBACK_REQUIRED: &str = "link_tracking_fallback_url is required when \
    link_tracking_destination_url is a whole-URL placeholder.";
const FALLBACK_NOT_A_URL: &str = "link_tracking_fallback_url must be an http or https URL.";
const FALLBACK_NOT_ALLOWED: &str = "link_tracking_fallback_url is only allowed when \
    link_tracking_destination_url is a whole-URL placeholder such as \"https://{custom_url}\".";
const DESTINATION_NOT_A_URL: &str = "link_tracking_destination_url must be an http or https URL.";
const UNPAIRED_BRACE: &str =
    "link_tracking_destination_url has an unpaired brace; a placeholder is written {field}.";

/// How a problem names the param field it was compared with.
fn shown(param_field: Option<&str>) -> String {
    match param_field {
        Some(p) => format!("{PARAM_FIELD} (\"{p}\")"),
        None => format!("{PARAM_FIELD} (not set)"),
    }
}

/// Checks the link settings of a create or PATCH, as the SDK describes them, and says how links
/// will redirect. Every problem is returned (the contract reports a body's problems together);
/// the handler answers `INVALID_LINK_PLACEHOLDER` when any has that kind, else lists them all
/// under `VALIDATION_ERROR`. `{phone}` as a whole URL and `http://{field}` are refused as
/// placeholder problems: the SDK says "not allowed" and "exactly https://{...}" without naming a
/// code, and both are about the placeholder.
pub fn check_link_settings(
    destination: &str,
    param_field: Option<&str>,
    fallback: Option<&str>,
) -> Result<LinkPlan, Vec<LinkError>> {
    use LinkErrorKind::{InvalidPlaceholder, Validation};
    use LinkField::{DestinationUrl, FallbackUrl, ParamField};
    let mut errors = Vec::new();
    let mut refuse = |kind, field, message: &str| {
        let message = message.to_string();
        errors.push(LinkError {
            kind,
            field,
            message,
        });
    };
    if let Some(p) = param_field {
        if p.is_empty() || p.chars().count() > PARAM_FIELD_MAX {
            let message = format!("{PARAM_FIELD} must be 1-{PARAM_FIELD_MAX} characters.");
            refuse(Validation, ParamField, &message);
        } else if !p.chars().all(is_name_char) {
            let message = "link_tracking_param_field must be \"phone\" or a contact field's \
                           merge tag (letters, digits and underscores).";
            refuse(Validation, ParamField, message);
        }
    }
    let param = param_field.unwrap_or("");
    let plan = if let Some((https, field)) = whole_url_placeholder(destination) {
        let problem = if !https {
            Some(format!(
                "A whole-URL placeholder is written exactly \"https://{{{field}}}\"."
            ))
        } else if field == PHONE_TAG {
            Some("\"{phone}\" is not allowed as a whole URL.".to_string())
        } else if field != param {
            Some(format!(
                "The placeholder {{{field}}} does not match {}.",
                shown(param_field)
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            refuse(InvalidPlaceholder, DestinationUrl, &message);
        }
        match fallback {
            None => refuse(Validation, FallbackUrl, FALLBACK_REQUIRED),
            Some(f) if !is_http_url(f) => refuse(Validation, FallbackUrl, FALLBACK_NOT_A_URL),
            Some(_) => {}
        }
        LinkPlan::WholeUrl {
            field: field.to_string(),
            fallback: fallback.unwrap_or("").to_string(),
        }
    } else {
        if fallback.is_some() {
            refuse(InvalidPlaceholder, FallbackUrl, FALLBACK_NOT_ALLOWED);
        }
        if !is_http_url(destination) {
            refuse(Validation, DestinationUrl, DESTINATION_NOT_A_URL);
        }
        let found = placeholders(destination).unwrap_or_else(|| {
            refuse(InvalidPlaceholder, DestinationUrl, UNPAIRED_BRACE);
            Vec::new()
        });
        let mut seen = HashSet::new();
        let wrong: Vec<String> = found
            .iter()
            .filter(|p| **p != param && seen.insert(**p))
            .map(|p| format!("{{{p}}}"))
            .collect();
        if !wrong.is_empty() {
            let message = format!(
                "The placeholder {} does not match {}.",
                wrong.join(", "),
                shown(param_field)
            );
            refuse(InvalidPlaceholder, DestinationUrl, &message);
        }
        let (url, field) = (destination.to_string(), param.to_string());
        match param_field {
            None => LinkPlan::Fixed { url },
            Some(_) if found.is_empty() => LinkPlan::Appended { url, field },
            Some(_) => LinkPlan::Embedded { url, field },
        }
    };
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters, so a value is one query value
/// whatever it holds (`&`, `=`, `#`, spaces, non-ASCII).
pub fn percent_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    out
}

/// `url` with `key=value` added to its query, before any fragment.
fn append_query(url: &str, key: &str, value: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let sep = if !base.contains('?') {
        "?"
    } else if base.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    format!(
        "{base}{sep}{}={}{fragment}",
        percent_encode(key),
        percent_encode(value)
    )
}

/// Where one recipient's click goes, given their value of the plan's param field (trimmed).
/// An empty value leaves an embedded placeholder empty, and appends no pair at all: `field=`
/// with nothing tells the destination nothing.
pub fn redirect_target(plan: &LinkPlan, field_value: Option<&str>) -> String {
    let value = filled(field_value);
    match plan {
        LinkPlan::Fixed { url } => url.clone(),
        LinkPlan::Embedded { url, field } => url.replace(
            &format!("{{{field}}}"),
            &percent_encode(value.unwrap_or("")),
        ),
        LinkPlan::Appended { url, field } => match value {
            Some(v) => append_query(url, field, v),
            None => url.clone(),
        },
        LinkPlan::WholeUrl { fallback, .. } => match value {
            Some(v) if is_http_url(v) => v.to_string(),
            _ => fallback.clone(),
        },
    }
}

/// The short link a message carries. The code is the caller's (from the seeded rng), so the
/// same seed gives the same links.
pub fn short_link(domain: &str, code: &str) -> String {
    format!("https://{}/{code}", domain.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
