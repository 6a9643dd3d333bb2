// Auth, rate limits, permissions, email early access, scoping and validation
// errors as the TypeScript SDK surfaces them (CONTRACT §2, §12).

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, control, expectError, parseTs, API_KEY, SDK_METHODS,
} from "./support.mjs";

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
const client = (key) => makeClient(sandbox, validator, key);

function subtreeIds(node) {
  const out = new Set();
  const todo = [node];
  while (todo.length) {
    const n = todo.pop();
    out.add(n.id);
    todo.push(...n.childOrganizations);
  }
  return out;
}

function findNode(tree, orgId) {
  const todo = [tree];
  while (todo.length) {
    const n = todo.pop();
    if (n.id === orgId) return n;
    todo.push(...n.childOrganizations);
  }
  throw new Error(`${orgId} not in the tree`);
}

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client(keys.elevated.key);
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("keys", () => {
  it("seeded keys are well formed, one per documented role", () => {
    for (const [role, record] of Object.entries(keys)) {
      assert.match(record.key, API_KEY);
      assert.equal(record.revoked, role === "revoked", role);
      assert.ok(record.scopes.every((s) => ["read", "write"].includes(s)), role);
    }
    assert.deepEqual(keys.read_only.scopes, ["read"]);
    assert.ok(keys.root.scopes.includes("write"));
    assert.deepEqual(keys.elevated.rate_limit, { limit: 100000, window_seconds: 3600 });
  });

  for (const bad of ["pc_live_AAAAAAAAAAAAAAAAAAAAAAAA", "pc_test_zzzzzzzzzzzzzzzzzzzzzzzz", "not-a-key", "pc_live_short"]) {
    it(`key ${bad} is 401 INVALID_API_KEY`, async () => {
      await expectError(client(bad).listOrganizations(), 401, "INVALID_API_KEY");
    });
  }

  it("the revoked key is 401 INVALID_API_KEY", async () => {
    const revoked = client(keys.revoked.key);
    await expectError(revoked.listOrganizations(), 401, "INVALID_API_KEY");
    await expectError(revoked.listBrands(), 401, "INVALID_API_KEY");
  });
});

describe("rate limits", () => {
  it("a key limited to 3 per hour: 3 calls pass, the 4th is 429, lastRateLimit counts down", async () => {
    const orgId = keys.root.organization_id;
    const record = await control(sandbox, validator, "POST", "/keys", {
      organization_id: orgId,
      scopes: ["read"],
      rate_limit: { limit: 3, window_seconds: 3600 },
      name: "sdk-contract rate limit (node)",
    });
    assert.match(record.key, API_KEY);
    assert.equal(record.organization_id, orgId);
    assert.deepEqual(record.rate_limit, { limit: 3, window_seconds: 3600 });
    assert.equal(record.role, "custom");
    assert.equal(record.revoked, false);

    const now = Math.floor(parseTs((await control(sandbox, validator, "GET", "/clock")).now) / 1000);
    const limited = client(record.key);
    assert.equal(limited.lastRateLimit, null);
    const resets = new Set();
    for (const remaining of [2, 1, 0]) {
      const res = await limited.listOrganizations();
      assert.ok(res.data.length);
      const state = limited.lastRateLimit;
      assert.ok(state, "no X-RateLimit-* headers");
      assert.equal(state.limit, 3);
      assert.equal(state.remaining, remaining);
      assert.ok(Number.isInteger(state.reset) && state.reset > now && state.reset <= now + 3600, `reset ${state.reset}, now ${now}`);
      resets.add(state.reset);
    }
    assert.equal(resets.size, 1, "a fixed window has one reset time");
    const err = await expectError(limited.listOrganizations(), 429, "RATE_LIMIT_EXCEEDED");
    assert.ok(err.body.retryAfter > 0 && err.body.retryAfter <= 3600);
    assert.equal(limited.lastRateLimit.remaining, 0);
    assert.ok((await api.listOrganizations()).data.length, "another key of the org is unaffected");
  });
});

const EMAIL_CALLS = {
  listEmailDomains: (c) => c.listEmailDomains({ limit: 10 }),
  getEmailDomain: (c) => c.getEmailDomain("edom_1"),
  listEmailSenders: (c) => c.listEmailSenders(),
  getEmailSender: (c) => c.getEmailSender("esnd_1"),
  listEmailLists: (c) => c.listEmailLists(),
  getEmailList: (c) => c.getEmailList("elst_1"),
  createEmailList: (c) => c.createEmailList({ name: "Volunteers", consent_attestation: { source: "signup_form" } }),
  listEmailListContacts: (c) => c.listEmailListContacts("elst_1"),
  addEmailListContacts: (c) => c.addEmailListContacts("elst_1", [{ email: "a@example.com" }]),
  listEmailSuppressions: (c) => c.listEmailSuppressions(),
  addEmailSuppressions: (c) => c.addEmailSuppressions({ scope: "org", emails: ["a@example.com"] }),
  removeEmailSuppressions: (c) => c.removeEmailSuppressions({ scope: "org", emails: ["a@example.com"] }),
  listEmailCampaigns: (c) => c.listEmailCampaigns(),
  getEmailCampaign: (c) => c.getEmailCampaign("ecmp_1"),
  createEmailCampaign: (c) => c.createEmailCampaign({ name: "GOTV", sender_identity_id: "esnd_1", list_ids: ["elst_1"], subject: "Vote" }),
  scheduleEmailCampaign: (c) => c.scheduleEmailCampaign("ecmp_1"),
  unscheduleEmailCampaign: (c) => c.unscheduleEmailCampaign("ecmp_1"),
  getEmailCampaignStats: (c) => c.getEmailCampaignStats("ecmp_1"),
  listEmailTemplates: (c) => c.listEmailTemplates(),
  getEmailTemplate: (c) => c.getEmailTemplate("etpl_1"),
  createEmailTemplate: (c) => c.createEmailTemplate({ name: "T", content: { subject: "Hi", html: "<p>Hi</p>" } }),
  startEmailListImport: (c) => c.startEmailListImport({ source_url: "https://example.com/list.csv", consent: { source: "signup_form" } }),
};

