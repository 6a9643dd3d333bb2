// Media (CONTRACT §6, idempotency §2) through the TypeScript SDK: reads and filters, imports
// from hosted samples on the manual clock (the ready `url` serves the same bytes), the
// documented refusals and failures, delete, and an idempotent import retry. A file a project
// attaches is refused with 409 MEDIA_IN_USE naming it (CONTRACT §6, §7).

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, idPattern, parseTs, expectError,
  hostedFiles, putFile, fetchBytes, poll,
} from "./support.mjs";
import { findSendable } from "./projectkit.mjs";

const MEDIA_ID = idPattern("med");
const MB = 1024 * 1024;

const validator = new ContractValidator();
let sandbox;
let keys;
let api;
let files;
let media;
let orgs;
let brands;

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};
const ids = (rows) => rows.map((r) => r.id).sort();
const client = (role) => makeClient(sandbox, validator, keys[role].key);
const untilSettled = (id) =>
  poll(sandbox, validator, async () => data(await api.getMedia(id)), (m) => m.status !== "optimizing", { maxPolls: 30 });

before(async () => {
  sandbox = await startSandbox();
  keys = await seededKeys(sandbox, validator);
  api = client("elevated");
  files = await hostedFiles(sandbox, validator);
  media = data(await api.listMedia());
  orgs = new Map(data(await api.listOrganizations()).map((o) => [o.id, o.display_name]));
  brands = new Map(data(await api.listBrands()).map((b) => [b.id, b]));
});

after(async () => {
  await sandbox?.stop();
});

afterEach(() => validator.assertNoViolations());

describe("reads and filters", () => {
  it("listMedia returns documented fields; url is set exactly when ready", () => {
    assert.ok(media.some((m) => m.status === "ready"), "no ready media seeded");
    for (const m of media) {
      assert.match(m.id, MEDIA_ID);
      assert.equal(m.org_name, orgs.get(m.org_id));
      if (m.brand_id === null) assert.equal(m.brand_name, null);
      else assert.equal(m.brand_name, brands.get(m.brand_id).brand_name);
      parseTs(m.created_at);
      assert.equal(m.url !== null, m.status === "ready", m.id);
    }
  });

  it("listMedia filters by organization_id, brand_id and both", async () => {
    for (const orgId of orgs.keys()) {
      assert.deepEqual(ids(data(await api.listMedia({ organization_id: orgId }))), ids(media.filter((m) => m.org_id === orgId)));
    }
    const branded = [...new Set(media.filter((m) => m.brand_id).map((m) => m.brand_id))];
    assert.ok(branded.length, "no seeded media file has a brand");
    for (const brandId of branded) {
      const rows = data(await api.listMedia({ brand_id: brandId }));
      assert.deepEqual(ids(rows), ids(media.filter((m) => m.brand_id === brandId)));
      const orgId = brands.get(brandId).org_id;
      assert.deepEqual(ids(data(await api.listMedia({ organization_id: orgId, brand_id: brandId }))), ids(rows));
    }
  });

  it("getMedia matches every list row (media_id / organization_id), ready urls serve the file", async () => {
    for (const row of media) {
      const d = data(await api.getMedia(row.id));
      assert.equal(d.media_id, row.id);
      assert.equal(d.organization_id, row.org_id);
      for (const f of ["name", "brand_id", "status", "content_type", "file_size_bytes", "storage_key", "url", "uploaded_via_api", "created_at"]) {
        assert.deepEqual(d[f], row[f], `${row.id} ${f}`);
      }
      if (d.status === "ready") {
        const served = await fetchBytes(sandbox, d.url);
        assert.equal(served.status, 200);
        assert.equal(served.bytes.length, d.file_size_bytes);
      }
    }
  });

  it("scoping: unknown and foreign ids are 404, foreign org filters 403", async () => {
    const missing = await expectError(api.getMedia("med_00000000000000000000000000"), 404, /NOT_FOUND$/);
    const other = client("zero_balance");
    await expectError(other.getMedia(media[0].id), 404, missing.code);
    await expectError(other.deleteMedia(media[0].id), 404, missing.code);
    await expectError(client("child").listMedia({ organization_id: keys.root.organization_id }), 403, "ORG_ACCESS_DENIED");
  });
});

