//! Sample files made on demand (too large to ship): big contact lists for load tests and an
//! image over the MMS size limit. Deterministic, so every run serves the same bytes.

use crate::domain::lrn::mix;
use crate::domain::phone::AREA_CODES;

const FIRST: &[&str] = &[
    "Maria", "James", "Aisha", "Robert", "Linda", "Carlos", "Emily", "DeShawn", "Patricia",
    "Michael", "Jennifer", "David", "Sofia", "William", "Ashley", "Kevin", "Grace", "Brian",
];
const LAST: &[&str] = &[
    "Hernandez",
    "Smith",
    "Johnson",
    "Nguyen",
    "Williams",
    "Brown",
    "Davis",
    "Miller",
    "Wilson",
    "Moore",
    "Taylor",
    "Anderson",
    "Thomas",
    "Jackson",
    "White",
    "Harris",
    "Martin",
    "Garcia",
];

/// A CSV of `rows` distinct valid US numbers with name, city, state and zip columns.
pub fn large_csv(rows: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * 48 + 64);
    out.extend_from_slice(b"phone,first_name,last_name,state,zip\n");
    // Exchanges assigned to subscribers: not N11, not 555.
    let exchanges: Vec<u64> = (200..1000).filter(|x| x % 100 != 11 && *x != 555).collect();
    for i in 0..rows as u64 {
        let h = mix(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (area, state) = AREA_CODES[(h % AREA_CODES.len() as u64) as usize];
        // Distinct numbers: the row index picks a subscriber exchange and the line.
        let exchange = exchanges[((i / 10_000) % exchanges.len() as u64) as usize];
        let line = i % 10_000;
        out.extend_from_slice(
            format!(
                "+1{area}{exchange:03}{line:04},{},{},{state},{:05}\n",
                FIRST[((h >> 8) % FIRST.len() as u64) as usize],
                LAST[((h >> 16) % LAST.len() as u64) as usize],
                10_000 + (h >> 24) % 89_999
            )
            .as_bytes(),
        );
    }
    out
}

/// A JPEG of 6 MB: real JPEG magic, over the 5 MB MMS limit.
pub fn oversized_jpeg() -> Vec<u8> {
    let mut out = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    out.resize(6 * 1024 * 1024, 0x00);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::normalize_us;
    use std::collections::HashSet;

    #[test]
    fn large_csv_has_distinct_valid_numbers() {
        let csv = String::from_utf8(large_csv(50_000, 3)).expect("utf8");
        let mut seen = HashSet::new();
        for line in csv.lines().skip(1) {
            let phone = line.split(',').next().expect("phone");
            assert_eq!(normalize_us(phone).as_deref(), Ok(phone));
            assert!(seen.insert(phone.to_string()), "duplicate {phone}");
        }
        assert_eq!(seen.len(), 50_000);
        assert_eq!(large_csv(10, 3), large_csv(10, 3));
    }
}
