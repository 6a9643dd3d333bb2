"""The send engine through the Python SDK (CONTRACT §3 magic numbers, §7-9): a broadcast scheduled
now over contacts-mixed.csv, its stats and conversations, reply_to_conversation, test sends and
the auto-pauses, on the manual clock.

Each test starts a sandbox of its own (sendkit.Fresh): a send changes the world for good (STOP
opts 0005 out of the organization, replies open threads) and moves the clock by hours, which
the session's shared sandbox must not see. The project lives in the child key's organization
and is driven with the child key, as that organization's integration would; the brand-cap test
uses the agency's elevated key on a metered brand of its tree.
"""

from __future__ import annotations

import json
from typing import Callable, Iterator

import pytest

from listkit import detail_fields, raises
from projectkit import TEST_MESSAGE_ID, data, find_sendable, mask
from sendkit import (
    CLICKS, CONVERSATION_ID, DELIVERED, FAILED, HOUR, MESSAGE_ID, MINUTE, NEVER_SENT, NO_RECEIPT, SAYS_YES, STOPS,
    TIMEZONE, UNKNOWN_CONVERSATION, YES_TEXT, Fresh, contact_of, messages_of, of_project, project_over_mixed,
    rejected, story, thread_with, threads_of, unmetered,
)
from support import REPO_ROOT, parse_ts

METRICS = ("sent", "delivered", "undeliverable", "clicks_total", "clicks_unique", "replies", "opt_outs")
TEST_COUNTERS = ("sent", "delivered", "failed", "replies", "clicks_total", "clicks_unique")
ZERO_METRICS = {k: 0 for k in METRICS}
ZERO_TEST = {k: 0 for k in TEST_COUNTERS}
# Curly quotes, an em dash and an ellipsis, and what GSM normalization makes of them.
CURLY = "We\u2019re \u201cready\u201d \u2014 doors open at 6\u2026"
GSM = "We're \"ready\" - doors open at 6..."


@pytest.fixture
def fresh(validator) -> Iterator[Callable[..., Fresh]]:
    """fresh(*extra_args) -> a sandbox of this test's own, stopped after the test."""
    started: list[Fresh] = []

    def start(*extra_args: str) -> Fresh:
        box = Fresh(validator, extra_args)
        started.append(box)
        return box

    yield start
    for box in started:
        box.stop()


def child_broadcast(f: Fresh, name: str, **kwargs):
    client = f.client("child")
    b = project_over_mixed(f, client, org_id=f.keys["child"]["organization_id"], name=name,
                           accept=unmetered(client), **kwargs)
    return client, b


@pytest.fixture
def sent(fresh):
    """A completed send: the child org's project over the mixed list, with link tracking,
    scheduled now, then the clock moved 3 hours (every reply and click has arrived by then)."""
    f = fresh()
    client, b = child_broadcast(f, "SDK send (python)")
    data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    f.advance(3 * HOUR)
    assert data(client.get_project(b.project_id))["status"] == "completed"
    return f, client, b


def check_metrics(m: dict) -> None:
    """What any project's metrics must satisfy."""
    assert all(isinstance(m[k], int) and m[k] >= 0 for k in METRICS), m
    assert m["delivered"] + m["undeliverable"] <= m["sent"], f"more outcomes than messages sent: {m}"
    assert m["clicks_unique"] <= m["clicks_total"], m
    assert m["replies"] <= m["delivered"] and m["opt_outs"] <= m["delivered"], m


# ---------------------------------------------------------------------------
# A broadcast scheduled now
# ---------------------------------------------------------------------------


