//! The project rules that need the rest of the world: which brands, campaigns, verifications,
//! numbers, lists, media and tracking domains a project may use (CONTRACT §7), its audience and
//! estimate, and the org states that refuse a create, test or schedule. Create and PATCH share one
//! [`apply`], so both report every problem of one body together and cannot drift apart.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use crate::domain::contacts::{AnalysisStatus, ImportStatus};
use crate::domain::ledger::round_cents;
use crate::domain::media::MediaStatus;
use crate::domain::message::{self, LinkErrorKind};
use crate::domain::project::{Channel, Completeness, Protocol, Status};
use crate::domain::project_record::{LinkTracking, Project};
use crate::domain::registry::{Channel as NumberChannel, PauseScope};
use crate::domain::time::Millis;
use crate::domain::wire::WireEnum;
use crate::error::{ApiError, Code, FieldError};
use crate::store::{tree, World};

/// The most numbers a project may send from.
pub const MAX_NUMBERS: usize = 49;

/// What a create or PATCH body asks for; `None` leaves a field as it is (a create starts from
/// defaults). For the nullable link fields, `Some(None)` clears the value.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub name: Option<String>,
    pub channel: Option<Channel>,
    pub brand_id: Option<String>,
    pub campaign_id: Option<String>,
    pub toll_free_verification_id: Option<String>,
    pub phone_number_ids: Option<Vec<String>>,
    pub protocol: Option<Protocol>,
    pub message_text: Option<String>,
    pub contact_list_ids: Option<Vec<String>>,
    pub suppression_list_ids: Option<Vec<String>>,
    pub media_ids: Option<Vec<String>>,
    pub link_enabled: Option<bool>,
    pub link_destination: Option<Option<String>>,
    pub link_domain: Option<Option<String>>,
    pub link_param: Option<Option<String>>,
    pub link_fallback: Option<Option<String>>,
    pub opt_out_footer_enabled: Option<bool>,
}

/// The org-state refusals of CONTRACT §2/§7: onboarding past its grace window (create, copy),
/// sending paused (create, test, schedule), a balance at $0 here or above (test, schedule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgChecks {
    pub onboarding: bool,
    pub sending_paused: bool,
    pub balance: bool,
}

impl OrgChecks {
    /// Creating a project: onboarding and a sending pause refuse it.
    pub const CREATE: OrgChecks = OrgChecks {
        onboarding: true,
        sending_paused: true,
        balance: false,
    };
    /// Copying a project: only onboarding refuses it.
    pub const COPY: OrgChecks = OrgChecks {
        onboarding: true,
        sending_paused: false,
        balance: false,
    };
    /// Test messages and scheduling: a sending pause or an empty balance refuses them.
    pub const SEND: OrgChecks = OrgChecks {
        onboarding: false,
        sending_paused: true,
        balance: true,
    };
}

pub fn check_org(
    world: &World,
    org_id: &str,
    now: Millis,
    checks: OrgChecks,
) -> Result<(), ApiError> {
    let Some(org) = world.orgs.get(org_id) else {
        return Err(ApiError::NotFound {
            resource: "Organization",
        });
    };
    if checks.onboarding {
        if let Some(o) = org.onboarding.as_ref().filter(|o| o.grace_ends_at <= now) {
            return Err(ApiError::coded(
                Code::OnboardingIncomplete,
                "The organization's 14-day setup grace window has passed and onboarding is incomplete; finish it to create projects",
            )
            .with_details(json!({ "missingSteps": o.missing_steps, "onboardingUrl": "/onboarding" })));
        }
    }
    if checks.sending_paused {
        let scope = std::iter::once(org_id)
            .chain(tree::ancestors(world, org_id))
            .find_map(|id| world.orgs.get(id).and_then(|o| o.sending_paused));
        if let Some(scope) = scope {
            let why = match scope {
                PauseScope::Organization => "Sending is paused for this organization",
                PauseScope::Platform => "Sending is paused platform-wide",
            };
            return Err(ApiError::coded(Code::SendingPaused, why)
                .with_details(json!({ "scope": scope.as_str() })));
        }
    }
    if checks.balance {
        let broke = std::iter::once(org_id)
            .chain(tree::ancestors(world, org_id))
            .find(|id| world.orgs.get(*id).is_some_and(|o| o.balance_cents <= 0));
        if let Some(id) = broke {
            return Err(ApiError::coded(
                Code::InsufficientBalance,
                "The organization (or an organization above it) has no balance; add funds to send",
            )
            .with_details(json!({ "organization_id": id, "balance_cents": 0 })));
        }
    }
    Ok(())
}

