//! `POST /projects/{id}/test` (202), `/schedule`, `/unschedule` and `/pause`: each moves the
//! project through `domain::project::transition`. Test messages are real simulated messages kept
//! for the send engine; a scheduled project stays `scheduled` until the send engine exists.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use rand::RngExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::write::refused;
use super::{examples, find};
use crate::access::Caller;
use crate::domain::contacts::{phone_from_u64, phone_to_u64};
use crate::domain::ids::{new_id, Kind};
use crate::domain::message;
use crate::domain::project::{pause_after, transition, Action, Pause, PauseReason, Status};
use crate::domain::send::{RunKind, RunLink};
use crate::domain::time;
use crate::domain::wire::{wire_enum, WireEnum};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, respond, Body, Query};
use crate::sim::projects::{
    analysis_in_progress, check_org, link_domain, merge_defaults, short_link_for, OrgChecks,
};
use crate::sim::send;
use crate::state::AppState;

pub fn configure(r: &mut Routes) {
    r.post("/projects/{id}/test", test_project)
        .op("testProject", "Send test messages (1-50 recipients)")
        .describe("A draft cannot be tested. Test messages never count in `metrics`.")
        .path_param("id", "Project id", examples::testable_project_id)
        .body::<TestProjectRequest>(examples::test_project_body)
        .answers::<TestAnswer>(202)
        .errors(&[
            Code::ProjectNotReady,
            Code::SendingPaused,
            Code::InsufficientBalance,
        ]);
    r.post("/projects/{id}/schedule", schedule_project)
        .op("scheduleProject", "Schedule (or resume) a project")
        .describe(
            "scheduled_at needs an explicit offset; now or the past starts at once. \
             daily_cap_bypass holds until the next schedule call.",
        )
        .path_param("id", "Project id", examples::testable_project_id)
        .body::<ScheduleProjectRequest>(examples::schedule_project_body)
        .ok::<ScheduleAnswer>()
        .errors(&[
            Code::ProjectNotReady,
            Code::ProjectSending,
            Code::ProjectCompleted,
            Code::SendingPaused,
            Code::InsufficientBalance,
            Code::ListAnalysisInProgress,
        ]);
    r.post("/projects/{id}/unschedule", unschedule_project)
        .op(
            "unscheduleProject",
            "Return a scheduled or paused project to awaiting_test",
        )
        .describe("Safe to repeat: the same answer again.")
        .path_param("id", "Project id", examples::testable_project_id)
        .ok::<UnscheduleAnswer>()
        .errors(&[Code::ProjectSending, Code::ProjectCompleted]);
    r.post("/projects/{id}/pause", pause_project)
        .op("pauseProject", "Pause a scheduled or sending project")
        .describe("An already paused project answers 200 with its current pause_reason.")
        .path_param("id", "Project id", examples::pausable_project_id)
        .optional_body::<PauseProjectRequest>(examples::pause_project_body)
        .ok::<PauseAnswer>()
        .errors(&[Code::ProjectNotPausable, Code::ProjectCompleted]);
}

/// One test recipient.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TestContact {
    /// A US/Canada number in E.164, e.g. +15555550100.
    phone: String,
    /// Merge-tag values; without them a contact is sampled from the project's lists.
    merge_values: Option<BTreeMap<String, String>>,
}

/// `TestProjectRequest`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TestProjectRequest {
    #[schemars(length(min = 1, max = 50))]
    test_contacts: Vec<TestContact>,
}

#[derive(Serialize, JsonSchema)]
pub struct TestMessageView {
    test_message_id: String,
    /// The recipient, masked like +1555****100.
    sent_to: String,
}

#[derive(Serialize, JsonSchema)]
pub struct TestAnswer {
    project_id: String,
    status: Status,
    tests_sent: usize,
    test_messages: Vec<TestMessageView>,
}

/// `+15555550100` → `+1555****100`.
fn mask(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    if chars.len() < 8 {
        return "****".into();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}****{tail}")
}

