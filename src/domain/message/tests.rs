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
