//! Organizations and their messaging registrations: brands, 10DLC campaigns, phone numbers,
//! toll-free verifications and tracking domains. These are what the hierarchy endpoints read and
//! what projects, sends and billing will build on.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::time::Millis;
use super::wire::wire_enum;

wire_enum!(
    /// The messaging channel of a phone number.
    Channel { TenDlc => "10dlc", TollFree => "toll-free", ShortCode => "short-code", Rcs => "rcs" }
);
wire_enum!(
    /// What a phone number is registered to.
    OwnerType {
        Campaign => "campaign",
        TollFreeRegistration => "toll_free_registration",
        ShortCode => "short_code",
        Unassigned => "unassigned",
    }
);
wire_enum!(
    /// Toll-free verification status, in the carrier's verbatim casing.
    TfvStatus { Draft => "draft", InProgress => "In Progress", Verified => "Verified", Rejected => "Rejected" }
);
wire_enum!(
    /// Who paused sending for an organization.
    PauseScope { Organization => "organization", Platform => "platform" }
);

/// Anything that belongs to one organization, and so is inside or outside a caller's reach.
pub trait Owned {
    fn org_id(&self) -> &str;
}

macro_rules! owned {
    ($($t:ty),+) => {
        $(impl $crate::domain::registry::Owned for $t {
            fn org_id(&self) -> &str {
                &self.org_id
            }
        })+
    };
}
pub(crate) use owned;

owned!(
    Brand,
    Campaign,
    PhoneNumber,
    TollFreeVerification,
    TrackingDomain
);

/// Onboarding that is still incomplete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Onboarding {
    /// `profile` and/or `funding`.
    pub missing_steps: Vec<String>,
    /// End of the 14-day setup grace window.
    pub grace_ends_at: Millis,
}

/// Per-organization prices, in cents (fractions allowed), charged at this org's tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub sms_cents: f64,
    pub mms_cents: f64,
    pub lookup_cents: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            sms_cents: 2.5,
            mms_cents: 6.0,
            lookup_cents: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub status: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub contact_first_name: Option<String>,
    pub contact_last_name: Option<String>,
    pub contact_email: Option<String>,
    pub onboarding: Option<Onboarding>,
    pub balance_cents: i64,
    pub sending_paused: Option<PauseScope>,
    pub rates: Rates,
    /// Org-level merge-tag fallbacks (`{first_name}` → "Friend").
    pub merge_defaults: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub tcr_brand_id: Option<String>,
    pub status: String,
    pub identity_status: Option<String>,
    /// T-Mobile daily cap in message parts; `None` when the brand has no cap on file.
    pub t_mobile_daily_cap: Option<u64>,
    /// A short internal note (at most 100 characters), or none.
    pub notes: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub brand_id: String,
    pub org_id: String,
    pub name: String,
    pub status: String,
    pub tcr_campaign_id: Option<String>,
    /// Political campaigns are not carrier metered.
    pub political: bool,
    /// AT&T throughput in message parts per minute; `None` when no rate is on file.
    pub att_sms_tpm: Option<u32>,
    pub att_mms_tpm: Option<u32>,
    /// A short internal note (at most 100 characters), or none.
    pub notes: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// An ancestor lending one of its numbers to a descendant under a nickname.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberShare {
    pub org_id: String,
    pub nickname: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub id: String,
    pub number: String,
    pub channel: Channel,
    pub owner_type: OwnerType,
    pub org_id: String,
    pub campaign_id: Option<String>,
    pub toll_free_verification_id: Option<String>,
    pub status: String,
    pub created_at: Millis,
    pub shares: Vec<NumberShare>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TollFreeVerification {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub status: TfvStatus,
    pub verification_request_id: Option<String>,
    pub business_name: Option<String>,
    pub use_case: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<Millis>,
    pub verified_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingDomain {
    pub id: String,
    pub org_id: String,
    pub domain: String,
    pub status: String,
    pub verified_at: Option<Millis>,
    pub created_at: Millis,
    /// Shared with every descendant organization, where it appears as `inherited`.
    pub shared_with_descendants: bool,
    /// A short internal note (at most 100 characters), or none; shown on owned rows only.
    pub notes: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wire::WireEnum;

    #[test]
    fn wire_enums_round_trip_and_list_their_values() {
        assert_eq!(Channel::parse("toll-free"), Some(Channel::TollFree));
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(TfvStatus::parse("In Progress"), Some(TfvStatus::InProgress));
        assert_eq!(TfvStatus::parse("in progress"), None);
        assert_eq!(
            OwnerType::allowed(),
            "'campaign', 'toll_free_registration', 'short_code', 'unassigned'"
        );
        assert_eq!(
            serde_json::to_string(&Channel::TenDlc).expect("serializes"),
            "\"10dlc\""
        );
    }
}