def test_a_send_scheduled_now_completes_with_the_magic_numbers_outcomes(fresh, validator):
    f = fresh()
    client, b = child_broadcast(f, "SDK send now (python)")
    before = data(client.get_project_stats(b.project_id))
    assert (before["metrics"], before["test"]) == (ZERO_METRICS, ZERO_TEST), before

    # "May be now or in the past - the project starts sending as soon as audience compilation finishes."
    at = f.now()
    answer = data(client.schedule_project(b.project_id, at, TIMEZONE))
    assert validator.last("POST", "/schedule").status == 200
    assert (answer["project_id"], answer["scheduled_at"], answer["scheduled_timezone"]) == (b.project_id, at, TIMEZONE)
    assert answer["status"] in ("scheduled", "sending"), answer
    detail = data(client.get_project(b.project_id))
    assert detail["status"] == "sending", f"scheduled now, it starts at once: {detail}"

    f.advance(3 * HOUR)
    detail = data(client.get_project(b.project_id))
    assert (detail["status"], detail["scheduled_at"], detail["pause_reason"], detail["auto_paused"]) == (
        "completed", at, None, False), detail
    stats = data(client.get_project_stats(b.project_id))
    assert (stats["project_id"], stats["status"], stats["as_of"]) == (b.project_id, "completed", f.now())
    assert stats["test"] == ZERO_TEST, "no test was sent"
    m = stats["metrics"]
    check_metrics(m)
    # The magic numbers alone: 0000, 0003, 0005, 0006, 0007 delivered; 0002 and 0004 failed;
    # 0008 sent without a receipt; 0005 replies STOP, 0006 replies; 0007 clicks the tracking link.
    assert m["sent"] >= len(DELIVERED) + len(FAILED) + 1, m
    assert m["delivered"] >= len(DELIVERED), m
    assert m["undeliverable"] >= len(FAILED), m
    assert m["delivered"] + m["undeliverable"] <= m["sent"] - 1, f"0008 never gets a receipt: {m}"
    assert m["replies"] >= 2 and m["opt_outs"] >= 1 and m["opt_outs"] <= m["replies"], m
    assert m["clicks_total"] >= 1 and m["clicks_unique"] >= 1, m

    # The event log (webhook bodies) tells the same story, message by message.
    mine = of_project(f.events(), b.project_id)
    count = lambda kind: sum(1 for e in mine if e["event_type"] == kind)  # noqa: E731
    assert (count("message.sent"), count("message.delivered"), count("message.failed"), count("message.replied"),
            count("link.clicked")) == (m["sent"], m["delivered"], m["undeliverable"], m["replies"], m["clicks_total"])
    sent_to = [e["data"]["to"] for e in mine if e["event_type"] == "message.sent"]
    assert len(sent_to) == len(set(sent_to)), "a contact got two messages"
    assert len(sent_to) + rejected(mine) == b.recipients, "every recipient gets exactly one message"
    by_contact = story(mine)
    for number in DELIVERED:
        assert by_contact[number][:2] == ["message.sent", "message.delivered"], (number, by_contact[number])
    for number, code in FAILED.items():
        assert by_contact[number] == ["message.sent", f"message.failed:{code}"], (number, by_contact[number])
    assert by_contact[NO_RECEIPT] == ["message.sent"]
    assert by_contact[STOPS] == ["message.sent", "message.delivered", "message.replied:STOP"]
    assert by_contact[SAYS_YES] == ["message.sent", "message.delivered", f"message.replied:{YES_TEXT}"]
    assert by_contact[CLICKS] == ["message.sent", "message.delivered", "link.clicked"]
    for number in NEVER_SENT:
        assert number not in by_contact, f"{number} is never in the audience"
    for e in mine:
        assert e["id"] == e["event_id"] and parse_ts(e["created_at"]), e
        if e["event_type"] == "message.sent":
            assert (e["data"]["from"], e["data"]["is_test"]) == (b.number, False), e
        if e["event_type"] == "link.clicked":
            assert e["data"]["destination_url"] == "https://vote.example.org/find", e
            assert e["data"]["url"].startswith(f"https://{b.domain}/"), e


# ---------------------------------------------------------------------------
# Conversations of the send
# ---------------------------------------------------------------------------


