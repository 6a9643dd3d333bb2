// The send engine through the TypeScript SDK 0.11.1 (CONTRACT §3 magic numbers, §7-9): a broadcast
// scheduled now over contacts-mixed.csv, its stats and conversations, replyToConversation, test
// sends and the auto-pauses, on the manual clock. The twin of ../python/test_sends.py (the TS SDK
// has no throughput or pause method: the brand-cap test reads the project instead).
//
// Each test starts a sandbox of its own (sendkit.fresh): a send changes the world for good (STOP
// opts 0005 out of the organization, replies open threads) and moves the clock by hours. The
// project lives in the child key's organization and is driven with the child key, as that
// organization's integration would; the brand-cap test uses the agency's elevated key.

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ContractValidator, REPO_ROOT, expectError, parseTs } from "./support.mjs";
import { METRICS, TEST_COUNTERS, TEST_MESSAGE_ID, findSendable, mask, zeros } from "./projectkit.mjs";
import {
  CLICKS, CONVERSATION_ID, DELIVERED, FAILED, HOUR, MESSAGE_ID, MINUTE, NEVER_SENT, NO_RECEIPT, SAYS_YES, STOPS,
  TIMEZONE, UNKNOWN_CONVERSATION, YES_TEXT, contactOf, data, fresh, messagesOf, ofProject, projectOverMixed,
  rejected, story, threadWith, threadsOf,
} from "./sendkit.mjs";

const validator = new ContractValidator();
// Curly quotes, an em dash and an ellipsis, and what GSM normalization makes of them.
const CURLY = "We\u2019re \u201cready\u201d \u2014 doors open at 6\u2026";
const GSM = "We're \"ready\" - doors open at 6...";

afterEach(() => validator.assertNoViolations());

/** Runs `fn(f)` on a sandbox of its own, stopped afterwards. */
async function withFresh(args, fn) {
  const f = await fresh(validator, args);
  try {
    return await fn(f);
  } finally {
    await f.stop();
  }
}

async function childBroadcast(f, name, options = {}) {
  const client = f.client("child");
  const b = await projectOverMixed(f, client, { orgId: f.keys.child.organization_id, name, ...options });
  return { client, b };
}

/** A completed send: the child org's project over the mixed list, with link tracking, scheduled
 * now, then the clock moved 3 hours (every reply and click has arrived by then). */
async function completedSend(f) {
  const { client, b } = await childBroadcast(f, "SDK send (node)");
  data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
  await f.advance(3 * HOUR);
  assert.equal(data(await client.getProject(b.projectId)).status, "completed");
  return { client, b };
}

/** What any project's metrics must satisfy. */
function checkMetrics(m) {
  for (const k of METRICS) assert.ok(Number.isInteger(m[k]) && m[k] >= 0, `${k}: ${JSON.stringify(m)}`);
  assert.ok(m.delivered + m.undeliverable <= m.sent, `more outcomes than messages sent: ${JSON.stringify(m)}`);
  assert.ok(m.clicks_unique <= m.clicks_total, JSON.stringify(m));
  assert.ok(m.replies <= m.delivered && m.opt_outs <= m.delivered, JSON.stringify(m));
}

const count = (events, type) => events.filter((e) => e.event_type === type).length;

