// Contact lists (CONTRACT §5, magic numbers §3, idempotency §2) through the TypeScript SDK:
// reads and filters, imports from hosted files on the manual clock, the documented import
// failures, analysis (202 queued, 202 cost 0 while running, 200 complete when nothing is left,
// 402, 409) and delete. The TS SDK has no download
// method: the CSV download is fetched raw (through the same validating fetch) to check the
// magic numbers' line types. Idempotent retries are in idempotency.test.mjs. A list projects
// use is refused with 409 CONTACT_LIST_IN_USE naming them (CONTRACT §5, §7).

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, idPattern, parseTs, expectError,
  hostedFiles, putFile, poll, parseCsv,
} from "./support.mjs";
import { findSendable } from "./projectkit.mjs";

const LIST_ID = idPattern("cl");
const UNKNOWN_LIST = "cl_00000000000000000000000000";
const E164 = /^\+1\d{10}$/;
const COUNTERS = ["total_rows", "total_contacts", "clean_contacts", "duplicate_count", "bad_number_count", "opted_out_count"];
// contacts-mixed.csv: 33 rows, 6 bad (incl. magic +15005550001), 3 duplicates, 1 opted out (+15005550009).
const MIXED = { total_rows: 33, total_contacts: 27, clean_contacts: 23, duplicate_count: 3, bad_number_count: 6, opted_out_count: 1 };
// CONTRACT §3: line types of the magic numbers a list can hold (0001 is rejected, 0009 opted out).
const MAGIC = {
  "+15005550000": "mobile", "+15005550002": "landline", "+15005550003": "voip", "+15005550004": "mobile",
  "+15005550005": "mobile", "+15005550006": "mobile", "+15005550007": "mobile", "+15005550008": "mobile",
};
const ANALYZED_COLUMNS = ["phone_type", "carrier", "is_mobile", "opted_out", "city", "state"];

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
let files;
let lists;
let orgs;
let brands;

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};
const ids = (rows) => rows.map((r) => r.id).sort();
const client = (role) => makeClient(sandbox, validator, keys[role].key);
const getList = async (id) => data(await api.getContactList(id));
const untilImported = (id) =>
  poll(sandbox, validator, () => getList(id), (d) => ["ready", "failed"].includes(d.import.status));
const untilAnalyzed = (id) =>
  poll(sandbox, validator, () => getList(id), (d) => ["complete", "failed"].includes(d.analysis.status));

async function importReady(body, options) {
  const { list_id: id } = data(await api.importContactList(body, options));
  return (await untilImported(id)).at(-1);
}

/** GET /contact-lists/{id}/download (no TS SDK method): raw, through the validating fetch. */
async function download(id, type) {
  const res = await validator.fetch()(`${sandbox.baseUrl}/contact-lists/${id}/download?type=${type}`, {
    headers: { "X-API-Key": keys.elevated.key, Accept: "text/csv" },
  });
  return { status: res.status, text: await res.text() };
}

const phoneColumn = ({ header, rows }) => {
  const i = header.findIndex((_, col) => rows.length && rows.every((r) => E164.test(r[col])));
  assert.ok(i >= 0, `no column of E.164 numbers in ${header}`);
  return i;
};

