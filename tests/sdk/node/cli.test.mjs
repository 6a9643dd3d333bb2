// The official CLI, @political-comms/cli 0.11.0 (bin `political-comms`, on the suite's pinned
// @political-comms/sdk 0.11.1), run as a child process against a fresh sandbox.
//
// The CLI gives the SDK no base URL, so it talks to https://api.politicalcomms.com/v1; the
// preload ./cli-sandbox.mjs (`node --import`) rewrites that prefix to this sandbox's /v1 and
// refuses every other non-loopback URL, so the CLI never reaches the network. The SDK's own
// view of the same data (the validating client of support.mjs) is the reference each printed
// table is compared with.
//
// Covered: `contact-lists list` (table: ID, NAME = list_name, CONTACTS = contact_count, STATUS =
// status, with the key from --api-key), `contact-lists list --json` (key from
// POLITICAL_COMMS_API_KEY), `hierarchy`, whose output shows a known CLI limitation, and the
// project commands: `projects create` (prints the created `data.id`), `projects list` (table: ID,
// NAME, CAMPAIGN, ORG), `projects get <id>` (key/value lines), `projects test <id> --phone ...`
// (prints `tests_sent`), `projects schedule <id> --send-at --timezone [--daily-cap-bypass]`,
// `projects unschedule <id>` and `projects copy <id>`.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ContractValidator, startSandbox, seededKeys, makeClient, hostedFiles, poll, idPattern,
} from "./support.mjs";
import { PROJECT_ID, MESSAGE, findSendable } from "./projectkit.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD = pathToFileURL(path.join(HERE, "cli-sandbox.mjs")).href;
const require = createRequire(import.meta.url);
const CLI_PACKAGE = require.resolve("@political-comms/cli/package.json");
const CLI_MANIFEST = JSON.parse(readFileSync(CLI_PACKAGE, "utf8"));
const CLI_BIN = path.join(path.dirname(CLI_PACKAGE), CLI_MANIFEST.bin["political-comms"]);

const ROOT_KEY = "pc_test_SandboxRootKey0000000000";
const PRODUCTION = "https://api.politicalcomms.com/v1";
const HEADER = ["ID", "NAME", "CONTACTS", "STATUS"];
const STATUSES = ["ready", "failed", "processing"];
const LIST_ID = idPattern("cl");

const validator = new ContractValidator();
let sandbox;
let api;
let files;
let logDir;

const data = (response) => {
  assert.equal(response.success, true);
  return response.data;
};

/**
 * `node --import cli-sandbox.mjs <cli bin> ...args` against the sandbox. `apiKey` goes in
 * POLITICAL_COMMS_API_KEY (the CLI's default); none is inherited from this process. Returns
 * the exit code, stdout, stderr and the requests the preload saw ({method, from, to}).
 */
function runCli(args, { apiKey, env: extra = {}, script } = {}) {
  const log = path.join(logDir, `requests-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  const env = { ...process.env, PC_SANDBOX_API_URL: sandbox.baseUrl, PC_CLI_SANDBOX_LOG: log, ...extra };
  for (const name of ["POLITICAL_COMMS_API_KEY", "NODE_OPTIONS", "NODE_TEST_CONTEXT"]) delete env[name];
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  if (apiKey !== undefined) env.POLITICAL_COMMS_API_KEY = apiKey;
  const argv = ["--import", PRELOAD, ...(script === undefined ? [CLI_BIN] : ["--input-type=module", "-e", script]), ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { env, cwd: HERE, timeout: 30_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new Error(`political-comms ${args.join(" ")}: ${error.message}\nstderr:\n${stderr}`));
        return;
      }
      const requests = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
      resolve({ code: error ? error.code : 0, stdout, stderr, requests });
    });
  });
}

/** Fail with everything the CLI said unless it exited 0 with nothing on stderr. */
function assertOk(run, what) {
  assert.equal(run.code, 0, `${what} exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.equal(run.stderr, "", `${what} wrote to stderr`);
}

/** The CLI's requests: exactly these production paths, each rewritten to this sandbox. */
function assertRequests(run, ...paths) {
  assertCalls(run, ...paths.map((p) => ["GET", p]));
}

/** The CLI's requests: exactly these [method, production path] pairs, each rewritten to this sandbox. */
function assertCalls(run, ...calls) {
  assert.deepEqual(run.requests, calls.map(([method, p]) => ({ method, from: PRODUCTION + p, to: sandbox.baseUrl + p })));
}

/**
 * The CLI's `table()`: a header line, then one line per row; each column padded to its widest
 * cell, columns joined by two spaces, the line's trailing blanks trimmed, null printed as "".
 * Cells are cut at the header words' offsets, and each line must be exactly what `table()`
 * would print for the cells read, so a misaligned or overflowing cell fails instead of
 * shifting into its neighbour.
 */
function parseTable(stdout) {
  const lines = stdout.replace(/\n$/, "").split("\n");
  const [header, ...body] = lines;
  const words = [...header.matchAll(/\S+/g)];
  const names = words.map((m) => m[0]);
  const starts = words.map((m) => m.index);
  const widths = starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] - s - 2 : 0));
  const rows = body.map((line) => {
    const cells = starts.map((s, i) => line.slice(s, starts[i + 1]).trim());
    const printed = cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    assert.equal(line, printed, `a row the table layout does not explain:\n${stdout}`);
    return Object.fromEntries(names.map((n, i) => [n, cells[i]]));
  });
  return { header: names, rows };
}

