//! `GET /organizations` (snake_case list) and `GET /hierarchy` (camelCase recursive tree).

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::Serialize;

use super::cache::cached;
use crate::access::Caller;
use crate::domain::time;
use crate::error::{ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{write_data, Query};
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Organizations")
        .get("/organizations", list_organizations)
        .op(
            "listOrganizations",
            "List the organizations the key reaches",
        )
        .describe("The key's organization and every descendant, in tree order.")
        .ok::<Vec<OrganizationView<'static>>>();
    r.get("/hierarchy", get_hierarchy)
        .op("getHierarchy", "Get the organization tree")
        .describe("A recursive camelCase tree with brands and campaigns.")
        .query::<String>(
            "organizationId",
            "The organization at the top of the returned tree (default: the key's).",
        )
        .ok::<HierarchyNodeView<'static>>()
        .errors(&[Code::OrgAccessDenied]);
}

#[derive(Serialize, JsonSchema)]
pub struct OrganizationView<'a> {
    id: &'a str,
    display_name: &'a str,
    /// null for a root organization.
    parent_org_name: Option<&'a str>,
    status: &'a str,
    created_at: String,
}

async fn list_organizations(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<crate::state::AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let items: Vec<OrganizationView> = caller
            .reach
            .orgs(world)
            .into_iter()
            .filter_map(|id| world.orgs.get(id))
            .map(|o| OrganizationView {
                id: &o.id,
                display_name: &o.name,
                parent_org_name: o
                    .parent_id
                    .as_deref()
                    .and_then(|p| world.orgs.get(p))
                    .map(|p| p.name.as_str()),
                status: &o.status,
                created_at: time::format(o.created_at),
            })
            .collect();
        write_data(buf, &items)
    })
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyCampaignView<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a str,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyBrandView<'a> {
    id: &'a str,
    name: &'a str,
    status: &'a str,
    organization_id: &'a str,
    created_at: String,
    updated_at: String,
    campaigns: Vec<HierarchyCampaignView<'a>>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HierarchyNodeView<'a> {
    id: &'a str,
    name: &'a str,
    /// null for the root of the returned tree.
    parent_id: Option<&'a str>,
    status: &'a str,
    contact_email: Option<&'a str>,
    contact_first_name: Option<&'a str>,
    contact_last_name: Option<&'a str>,
    created_at: String,
    updated_at: String,
    brands: Vec<HierarchyBrandView<'a>>,
    child_organizations: Vec<HierarchyNodeView<'a>>,
}

fn node<'w>(world: &'w World, org_id: &str, is_top: bool) -> Option<HierarchyNodeView<'w>> {
    let org = world.orgs.get(org_id)?;
    let brands = world
        .brands
        .values()
        .filter(|b| b.org_id == org.id)
        .map(|b| HierarchyBrandView {
            id: &b.id,
            name: &b.name,
            status: &b.status,
            organization_id: &b.org_id,
            created_at: time::format(b.created_at),
            updated_at: time::format(b.updated_at),
            campaigns: world
                .campaigns
                .values()
                .filter(|c| c.brand_id == b.id)
                .map(|c| HierarchyCampaignView {
                    id: &c.id,
                    name: &c.name,
                    status: &c.status,
                    created_at: time::format(c.created_at),
                    updated_at: time::format(c.updated_at),
                })
                .collect(),
        })
        .collect();
    let children = world
        .children
        .get(&org.id)
        .map(|kids| kids.iter().filter_map(|k| node(world, k, false)).collect())
        .unwrap_or_default();
    Some(HierarchyNodeView {
        id: &org.id,
        name: &org.name,
        parent_id: if is_top {
            None
        } else {
            org.parent_id.as_deref()
        },
        status: &org.status,
        contact_email: org.contact_email.as_deref(),
        contact_first_name: org.contact_first_name.as_deref(),
        contact_last_name: org.contact_last_name.as_deref(),
        created_at: time::format(org.created_at),
        updated_at: time::format(org.updated_at),
        brands,
        child_organizations: children,
    })
}

async fn get_hierarchy(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<crate::state::AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["organizationId"]);
    let org = q.string("organizationId");
    q.finish()?;
    cached(&state, &caller, &req, |world, buf| {
        let top = match org {
            Some(id) => {
                caller.check_org_filter(world, &id)?;
                id
            }
            None => caller.org_id.clone(),
        };
        let tree = node(world, &top, true).ok_or(crate::error::ApiError::OrgAccessDenied)?;
        write_data(buf, &tree)
    })
}