function checkDetail(d) {
  const imp = d.import;
  assert.ok(["uploading", "processing", "ready", "failed"].includes(imp.status), imp.status);
  assert.ok(Number.isInteger(imp.progress) && imp.progress >= 0 && imp.progress <= 100);
  if (imp.status === "ready") {
    assert.equal(imp.progress, 100);
    for (const c of COUNTERS) assert.ok(Number.isInteger(imp[c]) && imp[c] >= 0, `${c}: ${imp[c]}`);
    assert.ok(imp.clean_contacts <= imp.total_contacts && imp.total_contacts <= imp.total_rows, JSON.stringify(imp));
    assert.ok(parseTs(imp.processing_started_at) <= parseTs(imp.processing_completed_at));
  }
  if (imp.status === "failed") assert.ok(typeof imp.failure_reason === "string" && imp.failure_reason.trim());
  assert.ok(["not_started", "processing", "complete", "failed"].includes(d.analysis.status));
  if (d.analysis.analyzed_numbers > 0) {
    const b = d.analysis.breakdown;
    assert.equal(b.mobile + b.landline + b.voip + b.invalid, d.analysis.analyzed_numbers);
  }
  const tags = d.available_merge_tags.map((t) => t.merge_tag);
  assert.equal(new Set(tags).size, tags.length, `merge tags offered twice: ${tags}`);
}

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client("elevated");
  files = await hostedFiles(sandbox, validator);
  lists = data(await api.listContactLists());
  orgs = new Map(data(await api.listOrganizations()).map((o) => [o.id, o.display_name]));
  brands = new Map(data(await api.listBrands()).map((b) => [b.id, b]));
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("reads and filters", () => {
  it("listContactLists returns documented fields, seeded lists included", () => {
    const names = new Set(lists.map((l) => l.name));
    for (const n of ["Franklin County Likely Voters", "Ward 3 Canvass Universe", "Arizona Petition Signers"]) {
      assert.ok(names.has(n), `seeded list ${n} missing`);
    }
    for (const row of lists) {
      assert.match(row.id, LIST_ID);
      assert.equal(row.org_name, orgs.get(row.org_id));
      if (row.brand_id === null) assert.equal(row.brand_name, null);
      else {
        assert.equal(row.brand_name, brands.get(row.brand_id).brand_name);
        assert.equal(brands.get(row.brand_id).org_id, row.org_id);
      }
      parseTs(row.created_at);
    }
  });

  it("listContactLists filters by organization_id, brand_id and both", async () => {
    for (const orgId of orgs.keys()) {
      const rows = data(await api.listContactLists({ organization_id: orgId }));
      assert.deepEqual(ids(rows), ids(lists.filter((l) => l.org_id === orgId)), orgId);
    }
    const branded = [...new Set(lists.filter((l) => l.brand_id).map((l) => l.brand_id))];
    assert.ok(branded.length, "no seeded list has a brand");
    for (const brandId of branded) {
      const rows = data(await api.listContactLists({ brand_id: brandId }));
      assert.deepEqual(ids(rows), ids(lists.filter((l) => l.brand_id === brandId)));
      const orgId = brands.get(brandId).org_id;
      assert.deepEqual(ids(data(await api.listContactLists({ organization_id: orgId, brand_id: brandId }))), ids(rows));
      const other = [...orgs.keys()].find((o) => o !== orgId);
      assert.deepEqual(data(await api.listContactLists({ organization_id: other, brand_id: brandId })), []);
    }
  });

  it("other trees and child keys see only their own lists", async () => {
    for (const [role, name] of [["zero_balance", "Lakeside Neighbors"], ["sending_paused", "Desert Sun Voters"]]) {
      const rows = data(await client(role).listContactLists());
      assert.ok(rows.some((r) => r.name === name), `${role} does not see ${name}`);
      assert.ok(!rows.some((r) => lists.some((l) => l.id === r.id)), `${role} sees main-tree lists`);
    }
    const child = client("child");
    const childOrgs = new Set(data(await child.listOrganizations()).map((o) => o.id));
    assert.deepEqual(ids(data(await child.listContactLists())), ids(lists.filter((l) => childOrgs.has(l.org_id))));
    await expectError(child.listContactLists({ organization_id: keys.root.organization_id }), 403, "ORG_ACCESS_DENIED");
  });

  it("getContactList matches every list row", async () => {
    for (const row of lists) {
      const d = await getList(row.id);
      assert.equal(d.list_id, row.id);
      assert.equal(d.organization_id, row.org_id);
      for (const f of ["name", "brand_id", "created_at"]) assert.equal(d[f], row[f], `${row.id} ${f}`);
      checkDetail(d);
    }
  });

  it("an unknown or foreign list is 404, the same either way", async () => {
    const missing = await expectError(api.getContactList(UNKNOWN_LIST), 404, /NOT_FOUND$/);
    const other = client("zero_balance");
    await expectError(other.getContactList(lists[0].id), 404, missing.code);
    await expectError(other.deleteContactList(lists[0].id), 404, missing.code);
    await expectError(other.analyzeContactList(lists[0].id), 404, missing.code);
  });
});