describe("a broadcast scheduled now", () => {
  it("starts at once, completes, and its metrics and events follow the magic numbers", () => withFresh([], async (f) => {
    const { client, b } = await childBroadcast(f, "SDK send now (node)");
    const before = data(await client.getProjectStats(b.projectId));
    assert.deepEqual([before.metrics, before.test], [zeros(METRICS), zeros(TEST_COUNTERS)]);

    const at = await f.now();
    const answer = data(await client.scheduleProject(b.projectId, { scheduled_at: at, scheduled_timezone: TIMEZONE }));
    assert.equal(validator.last("POST", "/schedule").status, 200);
    assert.deepEqual([answer.project_id, answer.scheduled_at, answer.scheduled_timezone], [b.projectId, at, TIMEZONE]);
    assert.ok(["scheduled", "sending"].includes(answer.status), answer.status);
    assert.equal(data(await client.getProject(b.projectId)).status, "sending", "scheduled now, it starts at once");

    await f.advance(3 * HOUR);
    const detail = data(await client.getProject(b.projectId));
    assert.deepEqual([detail.status, detail.scheduled_at, detail.pause_reason, detail.auto_paused], ["completed", at, null, false]);
    const stats = data(await client.getProjectStats(b.projectId));
    assert.deepEqual([stats.project_id, stats.status, stats.as_of], [b.projectId, "completed", await f.now()]);
    assert.deepEqual(stats.test, zeros(TEST_COUNTERS), "no test was sent");
    const m = stats.metrics;
    checkMetrics(m);
    // The magic numbers alone: 0000, 0003, 0005, 0006, 0007 delivered; 0002 and 0004 failed;
    // 0008 sent without a receipt; 0005 replies STOP, 0006 replies; 0007 clicks the tracking link.
    const failed = Object.keys(FAILED).length;
    assert.ok(m.sent >= DELIVERED.length + failed + 1, JSON.stringify(m));
    assert.ok(m.delivered >= DELIVERED.length && m.undeliverable >= failed, JSON.stringify(m));
    assert.ok(m.delivered + m.undeliverable <= m.sent - 1, `0008 never gets a receipt: ${JSON.stringify(m)}`);
    assert.ok(m.replies >= 2 && m.opt_outs >= 1 && m.opt_outs <= m.replies, JSON.stringify(m));
    assert.ok(m.clicks_total >= 1 && m.clicks_unique >= 1, JSON.stringify(m));

    // The event log (webhook bodies) tells the same story, message by message.
    const mine = ofProject(await f.events(), b.projectId);
    assert.deepEqual(
      ["message.sent", "message.delivered", "message.failed", "message.replied", "link.clicked"].map((t) => count(mine, t)),
      [m.sent, m.delivered, m.undeliverable, m.replies, m.clicks_total],
    );
    const sentTo = mine.filter((e) => e.event_type === "message.sent").map((e) => e.data.to);
    assert.equal(new Set(sentTo).size, sentTo.length, "a contact got two messages");
    assert.equal(sentTo.length + rejected(mine), b.recipients, "every recipient gets exactly one message");
    const by = story(mine);
    for (const n of DELIVERED) assert.deepEqual(by[n].slice(0, 2), ["message.sent", "message.delivered"], n);
    for (const [n, code] of Object.entries(FAILED)) assert.deepEqual(by[n], ["message.sent", `message.failed:${code}`], n);
    assert.deepEqual(by[NO_RECEIPT], ["message.sent"]);
    assert.deepEqual(by[STOPS], ["message.sent", "message.delivered", "message.replied:STOP"]);
    assert.deepEqual(by[SAYS_YES], ["message.sent", "message.delivered", `message.replied:${YES_TEXT}`]);
    assert.deepEqual(by[CLICKS], ["message.sent", "message.delivered", "link.clicked"]);
    for (const n of NEVER_SENT) assert.ok(!(n in by), `${n} is never in the audience`);
    for (const e of mine) {
      assert.equal(e.id, e.event_id);
      parseTs(e.created_at);
      if (e.event_type === "message.sent") assert.deepEqual([e.data.from, e.data.is_test], [b.number, false]);
      if (e.event_type === "link.clicked") assert.ok(e.data.url.startsWith(`https://${b.domain}/`), e.data.url);
    }
  }));
});

