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

/// A ready list not yet analyzed and used by no project (the analyze example starts a run on
/// it, which would hold up edits of projects using it).
pub fn unanalyzed_list_id(ctx: &ExampleContext) -> Option<Value> {
    let used = |id: &str| {
        ctx.world.projects.values().any(|p| {
            p.contact_list_ids
                .iter()
                .chain(&p.suppression_list_ids)
                .any(|l| l == id)
        })
    };
    string(
        lists(ctx.world)
            .filter(|l| {
                l.import.status == ImportStatus::Ready
                    && l.analysis.status == AnalysisStatus::NotStarted
                    && !used(&l.id)
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

fn projects_with(
    world: &World,
    status: crate::domain::project::Status,
) -> impl Iterator<Item = &crate::domain::project_record::Project> {
    world.projects.values().filter(move |p| {
        in_root_tree(world, &p.org_id)
            && p.status == status
            && p.project_type == crate::domain::project::ProjectType::Broadcast
    })
}

/// A broadcast project of the tree (read, copied, its stats and throughput).
pub fn project_id(ctx: &ExampleContext) -> Option<Value> {
    use crate::domain::project::Status;
    string(
        projects_with(ctx.world, Status::Completed)
            .chain(projects_with(ctx.world, Status::AwaitingTest))
            .next()
            .map(|p| p.id.as_str()),
    )
}

/// An awaiting_test project the PATCH example renames.
pub fn editable_project_id(ctx: &ExampleContext) -> Option<Value> {
    use crate::domain::project::Status;
    string(
        projects_with(ctx.world, Status::AwaitingTest)
            .next()
            .map(|p| p.id.as_str()),
    )
}

/// Another awaiting_test project: tested, scheduled, then unscheduled by the examples.
pub fn testable_project_id(ctx: &ExampleContext) -> Option<Value> {
    use crate::domain::project::Status;
    string(
        projects_with(ctx.world, Status::AwaitingTest)
            .last()
            .map(|p| p.id.as_str()),
    )
}

/// A scheduled project the pause example pauses.
pub fn pausable_project_id(ctx: &ExampleContext) -> Option<Value> {
    use crate::domain::project::Status;
    string(
        projects_with(ctx.world, Status::Scheduled)
            .next()
            .map(|p| p.id.as_str()),
    )
}

/// A create body that works on a fresh sandbox: a campaign of the tree, one of its numbers that no
/// active project holds, and a ready list of the campaign's organization.
pub fn create_project_body(ctx: &ExampleContext) -> Option<Value> {
    use crate::domain::project::Status;
    let w = ctx.world;
    let held: Vec<&str> = w
        .projects
        .values()
        .filter(|p| {
            matches!(
                p.status,
                Status::Scheduled | Status::Sending | Status::Paused
            )
        })
        .flat_map(|p| p.phone_number_ids.iter().map(String::as_str))
        .collect();
    w.campaigns
        .values()
        .filter(|c| in_root_tree(w, &c.org_id))
        .find_map(|c| {
            let number = w.phone_numbers.values().find(|n| {
                n.campaign_id.as_deref() == Some(c.id.as_str())
                    && n.org_id == c.org_id
                    && n.status == "active"
                    && n.channel == crate::domain::registry::Channel::TenDlc
                    && !held.contains(&n.id.as_str())
            })?;
            let list = lists(w).find(|l| {
                l.org_id == c.org_id
                    && l.import.status == ImportStatus::Ready
                    && l.analysis.status != AnalysisStatus::Processing
            })?;
            Some(json!({
                "organization_id": c.org_id,
                "brand_id": c.brand_id,
                "campaign_id": c.id,
                "phone_number_ids": [number.id],
                "name": "Polling Place Reminder",
                "protocol": "sms",
                "contact_list_ids": [list.id],
                "message_text": "Hi {first_name|there}, polls are open until 7:30pm today. Reply with questions!",
            }))
        })
}

pub fn update_project_body(_: &ExampleContext) -> Option<Value> {
    Some(json!({ "name": "Volunteer Shift Reminder (Saturday)" }))
}

pub fn test_project_body(_: &ExampleContext) -> Option<Value> {
    Some(json!({
        "test_contacts": [
            { "phone": "+15005550000", "merge_values": { "first_name": "Ana" } },
            { "phone": "+15005550006" }
        ]
    }))
}

/// A day after the world's clock start, with an explicit offset.
pub fn schedule_project_body(ctx: &ExampleContext) -> Option<Value> {
    let at = crate::domain::time::to_datetime(ctx.world.generated_at + crate::domain::time::DAY)
        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600)?)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    Some(json!({ "scheduled_at": at, "scheduled_timezone": "America/New_York" }))
}

pub fn pause_project_body(_: &ExampleContext) -> Option<Value> {
    Some(json!({ "reason": "Waiting on final copy approval" }))
}

/// A seeded conversation of the tree (one the contact has written in).
pub fn conversation_id(ctx: &ExampleContext) -> Option<Value> {
    string(
        ctx.world
            .conversations
            .values()
            .find(|c| in_root_tree(ctx.world, &c.org_id) && c.last_inbound_at.is_some())
            .map(|c| c.id.as_str()),
    )
}

pub fn reply_body(_: &ExampleContext) -> Option<Value> {
    Some(json!({ "text": "Thanks for writing back \u{2014} polls open at 7am!" }))
}
