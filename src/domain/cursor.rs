//! Keyset pages and their opaque cursors (CONTRACT §2): `/conversations`,
//! `/conversations/{id}/messages` and every `/email/*` list answer
//! `{data, has_more, next_cursor}`, newest first, `limit` 1-200 (default 50).
//!
//! Why keyset and not offset: a list ordered by time changes between two page reads (a reply
//! arrives, the clock moves), and an offset would then skip or repeat items. A position — the
//! (timestamp, id) of the last item handed out — does neither: the next page is whatever comes
//! strictly after it in (timestamp desc, id desc) order, and ids break timestamp ties.
//!
//! Why signed: a cursor is client input, and "a tampered cursor is a 400, never a 500". The
//! position is packed into bytes, an HMAC-SHA256 tag under the sandbox's key is appended, and the
//! whole is written in URL-safe base64 without padding (so it needs no escaping in a query
//! string). The decoder accepts only the canonical spelling (no stray bits in the last
//! character), so any change to a single character of a cursor changes the bytes and fails the
//! tag. The cursor also carries a digest of the query it belongs to, so a cursor replayed with
//! other filters is refused with its own sentence instead of silently paging another list.
//!
//! The query fingerprint ([`fingerprint`]) should name the endpoint, the caller's scope and the
//! filters *as the client spelled them*, not values derived from the clock: `/conversations`
//! defaults `updated_since` to now − 7 days, and in realtime mode that instant moves between two
//! page reads, which must not make the second page's cursor "belong to another query".

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::secrets::hmac;

/// `limit` when the client sends none.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest `limit` a keyset list accepts (the smallest is 1).
pub const MAX_LIMIT: usize = 200;

/// Bytes of the query digest a cursor carries: enough to tell queries apart, not a secret.
const QUERY_DIGEST_LEN: usize = 8;
/// Bytes of the HMAC tag kept (the left half, 128 bits).
const TAG_LEN: usize = 16;
/// Layout version, first byte of the packed position.
const VERSION: u8 = 1;
/// version + timestamp + query digest; the id follows, then the tag.
const HEADER_LEN: usize = 1 + 8 + QUERY_DIGEST_LEN;
/// Longer input is refused before any decoding work (ids are ~30 bytes; this allows ~2 KB).
const MAX_CURSOR_CHARS: usize = 3_000;
/// Separates the cursor's MAC from the sandbox's other uses of the same key.
const MAC_CONTEXT: &[u8] = b"pc-sandbox-cursor";

/// A place in a list ordered by (timestamp desc, id desc): the last item of a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// The item's sort timestamp (milliseconds since the epoch).
    pub at: i64,
    pub id: String,
}

impl Position {
    pub fn new(at: i64, id: impl Into<String>) -> Position {
        Position { at, id: id.into() }
    }

    /// Whether this position comes strictly before an item at (`at`, `id`), newest first: the item
    /// is older, or as old with a smaller id.
    pub fn comes_before(&self, at: i64, id: &str) -> bool {
        at < self.at || (at == self.at && id < self.id.as_str())
    }
}

/// Why a cursor was refused. Every variant is the client's doing: a 400, never a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorError {
    /// Not something this API ever issued: wrong alphabet, wrong length, unknown layout.
    Malformed,
    /// Well formed, but the tag does not match: altered, or signed under another key.
    Tampered,
    /// Genuine, but issued for a query with other filters (or another endpoint).
    OtherQuery,
}

impl fmt::Display for CursorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CursorError::Malformed => {
                "the cursor is not one this API issued; pass next_cursor exactly as received, \
                 or start again without a cursor"
            }
            CursorError::Tampered => {
                "the cursor was altered; pass next_cursor exactly as received, \
                 or start again without a cursor"
            }
            CursorError::OtherQuery => {
                "the cursor belongs to a query with other filters; repeat the filters of the \
                 request that returned it, or start again without a cursor"
            }
        })
    }
}

impl std::error::Error for CursorError {}

/// A canonical fingerprint of a query: the endpoint (with the caller's scope, if any) and its
/// filters in the order given, `None` for an absent filter. Each part is length-prefixed and an
/// absent value is a bare `-`, so no choice of values makes two different queries collide.
pub fn fingerprint(endpoint: &str, filters: &[(&str, Option<&str>)]) -> String {
    fn part(out: &mut String, s: &str) {
        out.push_str(&s.len().to_string());
        out.push(':');
        out.push_str(s);
        out.push(';');
    }
    let mut out = String::new();
    part(&mut out, endpoint);
    for (name, value) in filters {
        part(&mut out, name);
        match value {
            Some(v) => part(&mut out, v),
            None => out.push_str("-;"),
        }
    }
    out
}

fn query_digest(query_fingerprint: &str) -> [u8; QUERY_DIGEST_LEN] {
    let digest = Sha256::digest(query_fingerprint.as_bytes());
    let mut out = [0; QUERY_DIGEST_LEN];
    out.copy_from_slice(&digest[..QUERY_DIGEST_LEN]);
    out
}

