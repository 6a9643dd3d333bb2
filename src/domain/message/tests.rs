use super::*;

fn text(s: &str) -> Piece {
    Piece::Text(s.to_string())
}

fn tag(name: &str, fallback: Option<&str>) -> Piece {
    Piece::Tag {
        name: name.to_string(),
        fallback: fallback.map(str::to_string),
    }
}

fn link() -> Piece {
    Piece::Link { fallback: None }
}

#[test]
fn tags_with_and_without_inline_fallbacks_parse() {
    assert_eq!(
        parse("Hi {first_name|there}, vote in {precinct}! {link}").pieces,
        [
            text("Hi "),
            tag("first_name", Some("there")),
            text(", vote in "),
            tag("precinct", None),
            text("! "),
            link(),
        ]
    );
    // Everything after the first bar is the fallback, spaces and bars included.
    assert_eq!(parse("{a|b|c }").pieces, [tag("a", Some("b|c "))]);
    assert_eq!(parse("{first_name|}").pieces, [tag("first_name", Some(""))]);
    assert_eq!(
        parse("{link|see site}").pieces,
        [Piece::Link {
            fallback: Some("see site".into())
        }]
    );
    // Names as lists make them (any script), and as people type them.
    assert_eq!(parse("{prénom}").pieces, [tag("prénom", None)]);
    assert_eq!(parse("{First_Name}").pieces, [tag("First_Name", None)]);
    assert_eq!(parse("{LINK}").pieces, [tag("LINK", None)]);
}

#[test]
fn braces_that_do_not_make_a_tag_are_text() {
    for literal in [
        "{ not a tag }",
        "{}",
        "{|x}",
        "{first_name",
        "{first_name|there",
        "{first name}",
        "a } b",
        "{first_name }",
        "",
    ] {
        let pieces = parse(literal).pieces;
        let expected: Vec<Piece> = match literal {
            "" => vec![],
            _ => vec![text(literal)],
        };
        assert_eq!(pieces, expected, "{literal:?}");
    }
    // Nested or doubled braces: the innermost well-formed tag wins, the rest is text.
    assert_eq!(
        parse("{{first_name}}").pieces,
        [text("{"), tag("first_name", None), text("}")]
    );
    assert_eq!(
        parse("{a|{b}}").pieces,
        [text("{a|"), tag("b", None), text("}")]
    );
    assert_eq!(
        parse("{unclosed {city}").pieces,
        [text("{unclosed "), tag("city", None)]
    );
}

#[test]
fn tags_are_distinct_in_order_without_the_link() {
    let t = "{zip} {first_name} {link} {zip|00000} {precinct}";
    assert_eq!(tags(t), ["zip", "first_name", "precinct"]);
    assert!(parse(t).has_link());
    assert!(!parse("{links}").has_link());
}

#[test]
fn unknown_tags_are_those_no_list_offers_and_not_standard() {
    let t = "{first_name} {phone} {address_line_2} {precinct} {donor_tier} {link} {First_Name}";
    assert_eq!(unknown_tags(t, &["precinct"]), ["donor_tier", "First_Name"]);
    assert_eq!(
        unknown_tags(t, &[String::from("donor_tier"), "First_Name".into()]),
        ["precinct"]
    );
    assert!(unknown_tags("no tags at all", &[] as &[&str]).is_empty());
}

#[test]
fn the_fallback_chain_runs_contact_inline_org_standard_empty() {
    let t = parse("{first_name|there}/{first_name}/{city}/{city|}/{zip}/{nickname}");
    let org = [("city", "Columbus"), ("zip", "  ")];
    // The contact's value wins (trimmed).
    let ann = [("first_name", " Ann "), ("city", "Akron"), ("zip", "43215")];
    assert_eq!(
        t.render(&ann[..], &org[..], None),
        "Ann/Ann/Akron/Akron/43215/"
    );
    // Blank values fall through: inline, then the org default, then the standard default;
    // `{city|}` stops at its empty inline fallback; a blank org default is no default.
    let blank = [("first_name", "  "), ("city", "")];
    assert_eq!(
        t.render(&blank[..], &org[..], None),
        "there/Friend/Columbus///"
    );
    assert_eq!(t.render(&NoValues, &NoValues, None), "there/Friend////");
    let mut map = HashMap::new();
    map.insert("nickname".to_string(), "Al".to_string());
    assert!(render(&t, &map, &NoValues, None).ends_with("/Al"));
    assert_eq!(standard_default("last_name"), "");
}

