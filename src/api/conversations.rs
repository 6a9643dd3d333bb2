//! Conversation reads (CONTRACT §9): `GET /conversations` (threads with an inbound message, newest
//! `last_inbound_at` first, `updated_since`/`include_test`/`project_id` filters, keyset pages with
//! signed cursors), `GET /conversations/{id}` (404 `CONVERSATION_NOT_FOUND` for a thread without
//! an inbound message or outside the tree) and `GET /conversations/{id}/messages` (newest first;
//! reading never marks a thread read) and `POST /conversations/{id}/messages` (a reply: 202, sent
//! by the send engine from the thread's number).

use actix_web::{web, HttpRequest, HttpResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::examples;
use crate::access::Caller;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;

use crate::domain::contacts::phone_to_u64;
use crate::domain::conversation::{
    parse_include_test, parse_updated_since, reply_text, status_of, ConversationStatus,
};
use crate::domain::conversation_record::{Conversation, Direction, Message, MessageStatus};
use crate::domain::cursor::{self, KeysetPage, Page, DEFAULT_LIMIT, MAX_LIMIT};
use crate::domain::ids::{new_id, Kind};
use crate::domain::send::RunKind;
use crate::domain::time;
use crate::error::{ApiError, ApiResult, Code};
use crate::http::routes::Routes;
use crate::http::{ok, respond, Body, Query};
use crate::sim::projects::{check_org, OrgChecks};
use crate::sim::{conversations, send};
use crate::state::AppState;
use crate::store::World;

pub fn configure(r: &mut Routes) {
    r.tag("Conversations")
        .get("/conversations", list_conversations)
        .op("listConversations", "List conversations with an inbound message")
        .describe("Newest last_inbound_at first; keyset pages (pass next_cursor back as cursor).")
        .query::<String>("project_id", "Only threads of this project.")
        .query::<String>(
            "updated_since",
            "ISO 8601; filters last_inbound_at. Default now minus 7 days; more than 90 days back is a 400.",
        )
        .query::<String>("include_test", "'true' or 'false' (default false).")
        .query::<u32>("limit", "1-200, default 50.")
        .query::<String>("cursor", "The next_cursor of the previous page.")
        .ok::<KeysetPage<ConversationView>>()
        .errors(&[Code::NotFound]);
    r.get("/conversations/{id}", get_conversation)
        .op("getConversation", "Get a conversation")
        .path_param("id", "Conversation id", examples::conversation_id)
        .ok::<ConversationView>()
        .errors(&[Code::ConversationNotFound]);
    r.get("/conversations/{id}/messages", list_messages)
        .op(
            "listConversationMessages",
            "List a conversation's messages, newest first",
        )
        .path_param("id", "Conversation id", examples::conversation_id)
        .query::<u32>("limit", "1-200, default 50.")
        .query::<String>("cursor", "The next_cursor of the previous page.")
        .ok::<KeysetPage<MessageView>>()
        .errors(&[Code::ConversationNotFound]);
    r.post("/conversations/{id}/messages", reply)
        .op("replyToConversation", "Reply inside a conversation")
        .describe(
            "202: the reply leaves at once from the thread's number (quiet hours do not apply); \
             its outcome arrives as message.sent / message.delivered / message.failed. SMS only; \
             text 1-1600 characters, normalized to GSM (curly quotes, dashes, ellipsis).",
        )
        .path_param("id", "Conversation id", examples::conversation_id)
        .body::<ReplyRequest>(examples::reply_body)
        .answers::<ReplyAnswer>(202)
        .errors(&[
            Code::ConversationNotFound,
            Code::ContactOptedOut,
            Code::ConversationNotSendable,
            Code::ProjectDeleted,
            Code::PhoneNumberUnavailable,
            Code::SendingPaused,
            Code::InsufficientBalance,
            Code::SendEnqueueFailed,
        ]);
}

/// `ReplyToConversationRequest`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ReplyRequest {
    /// 1-1600 characters.
    #[schemars(length(min = 1, max = 1600))]
    text: String,
}

