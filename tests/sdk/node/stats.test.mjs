// Stats and the ledger (CONTRACT §9) through the TypeScript SDK 0.11.1: getMessageStats,
// getAllProjectStats, getLedgerUsage and getLedgerUsageByInitiator. The twin of
// ../python/test_stats.py.
//
// Every answer is checked against the schema derived from the SDK's d.ts by the validating fetch
// (every documented field present, of its type); on top of that: the facts the types state
// (`totals` only the statuses present, `byDay` newest date first, rates 0-100, charges negative
// and `unitPrice` positive, `payments`/`adjustments` empty and `totalPaymentAmount` 0, initiators
// largest spend first, `actual_cost` a numeric string with 4 decimals), the identities (the
// `byDay` counts make `summary.totalMessages`, the lines make the ledger totals, by-initiator and
// usage agree on a scope, the organizations of a tree add up to it), the filters
// (`organizationId` exactly that organization, `brandId`/`campaignId`), the date rules as the SDK
// throws them, and what a simulated send and an analysis add to today.
//
// The read tests share this file's sandbox, whose clock never moves: today is the clock start
// (2026-11-03) and the numbers are the seeded history alone. The send and the analysis each run
// on a sandbox of their own (sendkit.fresh). Amounts are dollars rounded to 1/10,000, so sums
// are compared in those units, each rounded term allowed its half unit.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContractValidator, CLOCK_START, startSandbox, seededKeys, makeClient, control, expectError, parseTs } from "./support.mjs";
import { HOUR, TIMEZONE, data, fresh, projectOverMixed } from "./sendkit.mjs";

const validator = new ContractValidator();
const TODAY = CLOCK_START.slice(0, 10);
// MessageStats.totals: "Keyed by delivery status (unsent, queued, sending, sent, delivered,
// failed, received, on_hold). Only statuses present in the range appear."
const STATUSES = ["unsent", "queued", "sending", "sent", "delivered", "failed", "received", "on_hold"];
const PROJECT_STATUSES = ["draft", "awaiting_test", "scheduled", "sending", "paused", "completed"];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// ProjectStatsRow.actual_cost: "Numeric string in dollars, e.g. "87.1926"."
const ACTUAL_COST = /^\d+\.\d{4}$/;
// AllProjectStats.summary.messageStats, named after the rows' counters.
const ROW_COUNTERS = {
  sent: "messages_sent", delivered: "messages_delivered", failed: "messages_failed", opted_out: "messages_opted_out",
  replies: "replies_received", clicks: "total_url_clicks",
};
// ProjectStats.metrics (GET /projects/{id}/stats) → the row's counter of the same number.
const METRIC_OF_ROW = {
  messages_sent: "sent", messages_delivered: "delivered", messages_failed: "undeliverable", messages_opted_out: "opt_outs",
  replies_received: "replies", total_url_clicks: "clicks_total", unique_url_clicks: "clicks_unique",
};
// The oldest start each method takes (the query types: "no older than 180 days", 90 for projects).
const MAX_AGE = { getMessageStats: 180, getLedgerUsage: 180, getLedgerUsageByInitiator: 180, getAllProjectStats: 90 };

