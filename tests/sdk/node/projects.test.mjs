// Projects (CONTRACT §7) through the TypeScript SDK 0.11.1: every project method it has but
// getAllProjectStats (GET /projects/stats, with the other stats in stats.test.mjs). The TS SDK has no pause or throughput
// method (the Python tests cover them). Create bodies are built from what the API lists
// (projectkit.findSendable); scheduled projects are unscheduled again so their numbers stay free.
// Fewer edge cases than ../python/test_projects.py, the same kinds of assertions.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContractValidator, startSandbox, seededKeys, makeClient, parseTs, expectError, control } from "./support.mjs";
import {
  PROJECT_ID, TEST_MESSAGE_ID, UNKNOWN_PROJECT, STATUSES, MESSAGE, COMPLETENESS_DRAFT, COMPLETENESS_READY, METRICS,
  TEST_COUNTERS, zeros, findSendable, heldNumbers, mask,
} from "./projectkit.mjs";

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
let projects;
let orgs;
let campaigns;

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};
const ids = (rows) => rows.map((r) => r.id).sort();
const client = (role) => makeClient(sandbox, validator, keys[role].key);
const now = async () => (await control(sandbox, validator, "GET", "/clock")).now;
const seeded = (status, type = "broadcast") => {
  const row = projects.find((p) => p.status === status && p.type === type);
  assert.ok(row, `no seeded ${type} project in status ${status}`);
  return row;
};
const LATER = "2026-11-20T10:00:00-05:00";

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client("elevated");
  projects = data(await api.listProjects());
  orgs = new Map(data(await api.listOrganizations()).map((o) => [o.id, o.display_name]));
  campaigns = new Map(data(await api.listCampaigns()).map((c) => [c.id, c]));
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("reads and filters", () => {
  it("listProjects shows the seeded world in every status, with documented fields", () => {
    const statuses = new Set(projects.map((p) => p.status));
    for (const s of STATUSES) assert.ok(statuses.has(s), `no seeded project in status ${s}`);
    assert.ok(projects.some((p) => p.type === "survey"), "no seeded survey");
    for (const p of projects) {
      assert.match(p.id, PROJECT_ID);
      assert.equal(p.org_name, orgs.get(p.org_id));
      if (p.campaign_id) {
        assert.equal(p.campaign_name, campaigns.get(p.campaign_id).name);
        assert.equal(p.brand_id, campaigns.get(p.campaign_id).brand_id);
      }
      assert.equal(p.message_text === null, p.type === "survey", "message_text is null for surveys only");
      parseTs(p.created_at);
    }
  });

  it("listProjects filters by type, organization_id, brand_id, campaign_id, ANDed", async () => {
    const rows = data(await api.listProjects());
    const by = (key, value) => ids(rows.filter((r) => r[key] === value));
    for (const type of ["broadcast", "survey"]) assert.deepEqual(ids(data(await api.listProjects({ type }))), by("type", type));
    for (const orgId of new Set(rows.map((r) => r.org_id))) {
      assert.deepEqual(ids(data(await api.listProjects({ organization_id: orgId }))), by("org_id", orgId));
    }
    for (const brandId of new Set(rows.map((r) => r.brand_id).filter(Boolean))) {
      assert.deepEqual(ids(data(await api.listProjects({ brand_id: brandId }))), by("brand_id", brandId));
    }
    for (const campaignId of new Set(rows.map((r) => r.campaign_id).filter(Boolean))) {
      assert.deepEqual(ids(data(await api.listProjects({ campaign_id: campaignId }))), by("campaign_id", campaignId));
    }
    const survey = rows.find((r) => r.type === "survey");
    assert.deepEqual(ids(data(await api.listProjects({ campaign_id: survey.campaign_id, type: "survey" }))),
      ids(rows.filter((r) => r.campaign_id === survey.campaign_id && r.type === "survey")));
    const child = client("child");
    await expectError(child.listProjects({ organization_id: keys.root.organization_id }), 403, "ORG_ACCESS_DENIED");
    const other = data(await client("zero_balance").listProjects());
    assert.ok(!other.some((p) => rows.some((r) => r.id === p.id)), "another tree sees main-tree projects");
  });

  it("getProject matches every list row (project_id and id, organization_id); questions only on surveys", async () => {
    for (const row of projects) {
      const d = data(await api.getProject(row.id));
      assert.equal(d.project_id, row.id);
      assert.equal(d.id, row.id, "CONTRACT §7: `id` beside `project_id`");
      assert.equal(d.organization_id, row.org_id);
      for (const f of ["name", "type", "status", "channel", "campaign_id", "brand_id", "contact_list_ids", "message_text", "created_at"]) {
        assert.deepEqual(d[f], row[f], `${row.id} ${f}`);
      }
      assert.deepEqual(d.media_ids, [], "always an empty array");
      assert.equal("questions" in d, row.type === "survey", `${row.name}: questions only on surveys`);
      if (row.type === "survey") assert.ok(d.questions.length > 0);
      if (d.status === "paused") assert.ok(typeof d.pause_reason === "string" && d.pause_reason.length > 0, row.name);
      else assert.equal(d.pause_reason, null, `${row.name}: pause_reason is null when not paused`);
      assert.equal(typeof d.auto_paused, "boolean");
      assert.equal(typeof d.daily_cap_bypass, "boolean");
    }
    const paused = await Promise.all(projects.filter((p) => p.status === "paused").map(async (p) => data(await api.getProject(p.id))));
    assert.ok(paused.some((p) => p.auto_paused && p.pause_reason === "brand_daily_cap"), "no seeded auto-paused project at the daily cap");
    await expectError(api.getProject(UNKNOWN_PROJECT), 404, /NOT_FOUND$/);
    await expectError(client("zero_balance").getProject(projects[0].id), 404, /NOT_FOUND$/);
  });
});