#[test]
fn the_link_renders_as_given_or_falls_back() {
    let t = parse("Go {link} or {link|our site}");
    assert_eq!(
        t.render(&NoValues, &NoValues, Some("https://t.co/abc")),
        "Go https://t.co/abc or https://t.co/abc"
    );
    assert_eq!(t.render(&NoValues, &NoValues, None), "Go  or our site");
    assert_eq!(t.render(&NoValues, &NoValues, Some("")), "Go  or our site");
}

#[test]
fn every_gsm_basic_character_is_one_septet_and_extensions_two() {
    let basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                 ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    assert_eq!(basic.chars().count(), 127, "128 codes less the escape");
    for c in basic.chars() {
        assert_eq!(gsm_septets(c), Some(1), "{c:?}");
    }
    for c in "\x0C^{}\\[~]|€".chars() {
        assert_eq!(gsm_septets(c), Some(2), "{c:?}");
    }
    for c in ['`', '\t', 'ç', 'á', '’', '😀', 'ж'] {
        assert_eq!(gsm_septets(c), None, "{c:?}");
    }
}

fn parts(s: &str) -> u32 {
    segments(s).parts
}

#[test]
fn gsm_texts_fit_160_alone_and_153_a_part() {
    assert_eq!(parts(&"a".repeat(160)), 1);
    assert_eq!(parts(&"a".repeat(161)), 2);
    assert_eq!(parts(&"a".repeat(306)), 2);
    assert_eq!(parts(&"a".repeat(307)), 3);
    let s = segments(&"a".repeat(161));
    assert_eq!(
        (s.encoding, s.characters, s.units),
        (Encoding::Gsm7, 161, 161)
    );
    assert_eq!(
        segments(""),
        Segments {
            encoding: Encoding::Gsm7,
            characters: 0,
            units: 0,
            parts: 0
        }
    );
}