async fn test_project(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    let mut contacts: Vec<(u64, Option<BTreeMap<String, String>>)> = Vec::new();
    if let Some(items) = body.array("test_contacts", true) {
        if items.is_empty() || items.len() > 50 {
            body.reject("test_contacts", "give 1 to 50 test contacts");
        }
        for (i, item) in items.into_iter().enumerate() {
            let Some(mut c) = body.element_object("test_contacts", i, item) else {
                continue;
            };
            let phone = c.string("phone", true, 32);
            let values = c.object("merge_values", false).map(|mut m| {
                let mut out = BTreeMap::new();
                for key in m.keys() {
                    if let Some(v) = m.string_allow_empty(&key, 1000) {
                        out.insert(key, v);
                    }
                }
                c.absorb(m);
                out
            });
            match phone.as_deref().map(|p| (p, phone_to_u64(p))) {
                Some((p, Some(n))) if p.starts_with("+1") && p.len() == 12 => {
                    contacts.push((n, values))
                }
                Some(_) => c.reject(
                    "phone",
                    "must be a US/Canada number in E.164, e.g. +15555550100",
                ),
                None => {}
            }
            body.absorb(c);
        }
    }
    body.finish()?;
    let now = state.sim.clock.now();
    let (p, views) = {
        let mut world = state.sim.store.write();
        let p = find(&world, &caller, &path)?.clone();
        transition(p.status, Action::Test).map_err(refused)?;
        check_org(&world, &p.org_id, now, OrgChecks::SEND)?;
        let template = message::parse(p.message_text.as_deref().unwrap_or(""));
        let defaults = merge_defaults(&world, &p.org_id);
        // The run these messages join: its seq is known before it exists, so links carry their codes.
        let seq = world.engine.runs.len() as u32;
        let numbers: Vec<(String, String)> = p
            .phone_number_ids
            .iter()
            .filter_map(|id| Some((id.clone(), world.phone_numbers.get(id)?.number.clone())))
            .collect();
        let mut views = Vec::new();
        let mut singles = Vec::new();
        for (i, (to, values)) in contacts.into_iter().enumerate() {
            // Without merge values, a contact of the project's lists lends its fields.
            let values = match values {
                Some(v) => v,
                None => sample_contact(&mut world, &p.contact_list_ids),
            };
            let link = short_link_for(
                &world,
                &p,
                &crate::domain::send::link_code(world.seed, seq, i as u32),
            );
            let text = message::with_footer(
                &template.render(&values, &defaults, link.as_deref()),
                p.opt_out_footer_enabled,
            );
            let pin = if numbers.is_empty() {
                0
            } else {
                world.rng.random_range(0..numbers.len()) as u16
            };
            let id = new_id(Kind::TestMessage, now, &mut world.rng);
            singles.push(send::Single {
                id: id.clone(),
                phone: to,
                text,
                pin,
                conversation_id: None,
            });
            views.push(TestMessageView {
                test_message_id: id,
                sent_to: mask(&phone_from_u64(to)),
            });
        }
        let link = link_domain(&world, &p).map(|domain| RunLink { domain });
        let _ = send::start_single(
            &mut world,
            RunKind::Test,
            true,
            Some(&p.id),
            &p.org_id,
            &caller.org_id,
            numbers,
            link,
            singles,
            now,
        );
        state.sim.wake_engine(&mut world);
        if let Some(stored) = world.projects.get_mut(&p.id) {
            stored.test.sent += views.len() as u64;
        }
        (p, views)
    };
    let sent = views.len();
    // Test messages leave at once.
    state.sim.run_due().await;
    Ok(respond(
        StatusCode::ACCEPTED,
        TestAnswer {
            project_id: p.id,
            status: p.status,
            tests_sent: sent,
            test_messages: views,
        },
    ))
}