def test_the_replies_open_threads_read_through_the_conversation_methods(sent):
    f, client, b = sent
    threads = threads_of(client, b.project_id)
    by_to = {t["to"]: t for t in threads}
    assert {SAYS_YES, STOPS} <= set(by_to), f"the 0005 and 0006 threads: {sorted(by_to)}"
    replied = {contact_of(e) for e in of_project(f.events(), b.project_id) if e["event_type"] == "message.replied"}
    assert set(by_to) == replied, "a thread per contact who wrote in, and only those"
    for t in threads:
        assert CONVERSATION_ID.match(t["conversation_id"]), t
        assert (t["project_id"], t["from"], t["is_test"], t["contact"]) == (b.project_id, b.number, False,
                                                                               {"phone_number": t["to"]}), t
        assert data(client.get_conversation(t["conversation_id"])) == t, "get_conversation = its list row"
    stamps = [t["last_inbound_at"] for t in threads]
    assert stamps == sorted(stamps, reverse=True), "newest last_inbound_at first"
    # The default window (7 days back) lists them too; include_test adds nothing: no test was sent.
    window = {t["conversation_id"] for t in data(client.list_conversations(limit=200))["data"]}
    assert {t["conversation_id"] for t in threads} <= window
    assert threads_of(client, b.project_id, include_test=True) == threads

    yes, stop = by_to[SAYS_YES], by_to[STOPS]
    assert (yes["status"], yes["opted_out"], yes["inbound_messages"], yes["outbound_messages"]) == ("active", False, 1, 1)
    assert (stop["status"], stop["opted_out"], stop["inbound_messages"], stop["outbound_messages"]) == (
        "opted_out", True, 1, 1)
    for thread, reply in ((yes, YES_TEXT), (stop, "STOP")):
        inbound, outbound = messages_of(client, thread["conversation_id"])
        # Newest first: the contact's reply, then the broadcast message it answers.
        assert (inbound["direction"], inbound["text"], inbound["status"], inbound["received_at"]) == (
            "inbound", reply, "received", thread["last_inbound_at"]), inbound
        assert (inbound["sent_at"], inbound["delivered_at"], inbound["error_code"]) == (None, None, None)
        assert (outbound["direction"], outbound["status"], outbound["received_at"], outbound["error_code"]) == (
            "outbound", "delivered", None, None), outbound
        assert MESSAGE_ID.match(inbound["message_id"]) and MESSAGE_ID.match(outbound["message_id"])
        assert outbound["text"].startswith(f"Hi Test! Find your polling place: https://{b.domain}/"), outbound
        assert outbound["text"].endswith("\nSTOP=END"), outbound
        assert parse_ts(outbound["sent_at"]) <= parse_ts(outbound["delivered_at"]) <= parse_ts(inbound["received_at"])
        assert outbound["media_urls"] == [] and inbound["media_urls"] == []


# ---------------------------------------------------------------------------
# reply_to_conversation
# ---------------------------------------------------------------------------


def test_reply_to_conversation_is_202_in_gsm_and_is_delivered(sent, validator):
    f, client, b = sent
    yes = thread_with(client, b.project_id, SAYS_YES)
    metrics = data(client.get_project_stats(b.project_id))["metrics"]
    at = f.now()
    answer = data(client.reply_to_conversation(yes["conversation_id"], CURLY))
    assert validator.last("POST", "/messages").status == 202
    assert MESSAGE_ID.match(answer["message_id"]), answer
    assert answer == {"message_id": answer["message_id"], "conversation_id": yes["conversation_id"],
                      "project_id": b.project_id, "from": b.number, "to": SAYS_YES, "text": GSM, "created_at": at}
    # It has left already (quiet hours do not apply); its outcome arrives on the clock.
    newest = messages_of(client, yes["conversation_id"])[0]
    assert (newest["message_id"], newest["direction"], newest["text"], newest["delivered_at"], newest["received_at"]) == (
        answer["message_id"], "outbound", GSM, None, None), newest
    assert newest["status"] in ("queued", "sending", "sent"), newest
    thread = data(client.get_conversation(yes["conversation_id"]))
    assert (thread["outbound_messages"], thread["inbound_messages"], thread["last_outbound_at"],
            thread["last_inbound_at"]) == (2, 1, at, yes["last_inbound_at"]), thread

    f.advance(MINUTE)
    reply, inbound, broadcast = messages_of(client, yes["conversation_id"])
    assert (reply["message_id"], reply["status"], reply["error_code"]) == (answer["message_id"], "delivered", None), reply
    assert parse_ts(at) <= parse_ts(reply["sent_at"]) <= parse_ts(reply["delivered_at"]) <= parse_ts(f.now())
    assert (inbound["direction"], inbound["text"], broadcast["direction"]) == ("inbound", YES_TEXT, "outbound")
    # "final delivery state arrives on the existing message.sent / message.delivered / message.failed webhooks".
    events = [e for e in f.events() if e["data"].get("message_id") == answer["message_id"]]
    assert [e["event_type"] for e in events] == ["message.sent", "message.delivered"], events
    for e in events:
        assert {k: e["data"][k] for k in ("conversation_id", "project_id", "from", "to", "is_test")} == {
            "conversation_id": yes["conversation_id"], "project_id": b.project_id, "from": b.number, "to": SAYS_YES,
            "is_test": False}, e
    assert data(client.get_project_stats(b.project_id))["metrics"] == metrics, "a reply is not a broadcast message"

    # A retry with the same Idempotency-Key replays the answer and sends nothing more.
    first = data(client.reply_to_conversation(yes["conversation_id"], "Polls close at 7:30", idempotency_key="sdk-py-reply"))
    again = data(client.reply_to_conversation(yes["conversation_id"], "Polls close at 7:30", idempotency_key="sdk-py-reply"))
    assert again == first and validator.last("POST", "/messages").headers.get("idempotent-replayed") == "true"
    assert data(client.get_conversation(yes["conversation_id"]))["outbound_messages"] == 3


