//! Brands, 10DLC campaigns with their carrier throughput, and tracking domains.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono_tz::America::Los_Angeles;
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::cached;
use super::examples;
use crate::access::{org_filter, visible, Caller, OrgBrandFilter};
use crate::domain::registry::{Brand, Campaign};
use crate::domain::time;
use crate::error::{ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, write_data, Query};
use crate::state::AppState;
use crate::store::{tree, World};

pub fn configure(r: &mut Routes) {
    r.tag("Brands")
        .get("/brands", list_brands)
        .op("listBrands", "List brands")
        .query::<String>(
            "organization_id",
            "Only brands of exactly this organization.",
        )
        .ok::<Vec<BrandView<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
    r.tag("Campaigns")
        .get("/campaigns", list_campaigns)
        .op("listCampaigns", "List 10DLC campaigns")
        .query::<String>(
            "organization_id",
            "Only campaigns of exactly this organization.",
        )
        .query::<String>("brand_id", "Only campaigns of this brand.")
        .ok::<Vec<CampaignView<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
    r.get("/campaigns/{id}/throughput", campaign_throughput)
        .op(
            "getCampaignThroughput",
            "Get a campaign's carrier throughput",
        )
        .describe("T-Mobile daily cap and AT&T rate lanes, with today's usage (Pacific day).")
        .path_param("id", "Campaign id", examples::campaign_id)
        .ok::<ThroughputView<'static>>();
    r.tag("Tracking domains")
        .get("/tracking-domains", list_tracking_domains)
        .op("listTrackingDomains", "List tracking domains")
        .describe("Domains owned in the key's tree (`source: own`) and those shared down to it (`source: inherited`).")
        .query::<String>("organization_id", "See the domains from this organization's perspective.")
        .ok::<Vec<TrackingDomainView<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
}

#[derive(Serialize, JsonSchema)]
pub struct BrandView<'a> {
    id: &'a str,
    brand_name: &'a str,
    org_id: &'a str,
    org_name: &'a str,
    /// null until the brand is registered with TCR.
    tcr_brand_id: Option<&'a str>,
    status: &'a str,
    identity_status: Option<&'a str>,
    /// A short internal note; null when unset.
    notes: Option<&'a str>,
    created_at: String,
}

fn brand_view<'a>(world: &'a World, b: &'a Brand) -> BrandView<'a> {
    BrandView {
        id: &b.id,
        brand_name: &b.name,
        org_id: &b.org_id,
        org_name: world.org_name(&b.org_id),
        tcr_brand_id: b.tcr_brand_id.as_deref(),
        status: &b.status,
        identity_status: b.identity_status.as_deref(),
        notes: b.notes.as_deref(),
        created_at: time::format(b.created_at),
    }
}

async fn list_brands(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["organization_id"]);
    let org = q.string("organization_id");
    q.finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let org = org_filter(world, &caller, org)?;
        let items: Vec<BrandView> = world
            .brands
            .values()
            .rev()
            .filter(|b| visible(world, &caller, org.as_deref(), &b.org_id))
            .map(|b| brand_view(world, b))
            .collect();
        write_data(buf, &items)
    })
}

#[derive(Serialize, JsonSchema)]
pub struct CampaignView<'a> {
    id: &'a str,
    name: &'a str,
    brand_id: &'a str,
    brand_name: &'a str,
    org_id: &'a str,
    org_name: &'a str,
    campaign_status: &'a str,
    /// A short internal note; null when unset.
    notes: Option<&'a str>,
    created_at: String,
}

fn campaign_view<'a>(world: &'a World, c: &'a Campaign) -> CampaignView<'a> {
    CampaignView {
        id: &c.id,
        name: &c.name,
        brand_id: &c.brand_id,
        brand_name: world
            .brands
            .get(&c.brand_id)
            .map_or("", |b| b.name.as_str()),
        org_id: &c.org_id,
        org_name: world.org_name(&c.org_id),
        campaign_status: &c.status,
        notes: c.notes.as_deref(),
        created_at: time::format(c.created_at),
    }
}

