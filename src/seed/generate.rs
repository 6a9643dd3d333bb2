//! Builds a [`World`] from fixtures, a seed and the clock start. Everything that is not in the
//! fixture file — ids, contact people, phone numbers, TCR ids, timestamps — is drawn, in file
//! order, from one ChaCha8 stream, so the same (fixtures, seed, clock start) always yields the
//! same world, byte for byte.

use std::collections::{HashMap, HashSet};

use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::fixtures::Fixtures;
use crate::domain::ids::{self, new_id, Kind};
use crate::domain::keys::ApiKey;
use crate::domain::phone;
use crate::domain::registry::{
    Brand, Campaign, Channel, NumberShare, Onboarding, Organization, PhoneNumber, TfvStatus,
    TollFreeVerification, TrackingDomain,
};
use crate::domain::time::{Millis, DAY, HOUR, MINUTE};
use crate::store::World;

/// A moment `days_back`..`days_back - span` days before `start`, at a random time of day.
fn before(start: Millis, days_back: i64, rng: &mut ChaCha8Rng) -> Millis {
    start - days_back * DAY + rng.random_range(0..DAY) - DAY
}

/// Some time after `t` but still before `limit`.
fn after(t: Millis, max_days: i64, limit: Millis, rng: &mut ChaCha8Rng) -> Millis {
    let room = (limit - t - HOUR).max(MINUTE);
    t + rng.random_range(MINUTE..=room.min(max_days * DAY).max(MINUTE))
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn uuid_like(rng: &mut ChaCha8Rng) -> String {
    let a: u128 = rng.random();
    let h = format!("{a:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Generates the world. `fixtures` must have passed [`Fixtures::check`].
pub fn generate(fixtures: &Fixtures, seed: u64, start: Millis) -> World {
    generate_with(fixtures, seed, start, 1.0)
}

/// [`generate`], with the seeded message history's daily volumes multiplied by `history_scale`
/// (`serve --history-scale`: a bigger agency, or a benchmark's load).
pub fn generate_with(fixtures: &Fixtures, seed: u64, start: Millis, history_scale: f64) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut world = World::empty(seed, start, ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5eed));
    let mut org_ids: HashMap<String, String> = HashMap::new();
    let mut org_states: HashMap<String, Option<String>> = HashMap::new();

    for f in &fixtures.organizations {
        let parent = f.parent.as_ref().and_then(|p| org_ids.get(p)).cloned();
        let created_at = match &parent {
            Some(p) => after(world.orgs[p].created_at, 120, start - 200 * DAY, &mut rng),
            None => before(start, rng.random_range(700..1100), &mut rng),
        };
        let id = new_id(Kind::Org, created_at, &mut rng);
        let first: String = FirstName().fake_with_rng(&mut rng);
        let last: String = LastName().fake_with_rng(&mut rng);
        let domain = format!("{}.org", slug(&f.name).chars().take(18).collect::<String>());
        let email = format!("{}.{}@{}", slug(&first), slug(&last), domain);
        let updated_at = after(created_at, 400, start, &mut rng);
        let state = f.state.clone().or_else(|| {
            f.parent
                .as_ref()
                .and_then(|p| org_states.get(p).cloned().flatten())
        });
        org_states.insert(f.reference.clone(), state);
        world.orgs.insert(
            id.clone(),
            Organization {
                id: id.clone(),
                name: f.name.clone(),
                parent_id: parent,
                status: f.status.clone(),
                created_at,
                updated_at,
                contact_first_name: Some(first),
                contact_last_name: Some(last),
                contact_email: Some(email),
                onboarding: f.onboarding_incomplete.as_ref().map(|o| Onboarding {
                    missing_steps: o.missing_steps.iter().map(|s| s.as_str().into()).collect(),
                    grace_ends_at: start + o.grace_days_left * DAY,
                }),
                balance_cents: f.balance_cents,
                sending_paused: f.sending_paused,
                rates: f.rates.unwrap_or_default(),
                merge_defaults: f.merge_defaults.clone(),
            },
        );
        org_ids.insert(f.reference.clone(), id);
    }
    world.index_orgs();

    let mut brand_ids: HashMap<String, String> = HashMap::new();
    for f in &fixtures.brands {
        let org_id = org_ids[&f.org].clone();
        let created_at = after(
            world.orgs[&org_id].created_at,
            60,
            start - 190 * DAY,
            &mut rng,
        );
        let id = new_id(Kind::Brand, created_at, &mut rng);
        let tcr = f
            .registered
            .then(|| format!("B{}", ids::upper_alnum(6, &mut rng)));
        world.brands.insert(
            id.clone(),
            Brand {
                id: id.clone(),
                org_id,
                name: f.name.clone(),
                tcr_brand_id: tcr,
                status: f.status.clone(),
                identity_status: f.identity_status.clone(),
                t_mobile_daily_cap: f.t_mobile_daily_cap,
                notes: f.notes.clone(),
                created_at,
                updated_at: after(created_at, 90, start, &mut rng),
            },
        );
        brand_ids.insert(f.reference.clone(), id);
    }

    let mut campaign_ids: HashMap<String, String> = HashMap::new();
    for f in &fixtures.campaigns {
        let brand = &world.brands[&brand_ids[&f.brand]];
        let (brand_id, org_id, brand_created, registered) = (
            brand.id.clone(),
            brand.org_id.clone(),
            brand.created_at,
            brand.tcr_brand_id.is_some(),
        );
        let created_at = after(brand_created, 30, start - 185 * DAY, &mut rng);
        let id = new_id(Kind::Campaign, created_at, &mut rng);
        let tcr = (registered && f.status != "PENDING")
            .then(|| format!("C{}", ids::upper_alnum(6, &mut rng)));
        world.campaigns.insert(
            id.clone(),
            Campaign {
                id: id.clone(),
                brand_id,
                org_id,
                name: f.name.clone(),
                status: f.status.clone(),
                tcr_campaign_id: tcr,
                political: f.political,
                att_sms_tpm: f.att_sms_tpm,
                att_mms_tpm: f.att_mms_tpm,
                notes: f.notes.clone(),
                created_at,
                updated_at: after(created_at, 60, start, &mut rng),
            },
        );
        campaign_ids.insert(f.reference.clone(), id);
    }

    let mut tfv_ids: HashMap<String, String> = HashMap::new();
    for f in &fixtures.toll_free_verifications {
        let org_id = org_ids[&f.org].clone();
        let created_at = after(
            world.orgs[&org_id].created_at,
            90,
            start - 30 * DAY,
            &mut rng,
        );
        let id = new_id(Kind::TollFreeVerification, created_at, &mut rng);
        let submitted_at = (f.status != TfvStatus::Draft)
            .then(|| after(created_at, 5, start - 20 * DAY, &mut rng));
        let decided_at = submitted_at.map(|s| after(s, 14, start - DAY, &mut rng));
        let verified_at = decided_at.filter(|_| f.status == TfvStatus::Verified);
        let request_id = submitted_at.map(|_| uuid_like(&mut rng));
        let updated_at = decided_at
            .filter(|_| matches!(f.status, TfvStatus::Verified | TfvStatus::Rejected))
            .or(submitted_at)
            .unwrap_or(created_at);
        world.toll_free_verifications.insert(
            id.clone(),
            TollFreeVerification {
                id: id.clone(),
                org_id,
                name: f.name.clone(),
                status: f.status,
                verification_request_id: request_id,
                business_name: f.business_name.clone(),
                use_case: f.use_case.clone(),
                rejection_reason: f.rejection_reason.clone(),
                submitted_at,
                verified_at,
                created_at,
                updated_at,
            },
        );
        tfv_ids.insert(f.reference.clone(), id);
    }

    let mut used_numbers: HashSet<String> = HashSet::new();
    for f in &fixtures.phone_numbers {
        let org_id = org_ids[&f.org].clone();
        let state = org_states.get(&f.org).cloned().flatten();
        let campaign_id = f.campaign.as_ref().map(|c| campaign_ids[c].clone());
        let tfv_id = f
            .toll_free_verification
            .as_ref()
            .map(|t| tfv_ids[t].clone());
        let owner_created = campaign_id
            .as_ref()
            .map(|c| world.campaigns[c].created_at)
            .or_else(|| {
                tfv_id
                    .as_ref()
                    .map(|t| world.toll_free_verifications[t].created_at)
            })
            .unwrap_or(world.orgs[&org_id].created_at);
        for _ in 0..f.count {
            let number = loop {
                let candidate = match (&f.number, f.channel) {
                    (Some(n), _) => n.clone(),
                    (None, Channel::TollFree) => phone::generate_toll_free(&mut rng),
                    (None, Channel::ShortCode) => phone::generate_short_code(&mut rng),
                    (None, _) => phone::generate_in_state(state.as_deref(), &mut rng),
                };
                if used_numbers.insert(candidate.clone()) || f.number.is_some() {
                    break candidate;
                }
            };
            let created_at = after(owner_created, 20, start - 180 * DAY, &mut rng);
            let id = new_id(Kind::PhoneNumber, created_at, &mut rng);
            world.phone_numbers.insert(
                id.clone(),
                PhoneNumber {
                    id,
                    number,
                    channel: f.channel,
                    owner_type: f.owner_type,
                    org_id: org_id.clone(),
                    campaign_id: campaign_id.clone(),
                    toll_free_verification_id: tfv_id.clone(),
                    status: f.status.clone(),
                    created_at,
                    shares: f
                        .shared_with
                        .iter()
                        .map(|s| NumberShare {
                            org_id: org_ids[&s.org].clone(),
                            nickname: s.nickname.clone(),
                        })
                        .collect(),
                },
            );
        }
    }

    for f in &fixtures.tracking_domains {
        let org_id = org_ids[&f.org].clone();
        let created_at = after(
            world.orgs[&org_id].created_at,
            60,
            start - 100 * DAY,
            &mut rng,
        );
        let id = new_id(Kind::TrackingDomain, created_at, &mut rng);
        world.tracking_domains.insert(
            id.clone(),
            TrackingDomain {
                id,
                org_id,
                domain: f.domain.clone(),
                status: "active".into(),
                verified_at: Some(after(created_at, 2, start, &mut rng)),
                created_at,
                shared_with_descendants: f.shared_with_descendants,
                notes: f.notes.clone(),
            },
        );
    }

    super::lists::add(
        &mut world,
        fixtures,
        &org_ids,
        &org_states,
        &brand_ids,
        &mut rng,
        start,
    );

    for f in &fixtures.keys {
        let org_id = org_ids[&f.org].clone();
        let created_at = after(world.orgs[&org_id].created_at, 200, start, &mut rng);
        world.keys.insert(
            f.key.clone(),
            ApiKey {
                key: f.key.clone(),
                name: f.name.clone(),
                organization_id: org_id,
                scopes: f.scopes.clone(),
                rate_limit: f.rate_limit,
                revoked: f.revoked,
                role: f.role,
                created_at,
            },
        );
    }
    super::history::add(&mut world, seed, start, history_scale);
    super::projects::add(
        &mut world,
        fixtures,
        &org_ids,
        &campaign_ids,
        &mut rng,
        start,
    );
    world
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::normalize_us;
    use crate::domain::registry::OwnerType;

    const START: Millis = 1_793_728_800_000; // 2026-11-03T18:00:00Z

    fn world(seed: u64) -> World {
        generate(&Fixtures::default_world(), seed, START)
    }

    #[test]
    fn same_seed_same_world_other_seed_other_ids() {
        let (a, b, c) = (world(1), world(1), world(2));
        let ids = |w: &World| {
            w.orgs
                .keys()
                .chain(w.phone_numbers.keys())
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
        let numbers = |w: &World| {
            w.phone_numbers
                .values()
                .map(|p| p.number.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(numbers(&a), numbers(&b));
    }

    #[test]
    fn everything_is_stamped_before_the_clock_start() {
        let w = world(5);
        assert!(w
            .orgs
            .values()
            .all(|o| o.created_at < START && o.updated_at <= START));
        assert!(w.phone_numbers.values().all(|p| p.created_at < START));
        assert!(w.keys.values().all(|k| k.created_at <= START));
        for o in w.orgs.values() {
            if let Some(p) = &o.parent_id {
                assert!(w.orgs[p].created_at < o.created_at);
            }
        }
    }

    #[test]
    fn numbers_are_unique_valid_nanp_and_local() {
        let w = world(3);
        let mut seen = HashSet::new();
        for p in w.phone_numbers.values() {
            assert!(seen.insert(p.number.clone()), "duplicate {}", p.number);
            if p.channel != Channel::ShortCode {
                assert_eq!(normalize_us(&p.number).as_deref(), Ok(p.number.as_str()));
            }
            if p.owner_type == OwnerType::Campaign {
                let c = &w.campaigns[p.campaign_id.as_deref().unwrap_or_default()];
                assert_eq!(c.org_id, p.org_id);
            }
        }
    }

    #[test]
    fn tree_is_three_levels_deep_and_ordered() {
        let w = world(1);
        let root = &w.org_order[0];
        assert!(w.orgs[root].parent_id.is_none());
        let depth = |id: &str| crate::store::tree::ancestors(&w, id).len();
        assert!(w.orgs.keys().any(|id| depth(id) >= 2));
        assert_eq!(w.org_order.len(), w.orgs.len());
    }
}
