//! 180 days of message and ledger history per sending organization, before the clock start
//! (CONTRACT §9), so every stats and usage endpoint answers with real numbers from the first
//! request. Deterministic from the seed, drawn from an rng of its own so the rest of the world's
//! ids do not depend on it.
//!
//! Per campaign and day: whether it sent (about half the days), how many messages, and how they
//! ended (delivered ~90 %, failed ~4 %, the rest without a receipt; ~5 % of delivered get a
//! reply). Delivered parts are charged to the organization and each ancestor at its own tier
//! rate; on about a third of a client's sending days the agency's own key did the sending
//! (`initiatingOrganizationId` = the root). Some days carry carrier lookups. 10DLC fees at the
//! published prices: brand registration $4.50 and the Campaign Verify token $95 (political
//! brands) once, on the brand's creation day when it falls in the window, and $10 per campaign
//! per month on its monthly anniversary.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::time::{Millis, DAY};
use crate::store::stats::{day_of, status, LedgerKey, MessageDelta};
use crate::store::world::Charge;
use crate::store::{tree, World};

/// How far back the history goes.
pub const DAYS: i64 = 180;

const BRAND_REGISTRATION_CENTS: f64 = 450.0;
const CAMPAIGN_VERIFY_CENTS: f64 = 9_500.0;
const CAMPAIGN_MONTHLY_CENTS: f64 = 1_000.0;

pub fn add(world: &mut World, seed: u64, start: Millis, scale: f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4849_5354_4f52_5900);
    let first = day_of(start) - DAYS;
    let last = day_of(start) - 1;
    let campaigns: Vec<(String, String, String, bool, Millis)> = world
        .campaigns
        .values()
        .map(|c| {
            (
                c.id.clone(),
                c.org_id.clone(),
                c.brand_id.clone(),
                c.political,
                c.created_at,
            )
        })
        .collect();
    for (campaign, org, brand, _, created) in &campaigns {
        // A client's agency (its root) sends for it some days; a root org sends for itself.
        let agency = tree::ancestors(world, org)
            .last()
            .map_or_else(|| org.clone(), |s| s.to_string());
        sends(
            world,
            &mut rng,
            org,
            campaign,
            brand,
            &agency,
            first.max(day_of(*created)),
            last,
            scale,
        );
    }
    lookups(world, &mut rng, first, last);
    fees(world, &campaigns, first, last);
}

/// Per day: a campaign's traffic and what it cost, initiated by the org or (a third of a
/// client's days) by its agency.
#[allow(clippy::too_many_arguments)]
fn sends(
    world: &mut World,
    rng: &mut ChaCha8Rng,
    org: &str,
    campaign: &str,
    brand: &str,
    agency: &str,
    first: i64,
    last: i64,
    scale: f64,
) {
    if !world.orgs.contains_key(org) {
        return;
    }
    for day in first..=last {
        if rng.random_range(0..100) >= 48 {
            continue;
        }
        let n = (rng.random_range(80..2_400) as f64 * scale).round() as i64;
        let failed = n * rng.random_range(2..7) / 100;
        let no_receipt = n * rng.random_range(1..4) / 100;
        let delivered = n - failed - no_receipt;
        let replies = delivered * rng.random_range(2..8) / 100;
        let parts = (delivered + delivered * rng.random_range(0..30) / 100) as u64;
        let initiator = if agency != org && rng.random_range(0..3) == 0 {
            agency
        } else {
            org
        };
        let at = day * DAY + rng.random_range(13 * 3_600_000..23 * 3_600_000);
        let cost = world.book_history(
            Charge {
                org_id: org,
                initiating_org_id: initiator,
                kind: "sms",
                event_type: "message_delivered",
                quantity: parts,
                project_id: None,
                campaign_id: Some(campaign),
                brand_id: Some(brand),
                at,
            },
            |r| r.sms_cents,
        );
        for (st, count, cents) in [
            (status::DELIVERED, delivered, cost),
            (status::FAILED, failed, 0.0),
            (status::SENT, no_receipt, 0.0),
            (status::RECEIVED, replies, 0.0),
        ] {
            world.stats.message(MessageDelta {
                org_id: org,
                campaign_id: Some(campaign),
                project_id: None,
                day,
                status: st,
                count,
                cost_cents: cents,
            });
        }
    }
}

