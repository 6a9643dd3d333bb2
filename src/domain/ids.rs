//! Opaque ids: a type prefix and a 26-char ULID. The ULID's time part is the entity's creation
//! time on the sandbox clock and its random part comes from the world's seeded rng, so the same
//! seed, clock start and request sequence give the same ids.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use ulid::Ulid;

use super::time::Millis;

/// The type prefixes of CONTRACT §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Org,
    Brand,
    Campaign,
    PhoneNumber,
    TollFreeVerification,
    TrackingDomain,
    ContactList,
    Media,
    Project,
    TestMessage,
    Conversation,
    Message,
    Event,
    WebhookEndpoint,
    WebhookDelivery,
    LedgerEntry,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Org => "org_",
            Kind::Brand => "brand_",
            Kind::Campaign => "camp_",
            Kind::PhoneNumber => "pn_",
            Kind::TollFreeVerification => "tfv_",
            Kind::TrackingDomain => "td_",
            Kind::ContactList => "cl_",
            Kind::Media => "med_",
            Kind::Project => "proj_",
            Kind::TestMessage => "tmsg_",
            Kind::Conversation => "conv_",
            Kind::Message => "msg_",
            Kind::Event => "evt_",
            Kind::WebhookEndpoint => "whe_",
            Kind::WebhookDelivery => "whd_",
            Kind::LedgerEntry => "led_",
        }
    }
}

/// A new id of `kind` created at `at`, its randomness drawn from `rng`.
pub fn new_id(kind: Kind, at: Millis, rng: &mut ChaCha8Rng) -> String {
    let random: u128 = rng.random::<u128>() & ((1u128 << 80) - 1);
    let ulid = Ulid::from_parts(at.max(0) as u64, random);
    format!("{}{}", kind.prefix(), ulid)
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` base62 characters from `rng` (API keys, webhook secrets).
pub fn base62(n: usize, rng: &mut ChaCha8Rng) -> String {
    (0..n)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// A short uppercase alphanumeric token (TCR-style brand and campaign ids).
pub fn upper_alnum(n: usize, rng: &mut ChaCha8Rng) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_are_prefixed_ulids_and_deterministic() {
        let mut a = ChaCha8Rng::seed_from_u64(7);
        let mut b = ChaCha8Rng::seed_from_u64(7);
        let x = new_id(Kind::Org, 1_700_000_000_000, &mut a);
        let y = new_id(Kind::Org, 1_700_000_000_000, &mut b);
        assert_eq!(x, y);
        assert!(x.starts_with("org_"));
        assert_eq!(x.len(), 4 + 26);
        assert!(Ulid::from_string(&x[4..]).is_ok());
        let z = new_id(Kind::Org, 1_700_000_000_000, &mut a);
        assert_ne!(x, z);
    }

    #[test]
    fn ulid_time_part_orders_ids_by_creation() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let early = new_id(Kind::Brand, 1_000, &mut rng);
        let late = new_id(Kind::Brand, 2_000, &mut rng);
        assert!(early < late);
    }

    #[test]
    fn base62_has_requested_length_and_alphabet() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s = base62(24, &mut rng);
        assert_eq!(s.len(), 24);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
