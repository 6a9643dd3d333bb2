"""Media (CONTRACT §6) through the Python SDK: reads and filters, imports from hosted samples
on the manual clock (the ready `url` serves the same bytes), every documented refusal and
failure, delete, and an idempotent import retry (§2). Every response is schema-checked.
A file a project attaches is refused with 409 MEDIA_IN_USE naming the project (CONTRACT §6, §7).
"""

from __future__ import annotations

import pytest

from listkit import MEDIA_ID, UNKNOWN_MEDIA, detail_fields, raises, raises_404
from projectkit import find_sendable
from support import parse_ts, poll

MB = 1024 * 1024


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


@pytest.fixture(scope="module")
def media(api) -> list[dict]:
    return data(api.list_media())


@pytest.fixture(scope="module")
def orgs(api) -> dict[str, str]:
    return {o["id"]: o["display_name"] for o in data(api.list_organizations())}


@pytest.fixture(scope="module")
def brands(api) -> dict[str, dict]:
    return {b["id"]: b for b in data(api.list_brands())}


def ids(rows: list[dict]) -> list[str]:
    return sorted(r["id"] for r in rows)


def wait(api, advance, media_id: str, max_polls: int = 30) -> list[dict]:
    """Poll get_media until the file is ready or failed, the clock advanced a second between reads."""
    return poll(lambda: data(api.get_media(media_id)), advance, lambda m: m["status"] != "optimizing", max_polls=max_polls)


# ---------------------------------------------------------------------------
# Reads and filters
# ---------------------------------------------------------------------------


def test_list_media_documented_fields(media, orgs, brands):
    assert media, "the main tree has no media"
    assert any(m["status"] == "ready" for m in media), "no ready media seeded"
    for m in media:
        assert MEDIA_ID.match(m["id"]), m["id"]
        assert isinstance(m["name"], str) and m["name"]
        assert m["org_name"] == orgs[m["org_id"]]
        if m["brand_id"] is None:
            assert m["brand_name"] is None
        else:
            assert m["brand_name"] == brands[m["brand_id"]]["brand_name"]
            assert brands[m["brand_id"]]["org_id"] == m["org_id"]
        parse_ts(m["created_at"])
        assert m["status"] in ("optimizing", "ready", "failed")
        assert (m["url"] is not None) == (m["status"] == "ready"), "url is set exactly when ready"
        assert isinstance(m["file_size_bytes"], int) and m["file_size_bytes"] >= 0
        assert isinstance(m["uploaded_via_api"], bool)


def test_list_media_filtered_by_organization_brand_and_both(api, media, orgs):
    for org_id in orgs:
        rows = data(api.list_media(organization_id=org_id))
        assert all(r["org_id"] == org_id for r in rows)
        assert ids(rows) == ids([m for m in media if m["org_id"] == org_id])
    branded = sorted({m["brand_id"] for m in media if m["brand_id"]})
    assert branded, "no seeded media file has a brand"
    for brand_id in branded:
        rows = data(api.list_media(brand_id=brand_id))
        assert rows and all(r["brand_id"] == brand_id for r in rows)
        assert ids(rows) == ids([m for m in media if m["brand_id"] == brand_id])
        org_id = rows[0]["org_id"]
        assert ids(data(api.list_media(organization_id=org_id, brand_id=brand_id))) == ids(rows)
        other_org = next(o for o in orgs if o != org_id)
        assert data(api.list_media(organization_id=other_org, brand_id=brand_id)) == []


def test_get_media_matches_every_list_row(api, media, sandbox):
    for row in media:
        detail = data(api.get_media(row["id"]))
        assert detail["media_id"] == row["id"] and detail["organization_id"] == row["org_id"]
        for field in ("name", "brand_id", "status", "content_type", "file_size_bytes", "storage_key", "url",
                      "uploaded_via_api", "created_at"):
            assert detail[field] == row[field], f"{row['id']}: detail {field}={detail[field]!r}, list {row[field]!r}"
        if detail["status"] == "ready":
            assert parse_ts(detail["optimized_at"]) >= parse_ts(detail["created_at"])
            served = sandbox.fetch(detail["url"])
            assert served.status_code == 200 and len(served.content) == detail["file_size_bytes"]
        else:
            assert detail["optimized_at"] is None


def test_media_scoping(api, make_client, keys, media, orgs):
    missing = raises_404(lambda: api.get_media(UNKNOWN_MEDIA))
    other = make_client(keys["zero_balance"]["key"])
    assert not set(ids(data(other.list_media()))) & set(ids(media)), "another tree sees the main tree's media"
    raises(lambda: other.get_media(media[0]["id"]), 404, missing.code)
    raises(lambda: other.delete_media(media[0]["id"]), 404, missing.code)
    child = make_client(keys["child"]["key"])
    child_orgs = {o["id"] for o in data(child.list_organizations())}
    assert ids(data(child.list_media())) == ids([m for m in media if m["org_id"] in child_orgs])
    raises(lambda: child.list_media(organization_id=keys["root"]["organization_id"]), 403, "ORG_ACCESS_DENIED")


