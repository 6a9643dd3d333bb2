// Webhooks (CONTRACT §10) received as a Node user would receive them: the events of a simulated
// send over contacts-mixed.csv, an analysis and a test event, posted by the sandbox to a real
// node:http server (webhookkit.startReceiver) that runs the docs' verification snippet literally
// (JSON.parse, then JSON.stringify before the HMAC) and rejects an X-Timestamp over 5 minutes off.
// The twin of ../python/test_webhooks.py, which starts the sandbox with `--webhook`; this one
// registers its receiver through the control plane (POST /_sandbox/webhook-endpoints), so every
// event logged after the registration is due at the receiver.

import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContractValidator, parseTs } from "./support.mjs";
import { CLICKS, FAILED, HOUR, SAYS_YES, STOPS, TIMEZONE, contactOf, data, fresh, projectOverMixed } from "./sendkit.mjs";
import { isFresh, signatureOf, startReceiver, validateWebhook } from "./webhookkit.mjs";

const validator = new ContractValidator();
const EVENT_TYPES = ["message.sent", "message.delivered", "message.failed", "message.replied", "link.clicked",
  "contact_list.analyzed", "webhook.test"];
const SECRET = /^whsec_[A-Za-z0-9]{32}$/;
const receivers = [];

afterEach(() => validator.assertNoViolations());
after(() => Promise.all(receivers.map((r) => r.stop())));

const tally = (items) => items.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map());

/** GET /_sandbox/webhook-deliveries for one endpoint (at most 1,000, newest first). */
async function deliveriesOf(f, endpointId, filters = {}) {
  const query = new URLSearchParams({ endpoint_id: endpointId, ...filters, limit: "1000" });
  const rows = await f.control("GET", `/webhook-deliveries?${query}`);
  assert.ok(rows.length < 1000, "more deliveries than one page: filter further");
  return rows;
}

describe("webhooks of a simulated send", () => {
  it("a receiver running the docs' JSON.stringify snippet verifies every event type, each event once", async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    const f = await fresh(validator);
    try {
      await run(f, rx);
    } finally {
      await f.stop();
    }
  });
});

