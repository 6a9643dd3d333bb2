// The hierarchy surface (CONTRACT §4) through the TypeScript SDK, every method
// with and without each filter. The unfiltered reads of the root org's
// `elevated` key describe the whole main tree; each filtered read must return
// exactly the matching subset. Every response is schema-checked in the fetch.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, idPattern, parseTs,
} from "./support.mjs";

const CHANNELS = ["10dlc", "toll-free", "short-code", "rcs"];
const OWNER_TYPES = ["campaign", "toll_free_registration", "short_code", "unassigned"];
const TFV_STATUSES = ["draft", "In Progress", "Verified", "Rejected"];
const ORG_ID = idPattern("org");
const BRAND_ID = idPattern("brand");
const CAMPAIGN_ID = idPattern("camp");
const PHONE_ID = idPattern("pn");
const TFV_ID = idPattern("tfv");
const DOMAIN_ID = idPattern("td");
const E164 = /^\+1[2-9]\d{9}$/;
const TOLL_FREE = /^\+18(00|33|44|55|66|77|88)\d{7}$/;

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
const world = {};

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};

/** Rows as a sorted multiset of id|org_id: a shared number appears once per org it reaches. */
const rowKeys = (rows) => rows.map((r) => `${r.id}|${r.org_id}`).sort();

function subtree(orgId) {
  const out = new Set();
  const todo = [world.nodes.get(orgId)];
  while (todo.length) {
    const node = todo.pop();
    out.add(node.id);
    todo.push(...node.childOrganizations);
  }
  return out;
}

function ancestors(orgId) {
  const out = [];
  for (let cur = world.parent.get(orgId); cur !== null; cur = world.parent.get(cur)) out.push(cur);
  return out;
}

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = makeClient(sandbox, validator, keys.elevated.key);
  world.rootOrgId = keys.elevated.organization_id;
  world.hierarchy = data(await api.getHierarchy());
  world.nodes = new Map();
  world.parent = new Map();
  const todo = [[world.hierarchy, null]];
  while (todo.length) {
    const [node, parentId] = todo.pop();
    assert.ok(!world.nodes.has(node.id), `org ${node.id} appears twice in the hierarchy`);
    world.nodes.set(node.id, node);
    world.parent.set(node.id, parentId);
    for (const child of node.childOrganizations) todo.push([child, node.id]);
  }
  world.orgs = data(await api.listOrganizations());
  world.brands = data(await api.listBrands());
  world.campaigns = data(await api.listCampaigns());
  world.phones = data(await api.listPhoneNumbers());
  world.tfvs = data(await api.listTollFreeVerifications());
  world.domains = data(await api.listTrackingDomains());
  world.orgName = new Map(world.orgs.map((o) => [o.id, o.display_name]));
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("organizations and hierarchy", () => {
  it("listOrganizations returns the whole tree with documented fields", () => {
    const ids = world.orgs.map((o) => o.id);
    assert.equal(new Set(ids).size, ids.length, "duplicate organizations");
    assert.deepEqual(new Set(ids), new Set(world.nodes.keys()));
    assert.equal(keys.root.organization_id, world.rootOrgId);
    for (const org of world.orgs) {
      assert.match(org.id, ORG_ID);
      assert.ok(typeof org.display_name === "string" && org.display_name);
      assert.ok(typeof org.status === "string" && org.status);
      parseTs(org.created_at);
      const parentId = world.parent.get(org.id);
      assert.equal(org.parent_org_name, parentId === null ? null : world.orgName.get(parentId), org.id);
    }
  });

  it("getHierarchy is a camelCase tree at least three levels deep", () => {
    assert.equal(world.hierarchy.id, world.rootOrgId);
    assert.equal(world.hierarchy.parentId, null);
    assert.ok(Math.max(...[...world.nodes.keys()].map((o) => ancestors(o).length)) >= 2, "less than three levels");
    for (const [orgId, node] of world.nodes) {
      assert.equal(node.parentId, world.parent.get(orgId));
      assert.ok(typeof node.name === "string" && node.name);
      for (const f of ["contactEmail", "contactFirstName", "contactLastName"]) {
        assert.ok(node[f] === null || typeof node[f] === "string");
      }
      assert.ok(parseTs(node.createdAt) <= parseTs(node.updatedAt));
      for (const brand of node.brands) {
        assert.match(brand.id, BRAND_ID);
        assert.equal(brand.organizationId, orgId);
        for (const campaign of brand.campaigns) assert.match(campaign.id, CAMPAIGN_ID);
      }
    }
  });

  it("getHierarchy brands and campaigns match the list endpoints", () => {
    const treeBrands = new Map();
    for (const [orgId, node] of world.nodes) for (const b of node.brands) treeBrands.set(b.id, [orgId, b]);
    assert.deepEqual(new Set(treeBrands.keys()), new Set(world.brands.map((b) => b.id)));
    for (const brand of world.brands) {
      const [orgId, treeBrand] = treeBrands.get(brand.id);
      assert.equal(brand.org_id, orgId);
      assert.deepEqual(
        new Set(treeBrand.campaigns.map((c) => c.id)),
        new Set(world.campaigns.filter((c) => c.brand_id === brand.id).map((c) => c.id)),
      );
    }
  });

  for (const level of [1, 2]) {
    it(`getHierarchy({organizationId}) of a level-${level} descendant returns its subtree`, async () => {
      const candidates = [...world.nodes.keys()].filter((o) => ancestors(o).length === level).sort();
      assert.ok(candidates.length, `no organization at level ${level}`);
      const orgId = candidates.reduce((a, b) => (subtree(b).size > subtree(a).size ? b : a));
      const sub = data(await api.getHierarchy({ organizationId: orgId }));
      assert.equal(sub.id, orgId);
      assert.equal(sub.parentId, null, "parentId is null for the root of the returned tree");
      const ids = new Set();
      const todo = [sub];
      while (todo.length) {
        const n = todo.pop();
        ids.add(n.id);
        todo.push(...n.childOrganizations);
      }
      assert.deepEqual(ids, subtree(orgId));
      assert.deepEqual(new Set(sub.brands.map((b) => b.id)), new Set(world.nodes.get(orgId).brands.map((b) => b.id)));
    });
  }
});

