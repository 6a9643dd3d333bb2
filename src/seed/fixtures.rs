//! The fixture file format (its JSON Schema is `pc-sandbox schema fixtures`) and its checks.
//! Entities refer to each other by `ref`, a name local to the file; ids are generated.

use std::collections::{BTreeMap, HashMap, HashSet};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::keys::{self, KeyRole, RateLimitSpec, Scope};
use crate::domain::registry::{Channel, OwnerType, PauseScope, Rates, TfvStatus};

/// The bundled default world.
pub const DEFAULT_FIXTURES: &str = include_str!("../../fixtures/default.json");

/// A sandbox world description.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// JSON Schema reference for editors; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// When true, this file is added to the bundled default world instead of replacing it.
    #[serde(default)]
    pub extends_default: bool,
    #[serde(default)]
    pub organizations: Vec<OrgFixture>,
    #[serde(default)]
    pub brands: Vec<BrandFixture>,
    #[serde(default)]
    pub campaigns: Vec<CampaignFixture>,
    #[serde(default)]
    pub toll_free_verifications: Vec<TfvFixture>,
    #[serde(default)]
    pub phone_numbers: Vec<NumberFixture>,
    #[serde(default)]
    pub tracking_domains: Vec<DomainFixture>,
    #[serde(default)]
    pub keys: Vec<KeyFixture>,
    #[serde(default)]
    pub contact_lists: Vec<ListFixture>,
    #[serde(default)]
    pub media: Vec<MediaFixture>,
    #[serde(default)]
    pub projects: Vec<ProjectFixture>,
    /// Webhook endpoints the sandbox starts with (and a reset restores).
    #[serde(default)]
    pub webhook_endpoints: Vec<crate::webhooks::model::WebhookSpec>,
}

fn one_number() -> usize {
    1
}

/// A project made before the clock start, in any status (surveys are read-only).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFixture {
    pub org: String,
    pub name: String,
    pub status: crate::domain::project::Status,
    /// A survey project (with seeded questions) instead of a broadcast.
    #[serde(default)]
    pub survey: bool,
    /// `ref` of a campaign of the organization's brands (10dlc).
    pub campaign: String,
    /// How many of the campaign's active numbers it sends from.
    #[serde(default = "one_number")]
    pub numbers: usize,
    /// Names of contact lists of the organization's tree.
    #[serde(default)]
    pub lists: Vec<String>,
    /// The broadcast's text (merge tags allowed); required for a broadcast that is not a draft.
    #[serde(default)]
    pub message: Option<String>,
    /// Required when paused.
    #[serde(default)]
    pub pause_reason: Option<String>,
    #[serde(default)]
    pub auto_paused: bool,
}

fn ready() -> SeedListStatus {
    SeedListStatus::Ready
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeedListStatus {
    Ready,
    Failed,
}

/// A contact list imported before the clock start, with generated contacts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFixture {
    pub org: String,
    /// `ref` of a brand of the same organization.
    #[serde(default)]
    pub brand: Option<String>,
    pub name: String,
    /// Rows with distinct, valid numbers in the organization's state.
    #[serde(default)]
    pub contacts: u32,
    /// Also include the ten magic numbers +1 500 555 0000-0009.
    #[serde(default)]
    pub include_magic: bool,
    /// Rows repeating an earlier number.
    #[serde(default)]
    pub duplicates: u32,
    /// Rows whose phone is not a valid US number.
    #[serde(default)]
    pub bad_numbers: u32,
    /// Rows whose number the organization has opted out (added to its opt-outs).
    #[serde(default)]
    pub opted_out: u32,
    /// LRN analysis already complete.
    #[serde(default)]
    pub analyzed: bool,
    #[serde(default = "ready")]
    pub status: SeedListStatus,
    /// Why the import failed (status `failed`).
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// A ready media file made from one of the bundled samples.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaFixture {
    pub org: String,
    #[serde(default)]
    pub brand: Option<String>,
    pub name: String,
    /// A bundled sample file name (e.g. `rally.jpg`, `logo.png`, `clip.mp4`).
    pub sample: String,
    #[serde(default)]
    pub email_asset: bool,
}