async function run(f, rx) {
  const endpoint = await f.control("POST", "/webhook-endpoints", { name: "SDK receiver (node)", url: rx.url });
  assert.match(endpoint.secret, SECRET);
  assert.deepEqual([endpoint.url, endpoint.events, endpoint.enabled], [rx.url, [], true]);
  rx.secret = endpoint.secret;
  assert.ok(!("secret" in await f.control("GET", `/webhook-endpoints/${endpoint.id}`)), "the secret is shown once");
  // What the log held before the endpoint existed was never due to it.
  const before = new Set((await f.events()).map((e) => e.event_id));

  // The send: scheduled now, completed 3 sandbox hours later.
  const client = f.client("child");
  const b = await projectOverMixed(f, client, { orgId: f.keys.child.organization_id, name: "SDK webhooks (node)" });
  data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
  await f.advance(3 * HOUR);
  assert.equal(data(await client.getProject(b.projectId)).status, "completed");
  // An analysis of the send's list: contact_list.analyzed when it completes.
  data(await client.analyzeContactList(b.listId));
  const analyzed = (await f.poll(async () => data(await client.getContactList(b.listId)),
    (d) => ["complete", "failed"].includes(d.analysis.status))).at(-1);
  assert.equal(analyzed.analysis.status, "complete");
  // A test event, to this endpoint only.
  const ping = await f.control("POST", `/webhook-endpoints/${endpoint.id}/test`);
  assert.equal(ping.event_type, "webhook.test");
  // An advance settles every delivery set off so far (the test event's included).
  await f.advance(0);

  const got = rx.received();
  assert.ok(got.length, "the receiver got nothing");
  const refused = got.filter((d) => !d.verified).map((d) => [d.headers["x-event-type"], d.status, d.answer]);
  assert.deepEqual(refused.slice(0, 5), [], `the receiver refused ${refused.length} deliveries`);
  const byId = tally(got.map((d) => d.body.event_id));
  assert.deepEqual([...byId].filter(([, n]) => n > 1).slice(0, 5), [], "events delivered twice");
  const kinds = tally(got.map((d) => d.body.event_type));
  assert.deepEqual(new Set(kinds.keys()), new Set(EVENT_TYPES), `every event type, verified: ${JSON.stringify([...kinds])}`);

  // Every event logged since the registration reached it, exactly once, as its body.
  const log = new Map((await f.events()).filter((e) => !before.has(e.event_id)).map((e) => [e.event_id, e]));
  assert.deepEqual(new Set(byId.keys()), new Set(log.keys()), "the deliveries are the log since the registration");
  const host = Date.now() / 1000;
  for (const d of got) {
    // The property the snippet relies on, checked directly.
    assert.equal(JSON.stringify(JSON.parse(d.raw)), d.raw, "the body survives JSON.stringify(JSON.parse(body))");
    assert.equal(d.raw, JSON.stringify(log.get(d.body.event_id)), "the webhook body is the event log's entry");
    assert.deepEqual(Object.keys(d.body), ["id", "event_id", "event_type", "created_at", "data"]);
    assert.equal(d.body.id, d.body.event_id);
    parseTs(d.body.created_at);
    assert.deepEqual(
      [d.headers["content-type"], d.headers["x-event-type"], d.headers["x-event-id"], d.headers["x-webhook-signature"]],
      ["application/json", d.body.event_type, d.body.event_id, signatureOf(rx.secret, d.raw)],
    );
    assert.match(d.headers["user-agent"], /^pc-sandbox\//);
    // X-Timestamp is the host clock, not the manual sandbox clock (2026-11-03).
    assert.ok(Math.abs(host - Number(d.headers["x-timestamp"])) < 120, d.headers["x-timestamp"]);
  }

  // The send's story as the receiver saw it.
  const mine = got.map((d) => d.body).filter((e) => e.data.project_id === b.projectId);
  const seen = new Set(mine.map((e) => `${contactOf(e)} ${e.event_type}`));
  for (const want of [`${STOPS} message.replied`, `${SAYS_YES} message.replied`, `${CLICKS} link.clicked`,
    ...Object.keys(FAILED).map((n) => `${n} message.failed`)]) assert.ok(seen.has(want), want);
  const stop = mine.find((e) => e.event_type === "message.replied" && e.data.from === STOPS);
  assert.equal(stop.data.text, "STOP");
  const lists = got.map((d) => d.body).filter((e) => e.event_type === "contact_list.analyzed" && e.data.list_id === b.listId);
  assert.equal(lists.length, 1);
  assert.deepEqual([lists[0].data.organization_id, lists[0].data.analyzed_numbers], [b.orgId, analyzed.analysis.analyzed_numbers]);
  const tests = got.map((d) => d.body).filter((e) => e.event_type === "webhook.test");
  assert.deepEqual(tests.map((e) => [e.event_id, e.data.endpoint_id]), [[ping.event_id, endpoint.id]]);

  // The delivery log: each of them succeeded at the first attempt; nothing pending or failed.
  assert.deepEqual(await deliveriesOf(f, endpoint.id, { status: "pending" }), []);
  assert.deepEqual(await deliveriesOf(f, endpoint.id, { status: "failed" }), []);
  for (const kind of EVENT_TYPES) {
    const rows = await deliveriesOf(f, endpoint.id, { event_type: kind });
    assert.deepEqual(rows.map((r) => r.event_id).sort(),
      [...log.values()].filter((e) => e.event_type === kind).map((e) => e.event_id).sort(), kind);
    for (const r of rows) {
      assert.deepEqual([r.status, r.next_attempt_at, r.attempts.length], ["succeeded", null, 1], JSON.stringify(r));
      const [a] = r.attempts;
      assert.deepEqual([a.status_code, a.error, a.response_body], [200, null, "OK"]);
    }
  }

  // The receiver's check refuses what is not genuine and fresh: the snippet and the stale check ...
  const sample = got.at(-1);
  const now = Math.floor(Date.now() / 1000);
  const asReceived = (raw, headers = sample.headers) => ({ headers, body: JSON.parse(raw) });
  const tampered = sample.raw.replace('"event_type":"', '"event_type":"x');
  assert.notEqual(tampered, sample.raw);
  assert.equal(validateWebhook(asReceived(sample.raw), rx.secret), true);
  assert.equal(validateWebhook(asReceived(tampered), rx.secret), false, "a tampered body");
  assert.equal(validateWebhook(asReceived(sample.raw), `whsec_${"A".repeat(32)}`), false, "a wrong secret");
  assert.equal(validateWebhook(asReceived(sample.raw, { ...sample.headers, "x-webhook-signature": undefined }), rx.secret), false);
  assert.deepEqual([now - 301, now + 301, now - 299, now].map((t) => isFresh(String(t), now)), [false, false, true, true]);
  assert.equal(isFresh(undefined, now), false);
  // ... and the running receiver answers 401 to a replayed delivery with a stale timestamp or a
  // tampered body (posted here by hand).
  const replay = Object.fromEntries(Object.entries(sample.headers).filter(([k]) => k.startsWith("x-") || k === "content-type"));
  const post = (body, ts) => fetch(rx.url, { method: "POST", body, headers: { ...replay, "x-timestamp": String(ts) } });
  const count = rx.received().length;
  const answers = [await post(sample.raw, now - 6 * 60), await post(tampered, now), await post(sample.raw, now)];
  assert.deepEqual(await Promise.all(answers.map(async (r) => [r.status, await r.text()])),
    [[401, "Stale timestamp"], [401, "Invalid signature"], [200, "OK"]]);
  assert.deepEqual(rx.received().slice(count).map((d) => d.verified), [false, false, true]);

  // A receiver that answers 500 is tried again 4 sandbox seconds later, with the same event.
  const flaky = await startReceiver();
  receivers.push(flaky);
  const created = await f.control("POST", "/webhook-endpoints",
    { name: "flaky (node)", url: flaky.url, events: ["webhook.test"] });
  assert.match(created.secret, SECRET);
  assert.notEqual(created.secret, rx.secret);
  flaky.secret = created.secret;
  flaky.failFirst(1, 500);
  const retried = await f.control("POST", `/webhook-endpoints/${created.id}/test`);
  await f.advance(0);
  const [pending] = await deliveriesOf(f, created.id);
  assert.deepEqual([pending.event_id, pending.status, pending.attempts.map((a) => a.status_code)],
    [retried.event_id, "pending", [500]]);
  assert.equal(parseTs(pending.next_attempt_at) - parseTs(pending.attempts[0].attempted_at), 4000);
  await f.advance(3);
  assert.equal(flaky.received().length, 1, "not before its time");
  await f.advance(1);
  const tries = flaky.received();
  assert.deepEqual(tries.map((d) => [d.status, d.verified, d.body.event_id]),
    [[500, true, retried.event_id], [200, true, retried.event_id]]);
  assert.equal(tries[0].raw, tries[1].raw, "a retry posts the same body");
  const [done] = await deliveriesOf(f, created.id);
  assert.deepEqual([done.status, done.attempts.map((a) => a.status_code), done.next_attempt_at], ["succeeded", [500, 200], null]);
  assert.ok(!rx.received().some((d) => d.body?.event_id === retried.event_id), "the flaky endpoint's test went to it alone");
}