/// Whether `org_id` may send from number `number_id`: it owns it, or an ancestor shares it with
/// it.
fn may_use_number(world: &World, org_id: &str, number_id: &str) -> bool {
    world
        .phone_numbers
        .get(number_id)
        .is_some_and(|n| n.org_id == org_id || n.shares.iter().any(|s| s.org_id == org_id))
}

/// Whether a tracking domain is the org's own or shared down to it.
fn may_use_domain(world: &World, org_id: &str, domain_id: &str) -> bool {
    world.tracking_domains.get(domain_id).is_some_and(|d| {
        d.org_id == org_id
            || (d.shared_with_descendants
                && tree::ancestors(world, org_id).contains(&d.org_id.as_str()))
    })
}

/// The project that holds `number_id` for an active send, other than `except`.
fn number_holder<'w>(world: &'w World, number_id: &str, except: &str) -> Option<&'w Project> {
    world.projects.values().find(|p| {
        p.id != except
            && matches!(
                p.status,
                Status::Scheduled | Status::Sending | Status::Paused
            )
            && p.phone_number_ids.iter().any(|n| n == number_id)
    })
}

/// The distinct phones a project would send to: its lists' contacts, less the suppression
/// lists' and the organization's opted-out numbers.
pub fn audience(world: &World, org_id: &str, lists: &[String], suppressions: &[String]) -> u64 {
    let opted = world.opt_outs.get(org_id).map_or(0, |s| s.len());
    let key = (
        org_id.to_string(),
        lists.to_vec(),
        suppressions.to_vec(),
        opted,
    );
    if let Some(n) = world.audience_cache.lock().get(&key) {
        return *n;
    }
    let n = count_audience(world, org_id, lists, suppressions);
    let mut cache = world.audience_cache.lock();
    if cache.len() >= 1024 {
        cache.clear();
    }
    cache.insert(key, n);
    n
}

fn count_audience(world: &World, org_id: &str, lists: &[String], suppressions: &[String]) -> u64 {
    // One list is deduplicated already (imports dedupe): no set needed.
    if let ([only], []) = (lists, suppressions) {
        return world.contact_lists.get(only).map_or(0, |l| {
            l.contacts
                .phones
                .iter()
                .filter(|p| !world.is_opted_out(org_id, **p))
                .count() as u64
        });
    }
    let suppressed: HashSet<u64> = suppressions
        .iter()
        .filter_map(|id| world.contact_lists.get(id))
        .flat_map(|l| l.contacts.phones.iter().copied())
        .collect();
    let mut seen: HashSet<u64> = HashSet::new();
    for list in lists.iter().filter_map(|id| world.contact_lists.get(id)) {
        for &phone in &list.contacts.phones {
            if !suppressed.contains(&phone) && !world.is_opted_out(org_id, phone) {
                seen.insert(phone);
            }
        }
    }
    seen.len() as u64
}