/// `ReplyToConversationResult`.
#[derive(Serialize, JsonSchema)]
pub struct ReplyAnswer {
    message_id: String,
    conversation_id: String,
    project_id: Option<String>,
    from: String,
    to: String,
    /// As sent: normalized to GSM.
    text: String,
    created_at: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Contact {
    phone_number: String,
}

/// `Conversation` (list items and the detail read share it).
#[derive(Serialize, JsonSchema)]
pub struct ConversationView {
    conversation_id: String,
    project_id: Option<String>,
    from: String,
    to: String,
    status: ConversationStatus,
    opted_out: bool,
    is_test: bool,
    contact: Contact,
    inbound_messages: usize,
    outbound_messages: usize,
    first_message_at: Option<String>,
    last_inbound_at: Option<String>,
    last_outbound_at: Option<String>,
    created_at: String,
}

fn view(world: &World, c: &Conversation, now: i64) -> ConversationView {
    let count = |d: Direction| {
        c.message_ids
            .iter()
            .filter(|id| world.messages.get(*id).is_some_and(|m| m.direction == d))
            .count()
    };
    ConversationView {
        conversation_id: c.id.clone(),
        project_id: c.project_id.clone(),
        from: c.from.clone(),
        to: c.to.clone(),
        status: status_of(c.opted_out, c.last_message_at(), now),
        opted_out: c.opted_out,
        is_test: c.is_test,
        contact: Contact {
            phone_number: c.to.clone(),
        },
        inbound_messages: count(Direction::Inbound),
        outbound_messages: count(Direction::Outbound),
        first_message_at: c.first_message_at.map(time::format),
        last_inbound_at: c.last_inbound_at.map(time::format),
        last_outbound_at: c.last_outbound_at.map(time::format),
        created_at: time::format(c.created_at),
    }
}

/// `ConversationMessage`.
#[derive(Serialize, JsonSchema)]
pub struct MessageView {
    message_id: String,
    direction: Direction,
    text: String,
    media_urls: Vec<String>,
    status: MessageStatus,
    sent_at: Option<String>,
    delivered_at: Option<String>,
    /// Inbound messages only; null on outbound.
    received_at: Option<String>,
    error_code: Option<String>,
}

fn message_view(m: &Message) -> MessageView {
    MessageView {
        message_id: m.id.clone(),
        direction: m.direction,
        text: m.text.clone(),
        media_urls: m.media_urls.clone(),
        status: m.status,
        sent_at: m.sent_at.map(time::format),
        delivered_at: m.delivered_at.map(time::format),
        received_at: m.received_at.map(time::format),
        error_code: m.error_code.clone(),
    }
}

/// The thread `id` if the caller reaches it and the contact has written in; the documented 404
/// otherwise, exactly as for an unknown id.
fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> ApiResult<&'w Conversation> {
    world
        .conversations
        .get(id)
        .filter(|c| c.last_inbound_at.is_some() && caller.reaches(world, &c.org_id))
        .ok_or_else(|| ApiError::coded(Code::ConversationNotFound, "Conversation not found"))
}

fn cursor_error(e: cursor::CursorError) -> ApiError {
    ApiError::validation("cursor", e.to_string())
}

async fn list_conversations(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(
        &req,
        &[
            "project_id",
            "updated_since",
            "include_test",
            "limit",
            "cursor",
        ],
    );
    let project = q.string("project_id");
    let since_raw = q.string("updated_since");
    let test_raw = q.string("include_test");
    let limit = q.integer("limit", 1, MAX_LIMIT as i64);
    let raw_cursor = q.string("cursor");
    q.finish()?;
    let now = state.sim.clock.now();
    let since = parse_updated_since(since_raw.as_deref(), now)
        .map_err(|e| ApiError::validation("updated_since", e))?;
    let include_test = parse_include_test(test_raw.as_deref())
        .map_err(|e| ApiError::validation("include_test", e))?;
    // The cursor belongs to the caller and the filters as sent (not the moving default).
    let fingerprint = cursor::fingerprint(
        "conversations",
        &[
            ("key", Some(caller.key.as_str())),
            ("project_id", project.as_deref()),
            ("updated_since", since_raw.as_deref()),
            ("include_test", test_raw.as_deref()),
        ],
    );
    let after = cursor::decode_param(
        &state.secrets.cursor_key,
        raw_cursor.as_deref(),
        &fingerprint,
    )
    .map_err(cursor_error)?;
    let world = state.sim.store.read();
    let mut threads: Vec<&Conversation> = world
        .conversations
        .values()
        .filter(|c| caller.reaches(&world, &c.org_id))
        .filter(|c| c.last_inbound_at.is_some_and(|t| t >= since))
        .filter(|c| include_test || !c.is_test)
        .filter(|c| {
            project
                .as_deref()
                .is_none_or(|p| c.project_id.as_deref() == Some(p))
        })
        .collect();
    threads.sort_by(|a, b| (b.last_inbound_at, &b.id).cmp(&(a.last_inbound_at, &a.id)));
    let page = Page::of(
        threads,
        limit.map_or(DEFAULT_LIMIT, |l| l as usize),
        after.as_ref(),
        |c| (c.last_inbound_at.unwrap_or(0), c.id.as_str()),
    )
    .map(|c| view(&world, c, now))
    .signed(&state.secrets.cursor_key, &fingerprint);
    Ok(ok(page))
}