describe("permissions and email early access", () => {
  it("the read-only key reads but a write is 403 PERMISSION_DENIED", async () => {
    const ro = client(keys.read_only.key);
    assert.ok((await ro.listOrganizations()).data.length);
    await expectError(EMAIL_CALLS.createEmailList(ro), 403, "PERMISSION_DENIED");
  });

  it("EMAIL_CALLS covers every email method of the SDK", () => {
    assert.deepEqual(Object.keys(EMAIL_CALLS).sort(), SDK_METHODS.filter((m) => /email/i.test(m)).sort());
    assert.equal(Object.keys(EMAIL_CALLS).length, 22);
  });

  for (const [name, call] of Object.entries(EMAIL_CALLS)) {
    it(`${name} is 403 EMAIL_EARLY_ACCESS`, async () => {
      const err = await expectError(call(client(keys.root.key)), 403, "EMAIL_EARLY_ACCESS");
      assert.ok(err.body.error);
    });
  }
});

describe("scoping", () => {
  it("child and grandchild keys see only their subtree", async () => {
    const tree = (await api.getHierarchy()).data;
    for (const role of ["child", "grandchild"]) {
      const orgId = keys[role].organization_id;
      const expected = subtreeIds(findNode(tree, orgId));
      const scoped = client(keys[role].key);
      const seen = new Set((await scoped.listOrganizations()).data.map((o) => o.id));
      assert.deepEqual(seen, expected, `${role} key`);
      assert.ok(!seen.has(keys.root.organization_id));
      const own = (await scoped.getHierarchy()).data;
      assert.equal(own.id, orgId);
      assert.deepEqual(subtreeIds(own), expected);
      for (const b of (await scoped.listBrands()).data) assert.ok(expected.has(b.org_id));
    }
  });

  it("filtering on an org outside the key's tree is 403 ORG_ACCESS_DENIED", async () => {
    const child = client(keys.child.key);
    const rootOrg = keys.root.organization_id;
    const calls = {
      listBrands: () => child.listBrands({ organization_id: rootOrg }),
      listCampaigns: () => child.listCampaigns({ organization_id: rootOrg }),
      listTrackingDomains: () => child.listTrackingDomains({ organization_id: rootOrg }),
      listPhoneNumbers: () => child.listPhoneNumbers({ organization_id: rootOrg }),
      listTollFreeVerifications: () => child.listTollFreeVerifications({ organization_id: rootOrg }),
      getHierarchy: () => child.getHierarchy({ organizationId: rootOrg }),
    };
    for (const [name, call] of Object.entries(calls)) {
      await assert.doesNotReject(expectError(call(), 403, "ORG_ACCESS_DENIED"), `${name} with the child key`);
    }
    await expectError(client(keys.onboarding_incomplete.key).listBrands({ organization_id: rootOrg }), 403, "ORG_ACCESS_DENIED");
    // An org that does not exist looks exactly like a foreign one.
    await expectError(child.listBrands({ organization_id: "org_00000000000000000000000000" }), 403, "ORG_ACCESS_DENIED");
  });

  it("a child key filters on its own descendants", async () => {
    const child = client(keys.child.key);
    const grandchildOrg = keys.grandchild.organization_id;
    assert.equal((await child.getHierarchy({ organizationId: grandchildOrg })).data.id, grandchildOrg);
    const brands = (await child.listBrands({ organization_id: grandchildOrg })).data;
    assert.ok(brands.every((b) => b.org_id === grandchildOrg));
  });

  it("a toll-free verification of another tree is 404, exactly like a missing one", async () => {
    const tfvId = (await api.listTollFreeVerifications()).data[0].id;
    const other = client(keys.onboarding_incomplete.key);
    assert.ok(!(await other.listTollFreeVerifications()).data.some((t) => t.id === tfvId));
    const foreign = await expectError(other.getTollFreeVerification(tfvId), 404, /NOT_FOUND$/);
    const missing = await expectError(other.getTollFreeVerification("tfv_00000000000000000000000000"), 404, /NOT_FOUND$/);
    assert.equal(foreign.code, missing.code);
    assert.ok(!JSON.stringify(foreign.body).includes(tfvId), "the 404 reveals the foreign id");
  });
});

describe("validation", () => {
  const cases = [
    ["channel=fax", (c) => c.listPhoneNumbers({ channel: "fax" }), "channel"],
    ["owner_type=landlord", (c) => c.listPhoneNumbers({ owner_type: "landlord" }), "owner_type"],
    ["status=verified", (c) => c.listTollFreeVerifications({ status: "verified" }), "status"],
  ];
  for (const [label, call, field] of cases) {
    it(`${label} is 400 VALIDATION_ERROR naming the field`, async () => {
      const err = await expectError(call(api), 400, "VALIDATION_ERROR");
      const details = err.body.details;
      assert.ok(Array.isArray(details) && details.length, JSON.stringify(err.body));
      assert.ok(details.every((d) => typeof d.field === "string" && typeof d.message === "string"));
      assert.ok(details.some((d) => d.field.includes(field)), JSON.stringify(details));
    });
  }
});
