//! Stats and usage (CONTRACT §9): `GET /messages/stats`, `GET /projects/stats`,
//! `GET /ledger/usage` and `GET /ledger/usage/by-initiator`. The handlers read the date range
//! and the scope; the answers are summed in `sim::usage` and `sim::project_stats`.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::access::Caller;
use crate::domain::stats::{self, DateProblem, DayRange};
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::{ExampleContext, Routes};
use crate::http::{ok, Query};
use crate::sim::project_stats::{self, AllProjectStats, StatusFilter};
use crate::sim::usage::{self, LedgerUsage, MessageStats, Scope, UsageByInitiator};
use crate::state::AppState;
use crate::store::World;

const DATE_ERRORS: &[Code] = &[
    Code::InvalidDateFormat,
    Code::RangeTooLarge,
    Code::RangeTooOld,
    Code::ValidationError,
    Code::OrgAccessDenied,
];

/// The last seven days up to the clock start: a range every sandbox of the default world accepts.
fn start_example(ctx: &ExampleContext) -> Option<serde_json::Value> {
    let day = ctx.world.generated_at.div_euclid(crate::domain::time::DAY);
    Some(serde_json::json!(stats::format_day(day - 7)))
}

fn end_example(ctx: &ExampleContext) -> Option<serde_json::Value> {
    let day = ctx.world.generated_at.div_euclid(crate::domain::time::DAY);
    Some(serde_json::json!(stats::format_day(day - 1)))
}

pub fn configure(r: &mut Routes) {
    r.tag("Stats")
        .get("/messages/stats", message_stats)
        .op("getMessageStats", "Message counts and costs by status and day")
        .describe(
            "YYYY-MM-DD dates, inclusive UTC days, at most 31 days, starting at most 180 days back.",
        )
        .required_query::<String>("startDate", "YYYY-MM-DD.", start_example)
        .required_query::<String>("endDate", "YYYY-MM-DD.", end_example)
        .query::<String>("organizationId", "Only this organization.")
        .query::<String>("brandId", "Only this brand's campaigns.")
        .query::<String>("campaignId", "Only this campaign.")
        .ok::<MessageStats>()
        .errors(DATE_ERRORS);
    r.get("/projects/stats", project_stats)
        .op(
            "getAllProjectStats",
            "Every project's counters and cost, with a summary",
        )
        .describe("At most 31 days, starting at most 90 days back. limit 1-1000 (default 100).")
        .required_query::<String>("startDate", "YYYY-MM-DD.", start_example)
        .required_query::<String>("endDate", "YYYY-MM-DD.", end_example)
        .query::<String>("organizationId", "Only this organization.")
        .query::<String>("brandId", "Only this brand.")
        .query::<String>("campaignId", "Only this campaign.")
        .query::<String>(
            "status",
            "draft, active (scheduled or sending), completed, paused or all.",
        )
        .query::<u32>("limit", "1-1000, default 100.")
        .query::<u32>("offset", "Default 0.")
        .ok::<AllProjectStats>()
        .errors(DATE_ERRORS);
    r.get("/ledger/usage", ledger_usage)
        .op("getLedgerUsage", "Usage and charges per organization")
        .describe("Amounts in dollars, charges negative; at most 31 days, starting at most 180 days back.")
        .required_query::<String>("startDate", "YYYY-MM-DD.", start_example)
        .required_query::<String>("endDate", "YYYY-MM-DD.", end_example)
        .query::<String>("organizationId", "Only this organization.")
        .query::<String>("brandId", "Only this brand's lines.")
        .query::<String>("campaignId", "Only this campaign's lines.")
        .ok::<LedgerUsage>()
        .errors(DATE_ERRORS);
    r.get("/ledger/usage/by-initiator", by_initiator)
        .op(
            "getLedgerUsageByInitiator",
            "Usage grouped by the organization whose key initiated it",
        )
        .describe("Largest spend first.")
        .required_query::<String>("startDate", "YYYY-MM-DD.", start_example)
        .required_query::<String>("endDate", "YYYY-MM-DD.", end_example)
        .query::<String>("organizationId", "Only this organization's charges.")
        .ok::<UsageByInitiator>()
        .errors(DATE_ERRORS);
}