describe("import", () => {
  let mixedId;

  it("importContactList answers 202 processing, then ready after a sandbox second with exact counters", async () => {
    const answer = data(await api.importContactList({
      source_url: files["contacts-mixed.csv"].url, list_name: "SDK mixed (node)", phone_column: "Phone Number",
    }));
    assert.equal(validator.last("POST", "/contact-lists/import").status, 202);
    assert.match(answer.list_id, LIST_ID);
    assert.deepEqual(answer, {
      list_id: answer.list_id, name: "SDK mixed (node)", status: "processing", total_rows: null, imported_via_api: true,
    });
    mixedId = answer.list_id;
    const states = await untilImported(mixedId);
    const [first, ready] = [states[0], states.at(-1)];
    assert.equal(states.length, 2, "33 rows: ready after the minimum of one sandbox second");
    assert.equal(first.import.status, "processing");
    assert.ok(first.import.progress >= 0 && first.import.progress <= 99);
    for (const c of COUNTERS.slice(1)) assert.equal(first.import[c], null, `${c} known before ready`);
    assert.equal(first.organization_id, keys.elevated.organization_id);
    assert.equal(first.imported_via_api, true);
    assert.equal(ready.import.status, "ready");
    assert.deepEqual(Object.fromEntries(COUNTERS.map((c) => [c, ready.import[c]])), MIXED);
    assert.equal(ready.import.progress, 100);
    checkDetail(first);
    checkDetail(ready);
  });

  it("merge tags: every non-phone column when omitted, exactly the mapping when given", async () => {
    const auto = Object.fromEntries((await getList(mixedId)).available_merge_tags.map((t) => [t.merge_tag, [t.csv_column, t.standard]]));
    assert.deepEqual(auto, {
      first_name: ["First Name", true], last_name: ["Last Name", true], city: ["City", true], zip: ["Zip Code", true],
      volunteer_interest: ["Volunteer Interest", false],
    });
    const mapped = await importReady({
      source_url: files["contacts-clean.csv"].url, list_name: "SDK mapped (node)", phone_column: "phone",
      merge_tags: { last_name: "last_name", custom_fields: [{ csv_column: "precinct", merge_tag: "precinct_code" }] },
    });
    assert.equal(mapped.import.status, "ready");
    assert.equal(mapped.import.clean_contacts, 25);
    const tags = Object.fromEntries(mapped.available_merge_tags.map((t) => [t.merge_tag, [t.csv_column, t.standard]]));
    assert.deepEqual(tags, { last_name: ["last_name", true], precinct_code: ["precinct", false] });
  });

  it("a header without the phone column is 400 VALIDATION_ERROR naming the headers", async () => {
    const before = data(await api.listContactLists()).length;
    const err = await expectError(api.importContactList({
      source_url: files["contacts-no-phone-column.csv"].url, list_name: "SDK no phone", phone_column: "phone",
    }), 400, "VALIDATION_ERROR");
    const detail = err.body.details.find((d) => d.field === "phone_column");
    assert.ok(detail, JSON.stringify(err.body));
    for (const h of ["name", "email", "zip"]) assert.ok(detail.message.includes(h), detail.message);
    assert.equal(data(await api.listContactLists()).length, before);
  });

  for (const [label, url] of [["file: URL", "file:///etc/passwd"], ["cloud metadata", "http://169.254.169.254/latest/meta-data/x.csv"]]) {
    it(`a ${label} source is 400 VALIDATION_ERROR on source_url`, async () => {
      const err = await expectError(api.importContactList({ source_url: url, list_name: "SDK refused", phone_column: "phone" }),
        400, "VALIDATION_ERROR");
      assert.ok(err.body.details.some((d) => d.field === "source_url"), JSON.stringify(err.body));
    });
  }

  it("unreachable, 404, not-CSV and empty sources end failed with a reason", async () => {
    const empty = await putFile(sandbox, validator, "sdk-node-empty.csv", new Uint8Array());
    const sources = {
      unreachable: "http://127.0.0.1:9/contacts.csv",
      "http-404": `${sandbox.origin}/_sandbox/files/sdk-node-missing.csv`,
      "not-csv": files["rally.jpg"].url,
      empty: empty.url,
    };
    for (const [label, url] of Object.entries(sources)) {
      const d = await importReady({ source_url: url, list_name: `SDK failing ${label}`, phone_column: "phone" });
      assert.equal(d.import.status, "failed", `${label}: ${JSON.stringify(d.import)}`);
      assert.ok(typeof d.import.failure_reason === "string" && d.import.failure_reason.length > 10, label);
      for (const c of COUNTERS.slice(1)) assert.equal(d.import[c], null, `${label}: ${c}`);
      checkDetail(d);
      await expectError(api.analyzeContactList(d.list_id), 409, "LIST_NOT_READY");
    }
  });

  it("bodies are validated strictly, every problem listed at once (CONTRACT §2)", async () => {
    const err = await expectError(api.importContactList({
      source_url: files["contacts-clean.csv"].url, list_name: "SDK strict", phone_column: "phone",
      listName: "camelCase is not the API's", merge_tags: { zipcode: "zip" },
    }), 400, "VALIDATION_ERROR");
    const fields = err.body.details.map((d) => d.field);
    assert.ok(fields.includes("listName"), JSON.stringify(fields));
    assert.ok(fields.some((f) => f.includes("zipcode")), JSON.stringify(fields));
    const missing = await expectError(api.importContactList({ list_name: "SDK strict" }), 400, "VALIDATION_ERROR");
    const missingFields = missing.body.details.map((d) => d.field);
    for (const f of ["source_url", "phone_column"]) assert.ok(missingFields.includes(f), JSON.stringify(missingFields));
  });

  it("writes outside the key's tree or with a read-only key are refused", async () => {
    const body = { source_url: files["contacts-clean.csv"].url, list_name: "SDK foreign", phone_column: "phone" };
    const child = client("child");
    await expectError(child.importContactList({ ...body, organization_id: keys.root.organization_id }), 403, "ORG_ACCESS_DENIED");
    const childOrgs = new Set(data(await child.listOrganizations()).map((o) => o.id));
    const foreign = [...brands.values()].find((b) => !childOrgs.has(b.org_id));
    await expectError(child.importContactList({ ...body, brand_id: foreign.id }), 404, /NOT_FOUND$/);
    const ro = client("read_only");
    await expectError(ro.importContactList(body), 403, "PERMISSION_DENIED");
    await expectError(ro.analyzeContactList(lists[0].id), 403, "PERMISSION_DENIED");
    await expectError(ro.deleteContactList(lists[0].id), 403, "PERMISSION_DENIED");
  });
});

