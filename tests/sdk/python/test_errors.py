"""Auth, rate limits, permissions, scoping and validation errors as the Python SDK surfaces them (CONTRACT §2)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from political_comms import PoliticalCommsError

from support import API_KEY, parse_ts

UNKNOWN_TFV = "tfv_00000000000000000000000000"


def raises(call, status: int, code: str) -> PoliticalCommsError:
    with pytest.raises(PoliticalCommsError) as info:
        call()
    err = info.value
    assert (err.status_code, err.code) == (status, code), f"expected {status} {code}, got {err.status_code} {err.code}: {err}"
    assert isinstance(err.body, dict) and err.body.get("statusCode") == status
    return err


def subtree_ids(node: dict) -> set[str]:
    out, todo = set(), [node]
    while todo:
        n = todo.pop()
        out.add(n["id"])
        todo.extend(n["childOrganizations"])
    return out


def find_node(node: dict, org_id: str) -> dict:
    todo = [node]
    while todo:
        n = todo.pop()
        if n["id"] == org_id:
            return n
        todo.extend(n["childOrganizations"])
    raise AssertionError(f"{org_id} not in the tree")


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------


def test_seeded_keys_are_well_formed(keys):
    for role, record in keys.items():
        assert API_KEY.match(record["key"]), record
        assert record["role"] == role
        assert isinstance(record["name"], str) and record["name"]
        assert record["revoked"] is (role == "revoked"), record
        assert set(record["scopes"]) <= {"read", "write"}
    assert keys["read_only"]["scopes"] == ["read"]
    assert "write" in keys["root"]["scopes"]
    assert keys["elevated"]["rate_limit"] == {"limit": 100000, "window_seconds": 3600}
    main = keys["root"]["organization_id"]
    for role in ("read_only", "revoked", "elevated"):
        assert keys[role]["organization_id"] == main, f"the {role} key is not a root-org key"
    for role in ("onboarding_incomplete", "zero_balance", "sending_paused"):
        assert keys[role]["organization_id"] != main


@pytest.mark.parametrize(
    "bad_key",
    ["pc_live_AAAAAAAAAAAAAAAAAAAAAAAA", "pc_test_zzzzzzzzzzzzzzzzzzzzzzzz", "not-a-key", "pc_live_short"],
)
def test_unknown_or_malformed_key_is_401_invalid_api_key(make_client, bad_key):
    raises(make_client(bad_key).list_organizations, 401, "INVALID_API_KEY")


def test_revoked_key_is_401_invalid_api_key(make_client, keys):
    client = make_client(keys["revoked"]["key"])
    raises(client.list_organizations, 401, "INVALID_API_KEY")
    raises(client.list_brands, 401, "INVALID_API_KEY")


# ---------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------


def test_per_key_rate_limit_of_three_then_429(control, make_client, keys):
    org_id = keys["root"]["organization_id"]
    record = control(
        "POST", "/keys",
        {"organization_id": org_id, "scopes": ["read"], "rate_limit": {"limit": 3, "window_seconds": 3600},
         "name": "sdk-contract rate limit (python)"},
    )
    assert API_KEY.match(record["key"])
    assert record["organization_id"] == org_id
    assert record["rate_limit"] == {"limit": 3, "window_seconds": 3600}
    assert record["role"] == "custom" and record["revoked"] is False
    assert record["key"] in {k["key"] for k in control("GET", "/keys")}

    now = int(parse_ts(control("GET", "/clock")["now"]).timestamp())
    client = make_client(record["key"])
    assert client.last_rate_limit is None
    resets = set()
    for remaining in (2, 1, 0):
        assert client.list_organizations()["data"], "the rate-limited key sees no organizations"
        state = client.last_rate_limit
        assert state is not None, "no X-RateLimit-* headers"
        assert (state.limit, state.remaining) == (3, remaining)
        assert now < state.reset <= now + 3600, f"reset {state.reset} not within the window after {now}"
        resets.add(state.reset)
    assert len(resets) == 1, f"a fixed window has one reset time, got {sorted(resets)}"

    err = raises(client.list_organizations, 429, "RATE_LIMIT_EXCEEDED")
    assert 0 < err.body["retryAfter"] <= 3600
    assert client.last_rate_limit.limit == 3 and client.last_rate_limit.remaining == 0
    # The limit is the key's own: another key of the same org is unaffected.
    assert make_client(keys["elevated"]["key"]).list_organizations()["data"]


# ---------------------------------------------------------------------------
# Permissions and the email early-access surface
# ---------------------------------------------------------------------------


def test_read_only_key_reads_but_cannot_write(make_client, keys):
    client = make_client(keys["read_only"]["key"])
    assert client.list_organizations()["data"]
    raises(lambda: client.create_email_list("Volunteers", {"source": "signup_form"}), 403, "PERMISSION_DENIED")


EMAIL_CALLS = {
    "list_email_domains": lambda c: c.list_email_domains(limit=10),
    "get_email_domain": lambda c: c.get_email_domain("edom_1"),
    "list_email_senders": lambda c: c.list_email_senders(),
    "get_email_sender": lambda c: c.get_email_sender("esnd_1"),
    "list_email_lists": lambda c: c.list_email_lists(),
    "get_email_list": lambda c: c.get_email_list("elst_1"),
    "create_email_list": lambda c: c.create_email_list("Volunteers", {"source": "signup_form"}),
    "list_email_list_contacts": lambda c: c.list_email_list_contacts("elst_1"),
    "add_email_list_contacts": lambda c: c.add_email_list_contacts("elst_1", [{"email": "a@example.com"}]),
    "list_email_suppressions": lambda c: c.list_email_suppressions(),
    "add_email_suppressions": lambda c: c.add_email_suppressions("org", ["a@example.com"]),
    "remove_email_suppressions": lambda c: c.remove_email_suppressions("org", ["a@example.com"]),
    "list_email_campaigns": lambda c: c.list_email_campaigns(),
    "get_email_campaign": lambda c: c.get_email_campaign("ecmp_1"),
    "create_email_campaign": lambda c: c.create_email_campaign("GOTV", "esnd_1", ["elst_1"], subject="Vote"),
    "schedule_email_campaign": lambda c: c.schedule_email_campaign("ecmp_1"),
    "unschedule_email_campaign": lambda c: c.unschedule_email_campaign("ecmp_1"),
    "get_email_campaign_stats": lambda c: c.get_email_campaign_stats("ecmp_1"),
    "list_email_templates": lambda c: c.list_email_templates(),
    "get_email_template": lambda c: c.get_email_template("etpl_1"),
    "create_email_template": lambda c: c.create_email_template("T", {"subject": "Hi", "html": "<p>Hi</p>"}),
    "start_email_list_import": lambda c: c.start_email_list_import(
        "https://example.com/list.csv", {"source": "signup_form"}
    ),
}


def test_email_calls_cover_every_email_method_of_the_sdk():
    from support import SDK_METHODS

    assert set(EMAIL_CALLS) == {m for m in SDK_METHODS if "email" in m}
    assert len(EMAIL_CALLS) == 22


@pytest.mark.parametrize("method", sorted(EMAIL_CALLS))
def test_email_operations_are_early_access(root, method):
    err = raises(lambda: EMAIL_CALLS[method](root), 403, "EMAIL_EARLY_ACCESS")
    assert err.body["error"]


# ---------------------------------------------------------------------------
# Scoping
# ---------------------------------------------------------------------------


def test_child_key_sees_only_its_subtree(make_client, keys, api):
    tree = api.get_hierarchy()["data"]
    for role in ("child", "grandchild"):
        org_id = keys[role]["organization_id"]
        expected = subtree_ids(find_node(tree, org_id))
        client = make_client(keys[role]["key"])
        seen = {o["id"] for o in client.list_organizations()["data"]}
        assert seen == expected, f"{role} key sees {sorted(seen)}, its subtree is {sorted(expected)}"
        assert keys["root"]["organization_id"] not in seen
        own_tree = client.get_hierarchy()["data"]
        assert own_tree["id"] == org_id and subtree_ids(own_tree) == expected
        assert {b["org_id"] for b in client.list_brands()["data"]} <= expected


def test_filtering_on_an_org_outside_the_keys_tree_is_403(make_client, keys):
    child = make_client(keys["child"]["key"])
    root_org = keys["root"]["organization_id"]
    calls = {
        "list_brands": lambda: child.list_brands(organization_id=root_org),
        "list_campaigns": lambda: child.list_campaigns(organization_id=root_org),
        "list_tracking_domains": lambda: child.list_tracking_domains(organization_id=root_org),
        "list_phone_numbers": lambda: child.list_phone_numbers(organization_id=root_org),
        "list_toll_free_verifications": lambda: child.list_toll_free_verifications(organization_id=root_org),
        "get_hierarchy": lambda: child.get_hierarchy(organization_id=root_org),
    }
    for name, call in calls.items():
        try:
            raises(call, 403, "ORG_ACCESS_DENIED")
        except AssertionError as e:
            raise AssertionError(f"{name}(organization_id=<root org>) with the child key: {e}") from e
    # A separate tree is just as foreign, and an org that does not exist looks the same.
    other = make_client(keys["onboarding_incomplete"]["key"])
    raises(lambda: other.list_brands(organization_id=root_org), 403, "ORG_ACCESS_DENIED")
    raises(lambda: child.list_brands(organization_id="org_00000000000000000000000000"), 403, "ORG_ACCESS_DENIED")


def test_a_child_key_filters_on_its_own_descendants(make_client, keys):
    child = make_client(keys["child"]["key"])
    grandchild_org = keys["grandchild"]["organization_id"]
    assert child.get_hierarchy(organization_id=grandchild_org)["data"]["id"] == grandchild_org
    assert all(b["org_id"] == grandchild_org for b in child.list_brands(organization_id=grandchild_org)["data"])


def test_a_resource_of_another_tree_is_404_like_a_missing_one(make_client, keys, api):
    tfv_id = api.list_toll_free_verifications()["data"][0]["id"]
    other = make_client(keys["onboarding_incomplete"]["key"])
    assert tfv_id not in {t["id"] for t in other.list_toll_free_verifications()["data"]}
    foreign = raises_any_404(lambda: other.get_toll_free_verification(tfv_id))
    missing = raises_any_404(lambda: other.get_toll_free_verification(UNKNOWN_TFV))
    assert foreign.code == missing.code, "a foreign id must look exactly like a missing one"
    assert tfv_id not in str(foreign.body), "the 404 reveals the foreign id"
    main_orgs = {o["id"] for o in api.list_organizations()["data"]}
    assert not main_orgs & {o["id"] for o in other.list_organizations()["data"]}, "trees overlap"


def test_an_ancestors_resource_is_404_for_a_child_key(make_client, keys, api):
    child_org = keys["child"]["organization_id"]
    tree = api.get_hierarchy()["data"]
    reach = subtree_ids(find_node(tree, child_org))
    outside = [t for t in api.list_toll_free_verifications()["data"] if t["org_id"] not in reach]
    if not outside:
        pytest.skip("every toll-free verification of the main tree is inside the child's subtree")
    raises_any_404(lambda: make_client(keys["child"]["key"]).get_toll_free_verification(outside[0]["id"]))


def raises_any_404(call) -> PoliticalCommsError:
    with pytest.raises(PoliticalCommsError) as info:
        call()
    err = info.value
    assert err.status_code == 404, f"expected 404, got {err.status_code} {err.code}"
    assert err.code.endswith("NOT_FOUND"), err.code
    return err


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda c: c.list_phone_numbers(channel="fax"), "channel"),
        (lambda c: c.list_phone_numbers(owner_type="landlord"), "owner_type"),
        (lambda c: c.list_toll_free_verifications(status="verified"), "status"),
    ],
    ids=["channel=fax", "owner_type=landlord", "status=verified"],
)
def test_unknown_enum_filter_value_is_400_validation_error(api, call, field):
    err = raises(lambda: call(api), 400, "VALIDATION_ERROR")
    details = err.body.get("details")
    assert isinstance(details, list) and details, f"no details: {err.body}"
    assert all(isinstance(d.get("field"), str) and isinstance(d.get("message"), str) for d in details)
    assert any(field in d["field"] for d in details), details


def test_sandbox_clock_is_manual_and_frozen_at_the_start(sandbox, control):
    # Read when the session's sandbox started: the list and media tests advance the clock later.
    assert sandbox.started_clock["mode"] == "manual"
    assert parse_ts(sandbox.started_clock["now"]) == datetime(2026, 11, 3, 18, 0, tzinfo=timezone.utc)
    clock = control("GET", "/clock")
    assert clock["mode"] == "manual"
    assert control("GET", "/clock")["now"] == clock["now"], "a manual clock does not move by itself"