fn date_error(p: DateProblem) -> ApiError {
    match p {
        DateProblem::Format(name, given) => ApiError::coded(
            Code::InvalidDateFormat,
            match given {
                Some(g) => format!("{name} must be a date in YYYY-MM-DD format, got {g:?}"),
                None => format!("{name} is required, in YYYY-MM-DD format"),
            },
        ),
        DateProblem::EndBeforeStart => {
            ApiError::validation("endDate", "must not be before startDate")
        }
        DateProblem::TooLarge(days) => ApiError::coded(
            Code::RangeTooLarge,
            format!("The date range covers {days} days; the most is 31"),
        ),
        DateProblem::TooOld { max_days } => ApiError::coded(
            Code::RangeTooOld,
            format!("startDate is more than {max_days} days before today"),
        ),
    }
}

/// The organizations in scope: the caller's tree, or exactly `organizationId` inside it.
fn orgs(world: &World, caller: &Caller, org: Option<&str>) -> ApiResult<Vec<String>> {
    if let Some(o) = org {
        caller.check_org_filter(world, o)?;
        return Ok(vec![o.to_string()]);
    }
    Ok(world
        .org_order
        .iter()
        .filter(|id| caller.reaches(world, id))
        .cloned()
        .collect())
}

struct Params {
    range: Result<DayRange, DateProblem>,
    org: Option<String>,
    brand: Option<String>,
    campaign: Option<String>,
}

fn params(q: &mut Query, now: i64, max_age: i64, filters: bool) -> Params {
    // An empty date is a badly formatted one (INVALID_DATE_FORMAT), like any other.
    let start = q.string_or_empty("startDate");
    let end = q.string_or_empty("endDate");
    let org = q.string("organizationId");
    let (brand, campaign) = if filters {
        (q.string("brandId"), q.string("campaignId"))
    } else {
        (None, None)
    };
    Params {
        range: stats::range(start.as_deref(), end.as_deref(), now, max_age),
        org,
        brand,
        campaign,
    }
}

/// Parameters of the three range-and-scope endpoints.
const FILTERED: &[&str] = &[
    "startDate",
    "endDate",
    "organizationId",
    "brandId",
    "campaignId",
];
const ORG_ONLY: &[&str] = &["startDate", "endDate", "organizationId"];

/// Reads the range and the scope (brand and campaign filters when `allowed` has them) and
/// answers `f` of them.
fn answer<T: serde::Serialize>(
    req: &HttpRequest,
    caller: &Caller,
    state: &AppState,
    allowed: &[&str],
    f: impl FnOnce(&World, &Scope<'_>, DayRange) -> T,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(req, allowed);
    let filters = allowed.contains(&"brandId");
    let p = params(&mut q, state.sim.clock.now(), stats::MAX_AGE_DAYS, filters);
    q.finish()?;
    let range = p.range.map_err(date_error)?;
    let world = state.sim.store.read();
    let scope = Scope {
        orgs: orgs(&world, caller, p.org.as_deref())?,
        brand_id: p.brand.as_deref(),
        campaign_id: p.campaign.as_deref(),
    };
    Ok(ok(f(&world, &scope, range)))
}

async fn message_stats(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    answer(&req, &caller, &state, FILTERED, usage::message_stats)
}

async fn ledger_usage(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    answer(&req, &caller, &state, FILTERED, usage::ledger_usage)
}

async fn by_initiator(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    answer(&req, &caller, &state, ORG_ONLY, usage::by_initiator)
}

async fn project_stats(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(
        &req,
        &[
            "startDate",
            "endDate",
            "organizationId",
            "brandId",
            "campaignId",
            "status",
            "limit",
            "offset",
        ],
    );
    let p = params(
        &mut q,
        state.sim.clock.now(),
        stats::PROJECT_MAX_AGE_DAYS,
        true,
    );
    let status = q.string("status");
    let limit = q.integer("limit", 1, 1000).unwrap_or(100);
    let offset = q.integer("offset", 0, i64::from(u32::MAX)).unwrap_or(0);
    q.finish()?;
    let status = match status.as_deref() {
        None => StatusFilter::All,
        Some(s) => StatusFilter::parse(s).ok_or_else(|| {
            ApiError::validation(
                "status",
                format!("must be one of {}", StatusFilter::NAMES.join(", ")),
            )
        })?,
    };
    let range = p.range.map_err(date_error)?;
    let world = state.sim.store.read();
    let scope = Scope {
        orgs: orgs(&world, &caller, p.org.as_deref())?,
        brand_id: p.brand.as_deref(),
        campaign_id: p.campaign.as_deref(),
    };
    Ok(ok(project_stats::project_stats(
        &world,
        &scope,
        range,
        status,
        limit as usize,
        offset as usize,
    )))
}
