"""The validator itself, offline: it must reject what the contract forbids, or the suite proves nothing."""

from __future__ import annotations

import json

import httpx
import pytest
from political_comms import PoliticalCommsClient, PoliticalCommsError

from support import ContractValidator, ValidatingTransport

HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_1",
    "x-ratelimit-limit": "100",
    "x-ratelimit-remaining": "99",
    "x-ratelimit-reset": "1793732400",
}
ORG = {
    "id": "org_01JC0000000000000000000000",
    "display_name": "Agency",
    "parent_org_name": None,
    "status": "active",
    "created_at": "2026-05-07T18:00:00.000Z",
}


@pytest.fixture(scope="module")
def v() -> ContractValidator:
    return ContractValidator()


def problems(v, method, path, status, body, **headers):
    h = httpx.Headers({**HEADERS, **headers})
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return v.problems(method, path, status, h, content)


def test_a_conforming_list_passes(v):
    assert problems(v, "GET", "/v1/organizations", 200, {"success": True, "data": [ORG]}) == []


def test_a_missing_documented_field_fails(v):
    org = {k: val for k, val in ORG.items() if k != "parent_org_name"}
    found = problems(v, "GET", "/v1/organizations", 200, {"success": True, "data": [org]})
    assert any("parent_org_name" in p for p in found), found


def test_a_wrong_type_and_a_non_nullable_null_fail(v):
    assert problems(v, "GET", "/v1/organizations", 200, {"success": True, "data": [{**ORG, "status": 1}]})
    assert problems(v, "GET", "/v1/organizations", 200, {"success": True, "data": [{**ORG, "id": None}]})


def test_extra_fields_are_allowed(v):
    assert problems(v, "GET", "/v1/organizations", 200, {"success": True, "data": [{**ORG, "tier": 2}]}) == []


def test_tracking_domains_discriminate_on_source(v):
    inherited = {"id": "td_01JC0000000000000000000000", "domain": "links.example.org", "source": "inherited"}
    own = {**inherited, "source": "own", "status": "active", "created_at": ORG["created_at"], "verified_at": None}
    assert problems(v, "GET", "/v1/tracking-domains", 200, {"success": True, "data": [inherited, own]}) == []
    own_missing = {k: val for k, val in own.items() if k != "verified_at"}
    assert problems(v, "GET", "/v1/tracking-domains", 200, {"success": True, "data": [own_missing]})
    assert problems(v, "GET", "/v1/tracking-domains", 200, {"success": True, "data": [{**inherited, "source": "x"}]})


def test_conditional_fields_may_be_absent(v):
    schema = v.definitions["ContactListAnalysisSection"]
    assert "breakdown" not in schema["required"] and "status" in schema["required"]
    assert "questions" not in v.definitions["ProjectDetail"]["required"]


def test_the_literal_route_wins_over_the_template(v):
    assert v.route_for("GET", "/projects/stats")["path"] == "/projects/stats"
    assert v.route_for("GET", "/projects/proj_1")["path"] == "/projects/{id}"
    assert v.route_for("GET", "/campaigns/camp_1/throughput")["path"] == "/campaigns/{id}/throughput"


def test_campaign_throughput_schema_from_the_python_docstring(v):
    ok = {"campaign_id": "camp_1", "carrier_metered": True,
          "t_mobile": {"daily_cap": 2000, "used_today": None, "remaining_today": None, "pacific_day": "2026-11-03"},
          "att": None}
    path = "/v1/campaigns/camp_1/throughput"
    assert problems(v, "GET", path, 200, {"success": True, "data": ok}) == []
    assert problems(v, "GET", path, 200, {"success": True, "data": {**ok, "t_mobile": {**ok["t_mobile"], "daily_cap": 1.5}}})
    assert problems(v, "GET", path, 200, {"success": True, "data": {k: x for k, x in ok.items() if k != "att"}})


ANALYZE = "/v1/contact-lists/cl_1/analyze"
QUEUED = {"list_id": "cl_1", "analysis": {"status": "processing", "numbers_queued": 23, "estimated_completion_seconds": 1},
          "cost_cents": 6.9}
COMPLETE = {"list_id": "cl_1", "analysis": {"status": "complete"}, "cost_cents": 0}


def test_analyze_answers_by_status(v):
    """202 matches the d.ts ('processing'); 200 only the documented 'complete', cost 0 (STATUS_VARIANTS)."""
    assert problems(v, "POST", ANALYZE, 202, {"success": True, "data": QUEUED}) == []
    assert problems(v, "POST", ANALYZE, 200, {"success": True, "data": COMPLETE}) == []
    assert problems(v, "POST", ANALYZE, 202, {"success": True, "data": COMPLETE}), "'complete' is a 200 answer only"
    assert problems(v, "POST", ANALYZE, 200, {"success": True, "data": QUEUED}), "a 200 must be 'complete'"
    assert problems(v, "POST", ANALYZE, 200, {"success": True, "data": {**COMPLETE, "cost_cents": 5}}), "200 costs 0"
    assert problems(v, "POST", ANALYZE, 202, {"success": True, "data": {k: x for k, x in QUEUED.items() if k != "cost_cents"}})