describe("conversations of a send", () => {
  it("the replies open threads, read through listConversations, getConversation and listConversationMessages", () => withFresh([], async (f) => {
    const { client, b } = await completedSend(f);
    const threads = await threadsOf(client, b.projectId);
    const byTo = Object.fromEntries(threads.map((t) => [t.to, t]));
    assert.ok(SAYS_YES in byTo && STOPS in byTo, `the 0005 and 0006 threads: ${Object.keys(byTo)}`);
    const replied = new Set(ofProject(await f.events(), b.projectId).filter((e) => e.event_type === "message.replied").map(contactOf));
    assert.deepEqual(new Set(Object.keys(byTo)), replied, "a thread per contact who wrote in, and only those");
    for (const t of threads) {
      assert.match(t.conversation_id, CONVERSATION_ID);
      assert.deepEqual([t.project_id, t.from, t.is_test, t.contact], [b.projectId, b.number, false, { phone_number: t.to }]);
      assert.deepEqual(data(await client.getConversation(t.conversation_id)), t, "getConversation = its list row");
    }
    const stamps = threads.map((t) => t.last_inbound_at);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), "newest last_inbound_at first");
    const defaults = new Set(data(await client.listConversations({ limit: 200 })).data.map((t) => t.conversation_id));
    for (const t of threads) assert.ok(defaults.has(t.conversation_id), "the default window (7 days back) lists it");
    assert.deepEqual(await threadsOf(client, b.projectId, { include_test: true }), threads, "no test was sent");

    const yes = byTo[SAYS_YES];
    const stop = byTo[STOPS];
    assert.deepEqual([yes.status, yes.opted_out, yes.inbound_messages, yes.outbound_messages], ["active", false, 1, 1]);
    assert.deepEqual([stop.status, stop.opted_out, stop.inbound_messages, stop.outbound_messages], ["opted_out", true, 1, 1]);
    for (const [thread, reply] of [[yes, YES_TEXT], [stop, "STOP"]]) {
      const [inbound, outbound, ...rest] = await messagesOf(client, thread.conversation_id);
      assert.equal(rest.length, 0);
      // Newest first: the contact's reply, then the broadcast message it answers.
      assert.deepEqual([inbound.direction, inbound.text, inbound.status, inbound.received_at], ["inbound", reply, "received", thread.last_inbound_at]);
      assert.deepEqual([inbound.sent_at, inbound.delivered_at, inbound.error_code], [null, null, null]);
      assert.deepEqual([outbound.direction, outbound.status, outbound.received_at, outbound.error_code], ["outbound", "delivered", null, null]);
      assert.match(inbound.message_id, MESSAGE_ID);
      assert.match(outbound.message_id, MESSAGE_ID);
      assert.ok(outbound.text.startsWith(`Hi Test! Find your polling place: https://${b.domain}/`), outbound.text);
      assert.ok(outbound.text.endsWith("\nSTOP=END"), outbound.text);
      assert.ok(parseTs(outbound.sent_at) <= parseTs(outbound.delivered_at));
      assert.ok(parseTs(outbound.delivered_at) <= parseTs(inbound.received_at));
    }
  }));
});