describe("analysis", () => {
  it("analyzeContactList before the import is ready is 409 LIST_NOT_READY", async () => {
    const { list_id: id } = data(await api.importContactList({
      source_url: files["contacts-clean.csv"].url, list_name: "SDK not ready (node)", phone_column: "phone",
    }));
    await expectError(api.analyzeContactList(id), 409, "LIST_NOT_READY");
  });

  it("queues and charges (202), 202 cost 0 while running, completes, then 200 complete cost 0", async () => {
    const ready = await importReady({
      source_url: files["contacts-mixed.csv"].url, list_name: "SDK analysis (node)", phone_column: "Phone Number",
    });
    const id = ready.list_id;
    assert.equal((await download(id, "analyzed")).status, 409);
    const queued = data(await api.analyzeContactList(id));
    assert.equal(validator.last("POST", `/contact-lists/${id}/analyze`).status, 202);
    assert.equal(queued.analysis.status, "processing");
    assert.equal(queued.analysis.numbers_queued, MIXED.clean_contacts);
    assert.equal(queued.analysis.estimated_completion_seconds, Math.ceil(MIXED.clean_contacts / 1000));
    assert.ok(queued.cost_cents > 0, "analysis is billable");
    const again = data(await api.analyzeContactList(id));
    assert.equal(validator.last("POST", `/contact-lists/${id}/analyze`).status, 202);
    assert.equal(again.cost_cents, 0);
    assert.equal(again.analysis.status, "processing");

    const done = (await untilAnalyzed(id)).at(-1);
    assert.equal(done.analysis.status, "complete");
    assert.equal(done.analysis.analyzed_numbers, MIXED.clean_contacts);
    checkDetail(done);

    // CONTRACT §5 / the Python docstring: nothing left to analyze is 200 'complete', cost 0.
    const finished = data(await api.analyzeContactList(id));
    assert.equal(validator.last("POST", `/contact-lists/${id}/analyze`).status, 200);
    assert.equal(finished.analysis.status, "complete");
    assert.equal(finished.cost_cents, 0);

    const csv = await download(id, "analyzed");
    assert.equal(csv.status, 200);
    const parsed = parseCsv(csv.text);
    assert.deepEqual(parsed.header.slice(-ANALYZED_COLUMNS.length), ANALYZED_COLUMNS);
    const phone = phoneColumn(parsed);
    const typeAt = parsed.header.length - ANALYZED_COLUMNS.length;
    const types = Object.fromEntries(parsed.rows.map((r) => [r[phone], r[typeAt]]));
    assert.equal(parsed.rows.length, MIXED.clean_contacts);
    for (const [number, type] of Object.entries(MAGIC)) assert.equal(types[number], type, number);
    assert.ok(!("+15005550001" in types) && !("+15005550009" in types));
    const counted = { mobile: 0, landline: 0, voip: 0, invalid: 0 };
    for (const t of Object.values(types)) counted[t] += 1;
    const { mobile, landline, voip, invalid } = done.analysis.breakdown;
    assert.deepEqual({ mobile, landline, voip, invalid }, counted);
  });

  it("a seeded list with the magic numbers analyzes them per CONTRACT §3", async () => {
    const id = lists.find((l) => l.name === "Ward 3 Canvass Universe").id;
    const before = await getList(id);
    if (before.analysis.status !== "complete") data(await api.analyzeContactList(id));
    const done = (await untilAnalyzed(id)).at(-1);
    assert.equal(done.analysis.status, "complete");
    const parsed = parseCsv((await download(id, "analyzed")).text);
    const phone = phoneColumn(parsed);
    const typeAt = parsed.header.length - ANALYZED_COLUMNS.length;
    const types = Object.fromEntries(parsed.rows.map((r) => [r[phone], r[typeAt]]));
    for (const [number, type] of Object.entries(MAGIC)) assert.equal(types[number], type, number);
  });

  it("the zero-balance org's analyze is 402 INSUFFICIENT_BALANCE with nothing queued", async () => {
    const zero = client("zero_balance");
    const list = data(await zero.listContactLists()).find((l) => l.name === "Lakeside Neighbors");
    const before = data(await zero.getContactList(list.id));
    assert.equal(before.import.status, "ready");
    await expectError(zero.analyzeContactList(list.id), 402, "INSUFFICIENT_BALANCE");
    assert.deepEqual(data(await zero.getContactList(list.id)).analysis, before.analysis);
  });
});

