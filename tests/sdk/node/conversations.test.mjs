// Conversations (CONTRACT §2 keyset pages, §9) through the TypeScript SDK 0.11.1: listConversations,
// getConversation and listConversationMessages (replyToConversation, the threads a send opens and a
// test thread under include_test are in sends.test.mjs, each on a sandbox of its own). Paging with
// small limits visits every seeded thread once, newest last_inbound_at first, next_cursor null on
// the last page; the filters; 400 for a tampered cursor and for a cursor reused with other filters;
// 404 across trees; messages newest first with the direction's fields; POST /_sandbox/inbound: a
// reply tops the list, a whole-message STOP opts out.
// The twin of ../python/test_conversations.py, with the same kinds of assertions.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContractValidator, startSandbox, seededKeys, makeClient, parseTs, expectError, control, advance, idPattern, events as allEvents } from "./support.mjs";

const validator = new ContractValidator();
const CONVERSATION_ID = idPattern("conv");
const MESSAGE_ID = idPattern("msg");
const PROJECT_ID = idPattern("proj");
const E164 = /^\+1\d{10}$/;
const UNKNOWN_CONVERSATION = "conv_00000000000000000000000000";
const NEW_CONTACT = "+16145550143";
const DAY = 86_400_000;
let sandbox;
let keys;
let api;
let seeded; // every thread of the elevated key, read before this file injects anything
let clockStart; // ms

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};
const client = (role) => makeClient(sandbox, validator, keys[role].key);
const iso = (ms) => new Date(ms).toISOString();
const now = async () => parseTs((await control(sandbox, validator, "GET", "/clock")).now);
const convIds = (rows) => rows.map((r) => r.conversation_id);
const inbound = (from, to, text) => control(sandbox, validator, "POST", "/inbound", { from, to, text });

/** Every page of a keyset list, following next_cursor; checks each page's shape. */
async function pages(fetchPage, limit, maxPages = 500) {
  const out = [];
  let cursor;
  for (;;) {
    const page = data(await fetchPage(cursor));
    assert.ok(page.data.length <= limit, `${page.data.length} rows on a page of limit ${limit}`);
    out.push(page.data);
    if (!page.has_more) {
      assert.equal(page.next_cursor, null, "next_cursor must be null on the last page");
      return out;
    }
    assert.ok(typeof page.next_cursor === "string" && page.next_cursor, JSON.stringify(page));
    assert.equal(page.data.length, limit, "has_more with a short page");
    assert.ok(out.length < maxPages, `still paging after ${maxPages} pages`);
    cursor = page.next_cursor;
  }
}

const allThreads = async (query, limit = 200, who = api) =>
  (await pages((cursor) => who.listConversations({ ...query, limit, cursor }), limit)).flat();

function checkThread(row) {
  assert.match(row.conversation_id, CONVERSATION_ID);
  assert.match(row.project_id ?? "", PROJECT_ID, `a thread without its project: ${JSON.stringify(row)}`);
  assert.match(row.from, E164);
  assert.match(row.to, E164);
  assert.equal(row.contact.phone_number, row.to);
  assert.ok(["active", "inactive", "opted_out"].includes(row.status), row.status);
  assert.equal(row.opted_out, row.status === "opted_out");
  assert.ok(row.inbound_messages >= 1, "only threads with an inbound message are listed");
  assert.ok(parseTs(row.first_message_at) <= parseTs(row.last_inbound_at));
  parseTs(row.created_at);
  if (row.last_outbound_at === null) assert.equal(row.outbound_messages, 0);
  else parseTs(row.last_outbound_at);
}

function checkOrder(rows) {
  const stamps = rows.map((r) => parseTs(r.last_inbound_at));
  assert.deepEqual(stamps, [...stamps].sort((a, b) => b - a), "not newest last_inbound_at first");
  assert.equal(new Set(convIds(rows)).size, rows.length, "a thread listed twice");
}