describe("import", () => {
  const cases = [
    ["rally.jpg", "image/jpeg", {}],
    ["clip.mp4", "video/mp4", { name: "Rally clip (node)" }],
    ["logo.png", "image/png", { usage: "email_asset" }],
  ];
  for (const [sample, contentType, extra] of cases) {
    it(`importMedia(${sample}) is optimizing, then ready after 3 + MB sandbox seconds with the same bytes`, async () => {
      const source = files[sample];
      const answer = data(await api.importMedia({ source_url: source.url, ...extra }));
      assert.equal(validator.last("POST", "/media").status, 202);
      assert.match(answer.media_id, MEDIA_ID);
      assert.deepEqual(answer, {
        media_id: answer.media_id, status: "optimizing", uploaded_via_api: true,
        file_size_bytes: source.size_bytes, name: extra.name ?? sample,
      });
      const states = await untilSettled(answer.media_id);
      const ready = states.at(-1);
      assert.equal(ready.status, "ready");
      assert.equal(states.length - 1, 3 + Math.floor(source.size_bytes / MB));
      for (const s of states.slice(0, -1)) assert.equal(s.url, null, "url is null until ready");
      assert.equal(ready.content_type, contentType);
      assert.equal(ready.file_size_bytes, source.size_bytes);
      assert.equal(ready.organization_id, keys.elevated.organization_id);
      assert.ok(parseTs(ready.optimized_at) > parseTs(ready.created_at));
      const served = await fetchBytes(sandbox, ready.url);
      const original = await fetchBytes(sandbox, source.url);
      assert.equal(served.status, 200);
      assert.ok(served.bytes.equals(original.bytes), "the ready url serves the imported bytes");
    });
  }

  it("brand_id with usage email_asset is 400 VALIDATION_ERROR", async () => {
    const brand = [...brands.values()][0];
    const err = await expectError(api.importMedia({ source_url: files["logo.png"].url, brand_id: brand.id, usage: "email_asset" }),
      400, "VALIDATION_ERROR");
    assert.ok(err.body.details.some((d) => d.field === "brand_id"), JSON.stringify(err.body));
  });

  it("a brand of another organization is 400 BRAND_ORG_MISMATCH; a brand or org outside the tree 404 / 403", async () => {
    const brand = [...brands.values()][0];
    const otherOrg = [...orgs.keys()].find((o) => o !== brand.org_id);
    await expectError(api.importMedia({ source_url: files["rally.jpg"].url, brand_id: brand.id, organization_id: otherOrg }),
      400, "BRAND_ORG_MISMATCH");
    const child = client("child");
    const childOrgs = new Set(data(await child.listOrganizations()).map((o) => o.id));
    const foreign = [...brands.values()].find((b) => !childOrgs.has(b.org_id));
    await expectError(child.importMedia({ source_url: files["rally.jpg"].url, brand_id: foreign.id }), 404, /NOT_FOUND$/);
    await expectError(child.importMedia({ source_url: files["rally.jpg"].url, organization_id: keys.root.organization_id }),
      403, "ORG_ACCESS_DENIED");
    await expectError(client("read_only").importMedia({ source_url: files["rally.jpg"].url }), 403, "PERMISSION_DENIED");
  });

  it("file: and metadata-address sources are 400 VALIDATION_ERROR", async () => {
    for (const url of ["file:///etc/hosts", "http://169.254.169.254/latest/meta-data/logo.png"]) {
      const err = await expectError(api.importMedia({ source_url: url }), 400, "VALIDATION_ERROR");
      assert.ok(err.body.details.some((d) => d.field === "source_url"), url);
    }
  });

  it("MMS over 5 MB, wrong extension, unsupported type and a 404 source end failed with a reason", async () => {
    const rally = (await fetchBytes(sandbox, files["rally.jpg"].url)).bytes;
    const sources = {
      "mms-over-5mb": files["oversized.jpg"].url,
      "extension-not-the-bytes": (await putFile(sandbox, validator, "sdk-node-rally.png", rally)).url,
      "unsupported-type": (await putFile(sandbox, validator, "sdk-node-notes.txt", Buffer.from("not media\n"))).url,
      "http-404": `${sandbox.origin}/_sandbox/files/sdk-node-missing.jpg`,
    };
    for (const [label, url] of Object.entries(sources)) {
      const answer = data(await api.importMedia({ source_url: url }));
      assert.equal(answer.status, "optimizing", label);
      const failed = (await untilSettled(answer.media_id)).at(-1);
      assert.equal(failed.status, "failed", `${label}: ${JSON.stringify(failed)}`);
      assert.ok(typeof failed.failure_reason === "string" && failed.failure_reason.length > 10, label);
      assert.equal(failed.url, null, label);
    }
  });
});

