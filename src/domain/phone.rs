//! Phone numbers: normalization of what people type into E.164 (US default), and generation of
//! valid, plausible NANP numbers for the seeded world (`fake`'s own phone formats are not NANP).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Why a string is not a usable US phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("empty")]
    Empty,
    #[error(
        "contains characters other than digits, spaces, dashes, dots, parentheses and a leading +"
    )]
    BadCharacters,
    #[error("must have 10 digits, or 11 starting with 1")]
    WrongLength,
    #[error("area code and exchange must not start with 0 or 1")]
    InvalidNanp,
}

/// Normalizes `raw` to `+1NXXNXXXXXX`.
pub fn normalize_us(raw: &str) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(11);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(PhoneError::BadCharacters),
        }
    }
    let national = match digits.len() {
        10 if !plus => &digits[..],
        11 if digits.starts_with('1') => &digits[1..],
        _ => return Err(PhoneError::WrongLength),
    };
    let b = national.as_bytes();
    if b[0] < b'2' || b[3] < b'2' {
        return Err(PhoneError::InvalidNanp);
    }
    Ok(format!("+1{national}"))
}

/// Real US area codes with their state, so generated numbers look local.
pub const AREA_CODES: &[(&str, &str)] = &[
    ("202", "DC"),
    ("205", "AL"),
    ("212", "NY"),
    ("213", "CA"),
    ("215", "PA"),
    ("216", "OH"),
    ("217", "IL"),
    ("267", "PA"),
    ("305", "FL"),
    ("312", "IL"),
    ("313", "MI"),
    ("330", "OH"),
    ("404", "GA"),
    ("412", "PA"),
    ("414", "WI"),
    ("415", "CA"),
    ("480", "AZ"),
    ("503", "OR"),
    ("512", "TX"),
    ("602", "AZ"),
    ("608", "WI"),
    ("612", "MN"),
    ("614", "OH"),
    ("617", "MA"),
    ("702", "NV"),
    ("704", "NC"),
    ("713", "TX"),
    ("720", "CO"),
    ("734", "MI"),
    ("757", "VA"),
    ("770", "GA"),
    ("775", "NV"),
    ("786", "FL"),
    ("813", "FL"),
    ("828", "NC"),
    ("919", "NC"),
];

/// Toll-free prefixes.
pub const TOLL_FREE_CODES: &[&str] = &["800", "833", "844", "855", "866", "877", "888"];

fn exchange(rng: &mut ChaCha8Rng) -> u32 {
    loop {
        let x = rng.random_range(200..1000u32);
        // N11 service codes and 555 are not assigned to subscribers.
        if x % 100 != 11 && x != 555 {
            return x;
        }
    }
}

/// A local number in `area_code`.
pub fn generate_local(area_code: &str, rng: &mut ChaCha8Rng) -> String {
    format!(
        "+1{area_code}{:03}{:04}",
        exchange(rng),
        rng.random_range(0..10_000u32)
    )
}

/// A local number in a random area code of `state` (or any state if none matches).
pub fn generate_in_state(state: Option<&str>, rng: &mut ChaCha8Rng) -> String {
    let candidates: Vec<&str> = AREA_CODES
        .iter()
        .filter(|(_, s)| state.is_none_or(|st| st.eq_ignore_ascii_case(s)))
        .map(|(code, _)| *code)
        .collect();
    let pool: Vec<&str> = if candidates.is_empty() {
        AREA_CODES.iter().map(|(c, _)| *c).collect()
    } else {
        candidates
    };
    let code = pool[rng.random_range(0..pool.len())];
    generate_local(code, rng)
}

pub fn generate_toll_free(rng: &mut ChaCha8Rng) -> String {
    let code = TOLL_FREE_CODES[rng.random_range(0..TOLL_FREE_CODES.len())];
    generate_local(code, rng)
}

/// A 5- or 6-digit short code.
pub fn generate_short_code(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.5) {
        rng.random_range(20_000..100_000u32).to_string()
    } else {
        rng.random_range(200_000..1_000_000u32).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn normalizes_common_us_formats() {
        for raw in [
            "(614) 555-0123",
            "614-555-0123",
            "614.555.0123",
            "6145550123",
            "16145550123",
            "+1 614 555 0123",
            " +16145550123 ",
        ] {
            assert_eq!(normalize_us(raw).as_deref(), Ok("+16145550123"), "{raw}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_us_number() {
        assert_eq!(normalize_us(""), Err(PhoneError::Empty));
        assert_eq!(normalize_us("614555012"), Err(PhoneError::WrongLength));
        assert_eq!(normalize_us("26145550123"), Err(PhoneError::WrongLength));
        assert_eq!(normalize_us("+6145550123"), Err(PhoneError::WrongLength));
        assert_eq!(normalize_us("614-555-01x3"), Err(PhoneError::BadCharacters));
        assert_eq!(normalize_us("0145550123"), Err(PhoneError::InvalidNanp));
        assert_eq!(normalize_us("6141550123"), Err(PhoneError::InvalidNanp));
    }

    #[test]
    fn magic_numbers_normalize() {
        assert_eq!(normalize_us("+15005550006").as_deref(), Ok("+15005550006"));
    }

    #[test]
    fn generated_numbers_are_valid_nanp() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2_000 {
            for n in [
                generate_in_state(Some("OH"), &mut rng),
                generate_toll_free(&mut rng),
            ] {
                assert_eq!(normalize_us(&n).as_deref(), Ok(n.as_str()));
                let exchange = &n[5..8];
                assert!(!exchange.ends_with("11") && exchange != "555", "{n}");
            }
        }
        let oh = generate_in_state(Some("OH"), &mut rng);
        assert!(["216", "330", "614"].contains(&&oh[2..5]), "{oh}");
    }
}
