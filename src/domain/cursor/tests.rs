//! The cursor's and the keyset page's tests: round trips, tampering, and paging walks.

use proptest::prelude::*;

use super::*;

const KEY: &[u8] = b"cursor-test-key";
const QUERY: &str = "conversations;include_test=false";

fn position() -> Position {
    Position::new(1_793_728_800_123, "conv_01JBZ3V6Y8Q5M2N4P7R9T1W3X5")
}

#[test]
fn a_cursor_round_trips_and_reads_as_url_safe_text() {
    let cursor = encode(KEY, &position(), QUERY);
    assert!(cursor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(decode(KEY, &cursor, QUERY), Ok(position()));
    assert_eq!(
        decode_param(KEY, Some(&cursor), QUERY),
        Ok(Some(position()))
    );
    assert_eq!(decode_param(KEY, None, QUERY), Ok(None));
}

#[test]
fn negative_and_extreme_timestamps_and_empty_ids_round_trip() {
    for at in [i64::MIN, -1, 0, i64::MAX] {
        for id in ["", "x", "msg_é"] {
            let p = Position::new(at, id);
            assert_eq!(decode(KEY, &encode(KEY, &p, QUERY), QUERY), Ok(p));
        }
    }
}

/// Exhaustive for one cursor: every position, every other character of the alphabet (including
/// the last character, whose low bits are unused and must stay zero).
#[test]
fn every_single_character_replacement_of_a_cursor_is_refused() {
    let cursor = encode(KEY, &position(), QUERY);
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for i in 0..cursor.len() {
        for c in alphabet
            .chars()
            .filter(|c| *c != char::from(cursor.as_bytes()[i]))
        {
            let mut changed = cursor.clone();
            changed.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
            assert!(decode(KEY, &changed, QUERY).is_err(), "{changed}");
        }
    }
}

#[test]
fn a_cursor_of_another_query_or_key_is_refused() {
    let cursor = encode(KEY, &position(), QUERY);
    assert_eq!(
        decode(KEY, &cursor, "conversations;include_test=true"),
        Err(CursorError::OtherQuery)
    );
    assert_eq!(
        decode(b"another key", &cursor, QUERY),
        Err(CursorError::Tampered)
    );
}

#[test]
fn garbage_is_malformed_and_never_panics() {
    for raw in [
        "",
        "a",
        "abc",
        "%%%",
        "Zm9vYmFy",
        "====",
        "🙂",
        &"A".repeat(5_000),
    ] {
        assert_eq!(
            decode(KEY, raw, QUERY),
            Err(CursorError::Malformed),
            "{raw:?}"
        );
    }
    let cursor = encode(KEY, &position(), QUERY);
    for cut in 1..=cursor.len() {
        let short = &cursor[..cursor.len() - cut];
        assert!(decode(KEY, short, QUERY).is_err(), "{short:?}");
    }
}

#[test]
fn errors_read_as_sentences_that_say_what_to_do() {
    for e in [
        CursorError::Malformed,
        CursorError::Tampered,
        CursorError::OtherQuery,
    ] {
        let text = e.to_string();
        assert!(text.starts_with("the cursor "), "{text}");
        assert!(text.contains("without a cursor"), "{text}");
    }
}

#[test]
fn fingerprints_keep_absent_empty_and_joined_values_apart() {
    let a = fingerprint("/conversations", &[("project_id", None)]);
    let b = fingerprint("/conversations", &[("project_id", Some(""))]);
    let c = fingerprint("/conversations", &[("project_id", Some("-"))]);
    let d = fingerprint("/conversations;project_id", &[]);
    let e = fingerprint("/conversations", &[("project_id", Some("a;b"))]);
    let f = fingerprint("/conversations", &[("project_id", Some("a")), ("b", None)]);
    let all = [&a, &b, &c, &d, &e, &f];
    for (i, x) in all.iter().enumerate() {
        for y in &all[i + 1..] {
            assert_ne!(x, y);
        }
    }
    assert_eq!(a, fingerprint("/conversations", &[("project_id", None)]));
}

#[derive(Debug, Clone, PartialEq)]
struct Item {
    at: i64,
    id: String,
}

/// Newest first, ids descending within a timestamp: the order the store hands out.
fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    items.dedup_by(|a, b| a.id == b.id && a.at == b.at);
    items
}

/// Every page, following signed cursors from the first page to the last.
fn walk(items: &[Item], limit: usize) -> Vec<Vec<Item>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = decode_param(KEY, cursor.as_deref(), QUERY).expect("our own cursor");
        let page = Page::of(items.iter().cloned(), limit, after.as_ref(), |i| {
            (i.at, i.id.as_str())
        })
        .signed(KEY, QUERY);
        assert_eq!(page.has_more, page.next_cursor.is_some());
        assert!(page.data.len() <= limit.clamp(1, MAX_LIMIT));
        pages.push(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() <= items.len() + 1, "paging must end");
    }
}

