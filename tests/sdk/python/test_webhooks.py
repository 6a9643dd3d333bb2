"""Webhooks (CONTRACT §10) received as a Python user would receive them: the events of a simulated
send over contacts-mixed.csv, an analysis and a test event, posted by the sandbox to a real HTTP
server (webhookkit.Receiver) that verifies each with the standard library only (hmac + hashlib over
the raw body, constant-time comparison, X-Timestamp within 5 minutes).

The test runs on a sandbox of its own, started with `--webhook <receiver URL>` (every event type),
so every event of the log, the seeded world's own send included, is due at the receiver; the
signing secret is the one `serve` prints. The send is the one of test_sends.py: the child org's
project with link tracking (0005 replies STOP, 0006 replies, 0007 clicks, 0002 and 0004 fail,
the other magic numbers are delivered).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from typing import Iterator

import httpx
import pytest

from listkit import analysis_done
from projectkit import data
from sendkit import CLICKS, FAILED, HOUR, SAYS_YES, STOPS, TIMEZONE, Fresh, contact_of, project_over_mixed, unmetered
from support import parse_ts
from webhookkit import Receiver, signature_of, verify

EVENT_TYPES = ("message.sent", "message.delivered", "message.failed", "message.replied", "link.clicked",
               "contact_list.analyzed", "webhook.test")
SECRET = re.compile(r"^whsec_[A-Za-z0-9]{32}$")


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for r in started:
        r.stop()


def printed_secret(f: Fresh, url: str) -> str:
    """The signing secret `serve --webhook URL` prints for URL (the line may follow the banner's first)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in list(f.box.output):
            if url in line:
                found = re.search(r"whsec_[A-Za-z0-9]+", line)
                assert found, f"no secret on the line for {url}: {line!r}"
                return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"serve printed no secret for {url}:\n" + "\n".join(f.box.output))


def deliveries_of(f: Fresh, endpoint_id: str, **filters: str) -> list[dict]:
    """GET /_sandbox/webhook-deliveries for one endpoint (at most 1,000, newest first)."""
    query = "&".join(f"{k}={v}" for k, v in {"endpoint_id": endpoint_id, **filters, "limit": "1000"}.items())
    rows = f.control("GET", f"/webhook-deliveries?{query}")
    assert len(rows) < 1000, "more deliveries than one page: filter further"
    return rows


def test_a_python_receiver_verifies_every_event_of_a_send_with_hmac_and_hashlib(validator, receivers):
    rx = Receiver()
    receivers.append(rx)
    f = Fresh(validator, ["--webhook", rx.url])
    try:
        run(f, rx, receivers)
    finally:
        f.stop()