const day = (offset) => new Date(Date.parse(`${TODAY}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const units = (dollars) => Math.round(dollars * 10_000);
const sum = (values) => values.reduce((a, b) => a + b, 0);
const count = (rows, fn) => {
  const out = {};
  for (const r of rows) {
    const k = fn(r);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

/** `total` is the sum of `parts`, each of them (and the total) rounded to 1/10,000. */
function assertSum(total, parts, what) {
  const diff = Math.abs(units(total) - sum(parts.map(units)));
  assert.ok(diff <= Math.floor((parts.length + 1) / 2), `${what}: ${total} is not the sum of ${JSON.stringify(parts)}`);
}

/** The ranges the read tests walk: the longest ending today, today alone, the oldest allowed,
 * yesterday, the future, and a dozen more drawn from a fixed linear congruential sequence. */
function ranges(maxAge = 180) {
  const out = [[day(-30), TODAY], [TODAY, TODAY], [day(-maxAge), day(-maxAge + 30)], [day(-1), day(-1)], [day(3), day(9)]];
  let x = 20261103;
  const next = (n) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  for (let i = 0; i < 12; i += 1) {
    const start = -next(maxAge + 1);
    out.push([day(start), day(Math.min(start + next(31), 5))]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// What every answer must satisfy
// ---------------------------------------------------------------------------

function checkMessageStats(m, start, end) {
  assert.deepEqual(m.dateRange, { startDate: start, endDate: end });
  const rows = m.byDay;
  for (const r of rows) {
    assert.ok(DATE.test(r.date) && r.date >= start && r.date <= end, JSON.stringify(r));
    assert.ok(STATUSES.includes(r.status) && r.count > 0 && r.totalCost >= 0, JSON.stringify(r));
  }
  assert.equal(new Set(rows.map((r) => `${r.date} ${r.status}`)).size, rows.length, "byDay: one row per date + status");
  const dates = rows.map((r) => r.date);
  assert.deepEqual(dates, [...dates].sort().reverse(), "byDay: newest date first");
  assert.deepEqual(Object.keys(m.totals).sort(), [...new Set(rows.map((r) => r.status))].sort(), "totals: only the statuses present");
  for (const [status, bucket] of Object.entries(m.totals)) {
    const mine = rows.filter((r) => r.status === status);
    assert.equal(bucket.count, sum(mine.map((r) => r.count)), status);
    assert.ok(bucket.count > 0, status);
    assertSum(bucket.totalCost, mine.map((r) => r.totalCost), `totals.${status}.totalCost`);
  }
  const total = sum(rows.map((r) => r.count));
  const s = m.summary;
  assert.equal(s.totalMessages, total, "summary.totalMessages = the byDay counts");
  assert.deepEqual(s.statusBreakdown, Object.fromEntries(Object.entries(m.totals).map(([k, b]) => [k, b.count])));
  assertSum(s.totalCost, Object.values(m.totals).map((b) => b.totalCost), "summary.totalCost");
  assert.ok(s.projectCount >= 0 && s.organizationCount >= 0);
  assert.equal(s.organizationCount === 0, total === 0, JSON.stringify(s));
  const r = m.deliveryRates;
  const of = (status) => m.totals[status]?.count ?? 0;
  assert.deepEqual([r.totalMessages, r.deliveredCount, r.failedCount], [total, of("delivered"), of("failed")]);
  assert.ok(r.successfulCount >= 0 && r.successfulCount <= total);
  for (const [rate, part] of [["deliveryRate", r.deliveredCount], ["failureRate", r.failedCount], ["successRate", r.successfulCount]]) {
    assert.ok(r[rate] >= 0 && r[rate] <= 100, `${rate} is a percentage 0-100: ${JSON.stringify(r)}`);
    assert.ok(Math.abs(r[rate] - (total ? (100 * part) / total : 0)) <= 0.005 + 1e-9, `${rate}: ${JSON.stringify(r)}`);
  }
}

function checkLine(line) {
  assert.ok(line.unitPrice > 0, `unitPrice is positive: ${JSON.stringify(line)}`);
  assert.ok(line.totalAmount < 0, `charges are negative: ${JSON.stringify(line)}`);
  assert.ok(line.quantity > 0 && line.transactionCount >= 1, JSON.stringify(line));
}

/** A line of one paying organization: totalAmount = -quantity x unitPrice (the unit rounded too).
 * By-initiator lines are per paying organization (`organizationId`) too. */
function checkPriced(line) {
  checkLine(line);
  assert.ok(Math.abs(line.totalAmount + line.quantity * line.unitPrice) <= 0.00005 * line.quantity + 0.0001, JSON.stringify(line));
}

function checkUsage(u, start, end, names) {
  assert.deepEqual([u.startDate, u.endDate], [start, end]);
  const ids = u.organizations.map((o) => o.organizationId);
  assert.equal(new Set(ids).size, ids.length);
  const quantities = {};
  for (const o of u.organizations) {
    const where = o.organizationId;
    assert.ok(names.has(where), `an organization outside the key's tree: ${where}`);
    assert.equal(o.organizationName, names.get(where));
    assert.ok(o.tier === null || o.tier >= 1, String(o.tier));
    assert.deepEqual([o.payments, o.adjustments, o.totalPaymentAmount], [[], [], 0], where);
    const pairs = o.usage.map((l) => `${l.productCode} ${l.eventType}`);
    assert.equal(new Set(pairs).size, pairs.length, `${where}: one line per product and event type`);
    for (const line of o.usage) {
      checkPriced(line);
      quantities[line.productCode] = (quantities[line.productCode] ?? 0) + line.quantity;
    }
    assertSum(o.totalUsageAmount, o.usage.map((l) => l.totalAmount), `${where} totalUsageAmount`);
  }
  assert.equal(u.totalPaymentAmount, 0);
  assertSum(u.totalUsageAmount, u.organizations.map((o) => o.totalUsageAmount), "totalUsageAmount");
  assert.equal(u.totalQuantity, sum(Object.values(quantities)));
  assert.deepEqual(u.serviceTotals, quantities, "serviceTotals: the quantity per product code");
}

