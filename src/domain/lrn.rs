//! What the simulated network knows about a number: its line type, carrier and place, and how a
//! message to it will end. The magic numbers `+1 500 555 00xx` behave the same in every run;
//! every other number gets a deterministic answer from a hash of (seed, number).

// Phone numbers are written grouped as they are read: 1 500 555 0000.
#![allow(clippy::inconsistent_digit_grouping)]

use super::contacts::LineType;

/// The magic numbers of CONTRACT §3.
pub const MAGIC_PREFIX: u64 = 1_500_555_0000;

/// What a magic number does (index = last two digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    Delivered,
    Invalid,
    LandlineFails,
    VoipDelivered,
    CarrierFiltered,
    RepliesStop,
    RepliesYes,
    Clicks,
    NoReceipt,
    AlreadyOptedOut,
}

pub fn magic(phone: u64) -> Option<Magic> {
    if !(MAGIC_PREFIX..MAGIC_PREFIX + 10).contains(&phone) {
        return None;
    }
    Some(match phone - MAGIC_PREFIX {
        0 => Magic::Delivered,
        1 => Magic::Invalid,
        2 => Magic::LandlineFails,
        3 => Magic::VoipDelivered,
        4 => Magic::CarrierFiltered,
        5 => Magic::RepliesStop,
        6 => Magic::RepliesYes,
        7 => Magic::Clicks,
        8 => Magic::NoReceipt,
        _ => Magic::AlreadyOptedOut,
    })
}

/// A well-mixed 64-bit hash (splitmix64).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) from (seed, phone, salt).
pub fn unit(seed: u64, phone: u64, salt: u64) -> f64 {
    (mix(seed ^ mix(phone ^ salt.wrapping_mul(0x2545_F491_4F6C_DD1D))) >> 11) as f64
        / (1u64 << 53) as f64
}

/// Line type: the magic table, else ~72% mobile, 18% landline, 7% voip, 3% invalid.
pub fn line_type(seed: u64, phone: u64) -> LineType {
    if let Some(m) = magic(phone) {
        return match m {
            Magic::Invalid => LineType::Invalid,
            Magic::LandlineFails => LineType::Landline,
            Magic::VoipDelivered => LineType::Voip,
            _ => LineType::Mobile,
        };
    }
    let u = unit(seed, phone, 1);
    if u < 0.72 {
        LineType::Mobile
    } else if u < 0.90 {
        LineType::Landline
    } else if u < 0.97 {
        LineType::Voip
    } else {
        LineType::Invalid
    }
}

/// The carrier a number's LRN points at.
pub fn carrier(seed: u64, phone: u64, t: LineType) -> &'static str {
    let pick = |options: &[&'static str]| {
        options[(unit(seed, phone, 2) * options.len() as f64) as usize % options.len()]
    };
    match t {
        LineType::Mobile => pick(&[
            "Verizon Wireless",
            "AT&T Mobility",
            "T-Mobile USA",
            "US Cellular",
        ]),
        LineType::Landline => pick(&["AT&T Local", "Frontier", "CenturyLink", "Spectrum"]),
        LineType::Voip => pick(&["Bandwidth.com", "Google Voice", "Twilio", "Vonage"]),
        LineType::Invalid => "",
    }
}

/// City and state of the number's area code (empty for unknown codes).
pub fn place(phone: u64) -> (&'static str, &'static str) {
    let area = (phone / 10_000_000) % 1000;
    const PLACES: &[(u64, &str, &str)] = &[
        (202, "Washington", "DC"),
        (205, "Birmingham", "AL"),
        (212, "New York", "NY"),
        (213, "Los Angeles", "CA"),
        (215, "Philadelphia", "PA"),
        (216, "Cleveland", "OH"),
        (217, "Springfield", "IL"),
        (267, "Philadelphia", "PA"),
        (305, "Miami", "FL"),
        (312, "Chicago", "IL"),
        (313, "Detroit", "MI"),
        (330, "Akron", "OH"),
        (404, "Atlanta", "GA"),
        (412, "Pittsburgh", "PA"),
        (414, "Milwaukee", "WI"),
        (415, "San Francisco", "CA"),
        (480, "Mesa", "AZ"),
        (503, "Portland", "OR"),
        (512, "Austin", "TX"),
        (602, "Phoenix", "AZ"),
        (608, "Madison", "WI"),
        (612, "Minneapolis", "MN"),
        (614, "Columbus", "OH"),
        (617, "Boston", "MA"),
        (702, "Las Vegas", "NV"),
        (704, "Charlotte", "NC"),
        (713, "Houston", "TX"),
        (720, "Denver", "CO"),
        (734, "Ann Arbor", "MI"),
        (757, "Norfolk", "VA"),
        (770, "Marietta", "GA"),
        (775, "Reno", "NV"),
        (786, "Miami", "FL"),
        (813, "Tampa", "FL"),
        (828, "Asheville", "NC"),
        (919, "Raleigh", "NC"),
        (937, "Dayton", "OH"),
        (419, "Toledo", "OH"),
    ];
    PLACES
        .iter()
        .find(|(a, _, _)| *a == area)
        .map_or(("", ""), |(_, c, s)| (*c, *s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wire::WireEnum;

    #[test]
    fn magic_numbers_are_fixed_whatever_the_seed() {
        for seed in [1, 2, 99] {
            assert_eq!(line_type(seed, 1_500_555_0001), LineType::Invalid);
            assert_eq!(line_type(seed, 1_500_555_0002), LineType::Landline);
            assert_eq!(line_type(seed, 1_500_555_0003), LineType::Voip);
            assert_eq!(line_type(seed, 1_500_555_0000), LineType::Mobile);
        }
        assert_eq!(magic(1_500_555_0009), Some(Magic::AlreadyOptedOut));
        assert_eq!(magic(1_500_555_0010), None);
    }

    #[test]
    fn other_numbers_follow_the_documented_mix() {
        let mut counts = [0usize; 4];
        let n = 100_000u64;
        for i in 0..n {
            let t = line_type(7, 1_614_200_0000 + i * 37);
            counts[LineType::ALL.iter().position(|x| *x == t).unwrap_or(0)] += 1;
        }
        let share = |i: usize| counts[i] as f64 / n as f64;
        assert!((share(0) - 0.72).abs() < 0.01, "{counts:?}");
        assert!((share(1) - 0.18).abs() < 0.01, "{counts:?}");
        assert!((share(2) - 0.07).abs() < 0.01, "{counts:?}");
        assert!((share(3) - 0.03).abs() < 0.01, "{counts:?}");
        assert_eq!(line_type(7, 1_614_555_0123), line_type(7, 1_614_555_0123));
    }

    #[test]
    fn places_come_from_the_area_code() {
        assert_eq!(place(1_614_555_0123), ("Columbus", "OH"));
        assert_eq!(place(1_500_555_0000), ("", ""));
    }
}