/// The merge values of a contact drawn from `lists` by the seeded rng (none when they are empty).
fn sample_contact(world: &mut crate::store::World, lists: &[String]) -> BTreeMap<String, String> {
    let candidates: Vec<&String> = lists
        .iter()
        .filter(|id| {
            world
                .contact_lists
                .get(*id)
                .is_some_and(|l| !l.contacts.is_empty())
        })
        .collect();
    if candidates.is_empty() {
        return BTreeMap::new();
    }
    let pick = world.rng.random_range(0..candidates.len());
    let Some(list) = world.contact_lists.get(candidates[pick]) else {
        return BTreeMap::new();
    };
    let row = world.rng.random_range(0..list.contacts.len().max(1));
    let mut values = BTreeMap::new();
    for tag in &list.merge_tags {
        if let Some(col) = list
            .contacts
            .headers
            .iter()
            .position(|h| *h == tag.csv_column)
        {
            values.insert(
                tag.merge_tag.clone(),
                list.contacts.field(row, col).to_string(),
            );
        }
    }
    values.insert("phone".into(), phone_from_u64(list.contacts.phones[row]));
    values
}

wire_enum!(
    /// The six US zones the schedule endpoint accepts.
    ScheduleTimezone {
        NewYork => "America/New_York",
        Chicago => "America/Chicago",
        Denver => "America/Denver",
        LosAngeles => "America/Los_Angeles",
        Anchorage => "America/Anchorage",
        Honolulu => "Pacific/Honolulu",
    }
);

/// `raw` (a date-time without an offset) with the offset `zone` has at that local time, so the
/// suggestion in the 400 means what the caller meant (the SDK READMEs' own quickstarts omit the
/// offset). Falls back to New York, and to a sample value when `raw` is not a date-time at all.
fn fixed_value(raw: &str, zone: Option<ScheduleTimezone>) -> String {
    use chrono::TimeZone;
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw.trim(), f).ok());
    let tz: chrono_tz::Tz = zone
        .and_then(|z| z.as_str().parse().ok())
        .unwrap_or(chrono_tz::America::New_York);
    match naive.and_then(|n| tz.from_local_datetime(&n).earliest()) {
        Some(local) => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        None => "2026-11-03T10:00:00-05:00".to_string(),
    }
}

/// `ScheduleProjectRequest`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ScheduleProjectRequest {
    /// ISO 8601 with an explicit offset, e.g. 2026-11-03T18:00:00-05:00.
    scheduled_at: String,
    scheduled_timezone: ScheduleTimezone,
    /// Run past the brand's T-Mobile daily cap; holds until the next schedule call.
    daily_cap_bypass: Option<bool>,
}

#[derive(Serialize, JsonSchema)]
pub struct ScheduleAnswer {
    project_id: String,
    status: Status,
    scheduled_at: String,
    scheduled_timezone: ScheduleTimezone,
    /// The persisted setting.
    daily_cap_bypass: bool,
}

async fn schedule_project(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    let at_raw = body.string("scheduled_at", true, 64);
    let zone = body.enumeration::<ScheduleTimezone>("scheduled_timezone", true);
    let bypass = body.boolean("daily_cap_bypass", false).unwrap_or(false);
    let at = at_raw
        .as_deref()
        .and_then(|raw| match time::parse_rfc3339(raw) {
            Some(ms) => Some(ms),
            None => {
                let fixed = fixed_value(raw, zone);
                body.reject(
                    "scheduled_at",
                    format!("must be an ISO 8601 date-time with an explicit offset, e.g. {fixed}"),
                );
                None
            }
        });
    body.finish()?;
    let (Some(at), Some(zone)) = (at, zone) else {
        return Err(ApiError::validation("scheduled_at", "is required"));
    };
    let now = state.sim.clock.now();
    let (answer, project_id) = {
        let mut world = state.sim.store.write();
        let mut p = find(&world, &caller, &path)?.clone();
        let to = transition(p.status, Action::Schedule).map_err(refused)?;
        check_org(&world, &p.org_id, now, OrgChecks::SEND)?;
        let analyzing: Vec<String> = p
            .contact_list_ids
            .iter()
            .chain(&p.suppression_list_ids)
            .filter(|id| {
                world.contact_lists.get(*id).is_some_and(|l| {
                    l.analysis.status == crate::domain::contacts::AnalysisStatus::Processing
                })
            })
            .cloned()
            .collect();
        if !analyzing.is_empty() {
            return Err(analysis_in_progress(analyzing));
        }
        p.status = to;
        p.scheduled_at = Some(at);
        p.scheduled_timezone = Some(zone.as_str().to_string());
        p.daily_cap_bypass = bypass;
        p.pause = None;
        p.unscheduled_at = None;
        p.updated_at = now;
        let project_id = p.id.clone();
        let answer = ScheduleAnswer {
            project_id: p.id.clone(),
            status: p.status,
            scheduled_at: time::format(at),
            scheduled_timezone: zone,
            daily_cap_bypass: bypass,
        };
        world.projects.insert(p.id.clone(), p);
        (answer, project_id)
    };
    // The engine takes it from here. Its run (a million recipients take a few hundred
    // milliseconds) is built off the async worker under a read lock, so reads go on meanwhile,
    // then installed under the write lock unless a pause or unschedule came first.
    let from = at.max(now);
    let built = {
        let state = state.clone();
        let (id, org) = (project_id.clone(), caller.org_id.clone());
        web::block(move || send::build(&state.sim.store.read(), &id, &org, from, now))
            .await
            .ok()
            .flatten()
    };
    {
        let mut world = state.sim.store.write();
        let installed = built.is_some_and(|b| send::install(&mut world, b, true));
        let still_scheduled = world
            .projects
            .get(&project_id)
            .is_some_and(|p| p.status == Status::Scheduled);
        if !installed && still_scheduled {
            // Another schedule call raced this one: build again under the lock.
            send::schedule(&mut world, &project_id, &caller.org_id, from, now);
        }
        state.sim.wake_engine(&mut world);
    }
    // Due now (or in the past) means it starts at once.
    state.sim.run_due().await;
    Ok(ok(answer))
}

