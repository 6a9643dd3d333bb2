"""Conversations (CONTRACT §2 keyset pages, §9) through the Python SDK: list_conversations,
get_conversation and list_conversation_messages of political-comms 0.15.0.

The seeded world has threads (replies to seeded projects that were sent). Paging with small limits
visits every thread once, newest `last_inbound_at` first, `next_cursor` null on the last page; the
filters (project_id, include_test, updated_since within and beyond 90 days); a tampered cursor and
a cursor reused with other filters are 400s; threads outside the key's tree are 404; messages come
newest first with the direction's fields. `POST /_sandbox/inbound` adds a reply that tops the list,
and a whole-message STOP opts the thread out. The Python session shares one sandbox whose clock the
other tests move, so every "all threads" read passes an explicit `updated_since` 89 days back.
reply_to_conversation, the threads a send opens and include_test=true showing a test thread are in
test_sends.py (each on a sandbox of its own).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

import pytest

from listkit import raises
from projectkit import PROJECT_ID, data
from support import all_events, id_pattern, parse_ts

CONVERSATION_ID = id_pattern("conv")
MESSAGE_ID = id_pattern("msg")
E164 = re.compile(r"^\+1\d{10}$")
UNKNOWN_CONVERSATION = "conv_00000000000000000000000000"
STATUSES = ("active", "inactive", "opted_out")
OUTBOUND_STATUSES = ("unsent", "queued", "sending", "sent", "delivered", "failed", "on_hold")
NEW_CONTACT = "+16145550142"  # in no seeded list: its STOP changes no other test's audience


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture
def now(control) -> Callable[[], datetime]:
    """The sandbox clock now (the session's clock moves with other tests)."""
    return lambda: parse_ts(control("GET", "/clock")["now"])


def since(now: datetime, days: float) -> str:
    return iso(now - timedelta(days=days))


def pages(fetch: Callable[[Optional[str]], dict], limit: int, max_pages: int = 500) -> list[list[dict]]:
    """Every page of a keyset list, following next_cursor; checks each page's shape."""
    out: list[list[dict]] = []
    cursor: Optional[str] = None
    while True:
        page = data(fetch(cursor))
        rows, has_more, next_cursor = page["data"], page["has_more"], page["next_cursor"]
        assert len(rows) <= limit, f"{len(rows)} rows on a page of limit {limit}"
        out.append(rows)
        if not has_more:
            assert next_cursor is None, "next_cursor must be null on the last page"
            return out
        assert isinstance(next_cursor, str) and next_cursor, page
        assert len(rows) == limit, f"has_more with a short page ({len(rows)} of {limit})"
        assert len(out) < max_pages, f"still paging after {max_pages} pages"
        cursor = next_cursor


def all_threads(api, updated_since: str, limit: int = 200, **filters) -> list[dict]:
    chunks = pages(lambda c: api.list_conversations(updated_since=updated_since, limit=limit, cursor=c, **filters),
                   limit)
    return [row for chunk in chunks for row in chunk]


def conv_ids(rows: list[dict]) -> list[str]:
    return [r["conversation_id"] for r in rows]


def check_order(rows: list[dict]) -> None:
    stamps = [parse_ts(r["last_inbound_at"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True), "not newest last_inbound_at first"
    assert len(set(conv_ids(rows))) == len(rows), "a thread listed twice"


def check_thread(row: dict) -> None:
    assert CONVERSATION_ID.match(row["conversation_id"]), row
    assert PROJECT_ID.match(row["project_id"] or ""), f"a thread without its project: {row}"
    assert E164.match(row["from"]) and E164.match(row["to"]), row
    assert row["contact"]["phone_number"] == row["to"], row
    assert row["status"] in STATUSES, row
    assert row["opted_out"] == (row["status"] == "opted_out"), row
    assert row["inbound_messages"] >= 1, "only threads with an inbound message are listed"
    assert row["outbound_messages"] >= 0, row
    last_in = parse_ts(row["last_inbound_at"])
    assert parse_ts(row["first_message_at"]) <= last_in, row
    parse_ts(row["created_at"])
    if row["last_outbound_at"] is not None:
        parse_ts(row["last_outbound_at"])
    else:
        assert row["outbound_messages"] == 0, row


@pytest.fixture(scope="module")
def seeded(api, control) -> list[dict]:
    """Every thread of the elevated key, read once before this module injects anything."""
    now = parse_ts(control("GET", "/clock")["now"])
    rows = all_threads(api, since(now, 89))
    assert len(rows) > 10, f"the seeded world has {len(rows)} conversations"
    return rows


# ---------------------------------------------------------------------------
# list_conversations: pages and filters
# ---------------------------------------------------------------------------


def test_paging_visits_every_thread_once_newest_first(api, seeded, now):
    check_order(seeded)
    for row in seeded:
        check_thread(row)
        assert row["is_test"] is False, "include_test defaults to false"
    statuses = {r["status"] for r in seeded}
    assert {"active", "opted_out"} <= statuses, f"seeded threads only in {statuses}"
    window = since(now(), 89)
    for limit in (1, 7, 50):
        chunks = pages(lambda c: api.list_conversations(updated_since=window, limit=limit, cursor=c), limit)
        assert [conv_ids(c) for c in chunks] == [conv_ids(seeded[i:i + limit]) for i in range(0, len(seeded), limit)], (
            f"paging by {limit} does not visit the threads once each in order")
    # The default limit is 50.
    first = data(api.list_conversations(updated_since=window))
    assert conv_ids(first["data"]) == conv_ids(seeded[:50])
    assert first["has_more"] == (len(seeded) > 50)
    for bad in (0, 201):
        err = raises(lambda: api.list_conversations(limit=bad), 400, "VALIDATION_ERROR")
        assert any(d["field"] == "limit" for d in err.body["details"]), err.body


def test_filter_by_project(api, seeded, now):
    window = since(now(), 89)
    projects = sorted({r["project_id"] for r in seeded})
    assert len(projects) > 1, "seeded threads of one project only"
    for project_id in projects:
        rows = all_threads(api, window, limit=10, project_id=project_id)
        assert conv_ids(rows) == [r["conversation_id"] for r in seeded if r["project_id"] == project_id], project_id
    # ANDed with updated_since.
    project_id = projects[0]
    cut = sorted(parse_ts(r["last_inbound_at"]) for r in seeded if r["project_id"] == project_id)
    if len(cut) > 1:
        middle = iso(cut[len(cut) // 2] - timedelta(milliseconds=1))
        rows = all_threads(api, middle, project_id=project_id)
        assert conv_ids(rows) == [r["conversation_id"] for r in seeded
                                  if r["project_id"] == project_id and r["last_inbound_at"] >= middle]


def test_filter_updated_since_within_and_beyond_90_days(api, seeded, now):
    clock = now()
    # Strictly between two threads' last_inbound_at: the newer ones only.
    distinct = sorted({parse_ts(r["last_inbound_at"]) for r in seeded}, reverse=True)
    assert len(distinct) > 4
    newer, older = distinct[len(distinct) // 2 - 1], distinct[len(distinct) // 2]
    middle = older + (newer - older) / 2
    rows = all_threads(api, iso(middle), limit=9)
    assert conv_ids(rows) == [r["conversation_id"] for r in seeded if parse_ts(r["last_inbound_at"]) > middle]
    assert rows and len(rows) < len(seeded)
    # Other spellings of ISO 8601: an offset, a bare date.
    offset = (middle - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "-05:00"
    assert conv_ids(all_threads(api, offset)) == conv_ids(rows)
    # The default is now - 7 days.
    default = [r for chunk in pages(lambda c: api.list_conversations(limit=200, cursor=c), 200) for r in chunk]
    assert conv_ids(default) == conv_ids(all_threads(api, since(clock, 7)))
    assert conv_ids(default) == [r["conversation_id"] for r in seeded if parse_ts(r["last_inbound_at"]) >= clock - timedelta(days=7)]
    # Exactly 90 days back is accepted; a millisecond more is a 400.
    assert conv_ids(all_threads(api, since(clock, 90))) == conv_ids(seeded)
    too_old = iso(clock - timedelta(days=90, milliseconds=1))
    err = raises(lambda: api.list_conversations(updated_since=too_old), 400, "VALIDATION_ERROR")
    assert [d["field"] for d in err.body["details"]] == ["updated_since"], err.body
    raises(lambda: api.list_conversations(updated_since=since(clock, 365)), 400, "VALIDATION_ERROR")
    raises(lambda: api.list_conversations(updated_since="last week"), 400, "VALIDATION_ERROR")
    # In the future: nothing yet.
    assert data(api.list_conversations(updated_since=iso(clock + timedelta(days=1)))) == {
        "data": [], "has_more": False, "next_cursor": None}


def test_filter_include_test(api, seeded, now):
    window = since(now(), 89)
    assert conv_ids(all_threads(api, window, include_test=False)) == conv_ids(seeded)
    with_tests = all_threads(api, window, include_test=True)
    check_order(with_tests)
    assert set(conv_ids(seeded)) <= set(conv_ids(with_tests))
    extra = [r for r in with_tests if r["conversation_id"] not in set(conv_ids(seeded))]
    assert all(r["is_test"] for r in extra), "include_test=true adds test threads only"


def test_cursor_tampered_or_reused_with_other_filters_is_400(api, seeded, now):
    window = since(now(), 89)
    first = data(api.list_conversations(updated_since=window, limit=3))
    cursor = first["next_cursor"]
    assert conv_ids(first["data"]) == conv_ids(seeded[:3]) and cursor
    # The same filters continue (another limit is still the same query).
    assert conv_ids(data(api.list_conversations(updated_since=window, limit=3, cursor=cursor))["data"]) == conv_ids(seeded[3:6])
    assert conv_ids(data(api.list_conversations(updated_since=window, limit=5, cursor=cursor))["data"]) == conv_ids(seeded[3:8])
    # Altered: one character changed, one appended, one dropped, not base64 at all.
    middle = len(cursor) // 2
    swapped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1:]
    for bad in (swapped, cursor + "A", cursor[:-1], "not-a-cursor!", "e30"):
        err = raises(lambda: api.list_conversations(updated_since=window, limit=3, cursor=bad), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in err.body["details"]] == ["cursor"], err.body
    # Reused with other filters.
    other_filters = (
        {"updated_since": since(now(), 30)},
        {"updated_since": window, "project_id": seeded[0]["project_id"]},
        {"updated_since": window, "include_test": True},
        {},
    )
    for filters in other_filters:
        err = raises(lambda: api.list_conversations(limit=3, cursor=cursor, **filters), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in err.body["details"]] == ["cursor"], (filters, err.body)
    # A conversations cursor is no messages cursor, and a thread's cursor belongs to that thread.
    raises(lambda: api.list_conversation_messages(seeded[0]["conversation_id"], cursor=cursor), 400, "VALIDATION_ERROR")
    thread = data(api.list_conversation_messages(seeded[0]["conversation_id"], limit=1))
    assert thread["has_more"] and thread["next_cursor"]
    raises(lambda: api.list_conversation_messages(seeded[1]["conversation_id"], limit=1, cursor=thread["next_cursor"]),
           400, "VALIDATION_ERROR")
    raises(lambda: api.list_conversations(updated_since=window, cursor=thread["next_cursor"]), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------------------
# get_conversation and scoping
# ---------------------------------------------------------------------------


def test_get_conversation_matches_every_list_row(api, seeded):
    for row in seeded:
        assert data(api.get_conversation(row["conversation_id"])) == row


def test_conversations_are_scoped_to_the_keys_tree(make_client, keys, api, seeded, now):
    window = since(now(), 89)
    org_of = {p["id"]: p["org_id"] for p in data(api.list_projects())}
    child = make_client(keys["child"]["key"])
    child_orgs = {o["id"] for o in data(child.list_organizations())}
    mine = [r for r in seeded if org_of[r["project_id"]] in child_orgs]
    assert conv_ids(data(child.list_conversations(updated_since=window, limit=200))["data"]) == conv_ids(mine)
    outside = next((r for r in seeded if org_of[r["project_id"]] not in child_orgs), None)
    assert outside is not None, "every seeded thread is in the child's tree"
    for call in (child.get_conversation, child.list_conversation_messages):
        err = raises(lambda: call(outside["conversation_id"]), 404, "CONVERSATION_NOT_FOUND")
        assert outside["conversation_id"] not in str(err.body), "the 404 reveals the foreign id"
    other = make_client(keys["zero_balance"]["key"])
    assert not set(conv_ids(data(other.list_conversations(updated_since=window, limit=200))["data"])) & set(conv_ids(seeded))
    for call in (other.get_conversation, other.list_conversation_messages):
        raises(lambda: call(seeded[0]["conversation_id"]), 404, "CONVERSATION_NOT_FOUND")
    for call in (api.get_conversation, api.list_conversation_messages):
        raises(lambda: call(UNKNOWN_CONVERSATION), 404, "CONVERSATION_NOT_FOUND")


# ---------------------------------------------------------------------------
# list_conversation_messages
# ---------------------------------------------------------------------------


def message_time(message: dict) -> datetime:
    stamp = message["received_at"] if message["direction"] == "inbound" else message["sent_at"]
    return parse_ts(stamp)


def check_messages(thread: dict, messages: list[dict]) -> None:
    assert len({m["message_id"] for m in messages}) == len(messages), "a message listed twice"
    inbound = [m for m in messages if m["direction"] == "inbound"]
    outbound = [m for m in messages if m["direction"] == "outbound"]
    assert len(inbound) == thread["inbound_messages"] and len(outbound) == thread["outbound_messages"], thread
    for m in messages:
        assert MESSAGE_ID.match(m["message_id"]), m
        assert isinstance(m["media_urls"], list), m
        if m["direction"] == "inbound":
            assert m["status"] == "received", m
            parse_ts(m["received_at"])
            assert (m["sent_at"], m["delivered_at"], m["error_code"]) == (None, None, None), m
        else:
            assert m["received_at"] is None, "received_at: always null on outbound"
            assert m["status"] in OUTBOUND_STATUSES, m
            if m["delivered_at"] is not None:
                assert parse_ts(m["sent_at"]) <= parse_ts(m["delivered_at"]), m
            if m["status"] != "failed":
                assert m["error_code"] is None, m
    stamps = [message_time(m) for m in messages if m["direction"] == "inbound" or m["sent_at"]]
    assert stamps == sorted(stamps, reverse=True), f"{thread['conversation_id']}: messages not newest first"
    assert inbound and max(parse_ts(m["received_at"]) for m in inbound) == parse_ts(thread["last_inbound_at"])


def test_messages_newest_first_with_the_direction_fields(api, seeded):
    projects = {p["id"]: p for p in data(api.list_projects())}
    for thread in seeded:
        messages = data(api.list_conversation_messages(thread["conversation_id"], limit=200))
        assert messages["has_more"] is False and messages["next_cursor"] is None
        check_messages(thread, messages["data"])
        if projects[thread["project_id"]]["type"] == "broadcast":
            for m in messages["data"]:
                if m["direction"] == "outbound":
                    assert m["text"], f"{thread['conversation_id']}: an outbound broadcast message without text"
    # Paging one message at a time visits each once, in order.
    thread = max(seeded, key=lambda t: t["inbound_messages"] + t["outbound_messages"])
    whole = data(api.list_conversation_messages(thread["conversation_id"]))["data"]
    chunks = pages(lambda c: api.list_conversation_messages(thread["conversation_id"], limit=1, cursor=c), 1)
    assert [m["message_id"] for c in chunks for m in c] == [m["message_id"] for m in whole]
    for bad in (0, 201):
        raises(lambda: api.list_conversation_messages(thread["conversation_id"], limit=bad), 400, "VALIDATION_ERROR")


def test_survey_threads_show_the_question_that_was_sent(api, seeded):
    surveys = {p["id"] for p in data(api.list_projects(type="survey"))}
    threads = [t for t in seeded if t["project_id"] in surveys]
    assert threads, "no seeded survey thread"
    for thread in threads[:5]:
        outbound = [m for m in data(api.list_conversation_messages(thread["conversation_id"]))["data"]
                    if m["direction"] == "outbound"]
        assert outbound and all(m["text"] for m in outbound), f"{thread['conversation_id']}: {outbound}"


# ---------------------------------------------------------------------------
# Inbound through the control plane
# ---------------------------------------------------------------------------


def inbound(control, sender: str, to: str, text: str) -> dict:
    return control("POST", "/inbound", {"from": sender, "to": to, "text": text})


def replied_event(control, message_id: str) -> dict:
    events = [e for e in all_events(control) if e["event_type"] == "message.replied"
              and e["data"].get("message_id") == message_id]
    assert len(events) == 1, f"{len(events)} message.replied events for {message_id}"
    return events[0]


def test_an_inbound_reply_tops_the_list(api, control, advance, seeded):
    thread = next(t for t in seeded[5:] if t["status"] == "active")
    at = advance(1)
    answer = inbound(control, thread["to"], thread["from"], "SDK python: count me in")
    assert answer["conversation_id"] == thread["conversation_id"] and answer["opted_out"] is False, answer
    assert answer["project_id"] == thread["project_id"] and MESSAGE_ID.match(answer["message_id"]), answer
    top = data(api.list_conversations(limit=1))
    assert conv_ids(top["data"]) == [thread["conversation_id"]], "the thread that just got a reply is not first"
    expected = {**thread, "last_inbound_at": at, "inbound_messages": thread["inbound_messages"] + 1}
    assert top["data"][0] == expected
    assert data(api.get_conversation(thread["conversation_id"])) == expected
    newest = data(api.list_conversation_messages(thread["conversation_id"], limit=1))["data"][0]
    assert newest == {
        "message_id": answer["message_id"], "direction": "inbound", "text": "SDK python: count me in",
        "media_urls": [], "status": "received", "sent_at": None, "delivered_at": None, "received_at": at,
        "error_code": None,
    }
    event = replied_event(control, answer["message_id"])
    assert {k: event["data"][k] for k in ("conversation_id", "project_id", "from", "to", "text")} == {
        "conversation_id": thread["conversation_id"], "project_id": thread["project_id"], "from": thread["to"],
        "to": thread["from"], "text": "SDK python: count me in"}


def test_a_new_contact_opens_a_thread_and_stop_opts_it_out(api, control, advance, seeded):
    number = seeded[0]["from"]
    at = advance(1)
    first = inbound(control, NEW_CONTACT, number, "Who is this?")
    assert first["conversation_id"] not in conv_ids(seeded) and first["opted_out"] is False, first
    thread = data(api.get_conversation(first["conversation_id"]))
    assert (thread["from"], thread["to"], thread["status"], thread["opted_out"], thread["inbound_messages"],
            thread["outbound_messages"], thread["last_inbound_at"]) == (number, NEW_CONTACT, "active", False, 1, 0, at)
    check_thread(thread)
    assert conv_ids(data(api.list_conversations(limit=1))["data"]) == [first["conversation_id"]]
    # Only a whole-message keyword opts out.
    advance(1)
    assert inbound(control, NEW_CONTACT, number, "please stop by the office")["opted_out"] is False
    assert data(api.get_conversation(first["conversation_id"]))["status"] == "active"
    at = advance(1)
    stop = inbound(control, NEW_CONTACT, number, "  Stop ")
    assert (stop["conversation_id"], stop["opted_out"]) == (first["conversation_id"], True), stop
    thread = data(api.get_conversation(first["conversation_id"]))
    assert (thread["status"], thread["opted_out"], thread["inbound_messages"], thread["last_inbound_at"]) == (
        "opted_out", True, 3, at)
    listed = data(api.list_conversations(limit=1))["data"]
    assert listed == [thread]
    messages = data(api.list_conversation_messages(first["conversation_id"]))["data"]
    assert [m["text"] for m in messages] == ["  Stop ", "please stop by the office", "Who is this?"]
    check_messages(thread, messages)
    replied_event(control, stop["message_id"])


def test_threads_with_the_same_last_inbound_at_are_each_paged_once(api, control, advance, seeded):
    """Keyset pages on a tie: three replies at one sandbox instant, paged one at a time."""
    number = seeded[-1]["from"]
    at = advance(1)
    opened = {inbound(control, contact, number, "Same instant")["conversation_id"]
              for contact in ("+16145550151", "+16145550152", "+16145550153")}
    assert len(opened) == 3
    whole = all_threads(api, at)
    assert set(conv_ids(whole)) == opened and all(r["last_inbound_at"] == at for r in whole), whole
    one_by_one = [r for chunk in pages(lambda c: api.list_conversations(updated_since=at, limit=1, cursor=c), 1)
                  for r in chunk]
    assert conv_ids(one_by_one) == conv_ids(whole), "a tie on last_inbound_at broke keyset paging"
