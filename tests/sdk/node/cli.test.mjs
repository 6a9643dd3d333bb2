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
// POLITICAL_COMMS_API_KEY), and `hierarchy`, whose output shows a known CLI limitation.

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
  assert.deepEqual(run.requests, paths.map((p) => ({ method: "GET", from: PRODUCTION + p, to: sandbox.baseUrl + p })));
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

/** What the CLI's str() prints for a value: "" for null/undefined. */
const str = (value) => (value === null || value === undefined ? "" : String(value));

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