/** A by-initiator answer, and its identities with the usage answer of the same scope. */
function checkByInitiator(b, start, end, names, usage) {
  assert.deepEqual([b.startDate, b.endDate], [start, end]);
  const ids = b.initiators.map((i) => i.initiatingOrganizationId);
  assert.equal(new Set(ids).size, ids.length);
  const quantities = {};
  for (const i of b.initiators) {
    const where = i.initiatingOrganizationId;
    // An agency's key may initiate what its client pays: a child key's answer names its ancestor.
    if (names.has(where)) assert.equal(i.initiatingOrganizationName, names.get(where));
    const keys = i.usage.map((l) => `${l.date} ${l.productCode} ${l.eventType} ${l.organizationId}`);
    assert.equal(new Set(keys).size, keys.length, `${where}: one line per day, product, event type and payer`);
    for (const line of i.usage) {
      assert.ok(DATE.test(line.date) && line.date >= start && line.date <= end, JSON.stringify(line));
      checkPriced(line);
      quantities[line.productCode] = (quantities[line.productCode] ?? 0) + line.quantity;
    }
    assertSum(i.totalAmount, i.usage.map((l) => l.totalAmount), `${where} totalAmount`);
    assert.equal(i.totalQuantity, sum(i.usage.map((l) => l.quantity)));
    assert.equal(i.transactionCount, sum(i.usage.map((l) => l.transactionCount)));
  }
  const spend = b.initiators.map((i) => -i.totalAmount);
  assert.deepEqual(spend, [...spend].sort((x, y) => y - x), "initiators: largest spend first");
  assertSum(b.totalAmount, b.initiators.map((i) => i.totalAmount), "totalAmount");
  assert.equal(b.totalQuantity, sum(b.initiators.map((i) => i.totalQuantity)));
  assert.equal(b.totalTransactionCount, sum(b.initiators.map((i) => i.transactionCount)));
  // The same charges as getLedgerUsage, grouped by who initiated them.
  assert.equal(units(b.totalAmount), units(usage.totalUsageAmount), "by-initiator total = usage total");
  assert.equal(b.totalQuantity, usage.totalQuantity);
  assert.deepEqual(quantities, usage.serviceTotals);
  assert.equal(b.totalTransactionCount, sum(usage.organizations.flatMap((o) => o.usage.map((l) => l.transactionCount))));
}

function checkProjectStats(p, start, end, { limit = 100, offset = 0 } = {}) {
  assert.deepEqual(p.dateRange, { startDate: start, endDate: end });
  const { projects: rows, pagination: page, summary: s } = p;
  const total = page.totalCount;
  assert.deepEqual([page.limit, page.offset, s.totalProjects], [limit, offset, total]);
  assert.equal(rows.length, Math.max(0, Math.min(limit, total - offset)));
  assert.equal(page.hasMore, offset + rows.length < total);
  assert.equal(sum(Object.values(s.statusBreakdown)), total);
  for (const row of rows) {
    const where = `${row.id} ${JSON.stringify(row.actual_cost)}`;
    assert.match(row.actual_cost, ACTUAL_COST, `actual_cost is a numeric string in dollars: ${where}`);
    assert.ok(PROJECT_STATUSES.includes(row.status), where);
    assert.ok(row.messages_delivered + row.messages_failed <= row.messages_sent, where);
    assert.ok(row.unique_url_clicks <= row.total_url_clicks, where);
    assert.ok(parseTs(row.created_at) <= parseTs(row.updated_at), where);
  }
  if (offset === 0 && rows.length === total) {
    // The whole set on one page: the summary is the rows'.
    assert.deepEqual(s.statusBreakdown, count(rows, (r) => r.status));
    assert.equal(s.organizationCount, new Set(rows.map((r) => r.organization_id)).size);
    assert.equal(s.brandCount, new Set(rows.map((r) => r.brand_id).filter(Boolean)).size);
    assert.equal(s.campaignCount, new Set(rows.map((r) => r.campaign_id).filter(Boolean)).size);
    for (const [key, value] of Object.entries(s.messageStats)) {
      assert.ok(key in ROW_COUNTERS, `summary.messageStats.${key}`);
      assert.equal(value, sum(rows.map((r) => r[ROW_COUNTERS[key]])), key);
    }
    const created = rows.map((r) => r.created_at).sort();
    assert.deepEqual(s.dateRange, { earliestProject: created[0] ?? null, latestProject: created.at(-1) ?? null });
  }
}

const linesOf = (usage, org, product) =>
  usage.organizations.filter((o) => o.organizationId === org).flatMap((o) => o.usage).filter((l) => l.productCode === product);
const initiated = (by, initiator, product, on) =>
  by.initiators.filter((i) => i.initiatingOrganizationId === initiator).flatMap((i) => i.usage)
    .filter((l) => l.productCode === product && l.date === on);
const total = (lines, field) => sum(lines.map((l) => l[field]));