#[derive(Serialize, JsonSchema)]
pub struct UnscheduleAnswer {
    project_id: String,
    status: Status,
    unscheduled_at: String,
}

async fn unschedule_project(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let mut p = find(&world, &caller, &path)?.clone();
    let to = transition(p.status, Action::Unschedule).map_err(refused)?;
    // The first unschedule that finds the project scheduled (or never unscheduled) records
    // when; repeating it answers the same.
    if p.status != to || p.unscheduled_at.is_none() {
        p.unscheduled_at = Some(now);
        p.updated_at = now;
    }
    p.status = to;
    p.scheduled_at = None;
    p.scheduled_timezone = None;
    p.pause = None;
    let answer = UnscheduleAnswer {
        project_id: p.id.clone(),
        status: p.status,
        unscheduled_at: time::format(p.unscheduled_at.unwrap_or(now)),
    };
    send::hold(&mut world, &p.id, now);
    world.projects.insert(p.id.clone(), p);
    Ok(ok(answer))
}

/// `/pause {reason?}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PauseProjectRequest {
    /// 1-100 characters; omitted means `manual`.
    #[schemars(length(min = 1, max = 100))]
    reason: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct PauseAnswer {
    project_id: String,
    id: String,
    status: Status,
    pause_reason: Option<PauseReason>,
    auto_paused: bool,
}

async fn pause_project(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    let raw = body.string_allow_empty("reason", 1000);
    let reason = match PauseReason::from_caller(raw.as_deref()) {
        Ok(r) => Some(r),
        Err(why) => {
            body.reject("reason", why);
            None
        }
    };
    body.finish()?;
    let reason = reason.unwrap_or(PauseReason::Manual);
    let now = state.sim.clock.now();
    let mut world = state.sim.store.write();
    let mut p = find(&world, &caller, &path)?.clone();
    let to = transition(p.status, Action::Pause).map_err(refused)?;
    p.pause = pause_after(
        p.status,
        to,
        p.pause.clone(),
        Pause {
            reason,
            auto_paused: false,
        },
    );
    if p.status != to {
        p.updated_at = now;
    }
    p.status = to;
    let answer = PauseAnswer {
        project_id: p.id.clone(),
        id: p.id.clone(),
        status: p.status,
        pause_reason: p.pause.as_ref().map(|x| x.reason.clone()),
        auto_paused: p.pause.as_ref().is_some_and(|x| x.auto_paused),
    };
    send::hold(&mut world, &p.id, now);
    world.projects.insert(p.id.clone(), p);
    Ok(ok(answer))
}