/** What the CLI's str() prints for a value: "" for null/undefined, JSON for objects and arrays. */
const str = (value) => {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
};

/** The CLI's kv(): one `key  value` line per field, keys padded to the longest. */
function kv(obj) {
  const entries = Object.entries(obj);
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${str(value)}`).join("\n");
}

/**
 * The table of `contact-lists list` against the API's answer for the same key, row by row in
 * the API's order; returns the parsed rows by id.
 */
async function checkListTable(run) {
  assertOk(run, "contact-lists list");
  assertRequests(run, "/contact-lists");
  const answer = data(await api.listContactLists());
  const table = parseTable(run.stdout);
  assert.deepEqual(table.header, HEADER);
  assert.equal(table.rows.length, answer.length, `one row per list:\n${run.stdout}`);
  assert.deepEqual(table.rows.map((r) => r.ID), answer.map((l) => l.id));
  for (const [i, row] of table.rows.entries()) {
    const list = answer[i];
    const where = `${row.ID} ${JSON.stringify(row)}`;
    assert.match(row.ID, LIST_ID, where);
    assert.ok(row.NAME.length > 0, `empty NAME: ${where}`);
    assert.equal(list.list_name, list.name, `list_name is the list's name: ${where}`);
    assert.equal(row.NAME, list.list_name, where);
    assert.ok(STATUSES.includes(row.STATUS), `STATUS: ${where}`);
    assert.equal(row.STATUS, list.status, where);
    if (row.STATUS === "ready") {
      assert.match(row.CONTACTS, /^\d+$/, `CONTACTS of a ready list: ${where}`);
      // contact_count is the list's clean contacts once the import is ready.
      const detail = data(await api.getContactList(row.ID));
      assert.equal(detail.import.status, "ready", where);
      assert.equal(Number(row.CONTACTS), detail.import.clean_contacts, where);
    } else {
      // contact_count is null until ready; the CLI's str(null) prints an empty cell.
      assert.equal(list.contact_count, null, where);
      assert.equal(row.CONTACTS, "", where);
    }
    assert.equal(row.CONTACTS, str(list.contact_count), where);
  }
  return new Map(table.rows.map((r) => [r.ID, r]));
}

before(async () => {
  assert.equal(CLI_MANIFEST.version, "0.11.0", "tests/sdk/package.json pins @political-comms/cli 0.11.0");
  // One copy of the SDK: the CLI's import resolves to the very package this suite pins.
  const sdkDir = (from) => path.resolve(path.dirname(createRequire(from).resolve("@political-comms/sdk")), "..");
  assert.equal(sdkDir(CLI_PACKAGE), sdkDir(import.meta.url), "the CLI resolves its own copy of the SDK");
  const sdk = JSON.parse(readFileSync(path.join(sdkDir(CLI_PACKAGE), "package.json"), "utf8"));
  assert.deepEqual([sdk.name, sdk.version], ["@political-comms/sdk", "0.11.1"], "the CLI runs on the suite's pinned SDK");
  logDir = mkdtempSync(path.join(os.tmpdir(), "pc-cli-"));
  sandbox = await startSandbox();
  const keys = await seededKeys(sandbox, validator);
  assert.equal(keys.root.key, ROOT_KEY, "the seeded root key");
  api = makeClient(sandbox, validator, ROOT_KEY);
  files = await hostedFiles(sandbox, validator);
});