# ---------------------------------------------------------------------------
# Import: optimizing -> ready on the manual clock
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample, content_type, kwargs",
    [
        ("rally.jpg", "image/jpeg", {}),
        ("clip.mp4", "video/mp4", {"name": "Rally clip"}),
        ("logo.png", "image/png", {"usage": "email_asset"}),
    ],
    ids=["jpeg-mms", "mp4-named", "png-email-asset"],
)
def test_import_media_becomes_ready_and_serves_the_same_bytes(api, advance, sandbox, hosted, validator, keys,
                                                              sample, content_type, kwargs):
    source = hosted[sample]
    answer = data(api.import_media(source["url"], **kwargs))
    assert validator.last("POST", "/media").status == 202
    name = kwargs.get("name", sample)
    assert MEDIA_ID.match(answer["media_id"])
    assert answer == {"media_id": answer["media_id"], "status": "optimizing", "uploaded_via_api": True,
                      "file_size_bytes": source["size_bytes"], "name": name}

    states = wait(api, advance, answer["media_id"])
    optimizing, ready = states[:-1], states[-1]
    assert ready["status"] == "ready", ready
    # Ready after 3 + MB sandbox seconds: the samples are all under 1 MB.
    assert len(optimizing) == 3 + source["size_bytes"] // MB, [s["status"] for s in states]
    for state in optimizing:
        assert state["url"] is None and state["optimized_at"] is None, "url is null until ready"
    assert ready["media_id"] == answer["media_id"] and ready["name"] == name
    assert ready["organization_id"] == keys["elevated"]["organization_id"] and ready["brand_id"] is None
    assert ready["content_type"] == content_type
    assert ready["file_size_bytes"] == source["size_bytes"]
    assert ready["uploaded_via_api"] is True
    assert parse_ts(ready["optimized_at"]) > parse_ts(ready["created_at"])
    assert ready["url"].startswith(sandbox.origin + "/"), "a sandbox URL"
    served = sandbox.fetch(ready["url"])
    assert served.status_code == 200
    assert served.content == sandbox.fetch(source["url"]).content, "the ready url serves the imported bytes"
    assert sandbox.fetch(ready["url"]).content == served.content, "the url is stable"

    row = next(m for m in data(api.list_media()) if m["id"] == answer["media_id"])
    assert row["url"] == ready["url"] and row["status"] == "ready" and row["org_id"] == ready["organization_id"]


def test_import_media_into_a_brand(api, advance, hosted, brands):
    brand = next(iter(brands.values()))
    answer = data(api.import_media(hosted["rally.jpg"]["url"], brand_id=brand["id"], organization_id=brand["org_id"],
                                   name="Branded rally"))
    ready = wait(api, advance, answer["media_id"])[-1]
    assert ready["status"] == "ready"
    assert ready["brand_id"] == brand["id"] and ready["organization_id"] == brand["org_id"]
    rows = data(api.list_media(brand_id=brand["id"]))
    assert answer["media_id"] in ids(rows)
    assert next(r for r in rows if r["id"] == answer["media_id"])["brand_name"] == brand["brand_name"]


# ---------------------------------------------------------------------------
# Import: refusals (4xx, nothing created) and failures (created, then failed)
# ---------------------------------------------------------------------------


def test_brand_id_with_usage_email_asset_is_400(api, hosted, brands):
    brand = next(iter(brands.values()))
    before = len(data(api.list_media()))
    err = raises(lambda: api.import_media(hosted["logo.png"]["url"], brand_id=brand["id"], usage="email_asset"),
                 400, "VALIDATION_ERROR")
    assert "brand_id" in detail_fields(err)
    assert len(data(api.list_media())) == before


def test_a_brand_of_another_organization_is_400_brand_org_mismatch(api, hosted, brands, orgs):
    brand = next(iter(brands.values()))
    other_org = next(o for o in orgs if o != brand["org_id"])
    before = len(data(api.list_media()))
    raises(lambda: api.import_media(hosted["rally.jpg"]["url"], brand_id=brand["id"], organization_id=other_org),
           400, "BRAND_ORG_MISMATCH")
    assert len(data(api.list_media())) == before


def test_import_media_outside_the_keys_tree(make_client, keys, hosted, brands):
    child = make_client(keys["child"]["key"])
    child_orgs = {o["id"] for o in data(child.list_organizations())}
    foreign = next(b for b in brands.values() if b["org_id"] not in child_orgs)
    err = raises_404(lambda: child.import_media(hosted["rally.jpg"]["url"], brand_id=foreign["id"]))
    assert foreign["id"] not in str(err.body)
    raises(lambda: child.import_media(hosted["rally.jpg"]["url"], organization_id=keys["root"]["organization_id"]),
           403, "ORG_ACCESS_DENIED")
    raises(lambda: make_client(keys["read_only"]["key"]).import_media(hosted["rally.jpg"]["url"]), 403, "PERMISSION_DENIED")