describe("replyToConversation", () => {
  it("answers 202 with the text normalized to GSM; the reply is delivered and published", () => withFresh([], async (f) => {
    const { client, b } = await completedSend(f);
    const yes = await threadWith(client, b.projectId, SAYS_YES);
    const metrics = data(await client.getProjectStats(b.projectId)).metrics;
    const at = await f.now();
    const answer = data(await client.replyToConversation(yes.conversation_id, { text: CURLY }));
    assert.equal(validator.last("POST", "/messages").status, 202);
    assert.match(answer.message_id, MESSAGE_ID);
    assert.deepEqual(answer, {
      message_id: answer.message_id, conversation_id: yes.conversation_id, project_id: b.projectId, from: b.number,
      to: SAYS_YES, text: GSM, created_at: at,
    });
    // It has left already (quiet hours do not apply); its outcome arrives on the clock.
    const [newest] = await messagesOf(client, yes.conversation_id);
    assert.deepEqual([newest.message_id, newest.direction, newest.text, newest.delivered_at, newest.received_at],
      [answer.message_id, "outbound", GSM, null, null]);
    assert.ok(["queued", "sending", "sent"].includes(newest.status), newest.status);
    const thread = data(await client.getConversation(yes.conversation_id));
    assert.deepEqual([thread.outbound_messages, thread.inbound_messages, thread.last_outbound_at, thread.last_inbound_at],
      [2, 1, at, yes.last_inbound_at]);

    await f.advance(MINUTE);
    const [reply, inbound, broadcast] = await messagesOf(client, yes.conversation_id);
    assert.deepEqual([reply.message_id, reply.status, reply.error_code], [answer.message_id, "delivered", null]);
    assert.ok(parseTs(at) <= parseTs(reply.sent_at) && parseTs(reply.sent_at) <= parseTs(reply.delivered_at));
    assert.deepEqual([inbound.direction, inbound.text, broadcast.direction], ["inbound", YES_TEXT, "outbound"]);
    // "final delivery state arrives on the existing message.sent / message.delivered / message.failed webhooks".
    const published = (await f.events()).filter((e) => e.data.message_id === answer.message_id);
    assert.deepEqual(published.map((e) => e.event_type), ["message.sent", "message.delivered"]);
    for (const e of published) {
      assert.deepEqual([e.data.conversation_id, e.data.project_id, e.data.from, e.data.to, e.data.is_test],
        [yes.conversation_id, b.projectId, b.number, SAYS_YES, false]);
    }
    assert.deepEqual(data(await client.getProjectStats(b.projectId)).metrics, metrics, "a reply is not a broadcast message");

    // A retry with the same idempotencyKey replays the answer and sends nothing more.
    const body = { text: "Polls close at 7:30" };
    const first = data(await client.replyToConversation(yes.conversation_id, body, { idempotencyKey: "sdk-node-reply" }));
    const again = data(await client.replyToConversation(yes.conversation_id, body, { idempotencyKey: "sdk-node-reply" }));
    assert.deepEqual(again, first);
    assert.equal(validator.last("POST", "/messages").headers.get("idempotent-replayed"), "true");
    assert.equal(data(await client.getConversation(yes.conversation_id)).outbound_messages, 3);
  }));

  it("refuses an opted-out contact, bad text, unknown and foreign threads, and a read-only key", () => withFresh([], async (f) => {
    const { client, b } = await completedSend(f);
    const stop = await threadWith(client, b.projectId, STOPS);
    const yes = await threadWith(client, b.projectId, SAYS_YES);
    const counts = async (t) => {
      const c = data(await client.getConversation(t.conversation_id));
      return [c.inbound_messages, c.outbound_messages];
    };
    const before = [await counts(stop), await counts(yes)];
    await expectError(client.replyToConversation(stop.conversation_id, { text: "Sorry to see you go" }), 409, "CONTACT_OPTED_OUT");
    for (const text of ["", "x".repeat(1601)]) {
      const e = await expectError(client.replyToConversation(yes.conversation_id, { text }), 400, "VALIDATION_ERROR");
      assert.deepEqual(e.body.details.map((d) => d.field), ["text"]);
    }
    await expectError(client.replyToConversation(UNKNOWN_CONVERSATION, { text: "hi" }), 404, "CONVERSATION_NOT_FOUND");
    await expectError(f.client("read_only").replyToConversation(yes.conversation_id, { text: "hi" }), 403, "PERMISSION_DENIED");
    const e = await expectError(f.client("zero_balance").replyToConversation(yes.conversation_id, { text: "hi" }), 404, "CONVERSATION_NOT_FOUND");
    assert.ok(!JSON.stringify(e.body).includes(yes.conversation_id), "the 404 reveals the foreign id");
    assert.deepEqual([await counts(stop), await counts(yes)], before, "a refused reply queued a message");
    // Exactly 1,600 characters is accepted.
    assert.equal(data(await client.replyToConversation(yes.conversation_id, { text: "x".repeat(1600) })).text, "x".repeat(1600));
    assert.equal(validator.last("POST", "/messages").status, 202);
  }));

  it("a test thread is listed with include_test=true and is 409 CONVERSATION_NOT_SENDABLE", () => withFresh([], async (f) => {
    const { client, b } = await childBroadcast(f, "SDK test thread (node)");
    const answer = data(await client.testProject(b.projectId, { test_contacts: [{ phone: SAYS_YES }] }));
    assert.deepEqual([answer.tests_sent, answer.test_messages[0].sent_to], [1, mask(SAYS_YES)]);
    await f.advance(HOUR);
    // 0006 answered the test: a test thread, listed only with include_test=true.
    assert.deepEqual(await threadsOf(client, b.projectId), []);
    const [thread, ...more] = await threadsOf(client, b.projectId, { include_test: true });
    assert.equal(more.length, 0);
    assert.deepEqual(
      [thread.to, thread.from, thread.project_id, thread.is_test, thread.status, thread.inbound_messages, thread.outbound_messages],
      [SAYS_YES, b.number, b.projectId, true, "active", 1, 1],
    );
    assert.deepEqual(data(await client.getConversation(thread.conversation_id)), thread);
    const ids = async (query) => data(await client.listConversations({ limit: 200, ...query })).data.map((t) => t.conversation_id);
    assert.ok((await ids({ include_test: true })).includes(thread.conversation_id));
    assert.ok(!(await ids({})).includes(thread.conversation_id), "include_test defaults to false");
    const [inbound, outbound] = await messagesOf(client, thread.conversation_id);
    assert.deepEqual([inbound.direction, inbound.text], ["inbound", YES_TEXT]);
    assert.deepEqual([outbound.direction, outbound.status, outbound.message_id], ["outbound", "delivered", answer.test_messages[0].test_message_id]);
    assert.match(outbound.message_id, TEST_MESSAGE_ID);
    const stats = data(await client.getProjectStats(b.projectId));
    assert.deepEqual([stats.test, stats.metrics], [{ ...zeros(TEST_COUNTERS), delivered: 1, replies: 1 }, zeros(METRICS)]);
    await expectError(client.replyToConversation(thread.conversation_id, { text: "hi" }), 409, "CONVERSATION_NOT_SENDABLE");
    assert.equal(data(await client.getConversation(thread.conversation_id)).outbound_messages, 1);
  }));

  it("needs funds (402 INSUFFICIENT_BALANCE) and sending not paused (409 SENDING_PAUSED)", () => withFresh([], async (f) => {
    // Threads opened by a contact writing in (POST /_sandbox/inbound) to a project's number.
    for (const [role, status, code] of [["zero_balance", 402, "INSUFFICIENT_BALANCE"], ["sending_paused", 409, "SENDING_PAUSED"]]) {
      const client = f.client(role);
      const projects = data(await client.listProjects());
      const id = projects.length
        ? projects[0].id
        : data(await client.createProject((await findSendable(client)).body(`SDK ${role} (node)`))).id; // creating needs no balance
      const project = data(await client.getProject(id));
      const number = data(await client.listPhoneNumbers()).find((n) => n.id === project.phone_number_ids[0]).number;
      const opened = await f.control("POST", "/inbound", { from: "+16145550189", to: number, text: "Can I still vote early?" });
      const thread = data(await client.getConversation(opened.conversation_id));
      assert.deepEqual([thread.project_id, thread.is_test, thread.status], [project.project_id, false, "active"]);
      const e = await expectError(client.replyToConversation(thread.conversation_id, { text: "Yes, until Sunday" }), status, code);
      if (code === "SENDING_PAUSED") assert.equal(e.body.details.scope, "organization");
      assert.equal(data(await client.getConversation(thread.conversation_id)).outbound_messages, 0);
    }
  }));
});