function checkMessages(thread, messages) {
  assert.equal(new Set(messages.map((m) => m.message_id)).size, messages.length, "a message listed twice");
  const inboundMessages = messages.filter((m) => m.direction === "inbound");
  assert.equal(inboundMessages.length, thread.inbound_messages);
  assert.equal(messages.length - inboundMessages.length, thread.outbound_messages);
  for (const m of messages) {
    assert.match(m.message_id, MESSAGE_ID);
    if (m.direction === "inbound") {
      assert.equal(m.status, "received");
      parseTs(m.received_at);
      assert.deepEqual([m.sent_at, m.delivered_at, m.error_code], [null, null, null]);
    } else {
      assert.equal(m.direction, "outbound");
      assert.equal(m.received_at, null, "received_at: always null on outbound");
      assert.notEqual(m.status, "received");
    }
  }
  const stamps = messages.filter((m) => m.direction === "inbound" || m.sent_at).map((m) => parseTs(m.received_at ?? m.sent_at));
  assert.deepEqual(stamps, [...stamps].sort((a, b) => b - a), `${thread.conversation_id}: messages not newest first`);
  assert.equal(Math.max(...inboundMessages.map((m) => parseTs(m.received_at))), parseTs(thread.last_inbound_at));
}

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client("elevated");
  clockStart = await now();
  seeded = await allThreads({ updated_since: iso(clockStart - 89 * DAY) });
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("listConversations", () => {
  it("paging with small limits visits every thread once, newest last_inbound_at first; next_cursor null at the end", async () => {
    assert.ok(seeded.length > 10, `the seeded world has ${seeded.length} conversations`);
    checkOrder(seeded);
    for (const row of seeded) {
      checkThread(row);
      assert.equal(row.is_test, false, "include_test defaults to false");
    }
    const statuses = new Set(seeded.map((r) => r.status));
    assert.ok(statuses.has("active") && statuses.has("opted_out"), [...statuses].join());
    const updated_since = iso(clockStart - 89 * DAY);
    for (const limit of [1, 8, 50]) {
      const chunks = await pages((cursor) => api.listConversations({ updated_since, limit, cursor }), limit);
      const expected = [];
      for (let i = 0; i < seeded.length; i += limit) expected.push(convIds(seeded.slice(i, i + limit)));
      assert.deepEqual(chunks.map(convIds), expected, `paging by ${limit}`);
    }
    const first = data(await api.listConversations({ updated_since }));
    assert.deepEqual(convIds(first.data), convIds(seeded.slice(0, 50)), "the default limit is 50");
    assert.equal(first.has_more, seeded.length > 50);
    for (const limit of [0, 201]) {
      const e = await expectError(api.listConversations({ limit }), 400, "VALIDATION_ERROR");
      assert.ok(e.body.details.some((d) => d.field === "limit"), JSON.stringify(e.body));
    }
  });

  it("project_id filters, ANDed with updated_since", async () => {
    const updated_since = iso(clockStart - 89 * DAY);
    const projects = [...new Set(seeded.map((r) => r.project_id))].sort();
    assert.ok(projects.length > 1, "seeded threads of one project only");
    for (const project_id of projects) {
      const rows = await allThreads({ updated_since, project_id }, 10);
      assert.deepEqual(convIds(rows), convIds(seeded.filter((r) => r.project_id === project_id)), project_id);
    }
    const mine = seeded.filter((r) => r.project_id === projects[0]);
    const cut = parseTs(mine[Math.floor(mine.length / 2)].last_inbound_at) - 1;
    assert.deepEqual(
      convIds(await allThreads({ updated_since: iso(cut), project_id: projects[0] })),
      convIds(mine.filter((r) => parseTs(r.last_inbound_at) >= cut)),
    );
  });

  it("updated_since filters last_inbound_at, defaults to now - 7 days, and more than 90 days back is a 400", async () => {
    const distinct = [...new Set(seeded.map((r) => parseTs(r.last_inbound_at)))].sort((a, b) => b - a);
    const half = Math.floor(distinct.length / 2);
    const middle = Math.floor((distinct[half - 1] + distinct[half]) / 2);
    const rows = await allThreads({ updated_since: iso(middle) }, 9);
    assert.deepEqual(convIds(rows), convIds(seeded.filter((r) => parseTs(r.last_inbound_at) > middle)));
    assert.ok(rows.length > 0 && rows.length < seeded.length);
    const defaults = (await pages((cursor) => api.listConversations({ limit: 200, cursor }), 200)).flat();
    assert.deepEqual(convIds(defaults), convIds(await allThreads({ updated_since: iso(clockStart - 7 * DAY) })));
    assert.deepEqual(convIds(await allThreads({ updated_since: iso(clockStart - 90 * DAY) })), convIds(seeded), "exactly 90 days back is accepted");
    const e = await expectError(api.listConversations({ updated_since: iso(clockStart - 90 * DAY - 1) }), 400, "VALIDATION_ERROR");
    assert.deepEqual(e.body.details.map((d) => d.field), ["updated_since"]);
    await expectError(api.listConversations({ updated_since: "last week" }), 400, "VALIDATION_ERROR");
    assert.deepEqual(data(await api.listConversations({ updated_since: iso(clockStart + DAY) })), { data: [], has_more: false, next_cursor: null });
  });

  it("include_test: false is the default; true adds test threads only", async () => {
    const updated_since = iso(clockStart - 89 * DAY);
    assert.deepEqual(convIds(await allThreads({ updated_since, include_test: false })), convIds(seeded));
    const withTests = await allThreads({ updated_since, include_test: true });
    checkOrder(withTests);
    const known = new Set(convIds(seeded));
    for (const id of known) assert.ok(convIds(withTests).includes(id), id);
    assert.ok(withTests.filter((r) => !known.has(r.conversation_id)).every((r) => r.is_test));
  });

  it("a tampered cursor and a cursor reused with other filters are 400s", async () => {
    const updated_since = iso(clockStart - 89 * DAY);
    const first = data(await api.listConversations({ updated_since, limit: 3 }));
    const cursor = first.next_cursor;
    assert.ok(cursor);
    assert.deepEqual(convIds(data(await api.listConversations({ updated_since, limit: 3, cursor })).data), convIds(seeded.slice(3, 6)));
    const mid = Math.floor(cursor.length / 2);
    const swapped = cursor.slice(0, mid) + (cursor[mid] === "A" ? "B" : "A") + cursor.slice(mid + 1);
    for (const bad of [swapped, cursor + "A", cursor.slice(0, -1), "not-a-cursor!"]) {
      const e = await expectError(api.listConversations({ updated_since, limit: 3, cursor: bad }), 400, "VALIDATION_ERROR");
      assert.deepEqual(e.body.details.map((d) => d.field), ["cursor"], bad);
    }
    for (const filters of [{ updated_since: iso(clockStart - 30 * DAY) }, { updated_since, project_id: seeded[0].project_id }, { updated_since, include_test: true }, {}]) {
      const e = await expectError(api.listConversations({ ...filters, limit: 3, cursor }), 400, "VALIDATION_ERROR");
      assert.deepEqual(e.body.details.map((d) => d.field), ["cursor"], JSON.stringify(filters));
    }
    await expectError(api.listConversationMessages(seeded[0].conversation_id, { cursor }), 400, "VALIDATION_ERROR");
    const thread = data(await api.listConversationMessages(seeded[0].conversation_id, { limit: 1 }));
    assert.ok(thread.has_more && thread.next_cursor);
    await expectError(api.listConversationMessages(seeded[1].conversation_id, { limit: 1, cursor: thread.next_cursor }), 400, "VALIDATION_ERROR");
  });
});

