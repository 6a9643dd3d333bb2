//! `GET /projects/stats` (`AllProjectStats`): one row per project in scope with its counters and
//! `actual_cost` (what its own organization was charged, a numeric string in dollars), a
//! summary over every matching project, and offset pages.
//!
//! Decisions where the sources are silent: a project is in the date range when it was created,
//! scheduled, updated or completed on one of its days; the `status` filter matches the real
//! status, except `active` (scheduled or sending) and `all`; rows are newest first.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::usage::Scope;
use crate::domain::project::{ProjectType, Status};
use crate::domain::project_record::Project;
use crate::domain::stats::{format_day, DayRange};
use crate::domain::time;
use crate::domain::wire::WireEnum;
use crate::store::World;

/// The `status` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Draft,
    Active,
    Completed,
    Paused,
    All,
}

impl StatusFilter {
    pub const NAMES: &'static [&'static str] = &["draft", "active", "completed", "paused", "all"];

    pub fn parse(s: &str) -> Option<StatusFilter> {
        Some(match s {
            "draft" => StatusFilter::Draft,
            "active" => StatusFilter::Active,
            "completed" => StatusFilter::Completed,
            "paused" => StatusFilter::Paused,
            "all" => StatusFilter::All,
            _ => return None,
        })
    }

    fn keeps(self, s: Status) -> bool {
        match self {
            StatusFilter::Draft => s == Status::Draft,
            StatusFilter::Active => s.is_active(),
            StatusFilter::Completed => s == Status::Completed,
            StatusFilter::Paused => s == Status::Paused,
            StatusFilter::All => true,
        }
    }
}