async fn get_conversation(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let now = state.sim.clock.now();
    let world = state.sim.store.read();
    let c = find(&world, &caller, &path)?;
    Ok(ok(view(&world, c, now)))
}

async fn list_messages(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let mut q = Query::of(&req, &["limit", "cursor"]);
    let limit = q.integer("limit", 1, MAX_LIMIT as i64);
    let raw_cursor = q.string("cursor");
    q.finish()?;
    let fingerprint = cursor::fingerprint(
        "conversation-messages",
        &[
            ("key", Some(caller.key.as_str())),
            ("id", Some(path.as_str())),
        ],
    );
    let after = cursor::decode_param(
        &state.secrets.cursor_key,
        raw_cursor.as_deref(),
        &fingerprint,
    )
    .map_err(cursor_error)?;
    let world = state.sim.store.read();
    let c = find(&world, &caller, &path)?;
    let mut messages: Vec<&Message> = c
        .message_ids
        .iter()
        .filter_map(|id| world.messages.get(id))
        .collect();
    messages.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let page = Page::of(
        messages,
        limit.map_or(DEFAULT_LIMIT, |l| l as usize),
        after.as_ref(),
        |m| (m.created_at, m.id.as_str()),
    )
    .map(message_view)
    .signed(&state.secrets.cursor_key, &fingerprint);
    Ok(ok(page))
}

/// `POST /conversations/{id}/messages`: every refusal comes before anything is queued or charged.
async fn reply(
    req: HttpRequest,
    path: web::Path<String>,
    bytes: Bytes,
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Query::of(&req, &[]).finish()?;
    let mut body = Body::parse(&req, &bytes)?;
    let raw = body.string_allow_empty("text", 20_000);
    let text = match raw.as_deref().map(reply_text) {
        Some(Ok(t)) => Some(t),
        Some(Err(why)) => {
            body.reject("text", why);
            None
        }
        None => {
            body.reject("text", "is required");
            None
        }
    };
    body.finish()?;
    let text = text.ok_or_else(|| ApiError::validation("text", "is required"))?;
    let now = state.sim.clock.now();
    let (c, project_id, id) = {
        let mut world = state.sim.store.write();
        let c = find(&world, &caller, &path)?.clone();
        let phone = phone_to_u64(&c.to).unwrap_or(0);
        if c.opted_out || world.is_opted_out(&c.org_id, phone) {
            return Err(ApiError::coded(
                Code::ContactOptedOut,
                "The contact opted out; the organization may not text them",
            ));
        }
        let Some(project_id) = c.project_id.clone().filter(|_| !c.is_test) else {
            return Err(ApiError::coded(
                Code::ConversationNotSendable,
                "This thread cannot take a reply: it holds test messages or no project sends on it",
            ));
        };
        if !world.projects.contains_key(&project_id) {
            return Err(ApiError::coded(
                Code::ProjectDeleted,
                "The project this conversation belongs to no longer exists",
            ));
        }
        let usable = world
            .phone_numbers
            .get(&c.phone_number_id)
            .is_some_and(|n| n.status == "active");
        if !usable {
            return Err(ApiError::coded(
                Code::PhoneNumberUnavailable,
                "The thread's number has been released; the reply cannot be sent from it",
            )
            .with_details(serde_json::json!({ "phone_number_id": c.phone_number_id })));
        }
        check_org(&world, &c.org_id, now, OrgChecks::SEND)?;
        let id = new_id(Kind::Message, now, &mut world.rng);
        send::start_single(
            &mut world,
            RunKind::Reply,
            false,
            Some(&project_id),
            &c.org_id,
            &caller.org_id,
            vec![(c.phone_number_id.clone(), c.from.clone())],
            None,
            vec![send::Single {
                id: id.clone(),
                phone,
                text: text.clone(),
                pin: 0,
                conversation_id: Some(c.id.clone()),
            }],
            now,
        );
        conversations::add_outbound(
            &mut world,
            &c.id,
            conversations::Outbound {
                id: id.clone(),
                text: &text,
                status: MessageStatus::Queued,
                sent_at: None,
                delivered_at: None,
                error_code: None,
                at: now,
            },
        );
        state.sim.wake_engine(&mut world);
        (c, project_id, id)
    };
    // The reply leaves at once.
    state.sim.run_due().await;
    Ok(respond(
        StatusCode::ACCEPTED,
        ReplyAnswer {
            message_id: id,
            conversation_id: c.id,
            project_id: Some(project_id),
            from: c.from,
            to: c.to,
            text,
            created_at: time::format(now),
        },
    ))
}
