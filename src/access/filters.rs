//! The organization and brand filters of list reads: parsed strictly, checked against the
//! caller's tree (a filter outside it is a 403), and applied row by row.

use super::Caller;
use crate::error::ApiResult;
use crate::http::Query;
use crate::store::World;

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
    pub fn parse(req: &actix_web::HttpRequest) -> ApiResult<OrgBrandFilter> {
        let mut q = Query::of(req, &["organization_id", "brand_id"]);
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