def run(f: Fresh, rx: Receiver, receivers: list[Receiver]) -> None:
    rx.secret = printed_secret(f, rx.url)
    assert SECRET.match(rx.secret), rx.secret
    [endpoint] = [e for e in f.control("GET", "/webhook-endpoints") if e["url"] == rx.url]
    assert (endpoint["events"], endpoint["enabled"], "secret" in endpoint) == ([], True, False), endpoint

    # The send: scheduled now, completed 3 sandbox hours later.
    client = f.client("child")
    b = project_over_mixed(f, client, org_id=f.keys["child"]["organization_id"], name="SDK webhooks (python)",
                           accept=unmetered(client))
    data(client.schedule_project(b.project_id, f.now(), TIMEZONE))
    f.advance(3 * HOUR)
    assert data(client.get_project(b.project_id))["status"] == "completed"
    # An analysis of the send's list: contact_list.analyzed when it completes.
    data(client.analyze_contact_list(b.list_id))
    analyzed = analysis_done(client, f.advance, b.list_id)
    assert analyzed["analysis"]["status"] == "complete", analyzed["analysis"]
    # A test event, to this endpoint only.
    ping = f.control("POST", f"/webhook-endpoints/{endpoint['id']}/test")
    assert ping["event_type"] == "webhook.test", ping
    # An advance settles every delivery set off so far (the test event's included).
    f.advance(0)

    got = rx.received()
    assert got, "the receiver got nothing"
    rejected = [(d.headers.get("x-event-type"), d.problem) for d in got if not d.verified]
    assert not rejected, f"the receiver rejected {len(rejected)} deliveries: {rejected[:5]}"
    by_id = Counter(d.body["event_id"] for d in got)
    assert max(by_id.values()) == 1, f"events delivered twice: {[k for k, n in by_id.items() if n > 1][:5]}"
    kinds = Counter(d.body["event_type"] for d in got)
    assert set(kinds) == set(EVENT_TYPES), f"every event type, verified: got {dict(kinds)}"

    # Every event of the log reached it, exactly once, as its body, with the documented headers.
    log = {e["event_id"]: e for e in f.events()}
    assert set(e["event_type"] for e in log.values()) <= set(EVENT_TYPES), Counter(e["event_type"] for e in log.values())
    assert set(by_id) == set(log), (
        f"log events never delivered: {sorted(set(log) - set(by_id))[:5]}; "
        f"delivered but not in the log: {sorted(set(by_id) - set(log))[:5]}")
    host = time.time()
    for d in got:
        body = d.body
        assert body == log[body["event_id"]], "the webhook body is the event log's entry"
        assert list(body) == ["id", "event_id", "event_type", "created_at", "data"], list(body)
        assert body["id"] == body["event_id"] and parse_ts(body["created_at"])
        assert (d.headers["content-type"], d.headers["x-event-type"], d.headers["x-event-id"]) == (
            "application/json", body["event_type"], body["event_id"]), d.headers
        assert d.headers["user-agent"].startswith("pc-sandbox/"), d.headers
        # X-Timestamp is the host clock, not the manual sandbox clock (2026-11-03).
        assert abs(host - int(d.headers["x-timestamp"])) < 120, d.headers["x-timestamp"]
        # Compact, nothing escaped that need not be: what json.dumps writes without whitespace or \u escapes.
        assert d.raw == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), d.raw

    # The send's story as the receiver saw it.
    mine = [d.body for d in got if d.body["data"].get("project_id") == b.project_id]
    seen = {(contact_of(e), e["event_type"]) for e in mine}
    assert {(STOPS, "message.replied"), (SAYS_YES, "message.replied"), (CLICKS, "link.clicked")} <= seen, seen
    assert {(n, "message.failed") for n in FAILED} <= seen, seen
    replies = {e["data"]["from"]: e["data"]["text"] for e in mine if e["event_type"] == "message.replied"}
    assert replies[STOPS] == "STOP", replies
    [list_event] = [d.body for d in got
                    if d.body["event_type"] == "contact_list.analyzed" and d.body["data"]["list_id"] == b.list_id]
    assert (list_event["data"]["list_id"], list_event["data"]["organization_id"], list_event["data"]["analyzed_numbers"]) == (
        b.list_id, b.org_id, analyzed["analysis"]["analyzed_numbers"]), list_event
    [test_event] = [d.body for d in got if d.body["event_type"] == "webhook.test"]
    assert (test_event["event_id"], test_event["data"]["endpoint_id"]) == (ping["event_id"], endpoint["id"]), test_event

    # The delivery log: each of them succeeded at the first attempt; nothing pending or failed.
    assert deliveries_of(f, endpoint["id"], status="pending") == []
    assert deliveries_of(f, endpoint["id"], status="failed") == []
    for kind in EVENT_TYPES:
        rows = deliveries_of(f, endpoint["id"], event_type=kind)
        assert sorted(r["event_id"] for r in rows) == sorted(k for k, e in log.items() if e["event_type"] == kind), kind
        for r in rows:
            assert (r["status"], r["next_attempt_at"], len(r["attempts"])) == ("succeeded", None, 1), r
            assert (r["attempts"][0]["status_code"], r["attempts"][0]["error"], r["attempts"][0]["response_body"]) == (
                200, None, "OK"), r

    # The receiver's check refuses what is not genuine and fresh: unit checks of verify() ...
    sample = got[-1]
    raw, sig = sample.raw, sample.headers["x-webhook-signature"]
    now = int(time.time())
    assert sig == signature_of(rx.secret, raw) and verify(rx.secret, raw, sig, str(now)) is None
    tampered = raw.replace(b'"event_type":"', b'"event_type":"x', 1)
    assert tampered != raw and verify(rx.secret, tampered, sig, str(now)) == "signature mismatch"
    assert verify("whsec_" + "A" * 32, raw, sig, str(now)) == "signature mismatch"
    assert verify(rx.secret, raw, sig.upper(), str(now)) == "signature mismatch"
    assert verify(rx.secret, raw, None, str(now)) == "no X-Webhook-Signature"
    assert verify(rx.secret, raw, sig, str(now - 301)).startswith("X-Timestamp")
    assert verify(rx.secret, raw, sig, str(now + 301)).startswith("X-Timestamp")
    assert verify(rx.secret, raw, sig, str(now - 299)) is None
    assert verify(rx.secret, raw, sig, None).startswith("X-Timestamp")
    # ... and the running receiver answers 401 to a replayed delivery with a stale timestamp or a
    # tampered body (posted here by hand).
    replay = {k: v for k, v in sample.headers.items() if k.startswith("x-") or k == "content-type"}
    before = len(rx.received())
    stale = httpx.post(rx.url, content=raw, headers={**replay, "x-timestamp": str(now - 6 * 60)})
    forged = httpx.post(rx.url, content=tampered, headers={**replay, "x-timestamp": str(now)})
    fresh_again = httpx.post(rx.url, content=raw, headers={**replay, "x-timestamp": str(now)})
    assert (stale.status_code, forged.status_code, fresh_again.status_code) == (401, 401, 200)
    assert [d.verified for d in rx.received()[before:]] == [False, False, True]

    # A receiver that answers 500 is tried again 4 sandbox seconds later, with the same event.
    flaky = Receiver()
    receivers.append(flaky)
    created = f.control("POST", "/webhook-endpoints", {"name": "flaky (python)", "url": flaky.url,
                                                      "events": ["webhook.test"]})
    assert SECRET.match(created["secret"]) and created["secret"] != rx.secret, created
    flaky.secret = created["secret"]
    flaky.fail_first(1, 500)
    ping = f.control("POST", f"/webhook-endpoints/{created['id']}/test")
    f.advance(0)
    [pending] = deliveries_of(f, created["id"])
    assert (pending["event_id"], pending["status"], [a["status_code"] for a in pending["attempts"]]) == (
        ping["event_id"], "pending", [500]), pending
    assert parse_ts(pending["next_attempt_at"]) - parse_ts(pending["attempts"][0]["attempted_at"]) == \
        parse_ts("2026-01-01T00:00:04.000Z") - parse_ts("2026-01-01T00:00:00.000Z")
    f.advance(3)
    assert len(flaky.received()) == 1, "not before its time"
    f.advance(1)
    tries = flaky.received()
    assert [(d.status, d.verified, d.body["event_id"]) for d in tries] == [
        (500, True, ping["event_id"]), (200, True, ping["event_id"])], tries
    assert tries[0].raw == tries[1].raw, "a retry posts the same body"
    [done] = deliveries_of(f, created["id"])
    assert (done["status"], [a["status_code"] for a in done["attempts"]], done["next_attempt_at"]) == (
        "succeeded", [500, 200], None), done
    # The flaky endpoint's test event went to it alone.
    assert ping["event_id"] not in {d.body["event_id"] for d in rx.received()}
