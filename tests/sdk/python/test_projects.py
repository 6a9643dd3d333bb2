"""Projects (CONTRACT §7) through the Python SDK: every project method of political-comms 0.15.0
but get_all_project_stats (GET /projects/stats, with the other stats in test_stats.py).

Reads and filters over the seeded world (a project in every status, an auto-paused one, a
read-only survey), create (draft, awaiting_test, the deprecated `phone_number_id`, validation),
PATCH, test sends, schedule / unschedule / pause / copy, stats, throughput, and the org states
that refuse a create, test or schedule. Every create body is built from what the API lists
(projectkit.find_sendable). Projects that get scheduled or paused are unscheduled again, so
their numbers are free for the next test (a scheduled, sending or paused project holds its
numbers). The Python SDK has no `phone_number_id` and no way to send the immutable fields in a
PATCH: those bodies go through a plain httpx client on the same validating transport (`raw`).
The seeded `sending` project completes within seconds once the session's clock moves (the send
engine), so the tests that need a sending project schedule one of their own at the sandbox's now
(`sending`), and the every-status check reads the projects the session started with; what a send
does (outcomes, metrics, auto-pauses) is in test_sends.py.
Not reachable yet (coverage.json `pending`): 409 SENDING_PAUSED on test/schedule and 403
ONBOARDING_INCOMPLETE on copy, since no project can exist in those organizations.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Iterator

import httpx
import pytest
from political_comms import PoliticalCommsError

from listkit import analysis_done, detail_fields, import_ready, raises, raises_404
from projectkit import (
    HOLDING, MESSAGE, PROJECT_ID, STATUSES, TEST_MESSAGE_ID, UNKNOWN_PROJECT, ZONES, data, find_sendable, held_numbers,
    mask, offset_for,
)
from support import ValidatingTransport, parse_ts

COMPLETENESS_DRAFT = {"has_list": False, "has_message": True, "has_phone_number": True, "ready_to_test": False}
COMPLETENESS_READY = {"has_list": True, "has_message": True, "has_phone_number": True, "ready_to_test": True}
METRICS = ("sent", "delivered", "undeliverable", "clicks_total", "clicks_unique", "replies", "opt_outs")
TEST_COUNTERS = ("sent", "delivered", "failed", "replies", "clicks_total", "clicks_unique")


@pytest.fixture(scope="module")
def world(api) -> dict:
    return {
        "projects": data(api.list_projects()),
        "orgs": {o["id"]: o["display_name"] for o in data(api.list_organizations())},
        "brands": {b["id"]: b for b in data(api.list_brands())},
        "campaigns": {c["id"]: c for c in data(api.list_campaigns())},
    }


@pytest.fixture
def now(control) -> Callable[[], str]:
    """The sandbox clock now (the session's clock moves with other tests)."""
    return lambda: control("GET", "/clock")["now"]


@pytest.fixture(scope="module")
def raw(sandbox, validator, keys) -> Iterator[httpx.Client]:
    """The elevated key over plain httpx through the validating transport, for bodies the SDK cannot send."""
    client = httpx.Client(base_url=sandbox.base_url, transport=ValidatingTransport(validator), timeout=10.0,
                          headers={"X-API-Key": keys["elevated"]["key"], "Content-Type": "application/json"})
    yield client
    client.close()


def seeded(world: dict, status: str, kind: str = "broadcast") -> dict:
    row = next((p for p in world["projects"] if p["status"] == status and p["type"] == kind), None)
    assert row is not None, f"no seeded {kind} project in status {status}"
    return row


def create(api, sendable, name: str, **kwargs) -> dict:
    return data(api.create_project(**sendable.body(name, **kwargs)))


def release(api, project_id: str) -> None:
    """Unschedule a scheduled or paused project of a test, so its numbers are free again."""
    if data(api.get_project(project_id))["status"] in ("scheduled", "paused"):
        data(api.unschedule_project(project_id))


def ids(rows: list[dict]) -> list[str]:
    return sorted(r["id"] for r in rows)


@pytest.fixture
def sending(api, now) -> Iterator[dict]:
    """A project of this test in `sending`. The seeded one completes within seconds of sandbox time
    once the clock moves (the send engine), and other tests move the session's clock; scheduled at
    the sandbox's now, this one starts at once and stays `sending` while the test leaves the clock
    alone. Paused and unscheduled afterwards, so nothing more leaves and its number is free again."""
    s = find_sendable(api)
    project = create(api, s, "SDK sending (python)")
    data(api.schedule_project(project["id"], now(), "America/New_York"))
    try:
        detail = data(api.get_project(project["id"]))
        assert detail["status"] == "sending", f"scheduled now, it starts at once: {detail}"
        yield detail
    finally:
        if data(api.get_project(project["id"]))["status"] in ("scheduled", "sending"):
            data(api.pause_project(project["id"], reason="SDK test over"))
        release(api, project["id"])


# ---------------------------------------------------------------------------
# Reads and filters
# ---------------------------------------------------------------------------


def test_list_projects_seeded_world_in_every_status(world, sandbox):
    # As the session found it: the seeded `sending` project completes once the clock moves.
    statuses = {r["status"] for r in sandbox.seeded_projects}
    assert set(STATUSES) <= statuses, f"the seeded world lacks statuses {set(STATUSES) - statuses}"
    rows = world["projects"]
    assert any(r["type"] == "survey" for r in rows), "no seeded survey"
    assert len(set(ids(rows))) == len(rows), "duplicate project ids"
    for row in rows:
        assert PROJECT_ID.match(row["id"]), row["id"]
        assert row["type"] in ("broadcast", "survey") and row["status"] in STATUSES, row
        assert row["channel"] in ("10dlc", "toll-free"), row
        assert row["org_name"] == world["orgs"][row["org_id"]], row
        if row["campaign_id"] is not None:
            campaign = world["campaigns"][row["campaign_id"]]
            assert row["campaign_name"] == campaign["name"], row
            assert row["brand_id"] == campaign["brand_id"], "a project's brand is its campaign's brand"
        else:
            assert row["campaign_name"] is None, row
        if row["brand_id"] is not None:
            assert row["brand_name"] == world["brands"][row["brand_id"]]["brand_name"], row
        else:
            assert row["brand_name"] is None, row
        if row["type"] == "survey":
            assert row["message_text"] is None, "null for survey projects"
        else:
            assert isinstance(row["message_text"], str) and row["message_text"], row
        assert all(isinstance(i, str) for i in row["contact_list_ids"]), row
        parse_ts(row["created_at"])


def test_list_projects_filters(api):
    rows = data(api.list_projects())
    by = lambda key, value: ids([r for r in rows if r[key] == value])  # noqa: E731
    for kind in ("broadcast", "survey"):
        assert ids(data(api.list_projects(type=kind))) == by("type", kind), kind
    orgs = sorted({r["org_id"] for r in rows})
    assert len(orgs) > 1, "projects of one organization only"
    for org_id in orgs:
        assert ids(data(api.list_projects(organization_id=org_id))) == by("org_id", org_id), org_id
    for brand_id in sorted({r["brand_id"] for r in rows if r["brand_id"]}):
        assert ids(data(api.list_projects(brand_id=brand_id))) == by("brand_id", brand_id), brand_id
    campaigns = sorted({r["campaign_id"] for r in rows if r["campaign_id"]})
    for campaign_id in campaigns:
        assert ids(data(api.list_projects(campaign_id=campaign_id))) == by("campaign_id", campaign_id), campaign_id
    # Filters AND together.
    survey = next(r for r in rows if r["type"] == "survey")
    both = data(api.list_projects(campaign_id=survey["campaign_id"], type="survey"))
    assert ids(both) == ids([r for r in rows if r["campaign_id"] == survey["campaign_id"] and r["type"] == "survey"])
    assert survey["id"] in ids(both)
    other_org = next(o for o in orgs if o != survey["org_id"])
    assert data(api.list_projects(organization_id=other_org, campaign_id=survey["campaign_id"])) == []
    raises(lambda: api.list_projects(type="sms"), 400, "VALIDATION_ERROR")


def test_projects_are_scoped_to_the_keys_tree(make_client, keys, world):
    child = make_client(keys["child"]["key"])
    child_orgs = {o["id"] for o in data(child.list_organizations())}
    rows = data(child.list_projects())
    assert rows and ids(rows) == ids([p for p in data(make_client(keys["elevated"]["key"]).list_projects())
                                      if p["org_id"] in child_orgs])
    raises(lambda: child.list_projects(organization_id=keys["root"]["organization_id"]), 403, "ORG_ACCESS_DENIED")
    outside = next(p for p in world["projects"] if p["org_id"] not in child_orgs)
    err = raises_404(lambda: child.get_project(outside["id"]))
    assert outside["id"] not in str(err.body), "the 404 reveals the foreign id"
    other = make_client(keys["zero_balance"]["key"])
    assert not set(ids(data(other.list_projects()))) & set(ids(world["projects"])), "another tree sees main-tree projects"
    for call in (other.get_project_stats, other.get_project_throughput, other.copy_project, other.unschedule_project):
        raises_404(lambda: call(outside["id"]))


def test_a_read_only_key_reads_projects_but_changes_none(make_client, keys, world):
    client = make_client(keys["read_only"]["key"])
    assert data(client.list_projects()), "a read-only key lists projects"
    project = seeded(world, "awaiting_test")
    assert data(client.get_project(project["id"]))["project_id"] == project["id"]
    denied = [
        lambda: client.update_project(project["id"], name="nope"),
        lambda: client.test_project(project["id"], [{"phone": "+15005550000"}]),
        lambda: client.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"),
        lambda: client.unschedule_project(project["id"]),
        lambda: client.pause_project(project["id"]),
        lambda: client.copy_project(project["id"]),
    ]
    for call in denied:
        raises(call, 403, "PERMISSION_DENIED")
    assert data(client.get_project(project["id"]))["status"] == "awaiting_test"


def check_detail(detail: dict) -> None:
    """Invariants of any ProjectDetail."""
    assert PROJECT_ID.match(detail["project_id"]), detail["project_id"]
    assert detail["id"] == detail["project_id"], "CONTRACT §7: `id` beside `project_id`"
    assert detail["media_ids"] == [], "Always an empty array in the current API version"
    assert detail["status"] in STATUSES and detail["type"] in ("broadcast", "survey"), detail
    assert isinstance(detail["total_recipients"], int) and detail["total_recipients"] >= 0
    assert detail["estimated_cost_cents"] >= 0
    assert isinstance(detail["auto_paused"], bool) and isinstance(detail["daily_cap_bypass"], bool), detail
    if detail["status"] == "paused":
        assert isinstance(detail["pause_reason"], str) and detail["pause_reason"], detail
    else:
        assert detail["pause_reason"] is None, "null when not paused"
        assert detail["auto_paused"] is False, detail
    if detail["status"] in ("draft", "awaiting_test"):
        assert detail["scheduled_at"] is None and detail["scheduled_timezone"] is None, detail
    else:
        parse_ts(detail["scheduled_at"])
        assert detail["scheduled_timezone"] in ZONES, detail
    if detail["type"] == "survey":
        assert detail["message_text"] is None and detail["opt_out_footer_enabled"] is False, detail
        questions = detail["questions"]
        assert questions, "a survey has its questions"
        assert [q["sequence"] for q in questions] == sorted(q["sequence"] for q in questions)
        for q in questions:
            assert q["question_type"] in ("intro", "multiple_choice", "open_ended", "outro"), q
            if q["question_type"] == "multiple_choice":
                assert q["response_options"], q
    else:
        assert "questions" not in detail, "Survey projects only; absent on broadcast projects"
    assert parse_ts(detail["created_at"]) <= parse_ts(detail["updated_at"])


def test_get_project_matches_every_list_row(api, world):
    for row in world["projects"]:
        detail = data(api.get_project(row["id"]))
        assert detail["project_id"] == row["id"]
        assert detail["organization_id"] == row["org_id"]
        for field in ("name", "type", "status", "channel", "campaign_id", "brand_id", "toll_free_verification_id",
                      "contact_list_ids", "message_text", "created_at"):
            assert detail[field] == row[field], f"{row['id']}: detail {field}={detail[field]!r}, list {row[field]!r}"
        check_detail(detail)
        if not detail["created_via_api"] and detail["status"] in ("sending", "completed", "paused", "scheduled"):
            assert detail["phone_number_ids"], row


def test_the_seeded_auto_paused_project(api, world):
    paused = [data(api.get_project(r["id"])) for r in world["projects"] if r["status"] == "paused"]
    auto = [p for p in paused if p["auto_paused"]]
    assert auto, f"no seeded auto-paused project: {[(p['name'], p['pause_reason']) for p in paused]}"
    assert auto[0]["pause_reason"] == "brand_daily_cap", auto[0]


def test_unknown_projects_are_404(api):
    for call in (api.get_project, api.get_project_stats, api.get_project_throughput, api.copy_project,
                 api.unschedule_project, api.pause_project):
        raises_404(lambda: call(UNKNOWN_PROJECT))
    raises_404(lambda: api.update_project(UNKNOWN_PROJECT, name="x"))
    raises_404(lambda: api.test_project(UNKNOWN_PROJECT, [{"phone": "+15005550000"}]))
    raises_404(lambda: api.schedule_project(UNKNOWN_PROJECT, "2026-11-20T10:00:00-05:00", "America/New_York"))


# ---------------------------------------------------------------------------
# Create
# ---------------------------------------------------------------------------


def test_create_project_without_lists_is_a_draft(api, validator, now):
    s = find_sendable(api)
    answer = create(api, s, "SDK draft (python)", with_list=False)
    assert validator.last("POST", "/projects").status == 201
    assert PROJECT_ID.match(answer["project_id"]) and answer["id"] == answer["project_id"], answer
    assert answer == {
        "project_id": answer["project_id"], "id": answer["project_id"], "name": "SDK draft (python)",
        "type": "broadcast", "status": "draft", "channel": "10dlc", "created_via_api": True,
        "estimated_cost_cents": 0, "total_recipients": 0, "completeness": COMPLETENESS_DRAFT,
    }
    detail = data(api.get_project(answer["id"]))
    check_detail(detail)
    created = now()
    assert {k: detail[k] for k in (
        "organization_id", "brand_id", "campaign_id", "toll_free_verification_id", "phone_number_ids", "status",
        "protocol", "message_text", "contact_list_ids", "suppression_list_ids", "media_urls", "link_tracking_enabled",
        "opt_out_footer_enabled", "created_via_api", "created_at", "updated_at",
    )} == {
        "organization_id": s.org_id, "brand_id": s.brand_id, "campaign_id": s.campaign_id,
        "toll_free_verification_id": None, "phone_number_ids": s.numbers[:1], "status": "draft", "protocol": "sms",
        "message_text": MESSAGE, "contact_list_ids": [], "suppression_list_ids": [], "media_urls": [],
        "link_tracking_enabled": False, "opt_out_footer_enabled": True, "created_via_api": True,
        "created_at": created, "updated_at": created,
    }
    row = next(r for r in data(api.list_projects(campaign_id=s.campaign_id)) if r["id"] == answer["id"])
    assert (row["status"], row["org_id"], row["contact_list_ids"]) == ("draft", s.org_id, [])
    # "it cannot be tested or scheduled until a list is attached"
    raises(lambda: api.test_project(answer["id"], [{"phone": "+15005550000"}]), 409, "PROJECT_NOT_READY")
    raises(lambda: api.schedule_project(answer["id"], "2026-11-20T10:00:00-05:00", "America/New_York"),
           409, "PROJECT_NOT_READY")
    assert data(api.get_project(answer["id"]))["status"] == "draft"


def test_create_project_with_a_list_is_awaiting_test(api, validator):
    s = find_sendable(api)
    answer = create(api, s, "SDK ready (python)")
    assert validator.last("POST", "/projects").status == 201
    assert answer["status"] == "awaiting_test" and answer["completeness"] == COMPLETENESS_READY, answer
    assert answer["id"] == answer["project_id"]
    clean = data(api.get_contact_list(s.list_id))["import"]["clean_contacts"]
    assert 0 < answer["total_recipients"] <= clean, (answer, clean)
    assert answer["estimated_cost_cents"] > 0, answer
    detail = data(api.get_project(answer["id"]))
    check_detail(detail)
    assert detail["status"] == "awaiting_test" and detail["contact_list_ids"] == [s.list_id]
    assert (detail["total_recipients"], detail["estimated_cost_cents"]) == (
        answer["total_recipients"], answer["estimated_cost_cents"])


def test_create_project_with_the_deprecated_phone_number_id(api, raw):
    """CreateProjectRequest.phone_number_id: "A single id is accepted and treated as a one-element
    phone_number_ids" (also on PATCH). The Python SDK only sends phone_number_ids."""
    s = find_sendable(api, numbers=2)
    body = s.body("SDK deprecated number (python)")
    first, second = s.numbers[:2]
    del body["phone_number_ids"]
    response = raw.post("/projects", json={**body, "phone_number_id": first})
    assert response.status_code == 201, response.text
    answer = response.json()["data"]
    assert answer["status"] == "awaiting_test" and answer["completeness"]["has_phone_number"] is True
    assert data(api.get_project(answer["id"]))["phone_number_ids"] == [first]
    response = raw.patch(f"/projects/{answer['id']}", json={"phone_number_id": second})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["phone_number_ids"] == [second]
    assert data(api.get_project(answer["id"]))["phone_number_ids"] == [second]
    both = raw.post("/projects", json={**body, "phone_number_id": first, "phone_number_ids": [first]})
    assert (both.status_code, both.json()["code"]) == (400, "VALIDATION_ERROR"), both.text


def test_create_project_validation_errors_come_together(api, world):
    s = find_sendable(api)
    before = len(data(api.list_projects()))
    # An explicitly empty contact_list_ids and an empty phone_number_ids: one 400 naming both.
    err = raises(lambda: api.create_project(**s.body("SDK invalid (python)", phone_number_ids=[], contact_list_ids=[])),
                 400, "VALIDATION_ERROR")
    assert {"phone_number_ids", "contact_list_ids"} <= set(detail_fields(err)), err.body
    for d in err.body["details"]:
        assert isinstance(d["message"], str) and d["message"], d
    # 10dlc without brand and campaign.
    err = raises(lambda: api.create_project(**s.body("SDK invalid (python)", brand_id=None, campaign_id=None)),
                 400, "VALIDATION_ERROR")
    assert {"brand_id", "campaign_id"} <= set(detail_fields(err)), err.body
    # A campaign of another brand.
    foreign = next(c for c in world["campaigns"].values() if c["brand_id"] != s.brand_id)
    err = raises(lambda: api.create_project(**s.body("SDK invalid (python)", campaign_id=foreign["id"])),
                 400, "VALIDATION_ERROR")
    assert "campaign_id" in detail_fields(err), err.body
    # Unknown merge tags are named.
    err = raises(lambda: api.create_project(**s.body("SDK invalid (python)", message_text="Hi {nickname_xyz}!")),
                 400, "VALIDATION_ERROR")
    messages = [d["message"] for d in err.body["details"] if d["field"] == "message_text"]
    assert messages and "nickname_xyz" in messages[0], err.body
    # A list that is not ready.
    sending_orgs = {c["org_id"] for c in world["campaigns"].values() if c["campaign_status"] == "ACTIVE"}
    failed = next((r for r in data(api.list_contact_lists()) if r["org_id"] in sending_orgs
                   and data(api.get_contact_list(r["id"]))["import"]["status"] == "failed"), None)
    assert failed is not None, "no failed list in an organization with a campaign"
    s2 = find_sendable(api, org_id=failed["org_id"])
    err = raises(lambda: api.create_project(**s2.body("SDK invalid (python)", contact_list_ids=[failed["id"]])),
                 400, "VALIDATION_ERROR")
    assert any(f.startswith("contact_list_ids") for f in detail_fields(err)), err.body
    assert len(data(api.list_projects())) == before, "a refused create made a project"


def test_a_number_a_scheduled_sending_or_paused_project_holds_is_409(api, world, sending):
    """CONTRACT §7: a number in use elsewhere -> 409 PHONE_NUMBER_UNAVAILABLE, on create and on PATCH."""
    for status in HOLDING:
        holder = sending if status == "sending" else data(api.get_project(seeded(world, status)["id"]))
        number = holder["phone_number_ids"][0]
        assert number in held_numbers(api)
        err = raises(lambda: api.create_project(
            holder["organization_id"], f"SDK held by {status} (python)", "sms", MESSAGE, [number],
            brand_id=holder["brand_id"], campaign_id=holder["campaign_id"]), 409, "PHONE_NUMBER_UNAVAILABLE")
        assert number in str(err.body.get("details")), err.body
    holder = data(api.get_project(seeded(world, "scheduled")["id"]))
    s = find_sendable(api, accept=lambda c: c["id"] == holder["campaign_id"])
    project = create(api, s, "SDK patch to a held number (python)")
    raises(lambda: api.update_project(project["id"], phone_number_ids=holder["phone_number_ids"][:1]),
           409, "PHONE_NUMBER_UNAVAILABLE")
    assert data(api.get_project(project["id"]))["phone_number_ids"] == s.numbers[:1]


def test_create_in_another_organization_tree_is_403(api, make_client, keys):
    s = find_sendable(make_client(keys["zero_balance"]["key"]))
    raises(lambda: api.create_project(**s.body("SDK foreign (python)")), 403, "ORG_ACCESS_DENIED")


# ---------------------------------------------------------------------------
# Update
# ---------------------------------------------------------------------------


def test_update_project_completes_a_draft(api, now):
    s = find_sendable(api)
    draft = create(api, s, "SDK to edit (python)", with_list=False)
    updated = data(api.update_project(draft["id"], name="SDK edited (python)", contact_list_ids=[s.list_id],
                                      message_text="Hello {first_name|friend}! Doors open at 6pm.",
                                      opt_out_footer_enabled=False))
    check_detail(updated)
    assert updated["project_id"] == draft["id"]
    assert (updated["status"], updated["name"], updated["contact_list_ids"], updated["opt_out_footer_enabled"]) == (
        "awaiting_test", "SDK edited (python)", [s.list_id], False)
    assert updated["message_text"] == "Hello {first_name|friend}! Doors open at 6pm."
    assert updated["total_recipients"] > 0 and updated["estimated_cost_cents"] > 0
    assert updated["updated_at"] == now()
    assert data(api.get_project(draft["id"])) == updated, "PATCH returns the full project, as GET reads it"


def test_update_project_refuses_the_immutable_fields_together(api, raw):
    s = find_sendable(api)
    project = create(api, s, "SDK immutable (python)")
    before = data(api.get_project(project["id"]))
    response = raw.patch(f"/projects/{project['id']}", json={
        "organization_id": s.org_id, "brand_id": s.brand_id, "campaign_id": s.campaign_id, "channel": "10dlc",
        "toll_free_verification_id": None, "name": "SDK renamed",
    })
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    fields = {d["field"] for d in body["details"]}
    assert {"organization_id", "brand_id", "campaign_id", "channel", "toll_free_verification_id"} <= fields, body
    assert data(api.get_project(project["id"])) == before, "a refused PATCH changed the project"
    response = raw.patch(f"/projects/{project['id']}", json={"no_such_field": 1})
    assert response.status_code == 400 and "no_such_field" in {d["field"] for d in response.json()["details"]}


def test_update_project_only_in_draft_or_awaiting_test(api, world, sending):
    s = find_sendable(api)
    project = create(api, s, "SDK not editable (python)")
    data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
    try:
        raises(lambda: api.update_project(project["id"], name="SDK too late"), 409, "PROJECT_NOT_EDITABLE")
        data(api.pause_project(project["id"]))
        raises(lambda: api.update_project(project["id"], name="SDK too late"), 409, "PROJECT_NOT_EDITABLE")
    finally:
        release(api, project["id"])
    for project_id in (sending["id"], seeded(world, "completed")["id"]):
        raises(lambda: api.update_project(project_id, name="SDK too late"), 409, "PROJECT_NOT_EDITABLE")
    # Back in awaiting_test it is editable again.
    assert data(api.update_project(project["id"], name="SDK editable again"))["name"] == "SDK editable again"


# ---------------------------------------------------------------------------
# Test sends
# ---------------------------------------------------------------------------


def test_test_project_with_and_without_merge_values(api, validator):
    s = find_sendable(api)
    project = create(api, s, "SDK test sends (python)")
    stats = data(api.get_project_stats(project["id"]))
    assert stats["test"] == {k: 0 for k in TEST_COUNTERS} and stats["metrics"] == {k: 0 for k in METRICS}

    # Without merge_values a contact is sampled from the project's lists.
    answer = data(api.test_project(project["id"], [{"phone": "+15005550000"}]))
    assert validator.last("POST", "/test").status == 202
    assert (answer["project_id"], answer["status"], answer["tests_sent"]) == (project["id"], "awaiting_test", 1), answer
    [message] = answer["test_messages"]
    assert TEST_MESSAGE_ID.match(message["test_message_id"]) and message["sent_to"] == "+1500****000", message

    # With merge_values (and one contact without, in the same call).
    phones = ["+15555550100", "+16145550123"]
    answer = data(api.test_project(project["id"], [
        {"phone": phones[0], "merge_values": {"first_name": "Ada", "city": "Columbus"}},
        {"phone": phones[1]},
    ]))
    assert answer["tests_sent"] == 2 and len(answer["test_messages"]) == 2, answer
    assert [m["sent_to"] for m in answer["test_messages"]] == [mask(p) for p in phones]
    assert len({m["test_message_id"] for m in answer["test_messages"]} | {message["test_message_id"]}) == 3

    stats = data(api.get_project_stats(project["id"]))
    test = stats["test"]
    assert test["sent"] + test["delivered"] + test["failed"] == 3, f"three test sends, counted apart: {test}"
    assert stats["metrics"] == {k: 0 for k in METRICS}, "test sends never count in metrics"
    assert data(api.get_project(project["id"]))["status"] == "awaiting_test", "a test does not move the project"


def test_test_project_validation(api):
    s = find_sendable(api)
    project = create(api, s, "SDK test validation (python)")
    err = raises(lambda: api.test_project(project["id"], []), 400, "VALIDATION_ERROR")
    assert "test_contacts" in detail_fields(err)
    err = raises(lambda: api.test_project(project["id"], [{"phone": "+15555550100"}] * 51), 400, "VALIDATION_ERROR")
    assert "test_contacts" in detail_fields(err)
    assert data(api.test_project(project["id"], [{"phone": "+15555550100"}] * 50))["tests_sent"] == 50
    err = raises(lambda: api.test_project(project["id"], [{"phone": "6145550100"}, {"phone": "+442071234567"}]),
                 400, "VALIDATION_ERROR")
    assert all(f.startswith("test_contacts") for f in detail_fields(err)) and len(detail_fields(err)) == 2, err.body


# ---------------------------------------------------------------------------
# Schedule, unschedule, pause
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("local, zone", [
    ("2026-11-20T10:00:00", "America/Chicago"),
    ("2027-07-06T10:00:00", "America/New_York"),
    ("2026-11-20T10:00:00", "Pacific/Honolulu"),
])
def test_schedule_without_an_offset_is_400_showing_the_fixed_value(api, local, zone):
    """CONTRACT §7: `scheduled_at` must carry an explicit offset; the 400's message shows the fixed
    value: the same local time with the offset `scheduled_timezone` has then (DST included)."""
    s = find_sendable(api)
    project = create(api, s, f"SDK offset {zone} (python)")
    err = raises(lambda: api.schedule_project(project["id"], local, zone), 400, "VALIDATION_ERROR")
    [message] = [d["message"] for d in err.body["details"] if d["field"] == "scheduled_at"]
    assert re.search(re.escape(local) + r"[+-]\d{2}:\d{2}", message), f"no fixed value in {message!r}"
    fixed = offset_for(local, zone)
    assert fixed in message, f"the fixed value for {local} in {zone} is {fixed}; the message says {message!r}"
    assert data(api.get_project(project["id"]))["status"] == "awaiting_test"


def test_schedule_accepts_only_the_six_us_zones(api):
    s = find_sendable(api)
    project = create(api, s, "SDK zones (python)")
    err = raises(lambda: api.schedule_project(project["id"], "2026-11-20T10:00:00+00:00", "Europe/London"),
                 400, "VALIDATION_ERROR")
    assert "scheduled_timezone" in detail_fields(err)
    try:
        for zone in ZONES:
            answer = data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", zone))
            assert answer["scheduled_timezone"] == zone and answer["status"] == "scheduled", answer
    finally:
        release(api, project["id"])


def test_schedule_project_with_and_without_daily_cap_bypass(api, validator):
    s = find_sendable(api, numbers=1)
    project = create(api, s, "SDK schedule (python)")
    try:
        answer = data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
        assert validator.last("POST", "/schedule").status == 200
        assert answer == {"project_id": project["id"], "status": "scheduled", "scheduled_at": "2026-11-20T15:00:00.000Z",
                          "scheduled_timezone": "America/New_York", "daily_cap_bypass": False}, "false when omitted"
        detail = data(api.get_project(project["id"]))
        check_detail(detail)
        assert (detail["status"], detail["scheduled_at"], detail["scheduled_timezone"], detail["daily_cap_bypass"]) == (
            "scheduled", "2026-11-20T15:00:00.000Z", "America/New_York", False)
        # Its numbers are held now.
        assert s.numbers[0] in held_numbers(api)
        raises(lambda: api.create_project(**s.body("SDK same number (python)")), 409, "PHONE_NUMBER_UNAVAILABLE")

        answer = data(api.schedule_project(project["id"], "2026-11-21T09:30:00-06:00", "America/Chicago",
                                           daily_cap_bypass=True))
        assert (answer["scheduled_at"], answer["scheduled_timezone"], answer["daily_cap_bypass"]) == (
            "2026-11-21T15:30:00.000Z", "America/Chicago", True), answer
        assert data(api.get_project(project["id"]))["daily_cap_bypass"] is True
        # It holds only until the next schedule call rewrites it.
        answer = data(api.schedule_project(project["id"], "2026-11-21T09:30:00-06:00", "America/Chicago"))
        assert answer["daily_cap_bypass"] is False, answer
        assert data(api.get_project(project["id"]))["daily_cap_bypass"] is False
        answer = data(api.schedule_project(project["id"], "2026-11-21T09:30:00-06:00", "America/Chicago",
                                           daily_cap_bypass=False))
        assert answer["daily_cap_bypass"] is False
    finally:
        release(api, project["id"])


def test_schedule_refuses_sending_and_completed_projects(api, world, sending):
    for status, project in (("sending", sending), ("completed", seeded(world, "completed"))):
        with pytest.raises(PoliticalCommsError) as info:
            api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York")
        assert info.value.status_code == 409, info.value
        assert data(api.get_project(project["id"]))["status"] == status


def test_unschedule_returns_to_awaiting_test_and_is_safe_to_repeat(api, validator, now):
    s = find_sendable(api)
    project = create(api, s, "SDK unschedule (python)")
    data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
    first = data(api.unschedule_project(project["id"]))
    first_bytes = validator.last("POST", "/unschedule").content
    assert first == {"project_id": project["id"], "status": "awaiting_test", "unscheduled_at": now()}, first
    detail = data(api.get_project(project["id"]))
    assert (detail["status"], detail["scheduled_at"], detail["scheduled_timezone"]) == ("awaiting_test", None, None)
    assert s.numbers[0] not in held_numbers(api), "an unscheduled project still holds its number"
    # Repeating it is safe: 200 with the same answer.
    assert data(api.unschedule_project(project["id"])) == first
    assert validator.last("POST", "/unschedule").status == 200
    assert validator.last("POST", "/unschedule").content == first_bytes
    # A paused project goes back to awaiting_test too, its pause forgotten.
    data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
    data(api.pause_project(project["id"], reason="SDK pause then unschedule"))
    assert data(api.unschedule_project(project["id"]))["status"] == "awaiting_test"
    detail = data(api.get_project(project["id"]))
    assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("awaiting_test", None, False)


def test_unschedule_a_project_that_was_never_scheduled(api):
    """Safe on an awaiting_test project too; the answer still matches UnscheduleProjectResult
    (`unscheduled_at: string`, not nullable)."""
    s = find_sendable(api)
    project = create(api, s, "SDK never scheduled (python)")
    answer = data(api.unschedule_project(project["id"]))
    assert (answer["project_id"], answer["status"]) == (project["id"], "awaiting_test"), answer


def test_unschedule_refuses_sending_and_completed_projects(api, world, sending):
    for status, project in (("sending", sending), ("completed", seeded(world, "completed"))):
        with pytest.raises(PoliticalCommsError) as info:
            api.unschedule_project(project["id"])
        assert info.value.status_code == 409, info.value
        assert data(api.get_project(project["id"]))["status"] == status


def test_pause_project_with_a_reason_keeps_it_on_repeat(api, now):
    s = find_sendable(api)
    project = create(api, s, "SDK pause (python)")
    data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
    try:
        reason = "Waiting on counsel sign-off"
        answer = data(api.pause_project(project["id"], reason=reason))
        assert (answer["project_id"], answer["status"], answer["pause_reason"]) == (project["id"], "paused", reason)
        detail = data(api.get_project(project["id"]))
        check_detail(detail)
        assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("paused", reason, False)
        assert s.numbers[0] in held_numbers(api), "a paused project holds its numbers"
        # Already paused: 200 with the current pause_reason, whatever the new call says.
        assert data(api.pause_project(project["id"]))["pause_reason"] == reason
        assert data(api.pause_project(project["id"], reason="another reason"))["pause_reason"] == reason
        assert data(api.get_project(project["id"]))["pause_reason"] == reason
        # Scheduling a paused project resumes it.
        answer = data(api.schedule_project(project["id"], "2026-11-22T10:00:00-05:00", "America/New_York"))
        assert answer["status"] == "scheduled"
        detail = data(api.get_project(project["id"]))
        assert (detail["status"], detail["pause_reason"], detail["auto_paused"]) == ("scheduled", None, False)
        assert detail["scheduled_at"] == "2026-11-22T15:00:00.000Z"
    finally:
        release(api, project["id"])


def test_pause_without_a_reason_is_manual_and_reasons_are_1_to_100_characters(api):
    s = find_sendable(api, numbers=2)
    first = create(api, s, "SDK pause manual (python)")
    second = create(api, s, "SDK pause long reason (python)", phone_number_ids=s.numbers[1:2])
    try:
        data(api.schedule_project(first["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
        assert data(api.pause_project(first["id"]))["pause_reason"] == "manual", "omitted means manual"
        assert data(api.get_project(first["id"]))["pause_reason"] == "manual"

        data(api.schedule_project(second["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
        for bad in ("", "x" * 101):
            err = raises(lambda: api.pause_project(second["id"], reason=bad), 400, "VALIDATION_ERROR")
            assert "reason" in detail_fields(err)
        assert data(api.get_project(second["id"]))["status"] == "scheduled", "a refused pause paused it"
        assert data(api.pause_project(second["id"], reason="y" * 100))["pause_reason"] == "y" * 100
    finally:
        release(api, first["id"])
        release(api, second["id"])


def test_pause_needs_a_scheduled_or_sending_project(api, world):
    s = find_sendable(api)
    project = create(api, s, "SDK not pausable (python)")
    with pytest.raises(PoliticalCommsError) as info:
        api.pause_project(project["id"])
    assert info.value.status_code == 409, info.value
    assert data(api.get_project(project["id"]))["status"] == "awaiting_test"
    # The seeded auto-paused project: 200 with its current reason, still auto-paused.
    auto = next(p for p in (data(api.get_project(r["id"])) for r in world["projects"] if r["status"] == "paused")
                if p["auto_paused"])
    answer = data(api.pause_project(auto["project_id"], reason="SDK manual pause"))
    assert (answer["status"], answer["pause_reason"]) == ("paused", auto["pause_reason"]), answer
    after = data(api.get_project(auto["project_id"]))
    assert (after["pause_reason"], after["auto_paused"]) == (auto["pause_reason"], True)


# ---------------------------------------------------------------------------
# Copy
# ---------------------------------------------------------------------------


def test_copy_project_is_a_versioned_draft_without_lists_schedule_or_stats(api, validator):
    s = find_sendable(api)
    source = create(api, s, "SDK copy source (python)", opt_out_footer_enabled=False)
    data(api.test_project(source["id"], [{"phone": "+15555550100"}]))
    data(api.schedule_project(source["id"], "2026-11-20T10:00:00-05:00", "America/Denver", daily_cap_bypass=True))
    try:
        original = data(api.get_project(source["id"]))
        copy = data(api.copy_project(source["id"]))
        assert validator.last("POST", "/copy").status == 201
        assert PROJECT_ID.match(copy["project_id"]) and copy["id"] == copy["project_id"] != source["id"], copy
        assert copy == {
            "project_id": copy["id"], "id": copy["id"], "name": "SDK copy source (python)_v2", "type": "broadcast",
            "status": "draft", "channel": "10dlc", "created_via_api": True, "estimated_cost_cents": 0,
            "total_recipients": 0, "completeness": COMPLETENESS_DRAFT,
        }
        detail = data(api.get_project(copy["id"]))
        check_detail(detail)
        for field in ("organization_id", "channel", "brand_id", "campaign_id", "toll_free_verification_id",
                      "phone_number_ids", "protocol", "message_text", "opt_out_footer_enabled", "link_tracking_enabled",
                      "link_tracking_destination_url", "link_tracking_domain_id", "link_tracking_param_field"):
            assert detail[field] == original[field], f"the copy changed {field}: {detail[field]!r} != {original[field]!r}"
        assert detail["opt_out_footer_enabled"] is False
        assert (detail["contact_list_ids"], detail["scheduled_at"], detail["scheduled_timezone"], detail["pause_reason"]) == (
            [], None, None, None)
        stats = data(api.get_project_stats(copy["id"]))
        assert stats["metrics"] == {k: 0 for k in METRICS} and stats["test"] == {k: 0 for k in TEST_COUNTERS}
        # "X_v3" when "X_v2" is taken.
        assert data(api.copy_project(source["id"]))["name"] == "SDK copy source (python)_v3"
        assert data(api.get_project(source["id"])) == original, "copying changed the source"
    finally:
        release(api, source["id"])


def test_copy_of_a_completed_project_drops_its_stats(api, world):
    completed = seeded(world, "completed")
    assert data(api.get_project_stats(completed["id"]))["metrics"]["sent"] > 0
    copy = data(api.copy_project(completed["id"]))
    assert copy["status"] == "draft" and copy["name"].startswith(completed["name"] + "_v"), copy
    assert data(api.get_project_stats(copy["id"]))["metrics"] == {k: 0 for k in METRICS}
    assert data(api.get_project(completed["id"]))["status"] == "completed"


# ---------------------------------------------------------------------------
# Stats and throughput
# ---------------------------------------------------------------------------


def test_get_project_stats_of_the_seeded_world(api, world, now):
    problems = []
    for row in world["projects"]:
        stats = data(api.get_project_stats(row["id"]))
        assert (stats["project_id"], stats["status"]) == (row["id"], data(api.get_project(row["id"]))["status"])
        assert stats["as_of"] == now()
        m = stats["metrics"]
        assert all(isinstance(m[k], int) and m[k] >= 0 for k in METRICS), m
        assert all(isinstance(stats["test"][k], int) and stats["test"][k] >= 0 for k in TEST_COUNTERS)
        where = f"{row['name']} ({row['status']}) {m}"
        if m["delivered"] + m["undeliverable"] > m["sent"]:
            problems.append(f"{where}: delivered + undeliverable > sent")
        if m["clicks_unique"] > m["clicks_total"]:
            problems.append(f"{where}: more unique clicks than clicks")
        if m["replies"] > m["delivered"] or m["opt_outs"] > m["delivered"]:
            problems.append(f"{where}: more replies or opt-outs than delivered messages")
        if row["status"] in ("sending", "paused", "completed") and m["sent"] == 0:
            problems.append(f"{where}: has sent nothing")
        if row["status"] in ("draft", "awaiting_test") and m != {k: 0 for k in METRICS}:
            problems.append(f"{where}: production traffic before any send")
    assert not problems, "seeded project metrics that cannot be:\n" + "\n".join(problems)


def metered(api, campaign: dict) -> bool:
    return data(api.get_campaign_throughput(campaign["id"]))["t_mobile"] is not None


def test_get_project_throughput_of_an_unmetered_brand(api):
    s = find_sendable(api, accept=lambda c: not data(api.get_campaign_throughput(c["id"]))["carrier_metered"])
    project = create(api, s, "SDK throughput political (python)")
    answer = data(api.get_project_throughput(project["id"]))
    assert answer == {"project_id": project["id"], "carrier_metered": False, "t_mobile": None, "att": None}, (
        "recipients and carrier_coverage are present only when carrier_metered is true")


def test_get_project_throughput_with_and_without_the_bypass(api, advance, hosted):
    s = find_sendable(api, accept=lambda c: metered(api, c))
    lanes = data(api.get_campaign_throughput(s.campaign_id))
    cap, used = lanes["t_mobile"]["daily_cap"], lanes["t_mobile"]["used_today"]

    small = create(api, s, "SDK throughput small (python)")
    answer = data(api.get_project_throughput(small["id"]))
    recipients = data(api.get_project(small["id"]))["total_recipients"]
    assert (answer["project_id"], answer["carrier_metered"], answer["recipients"]) == (small["id"], True, recipients)
    assert 0 <= answer["carrier_coverage"] <= 1
    t = answer["t_mobile"]
    assert (t["daily_cap"], t["used_today"], t["remaining_today"]) == (cap, used, cap - used), (t, lanes)
    assert t["estimated_recipients"] <= recipients
    assert (t["will_pause"], t["estimated_send_days"]) == (False, 1), f"{recipients} recipients fit the cap: {t}"
    att = answer["att"]
    assert att["tpm"] == lanes["att"]["sms_tpm"], (att, lanes)
    assert att["estimated_recipients"] + t["estimated_recipients"] <= recipients
    # One-part text: parts per minute = recipients per minute.
    assert att["estimated_minutes"] == math.ceil(att["estimated_recipients"] / att["tpm"]), att

    # An audience over the T-Mobile cap: it will pause, and take days, unless the bypass is on.
    big = import_ready(api, advance, hosted["contacts-100k.csv"]["url"], "SDK 100k audience (python)", "phone",
                       organization_id=s.org_id)
    assert big["import"]["status"] == "ready", big["import"]
    project = create(api, s, "SDK throughput big (python)", contact_list_ids=[big["list_id"]])
    t = data(api.get_project_throughput(project["id"]))["t_mobile"]
    need = t["estimated_recipients"]
    assert need > cap - used, f"the 100k audience should exceed the T-Mobile cap: {t}"
    assert t["will_pause"] is True, t
    assert t["estimated_send_days"] == 1 + math.ceil((need - (cap - used)) / cap), t
    try:
        data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York", daily_cap_bypass=True))
        t = data(api.get_project_throughput(project["id"]))["t_mobile"]
        assert (t["will_pause"], t["estimated_send_days"]) == (False, 1), f"with daily_cap_bypass on: {t}"
        data(api.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
        assert data(api.get_project_throughput(project["id"]))["t_mobile"]["will_pause"] is True, "bypass rewritten"
    finally:
        release(api, project["id"])


# ---------------------------------------------------------------------------
# Organization states
# ---------------------------------------------------------------------------


def test_an_org_past_its_onboarding_grace_cannot_create(make_client, keys):
    client = make_client(keys["onboarding_incomplete"]["key"])
    before = data(client.list_projects())
    s = find_sendable(client)
    err = raises(lambda: client.create_project(**s.body("SDK onboarding (python)")), 403, "ONBOARDING_INCOMPLETE")
    details = err.body["details"]
    assert details["onboardingUrl"] == "/onboarding", details
    assert details["missingSteps"] and set(details["missingSteps"]) <= {"profile", "funding"}, details
    assert data(client.list_projects()) == before, "a refused create made a project"
    # Its seeded project cannot be copied either.
    raises(lambda: client.copy_project(before[0]["id"]), 403, "ONBOARDING_INCOMPLETE")


def test_an_org_with_sending_paused_cannot_create(make_client, keys):
    client = make_client(keys["sending_paused"]["key"])
    before = data(client.list_projects())
    s = find_sendable(client)
    err = raises(lambda: client.create_project(**s.body("SDK sending paused (python)")), 409, "SENDING_PAUSED")
    assert err.body["details"]["scope"] == "organization", err.body
    assert data(client.list_projects()) == before
    # Its seeded project cannot be tested or scheduled.
    pid = before[0]["id"]
    raises(lambda: client.test_project(pid, [{"phone": "+15005550000"}]), 409, "SENDING_PAUSED")
    raises(lambda: client.schedule_project(pid, "2026-11-20T10:00:00-05:00", "America/New_York"),
           409, "SENDING_PAUSED")


def test_an_org_at_zero_balance_can_create_but_not_test_or_schedule(make_client, keys):
    client = make_client(keys["zero_balance"]["key"])
    s = find_sendable(client)
    project = data(client.create_project(**s.body("SDK zero balance (python)")))
    assert project["status"] == "awaiting_test", project
    raises(lambda: client.test_project(project["id"], [{"phone": "+15005550000"}]), 402, "INSUFFICIENT_BALANCE")
    raises(lambda: client.schedule_project(project["id"], "2026-11-20T10:00:00-05:00", "America/New_York"),
           402, "INSUFFICIENT_BALANCE")
    detail = data(client.get_project(project["id"]))
    assert detail["status"] == "awaiting_test" and detail["scheduled_at"] is None
    assert data(client.get_project_stats(project["id"]))["test"]["sent"] == 0
    assert data(client.copy_project(project["id"]))["status"] == "draft", "copying needs no balance"
    assert s.numbers[0] not in held_numbers(client)
    assert all(p["status"] not in HOLDING for p in data(client.list_projects()))


def test_a_toll_free_project_names_its_verification_not_a_brand_or_campaign(make_client, keys):
    """CONTRACT §7: channel toll-free needs toll_free_verification_id and no brand_id / campaign_id;
    its numbers belong to that verification."""
    client = make_client(keys["zero_balance"]["key"])
    verification = data(client.list_toll_free_verifications())[0]
    numbers = [n["id"] for n in data(client.list_phone_numbers(channel="toll-free"))
               if n["toll_free_verification_id"] == verification["id"] and n["status"] == "active" and not n["shared"]]
    assert numbers, f"no active toll-free number of {verification['id']}"
    [list_row] = [r for r in data(client.list_contact_lists()) if r["org_id"] == verification["org_id"]][:1]
    args = dict(organization_id=verification["org_id"], name="SDK toll-free (python)", protocol="sms",
                message_text=MESSAGE, phone_number_ids=numbers[:1], contact_list_ids=[list_row["id"]], channel="toll-free",
                toll_free_verification_id=verification["id"])
    campaign = data(client.list_campaigns())[0]
    err = raises(lambda: client.create_project(**args, brand_id=campaign["brand_id"], campaign_id=campaign["id"]),
                 400, "VALIDATION_ERROR")
    assert {"brand_id", "campaign_id"} <= set(detail_fields(err)), err.body
    answer = data(client.create_project(**args))
    assert (answer["channel"], answer["status"]) == ("toll-free", "awaiting_test"), answer
    detail = data(client.get_project(answer["id"]))
    assert (detail["channel"], detail["toll_free_verification_id"], detail["brand_id"], detail["campaign_id"]) == (
        "toll-free", verification["id"], None, None)
    row = next(r for r in data(client.list_projects()) if r["id"] == answer["id"])
    assert (row["toll_free_verification_id"], row["campaign_name"], row["brand_name"]) == (verification["id"], None, None)


def test_a_list_being_analyzed_is_409_on_create_patch_and_schedule(api, advance, hosted):
    """CONTRACT §7 (and the create/update/schedule docstrings): 409 LIST_ANALYSIS_IN_PROGRESS while a
    list on the project is being analyzed."""
    s = find_sendable(api)
    fresh = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK analyzing (python)", "phone",
                         organization_id=s.org_id)
    assert fresh["import"]["status"] == "ready", fresh["import"]
    waiting = create(api, s, "SDK analyzing schedule (python)", contact_list_ids=[fresh["list_id"]])
    other = create(api, s, "SDK analyzing patch (python)")
    assert data(api.analyze_contact_list(fresh["list_id"]))["analysis"]["status"] == "processing"
    raises(lambda: api.create_project(**s.body("SDK analyzing create (python)", contact_list_ids=[fresh["list_id"]])),
           409, "LIST_ANALYSIS_IN_PROGRESS")
    raises(lambda: api.update_project(other["id"], contact_list_ids=[fresh["list_id"]]), 409, "LIST_ANALYSIS_IN_PROGRESS")
    raises(lambda: api.schedule_project(waiting["id"], "2026-11-20T10:00:00-05:00", "America/New_York"),
           409, "LIST_ANALYSIS_IN_PROGRESS")
    assert data(api.get_project(waiting["id"]))["status"] == "awaiting_test"
    assert analysis_done(api, advance, fresh["list_id"])["analysis"]["status"] == "complete"
    try:
        assert data(api.schedule_project(waiting["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))["status"] == "scheduled"
    finally:
        release(api, waiting["id"])
