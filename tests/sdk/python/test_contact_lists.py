"""Contact lists (CONTRACT §5) through the Python SDK: reads and filters, imports from hosted
files on the manual clock, every documented import failure, and delete.

Analysis and downloads are in test_contact_list_analysis.py, idempotent retries in
test_idempotency.py. Every response is also schema-checked by the validating transport.
A list that projects use is refused with 409 CONTACT_LIST_IN_USE naming them (CONTRACT §5, §7).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from listkit import (
    COUNTERS, LIST_ID, MIXED_COUNTERS, MIXED_PHONE_COLUMN, UNKNOWN_LIST, detail_fields, import_ready, raises, raises_404,
)
from projectkit import find_sendable
from support import parse_ts, poll

SEEDED_MAIN_TREE = ("Franklin County Likely Voters", "Ward 3 Canvass Universe", "Arizona Petition Signers")
IMPORT_STATUSES = ("uploading", "processing", "ready", "failed")
ANALYSIS_STATUSES = ("not_started", "processing", "complete", "failed")


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


@dataclass
class World:
    lists: list[dict]
    orgs: dict[str, str]
    brands: dict[str, dict]


@pytest.fixture(scope="module")
def world(api) -> World:
    return World(
        lists=data(api.list_contact_lists()),
        orgs={o["id"]: o["display_name"] for o in data(api.list_organizations())},
        brands={b["id"]: b for b in data(api.list_brands())},
    )


def ids(rows: list[dict]) -> list[str]:
    return sorted(r["id"] for r in rows)


# ---------------------------------------------------------------------------
# Hosted files (the offline sources)
# ---------------------------------------------------------------------------


def test_bundled_sample_files_are_hosted(sandbox, hosted):
    for name in ("contacts-clean.csv", "contacts-mixed.csv", "contacts-no-phone-column.csv", "contacts-100k.csv",
                 "contacts-1m.csv", "rally.jpg", "logo.png", "clip.mp4", "oversized.jpg"):
        assert name in hosted, f"bundled sample {name} is not hosted; have {sorted(hosted)}"
        record = hosted[name]
        assert record["bundled"] is True
        assert record["url"].startswith(f"{sandbox.origin}/_sandbox/files/{name}?"), record["url"]
        assert "X-Amz-Signature=" in record["url"], "not a presigned-style URL"
        assert isinstance(record["size_bytes"], int) and record["size_bytes"] > 0
        assert isinstance(record["content_type"], str) and record["content_type"]
    for name in ("contacts-clean.csv", "contacts-mixed.csv", "rally.jpg"):
        served = sandbox.fetch(hosted[name]["url"])
        assert served.status_code == 200
        assert len(served.content) == hosted[name]["size_bytes"]


def test_put_file_hosts_bytes_under_a_presigned_url(sandbox, put_file, control):
    content = b"phone,first_name\n+16145550100,Ada\n"
    record = put_file("sdk-put-check.csv", content)
    assert record["name"] == "sdk-put-check.csv"
    assert record["size_bytes"] == len(content)
    assert record["bundled"] is False
    assert sandbox.fetch(record["url"]).content == content
    assert "sdk-put-check.csv" in {f["name"] for f in control("GET", "/files")}


# ---------------------------------------------------------------------------
# Reads and filters
# ---------------------------------------------------------------------------


def test_list_contact_lists_documented_fields(world):
    names = {row["name"] for row in world.lists}
    assert set(SEEDED_MAIN_TREE) <= names, f"seeded lists missing from {sorted(names)}"
    assert len(set(ids(world.lists))) == len(world.lists), "duplicate list ids"
    for row in world.lists:
        assert LIST_ID.match(row["id"]), row["id"]
        assert isinstance(row["name"], str) and row["name"]
        assert row["org_name"] == world.orgs[row["org_id"]], row
        if row["brand_id"] is None:
            assert row["brand_name"] is None, row
        else:
            brand = world.brands[row["brand_id"]]
            assert row["brand_name"] == brand["brand_name"], row
            assert brand["org_id"] == row["org_id"], "a list's brand belongs to the list's organization"
        parse_ts(row["created_at"])


def test_list_contact_lists_filtered_by_organization_brand_and_both(api, world):
    for org_id in world.orgs:
        rows = data(api.list_contact_lists(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows), f"organization_id={org_id} returned other orgs' lists"
        assert ids(rows) == ids([r for r in world.lists if r["org_id"] == org_id])
    branded = sorted({r["brand_id"] for r in world.lists if r["brand_id"]})
    assert branded, "no seeded list has a brand"
    for brand_id in branded:
        rows = data(api.list_contact_lists(brand_id=brand_id))
        assert rows and all(r["brand_id"] == brand_id for r in rows)
        assert ids(rows) == ids([r for r in world.lists if r["brand_id"] == brand_id])
        org_id = world.brands[brand_id]["org_id"]
        assert ids(data(api.list_contact_lists(organization_id=org_id, brand_id=brand_id))) == ids(rows)
        other_org = next(o for o in world.orgs if o != org_id)
        assert data(api.list_contact_lists(organization_id=other_org, brand_id=brand_id)) == [], "filters AND"


def test_other_trees_and_child_keys_see_only_their_lists(make_client, keys, world):
    for role, name in (("zero_balance", "Lakeside Neighbors"), ("sending_paused", "Desert Sun Voters")):
        rows = data(make_client(keys[role]["key"]).list_contact_lists())
        assert name in {r["name"] for r in rows}, f"the {role} key does not see {name!r}"
        assert not set(ids(rows)) & set(ids(world.lists)), f"the {role} key sees lists of the main tree"
    child = make_client(keys["child"]["key"])
    child_orgs = {o["id"] for o in data(child.list_organizations())}
    rows = data(child.list_contact_lists())
    assert ids(rows) == ids([r for r in world.lists if r["org_id"] in child_orgs])
    raises(lambda: child.list_contact_lists(organization_id=keys["root"]["organization_id"]), 403, "ORG_ACCESS_DENIED")


def check_detail(detail: dict) -> None:
    """Invariants of any ContactListDetail, whatever its state."""
    imp, analysis = detail["import"], detail["analysis"]
    assert imp["status"] in IMPORT_STATUSES, imp
    assert isinstance(imp["progress"], int) and 0 <= imp["progress"] <= 100, imp
    if imp["status"] == "ready":
        assert imp["progress"] == 100, "progress is always 100 once ready"
        assert all(isinstance(imp[c], int) and imp[c] >= 0 for c in COUNTERS), imp
        assert imp["clean_contacts"] <= imp["total_contacts"] <= imp["total_rows"], imp
        assert parse_ts(imp["processing_started_at"]) <= parse_ts(imp["processing_completed_at"])
    else:
        assert imp["progress"] < 100 or imp["status"] == "failed", imp
    if imp["status"] == "failed":
        assert isinstance(imp["failure_reason"], str) and imp["failure_reason"].strip(), imp
    assert analysis["status"] in ANALYSIS_STATUSES, analysis
    assert isinstance(analysis["analyzed_numbers"], int) and analysis["analyzed_numbers"] >= 0
    if analysis["analyzed_numbers"] > 0:
        assert sum(analysis["breakdown"].values()) == analysis["analyzed_numbers"], analysis
    tags = [t["merge_tag"] for t in detail["available_merge_tags"]]
    assert len(tags) == len(set(tags)), f"merge tags offered twice: {tags}"


def test_get_contact_list_matches_every_list_row(api, world):
    for row in world.lists:
        detail = data(api.get_contact_list(row["id"]))
        assert detail["list_id"] == row["id"]
        assert detail["organization_id"] == row["org_id"]
        for field in ("name", "brand_id", "created_at"):
            assert detail[field] == row[field], f"{row['id']}: detail {field}={detail[field]!r}, list {row[field]!r}"
        assert isinstance(detail["imported_via_api"], bool)
        check_detail(detail)
    ready = [r for r in world.lists if r["name"] in SEEDED_MAIN_TREE]
    for row in ready:
        assert data(api.get_contact_list(row["id"]))["import"]["status"] == "ready", f"{row['name']} is not ready"


def test_unknown_and_foreign_lists_are_404(api, make_client, keys, world):
    missing = raises_404(lambda: api.get_contact_list(UNKNOWN_LIST))
    other = make_client(keys["zero_balance"]["key"])
    foreign = raises(lambda: other.get_contact_list(world.lists[0]["id"]), 404, missing.code)
    assert world.lists[0]["id"] not in str(foreign.body), "the 404 reveals the foreign id"
    raises(lambda: other.delete_contact_list(world.lists[0]["id"]), 404, missing.code)
    raises(lambda: other.analyze_contact_list(world.lists[0]["id"]), 404, missing.code)
    raises(lambda: other.download_contact_list(world.lists[0]["id"], "original"), 404, missing.code)


# ---------------------------------------------------------------------------
# Import: the happy path on the manual clock
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(api, hosted, validator) -> dict:
    """contacts-mixed.csv imported once: the 202 answer, its HTTP status, the first detail read."""
    answer = data(api.import_contact_list(hosted["contacts-mixed.csv"]["url"], "SDK mixed (python)", MIXED_PHONE_COLUMN))
    status = validator.last("POST", "/contact-lists/import").status
    first = data(api.get_contact_list(answer["list_id"]))
    return {"answer": answer, "status": status, "first": first}


def test_import_answers_202_processing(mixed, keys):
    assert mixed["status"] == 202
    answer = mixed["answer"]
    assert LIST_ID.match(answer["list_id"])
    assert answer == {
        "list_id": answer["list_id"], "name": "SDK mixed (python)", "status": "processing",
        "total_rows": None, "imported_via_api": True,
    }
    first = mixed["first"]
    assert first["list_id"] == answer["list_id"] and first["name"] == answer["name"]
    assert first["organization_id"] == keys["elevated"]["organization_id"], "no organization_id: the key's org"
    assert first["brand_id"] is None
    assert first["imported_via_api"] is True


def test_import_is_processing_until_the_sandbox_clock_passes(api, advance, mixed):
    first = mixed["first"]
    imp = first["import"]
    assert imp["status"] == "processing", "33 rows take a sandbox second: the first read is still processing"
    assert 0 <= imp["progress"] <= 99
    assert imp["total_rows"] in (None, MIXED_COUNTERS["total_rows"])
    for counter in COUNTERS[1:]:
        assert imp[counter] is None, f"{counter} is known before the import is ready: {imp}"
    assert imp["processing_completed_at"] is None
    check_detail(first)

    list_id = mixed["answer"]["list_id"]
    states = poll(lambda: data(api.get_contact_list(list_id)), advance, lambda d: d["import"]["status"] != "processing")
    ready = states[-1]
    assert ready["import"]["status"] == "ready", ready["import"]
    assert len(states) == 2, "33 rows at 5,000 rows per second: ready after the minimum of one sandbox second"
    imp = ready["import"]
    assert {c: imp[c] for c in COUNTERS} == MIXED_COUNTERS
    assert imp["progress"] == 100
    assert imp["failure_reason"] is None
    started, completed = parse_ts(imp["processing_started_at"]), parse_ts(imp["processing_completed_at"])
    assert started == parse_ts(first["created_at"])
    assert (completed - started).total_seconds() == 1
    check_detail(ready)


def test_import_without_merge_tags_tags_every_non_phone_column(api, mixed):
    detail = data(api.get_contact_list(mixed["answer"]["list_id"]))
    tags = {t["merge_tag"]: (t["csv_column"], t["standard"]) for t in detail["available_merge_tags"]}
    assert tags == {
        "first_name": ("First Name", True),
        "last_name": ("Last Name", True),
        "city": ("City", True),
        "zip": ("Zip Code", True),
        "volunteer_interest": ("Volunteer Interest", False),
    }, "Python SDK docstring: standard fields get the standard tag, others their lowercased underscored header"


def test_import_with_merge_tags_uses_exactly_that_mapping(api, advance, hosted):
    merge_tags = {"first_name": "first_name", "custom_fields": [{"csv_column": "precinct", "merge_tag": "precinct_code"}]}
    detail = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK mapped (python)", "phone",
                          merge_tags=merge_tags)
    assert detail["import"]["status"] == "ready", detail["import"]
    assert detail["import"]["total_rows"] == 25 and detail["import"]["clean_contacts"] == 25
    tags = {t["merge_tag"]: (t["csv_column"], t["standard"]) for t in detail["available_merge_tags"]}
    assert tags == {"first_name": ("first_name", True), "precinct_code": ("precinct", False)}, "unlisted columns get no tag"


def test_import_with_merge_tags_that_map_nothing_tags_every_column(api, advance, hosted):
    """Python SDK docstring: "When `merge_tags` is omitted or maps nothing", every non-phone column gets a tag."""
    detail = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK empty mapping (python)", "phone",
                          merge_tags={})
    tags = {t["merge_tag"]: (t["csv_column"], t["standard"]) for t in detail["available_merge_tags"]}
    assert tags == {
        "first_name": ("first_name", True), "last_name": ("last_name", True), "city": ("city", True),
        "zip": ("zip", True), "precinct": ("precinct", False),
    }


def test_import_into_a_brand_lands_in_the_brands_org_and_list_filters(api, advance, hosted, world):
    brand = next(b for b in world.brands.values() if b["org_id"] != world.lists[0]["org_id"])
    detail = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK branded (python)", "phone",
                          brand_id=brand["id"])
    assert detail["brand_id"] == brand["id"] and detail["organization_id"] == brand["org_id"]
    assert detail["list_id"] in ids(data(api.list_contact_lists(brand_id=brand["id"])))
    assert detail["list_id"] in ids(data(api.list_contact_lists(organization_id=brand["org_id"])))
    row = next(r for r in data(api.list_contact_lists()) if r["id"] == detail["list_id"])
    assert row["brand_name"] == brand["brand_name"] and row["org_id"] == brand["org_id"]


def test_a_large_import_progresses_on_the_sandbox_clock(api, advance, hosted):
    list_id = data(api.import_contact_list(hosted["contacts-100k.csv"]["url"], "SDK 100k (python)", "phone"))["list_id"]
    states = poll(lambda: data(api.get_contact_list(list_id)), advance,
                  lambda d: d["import"]["status"] != "processing", step=5, max_polls=10)
    ready = states[-1]["import"]
    assert ready["status"] == "ready", ready
    processing = [s["import"] for s in states[:-1]]
    progress = [p["progress"] for p in processing]
    assert len(processing) == 4, "100,000 rows at 5,000 rows per second: 20 sandbox seconds of processing"
    assert progress == sorted(progress) and all(0 <= p <= 99 for p in progress), progress
    assert progress[-1] > progress[0], f"progress does not move with the clock: {progress}"
    assert all(p["clean_contacts"] is None for p in processing)
    assert ready["total_rows"] == 100_000 and ready["progress"] == 100
    elapsed = parse_ts(ready["processing_completed_at"]) - parse_ts(ready["processing_started_at"])
    assert elapsed.total_seconds() == 20


def test_the_row_limit_is_one_million_inclusive(api, advance, sandbox, hosted, put_file):
    """CONTRACT §5: 1,000,000 rows by default; over -> failed with a reason."""
    url = hosted["contacts-1m.csv"]["url"]
    list_id = data(api.import_contact_list(url, "SDK 1m (python)", "phone"))["list_id"]
    states = poll(lambda: data(api.get_contact_list(list_id)), advance,
                  lambda d: d["import"]["status"] != "processing", step=50, max_polls=10)
    ready = states[-1]["import"]
    assert ready["status"] == "ready" and ready["total_rows"] == 1_000_000, ready
    elapsed = parse_ts(ready["processing_completed_at"]) - parse_ts(ready["processing_started_at"])
    assert elapsed.total_seconds() == 200, "1,000,000 rows at 5,000 rows per second"

    content = sandbox.fetch(url).content
    last_row = content.rstrip(b"\n").rsplit(b"\n", 1)[1]
    over = put_file("sdk-1m-plus-one.csv", content.rstrip(b"\n") + b"\n" + last_row + b"\n")
    list_id = data(api.import_contact_list(over["url"], "SDK 1m + 1 (python)", "phone"))["list_id"]
    failed = poll(lambda: data(api.get_contact_list(list_id)), advance,
                  lambda d: d["import"]["status"] in ("ready", "failed"))[-1]["import"]
    assert failed["status"] == "failed", failed
    assert "1000000" in failed["failure_reason"].replace(",", ""), failed["failure_reason"]


def test_a_file_over_50_mb_ends_failed_with_a_reason(api, advance, put_file):
    """CONTRACT §5: 50 MB by default; over -> failed with a reason."""
    row = b"+16145550100," + b"x" * 1000 + b"\n"
    content = b"phone,notes\n" + row * (50 * 1024 * 1024 // len(row) + 10)
    assert len(content) > 50 * 1024 * 1024
    url = put_file("sdk-over-50mb.csv", content)["url"]
    list_id = data(api.import_contact_list(url, "SDK over 50 MB (python)", "phone"))["list_id"]
    failed = poll(lambda: data(api.get_contact_list(list_id)), advance,
                  lambda d: d["import"]["status"] in ("ready", "failed"))[-1]["import"]
    assert failed["status"] == "failed", failed
    assert "MB" in failed["failure_reason"], failed["failure_reason"]


# ---------------------------------------------------------------------------
# Import: documented failures
# ---------------------------------------------------------------------------


def test_a_header_without_the_phone_column_is_400_naming_the_headers(api, hosted, world):
    before = len(data(api.list_contact_lists()))
    err = raises(lambda: api.import_contact_list(hosted["contacts-no-phone-column.csv"]["url"], "SDK no phone", "phone"),
                 400, "VALIDATION_ERROR")
    assert "phone_column" in detail_fields(err)
    message = next(d["message"] for d in err.body["details"] if d["field"] == "phone_column")
    for header in ("name", "email", "zip"):
        assert header in message, f"the error does not name the header {header!r}: {message}"
    assert len(data(api.list_contact_lists())) == before, "a refused import created a list"


@pytest.mark.parametrize(
    "source",
    ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/contacts.csv", "http://169.254.10.1/contacts.csv",
     "http://[fd00:ec2::254]/contacts.csv"],
    ids=["file-url", "cloud-metadata", "link-local", "ec2-ipv6-metadata"],
)
def test_refused_source_urls_are_400_on_source_url(api, source):
    before = len(data(api.list_contact_lists()))
    err = raises(lambda: api.import_contact_list(source, "SDK refused", "phone"), 400, "VALIDATION_ERROR")
    assert "source_url" in detail_fields(err)
    assert len(data(api.list_contact_lists())) == before, "a refused import created a list"


@pytest.fixture(scope="module")
def bad_sources(sandbox, hosted, put_file) -> dict[str, str]:
    return {
        "unreachable": "http://127.0.0.1:9/contacts.csv",
        "http-404": f"{sandbox.origin}/_sandbox/files/sdk-no-such-file.csv",
        "not-csv": hosted["rally.jpg"]["url"],
        "empty": put_file("sdk-empty.csv", b"")["url"],
    }


@pytest.mark.parametrize("case", ["unreachable", "http-404", "not-csv", "empty"])
def test_a_source_that_cannot_be_imported_ends_failed_with_a_reason(api, advance, bad_sources, case):
    answer = data(api.import_contact_list(bad_sources[case], f"SDK failing {case}", "phone"))
    assert answer["status"] == "processing" and answer["imported_via_api"] is True
    detail = poll(lambda: data(api.get_contact_list(answer["list_id"])), advance,
                  lambda d: d["import"]["status"] in ("ready", "failed"))[-1]
    imp = detail["import"]
    assert imp["status"] == "failed", f"{case}: {imp}"
    assert isinstance(imp["failure_reason"], str) and len(imp["failure_reason"]) > 10, imp
    assert all(imp[c] is None for c in COUNTERS[1:]), imp
    check_detail(detail)
    assert answer["list_id"] in ids(data(api.list_contact_lists())), "a failed import still creates the list"
    raises(lambda: api.analyze_contact_list(answer["list_id"]), 409, "LIST_NOT_READY")


# ---------------------------------------------------------------------------
# Scoping and permissions on writes
# ---------------------------------------------------------------------------


def test_import_outside_the_keys_tree(make_client, keys, hosted, world):
    child = make_client(keys["child"]["key"])
    url = hosted["contacts-clean.csv"]["url"]
    raises(lambda: child.import_contact_list(url, "SDK foreign", "phone", organization_id=keys["root"]["organization_id"]),
           403, "ORG_ACCESS_DENIED")
    child_orgs = {o["id"] for o in child.list_organizations()["data"]}
    foreign_brand = next(b for b in world.brands.values() if b["org_id"] not in child_orgs)
    err = raises_404(lambda: child.import_contact_list(url, "SDK foreign", "phone", brand_id=foreign_brand["id"]))
    assert foreign_brand["id"] not in str(err.body)


def test_a_read_only_key_cannot_import_analyze_or_delete(make_client, keys, hosted, world):
    client = make_client(keys["read_only"]["key"])
    assert client.list_contact_lists()["data"], "a read-only key reads lists"
    list_id = world.lists[0]["id"]
    raises(lambda: client.import_contact_list(hosted["contacts-clean.csv"]["url"], "SDK ro", "phone"), 403, "PERMISSION_DENIED")
    raises(lambda: client.analyze_contact_list(list_id), 403, "PERMISSION_DENIED")
    raises(lambda: client.delete_contact_list(list_id), 403, "PERMISSION_DENIED")


# ---------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------


def test_delete_contact_list(api, advance, hosted):
    detail = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK to delete (python)", "phone")
    list_id = detail["list_id"]
    assert data(api.delete_contact_list(list_id)) == {"list_id": list_id, "name": "SDK to delete (python)", "deleted": True}
    raises_404(lambda: api.get_contact_list(list_id))
    assert list_id not in ids(data(api.list_contact_lists()))
    raises_404(lambda: api.delete_contact_list(list_id))


def test_a_list_projects_use_is_409_naming_them(api, advance, hosted):
    """DeleteContactListResult: "A list referenced by any project cannot be deleted; the API returns 409
    CONTACT_LIST_IN_USE with `details.projects` listing the referencing projects ({ id, name, status })"."""
    s = find_sendable(api)
    detail = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK in use (python)", "phone",
                          organization_id=s.org_id)
    list_id = detail["list_id"]
    assert detail["import"]["status"] == "ready", detail["import"]
    first = data(api.create_project(**s.body("SDK list user (python)", contact_list_ids=[list_id])))
    second = data(api.create_project(**s.body("SDK list user scheduled (python)", contact_list_ids=[list_id])))
    data(api.schedule_project(second["id"], "2026-11-20T10:00:00-05:00", "America/New_York"))
    try:
        err = raises(lambda: api.delete_contact_list(list_id), 409, "CONTACT_LIST_IN_USE")
        projects = sorted(err.body["details"]["projects"], key=lambda p: p["id"])
        assert projects == sorted([
            {"id": first["id"], "name": "SDK list user (python)", "status": "awaiting_test"},
            {"id": second["id"], "name": "SDK list user scheduled (python)", "status": "scheduled"},
        ], key=lambda p: p["id"]), err.body
        assert data(api.get_contact_list(list_id))["import"]["status"] == "ready", "a refused delete removed the list"
    finally:
        data(api.unschedule_project(second["id"]))
    # Once no project uses it, it can go.
    for project in (first, second):
        data(api.update_project(project["id"], contact_list_ids=[s.list_id]))
    assert data(api.delete_contact_list(list_id)) == {"list_id": list_id, "name": "SDK in use (python)", "deleted": True}