describe("brands and campaigns", () => {
  it("listBrands documented fields", () => {
    assert.ok(world.brands.length, "the main tree has no brands");
    assert.ok(new Set(world.brands.map((b) => b.org_id)).size >= 2, "brands sit in fewer than two orgs");
    for (const brand of world.brands) {
      assert.match(brand.id, BRAND_ID);
      assert.ok(typeof brand.brand_name === "string" && brand.brand_name);
      assert.equal(brand.org_name, world.orgName.get(brand.org_id));
      assert.ok(brand.tcr_brand_id === null || typeof brand.tcr_brand_id === "string");
      parseTs(brand.created_at);
    }
  });

  it("listBrands({organization_id}) for each organization", async () => {
    for (const orgId of world.nodes.keys()) {
      const rows = data(await api.listBrands({ organization_id: orgId }));
      assert.ok(rows.every((r) => r.org_id === orgId), `organization_id=${orgId} returned other orgs' brands`);
      assert.deepEqual(rowKeys(rows), rowKeys(world.brands.filter((b) => b.org_id === orgId)));
    }
  });

  it("listCampaigns documented fields", () => {
    const brands = new Map(world.brands.map((b) => [b.id, b]));
    assert.ok(world.campaigns.length, "the main tree has no campaigns");
    for (const c of world.campaigns) {
      assert.match(c.id, CAMPAIGN_ID);
      const brand = brands.get(c.brand_id);
      assert.ok(brand, `campaign ${c.id} has an unknown brand`);
      assert.equal(c.brand_name, brand.brand_name);
      assert.equal(c.org_id, brand.org_id);
      assert.equal(c.org_name, brand.org_name);
      assert.ok(typeof c.campaign_status === "string" && c.campaign_status);
      parseTs(c.created_at);
    }
  });

  it("listCampaigns by organization_id, brand_id and both", async () => {
    for (const orgId of world.nodes.keys()) {
      const rows = data(await api.listCampaigns({ organization_id: orgId }));
      assert.ok(rows.every((r) => r.org_id === orgId));
      assert.deepEqual(rowKeys(rows), rowKeys(world.campaigns.filter((c) => c.org_id === orgId)));
    }
    for (const brand of world.brands) {
      const rows = data(await api.listCampaigns({ brand_id: brand.id }));
      assert.ok(rows.every((r) => r.brand_id === brand.id));
      assert.deepEqual(rowKeys(rows), rowKeys(world.campaigns.filter((c) => c.brand_id === brand.id)));
      const both = data(await api.listCampaigns({ organization_id: brand.org_id, brand_id: brand.id }));
      assert.deepEqual(rowKeys(both), rowKeys(rows));
    }
    const brand = world.brands[0];
    const otherOrg = [...world.nodes.keys()].find((o) => o !== brand.org_id);
    assert.deepEqual(data(await api.listCampaigns({ organization_id: otherOrg, brand_id: brand.id })), []);
  });
});

