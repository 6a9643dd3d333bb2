// Helpers of the send-engine tests (CONTRACT §3 magic numbers, §8 sends, §9 conversations); the twin
// of ../python/sendkit.py. A send changes a sandbox for good (opt-outs, threads, the event log) and
// moves its clock by hours, so every test in sends.test.mjs runs on a sandbox of its own (fresh()),
// started with the suite's arguments (manual clock, seed 1) plus any of its own (`--send-rate`,
// `--fixtures`). Bodies come from what the API lists, as in projectkit: a campaign of the
// organization with a free number of its own, and the bundled contacts-mixed.csv imported into that
// organization from the sandbox's hosted files.

import assert from "node:assert/strict";
import {
  startSandbox, seededKeys, makeClient, control, hostedFiles, poll, events as allEvents, idPattern,
} from "./support.mjs";
import { findSendable } from "./projectkit.mjs";

export const MINUTE = 60;
export const HOUR = 3600;
export const CONVERSATION_ID = idPattern("conv");
export const MESSAGE_ID = idPattern("msg");
export const UNKNOWN_CONVERSATION = "conv_00000000000000000000000000";

// CONTRACT §3, for a contact list's send: what each magic number of contacts-mixed.csv does.
// 0001 is rejected at import and 0009 is already opted out, so neither gets a message.
export const DELIVERED = ["+15005550000", "+15005550003", "+15005550005", "+15005550006", "+15005550007"];
export const FAILED = { "+15005550002": "300", "+15005550004": "012" };
export const NO_RECEIPT = "+15005550008";
export const STOPS = "+15005550005";
export const SAYS_YES = "+15005550006";
export const CLICKS = "+15005550007";
export const NEVER_SENT = ["+15005550001", "+15005550009"];
export const YES_TEXT = "Yes, count me in!";
export const LINK_MESSAGE = "Hi {first_name|there}! Find your polling place: {link}";
export const DESTINATION = "https://vote.example.org/find";
export const TIMEZONE = "America/New_York";
// contacts-mixed.csv: 33 rows, 6 bad (incl. magic +15005550001), 3 duplicates, 1 opted out (+15005550009).
export const MIXED = { total_rows: 33, total_contacts: 27, clean_contacts: 23, duplicate_count: 3, bad_number_count: 6, opted_out_count: 1 };

export const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};

/** A sandbox of one test's own: its control plane, its clock and SDK clients of its keys. */
export async function fresh(validator, args = []) {
  const sandbox = await startSandbox({ args });
  try {
    const keys = await seededKeys(sandbox, validator);
    const files = await hostedFiles(sandbox, validator);
    const f = {
      sandbox,
      keys,
      files,
      control: (method, path, body) => control(sandbox, validator, method, path, body),
      advance: async (seconds) => (await control(sandbox, validator, "POST", "/clock/advance", { seconds })).now,
      advanceTo: async (to) => (await control(sandbox, validator, "POST", "/clock/advance", { to })).now,
      now: async () => (await control(sandbox, validator, "GET", "/clock")).now,
      events: () => allEvents(sandbox, validator),
      client: (role) => makeClient(sandbox, validator, keys[role].key),
      poll: (read, done, options) => poll(sandbox, validator, read, done, options),
      stop: () => sandbox.stop(),
    };
    return f;
  } catch (e) {
    await sandbox.stop();
    throw e;
  }
}

/**
 * Imports contacts-mixed.csv into `orgId` and creates a project over it (with `{link}` and link
 * tracking on the org's first usable tracking domain, unless `linkTracking` is false). Returns
 * { projectId, orgId, campaignId, listId, number (E.164), recipients, domain }.
 */
export async function projectOverMixed(f, client, { orgId, name, linkTracking = true, accept } = {}) {
  const { list_id: listId } = data(await client.importContactList({
    source_url: f.files["contacts-mixed.csv"].url, list_name: `${name} list`, phone_column: "Phone Number",
    organization_id: orgId,
  }));
  const imported = (await f.poll(async () => data(await client.getContactList(listId)),
    (d) => ["ready", "failed"].includes(d.import.status))).at(-1);
  assert.equal(imported.import.status, "ready", JSON.stringify(imported.import));
  for (const [k, v] of Object.entries(MIXED)) assert.equal(imported.import[k], v, k);
  const s = await findSendable(client, { orgId, accept });
  let extra = { contact_list_ids: [listId] };
  let domain = null;
  if (linkTracking) {
    // Owned domains carry a status; inherited ones (shared down by an ancestor) are usable as they are.
    const usable = data(await client.listTrackingDomains({ organization_id: orgId }))
      .filter((d) => d.source === "inherited" || d.status === "active");
    assert.ok(usable.length, `no usable tracking domain for ${orgId}`);
    domain = usable[0].domain;
    extra = {
      ...extra, message_text: LINK_MESSAGE, link_tracking_enabled: true, link_tracking_destination_url: DESTINATION,
      link_tracking_domain_id: usable[0].id,
    };
  }
  const project = data(await client.createProject(s.body(name, extra)));
  assert.equal(project.status, "awaiting_test");
  assert.equal(project.total_recipients, MIXED.clean_contacts);
  const number = data(await client.listPhoneNumbers({ campaign_id: s.campaign_id })).find((n) => n.id === s.numbers[0]).number;
  return {
    projectId: project.id, orgId, campaignId: s.campaign_id, listId, number, recipients: project.total_recipients, domain,
  };
}

export const ofProject = (events, projectId) => events.filter((e) => e.data.project_id === projectId);

/** The contact an event is about: `to` of outbound steps, `from` of replies, `contact_phone` of clicks. */
export function contactOf(e) {
  if (e.event_type === "message.replied") return e.data.from;
  if (e.event_type === "link.clicked") return e.data.contact_phone;
  return e.data.to;
}

/** Event types per contact, in order; a failure carries its error code, a reply its text. */
export function story(events) {
  const out = {};
  for (const e of events) {
    let label = e.event_type;
    if (e.data.error_code != null) label += `:${e.data.error_code}`;
    else if (label === "message.replied") label += `:${e.data.text}`;
    (out[contactOf(e)] ??= []).push(label);
  }
  return out;
}

/** Messages refused before they reached a carrier: a message.failed with no message.sent. */
export function rejected(events) {
  const sent = new Set(events.filter((e) => e.event_type === "message.sent").map((e) => e.data.message_id));
  return events.filter((e) => e.event_type === "message.failed" && !sent.has(e.data.message_id)).length;
}

/** Every conversation of a project (one page of 200 is plenty for a 23-contact list). */
export async function threadsOf(client, projectId, query = {}) {
  const page = data(await client.listConversations({ project_id: projectId, limit: 200, ...query }));
  assert.deepEqual([page.has_more, page.next_cursor], [false, null]);
  return page.data;
}

export async function threadWith(client, projectId, contact, { test = false } = {}) {
  const rows = (await threadsOf(client, projectId, { include_test: test })).filter((t) => t.to === contact && t.is_test === test);
  assert.equal(rows.length, 1, `${rows.length} ${test ? "test " : ""}threads with ${contact}`);
  return rows[0];
}

export async function messagesOf(client, conversationId) {
  const page = data(await client.listConversationMessages(conversationId, { limit: 200 }));
  assert.equal(page.has_more, false);
  return page.data;
}
