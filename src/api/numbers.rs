//! `GET /phone-numbers`: owned numbers, plus one `shared: true` row for each descendant an
//! ancestor lends a number to (under its nickname, owner names and `brand_id` null).

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::cached;
use crate::access::{org_filter, visible, Caller};
use crate::domain::registry::{Channel, OwnerType, PhoneNumber};
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::error::{ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{write_data, Query};
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Phone numbers")
        .get("/phone-numbers", list_phone_numbers)
        .op("listPhoneNumbers", "List phone numbers")
        .describe("Owned numbers, plus a `shared: true` row for each number an ancestor lends down (under its nickname).")
        .query::<String>("organization_id", "Only numbers of exactly this organization.")
        .query::<String>("brand_id", "Only numbers of this brand's campaigns.")
        .query::<String>("campaign_id", "Only numbers of this campaign.")
        .query::<Channel>("channel", "Only numbers of this channel.")
        .query::<OwnerType>("owner_type", "Only numbers of this owner type.")
        .ok::<Vec<PhoneNumberView<'static>>>()
        .errors(&[Code::OrgAccessDenied]);
}

#[derive(Serialize, JsonSchema)]
pub struct PhoneNumberView<'a> {
    id: &'a str,
    number: &'a str,
    channel: &'static str,
    owner_type: &'static str,
    campaign_id: Option<&'a str>,
    campaign_name: Option<&'a str>,
    brand_id: Option<&'a str>,
    brand_name: Option<&'a str>,
    toll_free_verification_id: Option<&'a str>,
    tf_verification_status: Option<&'static str>,
    toll_free_registration_name: Option<&'a str>,
    toll_free_business_name: Option<&'a str>,
    org_id: &'a str,
    org_name: &'a str,
    status: &'a str,
    created_at: String,
    /// True when an ancestor shared this number with `org_id` under `nickname`.
    shared: bool,
    nickname: Option<&'a str>,
}

/// The row of `p` as seen by `row_org` (its owner, or a descendant it is shared with).
fn row<'a>(
    world: &'a World,
    p: &'a PhoneNumber,
    row_org: &'a str,
    nickname: Option<&'a str>,
) -> PhoneNumberView<'a> {
    let shared = nickname.is_some();
    let campaign = p
        .campaign_id
        .as_deref()
        .and_then(|c| world.campaigns.get(c));
    let brand = campaign.and_then(|c| world.brands.get(&c.brand_id));
    let tfv = p
        .toll_free_verification_id
        .as_deref()
        .and_then(|t| world.toll_free_verifications.get(t));
    let owner_name = |name: Option<&'a str>| if shared { None } else { name };
    PhoneNumberView {
        id: &p.id,
        number: &p.number,
        channel: p.channel.as_str(),
        owner_type: p.owner_type.as_str(),
        campaign_id: p.campaign_id.as_deref(),
        campaign_name: owner_name(campaign.map(|c| c.name.as_str())),
        brand_id: owner_name(brand.map(|b| b.id.as_str())),
        brand_name: owner_name(brand.map(|b| b.name.as_str())),
        toll_free_verification_id: p.toll_free_verification_id.as_deref(),
        tf_verification_status: tfv.map(|t| t.status.as_str()),
        toll_free_registration_name: owner_name(tfv.map(|t| t.name.as_str())),
        toll_free_business_name: owner_name(tfv.and_then(|t| t.business_name.as_deref())),
        org_id: row_org,
        org_name: world.org_name(row_org),
        status: &p.status,
        created_at: time::format(p.created_at),
        shared,
        nickname,
    }
}

async fn list_phone_numbers(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(
        &req,
        &[
            "organization_id",
            "brand_id",
            "campaign_id",
            "channel",
            "owner_type",
        ],
    );
    let org = q.string("organization_id");
    let brand = q.string("brand_id");
    let campaign = q.string("campaign_id");
    let channel = q.enumeration::<Channel>("channel");
    let owner_type = q.enumeration::<OwnerType>("owner_type");
    q.finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let org = org_filter(world, &caller, org)?;
        let mut items = Vec::new();
        for p in world.phone_numbers.values().rev() {
            if channel.is_some_and(|c| c != p.channel)
                || owner_type.is_some_and(|o| o != p.owner_type)
                || campaign
                    .as_deref()
                    .is_some_and(|c| Some(c) != p.campaign_id.as_deref())
            {
                continue;
            }
            let rows = std::iter::once((p.org_id.as_str(), None)).chain(
                p.shares
                    .iter()
                    .map(|s| (s.org_id.as_str(), Some(s.nickname.as_str()))),
            );
            for (row_org, nickname) in rows {
                if !visible(world, &caller, org.as_deref(), row_org) {
                    continue;
                }
                let view = row(world, p, row_org, nickname);
                if brand.as_deref().is_some_and(|b| view.brand_id != Some(b)) {
                    continue;
                }
                items.push(view);
            }
        }
        write_data(buf, &items)
    })
}