/// `ProjectStatsRow`.
#[derive(Serialize, JsonSchema)]
pub struct Row {
    id: String,
    name: String,
    status: Status,
    protocol: String,
    #[serde(rename = "type")]
    project_type: ProjectType,
    channel: String,
    organization_id: String,
    brand_id: Option<String>,
    campaign_id: Option<String>,
    total_recipients: u64,
    messages_sent: u64,
    messages_delivered: u64,
    messages_failed: u64,
    messages_opted_out: u64,
    replies_received: u64,
    survey_responses_count: u64,
    survey_completion_count: u64,
    /// A numeric string in dollars, e.g. "87.1926".
    actual_cost: String,
    total_url_clicks: u64,
    unique_url_clicks: u64,
    url_share_count: u64,
    created_at: String,
    completed_at: Option<String>,
    updated_at: String,
    organization_name: String,
    brand_name: Option<String>,
    campaign_name: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDates {
    earliest_project: Option<String>,
    latest_project: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    total_projects: usize,
    organization_count: usize,
    brand_count: usize,
    campaign_count: usize,
    status_breakdown: BTreeMap<String, u64>,
    message_stats: BTreeMap<String, u64>,
    date_range: ProjectDates,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    limit: usize,
    offset: usize,
    total_count: usize,
    has_more: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DateRangeView {
    start_date: String,
    end_date: String,
}

/// `AllProjectStats`.
#[derive(Serialize, JsonSchema)]
pub struct AllProjectStats {
    projects: Vec<Row>,
    summary: Summary,
    pagination: Pagination,
    #[serde(rename = "dateRange")]
    date_range: DateRangeView,
}

/// `actual_cost`: cents as a numeric string in dollars with four decimals.
pub fn cost_string(cents: f64) -> String {
    format!("{:.4}", (cents / 100.0 * 10_000.0).round() / 10_000.0)
}

fn in_range(p: &Project, range: DayRange) -> bool {
    [
        Some(p.created_at),
        p.scheduled_at,
        Some(p.updated_at),
        p.completed_at,
    ]
    .into_iter()
    .flatten()
    .any(|t| range.contains_ms(t))
}

pub fn project_stats(
    world: &World,
    scope: &Scope<'_>,
    range: DayRange,
    status: StatusFilter,
    limit: usize,
    offset: usize,
) -> AllProjectStats {
    let mut matching: Vec<&Project> = world
        .projects
        .values()
        .filter(|p| scope.orgs.contains(&p.org_id))
        .filter(|p| {
            scope
                .brand_id
                .is_none_or(|b| p.brand_id.as_deref() == Some(b))
        })
        .filter(|p| {
            scope
                .campaign_id
                .is_none_or(|c| p.campaign_id.as_deref() == Some(c))
        })
        .filter(|p| status.keeps(p.status))
        .filter(|p| in_range(p, range))
        .collect();
    matching.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let mut breakdown: BTreeMap<String, u64> = BTreeMap::new();
    let mut messages: BTreeMap<String, u64> = BTreeMap::new();
    let (mut orgs, mut brands, mut campaigns) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for p in &matching {
        *breakdown.entry(p.status.as_str().to_string()).or_default() += 1;
        orgs.insert(p.org_id.as_str());
        brands.extend(p.brand_id.as_deref());
        campaigns.extend(p.campaign_id.as_deref());
        for (k, v) in [
            ("sent", p.metrics.sent),
            ("delivered", p.metrics.delivered),
            ("failed", p.metrics.undeliverable),
            ("opted_out", p.metrics.opt_outs),
            ("replies", p.metrics.replies),
            ("clicks", p.metrics.clicks_total),
        ] {
            *messages.entry(k.to_string()).or_default() += v;
        }
    }
    let earliest = matching.iter().map(|p| p.created_at).min();
    let latest = matching.iter().map(|p| p.created_at).max();
    let total = matching.len();
    let rows: Vec<Row> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|p| row(world, p))
        .collect();
    AllProjectStats {
        projects: rows,
        summary: Summary {
            total_projects: total,
            organization_count: orgs.len(),
            brand_count: brands.len(),
            campaign_count: campaigns.len(),
            status_breakdown: breakdown,
            message_stats: messages,
            date_range: ProjectDates {
                earliest_project: earliest.map(time::format),
                latest_project: latest.map(time::format),
            },
        },
        pagination: Pagination {
            limit,
            offset,
            total_count: total,
            has_more: offset.saturating_add(limit) < total,
        },
        date_range: DateRangeView {
            start_date: format_day(range.first),
            end_date: format_day(range.last),
        },
    }
}

fn row(world: &World, p: &Project) -> Row {
    let (recipients, _, _) = super::projects::estimate(world, p);
    let survey = p.project_type == ProjectType::Survey;
    Row {
        id: p.id.clone(),
        name: p.name.clone(),
        status: p.status,
        protocol: p.protocol.as_str().to_string(),
        project_type: p.project_type,
        channel: p.channel.as_str().to_string(),
        organization_id: p.org_id.clone(),
        brand_id: p.brand_id.clone(),
        campaign_id: p.campaign_id.clone(),
        total_recipients: recipients,
        messages_sent: p.metrics.sent,
        messages_delivered: p.metrics.delivered,
        messages_failed: p.metrics.undeliverable,
        messages_opted_out: p.metrics.opt_outs,
        replies_received: p.metrics.replies,
        survey_responses_count: if survey { p.metrics.replies } else { 0 },
        survey_completion_count: if survey { p.metrics.replies / 2 } else { 0 },
        actual_cost: cost_string(
            world
                .stats
                .project_cost_cents
                .get(&p.id)
                .copied()
                .unwrap_or(0.0),
        ),
        total_url_clicks: p.metrics.clicks_total,
        unique_url_clicks: p.metrics.clicks_unique,
        url_share_count: 0,
        created_at: time::format(p.created_at),
        completed_at: p.completed_at.map(time::format),
        updated_at: time::format(p.updated_at),
        organization_name: world.org_name(&p.org_id).to_string(),
        brand_name: p
            .brand_id
            .as_deref()
            .and_then(|b| world.brands.get(b))
            .map(|b| b.name.clone()),
        campaign_name: p
            .campaign_id
            .as_deref()
            .and_then(|c| world.campaigns.get(c))
            .map(|c| c.name.clone()),
    }
}