describe("getConversation and scoping", () => {
  it("getConversation answers every list row as listed", async () => {
    for (const row of seeded) assert.deepEqual(data(await api.getConversation(row.conversation_id)), row);
  });

  it("threads outside the key's tree and unknown ids are 404 CONVERSATION_NOT_FOUND", async () => {
    const orgOf = new Map(data(await api.listProjects()).map((p) => [p.id, p.org_id]));
    const child = client("child");
    const childOrgs = new Set(data(await child.listOrganizations()).map((o) => o.id));
    const updated_since = iso(clockStart - 89 * DAY);
    assert.deepEqual(
      convIds(data(await child.listConversations({ updated_since, limit: 200 })).data),
      convIds(seeded.filter((r) => childOrgs.has(orgOf.get(r.project_id)))),
    );
    const outside = seeded.find((r) => !childOrgs.has(orgOf.get(r.project_id)));
    assert.ok(outside, "every seeded thread is in the child's tree");
    const e = await expectError(child.getConversation(outside.conversation_id), 404, "CONVERSATION_NOT_FOUND");
    assert.ok(!JSON.stringify(e.body).includes(outside.conversation_id), "the 404 reveals the foreign id");
    await expectError(child.listConversationMessages(outside.conversation_id), 404, "CONVERSATION_NOT_FOUND");
    const other = client("zero_balance");
    const theirs = convIds(data(await other.listConversations({ updated_since, limit: 200 })).data);
    assert.ok(!theirs.some((id) => convIds(seeded).includes(id)), "another tree sees main-tree threads");
    await expectError(other.getConversation(seeded[0].conversation_id), 404, "CONVERSATION_NOT_FOUND");
    await expectError(other.listConversationMessages(seeded[0].conversation_id), 404, "CONVERSATION_NOT_FOUND");
    await expectError(api.getConversation(UNKNOWN_CONVERSATION), 404, "CONVERSATION_NOT_FOUND");
    await expectError(api.listConversationMessages(UNKNOWN_CONVERSATION), 404, "CONVERSATION_NOT_FOUND");
  });
});