/// Recipients, parts of the rendered message (footer included) and the estimate in cents.
pub fn estimate(world: &World, p: &Project) -> (u64, u32, f64) {
    // Once a send has begun, its recipients are who it was built for (a later opt-out does not
    // shrink what was sent); before, the audience as it is now.
    let begun = matches!(
        p.status,
        Status::Sending | Status::Paused | Status::Completed
    );
    let run = world
        .engine
        .by_project
        .get(&p.id)
        .map(|&seq| &world.engine.runs[seq as usize])
        .filter(|_| begun);
    let recipients = match run {
        Some(run) => run.audience() as u64,
        None => audience(
            world,
            &p.org_id,
            &p.contact_list_ids,
            &p.suppression_list_ids,
        ),
    };
    let Some(text) = p.message_text.as_deref().filter(|t| !t.trim().is_empty()) else {
        return (recipients, 0, 0.0);
    };
    let defaults = merge_defaults(world, &p.org_id);
    let link = short_link_for(world, p, crate::domain::send::SAMPLE_LINK_CODE);
    let rendered = message::parse(text).render(&message::NoValues, &defaults, link.as_deref());
    let parts = message::segments(&message::with_footer(&rendered, p.opt_out_footer_enabled)).parts;
    let rate = world.orgs.get(&p.org_id).map_or(0.0, |o| match p.protocol {
        Protocol::Mms => o.rates.mms_cents,
        Protocol::Sms => o.rates.sms_cents,
    });
    let cost = round_cents(message::estimated_cost_cents(recipients, parts, rate));
    (recipients, parts, cost)
}

/// The org's merge-field defaults (`{first_name|there}` falls back to these when a value is
/// missing and the tag gives none).
pub fn merge_defaults(world: &World, org_id: &str) -> BTreeMap<String, String> {
    world
        .orgs
        .get(org_id)
        .map(|o| o.merge_defaults.clone())
        .unwrap_or_default()
}

/// The short link `{link}` renders to, on the project's tracking domain (or the sandbox's
/// default one); `None` when link tracking is off.
pub fn short_link_for(world: &World, p: &Project, code: &str) -> Option<String> {
    link_domain(world, p).map(|domain| message::short_link(&domain, code))
}

/// The domain the project's short links use: its tracking domain, or the sandbox's default one;
/// `None` when link tracking is off.
pub fn link_domain(world: &World, p: &Project) -> Option<String> {
    p.link.enabled.then(|| {
        p.link
            .domain_id
            .as_deref()
            .and_then(|d| world.tracking_domains.get(d))
            .map_or_else(|| "l.example".to_string(), |d| d.domain.clone())
    })
}

/// 409 `LIST_ANALYSIS_IN_PROGRESS` naming the lists still being analyzed.
pub fn analysis_in_progress(list_ids: Vec<String>) -> ApiError {
    ApiError::coded(
        Code::ListAnalysisInProgress,
        "a contact list on the project is being analyzed; wait for analysis.status complete",
    )
    .with_details(json!({ "contact_list_ids": list_ids }))
}

/// What a project has, as `completeness` reports it.
pub fn completeness_of(p: &Project) -> Completeness {
    crate::domain::project::completeness(
        !p.contact_list_ids.is_empty(),
        p.message_text
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty()),
        !p.phone_number_ids.is_empty(),
    )
}

/// Problems that are not plain validation: conflicts, placeholders.
struct Problems {
    fields: Vec<FieldError>,
    placeholder: Vec<FieldError>,
    unavailable: Vec<String>,
    analyzing: Vec<String>,
}

impl Problems {
    fn field(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldError::new(field, message));
    }

    fn into_result(self) -> Result<(), ApiError> {
        if !self.fields.is_empty() {
            let mut all = self.fields;
            all.extend(self.placeholder);
            return Err(ApiError::Validation(all));
        }
        if !self.placeholder.is_empty() {
            let message = self
                .placeholder
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(ApiError::coded(Code::InvalidLinkPlaceholder, message)
                .with_details(json!(self.placeholder)));
        }
        if !self.unavailable.is_empty() {
            return Err(ApiError::coded(
                Code::PhoneNumberUnavailable,
                format!(
                    "phone numbers released or in use by another project: {}",
                    self.unavailable.join(", ")
                ),
            )
            .with_details(json!({ "phone_number_ids": self.unavailable })));
        }
        if !self.analyzing.is_empty() {
            return Err(analysis_in_progress(self.analyzing));
        }
        Ok(())
    }
}