def test_reply_to_conversation_refusals(sent, validator):
    f, client, b = sent
    stop = thread_with(client, b.project_id, STOPS)
    yes = thread_with(client, b.project_id, SAYS_YES)
    counts = lambda t: {k: data(client.get_conversation(t["conversation_id"]))[k]  # noqa: E731
                        for k in ("inbound_messages", "outbound_messages")}
    before = (counts(stop), counts(yes))
    # The contact replied STOP: the organization may not text them.
    raises(lambda: client.reply_to_conversation(stop["conversation_id"], "Sorry to see you go"), 409, "CONTACT_OPTED_OUT")
    # text is 1-1600 characters.
    for text in ("", "x" * 1601):
        err = raises(lambda: client.reply_to_conversation(yes["conversation_id"], text), 400, "VALIDATION_ERROR")
        assert detail_fields(err) == ["text"], err.body
    raises(lambda: client.reply_to_conversation(UNKNOWN_CONVERSATION, "hi"), 404, "CONVERSATION_NOT_FOUND")
    raises(lambda: f.client("read_only").reply_to_conversation(yes["conversation_id"], "hi"), 403, "PERMISSION_DENIED")
    err = raises(lambda: f.client("zero_balance").reply_to_conversation(yes["conversation_id"], "hi"),
                 404, "CONVERSATION_NOT_FOUND")
    assert yes["conversation_id"] not in str(err.body), "the 404 reveals the foreign id"
    assert (counts(stop), counts(yes)) == before, "a refused reply queued a message"
    # Exactly 1,600 characters is accepted.
    assert data(client.reply_to_conversation(yes["conversation_id"], "x" * 1600))["text"] == "x" * 1600
    assert validator.last("POST", "/messages").status == 202


def test_a_test_thread_is_listed_with_include_test_and_takes_no_reply(fresh):
    f = fresh()
    client, b = child_broadcast(f, "SDK test thread (python)")
    answer = data(client.test_project(b.project_id, [{"phone": SAYS_YES}]))
    assert answer["tests_sent"] == 1 and answer["test_messages"][0]["sent_to"] == mask(SAYS_YES), answer
    test_message = answer["test_messages"][0]["test_message_id"]
    f.advance(HOUR)
    # 0006 answered the test: a test thread, listed only with include_test=true.
    assert threads_of(client, b.project_id) == []
    [thread] = threads_of(client, b.project_id, include_test=True)
    assert (thread["to"], thread["from"], thread["project_id"], thread["is_test"], thread["status"],
            thread["inbound_messages"], thread["outbound_messages"]) == (
        SAYS_YES, b.number, b.project_id, True, "active", 1, 1), thread
    assert data(client.get_conversation(thread["conversation_id"])) == thread
    window = data(client.list_conversations(include_test=True, limit=200))["data"]
    assert thread in window and thread not in data(client.list_conversations(limit=200))["data"]
    inbound, outbound = messages_of(client, thread["conversation_id"])
    assert (inbound["direction"], inbound["text"]) == ("inbound", YES_TEXT), inbound
    assert (outbound["direction"], outbound["status"]) == ("outbound", "delivered"), outbound
    assert outbound["message_id"] == test_message, "the thread holds the test message"
    assert TEST_MESSAGE_ID.match(outbound["message_id"])
    stats = data(client.get_project_stats(b.project_id))
    assert stats["test"] == {**ZERO_TEST, "delivered": 1, "replies": 1} and stats["metrics"] == ZERO_METRICS, stats
    raises(lambda: client.reply_to_conversation(thread["conversation_id"], "hi"), 409, "CONVERSATION_NOT_SENDABLE")
    assert data(client.get_conversation(thread["conversation_id"]))["outbound_messages"] == 1


