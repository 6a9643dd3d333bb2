"""Idempotent retries (CONTRACT §2) through the Python SDK's `idempotency_key`, on contact-list
imports and deletes: one list per key, byte-identical replays with `Idempotent-Replayed: true`
(counted against the rate limit), 4xx answers replayed too, 422 on reuse with another request,
the 255-character limit, and keys scoped to their API key. The analyze and media retries are in
test_contact_list_analysis.py and test_media.py; 409 IDEMPOTENCY_KEY_IN_PROGRESS in
node/contact_lists.test.mjs (it needs two requests in flight at once).
"""

from __future__ import annotations

from listkit import import_ready, raises, raises_404


def data(response: dict):
    assert response.get("success") is True, response
    return response["data"]


def test_an_import_retried_with_the_same_key_creates_one_list(api, hosted, validator):
    url = hosted["contacts-clean.csv"]["url"]
    before = len(data(api.list_contact_lists()))
    first = data(api.import_contact_list(url, "SDK retried (python)", "phone", idempotency_key="sdk-py-import-retry-1"))
    original = validator.last("POST", "/contact-lists/import")
    second = data(api.import_contact_list(url, "SDK retried (python)", "phone", idempotency_key="sdk-py-import-retry-1"))
    replay = validator.last("POST", "/contact-lists/import")
    assert second == first
    assert replay.status == original.status == 202
    assert replay.headers.get("idempotent-replayed") == "true"
    assert original.headers.get("idempotent-replayed") is None
    assert replay.content == original.content, "a replay is byte-identical"
    assert replay.headers.get("x-request-id") != original.headers.get("x-request-id"), "the request id is per response"
    remaining = int(original.headers["x-ratelimit-remaining"])
    assert int(replay.headers["x-ratelimit-remaining"]) == remaining - 1, "a replay counts against the rate limit"
    assert len(data(api.list_contact_lists())) == before + 1, "the retry created a second list"

    err = raises(lambda: api.import_contact_list(url, "SDK retried, other body", "phone", idempotency_key="sdk-py-import-retry-1"),
                 422, "IDEMPOTENCY_KEY_REUSED")
    assert err.body["error"]
    assert len(data(api.list_contact_lists())) == before + 1


def test_idempotency_key_length_limit(api, hosted):
    url = hosted["contacts-clean.csv"]["url"]
    before = len(data(api.list_contact_lists()))
    raises(lambda: api.import_contact_list(url, "SDK long key", "phone", idempotency_key="k" * 256), 400, "VALIDATION_ERROR")
    assert len(data(api.list_contact_lists())) == before
    assert data(api.import_contact_list(url, "SDK 255 key", "phone", idempotency_key="k" * 255))["status"] == "processing"
    assert len(data(api.list_contact_lists())) == before + 1


def test_a_delete_retried_with_the_same_key_replays_the_first_answer(api, advance, hosted, validator):
    list_id = import_ready(api, advance, hosted["contacts-clean.csv"]["url"], "SDK delete retry", "phone")["list_id"]
    first = data(api.delete_contact_list(list_id, idempotency_key="sdk-py-delete-retry"))
    original = validator.last("DELETE", f"/contact-lists/{list_id}")
    second = data(api.delete_contact_list(list_id, idempotency_key="sdk-py-delete-retry"))
    replay = validator.last("DELETE", f"/contact-lists/{list_id}")
    assert first == second == {"list_id": list_id, "name": "SDK delete retry", "deleted": True}
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == original.content
    raises_404(lambda: api.delete_contact_list(list_id))


def test_a_4xx_answer_is_stored_and_replayed_too(api, hosted, validator):
    url = hosted["contacts-no-phone-column.csv"]["url"]
    first = raises(lambda: api.import_contact_list(url, "SDK 4xx replay", "phone", idempotency_key="sdk-py-4xx"),
                   400, "VALIDATION_ERROR")
    original = validator.last("POST", "/contact-lists/import")
    second = raises(lambda: api.import_contact_list(url, "SDK 4xx replay", "phone", idempotency_key="sdk-py-4xx"),
                    400, "VALIDATION_ERROR")
    replay = validator.last("POST", "/contact-lists/import")
    assert second.body == first.body
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == original.content


def test_idempotency_keys_are_scoped_to_the_api_key(api, root, hosted, validator):
    url = hosted["contacts-clean.csv"]["url"]
    before = len(data(api.list_contact_lists()))
    mine = data(api.import_contact_list(url, "SDK scoped key", "phone", idempotency_key="sdk-py-shared-key"))
    theirs = data(root.import_contact_list(url, "SDK scoped key", "phone", idempotency_key="sdk-py-shared-key"))
    assert validator.last("POST", "/contact-lists/import").headers.get("idempotent-replayed") is None
    assert mine["list_id"] != theirs["list_id"], "another API key's request was replayed"
    assert len(data(api.list_contact_lists())) == before + 2
