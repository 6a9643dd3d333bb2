//! The kinds of work the scheduler runs. Each capability adds its variant here and its arm in
//! [`run`]; jobs are plain data (ids, not references), so pending work can be listed and
//! snapshotted, and a job whose subject was deleted meanwhile simply finds nothing to do.

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::domain::contacts::{AnalysisStatus, ImportStatus, LineType};
use crate::domain::lrn;
use crate::domain::media::MediaStatus;
use crate::domain::registry::WireEnum;
use crate::domain::time::{Millis, HOUR};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Hourly: forgets finished rate-limit windows and expired idempotency answers.
    Housekeeping,
    /// A contact list's processing window has passed: it is ready.
    ImportReady { list_id: String },
    /// An LRN analysis run has finished: results, breakdown, `contact_list.analyzed`.
    AnalysisComplete { list_id: String },
    /// A media file has been optimized: it is ready and its URL serves it.
    MediaReady { media_id: String },
}

/// Runs one due job at its due time `at`.
pub fn run(state: &AppState, job: Job, at: Millis) {
    match job {
        Job::Housekeeping => {
            state.limiter.prune(at.div_euclid(1000));
            state.idempotency.prune(at);
            state.scheduler.schedule(at + HOUR, Job::Housekeeping);
        }
        Job::ImportReady { list_id } => {
            let mut world = state.store.write();
            if let Some(list) = world.contact_lists.get_mut(&list_id) {
                if list.import.status == ImportStatus::Processing {
                    list.import.status = ImportStatus::Ready;
                    list.import.processing_completed_at = Some(at);
                }
            }
        }
        Job::AnalysisComplete { list_id } => complete_analysis(state, &list_id, at),
        Job::MediaReady { media_id } => {
            let mut world = state.store.write();
            if let Some(m) = world.media.get_mut(&media_id) {
                if m.status == MediaStatus::Optimizing {
                    m.status = MediaStatus::Ready;
                    m.optimized_at = Some(at);
                }
            }
        }
    }
}

/// Looks up every contact not yet analyzed, counts the breakdown, and emits the event.
pub fn complete_analysis(state: &AppState, list_id: &str, at: Millis) {
    let seed = state.settings.seed;
    let mut world = state.store.write();
    let Some(list) = world.contact_lists.get_mut(list_id) else {
        return;
    };
    if list.analysis.status != AnalysisStatus::Processing {
        return;
    }
    let mut newly = 0u64;
    for row in 0..list.contacts.len() {
        if list.contacts.line_type(row).is_none() {
            let t = lrn::line_type(seed, list.contacts.phones[row]);
            list.contacts.set_line_type(row, t);
            newly += 1;
        }
    }
    let mut breakdown = std::collections::BTreeMap::new();
    for t in LineType::ALL {
        breakdown.insert(t.as_str().to_string(), 0u64);
    }
    for row in 0..list.contacts.len() {
        if let Some(t) = list.contacts.line_type(row) {
            *breakdown.entry(t.as_str().to_string()).or_default() += 1;
        }
    }
    list.breakdown = breakdown.clone();
    list.analysis.analyzed_numbers += newly;
    list.analysis.status = AnalysisStatus::Complete;
    list.analysis.queued = 0;
    list.analysis.completes_at = Some(at);
    let data = serde_json::json!({
        "list_id": list.id,
        "organization_id": list.org_id,
        "analyzed_numbers": list.analysis.analyzed_numbers,
        "breakdown": breakdown,
    });
    world.emit("contact_list.analyzed", at, data);
}