describe("tracking domains", () => {
  it("listTrackingDomains documented fields", () => {
    assert.ok(world.domains.length, "the main tree has no tracking domains");
    for (const d of world.domains) {
      assert.ok(["own", "inherited"].includes(d.source), d.source);
      assert.match(d.id, DOMAIN_ID);
      assert.ok(typeof d.domain === "string" && d.domain.includes("."));
      if (d.source === "own") {
        assert.equal(d.status, "active");
        parseTs(d.created_at);
        if (d.verified_at !== null) parseTs(d.verified_at);
      }
    }
  });

  it("listTrackingDomains({organization_id}): own domains partition the tree, inherited ones come from ancestors", async () => {
    const owner = new Map();
    const inherited = [];
    for (const orgId of world.nodes.keys()) {
      for (const row of data(await api.listTrackingDomains({ organization_id: orgId }))) {
        if (row.source === "own") {
          assert.ok(!owner.has(row.id), `domain ${row.id} owned by two orgs`);
          owner.set(row.id, orgId);
        } else {
          inherited.push([orgId, row]);
        }
      }
    }
    assert.deepEqual(new Set(owner.keys()), new Set(world.domains.filter((d) => d.source === "own").map((d) => d.id)));
    assert.ok(inherited.length, "no organization inherits a tracking domain");
    const names = new Map(world.domains.map((d) => [d.id, d.domain]));
    for (const [orgId, row] of inherited) {
      assert.ok(owner.has(row.id), `inherited ${row.id} is owned by no org of the tree`);
      assert.ok(ancestors(orgId).includes(owner.get(row.id)), "a domain can only be inherited from an ancestor");
      assert.equal(row.domain, names.get(row.id));
    }
  });
});

describe("phone numbers", () => {
  it("listPhoneNumbers documented fields", () => {
    const tfvs = new Map(world.tfvs.map((t) => [t.id, t]));
    const campaigns = new Map(world.campaigns.map((c) => [c.id, c]));
    assert.ok(world.phones.length, "the main tree has no phone numbers");
    for (const pn of world.phones) {
      assert.match(pn.id, PHONE_ID);
      assert.ok(CHANNELS.includes(pn.channel), pn.channel);
      assert.ok(OWNER_TYPES.includes(pn.owner_type), pn.owner_type);
      assert.equal(pn.org_name, world.orgName.get(pn.org_id));
      parseTs(pn.created_at);
      if (pn.channel === "toll-free") assert.match(pn.number, TOLL_FREE);
      if (pn.channel === "10dlc") assert.match(pn.number, E164);
      if (pn.shared === true) {
        assert.ok(typeof pn.nickname === "string" && pn.nickname, "a shared number needs a nickname");
        assert.equal(pn.brand_id, null);
        assert.equal(pn.brand_name, null);
      } else {
        assert.equal(pn.shared, false);
        assert.equal(pn.nickname, null);
      }
      if (pn.owner_type === "campaign") {
        assert.ok(campaigns.has(pn.campaign_id), `${pn.id}: campaign ${pn.campaign_id}`);
        if (!pn.shared) {
          assert.equal(pn.campaign_name, campaigns.get(pn.campaign_id).name);
          assert.equal(pn.brand_id, campaigns.get(pn.campaign_id).brand_id);
        }
      }
      if (pn.owner_type === "toll_free_registration") assert.ok(tfvs.has(pn.toll_free_verification_id));
      if (pn.owner_type === "unassigned") {
        assert.equal(pn.campaign_id, null);
        assert.equal(pn.toll_free_verification_id, null);
      }
      if (pn.toll_free_verification_id !== null) {
        assert.equal(pn.tf_verification_status, tfvs.get(pn.toll_free_verification_id).status);
      }
    }
  });

  it("the main tree has numbers shared by an ancestor under a nickname", () => {
    const shared = world.phones.filter((p) => p.shared);
    assert.ok(shared.length, "no shared number");
    for (const pn of shared) {
      const owners = world.phones.filter((p) => p.number === pn.number && !p.shared).map((p) => p.org_id);
      assert.equal(owners.length, 1, `shared ${pn.number} has owners ${owners}`);
      assert.ok(ancestors(pn.org_id).includes(owners[0]));
    }
  });

  for (const channel of CHANNELS) {
    it(`listPhoneNumbers({channel: '${channel}'})`, async () => {
      const rows = data(await api.listPhoneNumbers({ channel }));
      assert.ok(rows.length, `no ${channel} number`);
      assert.ok(rows.every((r) => r.channel === channel));
      assert.deepEqual(rowKeys(rows), rowKeys(world.phones.filter((p) => p.channel === channel)));
    });
  }

  for (const ownerType of OWNER_TYPES) {
    it(`listPhoneNumbers({owner_type: '${ownerType}'})`, async () => {
      const rows = data(await api.listPhoneNumbers({ owner_type: ownerType }));
      assert.ok(rows.length, `no number with owner_type ${ownerType}`);
      assert.ok(rows.every((r) => r.owner_type === ownerType));
      assert.deepEqual(rowKeys(rows), rowKeys(world.phones.filter((p) => p.owner_type === ownerType)));
    });
  }

  it("listPhoneNumbers by organization_id, brand_id, campaign_id and combined", async () => {
    for (const orgId of world.nodes.keys()) {
      const rows = data(await api.listPhoneNumbers({ organization_id: orgId }));
      assert.ok(rows.every((r) => r.org_id === orgId));
      assert.deepEqual(rowKeys(rows), rowKeys(world.phones.filter((p) => p.org_id === orgId)));
    }
    for (const brandId of [...new Set(world.phones.map((p) => p.brand_id).filter(Boolean))].sort()) {
      const rows = data(await api.listPhoneNumbers({ brand_id: brandId }));
      assert.ok(rows.length && rows.every((r) => r.brand_id === brandId));
      assert.deepEqual(rowKeys(rows), rowKeys(world.phones.filter((p) => p.brand_id === brandId)));
    }
    const campaignIds = [...new Set(world.phones.map((p) => p.campaign_id).filter(Boolean))].sort();
    assert.ok(campaignIds.length, "no number belongs to a campaign");
    for (const campaignId of campaignIds) {
      const rows = data(await api.listPhoneNumbers({ campaign_id: campaignId }));
      assert.ok(rows.length && rows.every((r) => r.campaign_id === campaignId));
      assert.deepEqual(rowKeys(rows), rowKeys(world.phones.filter((p) => p.campaign_id === campaignId)));
    }
    const expected = world.phones.filter((p) => p.channel === "10dlc" && p.owner_type === "campaign");
    assert.ok(expected.length);
    assert.deepEqual(rowKeys(data(await api.listPhoneNumbers({ channel: "10dlc", owner_type: "campaign" }))), rowKeys(expected));
  });
});