// ---------------------------------------------------------------------------
// The file's sandbox, whose clock never moves
// ---------------------------------------------------------------------------

let sandbox;
let keys;
let api;
let names;
let brands;
let campaigns;
let projects;
const client = (role) => makeClient(sandbox, validator, keys[role].key);

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client("elevated"); // 100,000 requests/hour: these tests read a lot
  names = new Map(data(await api.listOrganizations()).map((o) => [o.id, o.display_name]));
  brands = data(await api.listBrands());
  campaigns = data(await api.listCampaigns());
  projects = data(await api.listProjects());
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("the documented facts", () => {
  it("the clock of the read tests stands at its start", async () => {
    assert.equal((await control(sandbox, validator, "GET", "/clock")).now, CLOCK_START);
  });

  it("getMessageStats: totals, summary, rates and byDay agree over many ranges", async () => {
    const seen = new Set();
    for (const [start, end] of ranges()) {
      const m = data(await api.getMessageStats({ startDate: start, endDate: end }));
      checkMessageStats(m, start, end);
      assert.ok(m.summary.organizationCount <= names.size);
      for (const k of Object.keys(m.totals)) seen.add(k);
    }
    for (const status of ["delivered", "failed", "sent", "received"]) assert.ok(seen.has(status), status);
    const month = data(await api.getMessageStats({ startDate: day(-30), endDate: day(-1) }));
    assert.ok(month.summary.totalMessages > 0 && month.totals.delivered.totalCost > 0);
    assert.ok(new Set(month.byDay.map((r) => r.date)).size >= 20, "most days of a month carry traffic");
    // Nothing has happened after the clock start of a sandbox whose clock never moved.
    for (const [start, end] of [[TODAY, TODAY], [day(3), day(9)]]) {
      const empty = data(await api.getMessageStats({ startDate: start, endDate: end }));
      assert.deepEqual([empty.totals, empty.byDay, empty.summary.totalMessages], [{}, [], 0]);
      const { deliveryRate, failureRate, successRate } = empty.deliveryRates;
      assert.deepEqual([deliveryRate, failureRate, successRate], [0, 0, 0]);
    }
  });

  it("getLedgerUsage and getLedgerUsageByInitiator: lines, totals and the two endpoints agree", async () => {
    const products = new Set();
    for (const [start, end] of ranges()) {
      const u = data(await api.getLedgerUsage({ startDate: start, endDate: end }));
      checkUsage(u, start, end, names);
      checkByInitiator(data(await api.getLedgerUsageByInitiator({ startDate: start, endDate: end })), start, end, names, u);
      for (const p of Object.keys(u.serviceTotals)) products.add(p);
    }
    for (const p of ["sms", "carrier_lookup", "10dlc_campaign_monthly"]) assert.ok(products.has(p), p);
    const u = data(await api.getLedgerUsage({ startDate: day(-30), endDate: day(-1) }));
    const agency = keys.root.organization_id;
    for (const o of u.organizations) assert.ok(o.organizationId === agency ? o.tier === 1 : o.tier >= 2, JSON.stringify(o));
    const by = data(await api.getLedgerUsageByInitiator({ startDate: day(-30), endDate: day(-1) }));
    assert.ok(by.initiators.length >= 2 && by.totalAmount < 0);
  });
});