describe("createProject and updateProject", () => {
  it("without contact_list_ids a draft (201, id = project_id), not testable or schedulable", async () => {
    const s = await findSendable(api);
    const { contact_list_ids: _, ...body } = s.body("SDK draft (node)");
    const answer = data(await api.createProject(body));
    assert.equal(validator.last("POST", "/projects").status, 201);
    assert.match(answer.project_id, PROJECT_ID);
    assert.deepEqual(answer, {
      project_id: answer.project_id, id: answer.project_id, name: "SDK draft (node)", type: "broadcast", status: "draft",
      channel: "10dlc", created_via_api: true, estimated_cost_cents: 0, total_recipients: 0, completeness: COMPLETENESS_DRAFT,
    });
    const d = data(await api.getProject(answer.id));
    const created = await now();
    assert.deepEqual(
      [d.status, d.organization_id, d.campaign_id, d.phone_number_ids, d.contact_list_ids, d.message_text, d.opt_out_footer_enabled, d.created_at, d.updated_at],
      ["draft", s.org_id, s.campaign_id, s.numbers.slice(0, 1), [], MESSAGE, true, created, created],
    );
    await expectError(api.testProject(answer.id, { test_contacts: [{ phone: "+15005550000" }] }), 409, "PROJECT_NOT_READY");
    await expectError(api.scheduleProject(answer.id, { scheduled_at: LATER, scheduled_timezone: "America/New_York" }), 409, "PROJECT_NOT_READY");
  });

  it("with a list, a message and a number awaiting_test; the deprecated phone_number_id is one number", async () => {
    const s = await findSendable(api, { numbers: 2 });
    const { phone_number_ids: _, ...body } = s.body("SDK deprecated number (node)");
    const answer = data(await api.createProject({ ...body, phone_number_id: s.numbers[0] }));
    assert.equal(answer.status, "awaiting_test");
    assert.deepEqual(answer.completeness, COMPLETENESS_READY);
    assert.ok(answer.total_recipients > 0 && answer.estimated_cost_cents > 0, JSON.stringify(answer));
    const clean = data(await api.getContactList(s.list_id)).import.clean_contacts;
    assert.ok(answer.total_recipients <= clean);
    assert.deepEqual(data(await api.getProject(answer.id)).phone_number_ids, [s.numbers[0]]);
    const patched = data(await api.updateProject(answer.id, { phone_number_id: s.numbers[1] }));
    assert.deepEqual(patched.phone_number_ids, [s.numbers[1]]);
    assert.equal(patched.id, answer.id);
  });

  it("every problem of one body is reported together (400 VALIDATION_ERROR with details)", async () => {
    const s = await findSendable(api);
    const before = data(await api.listProjects()).length;
    let e = await expectError(api.createProject(s.body("SDK invalid (node)", { phone_number_ids: [], contact_list_ids: [], bogus: 1 })), 400, "VALIDATION_ERROR");
    const fields = e.body.details.map((d) => d.field);
    for (const f of ["phone_number_ids", "contact_list_ids", "bogus"]) assert.ok(fields.includes(f), `${f} not in ${fields}`);
    e = await expectError(api.createProject(s.body("SDK invalid (node)", { brand_id: undefined, campaign_id: undefined })), 400, "VALIDATION_ERROR");
    for (const f of ["brand_id", "campaign_id"]) assert.ok(e.body.details.some((d) => d.field === f), JSON.stringify(e.body));
    e = await expectError(api.createProject(s.body("SDK invalid (node)", { message_text: "Hi {nickname_xyz}" })), 400, "VALIDATION_ERROR");
    assert.ok(e.body.details.some((d) => d.field === "message_text" && d.message.includes("nickname_xyz")), JSON.stringify(e.body));
    assert.equal(data(await api.listProjects()).length, before, "a refused create made a project");
  });

  it("a number a scheduled project holds is 409 PHONE_NUMBER_UNAVAILABLE", async () => {
    const holder = data(await api.getProject(seeded("scheduled").id));
    assert.ok((await heldNumbers(api)).has(holder.phone_number_ids[0]));
    await expectError(api.createProject({
      organization_id: holder.organization_id, brand_id: holder.brand_id, campaign_id: holder.campaign_id,
      phone_number_ids: holder.phone_number_ids.slice(0, 1), name: "SDK held (node)", protocol: "sms", message_text: MESSAGE,
    }), 409, "PHONE_NUMBER_UNAVAILABLE");
  });

  it("updateProject completes a draft and returns the full project; immutable fields are a 400", async () => {
    const s = await findSendable(api);
    const { contact_list_ids: _, ...body } = s.body("SDK to edit (node)");
    const draft = data(await api.createProject(body));
    const updated = data(await api.updateProject(draft.id, { name: "SDK edited (node)", contact_list_ids: [s.list_id] }));
    assert.deepEqual([updated.project_id, updated.id, updated.status, updated.name, updated.contact_list_ids],
      [draft.id, draft.id, "awaiting_test", "SDK edited (node)", [s.list_id]]);
    assert.equal(updated.updated_at, await now());
    assert.deepEqual(data(await api.getProject(draft.id)), updated);
    const e = await expectError(api.updateProject(draft.id, {
      organization_id: s.org_id, brand_id: s.brand_id, campaign_id: s.campaign_id, channel: "10dlc", toll_free_verification_id: null,
    }), 400, "VALIDATION_ERROR");
    const fields = e.body.details.map((d) => d.field);
    for (const f of ["organization_id", "brand_id", "campaign_id", "channel", "toll_free_verification_id"]) assert.ok(fields.includes(f), `${f}: ${fields}`);
    assert.deepEqual(data(await api.getProject(draft.id)), updated, "a refused PATCH changed the project");
  });

  it("updateProject outside draft and awaiting_test is 409 PROJECT_NOT_EDITABLE", async () => {
    const s = await findSendable(api);
    const project = data(await api.createProject(s.body("SDK not editable (node)")));
    data(await api.scheduleProject(project.id, { scheduled_at: LATER, scheduled_timezone: "America/New_York" }));
    try {
      await expectError(api.updateProject(project.id, { name: "SDK too late" }), 409, "PROJECT_NOT_EDITABLE");
    } finally {
      data(await api.unscheduleProject(project.id));
    }
    for (const status of ["sending", "completed"]) {
      await expectError(api.updateProject(seeded(status).id, { name: "SDK too late" }), 409, "PROJECT_NOT_EDITABLE");
    }
  });
});

