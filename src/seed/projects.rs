//! Seeded projects: one in every status, a survey (read-only, with questions) and a paused one
//! with a reason, made through the same rules as API projects (`sim::projects::blank`, the status
//! machine's statuses, the audience) so their numbers agree with what the API computes.

use std::collections::{HashMap, HashSet};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::fixtures::Fixtures;
use crate::domain::conversation_record::MessageStatus;
use crate::domain::ids::{new_id, Kind};
use crate::domain::message;
use crate::domain::outcome::{self, Final, OutcomeRates};
use crate::domain::project::{Pause, PauseReason, ProjectType, Status};
use crate::domain::project_record::{Metrics, SurveyOption, SurveyQuestion};
use crate::domain::registry::Channel as NumberChannel;
use crate::domain::time::{Millis, DAY, HOUR, MINUTE};
use crate::sim::conversations;
use crate::sim::projects::{audience, blank};
use crate::store::{tree, World};

fn survey_questions(project_id: &str) -> Vec<SurveyQuestion> {
    let q = |sequence: u32, kind: &str, text: &str, options: Option<Vec<SurveyOption>>| {
        SurveyQuestion {
            id: format!("{project_id}_q{sequence}"),
            sequence,
            question_type: kind.to_string(),
            question_text: text.to_string(),
            message_type: "sms".into(),
            media_urls: Vec::new(),
            response_options: options,
            no_match_sequence: None,
            is_required: kind == "multiple_choice",
        }
    };
    let option = |value: u32, label: &str| SurveyOption {
        value,
        label: label.to_string(),
        next_sequence: Some(3),
    };
    vec![
        q(
            1,
            "intro",
            "Hi {first_name|there}, a 2-question survey from the field team.",
            None,
        ),
        q(
            2,
            "multiple_choice",
            "Which issue matters most to you? Reply 1 Jobs, 2 Schools, 3 Water",
            Some(vec![
                option(1, "Jobs"),
                option(2, "Schools"),
                option(3, "Water"),
            ]),
        ),
        q(
            3,
            "open_ended",
            "Anything else you want the campaign to hear?",
            None,
        ),
        q(4, "outro", "Thank you! Reply STOP to opt out.", None),
    ]
}

/// The first `sent` recipients of `p` (list order, opted-out numbers skipped), each sent to at
/// the project's schedule, spread at 60 per second and over its numbers in turn; their outcomes,
/// replies included, recorded as threads. Returns the production metrics they add up to.
fn replay_sends(
    world: &mut World,
    p: &crate::domain::project_record::Project,
    sent: u64,
) -> (Metrics, HashSet<u64>) {
    let rates = OutcomeRates::default();
    let mut phones = Vec::new();
    let mut seen = HashSet::new();
    for id in &p.contact_list_ids {
        let Some(list) = world.contact_lists.get(id) else {
            continue;
        };
        for (row, &phone) in list.contacts.phones.iter().enumerate() {
            if phones.len() as u64 >= sent {
                break;
            }
            // Magic numbers are the user's to try: seeded history leaves them alone, so +15005550005
            // still replies STOP (and is not already opted out) in every org's first send.
            if crate::domain::lrn::magic(phone).is_none()
                && !world.is_opted_out(&p.org_id, phone)
                && seen.insert(phone)
            {
                phones.push((phone, list.contacts.line_type(row)));
            }
        }
    }
    let start = p.scheduled_at.unwrap_or(p.created_at);
    // A survey's first message is its first question.
    let text = p
        .message_text
        .clone()
        .or_else(|| {
            p.questions
                .as_ref()
                .and_then(|q| q.first())
                .map(|q| q.question_text.clone())
        })
        .unwrap_or_default();
    let mut m = Metrics::default();
    let reached: HashSet<u64> = phones.iter().map(|(p, _)| *p).collect();
    for (i, (phone, line)) in phones.into_iter().enumerate() {
        let o = outcome::outcome(world.seed, phone, line, &rates, false);
        if !o.status.is_sent() {
            continue;
        }
        m.sent += 1;
        match o.status {
            Final::Delivered => m.delivered += 1,
            Final::Failed { .. } => m.undeliverable += 1,
            _ => {}
        }
        if o.click && p.link.enabled {
            m.clicks_total += 1;
            m.clicks_unique += 1;
        }
        let Some(reply) = o.reply else {
            continue;
        };
        m.replies += 1;
        if reply.opt_out {
            m.opt_outs += 1;
        }
        if p.phone_number_ids.is_empty() {
            continue;
        }
        let number = p.phone_number_ids[i % p.phone_number_ids.len()].clone();
        let at = start + (i as Millis) * 1000 / 60;
        let t = outcome::timing(world.seed, phone, &o);
        let sent_at = t.sent.map(|d| at + d);
        let receipt = t.receipt.map(|d| sent_at.unwrap_or(at) + d);
        let Some(conv) = conversations::thread(
            world,
            conversations::Party {
                number_id: &number,
                phone,
                org_id: Some(&p.org_id),
                project_id: Some(&p.id),
                is_test: false,
            },
            at,
        ) else {
            continue;
        };
        let id = new_id(Kind::Message, at, &mut world.rng);
        conversations::add_outbound(
            world,
            &conv,
            conversations::Outbound {
                id,
                text: &message::with_footer(
                    &message::parse(&text).render(&message::NoValues, &message::NoValues, None),
                    p.opt_out_footer_enabled,
                ),
                status: MessageStatus::Delivered,
                sent_at,
                delivered_at: receipt,
                error_code: None,
                at,
            },
        );
        let replied_at = t.reply.map_or(at + MINUTE, |d| receipt.unwrap_or(at) + d);
        // Seeded history happened before the clock start: its events are not published.
        let _ = conversations::add_inbound(world, &conv, reply.text, replied_at);
    }
    (m, reached)
}