describe("filters", () => {
  it("organizationId is exactly that organization; the organizations of the tree add up to it", async () => {
    const [start, end] = [day(-30), TODAY];
    const q = (extra = {}) => ({ startDate: start, endDate: end, ...extra });
    const treeM = data(await api.getMessageStats(q()));
    const treeU = data(await api.getLedgerUsage(q()));
    const treeP = data(await api.getAllProjectStats(q()));
    const byOrg = new Map(treeU.organizations.map((o) => [o.organizationId, o]));
    let messages = 0;
    let rows = 0;
    const statuses = {};
    for (const org of names.keys()) {
      const m = data(await api.getMessageStats(q({ organizationId: org })));
      checkMessageStats(m, start, end);
      assert.ok(m.summary.organizationCount <= 1);
      messages += m.summary.totalMessages;
      for (const [k, b] of Object.entries(m.totals)) statuses[k] = (statuses[k] ?? 0) + b.count;
      const u = data(await api.getLedgerUsage(q({ organizationId: org })));
      checkUsage(u, start, end, names);
      // Exactly the org's own lines, as the tree's answer shows them: its descendants left out.
      assert.deepEqual(u.organizations, byOrg.has(org) ? [byOrg.get(org)] : [], org);
      checkByInitiator(data(await api.getLedgerUsageByInitiator(q({ organizationId: org }))), start, end, names, u);
      const p = data(await api.getAllProjectStats(q({ organizationId: org })));
      checkProjectStats(p, start, end);
      for (const r of p.projects) assert.equal(r.organization_id, org);
      rows += p.pagination.totalCount;
    }
    assert.equal(messages, treeM.summary.totalMessages);
    assert.deepEqual(statuses, treeM.summary.statusBreakdown);
    assert.equal(rows, treeP.pagination.totalCount);

    // The child key: its subtree only; the agency above it is 403 ORG_ACCESS_DENIED.
    const child = client("child");
    const childNames = new Map(data(await child.listOrganizations()).map((o) => [o.id, o.display_name]));
    assert.ok(childNames.size < names.size);
    const u = data(await child.getLedgerUsage(q()));
    checkUsage(u, start, end, childNames);
    assert.deepEqual(u.organizations, [...byOrg.values()].filter((o) => childNames.has(o.organizationId)));
    checkByInitiator(data(await child.getLedgerUsageByInitiator(q())), start, end, childNames, u);
    const agency = keys.root.organization_id;
    for (const method of Object.keys(MAX_AGE)) {
      await expectError(child[method](q({ organizationId: agency })), 403, "ORG_ACCESS_DENIED");
    }
  });

  it("brandId and campaignId: a brand is its campaigns; every message and sms part has one brand", async () => {
    const [start, end] = [day(-30), day(-1)];
    const q = (extra = {}) => ({ startDate: start, endDate: end, ...extra });
    const tree = data(await api.getMessageStats(q()));
    const treeU = data(await api.getLedgerUsage(q()));
    let byBrand = 0;
    let smsByBrand = 0;
    for (const brand of brands) {
      const m = data(await api.getMessageStats(q({ brandId: brand.id })));
      checkMessageStats(m, start, end);
      const mine = campaigns.filter((c) => c.brand_id === brand.id).map((c) => c.id);
      let parts = 0;
      for (const c of mine) {
        const part = data(await api.getMessageStats(q({ campaignId: c })));
        checkMessageStats(part, start, end);
        parts += part.summary.totalMessages;
        const cu = data(await api.getLedgerUsage(q({ campaignId: c })));
        checkUsage(cu, start, end, names);
        for (const p of Object.keys(cu.serviceTotals)) assert.ok(["sms", "mms", "10dlc_campaign_monthly"].includes(p), p);
        const cp = data(await api.getAllProjectStats(q({ campaignId: c })));
        for (const r of cp.projects) assert.equal(r.campaign_id, c);
      }
      assert.equal(m.summary.totalMessages, parts, brand.id);
      byBrand += m.summary.totalMessages;
      const u = data(await api.getLedgerUsage(q({ brandId: brand.id })));
      checkUsage(u, start, end, names);
      // Lines without a brand (carrier lookups) drop out of a brand's usage (README, Stats).
      assert.ok(!("carrier_lookup" in u.serviceTotals), JSON.stringify(u.serviceTotals));
      smsByBrand += u.serviceTotals.sms ?? 0;
      const p = data(await api.getAllProjectStats(q({ brandId: brand.id })));
      checkProjectStats(p, start, end);
      for (const r of p.projects) assert.equal(r.brand_id, brand.id);
    }
    assert.equal(byBrand, tree.summary.totalMessages);
    assert.equal(smsByBrand, treeU.serviceTotals.sms);
  });
});