describe("testProject", () => {
  it("202 with tests_sent and masked recipients, with and without merge_values; counted in `test`, never in `metrics`", async () => {
    const s = await findSendable(api);
    const project = data(await api.createProject(s.body("SDK test sends (node)")));
    let answer = data(await api.testProject(project.id, { test_contacts: [{ phone: "+15005550000" }] }));
    assert.equal(validator.last("POST", "/test").status, 202);
    assert.deepEqual([answer.project_id, answer.status, answer.tests_sent], [project.id, "awaiting_test", 1]);
    assert.match(answer.test_messages[0].test_message_id, TEST_MESSAGE_ID);
    assert.equal(answer.test_messages[0].sent_to, "+1500****000");
    const phones = ["+15555550100", "+16145550123"];
    answer = data(await api.testProject(project.id, {
      // TestContact.merge_values: TS SDK 0.13.0 and the Python SDK document it; 0.11.1 sends it as given.
      test_contacts: [{ phone: phones[0], merge_values: { first_name: "Ada" } }, { phone: phones[1] }],
    }));
    assert.equal(answer.tests_sent, 2);
    assert.deepEqual(answer.test_messages.map((m) => m.sent_to), phones.map(mask));
    const stats = data(await api.getProjectStats(project.id));
    assert.equal(stats.test.sent + stats.test.delivered + stats.test.failed, 3, JSON.stringify(stats.test));
    assert.deepEqual(stats.metrics, zeros(METRICS));
    assert.equal(data(await api.getProject(project.id)).status, "awaiting_test");
    const e = await expectError(api.testProject(project.id, { test_contacts: [{ phone: "6145550100" }] }), 400, "VALIDATION_ERROR");
    assert.ok(e.body.details.every((d) => d.field.startsWith("test_contacts")), JSON.stringify(e.body));
  });
});