def test_reply_to_conversation_needs_funds_and_sending_not_paused(fresh):
    """Threads opened by a contact writing in (POST /_sandbox/inbound) to a project's number."""
    f = fresh()
    for role, status, code in (("zero_balance", 402, "INSUFFICIENT_BALANCE"), ("sending_paused", 409, "SENDING_PAUSED")):
        client = f.client(role)
        projects = data(client.list_projects())
        if projects:
            project = data(client.get_project(projects[0]["id"]))
        else:  # creating needs no balance
            project = data(client.get_project(data(client.create_project(**find_sendable(client).body(
                f"SDK {role} (python)")))["id"]))
        number = next(n["number"] for n in data(client.list_phone_numbers())
                      if n["id"] == project["phone_number_ids"][0])
        opened = f.control("POST", "/inbound", {"from": "+16145550188", "to": number, "text": "Can I still vote early?"})
        thread = data(client.get_conversation(opened["conversation_id"]))
        assert (thread["project_id"], thread["is_test"], thread["status"]) == (project["project_id"], False, "active")
        err = raises(lambda: client.reply_to_conversation(thread["conversation_id"], "Yes, until Sunday"), status, code)
        if code == "SENDING_PAUSED":
            assert err.body["details"]["scope"] == "organization", err.body
        assert data(client.get_conversation(thread["conversation_id"]))["outbound_messages"] == 0


# ---------------------------------------------------------------------------
# Test sends
# ---------------------------------------------------------------------------


def test_test_sends_count_in_test_and_never_in_metrics(fresh, validator):
    f = fresh()
    client, b = child_broadcast(f, "SDK test sends (python)")
    phones = ["+15005550000", "+15005550002"]
    answer = data(client.test_project(b.project_id, [{"phone": p} for p in phones]))
    assert validator.last("POST", "/test").status == 202
    assert answer["tests_sent"] == 2 and [m["sent_to"] for m in answer["test_messages"]] == [mask(p) for p in phones]
    ids = [m["test_message_id"] for m in answer["test_messages"]]
    test = data(client.get_project_stats(b.project_id))["test"]
    assert test["sent"] + test["delivered"] + test["failed"] == 2, f"a pipeline of two tests: {test}"
    f.advance(MINUTE)
    stats = data(client.get_project_stats(b.project_id))
    # 0000 is delivered, 0002 (a landline) fails; "metrics excludes test traffic".
    assert stats["test"] == {**ZERO_TEST, "delivered": 1, "failed": 1}, stats["test"]
    assert stats["metrics"] == ZERO_METRICS, stats["metrics"]
    assert data(client.get_project(b.project_id))["status"] == "awaiting_test", "a test does not move the project"
    outcomes = {e["data"]["message_id"]: (e["event_type"], e["data"]["to"], e["data"].get("error_code"), e["data"]["is_test"])
                for e in f.events() if e["data"].get("message_id") in ids and e["event_type"] != "message.sent"}
    assert sorted(outcomes.values()) == [("message.delivered", phones[0], None, True),
                                         ("message.failed", phones[1], "300", True)], outcomes

    # The broadcast afterwards: metrics count it alone, and the test counters stay as they were.
    data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    f.advance(3 * HOUR)
    stats = data(client.get_project_stats(b.project_id))
    assert stats["status"] == "completed" and stats["test"] == {**ZERO_TEST, "delivered": 1, "failed": 1}, stats
    check_metrics(stats["metrics"])
    mine = of_project(f.events(), b.project_id)
    broadcast_sent = sum(1 for e in mine if e["event_type"] == "message.sent" and not e["data"]["is_test"])
    assert stats["metrics"]["sent"] == broadcast_sent, stats["metrics"]


# ---------------------------------------------------------------------------
# Auto-pauses and resuming
# ---------------------------------------------------------------------------