describe("toll-free verifications", () => {
  it("listTollFreeVerifications documented fields, every status seeded", () => {
    const statuses = new Set(world.tfvs.map((t) => t.status));
    for (const s of TFV_STATUSES) assert.ok(statuses.has(s), `no ${s} verification`);
    for (const t of world.tfvs) {
      assert.match(t.id, TFV_ID);
      assert.ok(TFV_STATUSES.includes(t.status), t.status);
      assert.equal(t.org_name, world.orgName.get(t.org_id));
      assert.ok(Number.isInteger(t.phone_number_count) && t.phone_number_count >= 0);
      parseTs(t.created_at);
      if (t.status === "draft") {
        assert.equal(t.submitted_at, null);
        assert.equal(t.verified_at, null);
      }
      if (t.status === "Verified") parseTs(t.verified_at);
    }
  });

  for (const status of TFV_STATUSES) {
    it(`listTollFreeVerifications({status: '${status}'})`, async () => {
      const rows = data(await api.listTollFreeVerifications({ status }));
      assert.ok(rows.length, `no ${status} verification`);
      assert.ok(rows.every((r) => r.status === status));
      assert.deepEqual(rowKeys(rows), rowKeys(world.tfvs.filter((t) => t.status === status)));
    });
  }

  it("listTollFreeVerifications({organization_id}) for each organization, and with status", async () => {
    for (const orgId of world.nodes.keys()) {
      const rows = data(await api.listTollFreeVerifications({ organization_id: orgId }));
      assert.ok(rows.every((r) => r.org_id === orgId));
      assert.deepEqual(rowKeys(rows), rowKeys(world.tfvs.filter((t) => t.org_id === orgId)));
    }
    const t = world.tfvs[0];
    const both = data(await api.listTollFreeVerifications({ organization_id: t.org_id, status: t.status }));
    assert.deepEqual(rowKeys(both), rowKeys(world.tfvs.filter((x) => x.org_id === t.org_id && x.status === t.status)));
  });

  it("getTollFreeVerification matches the list row and /phone-numbers", async () => {
    for (const row of world.tfvs) {
      const detail = data(await api.getTollFreeVerification(row.id));
      for (const [field, value] of Object.entries(row)) assert.deepEqual(detail[field], value, `${row.id}.${field}`);
      assert.equal(detail.phone_number_ids.length, detail.phone_number_count);
      const owned = world.phones.filter((p) => p.toll_free_verification_id === row.id && !p.shared).map((p) => p.id);
      assert.deepEqual(new Set(detail.phone_number_ids), new Set(owned));
      assert.ok(parseTs(detail.updated_at) >= parseTs(detail.created_at));
      if (detail.status === "Rejected") assert.ok(typeof detail.rejection_reason === "string" && detail.rejection_reason);
    }
  });
});