describe("test sends", () => {
  it("count in test (delivered 0000, failed 0002), never in metrics, before and after the broadcast", () => withFresh([], async (f) => {
    const { client, b } = await childBroadcast(f, "SDK test sends (node)");
    const phones = ["+15005550000", "+15005550002"];
    const answer = data(await client.testProject(b.projectId, { test_contacts: phones.map((phone) => ({ phone })) }));
    assert.equal(validator.last("POST", "/test").status, 202);
    assert.equal(answer.tests_sent, 2);
    assert.deepEqual(answer.test_messages.map((m) => m.sent_to), phones.map(mask));
    const ids = answer.test_messages.map((m) => m.test_message_id);
    const pipeline = data(await client.getProjectStats(b.projectId)).test;
    assert.equal(pipeline.sent + pipeline.delivered + pipeline.failed, 2, JSON.stringify(pipeline));
    await f.advance(MINUTE);
    let stats = data(await client.getProjectStats(b.projectId));
    // 0000 is delivered, 0002 (a landline) fails; "metrics excludes test traffic".
    assert.deepEqual(stats.test, { ...zeros(TEST_COUNTERS), delivered: 1, failed: 1 });
    assert.deepEqual(stats.metrics, zeros(METRICS));
    assert.equal(data(await client.getProject(b.projectId)).status, "awaiting_test", "a test does not move the project");
    const outcomes = (await f.events())
      .filter((e) => ids.includes(e.data.message_id) && e.event_type !== "message.sent")
      .map((e) => [e.event_type, e.data.to, e.data.error_code ?? null, e.data.is_test])
      .sort();
    assert.deepEqual(outcomes, [["message.delivered", phones[0], null, true], ["message.failed", phones[1], "300", true]]);

    // The broadcast afterwards: metrics count it alone, and the test counters stay as they were.
    data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
    await f.advance(3 * HOUR);
    stats = data(await client.getProjectStats(b.projectId));
    assert.equal(stats.status, "completed");
    assert.deepEqual(stats.test, { ...zeros(TEST_COUNTERS), delivered: 1, failed: 1 });
    checkMetrics(stats.metrics);
    const mine = ofProject(await f.events(), b.projectId);
    assert.equal(stats.metrics.sent, mine.filter((e) => e.event_type === "message.sent" && !e.data.is_test).length);
  }));
});

