//! Sample files made on demand (too large to ship): big contact lists for load tests and an
//! image over the MMS size limit. Deterministic, so every run serves the same bytes.

use crate::domain::lrn::mix;
use crate::domain::phone::AREA_CODES;
use crate::store::files::Sample;

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

/// The files every sandbox hosts from the start (`GET /_sandbox/files` lists them).
pub const CATALOG: &[Sample] = &[
    Sample {
        name: "contacts-clean.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-clean.csv").to_vec(),
    },
    Sample {
        name: "contacts-mixed.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-mixed.csv").to_vec(),
    },
    Sample {
        name: "contacts-no-phone-column.csv",
        content_type: "text/csv",
        make: || include_bytes!("../../fixtures/files/contacts-no-phone-column.csv").to_vec(),
    },
    Sample {
        name: "contacts-100k.csv",
        content_type: "text/csv",
        make: || large_csv(100_000, 100),
    },
    Sample {
        name: "contacts-1m.csv",
        content_type: "text/csv",
        make: || large_csv(1_000_000, 1),
    },
    Sample {
        name: "rally.jpg",
        content_type: "image/jpeg",
        make: || include_bytes!("../../fixtures/files/rally.jpg").to_vec(),
    },
    Sample {
        name: "logo.png",
        content_type: "image/png",
        make: || include_bytes!("../../fixtures/files/logo.png").to_vec(),
    },
    Sample {
        name: "clip.mp4",
        content_type: "video/mp4",
        make: || include_bytes!("../../fixtures/files/clip.mp4").to_vec(),
    },
    Sample {
        name: "oversized.jpg",
        content_type: "image/jpeg",
        make: oversized_jpeg,
    },
];

/// Names of the bundled samples.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|s| s.name)
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
