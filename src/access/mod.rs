//! Who may see what. A key reaches its own organization and every descendant, never across trees;
//! every scoped read and write goes through the [`Caller`] the gate hands the handlers:
//! - a filter naming an organization outside the tree is a 403 `ORG_ACCESS_DENIED`;
//! - an id outside the tree is the same 404 as an id that does not exist;
//! - a resource that others still use cannot be deleted ([`in_use`]).

mod filters;

pub use filters::{org_filter, visible, OrgBrandFilter};

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;
use serde_json::json;

use crate::domain::registry::Owned;
use crate::error::{ApiError, Code};
use crate::store::{tree, World};

/// The part of the org tree a caller may see: `root` and its descendants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub root: String,
}

impl Reach {
    pub fn new(root: impl Into<String>) -> Self {
        Reach { root: root.into() }
    }

    /// Whether `org_id` is the root or one of its descendants.
    pub fn contains(&self, world: &World, org_id: &str) -> bool {
        tree::is_within(world, org_id, &self.root)
    }

    /// The reachable organizations in tree pre-order.
    pub fn orgs<'w>(&self, world: &'w World) -> Vec<&'w str> {
        tree::subtree(world, &self.root)
    }
}

/// Who is calling: the key and the part of the org tree it reaches.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: String,
    pub org_id: String,
    pub reach: Reach,
}

impl Caller {
    /// A 403 unless `org_id` (a filter value) is inside the caller's tree.
    pub fn check_org_filter(&self, world: &World, org_id: &str) -> Result<(), ApiError> {
        if self.reach.contains(world, org_id) {
            Ok(())
        } else {
            Err(ApiError::OrgAccessDenied)
        }
    }

    pub fn reaches(&self, world: &World, org_id: &str) -> bool {
        self.reach.contains(world, org_id)
    }

    /// `table[id]` when the caller reaches its organization; otherwise the same 404 as for an id
    /// that does not exist, so nothing outside the tree is revealed.
    pub fn find<'w, T: Owned>(
        &self,
        world: &World,
        table: &'w BTreeMap<String, T>,
        id: &str,
        resource: &'static str,
    ) -> Result<&'w T, ApiError> {
        table
            .get(id)
            .filter(|item| self.reaches(world, item.org_id()))
            .ok_or(ApiError::NotFound { resource })
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or(ApiError::InvalidApiKey),
        )
    }
}

/// One resource that still uses the one being deleted, as `details.projects` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// A 409 with `code` and `details.<field>` listing `users` when anything still uses the resource
/// (`CONTACT_LIST_IN_USE` / `MEDIA_IN_USE` with `details.projects`); `Ok` when nothing does.
pub fn in_use(code: Code, what: &str, field: &str, users: Vec<User>) -> Result<(), ApiError> {
    if users.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let message = format!(
        "{what} is used by {} {field}: {}; detach it from them first",
        users.len(),
        names.join(", ")
    );
    Err(ApiError::coded(code, message).with_details(json!({ field: users })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_nobody_uses_may_go_and_a_used_one_names_its_users() {
        assert!(in_use(Code::NotFound, "The list", "projects", Vec::new()).is_ok());
        let users = vec![User {
            id: "proj_1".into(),
            name: "GOTV Blast".into(),
            status: "scheduled".into(),
        }];
        let err = in_use(Code::ListNotReady, "The list", "projects", users)
            .expect_err("a user blocks it");
        let body = err.body();
        assert_eq!(body["code"], "LIST_NOT_READY");
        assert_eq!(body["statusCode"], 409);
        assert_eq!(body["details"]["projects"][0]["id"], "proj_1");
        assert!(body["error"]
            .as_str()
            .is_some_and(|e| e.contains("GOTV Blast")));
    }
}