describe("delete", () => {
  it("deleteContactList answers {list_id, name, deleted}; the list is gone", async () => {
    const d = await importReady({ source_url: files["contacts-clean.csv"].url, list_name: "SDK delete (node)", phone_column: "phone" });
    assert.deepEqual(data(await api.deleteContactList(d.list_id)), { list_id: d.list_id, name: "SDK delete (node)", deleted: true });
    await expectError(api.getContactList(d.list_id), 404, /NOT_FOUND$/);
    assert.ok(!data(await api.listContactLists()).some((l) => l.id === d.list_id));
    await expectError(api.deleteContactList(d.list_id), 404, /NOT_FOUND$/);
  });

  it("a list projects use is 409 CONTACT_LIST_IN_USE with details.projects [{id, name, status}]", async () => {
    const s = await findSendable(api);
    const d = await importReady({
      source_url: files["contacts-clean.csv"].url, list_name: "SDK in use (node)", phone_column: "phone", organization_id: s.org_id,
    });
    assert.equal(d.import.status, "ready");
    const first = data(await api.createProject(s.body("SDK list user (node)", { contact_list_ids: [d.list_id] })));
    const second = data(await api.createProject(s.body("SDK list user scheduled (node)", { contact_list_ids: [d.list_id] })));
    data(await api.scheduleProject(second.id, { scheduled_at: "2026-11-20T10:00:00-05:00", scheduled_timezone: "America/New_York" }));
    try {
      const e = await expectError(api.deleteContactList(d.list_id), 409, "CONTACT_LIST_IN_USE");
      const byId = (a, b) => a.id.localeCompare(b.id);
      assert.deepEqual([...e.body.details.projects].sort(byId), [
        { id: first.id, name: "SDK list user (node)", status: "awaiting_test" },
        { id: second.id, name: "SDK list user scheduled (node)", status: "scheduled" },
      ].sort(byId));
      assert.equal(data(await api.getContactList(d.list_id)).import.status, "ready", "a refused delete removed the list");
    } finally {
      data(await api.unscheduleProject(second.id));
    }
    for (const p of [first, second]) data(await api.updateProject(p.id, { contact_list_ids: [s.list_id] }));
    assert.deepEqual(data(await api.deleteContactList(d.list_id)), { list_id: d.list_id, name: "SDK in use (node)", deleted: true });
  });
});