/// Applies `draft` to `p` (a new project with defaults, or a stored one for a PATCH) and checks
/// the result against the world: every problem of the body together (400 `VALIDATION_ERROR`),
/// then `INVALID_LINK_PLACEHOLDER`, `PHONE_NUMBER_UNAVAILABLE`, `LIST_ANALYSIS_IN_PROGRESS`.
///
/// Lists and media are those of the caller's tree (rooted at `reach_root`).
pub fn apply(
    world: &World,
    reach_root: &str,
    p: &mut Project,
    draft: Draft,
) -> Result<(), ApiError> {
    let mut problems = Problems {
        fields: Vec::new(),
        placeholder: Vec::new(),
        unavailable: Vec::new(),
        analyzing: Vec::new(),
    };
    if let Some(name) = draft.name {
        p.name = name;
    }
    if let Some(channel) = draft.channel {
        p.channel = channel;
    }
    if let Some(v) = draft.brand_id {
        p.brand_id = Some(v);
    }
    if let Some(v) = draft.campaign_id {
        p.campaign_id = Some(v);
    }
    if let Some(v) = draft.toll_free_verification_id {
        p.toll_free_verification_id = Some(v);
    }
    if let Some(v) = draft.phone_number_ids {
        p.phone_number_ids = v;
    }
    if let Some(v) = draft.protocol {
        p.protocol = v;
    }
    if let Some(v) = draft.message_text {
        p.message_text = Some(v);
    }
    if let Some(v) = draft.contact_list_ids {
        p.contact_list_ids = v;
    }
    if let Some(v) = draft.suppression_list_ids {
        p.suppression_list_ids = v;
    }
    if let Some(v) = draft.media_ids {
        p.media_ids = v;
    }
    if let Some(v) = draft.link_enabled {
        p.link.enabled = v;
    }
    if let Some(v) = draft.link_destination {
        p.link.destination_url = v;
    }
    if let Some(v) = draft.link_domain {
        p.link.domain_id = v;
    }
    if let Some(v) = draft.link_param {
        p.link.param_field = v;
    }
    if let Some(v) = draft.link_fallback {
        p.link.fallback_url = v;
    }
    if let Some(v) = draft.opt_out_footer_enabled {
        p.opt_out_footer_enabled = v;
    }
    let org = p.org_id.clone();

    // Channel registration: 10dlc needs a brand of the org and a campaign of that brand; toll-free
    // a verification of the org; neither takes the other's ids.
    match p.channel {
        Channel::TenDlc => {
            if p.toll_free_verification_id.is_some() {
                problems.field(
                    "toll_free_verification_id",
                    "is for channel toll-free; omit it for 10dlc",
                );
            }
            match p.brand_id.as_deref() {
                None => problems.field("brand_id", "is required for channel 10dlc"),
                Some(b) if world.brands.get(b).is_none_or(|b| b.org_id != org) => problems.field(
                    "brand_id",
                    "no brand with this id belongs to the organization",
                ),
                Some(_) => {}
            }
            match p.campaign_id.as_deref() {
                None => problems.field("campaign_id", "is required for channel 10dlc"),
                Some(c) => match world.campaigns.get(c) {
                    Some(c) if Some(c.brand_id.as_str()) == p.brand_id.as_deref() => {}
                    Some(_) => problems.field(
                        "campaign_id",
                        "is a campaign of another brand than brand_id",
                    ),
                    None => problems.field("campaign_id", "no campaign with this id"),
                },
            }
        }
        Channel::TollFree => {
            if p.brand_id.is_some() {
                problems.field("brand_id", "is for channel 10dlc; omit it for toll-free");
            }
            if p.campaign_id.is_some() {
                problems.field("campaign_id", "is for channel 10dlc; omit it for toll-free");
            }
            match p.toll_free_verification_id.as_deref() {
                None => problems.field(
                    "toll_free_verification_id",
                    "is required for channel toll-free",
                ),
                Some(t)
                    if world
                        .toll_free_verifications
                        .get(t)
                        .is_none_or(|t| t.org_id != org) =>
                {
                    problems.field(
                        "toll_free_verification_id",
                        "no toll-free verification with this id belongs to the organization",
                    )
                }
                Some(_) => {}
            }
        }
    }

    // Numbers: 1-49, distinct, of the channel, owned by or shared with the org, of the chosen
    // campaign or verification; released or held by another active project is a 409.
    if p.phone_number_ids.len() > MAX_NUMBERS {
        problems.field("phone_number_ids", format!("at most {MAX_NUMBERS} numbers"));
    }
    let mut seen = HashSet::new();
    for (i, id) in p.phone_number_ids.iter().enumerate() {
        let at = format!("phone_number_ids[{i}]");
        if !seen.insert(id.as_str()) {
            problems.field(&at, "is listed twice");
            continue;
        }
        let Some(n) = world
            .phone_numbers
            .get(id)
            .filter(|_| may_use_number(world, &org, id))
        else {
            problems.field(
                &at,
                "no phone number with this id belongs to or is shared with the organization",
            );
            continue;
        };
        let channel_ok = match p.channel {
            Channel::TenDlc => n.channel == NumberChannel::TenDlc,
            Channel::TollFree => n.channel == NumberChannel::TollFree,
        };
        if !channel_ok {
            problems.field(
                &at,
                format!(
                    "is a {} number; the project's channel is {}",
                    n.channel.as_str(),
                    p.channel.as_str()
                ),
            );
            continue;
        }
        match p.channel {
            Channel::TenDlc if n.campaign_id.is_some() && n.campaign_id != p.campaign_id => {
                problems.field(&at, "is registered to another campaign than campaign_id")
            }
            Channel::TollFree if n.toll_free_verification_id != p.toll_free_verification_id => {
                problems.field(
                    &at,
                    "belongs to another toll-free verification than toll_free_verification_id",
                )
            }
            _ => {}
        }
        if n.status != "active" || number_holder(world, id, &p.id).is_some() {
            problems.unavailable.push(id.clone());
        }
    }

    // Lists: each in the tree and ready; one being analyzed is a 409.
    for (field, ids) in [
        ("contact_list_ids", &p.contact_list_ids),
        ("suppression_list_ids", &p.suppression_list_ids),
    ] {
        for (i, id) in ids.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let Some(l) = world
                .contact_lists
                .get(id)
                .filter(|l| tree::is_within(world, &l.org_id, reach_root))
            else {
                problems.field(
                    &at,
                    "no contact list with this id in the organization's tree",
                );
                continue;
            };
            if l.import.status != ImportStatus::Ready {
                problems.field(
                    &at,
                    format!(
                        "the list's import is {}, not ready",
                        l.import.status.as_str()
                    ),
                );
            } else if l.analysis.status == AnalysisStatus::Processing {
                problems.analyzing.push(id.clone());
            }
        }
    }

    // Media: ready files of the tree; attaching any makes it an MMS.
    for (i, id) in p.media_ids.iter().enumerate() {
        let at = format!("media_ids[{i}]");
        match world
            .media
            .get(id)
            .filter(|m| tree::is_within(world, &m.org_id, reach_root))
        {
            None => problems.field(&at, "no media file with this id in the organization's tree"),
            Some(m) if m.status != MediaStatus::Ready => {
                problems.field(&at, format!("the file is {}, not ready", m.status.as_str()))
            }
            // MMS attachments are brand-scoped (SDK): an email asset, a file of another brand, or a
            // file of an organization that is neither the project's nor above it is refused.
            Some(m) if m.usage != crate::domain::media::MediaUsage::Mms => {
                problems.field(&at, "is an email asset; attach MMS media (usage mms)")
            }
            Some(m) if m.brand_id.is_some() && m.brand_id != p.brand_id => {
                problems.field(&at, "belongs to another brand than the project's")
            }
            Some(m)
                if m.org_id != org
                    && !tree::ancestors(world, &org).contains(&m.org_id.as_str()) =>
            {
                problems.field(
                    &at,
                    "belongs to an organization that is not the project's or above it",
                )
            }
            Some(_) => {}
        }
    }
    if !p.media_ids.is_empty() && p.protocol == Protocol::Sms {
        problems.field("protocol", "must be mms when media_ids are attached");
    }

    // Message: tags must exist in an attached list or be standard.
    if let Some(text) = p.message_text.as_deref() {
        if text.trim().is_empty() {
            problems.field("message_text", "must not be empty");
        } else {
            let known: Vec<String> = p
                .contact_list_ids
                .iter()
                .filter_map(|id| world.contact_lists.get(id))
                .flat_map(|l| l.merge_tags.iter().map(|t| t.merge_tag.clone()))
                .collect();
            let unknown = message::unknown_tags(text, &known);
            if !unknown.is_empty() {
                problems.field(
                    "message_text",
                    format!(
                        "unknown merge tags: {}; the attached lists offer: {}",
                        unknown.join(", "),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
            if message::parse(text).has_link() && !p.link.enabled {
                problems.field(
                    "message_text",
                    "uses {link} but link_tracking_enabled is false",
                );
            }
        }
    }

    // Link tracking.
    if p.link.enabled {
        match p.link.domain_id.as_deref() {
            None => problems.field(
                "link_tracking_domain_id",
                "is required when link_tracking_enabled is true",
            ),
            Some(d) if !may_use_domain(world, &org, d) => problems.field(
                "link_tracking_domain_id",
                "no tracking domain with this id is owned by or shared with the organization",
            ),
            Some(_) => {}
        }
        match p.link.destination_url.as_deref() {
            None => problems.field(
                "link_tracking_destination_url",
                "is required when link_tracking_enabled is true",
            ),
            Some(dest) => {
                if let Err(errors) = message::check_link_settings(
                    dest,
                    p.link.param_field.as_deref(),
                    p.link.fallback_url.as_deref(),
                ) {
                    for e in errors {
                        let fe = FieldError::new(e.field.as_str(), e.message.clone());
                        match e.kind {
                            LinkErrorKind::InvalidPlaceholder => problems.placeholder.push(fe),
                            LinkErrorKind::Validation => problems.fields.push(fe),
                        }
                    }
                }
            }
        }
    } else if let Some(field) = p.link.param_field.as_deref() {
        if field.chars().count() > message::PARAM_FIELD_MAX {
            problems.field(
                "link_tracking_param_field",
                format!("at most {} characters", message::PARAM_FIELD_MAX),
            );
        }
    }
    problems.into_result()
}

/// A new project's defaults before its create body applies.
pub fn blank(id: String, org_id: String, now: Millis) -> Project {
    Project {
        id,
        org_id,
        name: String::new(),
        project_type: crate::domain::project::ProjectType::Broadcast,
        status: Status::Draft,
        channel: Channel::TenDlc,
        brand_id: None,
        campaign_id: None,
        toll_free_verification_id: None,
        phone_number_ids: Vec::new(),
        protocol: Protocol::Sms,
        message_text: None,
        contact_list_ids: Vec::new(),
        suppression_list_ids: Vec::new(),
        media_ids: Vec::new(),
        link: LinkTracking::default(),
        opt_out_footer_enabled: true,
        ai_survey_analysis_enabled: false,
        scheduled_at: None,
        scheduled_timezone: None,
        unscheduled_at: None,
        pause: None,
        daily_cap_bypass: false,
        created_via_api: true,
        created_at: now,
        updated_at: now,
        completed_at: None,
        questions: None,
        metrics: Default::default(),
        test: Default::default(),
    }
}

/// The projects that use contact list `list_id` (as a list or a suppression list), for a
/// delete's 409 `CONTACT_LIST_IN_USE`.
pub fn users_of_list(world: &World, list_id: &str) -> Vec<crate::access::User> {
    world
        .projects
        .values()
        .filter(|p| {
            p.contact_list_ids
                .iter()
                .chain(&p.suppression_list_ids)
                .any(|l| l == list_id)
        })
        .map(user)
        .collect()
}

/// The projects that attach media file `media_id`, for a delete's 409 `MEDIA_IN_USE`.
pub fn users_of_media(world: &World, media_id: &str) -> Vec<crate::access::User> {
    world
        .projects
        .values()
        .filter(|p| p.media_ids.iter().any(|m| m == media_id))
        .map(user)
        .collect()
}

fn user(p: &Project) -> crate::access::User {
    crate::access::User {
        id: p.id.clone(),
        name: p.name.clone(),
        status: p.status.as_str().to_string(),
    }
}
