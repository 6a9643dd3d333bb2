//! A project as the world stores it, and its test messages. The rules that move it live in
//! `domain::project` (status machine, completeness, copy names) and `domain::message` (text,
//! segments, links); the rules that need the rest of the world (which numbers, lists and domains
//! a project may use, its audience) live in `sim::projects`.

use serde::{Deserialize, Serialize};

use super::project::{Channel, Pause, ProjectType, Protocol, Status};
use super::time::Millis;

/// Link tracking as configured on the project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTracking {
    pub enabled: bool,
    pub destination_url: Option<String>,
    pub domain_id: Option<String>,
    pub param_field: Option<String>,
    pub fallback_url: Option<String>,
}

/// One option of a multiple-choice survey question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SurveyOption {
    pub value: u32,
    pub label: String,
    pub next_sequence: Option<u32>,
}

/// A question of a (seeded, read-only) survey project, in the SDK's `SurveyQuestion` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SurveyQuestion {
    pub id: String,
    pub sequence: u32,
    /// `intro`, `multiple_choice`, `open_ended` or `outro`.
    pub question_type: String,
    pub question_text: String,
    /// `sms` or `mms`.
    pub message_type: String,
    pub media_urls: Vec<String>,
    pub response_options: Option<Vec<SurveyOption>>,
    pub no_match_sequence: Option<u32>,
    pub is_required: bool,
}

/// Production counters (`metrics` of the project's stats); the send engine fills them.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Metrics {
    pub sent: u64,
    pub delivered: u64,
    pub undeliverable: u64,
    pub clicks_total: u64,
    pub clicks_unique: u64,
    pub replies: u64,
    pub opt_outs: u64,
}

/// Test-send counters, kept apart from `metrics`. `sent` holds only tests still awaiting an
/// outcome (a pipeline, as the SDK describes), so a queued test counts there.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct TestCounts {
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    pub replies: u64,
    pub clicks_total: u64,
    pub clicks_unique: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub project_type: ProjectType,
    pub status: Status,
    pub channel: Channel,
    pub brand_id: Option<String>,
    pub campaign_id: Option<String>,
    pub toll_free_verification_id: Option<String>,
    pub phone_number_ids: Vec<String>,
    pub protocol: Protocol,
    /// None for surveys.
    pub message_text: Option<String>,
    pub contact_list_ids: Vec<String>,
    pub suppression_list_ids: Vec<String>,
    /// Attached media, in order (the API shows their URLs in `media_urls`).
    pub media_ids: Vec<String>,
    pub link: LinkTracking,
    pub opt_out_footer_enabled: bool,
    pub ai_survey_analysis_enabled: bool,
    pub scheduled_at: Option<Millis>,
    pub scheduled_timezone: Option<String>,
    /// When the last unschedule took effect (repeating it answers the same).
    pub unscheduled_at: Option<Millis>,
    pub pause: Option<Pause>,
    /// Set by the last schedule call, rewritten by the next one.
    pub daily_cap_bypass: bool,
    pub created_via_api: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub completed_at: Option<Millis>,
    /// Survey projects only.
    pub questions: Option<Vec<SurveyQuestion>>,
    pub metrics: Metrics,
    pub test: TestCounts,
}

super::registry::owned!(Project);