def test_python_documented_fields_are_required(v):
    assert "available_merge_tags" in v.definitions["ContactListDetail"]["required"]
    tag = v.definitions["ContactListDetail"]["properties"]["available_merge_tags"]["items"]
    assert set(tag["required"]) == {"merge_tag", "csv_column", "standard"}
    assert "cost_cents" in v.definitions["ContactListAnalysisResult"]["required"]


def test_the_csv_download_is_checked_by_content_type(v):
    path = "/v1/contact-lists/cl_1/download"
    assert problems(v, "GET", path, 200, b"phone_number\n+15005550000\n", **{"content-type": "text/csv; charset=utf-8"}) == []
    assert problems(v, "GET", path, 200, {"success": True, "data": "phone_number\n"}), "the download is CSV, not JSON"
    assert problems(v, "GET", path, 200, b"x\n", **{"content-type": "text/csv", "x-ratelimit-limit": ""})
    conflict = {"success": False, "error": "Not yet.", "code": "ANALYSIS_NOT_COMPLETE", "statusCode": 409}
    assert problems(v, "GET", path, 409, conflict) == []
    assert problems(v, "GET", path, 409, b"Not yet", **{"content-type": "text/plain"}), "errors stay JSON envelopes"


def test_error_envelope(v):
    good = {"success": False, "error": "Invalid API key.", "code": "INVALID_API_KEY", "statusCode": 401,
            "correlationId": "req_1"}
    assert problems(v, "GET", "/v1/brands", 401, good) == []
    assert problems(v, "GET", "/v1/brands", 403, good), "statusCode must equal the HTTP status"
    assert problems(v, "GET", "/v1/brands", 401, {k: x for k, x in good.items() if k != "code"})
    assert problems(v, "GET", "/v1/brands", 401, {"error": "Unauthorized", "message": "no"})
    assert problems(v, "GET", "/v1/brands", 401, b"<html>Unauthorized</html>", **{"content-type": "text/html"})


def test_429_needs_retry_after(v):
    body = {"success": False, "error": "Too many requests.", "code": "RATE_LIMIT_EXCEEDED", "statusCode": 429,
            "retryAfter": 60}
    assert problems(v, "GET", "/v1/brands", 429, body, **{"retry-after": "60"}) == []
    assert problems(v, "GET", "/v1/brands", 429, body)
    assert problems(v, "GET", "/v1/brands", 429, {**body, "retryAfter": "60"}, **{"retry-after": "60"})


def test_headers_the_contract_promises(v):
    ok = {"success": True, "data": [ORG]}
    assert problems(v, "GET", "/v1/organizations", 200, ok, **{"x-request-id": ""})
    assert problems(v, "GET", "/v1/organizations", 200, ok, **{"x-ratelimit-reset": ""})


def test_a_success_on_a_route_without_schema_fails(v):
    found = problems(v, "GET", "/v1/nonexistent", 200, {"success": True, "data": {}})
    assert any("no schema" in p for p in found)


def test_the_sdk_sees_violations_through_the_transport(v):
    def handler(request: httpx.Request) -> httpx.Response:
        org = {k: val for k, val in ORG.items() if k != "status"}
        return httpx.Response(200, headers=HEADERS, json={"success": True, "data": [org]})

    client = PoliticalCommsClient(
        api_key="pc_test_AAAAAAAAAAAAAAAAAAAAAAAA", base_url="http://127.0.0.1:9/v1", max_retries=0,
        transport=ValidatingTransport(v, inner=httpx.MockTransport(handler)),
    )
    before = len(v.violations)
    with pytest.raises(AssertionError, match="status"):
        client.list_organizations()
    del v.violations[before:]  # expected here; keep the autouse guard quiet


def test_the_sdk_still_raises_its_own_error_for_a_conforming_error(v):
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"success": False, "error": "Invalid API key.", "code": "INVALID_API_KEY", "statusCode": 401}
        return httpx.Response(401, headers=HEADERS, json=body)

    client = PoliticalCommsClient(
        api_key="pc_test_AAAAAAAAAAAAAAAAAAAAAAAA", base_url="http://127.0.0.1:9/v1", max_retries=0,
        transport=ValidatingTransport(v, inner=httpx.MockTransport(handler)),
    )
    with pytest.raises(PoliticalCommsError) as err:
        client.list_organizations()
    assert (err.value.status_code, err.value.code) == (401, "INVALID_API_KEY")