def test_the_window_closes_into_a_quiet_hours_pause_and_a_schedule_resumes_next_morning(fresh):
    """CONTRACT §8: sends run 08:00-22:00 where most recipients live (the mixed list: Ohio, New York
    time). One message per 100 sandbox seconds (`--send-rate 0.01`): 20 minutes of window are not
    enough for the list."""
    f = fresh("--send-rate", "0.01")
    client, b = child_broadcast(f, "SDK quiet hours (python)", link_tracking=False)
    f.advance_to("2026-11-04T02:40:00.000Z")  # 21:40 in New York
    data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    assert data(client.get_project(b.project_id))["status"] == "sending"
    f.advance(30 * MINUTE)
    detail = data(client.get_project(b.project_id))
    assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("paused", "quiet_hours", True), detail
    sent = data(client.get_project_stats(b.project_id))["metrics"]["sent"]
    assert 0 < sent < b.recipients, f"{sent} of {b.recipients} sent before 22:00"
    # It does not resume by itself.
    f.advance(HOUR)
    assert data(client.get_project(b.project_id))["status"] == "paused"
    assert data(client.get_project_stats(b.project_id))["metrics"]["sent"] == sent
    # Scheduled again at 23:40: due, but the window is shut until 08:00.
    answer = data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    assert answer["status"] == "scheduled", answer
    detail = data(client.get_project(b.project_id))
    assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("scheduled", None, False), detail
    f.advance_to("2026-11-04T12:59:00.000Z")
    assert data(client.get_project(b.project_id))["status"] == "scheduled"
    f.advance(2 * MINUTE)
    assert data(client.get_project(b.project_id))["status"] == "sending"
    f.advance(2 * HOUR)
    assert data(client.get_project(b.project_id))["status"] == "completed"
    # It continued where it stopped: everyone once, the second stretch from 08:00 New York time.
    mine = of_project(f.events(), b.project_id)
    sends = [e for e in mine if e["event_type"] == "message.sent"]
    assert len({e["data"]["to"] for e in sends}) == len(sends), "a contact got two messages"
    assert len(sends) + rejected(mine) == b.recipients
    assert sends[sent]["created_at"] >= "2026-11-04T13:00:00.000Z", sends[sent]
    assert data(client.get_project_stats(b.project_id))["metrics"]["sent"] == len(sends)


def test_the_brand_daily_cap_pauses_a_send_unless_the_schedule_bypasses_it(fresh, tmp_path):
    """A metered brand's T-Mobile daily cap (here 1, through `--fixtures`): the send pauses at it
    (`brand_daily_cap`), and a schedule with daily_cap_bypass runs it to the end."""
    fixtures = json.loads((REPO_ROOT / "fixtures" / "default.json").read_text())
    capped = [b for b in fixtures["brands"] if b.get("t_mobile_daily_cap")]
    assert capped, "no metered brand in the default fixtures"
    brand = min(capped, key=lambda b: b["t_mobile_daily_cap"])
    brand["t_mobile_daily_cap"] = 1
    path = tmp_path / "one-t-mobile-part-a-day.json"
    path.write_text(json.dumps(fixtures))
    f = fresh("--fixtures", str(path))
    api = f.client("elevated")
    [brand_id] = [b["id"] for b in data(api.list_brands()) if b["brand_name"] == brand["name"]]
    campaign = next(c for c in data(api.list_campaigns(brand_id=brand_id)) if c["campaign_status"] == "ACTIVE")
    lanes = data(api.get_campaign_throughput(campaign["id"]))
    assert lanes["carrier_metered"] is True and lanes["t_mobile"]["daily_cap"] == 1, lanes
    b = project_over_mixed(f, api, org_id=campaign["org_id"], name="SDK daily cap (python)", link_tracking=False,
                           accept=lambda c: c["id"] == campaign["id"])
    assert data(api.get_project_throughput(b.project_id))["t_mobile"]["will_pause"] is True

    data(api.schedule_project(b.project_id, f.now(), TIMEZONE))
    f.advance(2 * MINUTE)
    detail = data(api.get_project(b.project_id))
    assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("paused", "brand_daily_cap", True), detail
    t_mobile = data(api.get_campaign_throughput(campaign["id"]))["t_mobile"]
    assert (t_mobile["used_today"], t_mobile["remaining_today"]) == (1, 0), t_mobile
    sent = data(api.get_project_stats(b.project_id))["metrics"]["sent"]
    assert 0 < sent < b.recipients, sent

    answer = data(api.schedule_project(b.project_id, f.now(), TIMEZONE, daily_cap_bypass=True))
    assert answer["daily_cap_bypass"] is True, answer
    f.advance(HOUR)
    detail = data(api.get_project(b.project_id))
    assert (detail["status"], detail["daily_cap_bypass"], detail["pause_reason"]) == ("completed", True, None), detail
    mine = of_project(f.events(), b.project_id)
    sends = [e["data"]["to"] for e in mine if e["event_type"] == "message.sent"]
    assert len(set(sends)) == len(sends) and len(sends) + rejected(mine) == b.recipients
    stats = data(api.get_project_stats(b.project_id))["metrics"]
    check_metrics(stats)
    assert stats["sent"] == len(sends) and stats["sent"] > sent, stats
