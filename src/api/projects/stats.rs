//! `GET /projects/{id}/stats` (production `metrics`, `test` apart, `as_of`) and
//! `GET /projects/{id}/throughput` (`ProjectThroughput`: how the campaign's carrier lanes will
//! meet this project's audience).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono_tz::America::Los_Angeles;
use schemars::JsonSchema;
use serde::Serialize;

use super::{examples, find};
use crate::access::Caller;
use crate::domain::contacts::LineType;
use crate::domain::lrn;
use crate::domain::project::{Protocol, Status};
use crate::domain::project_record::{Metrics, Project, TestCounts};
use crate::domain::send::flag;
use crate::domain::time;
use crate::error::ApiResult;
use crate::http::routes::Routes;
use crate::http::{ok, Query};
use crate::sim::projects::estimate;
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.get("/projects/{id}/stats", project_stats)
        .op("getProjectStats", "A project's delivery counters")
        .describe("`metrics` counts production traffic only; `test` holds test sends apart.")
        .path_param("id", "Project id", examples::project_id)
        .ok::<ProjectStatsView>();
    r.get("/projects/{id}/throughput", project_throughput)
        .op(
            "getProjectThroughput",
            "How carrier limits will meet the project",
        )
        .describe(
            "Estimates from the audience and the campaign's lanes. With daily_cap_bypass on, \
             will_pause is false and estimated_send_days is 1.",
        )
        .path_param("id", "Project id", examples::project_id)
        .ok::<ThroughputView>();
}

#[derive(Serialize, JsonSchema)]
pub struct ProjectStatsView {
    project_id: String,
    status: Status,
    as_of: String,
    metrics: Metrics,
    test: TestCounts,
}

async fn project_stats(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let world = state.sim.store.read();
    let p = find(&world, &caller, &path)?;
    Ok(ok(ProjectStatsView {
        project_id: p.id.clone(),
        status: p.status,
        as_of: time::format(now),
        metrics: p.metrics,
        test: p.test,
    }))
}

#[derive(Serialize, JsonSchema)]
pub struct TMobileEstimate {
    daily_cap: Option<u64>,
    used_today: Option<u64>,
    remaining_today: Option<u64>,
    estimated_recipients: u64,
    /// True when the project will use up the remaining cap and auto-pause.
    will_pause: bool,
    /// Always 1 with daily_cap_bypass on.
    estimated_send_days: u64,
}

#[derive(Serialize, JsonSchema)]
pub struct AttEstimate {
    /// Message parts per minute.
    tpm: u32,
    estimated_recipients: u64,
    estimated_minutes: u64,
}

/// `ProjectThroughput`.
#[derive(Serialize, JsonSchema)]
pub struct ThroughputView {
    project_id: String,
    carrier_metered: bool,
    t_mobile: Option<TMobileEstimate>,
    att: Option<AttEstimate>,
    /// Present when carrier_metered.
    #[serde(skip_serializing_if = "Option::is_none")]
    recipients: Option<u64>,
    /// Share of recipients whose carrier is known, 0 to 1 (present when carrier_metered).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "js_option")]
    carrier_coverage: Option<f64>,
}

fn js_option<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => crate::http::js_number(v, s),
        None => s.serialize_none(),
    }
}

/// The platform-wide carrier split used where a recipient's carrier is unknown.
const T_MOBILE_SHARE: f64 = 0.30;
const ATT_SHARE: f64 = 0.35;