pub fn add(
    world: &mut World,
    fixtures: &Fixtures,
    org_ids: &HashMap<String, String>,
    campaign_ids: &HashMap<String, String>,
    rng: &mut ChaCha8Rng,
    start: Millis,
) {
    let mut held: HashSet<String> = HashSet::new();
    for f in &fixtures.projects {
        let org_id = org_ids[&f.org].clone();
        let campaign_id = campaign_ids[&f.campaign].clone();
        let created_at = start - rng.random_range(3..60) * DAY - rng.random_range(0..DAY);
        let id = new_id(Kind::Project, created_at, &mut world.rng);
        let mut p = blank(id.clone(), org_id.clone(), created_at);
        p.created_via_api = false;
        p.name = f.name.clone();
        p.campaign_id = Some(campaign_id.clone());
        p.brand_id = world
            .campaigns
            .get(&campaign_id)
            .map(|c| c.brand_id.clone());
        // Numbers of the campaign the org owns or is lent, not already held by another seeded
        // project that is sending or about to.
        let active = matches!(
            f.status,
            Status::Scheduled | Status::Sending | Status::Paused
        );
        p.phone_number_ids = world
            .phone_numbers
            .values()
            .filter(|n| {
                n.channel == NumberChannel::TenDlc
                    && n.campaign_id.as_deref() == Some(campaign_id.as_str())
                    && n.status == "active"
                    && (n.org_id == org_id || n.shares.iter().any(|s| s.org_id == org_id))
                    && !held.contains(&n.id)
            })
            .take(f.numbers)
            .map(|n| n.id.clone())
            .collect();
        if active {
            held.extend(p.phone_number_ids.iter().cloned());
        }
        p.contact_list_ids = f
            .lists
            .iter()
            .filter_map(|name| {
                world
                    .contact_lists
                    .values()
                    .find(|l| {
                        &l.name == name
                            && (tree::is_within(world, &l.org_id, &org_id)
                                || tree::ancestors(world, &org_id).contains(&l.org_id.as_str()))
                    })
                    .map(|l| l.id.clone())
            })
            .collect();
        if f.survey {
            p.project_type = ProjectType::Survey;
            p.message_text = None;
            p.opt_out_footer_enabled = false;
            p.ai_survey_analysis_enabled = true;
            p.questions = Some(survey_questions(&id));
        } else {
            p.message_text = f.message.clone();
        }
        p.status = f.status;
        p.updated_at = created_at + rng.random_range(1..48) * HOUR;
        let reach = audience(world, &org_id, &p.contact_list_ids, &p.suppression_list_ids);
        let mut reached = HashSet::new();
        match f.status {
            Status::Scheduled => {
                p.scheduled_at = Some(start + 2 * DAY + 14 * HOUR);
                p.scheduled_timezone = Some("America/New_York".into());
            }
            Status::Sending | Status::Paused | Status::Completed => {
                p.scheduled_at = Some(start - rng.random_range(1..3) * DAY);
                p.scheduled_timezone = Some("America/New_York".into());
                let done = if f.status == Status::Completed {
                    reach
                } else {
                    reach * rng.random_range(20..80) / 100
                };
                // What the sends did follows the outcome rules, so the metrics, the threads
                // and (later) the send engine agree.
                let (metrics, sent_to) = replay_sends(world, &p, done);
                p.metrics = metrics;
                reached = sent_to;
                let text = p.message_text.clone().unwrap_or_default();
                let parts = message::segments(&message::with_footer(
                    &message::parse(&text).render(&message::NoValues, &message::NoValues, None),
                    p.opt_out_footer_enabled,
                ))
                .parts
                .max(1);
                let at = p.scheduled_at.unwrap_or(start);
                super::history::project(world, &p, u64::from(parts), at);
                if f.status == Status::Completed {
                    p.completed_at = p.scheduled_at.map(|s| s + rng.random_range(1..6) * HOUR);
                }
            }
            Status::Draft | Status::AwaitingTest => {}
        }
        // What happened to a project is never after its last update.
        if matches!(
            f.status,
            Status::Sending | Status::Paused | Status::Completed
        ) {
            let last = p.completed_at.or(p.scheduled_at).unwrap_or(p.updated_at);
            p.updated_at = p.updated_at.max(last).min(start);
        }
        if let Some(reason) = &f.pause_reason {
            p.pause = Some(Pause {
                reason: PauseReason::parse(reason),
                auto_paused: f.auto_paused,
            });
        }
        let from = match p.status {
            Status::Scheduled => p.scheduled_at.unwrap_or(start),
            _ => start,
        };
        let adopt = matches!(
            p.status,
            Status::Scheduled | Status::Sending | Status::Paused
        );
        world.projects.insert(id.clone(), p);
        if adopt {
            crate::sim::send::adopt(world, &id, &reached, from, start);
        }
    }
}