describe("delete and idempotent retries", () => {
  it("deleteMedia answers {media_id, name, deleted}; the file is gone", async () => {
    const answer = data(await api.importMedia({ source_url: files["logo.png"].url, name: "SDK delete (node)" }));
    await untilSettled(answer.media_id);
    assert.deepEqual(data(await api.deleteMedia(answer.media_id)), { media_id: answer.media_id, name: "SDK delete (node)", deleted: true });
    await expectError(api.getMedia(answer.media_id), 404, /NOT_FOUND$/);
    assert.ok(!data(await api.listMedia()).some((m) => m.id === answer.media_id));
    await expectError(api.deleteMedia(answer.media_id), 404, /NOT_FOUND$/);
  });

  it("a file a project attaches is 409 MEDIA_IN_USE with details.projects [{id, name, status}]", async () => {
    const s = await findSendable(api);
    const answer = data(await api.importMedia({
      source_url: files["rally.jpg"].url, organization_id: s.org_id, brand_id: s.brand_id, name: "SDK in use (node)",
    }));
    const ready = (await untilSettled(answer.media_id)).at(-1);
    assert.equal(ready.status, "ready");
    const project = data(await api.createProject(s.body("SDK media user (node)", { protocol: "mms", media_ids: [answer.media_id] })));
    const d = data(await api.getProject(project.id));
    assert.deepEqual([d.protocol, d.media_ids, d.media_urls], ["mms", [], [ready.url]]);
    const e = await expectError(api.deleteMedia(answer.media_id), 409, "MEDIA_IN_USE");
    assert.deepEqual(e.body.details.projects, [{ id: project.id, name: "SDK media user (node)", status: "awaiting_test" }]);
    assert.equal(data(await api.getMedia(answer.media_id)).status, "ready", "a refused delete removed the file");
  });

  it("an importMedia retried with the same idempotencyKey creates one file", async () => {
    const before = data(await api.listMedia()).length;
    const body = { source_url: files["rally.jpg"].url, name: "SDK retried (node)" };
    const first = data(await api.importMedia(body, { idempotencyKey: "sdk-node-media-retry" }));
    const original = validator.last("POST", "/media");
    const second = data(await api.importMedia(body, { idempotencyKey: "sdk-node-media-retry" }));
    const replay = validator.last("POST", "/media");
    assert.deepEqual(second, first);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(replay.text, original.text);
    assert.equal(data(await api.listMedia()).length, before + 1);
    await expectError(api.importMedia({ ...body, name: "renamed" }, { idempotencyKey: "sdk-node-media-retry" }), 422, "IDEMPOTENCY_KEY_REUSED");
  });
});