/// Recipients on T-Mobile and AT&T, and the share whose carrier is known (analyzed lists).
fn carrier_split(world: &World, p: &Project, recipients: u64) -> (u64, u64, f64) {
    let (mut known, mut tmo, mut att, mut seen) = (0u64, 0u64, 0u64, 0u64);
    for list in p
        .contact_list_ids
        .iter()
        .filter_map(|id| world.contact_lists.get(id))
    {
        for row in 0..list.contacts.len() {
            seen += 1;
            if let Some(t) = list.contacts.line_type(row) {
                known += 1;
                let carrier = lrn::carrier(world.seed, list.contacts.phones[row], t);
                if t == LineType::Mobile && carrier.starts_with("T-Mobile") {
                    tmo += 1;
                } else if carrier.starts_with("AT&T") {
                    att += 1;
                }
            }
        }
    }
    let coverage = if seen == 0 {
        0.0
    } else {
        known as f64 / seen as f64
    };
    if seen == 0 || coverage < 0.5 {
        // Low coverage: the platform-wide split.
        let r = recipients as f64;
        return (
            (r * T_MOBILE_SHARE).round() as u64,
            (r * ATT_SHARE).round() as u64,
            coverage,
        );
    }
    let scale = recipients as f64 / known.max(1) as f64;
    (
        (tmo as f64 * scale).round() as u64,
        (att as f64 * scale).round() as u64,
        coverage,
    )
}

async fn project_throughput(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let world = state.sim.store.read();
    let p = find(&world, &caller, &path)?;
    let (recipients, parts, _) = estimate(&world, p);
    let parts = u64::from(parts.max(1));
    let campaign = p
        .campaign_id
        .as_deref()
        .and_then(|c| world.campaigns.get(c));
    let cap = campaign
        .and_then(|c| world.brands.get(&c.brand_id))
        .and_then(|b| b.t_mobile_daily_cap);
    let tpm = campaign.and_then(|c| match p.protocol {
        Protocol::Mms => c.att_mms_tpm.or(c.att_sms_tpm),
        Protocol::Sms => c.att_sms_tpm,
    });
    let metered = cap.is_some() || tpm.is_some();
    let (mut tmo, mut att, coverage) = carrier_split(&world, p, recipients);
    let mut need = tmo * parts;
    // Once a send has begun, what is left of it, exactly: its recipients not yet messaged.
    let begun = world
        .engine
        .by_project
        .get(&p.id)
        .map(|&seq| &world.engine.runs[seq as usize])
        .filter(|r| r.next > 0);
    let recipients = match begun {
        Some(run) => {
            let left: Vec<_> = run.recipients[run.next.min(run.recipients.len())..]
                .iter()
                .filter(|r| !r.has(flag::SKIPPED) && !world.is_opted_out(&p.org_id, r.phone))
                .collect();
            let left_count = left.len() as u64;
            att = if recipients == 0 {
                0
            } else {
                (att as f64 * left_count as f64 / recipients as f64).round() as u64
            };
            tmo = left.iter().filter(|r| r.has(flag::T_MOBILE)).count() as u64;
            need = left
                .iter()
                .filter(|r| r.has(flag::T_MOBILE))
                .map(|r| u64::from(r.parts))
                .sum();
            left_count
        }
        None => recipients,
    };
    let t_mobile = cap.map(|cap| {
        let day = time::local_date(now, Los_Angeles);
        let used = campaign.map_or(0, |c| world.t_mobile_used(&c.brand_id, day));
        let will_pause = !p.daily_cap_bypass && used + need > cap;
        let days = if p.daily_cap_bypass || cap == 0 {
            1
        } else {
            let first_day = cap.saturating_sub(used);
            if need <= first_day {
                1
            } else {
                1 + (need - first_day).div_ceil(cap)
            }
        };
        TMobileEstimate {
            daily_cap: Some(cap),
            used_today: Some(used),
            remaining_today: Some(cap.saturating_sub(used)),
            estimated_recipients: tmo,
            will_pause,
            estimated_send_days: days,
        }
    });
    let att = tpm.map(|tpm| AttEstimate {
        tpm,
        estimated_recipients: att,
        estimated_minutes: (att * parts).div_ceil(u64::from(tpm.max(1))),
    });
    Ok(ok(ThroughputView {
        project_id: p.id.clone(),
        carrier_metered: metered,
        t_mobile,
        att,
        recipients: metered.then_some(recipients),
        carrier_coverage: metered.then_some((coverage * 1000.0).round() / 1000.0),
    }))
}
