//! Who owns a new list or media file: `organization_id` and `brand_id` as a request gives them,
//! checked against the caller's tree (403 for an organization outside it, 404 for a brand outside
//! it) and against each other (400 `BRAND_ORG_MISMATCH`).

use actix_web::http::StatusCode;

use crate::error::{ApiError, ApiResult};
use crate::middleware::gate::Caller;
use crate::store::World;

pub fn resolve(
    world: &World,
    caller: &Caller,
    organization_id: Option<String>,
    brand_id: Option<String>,
) -> ApiResult<(String, Option<String>)> {
    if let Some(org) = &organization_id {
        caller.check_org_filter(world, org)?;
    }
    let brand = match brand_id {
        None => None,
        Some(id) => Some(
            world
                .brands
                .get(&id)
                .filter(|b| caller.reaches(world, &b.org_id))
                .ok_or(ApiError::NotFound { resource: "Brand" })?,
        ),
    };
    let org = match (&organization_id, brand) {
        (Some(org), Some(b)) if *org != b.org_id => {
            return Err(ApiError::coded(
                StatusCode::BAD_REQUEST,
                "BRAND_ORG_MISMATCH",
                format!("brand {} belongs to another organization than {org}", b.id),
            ))
        }
        (Some(org), _) => org.clone(),
        (None, Some(b)) => b.org_id.clone(),
        (None, None) => caller.org_id.clone(),
    };
    Ok((org, brand.map(|b| b.id.clone())))
}
