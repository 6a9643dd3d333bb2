//! Seeded contact lists and media: lists are generated as CSV text and run through the same
//! import pipeline a real import uses, so their counters are consistent by construction; media
//! are made from the bundled sample files.

use std::collections::{HashMap, HashSet};

use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::fixtures::{Fixtures, ListFixture, SeedListStatus};
use crate::domain::contacts::{phone_to_u64, AnalysisState, AnalysisStatus, ImportStatus};
use crate::domain::ids::{new_id, Kind};
use crate::domain::lrn;
use crate::domain::media::{self, MediaFile, MediaStatus, MediaUsage};
use crate::domain::phone;
use crate::domain::time::{Millis, DAY, MINUTE};
use crate::sim::{analysis, import};

/// The rate seeded imports are laid out with (they are long finished by the clock start).
const IMPORT_ROWS_PER_SECOND: u64 = 5_000;
use crate::store::files::FileStore;
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
    let files = FileStore::new(super::samples::CATALOG);
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
        // The same write rules as a real import and analysis: processing, then ready when the
        // window passed; an analyzed list is a run started a minute later and completed.
        let new = import::NewList {
            id: id.clone(),
            org_id,
            brand_id: f.brand.as_ref().map(|b| brand_ids[b].clone()),
            name: f.name.clone(),
            created_at,
            imported_via_api: false,
            source_url: None,
        };
        let mut list = match parsed {
            Some(p) => {
                let mut list = import::new_list(new, Ok(p), IMPORT_ROWS_PER_SECOND);
                import::finish_processing(&mut list.import, done_at);
                list
            }
            None => {
                let mut list = import::new_list(new, Err(String::new()), IMPORT_ROWS_PER_SECOND);
                list.import = import::failed(f.failure_reason.clone(), created_at, done_at);
                list
            }
        };
        if f.analyzed && list.import.status == ImportStatus::Ready {
            list.analysis = AnalysisState {
                status: AnalysisStatus::Processing,
                analyzed_numbers: 0,
                queued: list.contacts.len() as u64,
                started_at: Some(done_at + MINUTE),
                completes_at: Some(done_at + 3 * MINUTE),
            };
            analysis::complete_list(&mut list, world.seed, done_at + 3 * MINUTE);
        }
        world.contact_lists.insert(id, list);
    }

    for f in &fixtures.media {
        let org_id = org_ids[&f.org].clone();
        let created_at = start - rng.random_range(2..120) * DAY - rng.random_range(0..DAY);
        let id = new_id(Kind::Media, created_at, &mut world.rng);
        let kind = media::Kind::from_name(&f.sample);
        let size = files.sample(&f.sample).map_or(0, |s| s.bytes.len() as u64);
        let stored = kind.map(|k| media::stored_name(&f.name, k));
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