async fn list_campaigns(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(&req)?;
    cached(&state, &caller, &req, |world, buf| {
        filter.check(world, &caller)?;
        let items: Vec<CampaignView> = world
            .campaigns
            .values()
            .rev()
            .filter(|c| filter.admits(world, &caller, &c.org_id, Some(&c.brand_id)))
            .map(|c| campaign_view(world, c))
            .collect();
        write_data(buf, &items)
    })
}

#[derive(Serialize, JsonSchema)]
pub struct TMobileLane {
    /// The brand's T-Mobile daily cap in message parts.
    daily_cap: u64,
    /// Parts sent to T-Mobile so far on this Pacific day.
    used_today: Option<u64>,
    remaining_today: Option<u64>,
    /// The Pacific calendar day the counters are for (`YYYY-MM-DD`).
    pacific_day: String,
}

#[derive(Serialize, JsonSchema)]
pub struct AttLane {
    sms_tpm: Option<u32>,
    mms_tpm: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub struct ThroughputView<'a> {
    campaign_id: &'a str,
    campaign_name: &'a str,
    brand_id: &'a str,
    /// True when either lane applies.
    carrier_metered: bool,
    /// null when the brand has no T-Mobile daily cap on file.
    t_mobile: Option<TMobileLane>,
    /// null when the campaign has no AT&T rate on file.
    att: Option<AttLane>,
}

/// The throughput of `campaign` at sandbox time `now`.
pub fn throughput<'a>(
    world: &'a World,
    campaign: &'a Campaign,
    now: time::Millis,
) -> ThroughputView<'a> {
    let day = time::local_date(now, Los_Angeles);
    let t_mobile = world
        .brands
        .get(&campaign.brand_id)
        .and_then(|b| b.t_mobile_daily_cap)
        .map(|cap| {
            let used = world.t_mobile_used(&campaign.brand_id, day);
            TMobileLane {
                daily_cap: cap,
                used_today: Some(used),
                remaining_today: Some(cap.saturating_sub(used)),
                pacific_day: day.to_string(),
            }
        });
    let att =
        (campaign.att_sms_tpm.is_some() || campaign.att_mms_tpm.is_some()).then_some(AttLane {
            sms_tpm: campaign.att_sms_tpm,
            mms_tpm: campaign.att_mms_tpm,
        });
    ThroughputView {
        campaign_id: &campaign.id,
        campaign_name: &campaign.name,
        brand_id: &campaign.brand_id,
        carrier_metered: t_mobile.is_some() || att.is_some(),
        t_mobile,
        att,
    }
}

async fn campaign_throughput(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let world = state.sim.store.read();
    let campaign = caller.find(&world, &world.campaigns, &path, "Campaign")?;
    Ok(ok(throughput(&world, campaign, now)))
}

#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TrackingDomainView<'a> {
    Own {
        id: &'a str,
        domain: &'a str,
        /// Always `own`.
        source: &'static str,
        status: &'a str,
        verified_at: Option<String>,
        created_at: String,
        /// A short internal note; null when unset (owned rows only).
        notes: Option<&'a str>,
    },
    Inherited {
        id: &'a str,
        domain: &'a str,
        /// Always `inherited`.
        source: &'static str,
    },
}

async fn list_tracking_domains(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["organization_id"]);
    let org = q.string("organization_id");
    q.finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let org = org_filter(world, &caller, org)?;
        // Domains shared down to the perspective org by its ancestors are "inherited"; without a
        // filter the perspective is the key's own organization.
        let perspective = org.clone().unwrap_or_else(|| caller.org_id.clone());
        let ancestors = tree::ancestors(world, &perspective);
        let mut items = Vec::new();
        for d in world.tracking_domains.values().rev() {
            if visible(world, &caller, org.as_deref(), &d.org_id) {
                items.push(TrackingDomainView::Own {
                    id: &d.id,
                    domain: &d.domain,
                    source: "own",
                    status: &d.status,
                    verified_at: d.verified_at.map(time::format),
                    created_at: time::format(d.created_at),
                    notes: d.notes.as_deref(),
                });
            } else if d.shared_with_descendants && ancestors.contains(&d.org_id.as_str()) {
                items.push(TrackingDomainView::Inherited {
                    id: &d.id,
                    domain: &d.domain,
                    source: "inherited",
                });
            }
        }
        write_data(buf, &items)
    })
}
