// Idempotent retries (CONTRACT §2) through the TypeScript SDK's `{ idempotencyKey }`, on
// contact-list imports and deletes: one list per key with a byte-identical replay, 422 on reuse
// with another body, the 255-character limit, 409 IDEMPOTENCY_KEY_IN_PROGRESS while the first
// request runs (not stored), and the 24 h retention on the sandbox clock.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, expectError, hostedFiles, poll, advance,
} from "./support.mjs";

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
let files;

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};

async function importReady(body, options) {
  const { list_id: id } = data(await api.importContactList(body, options));
  const read = async () => data(await api.getContactList(id));
  return (await poll(sandbox, validator, read, (d) => ["ready", "failed"].includes(d.import.status))).at(-1);
}

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = makeClient(sandbox, validator, keys.elevated.key);
  files = await hostedFiles(sandbox, validator);
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("idempotent retries", () => {
  it("an import retried with the same idempotencyKey creates one list and replays byte for byte", async () => {
    const body = { source_url: files["contacts-clean.csv"].url, list_name: "SDK retried (node)", phone_column: "phone" };
    const before = data(await api.listContactLists()).length;
    const first = data(await api.importContactList(body, { idempotencyKey: "sdk-node-import-retry" }));
    const original = validator.last("POST", "/contact-lists/import");
    const second = data(await api.importContactList(body, { idempotencyKey: "sdk-node-import-retry" }));
    const replay = validator.last("POST", "/contact-lists/import");
    assert.deepEqual(second, first);
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(original.headers.get("idempotent-replayed"), null);
    assert.equal(replay.text, original.text);
    assert.equal(data(await api.listContactLists()).length, before + 1);
    await expectError(api.importContactList({ ...body, list_name: "other" }, { idempotencyKey: "sdk-node-import-retry" }),
      422, "IDEMPOTENCY_KEY_REUSED");
    await expectError(api.importContactList(body, { idempotencyKey: "k".repeat(256) }), 400, "VALIDATION_ERROR");
    assert.equal(data(await api.listContactLists()).length, before + 1);
  });

  it("the same idempotencyKey while the first import runs is 409 IDEMPOTENCY_KEY_IN_PROGRESS, not stored", async () => {
    // The sandbox fetches and parses inside the request: 100,000 rows keep the first request
    // in flight while the second (sent in the same tick) arrives.
    const body = { source_url: files["contacts-100k.csv"].url, list_name: "SDK in flight (node)", phone_column: "phone" };
    const before = data(await api.listContactLists()).length;
    const settled = await Promise.allSettled([
      api.importContactList(body, { idempotencyKey: "sdk-node-in-flight" }),
      api.importContactList(body, { idempotencyKey: "sdk-node-in-flight" }),
    ]);
    const ok = settled.filter((r) => r.status === "fulfilled").map((r) => r.value.data);
    const failed = settled.filter((r) => r.status === "rejected").map((r) => r.reason);
    assert.equal(ok.length, 1, `expected one 202 and one 409, got ${JSON.stringify(settled.map((r) => r.status))}`);
    assert.equal(failed[0].statusCode, 409);
    assert.equal(failed[0].code, "IDEMPOTENCY_KEY_IN_PROGRESS");
    // The 409 is not stored: a retry now replays the finished first answer.
    const retry = data(await api.importContactList(body, { idempotencyKey: "sdk-node-in-flight" }));
    assert.deepEqual(retry, ok[0]);
    assert.equal(validator.last("POST", "/contact-lists/import").headers.get("idempotent-replayed"), "true");
    assert.equal(data(await api.listContactLists()).length, before + 1);
  });

  it("a delete retried with the same idempotencyKey replays the first answer", async () => {
    const d = await importReady({ source_url: files["contacts-clean.csv"].url, list_name: "SDK delete retry (node)", phone_column: "phone" });
    const first = data(await api.deleteContactList(d.list_id, { idempotencyKey: "sdk-node-delete-retry" }));
    const second = data(await api.deleteContactList(d.list_id, { idempotencyKey: "sdk-node-delete-retry" }));
    assert.deepEqual(second, first);
    assert.equal(validator.last("DELETE", `/contact-lists/${d.list_id}`).headers.get("idempotent-replayed"), "true");
  });

  // Last in this file: it moves the sandbox clock by a day.
  it("a stored answer is kept 24 h of sandbox time, then the same key runs afresh", async () => {
    const body = { source_url: files["contacts-clean.csv"].url, list_name: "SDK key expiry (node)", phone_column: "phone" };
    const first = data(await api.importContactList(body, { idempotencyKey: "sdk-node-expiry" }));
    await advance(sandbox, validator, 24 * 3600 - 1);
    const replayed = data(await api.importContactList(body, { idempotencyKey: "sdk-node-expiry" }));
    assert.deepEqual(replayed, first);
    assert.equal(validator.last("POST", "/contact-lists/import").headers.get("idempotent-replayed"), "true");
    await advance(sandbox, validator, 2);
    const fresh = data(await api.importContactList(body, { idempotencyKey: "sdk-node-expiry" }));
    assert.notEqual(fresh.list_id, first.list_id, "a key older than 24 h was still replayed");
    assert.equal(validator.last("POST", "/contact-lists/import").headers.get("idempotent-replayed"), null);
  });
});