describe("scheduleProject and unscheduleProject", () => {
  it("scheduled_at needs an explicit offset: 400 showing a fixed value", async () => {
    const s = await findSendable(api);
    const project = data(await api.createProject(s.body("SDK offset (node)")));
    const e = await expectError(api.scheduleProject(project.id, { scheduled_at: "2026-11-20T10:00:00", scheduled_timezone: "America/New_York" }), 400, "VALIDATION_ERROR");
    const detail = e.body.details.find((d) => d.field === "scheduled_at");
    assert.match(detail.message, /2026-11-20T10:00:00[+-]\d{2}:\d{2}/);
    await expectError(api.scheduleProject(project.id, { scheduled_at: LATER, scheduled_timezone: "Europe/London" }), 400, "VALIDATION_ERROR");
    assert.equal(data(await api.getProject(project.id)).status, "awaiting_test");
  });

  it("daily_cap_bypass is echoed (false when omitted) and rewritten by each schedule call", async () => {
    const s = await findSendable(api);
    const project = data(await api.createProject(s.body("SDK schedule (node)")));
    try {
      let answer = data(await api.scheduleProject(project.id, { scheduled_at: LATER, scheduled_timezone: "America/New_York" }));
      assert.deepEqual(answer, {
        project_id: project.id, status: "scheduled", scheduled_at: "2026-11-20T15:00:00.000Z",
        scheduled_timezone: "America/New_York", daily_cap_bypass: false,
      });
      const d = data(await api.getProject(project.id));
      assert.deepEqual([d.status, d.scheduled_at, d.scheduled_timezone, d.daily_cap_bypass], ["scheduled", "2026-11-20T15:00:00.000Z", "America/New_York", false]);
      assert.ok((await heldNumbers(api)).has(s.numbers[0]), "a scheduled project holds its numbers");
      answer = data(await api.scheduleProject(project.id, { scheduled_at: "2026-11-21T09:30:00-06:00", scheduled_timezone: "America/Chicago", daily_cap_bypass: true }));
      assert.deepEqual([answer.scheduled_at, answer.scheduled_timezone, answer.daily_cap_bypass], ["2026-11-21T15:30:00.000Z", "America/Chicago", true]);
      assert.equal(data(await api.getProject(project.id)).daily_cap_bypass, true);
      answer = data(await api.scheduleProject(project.id, { scheduled_at: "2026-11-21T09:30:00-06:00", scheduled_timezone: "America/Chicago" }));
      assert.equal(answer.daily_cap_bypass, false, "the bypass holds only until the next schedule call");
    } finally {
      data(await api.unscheduleProject(project.id));
    }
  });

  it("unscheduleProject returns to awaiting_test, frees the numbers, and repeats with the same answer", async () => {
    const s = await findSendable(api);
    const project = data(await api.createProject(s.body("SDK unschedule (node)")));
    data(await api.scheduleProject(project.id, { scheduled_at: LATER, scheduled_timezone: "America/Denver" }));
    const first = data(await api.unscheduleProject(project.id));
    const firstText = validator.last("POST", "/unschedule").text;
    assert.deepEqual(first, { project_id: project.id, status: "awaiting_test", unscheduled_at: await now() });
    const d = data(await api.getProject(project.id));
    assert.deepEqual([d.status, d.scheduled_at, d.scheduled_timezone], ["awaiting_test", null, null]);
    assert.ok(!(await heldNumbers(api)).has(s.numbers[0]));
    assert.deepEqual(data(await api.unscheduleProject(project.id)), first);
    assert.equal(validator.last("POST", "/unschedule").text, firstText);
    for (const status of ["sending", "completed"]) {
      await expectError(api.unscheduleProject(seeded(status).id), 409, /^PROJECT_/);
      await expectError(api.scheduleProject(seeded(status).id, { scheduled_at: LATER, scheduled_timezone: "America/New_York" }), 409, /^PROJECT_/);
    }
  });
});