@pytest.mark.parametrize("source", ["file:///etc/hosts", "http://169.254.169.254/latest/meta-data/logo.png"],
                         ids=["file-url", "cloud-metadata"])
def test_refused_media_source_urls_are_400(api, source):
    err = raises(lambda: api.import_media(source), 400, "VALIDATION_ERROR")
    assert "source_url" in detail_fields(err)


@pytest.fixture(scope="module")
def failing_sources(sandbox, hosted, put_file) -> dict[str, str]:
    rally = sandbox.fetch(hosted["rally.jpg"]["url"]).content
    return {
        "mms-over-5mb": hosted["oversized.jpg"]["url"],
        "extension-not-the-bytes": put_file("sdk-rally-renamed.png", rally)["url"],
        "unsupported-type": put_file("sdk-notes.txt", b"plain text is not a media type\n")["url"],
        "http-404": f"{sandbox.origin}/_sandbox/files/sdk-no-such-image.jpg",
    }


@pytest.mark.parametrize("case", ["mms-over-5mb", "extension-not-the-bytes", "unsupported-type", "http-404"])
def test_a_file_that_cannot_be_used_ends_failed_with_a_reason(api, advance, failing_sources, hosted, case):
    answer = data(api.import_media(failing_sources[case]))
    assert answer["status"] == "optimizing" and answer["uploaded_via_api"] is True
    if case == "mms-over-5mb":
        assert answer["file_size_bytes"] == hosted["oversized.jpg"]["size_bytes"] > 5 * MB
    failed = wait(api, advance, answer["media_id"])[-1]
    assert failed["status"] == "failed", f"{case}: {failed}"
    assert isinstance(failed.get("failure_reason"), str) and len(failed["failure_reason"]) > 10, failed
    assert failed["url"] is None and failed["optimized_at"] is None
    row = next(m for m in data(api.list_media()) if m["id"] == answer["media_id"])
    assert row["status"] == "failed" and row["url"] is None


# ---------------------------------------------------------------------------
# Delete and idempotent retries
# ---------------------------------------------------------------------------


def test_delete_media(api, advance, hosted):
    answer = data(api.import_media(hosted["logo.png"]["url"], name="SDK logo to delete"))
    wait(api, advance, answer["media_id"])
    assert data(api.delete_media(answer["media_id"])) == {
        "media_id": answer["media_id"], "name": "SDK logo to delete", "deleted": True,
    }
    raises_404(lambda: api.get_media(answer["media_id"]))
    assert answer["media_id"] not in ids(data(api.list_media()))
    raises_404(lambda: api.delete_media(answer["media_id"]))


def test_an_import_media_retried_with_the_same_key_creates_one_file(api, hosted, validator):
    before = len(data(api.list_media()))
    url = hosted["rally.jpg"]["url"]
    first = data(api.import_media(url, name="SDK retried", idempotency_key="sdk-py-media-retry"))
    original = validator.last("POST", "/media")
    second = data(api.import_media(url, name="SDK retried", idempotency_key="sdk-py-media-retry"))
    replay = validator.last("POST", "/media")
    assert first == second
    assert replay.status == 202 and replay.headers.get("idempotent-replayed") == "true"
    assert replay.content == original.content
    assert len(data(api.list_media())) == before + 1
    raises(lambda: api.import_media(url, name="SDK retried, renamed", idempotency_key="sdk-py-media-retry"),
           422, "IDEMPOTENCY_KEY_REUSED")
    # Another path with the same key is a reuse too.
    raises(lambda: api.import_contact_list(hosted["contacts-clean.csv"]["url"], "SDK key of a media import", "phone",
                                           idempotency_key="sdk-py-media-retry"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert len(data(api.list_media())) == before + 1


def test_a_media_file_a_project_attaches_is_409_naming_it(api, advance, hosted):
    """DeleteMediaResult: "A file referenced by any project cannot be deleted; the API returns 409
    MEDIA_IN_USE with `details.projects` listing the referencing projects ({ id, name, status })"."""
    s = find_sendable(api)
    answer = data(api.import_media(hosted["rally.jpg"]["url"], organization_id=s.org_id, brand_id=s.brand_id,
                                   name="SDK in use (python)"))
    ready = wait(api, advance, answer["media_id"])[-1]
    assert ready["status"] == "ready", ready
    name = "SDK media user (python)"
    project = data(api.create_project(**s.body(name, protocol="mms", media_ids=[answer["media_id"]])))
    detail = data(api.get_project(project["id"]))
    assert detail["protocol"] == "mms" and detail["media_ids"] == [], "media_ids is always an empty array"
    assert detail["media_urls"] == [ready["url"]], "attached media show in media_urls"
    err = raises(lambda: api.delete_media(answer["media_id"]), 409, "MEDIA_IN_USE")
    assert err.body["details"]["projects"] == [{"id": project["id"], "name": name, "status": "awaiting_test"}], err.body
    assert data(api.get_media(answer["media_id"]))["status"] == "ready", "a refused delete removed the file"