fn tag(key: &[u8], body: &[u8]) -> [u8; TAG_LEN] {
    let full = hmac(key, &[MAC_CONTEXT, body]);
    let mut out = [0; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

/// Compares in time independent of where the first difference is.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The cursor for `position` in the query `query_fingerprint`, signed under `key`.
pub fn encode(key: &[u8], position: &Position, query_fingerprint: &str) -> String {
    let mut bytes = Vec::with_capacity(HEADER_LEN + position.id.len() + TAG_LEN);
    bytes.push(VERSION);
    bytes.extend_from_slice(&position.at.to_be_bytes());
    bytes.extend_from_slice(&query_digest(query_fingerprint));
    bytes.extend_from_slice(position.id.as_bytes());
    let tag = tag(key, &bytes);
    bytes.extend_from_slice(&tag);
    base64url::encode(&bytes)
}

/// The position a cursor from [`encode`] carries, if it is intact, was signed under `key` and
/// belongs to `query_fingerprint`.
pub fn decode(key: &[u8], cursor: &str, query_fingerprint: &str) -> Result<Position, CursorError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(CursorError::Malformed);
    }
    let bytes = base64url::decode(cursor).ok_or(CursorError::Malformed)?;
    if bytes.len() < HEADER_LEN + TAG_LEN {
        return Err(CursorError::Malformed);
    }
    let (body, given) = bytes.split_at(bytes.len() - TAG_LEN);
    if !same_bytes(&tag(key, body), given) {
        return Err(CursorError::Tampered);
    }
    // Past the tag, the bytes are ours; these checks guard against a future layout or a key
    // shared with another signer, not against clients.
    let (header, id) = body.split_at(HEADER_LEN);
    if header[0] != VERSION {
        return Err(CursorError::Malformed);
    }
    if !same_bytes(&header[9..], &query_digest(query_fingerprint)) {
        return Err(CursorError::OtherQuery);
    }
    let mut at = [0; 8];
    at.copy_from_slice(&header[1..9]);
    let id = std::str::from_utf8(id).map_err(|_| CursorError::Malformed)?;
    Ok(Position::new(i64::from_be_bytes(at), id))
}

/// [`decode`] for an optional `cursor` query parameter: none means the first page.
pub fn decode_param(
    key: &[u8],
    cursor: Option<&str>,
    query_fingerprint: &str,
) -> Result<Option<Position>, CursorError> {
    cursor
        .map(|c| decode(key, c, query_fingerprint))
        .transpose()
}

/// One keyset page, before its cursor is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    /// Where the next page starts: the last item's position, `None` on the last page.
    pub next: Option<Position>,
}

/// A page as `/conversations` and the `/email/*` lists answer it (inside the success envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KeysetPage<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    /// Pass it back as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `items` — sorted newest first by `sort_key` (timestamp desc, id desc) — that
    /// starts strictly after `after` (or at the top without a position): at most `limit` items,
    /// with `limit` held to 1..=[`MAX_LIMIT`]. Reads at most `limit + 1` items past the position,
    /// so `items` may be a lazy iterator over a larger collection.
    pub fn of<I, F>(items: I, limit: usize, after: Option<&Position>, sort_key: F) -> Page<T>
    where
        I: IntoIterator<Item = T>,
        F: Fn(&T) -> (i64, &str),
    {
        let limit = limit.clamp(1, MAX_LIMIT);
        let mut rest = items.into_iter().filter(|item| match after {
            None => true,
            Some(p) => {
                let (at, id) = sort_key(item);
                p.comes_before(at, id)
            }
        });
        let data: Vec<T> = rest.by_ref().take(limit).collect();
        let has_more = rest.next().is_some();
        let next = match has_more {
            true => data.last().map(|last| {
                let (at, id) = sort_key(last);
                Position::new(at, id)
            }),
            false => None,
        };
        Page {
            data,
            has_more,
            next,
        }
    }

    /// The same page with each item turned into its answer shape.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            has_more: self.has_more,
            next: self.next,
        }
    }

    /// The answer, with the next position signed into a cursor for `query_fingerprint`.
    pub fn signed(self, key: &[u8], query_fingerprint: &str) -> KeysetPage<T> {
        KeysetPage {
            next_cursor: self
                .next
                .as_ref()
                .map(|p| encode(key, p, query_fingerprint)),
            data: self.data,
            has_more: self.has_more,
        }
    }
}

/// URL-safe base64 (RFC 4648 §5) without padding, decoding only the canonical spelling.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        out
    }

    fn sextet(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }

    /// `None` for a character outside the alphabet, an impossible length (4k + 1), or a last
    /// character whose unused low bits are not zero (two spellings of the same bytes).
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let s = s.as_bytes();
        if s.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
        for chunk in s.chunks(4) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                n |= sextet(*c)? << (18 - 6 * i);
            }
            let len = chunk.len() - 1;
            if n & ((1u32 << (24 - 8 * len)) - 1) != 0 {
                return None;
            }
            out.extend((0..len).map(|i| (n >> (16 - 8 * i)) as u8));
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn matches_the_rfc_4648_vectors_without_padding() {
            let vectors = [
                ("", ""),
                ("f", "Zg"),
                ("fo", "Zm8"),
                ("foo", "Zm9v"),
                ("foob", "Zm9vYg"),
                ("fooba", "Zm9vYmE"),
                ("foobar", "Zm9vYmFy"),
            ];
            for (plain, coded) in vectors {
                assert_eq!(encode(plain.as_bytes()), coded);
                assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()));
            }
            assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        }

        #[test]
        fn refuses_other_alphabets_padding_and_stray_bits() {
            assert_eq!(decode("Zm9v+g"), None, "standard alphabet");
            assert_eq!(decode("Zg=="), None, "padding");
            assert_eq!(decode("Zm9vY"), None, "4k + 1 characters");
            assert_eq!(
                decode("Zh"),
                None,
                "'h' leaves low bits set where 'g' does not"
            );
            assert_eq!(decode("Zm9"), None);
        }
    }
}

#[cfg(test)]
mod tests;