after(async () => {
  await sandbox?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

afterEach(() => validator.assertNoViolations());

describe("cli-sandbox.mjs preload", () => {
  it("refuses non-loopback URLs other than the production API, and a missing or remote sandbox URL", async () => {
    const probe = `
      for (const url of ["https://example.invalid/v1/contact-lists", "https://api.politicalcomms.com/v10/x", "http://10.0.0.1/v1"]) {
        try { await fetch(url); console.log("reached " + url); } catch (e) { console.log("refused " + url + ": " + e.message); }
      }`;
    const run = await runCli([], { script: probe });
    assertOk(run, "the probe");
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 3, run.stdout);
    for (const line of lines) assert.match(line, /^refused \S+: cli-sandbox\.mjs: refusing /);
    assert.deepEqual(run.requests, []);

    for (const url of [undefined, "https://api.politicalcomms.com/v1", "http://192.0.2.1:8080/v1"]) {
      const bad = await runCli(["contact-lists", "list"], { apiKey: ROOT_KEY, env: { PC_SANDBOX_API_URL: url } });
      assert.notEqual(bad.code, 0, `PC_SANDBOX_API_URL=${url}: ${bad.stdout}`);
      assert.match(bad.stderr, /cli-sandbox\.mjs: .*PC_SANDBOX_API_URL/, `PC_SANDBOX_API_URL=${url}`);
      assert.equal(bad.stdout, "");
      assert.deepEqual(bad.requests, []);
    }
  });
});

describe("political-comms contact-lists list", () => {
  it("prints one row per list with ID, NAME, CONTACTS and STATUS filled", async () => {
    const run = await runCli(["contact-lists", "list", "--api-key", ROOT_KEY]);
    const rows = await checkListTable(run);
    const statuses = [...rows.values()].map((r) => r.STATUS);
    // The seeded world has both kinds, so both cell rules above ran.
    assert.ok(statuses.includes("ready"), run.stdout);
    assert.ok(statuses.includes("failed"), run.stdout);
  });

  it("shows an import processing with an empty CONTACTS, then ready with its clean contacts", async () => {
    const name = "CLI processing (node)";
    const { list_id: id } = data(await api.importContactList({
      source_url: files["contacts-clean.csv"].url, list_name: name, phone_column: "phone",
    }));
    const processing = (await checkListTable(await runCli(["contact-lists", "list"], { apiKey: ROOT_KEY }))).get(id);
    assert.deepEqual(processing, { ID: id, NAME: name, CONTACTS: "", STATUS: "processing" });

    const ready = (await poll(sandbox, validator, async () => data(await api.getContactList(id)),
      (d) => ["ready", "failed"].includes(d.import.status))).at(-1);
    assert.equal(ready.import.status, "ready");
    const row = (await checkListTable(await runCli(["contact-lists", "list"], { apiKey: ROOT_KEY }))).get(id);
    assert.deepEqual(row, { ID: id, NAME: name, CONTACTS: String(ready.import.clean_contacts), STATUS: "ready" });
  });

  it("--json prints the API's answer unchanged", async () => {
    const run = await runCli(["contact-lists", "list", "--json"], { apiKey: ROOT_KEY });
    assertOk(run, "contact-lists list --json");
    assertRequests(run, "/contact-lists");
    const printed = JSON.parse(run.stdout);
    const answer = await api.listContactLists();
    assert.deepEqual(printed, answer);
    assert.ok(printed.data.length > 0);
    for (const list of printed.data) {
      for (const field of ["status", "contact_count", "list_name"]) assert.ok(field in list, `${list.id} lacks ${field}`);
    }
  });
});

describe("political-comms hierarchy", () => {
  it("KNOWN CLI LIMITATION: prints only the root org's id (and its brands' ids), no names, no child orgs", async () => {
    // Not a sandbox bug: the CLI's printHierarchy() reads `display_name`, `brands[].brand_name`
    // and `children`, while GET /hierarchy answers the SDK's own typed HierarchyNode, camelCase
    // with `name`, `brands[].name` and `childOrganizations` (its d.ts: "Note: camelCase field
    // names"). So the CLI falls back to ids and never descends. This case pins what it really
    // prints; when a CLI release reads the typed shape, it fails and should be rewritten to
    // expect names and the whole tree.
    const run = await runCli(["hierarchy"], { apiKey: ROOT_KEY });
    assertOk(run, "hierarchy");
    assertRequests(run, "/hierarchy");
    const tree = data(await api.getHierarchy());
    const brands = tree.brands ?? [];
    // The data the CLI could have shown is there, in the typed shape.
    assert.equal(typeof tree.name, "string");
    assert.ok(tree.name.length > 0);
    assert.ok(tree.childOrganizations.length > 0, "the root org has child orgs");
    assert.ok(!("display_name" in tree) && !("children" in tree), "the hierarchy uses the SDK's camelCase shape");

    const lines = run.stdout.replace(/\n$/, "").split("\n");
    assert.deepEqual(lines, [`- ${tree.id}`, ...brands.map((b) => `  * brand: ${b.id}`)]);
    const names = [tree.name, ...brands.map((b) => b.name)];
    const descendants = [];
    for (const todo = [...tree.childOrganizations]; todo.length;) {
      const node = todo.pop();
      descendants.push(node);
      todo.push(...(node.childOrganizations ?? []));
    }
    for (const node of descendants) names.push(node.name, ...(node.brands ?? []).map((b) => b.name));
    for (const text of [...names, ...descendants.map((n) => n.id)]) {
      assert.ok(!run.stdout.includes(text), `the CLI printed ${JSON.stringify(text)}:\n${run.stdout}`);
    }
  });
});

describe("political-comms projects", () => {
  let sendable;
  let projectId;
  const name = "CLI project (node)";

  before(async () => {
    sendable = await findSendable(api, { numbers: 1 });
  });

  it("projects create prints the created project's id (data.id) and status", async () => {
    const s = sendable;
    const run = await runCli([
      "projects", "create", "--name", name, "--organization-id", s.org_id, "--protocol", "sms",
      "--phone-number-id", s.numbers[0], "--contact-list-id", s.list_id, "--body", MESSAGE,
      "--campaign-id", s.campaign_id, "--brand-id", s.brand_id,
    ], { apiKey: ROOT_KEY });
    assertOk(run, "projects create");
    assertCalls(run, ["POST", "/projects"]);
    const m = /^Created project (\S+) \(status: (\S+)\)\n$/.exec(run.stdout);
    assert.ok(m, `unexpected output: ${JSON.stringify(run.stdout)}`);
    [, projectId] = m;
    assert.match(projectId, PROJECT_ID, "the CLI printed no id: the create answer lacks `id`");
    assert.equal(m[2], "awaiting_test");
    const d = data(await api.getProject(projectId));
    assert.deepEqual(
      [d.name, d.organization_id, d.campaign_id, d.brand_id, d.phone_number_ids, d.contact_list_ids, d.message_text, d.status],
      [name, s.org_id, s.campaign_id, s.brand_id, [s.numbers[0]], [s.list_id], MESSAGE, "awaiting_test"],
    );
  });

  it("projects list prints one row per project: ID, NAME, CAMPAIGN, ORG", async () => {
    const run = await runCli(["projects", "list"], { apiKey: ROOT_KEY });
    assertOk(run, "projects list");
    assertRequests(run, "/projects");
    const answer = data(await api.listProjects());
    const table = parseTable(run.stdout);
    assert.deepEqual(table.header, ["ID", "NAME", "CAMPAIGN", "ORG"]);
    assert.deepEqual(table.rows, answer.map((p) => ({ ID: p.id, NAME: p.name, CAMPAIGN: str(p.campaign_name), ORG: p.org_name })));
    assert.ok(table.rows.some((r) => r.ID === projectId && r.NAME === name), run.stdout);
    for (const row of table.rows) {
      assert.match(row.ID, PROJECT_ID);
      assert.ok(row.NAME && row.ORG, JSON.stringify(row));
    }
  });

  it("projects get <id> prints every field of the project as key/value lines", async () => {
    const run = await runCli(["projects", "get", projectId], { apiKey: ROOT_KEY });
    assertOk(run, "projects get");
    assertRequests(run, `/projects/${projectId}`);
    const detail = data(await api.getProject(projectId));
    assert.equal(run.stdout, kv(detail) + "\n");
    assert.match(run.stdout, new RegExp(`^project_id +${projectId}$`, "m"));
    assert.match(run.stdout, new RegExp(`^id +${projectId}$`, "m"));
  });

  it("projects test <id> --phone ... prints the tests_sent count", async () => {
    const before = data(await api.getProjectStats(projectId)).test;
    const run = await runCli(["projects", "test", projectId, "--phone", "+15005550000", "--phone", "+15555550100"], { apiKey: ROOT_KEY });
    assertOk(run, "projects test");
    assertCalls(run, ["POST", `/projects/${projectId}/test`]);
    assert.equal(run.stdout, `Queued 2 test message(s) for project ${projectId}.\n`);
    const json = await runCli(["projects", "test", projectId, "--phone", "+16145550123", "--json"], { apiKey: ROOT_KEY });
    assertOk(json, "projects test --json");
    const printed = JSON.parse(json.stdout);
    assert.equal(printed.success, true);
    assert.deepEqual([printed.data.project_id, printed.data.status, printed.data.tests_sent], [projectId, "awaiting_test", 1]);
    assert.deepEqual(printed.data.test_messages.map((t) => t.sent_to), ["+1614****123"]);
    const after = data(await api.getProjectStats(projectId)).test;
    const total = (t) => t.sent + t.delivered + t.failed;
    assert.equal(total(after) - total(before), 3, "three test messages counted in the project's test stats");
  });

  it("projects schedule <id> --send-at --timezone [--daily-cap-bypass], then unschedule", async () => {
    let run = await runCli(["projects", "schedule", projectId, "--send-at", "2026-11-20T10:00:00-05:00", "--timezone", "America/New_York"], { apiKey: ROOT_KEY });
    assertOk(run, "projects schedule");
    assertCalls(run, ["POST", `/projects/${projectId}/schedule`]);
    assert.equal(run.stdout, `Scheduled project ${projectId} for 2026-11-20T15:00:00.000Z (America/New_York).\n`);
    let d = data(await api.getProject(projectId));
    assert.deepEqual([d.status, d.scheduled_at, d.scheduled_timezone, d.daily_cap_bypass], ["scheduled", "2026-11-20T15:00:00.000Z", "America/New_York", false]);

    run = await runCli(["projects", "schedule", projectId, "--send-at", "2026-11-21T09:00:00-06:00", "--timezone", "America/Chicago", "--daily-cap-bypass"], { apiKey: ROOT_KEY });
    assertOk(run, "projects schedule --daily-cap-bypass");
    assert.match(run.stdout, new RegExp(`^Scheduled project ${projectId} for 2026-11-21T15:00:00.000Z \\(America/Chicago\\)\\. Sending will not pause at the brand daily carrier limit`));
    assert.equal(data(await api.getProject(projectId)).daily_cap_bypass, true);

    // Without an offset: the API's 400 reaches the user as the CLI's error line, exit 1.
    run = await runCli(["projects", "schedule", projectId, "--send-at", "2026-11-20T10:00:00", "--timezone", "America/New_York"], { apiKey: ROOT_KEY });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /^Error VALIDATION_ERROR \(HTTP 400\): /);
    assert.equal(data(await api.getProject(projectId)).scheduled_at, "2026-11-21T15:00:00.000Z", "a refused schedule changed it");

    run = await runCli(["projects", "unschedule", projectId], { apiKey: ROOT_KEY });
    assertOk(run, "projects unschedule");
    assertCalls(run, ["POST", `/projects/${projectId}/unschedule`]);
    assert.equal(run.stdout, `Unscheduled project ${projectId} (status: awaiting_test).\n`);
    d = data(await api.getProject(projectId));
    assert.deepEqual([d.status, d.scheduled_at], ["awaiting_test", null]);
  });

  it("projects copy <id> prints the copy's id, versioned name and draft status", async () => {
    const run = await runCli(["projects", "copy", projectId], { apiKey: ROOT_KEY });
    assertOk(run, "projects copy");
    assertCalls(run, ["POST", `/projects/${projectId}/copy`]);
    const m = new RegExp(`^Copied project ${projectId} to (\\S+) \\(name: (.+), status: draft\\)\\.\\n$`).exec(run.stdout);
    assert.ok(m, run.stdout);
    assert.match(m[1], PROJECT_ID);
    assert.equal(m[2], `${name}_v2`);
    assert.equal(data(await api.getProject(m[1])).name, `${name}_v2`);
  });
});