describe("getAllProjectStats", () => {
  it("one row per project: its list row, its detail, its metrics; the summary is the rows'", async () => {
    const [start, end] = [day(-30), TODAY];
    const p = data(await api.getAllProjectStats({ startDate: start, endDate: end }));
    checkProjectStats(p, start, end);
    assert.ok(p.pagination.totalCount >= 4);
    const listed = new Map(projects.map((r) => [r.id, r]));
    const brandNames = new Map(brands.map((b) => [b.id, b.brand_name]));
    const campaignNames = new Map(campaigns.map((c) => [c.id, c.name]));
    let costly = 0;
    for (const row of p.projects) {
      const project = listed.get(row.id);
      assert.deepEqual(
        [row.name, row.status, row.type, row.channel, row.organization_id, row.brand_id, row.campaign_id, row.created_at],
        [project.name, project.status, project.type, project.channel, project.org_id, project.brand_id, project.campaign_id, project.created_at],
      );
      assert.equal(row.organization_name, names.get(row.organization_id));
      assert.equal(row.organization_name, project.org_name);
      assert.equal(row.brand_name, brandNames.get(row.brand_id) ?? null);
      assert.equal(row.campaign_name, campaignNames.get(row.campaign_id) ?? null);
      const detail = data(await api.getProject(row.id));
      assert.deepEqual([row.protocol, row.total_recipients, row.updated_at], [detail.protocol, detail.total_recipients, detail.updated_at]);
      const { metrics } = data(await api.getProjectStats(row.id));
      for (const [k, m] of Object.entries(METRIC_OF_ROW)) assert.equal(row[k], metrics[m], `${row.id} ${k}`);
      assert.equal(row.completed_at !== null, row.status === "completed", row.id);
      const cost = Number(row.actual_cost);
      assert.equal(cost > 0, row.messages_delivered > 0, `${row.id}: ${row.actual_cost} for ${row.messages_delivered} delivered`);
      if (cost > 0) costly += 1;
    }
    assert.ok(costly > 0, "a seeded project that sent has a cost");
    const created = p.projects.map((r) => r.created_at);
    assert.deepEqual(created, [...created].sort().reverse(), "rows newest first (README, Stats)");
  });

  it("limit and offset (sent as strings) page every row once; the summary covers them all", async () => {
    const queries = [];
    const recording = (url, init) => {
      const u = new URL(url);
      if (u.pathname.endsWith("/projects/stats")) queries.push(u.search.slice(1));
      return globalThis.fetch(url, init);
    };
    const paged = makeClient(sandbox, validator, keys.elevated.key, recording);
    const [start, end] = [day(-30), TODAY];
    const everything = data(await paged.getAllProjectStats({ startDate: start, endDate: end }));
    assert.equal(queries.at(-1), `startDate=${start}&endDate=${end}`);
    checkProjectStats(everything, start, end); // the defaults: limit 100, offset 0
    const total = everything.pagination.totalCount;
    const seen = [];
    for (let offset = 0; ; offset += 2) {
      const page = data(await paged.getAllProjectStats({ startDate: start, endDate: end, limit: 2, offset }));
      assert.equal(queries.at(-1), `startDate=${start}&endDate=${end}&limit=2&offset=${offset}`);
      checkProjectStats(page, start, end, { limit: 2, offset });
      assert.deepEqual(page.summary, everything.summary, "the summary covers every row, not the page");
      seen.push(...page.projects);
      if (!page.pagination.hasMore) break;
    }
    assert.deepEqual(seen, everything.projects, "pages of 2 visit every row once, in order");
    const past = data(await paged.getAllProjectStats({ startDate: start, endDate: end, limit: 1000, offset: total }));
    checkProjectStats(past, start, end, { limit: 1000, offset: total });
    assert.deepEqual([past.projects, past.pagination.hasMore], [[], false]);
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { offset: -1 }]) {
      const e = await expectError(paged.getAllProjectStats({ startDate: start, endDate: end, ...bad }), 400, "VALIDATION_ERROR");
      assert.deepEqual(e.body.details.map((d) => d.field), Object.keys(bad));
    }
  });

  it("status: draft, active (scheduled or sending), completed, paused, all", async () => {
    const [start, end] = [day(-30), TODAY];
    const everything = data(await api.getAllProjectStats({ startDate: start, endDate: end }));
    const breakdown = everything.summary.statusBreakdown;
    assert.ok(Object.keys(breakdown).length >= 4);
    const expect = { draft: ["draft"], active: ["scheduled", "sending"], completed: ["completed"], paused: ["paused"], all: PROJECT_STATUSES };
    for (const [status, matches] of Object.entries(expect)) {
      const p = data(await api.getAllProjectStats({ startDate: start, endDate: end, status }));
      checkProjectStats(p, start, end);
      assert.deepEqual(p.projects, everything.projects.filter((r) => matches.includes(r.status)), status);
      assert.equal(p.pagination.totalCount, sum(Object.entries(breakdown).filter(([s]) => matches.includes(s)).map(([, n]) => n)));
    }
    const e = await expectError(api.getAllProjectStats({ startDate: start, endDate: end, status: "sideways" }), 400, "VALIDATION_ERROR");
    assert.deepEqual(e.body.details.map((d) => d.field), ["status"]);
  });
});