#[test]
fn the_first_page_takes_the_newest_and_the_last_says_no_more() {
    let items = sorted(
        (0..5)
            .map(|i| Item {
                at: i,
                id: format!("m{i}"),
            })
            .collect(),
    );
    let page = Page::of(items.iter(), 2, None, |i| (i.at, i.id.as_str()));
    assert_eq!(page.data.iter().map(|i| i.at).collect::<Vec<_>>(), [4, 3]);
    assert!(page.has_more);
    assert_eq!(page.next, Some(Position::new(3, "m3")));
    let last = Page::of(items.iter(), 2, Some(&Position::new(1, "m1")), |i| {
        (i.at, i.id.as_str())
    });
    assert_eq!(last.data.iter().map(|i| i.at).collect::<Vec<_>>(), [0]);
    assert!(!last.has_more);
    assert_eq!(last.next, None);
    let exact = Page::of(items.iter(), 5, None, |i| (i.at, i.id.as_str()));
    assert_eq!((exact.data.len(), exact.has_more), (5, false));
    let empty = Page::of(Vec::<Item>::new(), 50, None, |i| (i.at, i.id.as_str()));
    assert_eq!(
        (empty.data.len(), empty.has_more, empty.next),
        (0, false, None)
    );
}

#[test]
fn limits_are_held_to_one_through_two_hundred() {
    let items: Vec<(i64, String)> = (0..500).rev().map(|i| (i, format!("{i:03}"))).collect();
    assert_eq!(
        Page::of(&items, 0, None, |p| (p.0, p.1.as_str()))
            .data
            .len(),
        1
    );
    assert_eq!(
        Page::of(&items, 10_000, None, |p| (p.0, p.1.as_str()))
            .data
            .len(),
        MAX_LIMIT
    );
    assert_eq!(
        Page::of(&items, DEFAULT_LIMIT, None, |p| (p.0, p.1.as_str()))
            .data
            .len(),
        50
    );
}

#[test]
fn items_tied_on_time_are_split_by_id_across_pages() {
    let items = sorted(
        ["e", "d", "c", "b", "a"]
            .into_iter()
            .map(|id| Item {
                at: 7,
                id: id.into(),
            })
            .collect(),
    );
    let ids: Vec<Vec<String>> = walk(&items, 2)
        .into_iter()
        .map(|p| p.into_iter().map(|i| i.id).collect())
        .collect();
    assert_eq!(ids, [vec!["e", "d"], vec!["c", "b"], vec!["a"]]);
}

#[test]
fn a_page_ignores_items_added_above_the_position_since_the_last_read() {
    let mut items = sorted(
        (0..6)
            .map(|i| Item {
                at: i,
                id: format!("m{i}"),
            })
            .collect(),
    );
    let after = Page::of(items.iter(), 3, None, |i| (i.at, i.id.as_str())).next;
    items.insert(
        0,
        Item {
            at: 99,
            id: "new".into(),
        },
    );
    let second = Page::of(items.iter(), 3, after.as_ref(), |i| (i.at, i.id.as_str()));
    assert_eq!(
        second.data.iter().map(|i| i.at).collect::<Vec<_>>(),
        [2, 1, 0]
    );
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    // Few distinct timestamps, so ties are common.
    proptest::collection::vec((0i64..6, "[a-z0-9]{1,4}"), 0..60)
        .prop_map(|raw| sorted(raw.into_iter().map(|(at, id)| Item { at, id }).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_position_round_trips(at in any::<i64>(), id in ".{0,40}", query in ".{0,20}") {
        let p = Position::new(at, id);
        prop_assert_eq!(decode(KEY, &encode(KEY, &p, &query), &query), Ok(p));
    }

    /// Any one character replaced by any other, or one dropped or added, is refused.
    #[test]
    fn any_single_character_change_is_refused(
        at in any::<i64>(),
        id in "[a-zA-Z0-9_]{0,32}",
        index in any::<prop::sample::Index>(),
        replacement in prop_oneof![
            4 => prop::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
            ).prop_map(char::from),
            1 => any::<char>(),
        ],
    ) {
        let cursor = encode(KEY, &Position::new(at, id), QUERY);
        let i = index.index(cursor.len());
        let original = char::from(cursor.as_bytes()[i]);
        prop_assume!(replacement != original);
        let mut changed = cursor.clone();
        changed.replace_range(i..=i, replacement.encode_utf8(&mut [0; 4]));
        prop_assert!(decode(KEY, &changed, QUERY).is_err(), "{} -> {}", cursor, changed);
        let mut dropped = cursor.clone();
        dropped.remove(i);
        prop_assert!(decode(KEY, &dropped, QUERY).is_err());
        let mut added = cursor.clone();
        added.insert(i, replacement);
        prop_assert!(decode(KEY, &added, QUERY).is_err());
    }

    /// Following next_cursor from the first page visits every item exactly once, in order.
    #[test]
    fn paging_visits_every_item_once_in_order(items in items(), limit in 1usize..12) {
        let pages = walk(&items, limit);
        let last = pages.len() - 1;
        for (n, page) in pages.iter().enumerate() {
            if n < last {
                prop_assert_eq!(page.len(), limit, "only the last page may be short");
            }
        }
        let seen: Vec<Item> = pages.into_iter().flatten().collect();
        prop_assert_eq!(seen, items);
    }
}
