//! Brands, 10DLC campaigns with their carrier throughput, and tracking domains.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono_tz::America::Los_Angeles;
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::{cached, write_data};
use super::query::Query;
use super::{ok, resource};
use crate::app::AppState;
use crate::domain::registry::{Brand, Campaign};
use crate::domain::time;
use crate::error::ApiResult;
use crate::middleware::gate::Caller;
use crate::store::{tree, World};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/brands", "GET").route(web::get().to(list_brands)))
        .service(resource("/campaigns", "GET").route(web::get().to(list_campaigns)))
        .service(
            resource("/campaigns/{id}/throughput", "GET").route(web::get().to(campaign_throughput)),
        )
        .service(resource("/tracking-domains", "GET").route(web::get().to(list_tracking_domains)));
}

/// Resolves an optional `organization_id` filter: a 403 when it is outside the caller's tree.
pub fn org_filter(
    world: &World,
    caller: &Caller,
    org: Option<String>,
) -> ApiResult<Option<String>> {
    if let Some(id) = &org {
        caller.check_org_filter(world, id)?;
    }
    Ok(org)
}

/// The `organization_id` and `brand_id` filters of a list read (campaigns, contact lists, media).
pub struct OrgBrandFilter {
    org: Option<String>,
    brand: Option<String>,
}

impl OrgBrandFilter {
    /// Parses a query that takes exactly these two filters.
    pub fn parse(query: &str) -> ApiResult<OrgBrandFilter> {
        let mut q = Query::parse(query, &["organization_id", "brand_id"]);
        let org = q.string("organization_id");
        let brand = q.string("brand_id");
        q.finish()?;
        Ok(OrgBrandFilter { org, brand })
    }

    /// A 403 when the organization filter is outside the caller's tree.
    pub fn check(&self, world: &World, caller: &Caller) -> ApiResult<()> {
        match &self.org {
            Some(id) => caller.check_org_filter(world, id),
            None => Ok(()),
        }
    }

    /// Whether a row of `org_id` and `brand_id` passes the caller's reach and both filters.
    pub fn admits(
        &self,
        world: &World,
        caller: &Caller,
        org_id: &str,
        brand_id: Option<&str>,
    ) -> bool {
        visible(world, caller, self.org.as_deref(), org_id)
            && self.brand.as_deref().is_none_or(|b| Some(b) == brand_id)
    }
}

/// Whether a row owned by `row_org` passes the caller's reach and the optional org filter.
pub fn visible(world: &World, caller: &Caller, filter: Option<&str>, row_org: &str) -> bool {
    match filter {
        Some(f) => f == row_org,
        None => caller.reaches(world, row_org),
    }
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
        created_at: time::format(b.created_at),
    }
}

async fn list_brands(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::parse(req.query_string(), &["organization_id"]);
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
        created_at: time::format(c.created_at),
    }
}

async fn list_campaigns(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let filter = OrgBrandFilter::parse(req.query_string())?;
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
    Query::parse(req.query_string(), &[]).finish()?;
    let now = state.clock.now();
    let world = state.store.read();
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
    let mut q = Query::parse(req.query_string(), &["organization_id"]);
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
