//! Clicks on tracking links: where one goes (the project's parameter rules over the recipient's
//! field) and taking one by hand (`/_sandbox/l/{code}`, `/_sandbox/clicks`).

use serde_json::json;

use super::rows::columns;
use super::steps::{record_click, short_link};
use crate::domain::contacts::phone_from_u64;
use crate::domain::ledger::Logged;
use crate::domain::message;
use crate::domain::send::{self, SendRun};
use crate::domain::time::Millis;
use crate::store::World;

/// Why a click cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickError {
    /// No such link.
    Unknown,
    /// The message has not left yet.
    NotSent,
}

/// Where recipient `idx`'s click goes, by the project's link settings and their field.
pub fn destination(world: &World, run: &SendRun, idx: usize) -> String {
    let Some(p) = run
        .project_id
        .as_deref()
        .and_then(|id| world.projects.get(id))
    else {
        return String::new();
    };
    let Some(dest) = p.link.destination_url.as_deref() else {
        return String::new();
    };
    let plan = match message::check_link_settings(
        dest,
        p.link.param_field.as_deref(),
        p.link.fallback_url.as_deref(),
    ) {
        Ok(plan) => plan,
        Err(_) => return dest.to_string(),
    };
    let r = &run.recipients[idx];
    let phone = phone_from_u64(r.phone);
    let value = plan.param_field().and_then(|field| {
        if field == message::PHONE_TAG {
            return Some(phone.clone());
        }
        let list = world.contact_lists.get(run.lists.get(r.list as usize)?)?;
        let col = columns(list)
            .into_iter()
            .find(|(t, _)| t == field)
            .map(|(_, c)| c)
            .or_else(|| list.contacts.headers.iter().position(|h| h == field))?;
        Some(list.contacts.field(r.row as usize, col).to_string())
    });
    message::redirect_target(&plan, value.as_deref())
}

/// A click on link `code` at `at` (the redirect of `/_sandbox/l/{code}` or `/_sandbox/clicks`):
/// counted like a simulated one. Returns the destination and the `link.clicked` event.
pub fn click(
    world: &mut World,
    code: &str,
    user_agent: &str,
    at: Millis,
) -> Result<(String, Logged), ClickError> {
    let (seq, idx) = send::parse_link_code(world.seed, code).ok_or(ClickError::Unknown)?;
    let run = world
        .engine
        .runs
        .get(seq as usize)
        .filter(|r| r.link.is_some())
        .ok_or(ClickError::Unknown)?;
    let r = run
        .recipients
        .get(idx as usize)
        .ok_or(ClickError::Unknown)?;
    if !r.attempted() || at < r.attempted_at {
        return Err(ClickError::NotSent);
    }
    let dest = destination(world, run, idx as usize);
    let url = short_link(world.seed, run, idx as usize).unwrap_or_default();
    let event = Logged::full(
        "link.clicked",
        at,
        json!({
            "link_id": code,
            "url": url,
            "destination_url": dest,
            "project_id": run.project_id,
            "contact_phone": phone_from_u64(r.phone),
            "clicked_at": crate::domain::time::format(at),
            "user_agent": user_agent,
        }),
    );
    record_click(world, seq, idx as usize);
    Ok((dest, event))
}
