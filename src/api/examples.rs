//! Examples for the OpenAPI document and the Postman collection, taken from the seeded world as
//! the root key sees it. Each write operation gets its own subject, so a collection run against a
//! fresh sandbox works in any order: the list that is deleted is not the one that is analyzed.

use serde_json::{json, Value};

use crate::domain::contacts::{AnalysisStatus, ContactList, ImportStatus};
use crate::domain::keys::KeyRole;
use crate::domain::media::MediaStatus;
use crate::http::routes::ExampleContext;
use crate::store::{tree, World};

/// The organization of the seeded `root` key (the agency at the top of the main tree).
pub fn root_org(world: &World) -> Option<&str> {
    world
        .keys
        .values()
        .find(|k| k.role == KeyRole::Root)
        .map(|k| k.organization_id.as_str())
}

fn in_root_tree(world: &World, org_id: &str) -> bool {
    root_org(world).is_some_and(|root| tree::is_within(world, org_id, root))
}

fn lists(world: &World) -> impl Iterator<Item = &ContactList> {
    world
        .contact_lists
        .values()
        .filter(move |l| in_root_tree(world, &l.org_id))
}

fn string(s: Option<&str>) -> Option<Value> {
    s.map(|s| Value::String(s.to_string()))
}

pub fn organization_id(ctx: &ExampleContext) -> Option<Value> {
    string(root_org(ctx.world))
}

/// A committee below the root (an `organization_id` filter that selects something).
pub fn child_organization_id(ctx: &ExampleContext) -> Option<Value> {
    let root = root_org(ctx.world)?;
    string(
        ctx.world
            .children
            .get(root)
            .and_then(|kids| kids.first())
            .map(String::as_str),
    )
}

pub fn brand_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .brands
            .values()
            .find(|b| in_root_tree(ctx.world, &b.org_id))
            .map(|b| b.id.as_str()),
    )
}

pub fn campaign_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .campaigns
            .values()
            .find(|c| in_root_tree(ctx.world, &c.org_id))
            .map(|c| c.id.as_str()),
    )
}

pub fn toll_free_verification_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .toll_free_verifications
            .values()
            .find(|t| in_root_tree(ctx.world, &t.org_id))
            .map(|t| t.id.as_str()),
    )
}

/// A ready list (read by the detail example).
pub fn list_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        lists(ctx.world)
            .find(|l| l.import.status == ImportStatus::Ready)
            .map(|l| l.id.as_str()),
    )
}

/// A ready list not yet analyzed (the analyze example starts a run on it).
pub fn unanalyzed_list_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        lists(ctx.world)
            .filter(|l| {
                l.import.status == ImportStatus::Ready
                    && l.analysis.status == AnalysisStatus::NotStarted
            })
            .last()
            .map(|l| l.id.as_str()),
    )
}

/// An analyzed list (both downloads work on it).
pub fn analyzed_list_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        lists(ctx.world)
            .find(|l| l.analysis.status == AnalysisStatus::Complete)
            .map(|l| l.id.as_str()),
    )
}

/// The failed list (the delete example removes it, and nothing else uses it).
pub fn deletable_list_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        lists(ctx.world)
            .find(|l| l.import.status == ImportStatus::Failed)
            .map(|l| l.id.as_str()),
    )
}

/// The first ready media file.
pub fn media_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .media
            .values()
            .find(|m| in_root_tree(ctx.world, &m.org_id) && m.status == MediaStatus::Ready)
            .map(|m| m.id.as_str()),
    )
}

/// The last media file of the tree (the delete example removes it).
pub fn deletable_media_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .media
            .values()
            .rev()
            .find(|m| in_root_tree(ctx.world, &m.org_id))
            .map(|m| m.id.as_str()),
    )
}

pub fn download_type(_: &ExampleContext) -> Option<Value> {
    Some(json!("analyzed"))
}

/// An import of the bundled clean sample, hosted by the sandbox itself.
pub fn import_list_body(ctx: &ExampleContext) -> Option<Value> {
    Some(json!({
        "source_url": format!("{}/_sandbox/files/contacts-clean.csv", ctx.origin),
        "list_name": "Franklin County Volunteers",
        "phone_column": "phone",
    }))
}

/// An import of the bundled rally photo.
pub fn import_media_body(ctx: &ExampleContext) -> Option<Value> {
    Some(json!({
        "source_url": format!("{}/_sandbox/files/rally.jpg", ctx.origin),
        "name": "Rally photo",
        "usage": "mms",
    }))
}