describe("copyProject and getProjectStats", () => {
  it("copyProject: 201, X -> X_v2 -> X_v3, a draft that keeps message, numbers and settings but no lists, schedule or stats", async () => {
    const s = await findSendable(api);
    const source = data(await api.createProject(s.body("SDK copy source (node)", { opt_out_footer_enabled: false })));
    data(await api.testProject(source.id, { test_contacts: [{ phone: "+15555550100" }] }));
    data(await api.scheduleProject(source.id, { scheduled_at: LATER, scheduled_timezone: "America/Los_Angeles" }));
    try {
      const original = data(await api.getProject(source.id));
      const copy = data(await api.copyProject(source.id));
      assert.equal(validator.last("POST", "/copy").status, 201);
      assert.deepEqual(copy, {
        project_id: copy.id, id: copy.id, name: "SDK copy source (node)_v2", type: "broadcast", status: "draft", channel: "10dlc",
        created_via_api: true, estimated_cost_cents: 0, total_recipients: 0, completeness: COMPLETENESS_DRAFT,
      });
      assert.notEqual(copy.id, source.id);
      const d = data(await api.getProject(copy.id));
      for (const f of ["organization_id", "brand_id", "campaign_id", "phone_number_ids", "protocol", "message_text", "opt_out_footer_enabled", "link_tracking_enabled"]) {
        assert.deepEqual(d[f], original[f], f);
      }
      assert.deepEqual([d.contact_list_ids, d.scheduled_at, d.scheduled_timezone, d.status], [[], null, null, "draft"]);
      const stats = data(await api.getProjectStats(copy.id));
      assert.deepEqual([stats.metrics, stats.test], [zeros(METRICS), zeros(TEST_COUNTERS)]);
      assert.equal(data(await api.copyProject(source.id)).name, "SDK copy source (node)_v3");
      assert.deepEqual(data(await api.getProject(source.id)), original, "copying changed the source");
    } finally {
      data(await api.unscheduleProject(source.id));
    }
  });

  it("getProjectStats: production metrics and test counters apart, as_of the sandbox clock", async () => {
    const asOf = await now();
    for (const row of projects) {
      const stats = data(await api.getProjectStats(row.id));
      assert.deepEqual([stats.project_id, stats.status, stats.as_of], [row.id, data(await api.getProject(row.id)).status, asOf]);
      const m = stats.metrics;
      for (const k of METRICS) assert.ok(Number.isInteger(m[k]) && m[k] >= 0, `${row.name} ${k}`);
      for (const k of TEST_COUNTERS) assert.ok(Number.isInteger(stats.test[k]) && stats.test[k] >= 0, `${row.name} test.${k}`);
      assert.ok(m.delivered + m.undeliverable <= m.sent, `${row.name}: ${JSON.stringify(m)}`);
      if (["draft", "awaiting_test"].includes(row.status)) assert.deepEqual(m, zeros(METRICS), row.name);
      if (["sending", "paused", "completed"].includes(row.status)) assert.ok(m.sent > 0, row.name);
    }
    await expectError(api.getProjectStats(UNKNOWN_PROJECT), 404, /NOT_FOUND$/);
  });
});