describe("listConversationMessages", () => {
  it("newest first; inbound has received_at, outbound has it null; counts match the thread", async () => {
    const types = new Map(data(await api.listProjects()).map((p) => [p.id, p.type]));
    for (const thread of seeded) {
      const page = data(await api.listConversationMessages(thread.conversation_id, { limit: 200 }));
      assert.deepEqual([page.has_more, page.next_cursor], [false, null]);
      checkMessages(thread, page.data);
      if (types.get(thread.project_id) === "broadcast") {
        for (const m of page.data.filter((x) => x.direction === "outbound")) assert.ok(m.text, `${thread.conversation_id}: outbound without text`);
      }
    }
    const thread = seeded[0];
    const whole = data(await api.listConversationMessages(thread.conversation_id)).data;
    const chunks = await pages((cursor) => api.listConversationMessages(thread.conversation_id, { limit: 1, cursor }), 1);
    assert.deepEqual(chunks.flat().map((m) => m.message_id), whole.map((m) => m.message_id));
    await expectError(api.listConversationMessages(thread.conversation_id, { limit: 201 }), 400, "VALIDATION_ERROR");
  });
});

describe("inbound through POST /_sandbox/inbound", () => {
  it("a reply tops the list and is the newest message; message.replied is published", async () => {
    const thread = seeded.slice(5).find((t) => t.status === "active");
    const at = await advance(sandbox, validator, 1);
    const answer = await inbound(thread.to, thread.from, "SDK node: count me in");
    assert.deepEqual([answer.conversation_id, answer.project_id, answer.opted_out], [thread.conversation_id, thread.project_id, false]);
    const expected = { ...thread, last_inbound_at: at, inbound_messages: thread.inbound_messages + 1 };
    assert.deepEqual(data(await api.listConversations({ limit: 1 })).data, [expected]);
    assert.deepEqual(data(await api.getConversation(thread.conversation_id)), expected);
    assert.deepEqual(data(await api.listConversationMessages(thread.conversation_id, { limit: 1 })).data, [{
      message_id: answer.message_id, direction: "inbound", text: "SDK node: count me in", media_urls: [], status: "received",
      sent_at: null, delivered_at: null, received_at: at, error_code: null,
    }]);
    const events = (await allEvents(sandbox, validator))
      .filter((e) => e.event_type === "message.replied" && e.data.message_id === answer.message_id);
    assert.equal(events.length, 1);
    assert.deepEqual([events[0].data.conversation_id, events[0].data.from, events[0].data.to], [thread.conversation_id, thread.to, thread.from]);
  });

  it("threads with the same last_inbound_at are each paged once", async () => {
    const number = seeded.at(-1).from;
    const at = await advance(sandbox, validator, 1);
    const opened = new Set();
    for (const contact of ["+16145550161", "+16145550162", "+16145550163"]) opened.add((await inbound(contact, number, "Same instant")).conversation_id);
    assert.equal(opened.size, 3);
    const whole = await allThreads({ updated_since: at });
    assert.deepEqual(new Set(convIds(whole)), opened);
    assert.ok(whole.every((r) => r.last_inbound_at === at));
    const oneByOne = (await pages((cursor) => api.listConversations({ updated_since: at, limit: 1, cursor }), 1)).flat();
    assert.deepEqual(convIds(oneByOne), convIds(whole), "a tie on last_inbound_at broke keyset paging");
  });

  it("a new contact opens a thread; only a whole-message STOP opts it out", async () => {
    const number = seeded[0].from;
    let at = await advance(sandbox, validator, 1);
    const first = await inbound(NEW_CONTACT, number, "Who is this?");
    assert.ok(!convIds(seeded).includes(first.conversation_id));
    let thread = data(await api.getConversation(first.conversation_id));
    checkThread(thread);
    assert.deepEqual([thread.from, thread.to, thread.status, thread.inbound_messages, thread.outbound_messages, thread.last_inbound_at],
      [number, NEW_CONTACT, "active", 1, 0, at]);
    assert.deepEqual(convIds(data(await api.listConversations({ limit: 1 })).data), [first.conversation_id]);
    await advance(sandbox, validator, 1);
    assert.equal((await inbound(NEW_CONTACT, number, "please stop by the office")).opted_out, false);
    assert.equal(data(await api.getConversation(first.conversation_id)).status, "active");
    at = await advance(sandbox, validator, 1);
    const stop = await inbound(NEW_CONTACT, number, " STOP  ");
    assert.deepEqual([stop.conversation_id, stop.opted_out], [first.conversation_id, true]);
    thread = data(await api.getConversation(first.conversation_id));
    assert.deepEqual([thread.status, thread.opted_out, thread.inbound_messages, thread.last_inbound_at], ["opted_out", true, 3, at]);
    assert.deepEqual(data(await api.listConversations({ limit: 1 })).data, [thread]);
    const messages = data(await api.listConversationMessages(first.conversation_id)).data;
    assert.deepEqual(messages.map((m) => m.text), [" STOP  ", "please stop by the office", "Who is this?"]);
    checkMessages(thread, messages);
  });
});