describe("auto-pauses and resuming", () => {
  it("the window closes into a quiet_hours pause and a schedule resumes next morning where it stopped", () => withFresh(["--send-rate", "0.01"], async (f) => {
    // CONTRACT §8: sends run 08:00-22:00 where most recipients live (the mixed list: Ohio, New York
    // time). One message per 100 sandbox seconds: 20 minutes of window are not enough for the list.
    const { client, b } = await childBroadcast(f, "SDK quiet hours (node)", { linkTracking: false });
    const status = async () => data(await client.getProject(b.projectId));
    const sentSoFar = async () => data(await client.getProjectStats(b.projectId)).metrics.sent;
    await f.advanceTo("2026-11-04T02:40:00.000Z"); // 21:40 in New York
    data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
    assert.equal((await status()).status, "sending");
    await f.advance(30 * MINUTE);
    let detail = await status();
    assert.deepEqual([detail.status, detail.pause_reason, detail.auto_paused], ["paused", "quiet_hours", true]);
    const sent = await sentSoFar();
    assert.ok(sent > 0 && sent < b.recipients, `${sent} of ${b.recipients} sent before 22:00`);
    // It does not resume by itself.
    await f.advance(HOUR);
    assert.equal((await status()).status, "paused");
    assert.equal(await sentSoFar(), sent);
    // Scheduled again at 23:40: due, but the window is shut until 08:00.
    const answer = data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
    assert.equal(answer.status, "scheduled");
    detail = await status();
    assert.deepEqual([detail.status, detail.pause_reason, detail.auto_paused], ["scheduled", null, false]);
    await f.advanceTo("2026-11-04T12:59:00.000Z");
    assert.equal((await status()).status, "scheduled");
    await f.advance(2 * MINUTE);
    assert.equal((await status()).status, "sending");
    await f.advance(2 * HOUR);
    assert.equal((await status()).status, "completed");
    // It continued where it stopped: everyone once, the second stretch from 08:00 New York time.
    const mine = ofProject(await f.events(), b.projectId);
    const sends = mine.filter((e) => e.event_type === "message.sent");
    assert.equal(new Set(sends.map((e) => e.data.to)).size, sends.length, "a contact got two messages");
    assert.equal(sends.length + rejected(mine), b.recipients);
    assert.ok(sends[sent].created_at >= "2026-11-04T13:00:00.000Z", sends[sent].created_at);
    assert.equal(await sentSoFar(), sends.length);
  }));

  it("a metered brand's T-Mobile daily cap pauses the send (brand_daily_cap) unless the schedule bypasses it", async () => {
    // The default fixtures with the smallest T-Mobile cap lowered to 1 part a day (`--fixtures`).
    const fixtures = JSON.parse(readFileSync(path.join(REPO_ROOT, "fixtures", "default.json"), "utf8"));
    const capped = fixtures.brands.filter((x) => x.t_mobile_daily_cap);
    assert.ok(capped.length, "no metered brand in the default fixtures");
    const brand = capped.reduce((a, x) => (x.t_mobile_daily_cap < a.t_mobile_daily_cap ? x : a));
    brand.t_mobile_daily_cap = 1;
    const dir = mkdtempSync(path.join(os.tmpdir(), "pc-sdk-sends-"));
    const file = path.join(dir, "one-t-mobile-part-a-day.json");
    writeFileSync(file, JSON.stringify(fixtures));
    try {
      await withFresh(["--fixtures", file], async (f) => {
        const api = f.client("elevated");
        const brandId = data(await api.listBrands()).find((x) => x.brand_name === brand.name).id;
        const campaign = data(await api.listCampaigns({ brand_id: brandId })).find((c) => c.campaign_status === "ACTIVE");
        const b = await projectOverMixed(f, api, {
          orgId: campaign.org_id, name: "SDK daily cap (node)", linkTracking: false, accept: async (c) => c.id === campaign.id,
        });
        data(await api.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
        await f.advance(2 * MINUTE);
        let detail = data(await api.getProject(b.projectId));
        assert.deepEqual([detail.status, detail.pause_reason, detail.auto_paused], ["paused", "brand_daily_cap", true]);
        const sent = data(await api.getProjectStats(b.projectId)).metrics.sent;
        assert.ok(sent > 0 && sent < b.recipients, String(sent));

        const answer = data(await api.scheduleProject(b.projectId, {
          scheduled_at: await f.now(), scheduled_timezone: TIMEZONE, daily_cap_bypass: true,
        }));
        assert.equal(answer.daily_cap_bypass, true);
        await f.advance(HOUR);
        detail = data(await api.getProject(b.projectId));
        assert.deepEqual([detail.status, detail.daily_cap_bypass, detail.pause_reason], ["completed", true, null]);
        const mine = ofProject(await f.events(), b.projectId);
        const sends = mine.filter((e) => e.event_type === "message.sent").map((e) => e.data.to);
        assert.equal(new Set(sends).size, sends.length);
        assert.equal(sends.length + rejected(mine), b.recipients);
        const m = data(await api.getProjectStats(b.projectId)).metrics;
        checkMetrics(m);
        assert.ok(m.sent === sends.length && m.sent > sent, JSON.stringify(m));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
