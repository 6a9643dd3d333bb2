"""LRN analysis and CSV downloads of contact lists (CONTRACT §3 magic numbers, §5) through the
Python SDK: analyze_contact_list (202 queued, 202 cost 0 while running, 200 complete when
nothing is left, 402, 409), the magic numbers' line types, download_contact_list (original and
analyzed CSV, parsed), and an idempotent analyze retry that is not charged twice.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

from listkit import (
    ANALYZED_COLUMNS, E164, MAGIC_BAD, MAGIC_LINE_TYPE, MAGIC_OPTED_OUT, MIXED_COUNTERS, MIXED_PHONE_COLUMN,
    analysis_done, expected_contacts, import_ready, parse_csv, phone_column_of, raises,
)

SEEDED_WITH_MAGIC = ("Franklin County Likely Voters", "Ward 3 Canvass Universe", "Arizona Petition Signers")


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


@pytest.fixture(scope="module")
def mixed_csv(sandbox, hosted) -> str:
    return sandbox.fetch(hosted["contacts-mixed.csv"]["url"]).text


@pytest.fixture(scope="module")
def mixed_list(api, advance, hosted) -> dict:
    """contacts-mixed.csv imported and ready, not analyzed."""
    detail = import_ready(api, advance, hosted["contacts-mixed.csv"]["url"], "SDK analysis (python)", MIXED_PHONE_COLUMN)
    assert detail["import"]["status"] == "ready", detail["import"]
    return detail


def by_name(api) -> dict[str, str]:
    return {row["name"]: row["id"] for row in data(api.list_contact_lists())}


# ---------------------------------------------------------------------------
# The original download
# ---------------------------------------------------------------------------


def test_download_original_has_each_clean_contact_once_in_e164(api, mixed_list, mixed_csv, validator):
    expected = expected_contacts(mixed_csv, MIXED_PHONE_COLUMN)
    assert len(expected) == MIXED_COUNTERS["clean_contacts"], "the test's own reading of the sample disagrees"
    text = api.download_contact_list(mixed_list["list_id"], "original")
    exchange = validator.last("GET", f"/contact-lists/{mixed_list['list_id']}/download")
    assert exchange.status == 200 and exchange.headers["content-type"].startswith("text/csv")

    header, rows = parse_csv(text)
    source_header = mixed_csv.splitlines()[0].split(",")
    assert set(source_header) <= set(header), f"original columns missing from {header}"
    phone = phone_column_of(header, rows)
    phones = [r[phone] for r in rows]
    assert all(E164.match(p) for p in phones)
    assert len(phones) == len(set(phones)), f"contacts listed twice: {[p for p, n in Counter(phones).items() if n > 1]}"
    assert set(phones) == set(expected), (
        f"missing {sorted(set(expected) - set(phones))}, unexpected {sorted(set(phones) - set(expected))}"
    )
    assert MAGIC_BAD not in phones and MAGIC_OPTED_OUT not in phones
    # The original row survives intact, quoted multi-line values included; the first of duplicates wins.
    for r in rows:
        source = expected[r[phone]]
        for column in source_header:
            assert r[header.index(column)] == source[column], f"{r[phone]}: column {column!r} changed"


def test_download_needs_a_known_type(api, mixed_list):
    err = raises(lambda: api.download_contact_list(mixed_list["list_id"], "everything"), 400, "VALIDATION_ERROR")
    assert any("type" in d["field"] for d in err.body["details"]), err.body


# ---------------------------------------------------------------------------
# Analysis of the mixed sample, step by step on the manual clock
# ---------------------------------------------------------------------------


def test_analyze_before_the_import_is_ready_is_409(api, hosted):
    list_id = data(api.import_contact_list(hosted["contacts-clean.csv"]["url"], "SDK not ready", "phone"))["list_id"]
    raises(lambda: api.analyze_contact_list(list_id), 409, "LIST_NOT_READY")
    assert data(api.get_contact_list(list_id))["analysis"]["status"] == "not_started"


def test_analyze_queues_charges_then_completes(api, advance, mixed_list, validator):
    list_id = mixed_list["list_id"]
    assert mixed_list["analysis"] == {"status": "not_started", "analyzed_numbers": 0}
    raises(lambda: api.download_contact_list(list_id, "analyzed"), 409, "ANALYSIS_NOT_COMPLETE")

    queued = data(api.analyze_contact_list(list_id))
    assert validator.last("POST", f"/contact-lists/{list_id}/analyze").status == 202
    clean = MIXED_COUNTERS["clean_contacts"]
    assert queued["list_id"] == list_id
    assert queued["analysis"]["status"] == "processing"
    assert queued["analysis"]["numbers_queued"] == clean
    assert queued["analysis"]["estimated_completion_seconds"] == math.ceil(clean / 1000)
    assert queued["cost_cents"] > 0, "analysis is billable"

    again = data(api.analyze_contact_list(list_id))
    assert validator.last("POST", f"/contact-lists/{list_id}/analyze").status == 202
    assert again["analysis"]["status"] == "processing" and again["cost_cents"] == 0, "a run in progress: 202, cost 0"
    assert again["analysis"]["numbers_queued"] == clean

    running = data(api.get_contact_list(list_id))
    assert running["analysis"]["status"] == "processing"
    raises(lambda: api.download_contact_list(list_id, "analyzed"), 409, "ANALYSIS_NOT_COMPLETE")

    done = analysis_done(api, advance, list_id)
    analysis = done["analysis"]
    assert analysis["status"] == "complete", analysis
    assert analysis["analyzed_numbers"] == clean
    assert set(analysis["breakdown"]) >= {"mobile", "landline", "voip", "invalid"}
    assert sum(analysis["breakdown"][k] for k in ("mobile", "landline", "voip", "invalid")) == clean

    finished = data(api.analyze_contact_list(list_id))
    assert validator.last("POST", f"/contact-lists/{list_id}/analyze").status == 200, "nothing left: 200"
    assert finished["analysis"]["status"] == "complete" and finished["cost_cents"] == 0
    assert data(api.get_contact_list(list_id))["analysis"] == analysis, "a no-op analyze changed the results"


def test_download_analyzed_gives_the_magic_numbers_line_types(api, advance, mixed_list):
    list_id = mixed_list["list_id"]
    if data(api.get_contact_list(list_id))["analysis"]["status"] == "not_started":  # run on its own (-k)
        data(api.analyze_contact_list(list_id))
    detail = analysis_done(api, advance, list_id)
    assert detail["analysis"]["status"] == "complete"
    header, rows = parse_csv(api.download_contact_list(list_id, "analyzed"))
    original_header, original_rows = parse_csv(api.download_contact_list(list_id, "original"))
    # The original columns come first; one named like an added column keeps its values under
    # original_<name> so that readers keying rows by header lose nothing.
    renamed = [f"original_{h}" if h.strip().lower() in ANALYZED_COLUMNS else h for h in original_header]
    assert header[: len(original_header)] == renamed, "analyzed = the original columns, then the analysis"
    assert header[len(original_header):] == ANALYZED_COLUMNS
    assert [r[: len(original_header)] for r in rows] == original_rows
    phone = phone_column_of(original_header, original_rows)
    added = {name: len(original_header) + i for i, name in enumerate(ANALYZED_COLUMNS)}
    types = {r[phone]: r[added["phone_type"]] for r in rows}

    for number, line_type in MAGIC_LINE_TYPE.items():
        assert types.get(number) == line_type, f"{number}: {types.get(number)!r}, CONTRACT §3 says {line_type}"
    assert MAGIC_BAD not in types and MAGIC_OPTED_OUT not in types
    for r in rows:
        assert r[added["phone_type"]] in ("mobile", "landline", "voip", "invalid"), r
        assert r[added["is_mobile"]] == ("true" if r[added["phone_type"]] == "mobile" else "false"), r
        assert r[added["opted_out"]] == "false", "opted-out numbers are excluded at import"
        assert r[added["carrier"]], f"{r[phone]}: no carrier"
    breakdown = detail["analysis"]["breakdown"]
    counted = Counter(types.values())
    assert {k: breakdown[k] for k in ("mobile", "landline", "voip", "invalid")} == {
        k: counted.get(k, 0) for k in ("mobile", "landline", "voip", "invalid")
    }, "the breakdown and the analyzed CSV disagree"


# ---------------------------------------------------------------------------
# The seeded lists that carry the magic numbers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEEDED_WITH_MAGIC)
def test_seeded_lists_analyze_the_magic_numbers(api, advance, validator, name):
    list_id = by_name(api)[name]
    before = data(api.get_contact_list(list_id))
    assert before["import"]["status"] == "ready"
    answer = data(api.analyze_contact_list(list_id))
    status = validator.last("POST", f"/contact-lists/{list_id}/analyze").status
    if before["analysis"]["status"] == "complete":
        assert status == 200 and answer["analysis"]["status"] == "complete" and answer["cost_cents"] == 0
    else:
        assert status == 202 and answer["analysis"]["status"] == "processing", answer
        assert answer["analysis"]["numbers_queued"] == before["import"]["clean_contacts"] - before["analysis"]["analyzed_numbers"]
    detail = analysis_done(api, advance, list_id)
    assert detail["analysis"]["status"] == "complete"
    assert detail["analysis"]["analyzed_numbers"] == detail["import"]["clean_contacts"]

    header, rows = parse_csv(api.download_contact_list(list_id, "analyzed"))
    assert header[-len(ANALYZED_COLUMNS):] == ANALYZED_COLUMNS
    phone = phone_column_of(header, rows)
    type_index = len(header) - len(ANALYZED_COLUMNS)
    types = {r[phone]: r[type_index] for r in rows}
    assert len(rows) == detail["import"]["clean_contacts"]
    for number, line_type in MAGIC_LINE_TYPE.items():
        assert types.get(number) == line_type, f"{name}: {number} is {types.get(number)!r}, CONTRACT §3 says {line_type}"
    assert MAGIC_BAD not in types and MAGIC_OPTED_OUT not in types


def test_analyze_without_balance_is_402_with_nothing_queued(make_client, keys):
    client = make_client(keys["zero_balance"]["key"])
    list_id = by_name(client)["Lakeside Neighbors"]
    before = data(client.get_contact_list(list_id))
    assert before["import"]["status"] == "ready"
    assert before["analysis"]["status"] != "processing"
    raises(lambda: client.analyze_contact_list(list_id), 402, "INSUFFICIENT_BALANCE")
    assert data(client.get_contact_list(list_id))["analysis"] == before["analysis"], "a refused analysis queued work"


# ---------------------------------------------------------------------------
# An analyze retried with the same Idempotency-Key is not charged twice (SDK docstring)
# ---------------------------------------------------------------------------


def test_an_analyze_retried_with_the_same_key_is_not_charged_twice(api, advance, hosted, validator):
    list_id = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK analyze retry", "phone")["list_id"]
    first = data(api.analyze_contact_list(list_id, idempotency_key="sdk-py-analyze-retry"))
    original = validator.last("POST", f"/contact-lists/{list_id}/analyze")
    second = data(api.analyze_contact_list(list_id, idempotency_key="sdk-py-analyze-retry"))
    replay = validator.last("POST", f"/contact-lists/{list_id}/analyze")
    assert first == second and first["cost_cents"] > 0
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == original.content
    # A new request (fresh key) sees the one run in progress: nothing more to charge.
    fresh = data(api.analyze_contact_list(list_id))
    assert fresh["cost_cents"] == 0 and fresh["analysis"]["status"] == "processing"
    assert analysis_done(api, advance, list_id)["analysis"]["analyzed_numbers"] == 25