/// Carrier lookups on some days of each organization that has lists.
fn lookups(world: &mut World, rng: &mut ChaCha8Rng, first: i64, last: i64) {
    let orgs: Vec<String> = world.org_order.clone();
    for org in orgs {
        if !world.contact_lists.values().any(|l| l.org_id == org) {
            continue;
        }
        for day in first..=last {
            if rng.random_range(0..100) >= 8 {
                continue;
            }
            let quantity = rng.random_range(300..6_000);
            world.book_history(
                Charge {
                    org_id: &org,
                    initiating_org_id: &org,
                    kind: "carrier_lookup",
                    event_type: "lookup",
                    quantity,
                    project_id: None,
                    campaign_id: None,
                    brand_id: None,
                    at: day * DAY + 15 * 3_600_000,
                },
                |r| r.lookup_cents,
            );
        }
    }
}

/// 10DLC fees at the published prices, charged to the brand's or campaign's organization only.
fn fees(
    world: &mut World,
    campaigns: &[(String, String, String, bool, Millis)],
    first: i64,
    last: i64,
) {
    let brands: Vec<(String, String, Millis, bool)> = world
        .brands
        .values()
        .map(|b| {
            let political = campaigns.iter().any(|c| c.2 == b.id && c.3);
            (b.id.clone(), b.org_id.clone(), b.created_at, political)
        })
        .collect();
    for (brand, org, created, political) in brands {
        let day = day_of(created);
        if (first..=last).contains(&day) {
            fee(
                world,
                &org,
                day,
                "10dlc_brand_registration",
                Some(&brand),
                None,
                BRAND_REGISTRATION_CENTS,
            );
            if political {
                fee(
                    world,
                    &org,
                    day,
                    "campaign_verify_token",
                    Some(&brand),
                    None,
                    CAMPAIGN_VERIFY_CENTS,
                );
            }
        }
    }
    for (campaign, org, brand, _, created) in campaigns {
        let mut day = day_of(*created);
        while day <= last {
            if day >= first {
                fee(
                    world,
                    org,
                    day,
                    "10dlc_campaign_monthly",
                    Some(brand),
                    Some(campaign),
                    CAMPAIGN_MONTHLY_CENTS,
                );
            }
            day += 30;
        }
    }
}

fn fee(
    world: &mut World,
    org: &str,
    day: i64,
    product: &str,
    brand: Option<&str>,
    campaign: Option<&str>,
    cents: f64,
) {
    world.stats.ledger_line(
        org,
        day,
        LedgerKey {
            product: product.to_string(),
            event_type: "fee".to_string(),
            initiating_org_id: org.to_string(),
            campaign_id: campaign.map(str::to_string),
            brand_id: brand.map(str::to_string),
        },
        1,
        -cents,
        cents,
    );
}

/// A seeded project's sends (replayed by `seed::projects`): its messages on the day it was
/// scheduled, and their charges, so its `actual_cost` equals its ledger lines.
pub fn project(
    world: &mut World,
    p: &crate::domain::project_record::Project,
    parts_each: u64,
    at: Millis,
) {
    let m = p.metrics;
    let day = day_of(at);
    let campaign = p.campaign_id.as_deref();
    world.book_history(
        Charge {
            org_id: &p.org_id,
            initiating_org_id: &p.org_id,
            kind: "sms",
            event_type: "message_delivered",
            quantity: m.delivered * parts_each,
            project_id: Some(&p.id),
            campaign_id: campaign,
            brand_id: p.brand_id.as_deref(),
            at,
        },
        |r| r.sms_cents,
    );
    let cost = world
        .stats
        .project_cost_cents
        .get(&p.id)
        .copied()
        .unwrap_or(0.0);
    let no_receipt = m.sent.saturating_sub(m.delivered + m.undeliverable);
    for (st, count, cents) in [
        (status::DELIVERED, m.delivered, cost),
        (status::FAILED, m.undeliverable, 0.0),
        (status::SENT, no_receipt, 0.0),
        (status::RECEIVED, m.replies, 0.0),
    ] {
        if count == 0 {
            continue;
        }
        world.stats.message(MessageDelta {
            org_id: &p.org_id,
            campaign_id: campaign,
            project_id: Some(&p.id),
            day,
            status: st,
            count: count as i64,
            cost_cents: cents,
        });
    }
}
