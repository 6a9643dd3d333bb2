// The validator itself, offline: it must reject what the contract forbids, or the suite proves nothing.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContractValidator, makeClient, PoliticalCommsError } from "./support.mjs";

const v = new ContractValidator();
const HEADERS = {
  "content-type": "application/json",
  "x-request-id": "req_1",
  "x-ratelimit-limit": "100",
  "x-ratelimit-remaining": "99",
  "x-ratelimit-reset": "1793732400",
};
const ORG = {
  id: "org_01JC0000000000000000000000",
  display_name: "Agency",
  parent_org_name: null,
  status: "active",
  created_at: "2026-05-07T18:00:00.000Z",
};
const problems = (method, path, status, body, headers = {}) =>
  v.problems(method, path, status, new Headers({ ...HEADERS, ...headers }), typeof body === "string" ? body : JSON.stringify(body));
const without = (obj, key) => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

describe("ContractValidator", () => {
  it("passes a conforming list and tolerates extra fields", () => {
    assert.deepEqual(problems("GET", "/v1/organizations", 200, { success: true, data: [ORG] }), []);
    assert.deepEqual(problems("GET", "/v1/organizations", 200, { success: true, data: [{ ...ORG, tier: 2 }] }), []);
  });

  it("fails a missing documented field, a wrong type, a null where none is allowed", () => {
    assert.ok(problems("GET", "/v1/organizations", 200, { success: true, data: [without(ORG, "parent_org_name")] }).some((p) => p.includes("parent_org_name")));
    assert.ok(problems("GET", "/v1/organizations", 200, { success: true, data: [{ ...ORG, status: 1 }] }).length);
    assert.ok(problems("GET", "/v1/organizations", 200, { success: true, data: [{ ...ORG, id: null }] }).length);
  });

  it("discriminates tracking domains on source", () => {
    const inherited = { id: "td_01JC0000000000000000000000", domain: "links.example.org", source: "inherited" };
    const own = { ...inherited, source: "own", status: "active", created_at: ORG.created_at, verified_at: null };
    assert.deepEqual(problems("GET", "/v1/tracking-domains", 200, { success: true, data: [inherited, own] }), []);
    assert.ok(problems("GET", "/v1/tracking-domains", 200, { success: true, data: [without(own, "verified_at")] }).length);
  });

  it("matches literal routes before templates", () => {
    assert.equal(v.routeFor("GET", "/projects/stats").path, "/projects/stats");
    assert.equal(v.routeFor("GET", "/projects/proj_1").path, "/projects/{id}");
    assert.equal(v.routeFor("GET", "/toll-free-verifications/tfv_1").path, "/toll-free-verifications/{id}");
  });

  it("checks the error envelope, its statusCode and 429's Retry-After", () => {
    const good = { success: false, error: "Invalid API key.", code: "INVALID_API_KEY", statusCode: 401 };
    assert.deepEqual(problems("GET", "/v1/brands", 401, good), []);
    assert.ok(problems("GET", "/v1/brands", 403, good).length);
    assert.ok(problems("GET", "/v1/brands", 401, without(good, "code")).length);
    assert.ok(problems("GET", "/v1/brands", 401, "<html></html>", { "content-type": "text/html" }).length);
    const limited = { success: false, error: "Slow down.", code: "RATE_LIMIT_EXCEEDED", statusCode: 429, retryAfter: 60 };
    assert.deepEqual(problems("GET", "/v1/brands", 429, limited, { "retry-after": "60" }), []);
    assert.ok(problems("GET", "/v1/brands", 429, limited).length);
  });

  it("requires X-Request-ID and the rate-limit headers", () => {
    const ok = { success: true, data: [ORG] };
    assert.ok(problems("GET", "/v1/organizations", 200, ok, { "x-request-id": "" }).length);
    assert.ok(problems("GET", "/v1/organizations", 200, ok, { "x-ratelimit-limit": "" }).length);
  });

  it("analyze: 202 matches the d.ts, 200 only the documented 'complete' with cost 0", () => {
    const path = "/v1/contact-lists/cl_1/analyze";
    const queued = { list_id: "cl_1", analysis: { status: "processing", numbers_queued: 23, estimated_completion_seconds: 1 }, cost_cents: 6.9 };
    const complete = { list_id: "cl_1", analysis: { status: "complete" }, cost_cents: 0 };
    assert.deepEqual(problems("POST", path, 202, { success: true, data: queued }), []);
    assert.deepEqual(problems("POST", path, 200, { success: true, data: complete }), []);
    assert.ok(problems("POST", path, 202, { success: true, data: complete }).length);
    assert.ok(problems("POST", path, 200, { success: true, data: queued }).length);
    assert.ok(problems("POST", path, 200, { success: true, data: { ...complete, cost_cents: 5 } }).length);
  });

  it("the CSV download is checked by content type; its errors stay JSON", () => {
    const path = "/v1/contact-lists/cl_1/download";
    assert.deepEqual(problems("GET", path, 200, "phone_number\n+15005550000\n", { "content-type": "text/csv; charset=utf-8" }), []);
    assert.ok(problems("GET", path, 200, { success: true, data: "x" }).length);
    const conflict = { success: false, error: "Not yet.", code: "ANALYSIS_NOT_COMPLETE", statusCode: 409 };
    assert.deepEqual(problems("GET", path, 409, conflict), []);
  });

  it("the SDK's fetch surfaces violations, and passes conforming errors through", async () => {
    const bad = async () => new Response(JSON.stringify({ success: true, data: [without(ORG, "status")] }), { status: 200, headers: HEADERS });
    const c1 = makeClient(null, v, "pc_test_AAAAAAAAAAAAAAAAAAAAAAAA", bad);
    await assert.rejects(c1.listOrganizations(), (e) => e instanceof PoliticalCommsError && /breaks the contract/.test(e.message));
    assert.throws(() => v.assertNoViolations(), /status/);

    const denied = async () =>
      new Response(JSON.stringify({ success: false, error: "Invalid API key.", code: "INVALID_API_KEY", statusCode: 401 }), { status: 401, headers: HEADERS });
    const c2 = makeClient(null, v, "pc_test_AAAAAAAAAAAAAAAAAAAAAAAA", denied);
    await assert.rejects(c2.listOrganizations(), (e) => e.code === "INVALID_API_KEY" && e.statusCode === 401);
    v.assertNoViolations();
  });
});