fn active() -> String {
    "active".into()
}
fn upper_active() -> String {
    "ACTIVE".into()
}
fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn default_balance() -> i64 {
    2_500_000
}
fn read_write() -> Vec<Scope> {
    vec![Scope::Read, Scope::Write]
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgFixture {
    /// Name other entries use to refer to this organization.
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    /// `ref` of the parent organization (declared earlier in the file); none for a root.
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    /// Two-letter US state; generated phone numbers use its area codes (inherited by children).
    #[serde(default)]
    pub state: Option<String>,
    /// Onboarding still incomplete: creating or copying projects is refused once the grace
    /// window has passed.
    #[serde(default)]
    pub onboarding_incomplete: Option<OnboardingFixture>,
    /// Account balance in cents; 0 makes billable calls answer 402 INSUFFICIENT_BALANCE.
    #[serde(default = "default_balance")]
    pub balance_cents: i64,
    /// Sending paused for this organization (409 SENDING_PAUSED with this scope).
    #[serde(default)]
    pub sending_paused: Option<PauseScope>,
    #[serde(default)]
    pub rates: Option<Rates>,
    /// Organization-level merge tag fallbacks.
    #[serde(default)]
    pub merge_defaults: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingFixture {
    /// Missing steps: `profile` and/or `funding`.
    pub missing_steps: Vec<OnboardingStep>,
    /// Days left in the 14-day grace window at clock start; negative when already past.
    pub grace_days_left: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    Profile,
    Funding,
}

impl OnboardingStep {
    pub fn as_str(self) -> &'static str {
        match self {
            OnboardingStep::Profile => "profile",
            OnboardingStep::Funding => "funding",
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandFixture {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `ref` of the owning organization.
    pub org: String,
    pub name: String,
    #[serde(default = "upper_active")]
    pub status: String,
    /// Registered with TCR (gets a TCR brand id); false leaves `tcr_brand_id` null.
    #[serde(default = "yes")]
    pub registered: bool,
    #[serde(default)]
    pub identity_status: Option<String>,
    /// T-Mobile daily cap in message parts; omit for brands without a cap.
    #[serde(default)]
    pub t_mobile_daily_cap: Option<u64>,
    /// A short internal note (at most 100 characters).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignFixture {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `ref` of the brand.
    pub brand: String,
    pub name: String,
    #[serde(default = "upper_active")]
    pub status: String,
    /// Political campaigns are not carrier metered.
    #[serde(default)]
    pub political: bool,
    #[serde(default)]
    pub att_sms_tpm: Option<u32>,
    #[serde(default)]
    pub att_mms_tpm: Option<u32>,
    /// A short internal note (at most 100 characters).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TfvFixture {
    #[serde(rename = "ref")]
    pub reference: String,
    pub org: String,
    pub name: String,
    pub status: TfvStatus,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub use_case: Option<String>,
    /// Required when status is `Rejected`.
    #[serde(default)]
    pub rejection_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberFixture {
    /// `ref` of the owning organization.
    pub org: String,
    pub channel: Channel,
    pub owner_type: OwnerType,
    /// `ref` of the campaign (owner_type `campaign`).
    #[serde(default)]
    pub campaign: Option<String>,
    /// `ref` of the toll-free verification (owner_type `toll_free_registration`).
    #[serde(default)]
    pub toll_free_verification: Option<String>,
    /// How many numbers like this to generate.
    #[serde(default = "one")]
    pub count: u32,
    /// An explicit E.164 number (only with count 1).
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    /// Descendant organizations this number is shared with, each under a nickname.
    #[serde(default)]
    pub shared_with: Vec<ShareFixture>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareFixture {
    pub org: String,
    pub nickname: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainFixture {
    pub org: String,
    pub domain: String,
    /// Shared with every descendant, where it is listed with `source: inherited`.
    #[serde(default)]
    pub shared_with_descendants: bool,
    /// A short internal note (at most 100 characters).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyFixture {
    /// `pc_live_` or `pc_test_` + 24 base62 characters.
    pub key: String,
    pub name: String,
    /// `ref` of the organization the key belongs to.
    pub org: String,
    #[serde(default = "read_write")]
    pub scopes: Vec<Scope>,
    /// The key's own limit, winning over the global `--rate-limit`.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSpec>,
    #[serde(default)]
    pub revoked: bool,
    pub role: KeyRole,
}

impl Fixtures {
    pub fn default_world() -> Fixtures {
        // The bundled file is checked by a unit test, so this cannot fail in a released binary.
        serde_json::from_str(DEFAULT_FIXTURES).unwrap_or_else(|e| {
            panic!("bundled fixtures/default.json is invalid: {e}");
        })
    }

    /// Parses a user's fixture file, merging it into the default world when it says so.
    pub fn from_user_file(text: &str) -> Result<Fixtures, Vec<String>> {
        let user: Fixtures =
            serde_json::from_str(text).map_err(|e| vec![format!("invalid fixture file: {e}")])?;
        let merged = if user.extends_default {
            let mut base = Fixtures::default_world();
            base.organizations.extend(user.organizations);
            base.brands.extend(user.brands);
            base.campaigns.extend(user.campaigns);
            base.toll_free_verifications
                .extend(user.toll_free_verifications);
            base.phone_numbers.extend(user.phone_numbers);
            base.tracking_domains.extend(user.tracking_domains);
            base.keys.extend(user.keys);
            base.contact_lists.extend(user.contact_lists);
            base.media.extend(user.media);
            base.projects.extend(user.projects);
            base.webhook_endpoints.extend(user.webhook_endpoints);
            base
        } else {
            user
        };
        merged.check()?;
        Ok(merged)
    }

    /// Every reference and rule problem in the file, each with where it is.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut orgs: HashMap<&str, Option<&str>> = HashMap::new();
        for (i, o) in self.organizations.iter().enumerate() {
            if let Some(p) = &o.parent {
                if !orgs.contains_key(p.as_str()) {
                    errors.push(format!(
                        "organizations[{i}].parent: {p:?} is not an organization declared before it"
                    ));
                }
            }
            if orgs
                .insert(o.reference.as_str(), o.parent.as_deref())
                .is_some()
            {
                errors.push(format!(
                    "organizations[{i}].ref: {:?} is used twice",
                    o.reference
                ));
            }
            if let Some(ob) = &o.onboarding_incomplete {
                if ob.missing_steps.is_empty() {
                    errors.push(format!(
                        "organizations[{i}].onboarding_incomplete.missing_steps: name at least one step"
                    ));
                }
            }
        }
        let within = |org: &str, ancestor: &str| {
            let mut cur = Some(org);
            while let Some(c) = cur {
                if c == ancestor {
                    return true;
                }
                cur = orgs.get(c).copied().flatten();
            }
            false
        };
        let org_ok = |errors: &mut Vec<String>, at: String, r: &str| {
            if !orgs.contains_key(r) {
                errors.push(format!("{at}: unknown organization {r:?}"));
            }
        };
        let long_note = |errors: &mut Vec<String>, at: String, note: &Option<String>| {
            if note.as_ref().is_some_and(|n| n.chars().count() > 100) {
                errors.push(format!("{at}: notes are at most 100 characters"));
            }
        };
        for (i, b) in self.brands.iter().enumerate() {
            long_note(&mut errors, format!("brands[{i}].notes"), &b.notes);
        }
        for (i, c) in self.campaigns.iter().enumerate() {
            long_note(&mut errors, format!("campaigns[{i}].notes"), &c.notes);
        }
        for (i, d) in self.tracking_domains.iter().enumerate() {
            long_note(
                &mut errors,
                format!("tracking_domains[{i}].notes"),
                &d.notes,
            );
        }
        let mut brands: HashMap<&str, &str> = HashMap::new();
        for (i, b) in self.brands.iter().enumerate() {
            org_ok(&mut errors, format!("brands[{i}].org"), &b.org);
            if brands.insert(&b.reference, &b.org).is_some() {
                errors.push(format!("brands[{i}].ref: {:?} is used twice", b.reference));
            }
        }
        let mut campaigns: HashMap<&str, &str> = HashMap::new();
        for (i, c) in self.campaigns.iter().enumerate() {
            match brands.get(c.brand.as_str()) {
                Some(org) => {
                    if campaigns.insert(&c.reference, org).is_some() {
                        errors.push(format!(
                            "campaigns[{i}].ref: {:?} is used twice",
                            c.reference
                        ));
                    }
                }
                None => errors.push(format!("campaigns[{i}].brand: unknown brand {:?}", c.brand)),
            }
        }
        let mut tfvs: HashMap<&str, &str> = HashMap::new();
        for (i, t) in self.toll_free_verifications.iter().enumerate() {
            org_ok(
                &mut errors,
                format!("toll_free_verifications[{i}].org"),
                &t.org,
            );
            if tfvs.insert(&t.reference, &t.org).is_some() {
                errors.push(format!(
                    "toll_free_verifications[{i}].ref: {:?} is used twice",
                    t.reference
                ));
            }
            if t.status == TfvStatus::Rejected && t.rejection_reason.is_none() {
                errors.push(format!(
                    "toll_free_verifications[{i}].rejection_reason: required when status is Rejected"
                ));
            }
        }
        for (i, n) in self.phone_numbers.iter().enumerate() {
            let at = format!("phone_numbers[{i}]");
            org_ok(&mut errors, format!("{at}.org"), &n.org);
            match n.owner_type {
                OwnerType::Campaign => {
                    if n.channel != Channel::TenDlc && n.channel != Channel::Rcs {
                        errors.push(format!("{at}.channel: campaign numbers are 10dlc or rcs"));
                    }
                    match n.campaign.as_deref().map(|c| campaigns.get(c)) {
                        None => {
                            errors.push(format!("{at}.campaign: required for owner_type campaign"))
                        }
                        Some(None) => errors.push(format!("{at}.campaign: unknown campaign")),
                        Some(Some(org)) if *org != n.org => errors.push(format!(
                            "{at}.campaign: the campaign's brand belongs to another organization"
                        )),
                        Some(Some(_)) => {}
                    }
                }
                OwnerType::TollFreeRegistration => {
                    if n.channel != Channel::TollFree {
                        errors.push(format!(
                            "{at}.channel: toll_free_registration numbers are toll-free"
                        ));
                    }
                    match n.toll_free_verification.as_deref().map(|t| tfvs.get(t)) {
                        None => errors.push(format!(
                            "{at}.toll_free_verification: required for owner_type toll_free_registration"
                        )),
                        Some(None) => errors.push(format!(
                            "{at}.toll_free_verification: unknown toll-free verification"
                        )),
                        Some(Some(org)) if *org != n.org => errors.push(format!(
                            "{at}.toll_free_verification: belongs to another organization"
                        )),
                        Some(Some(_)) => {}
                    }
                }
                OwnerType::ShortCode if n.channel != Channel::ShortCode => {
                    errors.push(format!("{at}.channel: short_code numbers are short-code"));
                }
                _ => {}
            }
            if n.owner_type != OwnerType::Campaign && n.campaign.is_some() {
                errors.push(format!("{at}.campaign: only for owner_type campaign"));
            }
            if n.count == 0 || n.count > 10_000 {
                errors.push(format!("{at}.count: between 1 and 10000"));
            }
            if let Some(num) = &n.number {
                if n.count != 1 {
                    errors.push(format!("{at}.number: only with count 1"));
                }
                if n.channel != Channel::ShortCode
                    && crate::domain::phone::normalize_us(num).as_deref() != Ok(num.as_str())
                {
                    errors.push(format!("{at}.number: {num:?} is not an E.164 US number"));
                }
            }
            for (j, s) in n.shared_with.iter().enumerate() {
                if !orgs.contains_key(s.org.as_str()) {
                    errors.push(format!("{at}.shared_with[{j}].org: unknown organization"));
                } else if s.org == n.org || !within(&s.org, &n.org) {
                    errors.push(format!(
                        "{at}.shared_with[{j}].org: numbers are shared only with descendants of their owner"
                    ));
                }
            }
        }
        for (i, d) in self.tracking_domains.iter().enumerate() {
            org_ok(&mut errors, format!("tracking_domains[{i}].org"), &d.org);
        }
        for (i, l) in self.contact_lists.iter().enumerate() {
            org_ok(&mut errors, format!("contact_lists[{i}].org"), &l.org);
            if let Some(b) = &l.brand {
                if brands.get(b.as_str()) != Some(&l.org.as_str()) {
                    errors.push(format!(
                        "contact_lists[{i}].brand: not a brand of {:?}",
                        l.org
                    ));
                }
            }
            if l.contacts > 200_000 {
                errors.push(format!("contact_lists[{i}].contacts: at most 200000"));
            }
            if l.status == SeedListStatus::Failed && l.failure_reason.is_none() {
                errors.push(format!(
                    "contact_lists[{i}].failure_reason: required when status is failed"
                ));
            }
        }
        for (i, p) in self.projects.iter().enumerate() {
            let at = format!("projects[{i}]");
            if !orgs.contains_key(p.org.as_str()) {
                errors.push(format!("{at}.org: unknown organization {:?}", p.org));
            }
            if !self.campaigns.iter().any(|c| c.reference == p.campaign) {
                errors.push(format!("{at}.campaign: unknown campaign {:?}", p.campaign));
            }
            for (j, l) in p.lists.iter().enumerate() {
                if !self.contact_lists.iter().any(|x| &x.name == l) {
                    errors.push(format!("{at}.lists[{j}]: no contact list named {l:?}"));
                }
            }
            let paused = p.status == crate::domain::project::Status::Paused;
            if paused != p.pause_reason.is_some() {
                errors.push(format!(
                    "{at}.pause_reason: required exactly when the status is paused"
                ));
            }
            let draft = p.status == crate::domain::project::Status::Draft;
            if !p.survey && !draft && (p.message.is_none() || p.lists.is_empty()) {
                errors.push(format!(
                    "{at}: a broadcast past draft needs a message and lists"
                ));
            }
        }
        for (i, m) in self.media.iter().enumerate() {
            org_ok(&mut errors, format!("media[{i}].org"), &m.org);
            if let Some(b) = &m.brand {
                if brands.get(b.as_str()) != Some(&m.org.as_str()) {
                    errors.push(format!("media[{i}].brand: not a brand of {:?}", m.org));
                }
                if m.email_asset {
                    errors.push(format!("media[{i}].brand: email assets have no brand"));
                }
            }
            if !super::samples::names().any(|n| n == m.sample) {
                errors.push(format!(
                    "media[{i}].sample: {:?} is not a bundled sample ({})",
                    m.sample,
                    super::samples::names().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let mut seen_keys = HashSet::new();
        for (i, k) in self.keys.iter().enumerate() {
            org_ok(&mut errors, format!("keys[{i}].org"), &k.org);
            if !keys::is_well_formed(&k.key) {
                errors.push(format!(
                    "keys[{i}].key: must be pc_live_ or pc_test_ followed by 24 base62 characters"
                ));
            }
            if !seen_keys.insert(&k.key) {
                errors.push(format!("keys[{i}].key: used twice"));
            }
            if let Some(rl) = &k.rate_limit {
                if let Err(e) = rl.check() {
                    errors.push(format!("keys[{i}].rate_limit: {e}"));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The JSON Schema of fixture files.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Fixtures)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_default_world_is_valid() {
        let f = Fixtures::default_world();
        assert_eq!(f.check(), Ok(()));
        assert!(f.organizations.len() >= 7);
    }

    #[test]
    fn reports_every_broken_reference() {
        let text = r#"{
          "organizations": [{"ref": "a", "name": "A"}, {"ref": "b", "name": "B", "parent": "zz"}],
          "brands": [{"ref": "br", "org": "nope", "name": "X"}],
          "phone_numbers": [{"org": "a", "channel": "toll-free", "owner_type": "campaign"}],
          "keys": [{"key": "pc_test_short", "name": "k", "org": "a", "role": "root"}]
        }"#;
        let errors = Fixtures::from_user_file(text).expect_err("invalid");
        let all = errors.join("\n");
        assert!(all.contains("organizations[1].parent"), "{all}");
        assert!(all.contains("brands[0].org"), "{all}");
        assert!(all.contains("phone_numbers[0].channel"), "{all}");
        assert!(all.contains("phone_numbers[0].campaign"), "{all}");
        assert!(all.contains("keys[0].key"), "{all}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = Fixtures::from_user_file(r#"{"organisations": []}"#).expect_err("typo");
        assert!(err[0].contains("organisations"), "{err:?}");
    }

    #[test]
    fn a_file_can_extend_the_default_world() {
        let text = r#"{"extends_default": true,
          "organizations": [{"ref": "extra", "name": "Extra Committee", "parent": "agency"}]}"#;
        let f = Fixtures::from_user_file(text).expect("valid");
        assert_eq!(
            f.organizations.len(),
            Fixtures::default_world().organizations.len() + 1
        );
    }
}

#[cfg(test)]
mod schema_file {
    /// The checked-in schema (referenced by `$schema` in fixture files) must be the generated one;
    /// regenerate with `pc-sandbox schema fixtures > fixtures/fixtures.schema.json`.
    #[test]
    fn checked_in_fixture_schema_is_current() {
        let checked_in: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/fixtures.schema.json"))
                .expect("fixtures/fixtures.schema.json is JSON");
        assert_eq!(checked_in, super::json_schema());
    }
}