describe("the date rules, as the SDK throws them", () => {
  for (const [method, maxAge] of Object.entries(MAX_AGE)) {
    it(`${method}: 31 days, ${maxAge} days back, end after start, YYYY-MM-DD`, async () => {
      const call = (startDate, endDate) => api[method]({ startDate, endDate });
      const ok = async (start, end) => data(await call(start, end));
      const refused = async (start, end, status, code) => {
        const e = await expectError(call(start, end), status, code);
        assert.ok(e.body.error.length > 0);
        assert.equal(e.message, e.body.error, "the SDK's message is the API's error");
        return e;
      };
      await ok(day(-30), TODAY);
      await ok(day(-15), day(15));
      await refused(day(-31), TODAY, 400, "RANGE_TOO_LARGE");
      await refused(day(-100), day(-60), 400, "RANGE_TOO_LARGE");
      await ok(day(-maxAge), day(-maxAge + 1));
      await refused(day(-maxAge - 1), day(-maxAge + 1), 400, "RANGE_TOO_OLD");
      await refused(day(-400), day(-390), 400, "RANGE_TOO_OLD");
      if (maxAge === 90) {
        // The SDK's split: what the messages and the ledger take, projects refuse.
        assert.equal(data(await api.getMessageStats({ startDate: day(-91), endDate: day(-90) })).dateRange.startDate, day(-91));
        await refused(day(-91), day(-90), 400, "RANGE_TOO_OLD");
      }
      await ok(TODAY, TODAY);
      await ok(day(1), day(31));
      const e = await refused(TODAY, day(-1), 400, "VALIDATION_ERROR");
      assert.deepEqual(e.body.details.map((d) => d.field), ["endDate"]);
      for (const bad of ["2026-11-3", "11/03/2026", "2026/11/03", "20261103", "2026-02-30", "2026-13-01", "today", "2026-11-03T00:00:00Z", " 2026-11-03"]) {
        await refused(bad, TODAY, 400, "INVALID_DATE_FORMAT");
        await refused(day(-1), bad, 400, "INVALID_DATE_FORMAT");
      }
      await refused(undefined, TODAY, 400, "INVALID_DATE_FORMAT");
      await refused(TODAY, undefined, 400, "INVALID_DATE_FORMAT");
    });
  }

  it("an empty startDate/endDate is 400 INVALID_DATE_FORMAT, like a missing one", async () => {
    // CONTRACT §9: a date not in YYYY-MM-DD is 400 INVALID_DATE_FORMAT.
    for (const method of Object.keys(MAX_AGE)) {
      for (const [startDate, endDate] of [["", TODAY], [day(-1), ""]]) {
        await expectError(api[method]({ startDate, endDate }), 400, "INVALID_DATE_FORMAT");
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Live numbers: a simulated send and an analysis, each on a sandbox of its own
// ---------------------------------------------------------------------------

/** Runs `fn(f)` on a sandbox of its own, stopped afterwards. */
async function withFresh(fn) {
  const f = await fresh(validator);
  try {
    return await fn(f);
  } finally {
    await f.stop();
  }
}

describe("live numbers", () => {
  it("a send adds its messages to today's counts, its metrics and cost to its row, its charge to the ledger", () => withFresh(async (f) => {
    const c = f.client("child");
    const agencyClient = f.client("elevated");
    const child = f.keys.child.organization_id;
    const agency = f.keys.root.organization_id;
    const today = (await f.now()).slice(0, 10);
    const b = await projectOverMixed(f, c, { orgId: child, name: "Stats send (node)" });
    const q = { startDate: today, endDate: today };
    const before = data(await c.getMessageStats({ ...q, organizationId: child }));
    const usageBefore = data(await c.getLedgerUsage({ ...q, organizationId: child, campaignId: b.campaignId }));
    const agencyBefore = data(await agencyClient.getLedgerUsageByInitiator({ ...q, organizationId: agency }));
    const rowBefore = data(await c.getAllProjectStats({ ...q, campaignId: b.campaignId })).projects.find((r) => r.id === b.projectId);
    assert.deepEqual([rowBefore.status, rowBefore.messages_sent, rowBefore.actual_cost], ["awaiting_test", 0, "0.0000"]);

    data(await c.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
    await f.advance(3 * HOUR);
    assert.equal((await f.now()).slice(0, 10), today, "the send stays on the clock start's day");
    assert.equal(data(await c.getProject(b.projectId)).status, "completed");
    const { metrics } = data(await c.getProjectStats(b.projectId));
    assert.ok(metrics.delivered >= 5 && metrics.undeliverable >= 2, JSON.stringify(metrics));

    // Today's counts grow by the project's metrics, each message once under its current status.
    const after = data(await c.getMessageStats({ ...q, organizationId: child }));
    checkMessageStats(after, today, today);
    const grew = (status) => (after.totals[status]?.count ?? 0) - (before.totals[status]?.count ?? 0);
    assert.equal(grew("delivered"), metrics.delivered);
    assert.equal(grew("failed"), metrics.undeliverable);
    assert.equal(grew("sent"), metrics.sent - metrics.delivered - metrics.undeliverable, "no receipt: still sent");
    assert.ok(grew("received") >= metrics.replies);
    for (const s of Object.keys(after.totals)) assert.ok(["sent", "delivered", "failed", "received"].includes(s), `in flight: ${s}`);
    assert.ok(after.summary.projectCount >= 1);
    assert.equal(after.summary.organizationCount, 1);

    // The project's row: its metrics, and what its organization was charged.
    const stats = data(await c.getAllProjectStats({ ...q, campaignId: b.campaignId, status: "completed" }));
    checkProjectStats(stats, today, today);
    const row = stats.projects.find((r) => r.id === b.projectId);
    for (const [k, m] of Object.entries(METRIC_OF_ROW)) assert.equal(row[k], metrics[m], k);
    const detail = data(await c.getProject(b.projectId));
    assert.deepEqual([row.status, row.organization_id, row.campaign_id, row.total_recipients],
      ["completed", child, b.campaignId, detail.total_recipients]);
    assert.ok(row.completed_at !== null && parseTs(row.completed_at) <= parseTs(await f.now()));
    assert.match(row.actual_cost, ACTUAL_COST);
    const cost = Number(row.actual_cost);
    assert.ok(cost > 0, "a send that delivered costs something");
    const deliveredCost = after.totals.delivered.totalCost - (before.totals.delivered?.totalCost ?? 0);
    assert.equal(units(deliveredCost), units(cost), "the delivered messages cost what the organization paid");

    // The ledger: the campaign's sms lines today are the project's actual_cost, negative.
    const usage = data(await c.getLedgerUsage({ ...q, organizationId: child, campaignId: b.campaignId }));
    checkUsage(usage, today, today, new Map([[child, row.organization_name]]));
    const charged = total(linesOf(usage, child, "sms"), "totalAmount") - total(linesOf(usageBefore, child, "sms"), "totalAmount");
    assert.equal(units(charged), -units(cost), `${charged} charged for an actual_cost of ${cost}`);
    const parts = total(linesOf(usage, child, "sms"), "quantity") - total(linesOf(usageBefore, child, "sms"), "quantity");
    assert.ok(parts >= metrics.delivered, "every delivered message is at least one part");
    // The agency above pays for the same parts at its own rate, initiated by the child's key.
    const agencyAfter = data(await agencyClient.getLedgerUsageByInitiator({ ...q, organizationId: agency }));
    const fromChild = initiated(agencyAfter, child, "sms", today);
    assert.equal(total(fromChild, "quantity") - total(initiated(agencyBefore, child, "sms", today), "quantity"), parts);
    for (const line of fromChild) checkLine(line);
  }));

  it("an analysis is one carrier_lookup charge (and one to the agency); a replayed retry adds none", () => withFresh(async (f) => {
    const c = f.client("child");
    const agencyClient = f.client("elevated");
    const child = f.keys.child.organization_id;
    const agency = f.keys.root.organization_id;
    const today = (await f.now()).slice(0, 10);
    const q = { startDate: today, endDate: today };
    const { list_id: listId } = data(await c.importContactList({
      source_url: f.files["contacts-clean.csv"].url, list_name: "Stats analysis (node)", phone_column: "phone", organization_id: child,
    }));
    await f.poll(async () => data(await c.getContactList(listId)), (d) => d.import.status === "ready");
    const lookups = async () => [
      linesOf(data(await c.getLedgerUsage({ ...q, organizationId: child })), child, "carrier_lookup"),
      linesOf(data(await agencyClient.getLedgerUsage({ ...q, organizationId: agency })), agency, "carrier_lookup"),
      initiated(data(await agencyClient.getLedgerUsageByInitiator({ ...q, organizationId: agency })), child, "carrier_lookup", today),
    ];
    const before = await lookups();
    const first = data(await c.analyzeContactList(listId, { idempotencyKey: "sdk-node-stats-analysis" }));
    const queued = first.analysis.numbers_queued;
    assert.ok(queued === 25 && first.cost_cents > 0, JSON.stringify(first));
    const charged = await lookups();
    const delta = (i, field) => total(charged[i], field) - total(before[i], field);
    // One charge to the organization: the numbers queued, at cost_cents, negative.
    assert.deepEqual([delta(0, "quantity"), delta(0, "transactionCount")], [queued, 1]);
    assert.equal(units(delta(0, "totalAmount")), -first.cost_cents * 100);
    // One to the agency above it, at its own rate, initiated by the child's key.
    assert.deepEqual([delta(1, "quantity"), delta(1, "transactionCount")], [queued, 1]);
    assert.ok(delta(1, "totalAmount") < 0);
    assert.deepEqual([delta(2, "quantity"), delta(2, "transactionCount")], [queued, 1]);

    // The same Idempotency-Key replays the answer and charges nothing more; neither does completion.
    assert.deepEqual(data(await c.analyzeContactList(listId, { idempotencyKey: "sdk-node-stats-analysis" })), first);
    assert.equal(validator.last("POST", `/contact-lists/${listId}/analyze`).headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await lookups(), charged);
    const done = (await f.poll(async () => data(await c.getContactList(listId)), (d) => d.analysis.status === "complete")).at(-1);
    assert.equal(done.analysis.analyzed_numbers, queued);
    assert.deepEqual(await lookups(), charged);
  }));
});