#[test]
fn extension_characters_count_two_and_never_straddle_parts() {
    let euros = segments(&"€".repeat(80));
    assert_eq!((euros.characters, euros.units, euros.parts), (80, 160, 1));
    assert_eq!(parts(&"€".repeat(81)), 2);
    // 152 + 2 + 152 = 306 septets would be 2 parts if the escape could be cut; it moves whole
    // to part 2 (2 + 151), leaving one septet for part 3.
    let t = format!("{}€{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(segments(&t).units, 306);
    assert_eq!(parts(&t), 3);
    let fits = format!("{}€{}", "a".repeat(151), "a".repeat(153));
    assert_eq!(parts(&fits), 2);
}

#[test]
fn ucs2_texts_fit_70_alone_and_67_a_part() {
    assert_eq!(parts(&"ж".repeat(70)), 1);
    assert_eq!(parts(&"ж".repeat(71)), 2);
    assert_eq!(parts(&"ж".repeat(134)), 2);
    assert_eq!(parts(&"ж".repeat(135)), 3);
    // One non-GSM character makes the whole text UCS-2.
    let mixed = format!("{}’", "a".repeat(69));
    assert_eq!(segments(&mixed).encoding, Encoding::Ucs2);
    assert_eq!(parts(&format!("{}’", "a".repeat(70))), 2);
}

#[test]
fn a_surrogate_pair_moves_whole_to_the_next_part() {
    let emoji = segments(&"😀".repeat(35));
    assert_eq!((emoji.characters, emoji.units, emoji.parts), (35, 70, 1));
    // 66 + 2 + 66 = 134 units: 2 parts if the pair could be cut; it is not, so 3.
    let t = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
    assert_eq!(segments(&t).units, 134);
    assert_eq!(parts(&t), 3);
    let fits = format!("{}😀{}", "ж".repeat(65), "ж".repeat(67));
    assert_eq!(parts(&fits), 2);
}

#[test]
fn the_footer_is_its_own_line_and_counts() {
    assert_eq!(with_footer("Vote!", true), "Vote!\nSTOP=END");
    assert_eq!(with_footer("Vote!", false), "Vote!");
    assert_eq!(parts(&with_footer(&"a".repeat(151), true)), 1);
    assert_eq!(parts(&with_footer(&"a".repeat(152), true)), 2);
    assert_eq!(parts(&with_footer(&"ж".repeat(61), true)), 1);
    assert_eq!(parts(&with_footer(&"ж".repeat(62), true)), 2);
}

#[test]
fn typographic_characters_normalize_to_gsm() {
    let n = normalize_gsm("‘Hi’ “there” – a—b… see\u{a0}you");
    assert_eq!(n, "'Hi' \"there\" - a-b... see you");
    assert!(is_gsm(&n));
    assert_eq!(normalize_gsm("ж😀 plain"), "ж😀 plain");
}

#[test]
fn cost_is_recipients_times_parts_times_rate_to_a_hundredth_of_a_cent() {
    assert_eq!(estimated_cost_cents(1000, 2, 1.5), 3000.0);
    assert_eq!(estimated_cost_cents(3, 1, 0.333), 1.0);
    assert_eq!(estimated_cost_cents(7, 3, 1.2345), 25.92);
    assert_eq!(estimated_cost_cents(0, 3, 2.0), 0.0);
}

fn plan(dest: &str, field: Option<&str>, fallback: Option<&str>) -> LinkPlan {
    check_link_settings(dest, field, fallback).expect("valid link settings")
}

fn refusal(
    dest: &str,
    field: Option<&str>,
    fallback: Option<&str>,
) -> Vec<(LinkErrorKind, LinkField)> {
    check_link_settings(dest, field, fallback)
        .expect_err("refused")
        .into_iter()
        .map(|e| (e.kind, e.field))
        .collect()
}

use LinkErrorKind::{InvalidPlaceholder, Validation};
use LinkField::{DestinationUrl, FallbackUrl, ParamField};

#[test]
fn a_matching_placeholder_embeds_the_encoded_value_once_per_occurrence() {
    let p = plan(
        "https://test.com?utm_content=xyzd_{linkid}",
        Some("linkid"),
        None,
    );
    assert_eq!(p.param_field(), Some("linkid"));
    assert_eq!(
        redirect_target(&p, Some("ABC123")),
        "https://test.com?utm_content=xyzd_ABC123"
    );
    assert_eq!(
        redirect_target(&p, Some("a b&c=d/é")),
        "https://test.com?utm_content=xyzd_a%20b%26c%3Dd%2F%C3%A9"
    );
    assert_eq!(
        redirect_target(&p, None),
        "https://test.com?utm_content=xyzd_"
    );
    let twice = plan("https://x.org/{phone}?p={phone}", Some("phone"), None);
    assert_eq!(
        redirect_target(&twice, Some("+16145550123")),
        "https://x.org/%2B16145550123?p=%2B16145550123"
    );
}

#[test]
fn a_placeholder_that_is_not_the_param_field_is_invalid_link_placeholder() {
    assert_eq!(
        refusal("https://test.com?c={linkid}", Some("precinct"), None),
        [(InvalidPlaceholder, DestinationUrl)]
    );
    assert_eq!(
        refusal("https://test.com?c={linkid}", None, None),
        [(InvalidPlaceholder, DestinationUrl)]
    );
    assert_eq!(
        refusal("https://test.com?c={linkid&x=1", Some("linkid"), None),
        [(InvalidPlaceholder, DestinationUrl)]
    );
    let errors =
        check_link_settings("https://t.com/{a}/{b}/{a}", Some("c"), None).expect_err("refused");
    assert_eq!(
        errors[0].message,
        "The placeholder {a}, {b} does not match link_tracking_param_field (\"c\")."
    );
}

#[test]
fn without_a_placeholder_the_param_is_appended_as_its_own_pair() {
    let p = plan("https://test.com/join", Some("precinct"), None);
    assert_eq!(
        redirect_target(&p, Some("12 B")),
        "https://test.com/join?precinct=12%20B"
    );
    let q = plan("https://test.com/join?src=sms#form", Some("phone"), None);
    assert_eq!(
        redirect_target(&q, Some("+16145550123")),
        "https://test.com/join?src=sms&phone=%2B16145550123#form"
    );
    let open = plan("https://test.com/?", Some("zip"), None);
    assert_eq!(
        redirect_target(&open, Some("43215")),
        "https://test.com/?zip=43215"
    );
    // No value, no pair.
    assert_eq!(redirect_target(&p, Some("  ")), "https://test.com/join");
    // No param field: everyone goes to the same place.
    let fixed = plan("https://test.com/join", None, None);
    assert_eq!(fixed.param_field(), None);
    assert_eq!(redirect_target(&fixed, Some("x")), "https://test.com/join");
}

#[test]
fn a_whole_url_placeholder_redirects_to_the_contacts_url_or_the_fallback() {
    let p = plan(
        "https://{custom_url}",
        Some("custom_url"),
        Some("https://site.org"),
    );
    assert_eq!(p.param_field(), Some("custom_url"));
    assert_eq!(
        redirect_target(&p, Some(" https://donate.org/ann?x=1 ")),
        "https://donate.org/ann?x=1"
    );
    for not_a_url in [
        None,
        Some(""),
        Some("donate.org"),
        Some("ftp://x"),
        Some("https://"),
        Some("https://a b"),
    ] {
        assert_eq!(
            redirect_target(&p, not_a_url),
            "https://site.org",
            "{not_a_url:?}"
        );
    }
    assert_eq!(
        refusal("https://{custom_url}", Some("custom_url"), None),
        [(Validation, FallbackUrl)]
    );
    assert_eq!(
        refusal("https://{custom_url}", Some("custom_url"), Some("site.org")),
        [(Validation, FallbackUrl)]
    );
    assert_eq!(
        refusal(
            "https://{custom_url}",
            Some("other"),
            Some("https://site.org")
        ),
        [(InvalidPlaceholder, DestinationUrl)]
    );
    assert_eq!(
        refusal(
            "http://{custom_url}",
            Some("custom_url"),
            Some("https://site.org")
        ),
        [(InvalidPlaceholder, DestinationUrl)]
    );
}

#[test]
fn phone_is_not_a_whole_url_and_a_fallback_needs_a_whole_url() {
    let phone = check_link_settings("https://{phone}", Some("phone"), Some("https://site.org"))
        .expect_err("refused");
    assert_eq!(
        (phone[0].kind, phone[0].field),
        (InvalidPlaceholder, DestinationUrl)
    );
    assert!(phone[0].to_string().contains("{phone}"));
    assert_eq!(
        refusal("https://test.com", Some("linkid"), Some("https://site.org")),
        [(InvalidPlaceholder, FallbackUrl)]
    );
}

#[test]
fn plain_validation_problems_name_their_field_and_come_together() {
    assert!(check_link_settings("https://t.com", Some(&"f".repeat(64)), None).is_ok());
    assert_eq!(
        refusal("https://t.com", Some(&"f".repeat(65)), None),
        [(Validation, ParamField)]
    );
    assert_eq!(
        refusal("https://t.com", Some(""), None),
        [(Validation, ParamField)]
    );
    assert_eq!(
        refusal("https://t.com", Some("utm content"), None),
        [(Validation, ParamField)]
    );
    assert_eq!(
        refusal("t.com/join", None, None),
        [(Validation, DestinationUrl)]
    );
    assert_eq!(
        refusal("mailto:x@y.z", Some(&"f".repeat(65)), Some("https://s.org")),
        [
            (Validation, ParamField),
            (InvalidPlaceholder, FallbackUrl),
            (Validation, DestinationUrl)
        ]
    );
}

#[test]
fn short_links_live_on_the_tracking_domain() {
    assert_eq!(
        short_link("go.example.org", "aB3x9"),
        "https://go.example.org/aB3x9"
    );
    assert_eq!(
        short_link("go.example.org/", "aB3x9"),
        "https://go.example.org/aB3x9"
    );
}

// ---------------------------------------------------------------------------------------------
// Properties of the segment counter, the renderer and the normalizer
// ---------------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::{any, prop_oneof, Strategy};
    use proptest::{prop_assert, prop_assert_eq};

    /// GSM 03.38 basic table in code order, the escape (0x1B) left out: written out here, not
    /// taken from `gsm_septets`, so the reference below is independent of the code under test.
    const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                             ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    /// The extension table and the code each takes after the escape.
    const GSM_EXT: [(char, u16); 10] = [
        ('\x0C', 0x0A),
        ('^', 0x14),
        ('{', 0x28),
        ('}', 0x29),
        ('\\', 0x2F),
        ('[', 0x3C),
        ('~', 0x3D),
        (']', 0x3E),
        ('|', 0x40),
        ('€', 0x65),
    ];
    const GSM_EXT_CHARS: &str = "\x0C^{}\\[~]|€";
    const ESC: u16 = 0x1B;
    /// In the Basic Multilingual Plane (one UTF-16 unit) but in neither GSM table.
    const BMP_NON_GSM: &str = "`\tçáжЖ中’“”–—…\u{A0}\u{202F}\u{FEFF}\u{FFFD}\u{D7FF}\u{E000}";
    /// Outside the BMP: a surrogate pair each.
    const ASTRAL: &str = "😀🎉👍🇺🇸\u{10000}\u{1F9D1}\u{10FFFF}";
    /// What `normalize_gsm` replaces.
    const MAPPED: &str = "\u{2018}\u{2019}\u{201A}\u{201B}\u{201C}\u{201D}\u{201E}\u{201F}\
                          \u{2012}\u{2013}\u{2014}\u{2015}\u{2026}\u{A0}\u{202F}";

    /// Each GSM character's septet codes (an extension character is the escape + its code).
    fn gsm_codes() -> &'static HashMap<char, Vec<u16>> {
        static CODES: std::sync::OnceLock<HashMap<char, Vec<u16>>> = std::sync::OnceLock::new();
        CODES.get_or_init(|| {
            // Codes 0x00..=0x1A, then the escape's slot, then 0x1C..=0x7F.
            let basic = GSM_BASIC.chars().zip((0..ESC).chain(ESC + 1..0x80));
            let ext = GSM_EXT.iter().map(|&(c, code)| (c, vec![ESC, code]));
            basic.map(|(c, code)| (c, vec![code])).chain(ext).collect()
        })
    }

    /// The text as GSM-7 septet codes, or `None` when some character is in neither table.
    fn gsm_encode(text: &str) -> Option<Vec<u16>> {
        let codes = gsm_codes();
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            out.extend_from_slice(codes.get(&c)?);
        }
        Some(out)
    }

    /// The naive reference: encode the text for real, then cut the code units into parts of at
    /// most `per_part`, backing a cut off by one unit when it would fall right after an escape
    /// or a high surrogate (the pair then starts the next part).
    fn reference(text: &str) -> (Encoding, usize, u32) {
        let (encoding, units, single, per_part) = match gsm_encode(text) {
            Some(septets) => (Encoding::Gsm7, septets, 160, 153),
            None => (Encoding::Ucs2, text.encode_utf16().collect(), 70, 67),
        };
        let leads_a_pair = |u: u16| match encoding {
            Encoding::Gsm7 => u == ESC,
            Encoding::Ucs2 => (0xD800..=0xDBFF).contains(&u),
        };
        let parts = match units.len() {
            0 => 0,
            n if n <= single => 1,
            _ => {
                let (mut parts, mut rest) = (0, &units[..]);
                while !rest.is_empty() {
                    let mut take = per_part.min(rest.len());
                    if take < rest.len() && leads_a_pair(rest[take - 1]) {
                        take -= 1;
                    }
                    rest = &rest[take..];
                    parts += 1;
                }
                parts
            }
        };
        (encoding, units.len(), parts)
    }

    /// A character from one of `pools`, each drawn as often as its weight says. One number
    /// per character (not a union of samplers) keeps generation cheap in a debug build.
    fn weighted(pools: &'static [(u32, &'static str)]) -> impl Strategy<Value = char> {
        let total: u32 = pools.iter().map(|(w, _)| w).sum();
        any::<u32>().prop_map(move |r| {
            let mut w = r % total;
            let (_, pool) = pools
                .iter()
                .find(|(weight, _)| match w.checked_sub(*weight) {
                    Some(rest) => {
                        w = rest;
                        false
                    }
                    None => true,
                })
                .expect("w < total");
            let n = (r / total) as usize % pool.chars().count();
            pool.chars().nth(n).expect("n < count")
        })
    }

    fn gsm_basic_char() -> impl Strategy<Value = char> {
        weighted(&[(1, GSM_BASIC)])
    }

    fn gsm_char() -> impl Strategy<Value = char> {
        weighted(&[(4, GSM_BASIC), (1, GSM_EXT_CHARS)])
    }

    fn non_gsm_char() -> impl Strategy<Value = char> {
        weighted(&[(1, BMP_NON_GSM), (1, ASTRAL)])
    }

    fn mixed_char() -> impl Strategy<Value = char> {
        weighted(&[
            (6, GSM_BASIC),
            (2, GSM_EXT_CHARS),
            (1, BMP_NON_GSM),
            (1, ASTRAL),
        ])
    }

    /// GSM-only texts across the 160/306/459 boundaries, UCS-2 texts across 70/134/201, and
    /// GSM texts turned UCS-2 by one character (where an extension character drops to 1 unit).
    fn mixed_text() -> impl Strategy<Value = String> {
        prop_oneof![
            vec(gsm_char(), 0..480).prop_map(String::from_iter),
            vec(mixed_char(), 0..220).prop_map(String::from_iter),
            (
                vec(gsm_char(), 0..240),
                non_gsm_char(),
                any::<proptest::sample::Index>()
            )
                .prop_map(|(mut chars, c, at)| {
                    chars.insert(at.index(chars.len() + 1), c);
                    String::from_iter(chars)
                }),
        ]
    }

    fn utf16_len(s: &str) -> usize {
        s.encode_utf16().count()
    }

    fn septets(s: &str) -> usize {
        gsm_encode(s).expect("a GSM text").len()
    }

    fn septets_of(c: char) -> usize {
        gsm_codes().get(&c).expect("a GSM character").len()
    }

    /// The longest prefix of `chars` whose cost is at most `max`.
    fn prefix_within(chars: Vec<char>, max: usize, cost: fn(char) -> usize) -> String {
        let mut total = 0;
        chars
            .into_iter()
            .take_while(|&c| {
                total += cost(c);
                total <= max
            })
            .collect()
    }

    const TAG_NAMES: [&str; 6] = [
        "first_name",
        "city",
        "zip",
        "Precinct_2",
        "prénom",
        LINK_TAG,
    ];

    /// A value that is not blank and has no braces, with some whitespace around it (which the
    /// renderer trims), as (the value given, the value expected in the text).
    fn tag_value() -> impl Strategy<Value = (String, String)> {
        ("[ \t]{0,2}", "[^{}\\s]([^{}]{0,8}[^{}\\s])?", "[ \t]{0,2}")
            .prop_map(|(pre, core, post)| (format!("{pre}{core}{post}"), core))
    }

    /// One piece of a template as (source, index of its tag in `TAG_NAMES` if a tag).
    fn template_piece() -> impl Strategy<Value = (String, Option<usize>)> {
        prop_oneof![
            "[^{}]{1,12}".prop_map(|t| (t, None)),
            (0..TAG_NAMES.len()).prop_map(|i| (format!("{{{}}}", TAG_NAMES[i]), Some(i))),
            (0..TAG_NAMES.len(), "[^{}]{0,8}")
                .prop_map(|(i, f)| (format!("{{{}|{f}}}", TAG_NAMES[i]), Some(i))),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Appending a character never lowers the parts, and within one encoding it always
        /// raises the units. Units are septets in GSM-7 but UTF-16 units in UCS-2, so a character
        /// that turns a text UCS-2 may lower them ("\x0C\x0C" is 4 septets, plus '`' it is 3
        /// UTF-16 units): then they are exactly the UTF-16 length.
        #[test]
        fn appending_a_character_never_lowers_parts_or_units(
            text in mixed_text(),
            c in prop_oneof![mixed_char(), any::<char>()],
        ) {
            let longer = format!("{text}{c}");
            let before = segments(&text);
            let after = segments(&longer);
            prop_assert!(after.parts >= before.parts, "{:?} + {:?}: {:?} -> {:?}", text, c, before, after);
            if after.encoding == before.encoding {
                prop_assert!(after.units > before.units, "{:?} + {:?}: {:?} -> {:?}", text, c, before, after);
            } else {
                prop_assert_eq!((before.encoding, after.encoding), (Encoding::Gsm7, Encoding::Ucs2));
                prop_assert_eq!(after.units, utf16_len(&longer));
            }
            prop_assert_eq!(after.characters, before.characters + 1);
        }

        /// Anything of 1..=70 UTF-16 units is one part, whatever its characters.
        #[test]
        fn up_to_70_utf16_units_is_one_part(
            chars in vec(prop_oneof![any::<char>(), weighted(&[(1, ASTRAL)]), mixed_char()], 1..=70),
        ) {
            let text = prefix_within(chars, 70, char::len_utf16);
            prop_assert_eq!(segments(&text).parts, 1, "{:?}", text);
        }

        /// A GSM text of 1..=160 septets is one part.
        #[test]
        fn up_to_160_septets_is_one_part(chars in vec(gsm_char(), 1..=160)) {
            let text = prefix_within(chars, 160, septets_of);
            let s = segments(&text);
            prop_assert_eq!((s.encoding, s.units, s.parts), (Encoding::Gsm7, septets(&text), 1), "{:?}", text);
        }

        /// Encoding, units and parts agree with the naive reference.
        #[test]
        fn segments_agree_with_a_naive_reference(text in mixed_text()) {
            let s = segments(&text);
            prop_assert_eq!((s.encoding, s.units, s.parts), reference(&text), "{:?}", text);
            prop_assert_eq!(s.characters, text.chars().count());
            prop_assert_eq!(is_gsm(&text), s.encoding == Encoding::Gsm7);
        }

        /// With every tag filled, no brace survives rendering and every value shows up.
        #[test]
        fn a_fully_filled_template_renders_every_value_and_no_brace(
            pieces in vec(template_piece(), 0..12),
            values in vec(tag_value(), TAG_NAMES.len()),
            org_default in "[^{}]{0,6}",
        ) {
            let source: String = pieces.iter().map(|(s, _)| s.as_str()).collect();
            let given: Vec<(&str, &str)> = TAG_NAMES
                .iter()
                .zip(&values)
                .filter(|(name, _)| **name != LINK_TAG)
                .map(|(name, (v, _))| (*name, v.as_str()))
                .collect();
            let org: Vec<(&str, &str)> = TAG_NAMES.iter().map(|n| (*n, org_default.as_str())).collect();
            let link_index = TAG_NAMES.iter().position(|n| *n == LINK_TAG).expect("link");
            let link = values[link_index].1.as_str();
            let out = parse(&source).render(&given[..], &org[..], Some(link));

            prop_assert!(!out.contains(['{', '}']), "{:?} -> {:?}", source, out);
            let expected: String = pieces
                .iter()
                .map(|(s, tag)| match tag {
                    Some(i) if *i == link_index => link,
                    Some(i) => values[*i].1.as_str(),
                    None => s.as_str(),
                })
                .collect();
            for (_, tag) in &pieces {
                if let Some(i) = tag {
                    let value = if *i == link_index { link } else { values[*i].1.as_str() };
                    prop_assert!(out.contains(value), "{:?} -> {:?} lacks {:?}", source, out, value);
                }
            }
            prop_assert_eq!(out, expected, "{:?}", source);
        }

        /// The footer never makes a text cheaper, and off it changes nothing.
        #[test]
        fn the_footer_never_lowers_parts(text in mixed_text()) {
            let on = segments(&with_footer(&text, true));
            let off = segments(&text);
            prop_assert!(on.parts >= off.parts, "{:?}: {:?} -> {:?}", text, off, on);
            prop_assert!(on.parts >= 1);
            prop_assert_eq!(with_footer(&text, false), text);
        }

        /// Typographic characters among GSM ones normalize to a GSM text; GSM text is untouched.
        #[test]
        fn normalized_typography_is_gsm(
            chars in vec(weighted(&[(2, MAPPED), (4, GSM_BASIC), (1, GSM_EXT_CHARS)]), 0..200),
        ) {
            let text = String::from_iter(chars);
            let normalized = normalize_gsm(&text);
            prop_assert!(is_gsm(&normalized), "{:?} -> {:?}", text, normalized);
            prop_assert!(gsm_encode(&normalized).is_some());
            prop_assert_eq!(normalize_gsm(&normalized), normalized.clone());
            if is_gsm(&text) {
                prop_assert_eq!(normalized, text);
            }
        }
    }

    proptest::proptest! {
        // Each case is two texts of up to 306 septets: 1,000 cases are 2,000 texts.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// A GSM text of 161..=306 septets is two parts when every character is one septet;
        /// with extension characters an escape may not straddle the cut, so 161..=305 septets
        /// is two parts (at most one septet is lost at the single cut) and 306 is two or three.
        #[test]
        fn from_161_to_306_septets_is_two_parts(
            basic in vec(gsm_basic_char(), 161..=306),
            mixed in vec(gsm_char(), 130..=306),
        ) {
            let basic = String::from_iter(basic);
            prop_assert_eq!(segments(&basic).parts, 2, "{:?}", basic);

            let mut mixed = prefix_within(mixed, 306, septets_of);
            let short = 161_usize.saturating_sub(septets(&mixed));
            mixed.push_str(&"a".repeat(short));
            let n = septets(&mixed);
            let parts = segments(&mixed).parts;
            if n <= 305 {
                prop_assert_eq!(parts, 2, "{} septets: {:?}", n, mixed);
            } else {
                prop_assert!((2..=3).contains(&parts), "{} septets: {:?}", n, mixed);
            }
        }
    }

    #[test]
    fn the_reference_knows_the_hand_counted_cases() {
        let straddle = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(reference(&straddle), (Encoding::Gsm7, 306, 3));
        let pair = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
        assert_eq!(reference(&pair), (Encoding::Ucs2, 134, 3));
        assert_eq!(reference(""), (Encoding::Gsm7, 0, 0));
        assert!(GSM_EXT_CHARS.chars().eq(GSM_EXT.iter().map(|(c, _)| *c)));
        assert!(BMP_NON_GSM
            .chars()
            .all(|c| c.len_utf16() == 1 && !gsm_codes().contains_key(&c)));
        assert!(ASTRAL.chars().all(|c| c.len_utf16() == 2));
        assert_eq!(
            gsm_encode("@ÆÉ€").expect("GSM"),
            [0x00, 0x1C, 0x1F, ESC, 0x65]
        );
    }
}