describe("organization states", () => {
  it("onboarding past its grace: createProject is 403 ONBOARDING_INCOMPLETE {missingSteps, onboardingUrl}", async () => {
    const onboarding = client("onboarding_incomplete");
    const before = data(await onboarding.listProjects());
    const s = await findSendable(onboarding);
    const e = await expectError(onboarding.createProject(s.body("SDK onboarding (node)")), 403, "ONBOARDING_INCOMPLETE");
    assert.equal(e.body.details.onboardingUrl, "/onboarding");
    assert.ok(e.body.details.missingSteps.length > 0 && e.body.details.missingSteps.every((m) => ["profile", "funding"].includes(m)), JSON.stringify(e.body));
    assert.deepEqual(data(await onboarding.listProjects()), before, "a refused create made a project");
    // Its seeded project cannot be copied either.
    await expectError(onboarding.copyProject(before[0].id), 403, "ONBOARDING_INCOMPLETE");
  });

  it("sending paused: createProject is 409 SENDING_PAUSED {scope}", async () => {
    const paused = client("sending_paused");
    const before = data(await paused.listProjects());
    const s = await findSendable(paused);
    const e = await expectError(paused.createProject(s.body("SDK sending paused (node)")), 409, "SENDING_PAUSED");
    assert.equal(e.body.details.scope, "organization");
    assert.deepEqual(data(await paused.listProjects()), before, "a refused create made a project");
    // Its seeded project cannot be tested or scheduled.
    const id = before[0].id;
    await expectError(paused.testProject(id, { test_contacts: [{ phone: "+15005550000" }] }), 409, "SENDING_PAUSED");
    await expectError(
      paused.scheduleProject(id, { scheduled_at: "2026-11-20T10:00:00-05:00", scheduled_timezone: "America/New_York" }),
      409,
      "SENDING_PAUSED",
    );
  });

  it("zero balance: create and copy work, testProject and scheduleProject are 402 INSUFFICIENT_BALANCE", async () => {
    const zero = client("zero_balance");
    const s = await findSendable(zero);
    const project = data(await zero.createProject(s.body("SDK zero balance (node)")));
    assert.equal(project.status, "awaiting_test");
    await expectError(zero.testProject(project.id, { test_contacts: [{ phone: "+15005550000" }] }), 402, "INSUFFICIENT_BALANCE");
    await expectError(zero.scheduleProject(project.id, { scheduled_at: LATER, scheduled_timezone: "America/New_York" }), 402, "INSUFFICIENT_BALANCE");
    const d = data(await zero.getProject(project.id));
    assert.deepEqual([d.status, d.scheduled_at], ["awaiting_test", null]);
    assert.equal(data(await zero.getProjectStats(project.id)).test.sent, 0);
    assert.equal(data(await zero.copyProject(project.id)).status, "draft");
  });
});
