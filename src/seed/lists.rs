//! Seeded contact lists and media: lists are generated as CSV text and run through the same
//! import pipeline a real import uses, so their counters are consistent by construction; media
//! are made from the bundled sample files.

use std::collections::{HashMap, HashSet};

use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::fixtures::{Fixtures, ListFixture, SeedListStatus};
use crate::domain::contacts::{
    phone_to_u64, AnalysisState, AnalysisStatus, ContactList, Contacts, ImportState, ImportStatus,
};
use crate::domain::ids::{new_id, Kind};
use crate::domain::lrn;
use crate::domain::media::{self, MediaFile, MediaStatus, MediaUsage};
use crate::domain::phone;
use crate::domain::registry::WireEnum;
use crate::domain::time::{Millis, DAY, MINUTE};
use crate::sim::import;
use crate::store::World;

/// The generated CSV of a seeded list, and the numbers in it that the org has opted out.
fn list_csv(
    f: &ListFixture,
    state: Option<&str>,
    rng: &mut ChaCha8Rng,
    used: &mut HashSet<String>,
) -> (String, Vec<u64>) {
    let (rows, opted_out) = (f.contacts, f.opted_out);
    let mut csv = String::from("phone,first_name,last_name,city,zip,precinct\n");
    let mut numbers = Vec::new();
    let mut opted = Vec::new();
    for i in 0..rows {
        let number = loop {
            let n = phone::generate_in_state(state, rng);
            if used.insert(n.clone()) {
                break n;
            }
        };
        let first: String = FirstName().fake_with_rng(rng);
        let last: String = LastName().fake_with_rng(rng);
        let n = phone_to_u64(&number).unwrap_or_default();
        let (city, _) = lrn::place(n);
        let zip = 10_000 + rng.random_range(0..89_999u32);
        csv.push_str(&format!(
            "{number},{first},{last},{city},{zip},P-{:03}\n",
            rng.random_range(1..200u32)
        ));
        if i < opted_out {
            opted.push(n);
        }
        numbers.push(number);
    }
    if f.include_magic {
        for k in 0..10 {
            csv.push_str(&format!("+1500555000{k},Test,Contact {k},,,TEST\n"));
        }
    }
    for _ in 0..f.duplicates.min(rows) {
        let n = &numbers[rng.random_range(0..numbers.len())];
        csv.push_str(&format!("{n},Dup,Row,,,\n"));
    }
    for k in 0..f.bad_numbers {
        csv.push_str(&format!("555-01{k:02},Bad,Number,,,\n"));
    }
    (csv, opted)
}

pub fn add(
    world: &mut World,
    fixtures: &Fixtures,
    org_ids: &HashMap<String, String>,
    org_states: &HashMap<String, Option<String>>,
    brand_ids: &HashMap<String, String>,
    rng: &mut ChaCha8Rng,
    start: Millis,
) {
    let mut used: HashSet<String> = world
        .phone_numbers
        .values()
        .map(|p| p.number.clone())
        .collect();
    for f in &fixtures.contact_lists {
        let org_id = org_ids[&f.org].clone();
        let state = org_states.get(&f.org).cloned().flatten();
        let created_at = start - rng.random_range(2..170) * DAY - rng.random_range(0..DAY);
        let id = new_id(Kind::ContactList, created_at, &mut world.rng);
        let (csv, opted) = list_csv(f, state.as_deref(), rng, &mut used);
        world
            .opt_outs
            .entry(org_id.clone())
            .or_default()
            .extend(opted.iter().copied());
        let opt_outs = world.opt_outs.get(&org_id).cloned().unwrap_or_default();
        let parsed = if f.status == SeedListStatus::Ready {
            import::parse(
                csv.as_bytes(),
                "phone",
                None,
                &|p| opt_outs.contains(&p),
                u64::MAX,
            )
            .ok()
        } else {
            None
        };
        let done_at = created_at + 2 * MINUTE;
        let mut list = ContactList {
            id: id.clone(),
            org_id,
            brand_id: f.brand.as_ref().map(|b| brand_ids[b].clone()),
            name: f.name.clone(),
            created_at,
            imported_via_api: false,
            source_url: None,
            import: ImportState {
                status: ImportStatus::Failed,
                total_rows: None,
                total_contacts: None,
                clean_contacts: None,
                duplicate_count: None,
                bad_number_count: None,
                opted_out_count: None,
                processing_started_at: Some(created_at),
                processing_completed_at: Some(done_at),
                failure_reason: f.failure_reason.clone(),
            },
            analysis: AnalysisState::default(),
            merge_tags: Vec::new(),
            contacts: Contacts::default(),
            breakdown: Default::default(),
        };
        if let Some(p) = parsed {
            list.import = ImportState {
                status: ImportStatus::Ready,
                total_rows: Some(p.total_rows),
                total_contacts: Some(p.total_contacts),
                clean_contacts: Some(p.clean_contacts),
                duplicate_count: Some(p.duplicate_count),
                bad_number_count: Some(p.bad_number_count),
                opted_out_count: Some(p.opted_out_count),
                processing_started_at: Some(created_at),
                processing_completed_at: Some(done_at),
                failure_reason: None,
            };
            list.merge_tags = p.merge_tags;
            list.contacts = p.contacts;
            if f.analyzed {
                for row in 0..list.contacts.len() {
                    let t = lrn::line_type(world.seed, list.contacts.phones[row]);
                    list.contacts.set_line_type(row, t);
                    *list.breakdown.entry(t.as_str().to_string()).or_default() += 1;
                }
                for t in crate::domain::contacts::LineType::ALL {
                    list.breakdown.entry(t.as_str().to_string()).or_default();
                }
                list.analysis = AnalysisState {
                    status: AnalysisStatus::Complete,
                    analyzed_numbers: list.contacts.len() as u64,
                    queued: 0,
                    started_at: Some(done_at + MINUTE),
                    completes_at: Some(done_at + 3 * MINUTE),
                };
            }
        }
        world.contact_lists.insert(id, list);
    }

    for f in &fixtures.media {
        let org_id = org_ids[&f.org].clone();
        let created_at = start - rng.random_range(2..120) * DAY - rng.random_range(0..DAY);
        let id = new_id(Kind::Media, created_at, &mut world.rng);
        let kind = media::Kind::from_name(&f.sample);
        let size = crate::store::files::FileStore::default()
            .get(&f.sample)
            .map_or(0, |s| s.bytes.len() as u64);
        let stored = kind.map(|k| {
            let stem = crate::domain::contacts::tag_of_header(&f.name).replace('_', "-");
            format!("{stem}.{}", k.extension())
        });
        world.media.insert(
            id.clone(),
            MediaFile {
                id: id.clone(),
                org_id: org_id.clone(),
                brand_id: f.brand.as_ref().map(|b| brand_ids[b].clone()),
                name: f.name.clone(),
                usage: if f.email_asset {
                    MediaUsage::EmailAsset
                } else {
                    MediaUsage::Mms
                },
                status: MediaStatus::Ready,
                content_type: kind.map(|k| k.content_type().to_string()),
                file_size_bytes: size,
                storage_key: stored.as_ref().map(|s| format!("media/{org_id}/{id}/{s}")),
                stored_name: stored,
                uploaded_via_api: false,
                source_url: None,
                failure_reason: None,
                created_at,
                optimized_at: Some(created_at + 5_000),
                seed_sample: Some(f.sample.clone()),
            },
        );
    }
}
