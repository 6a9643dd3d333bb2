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
// `projects unschedule <id>` and `projects copy <id>`; and, against the threads of a simulated
// send on a sandbox of their own (sendkit.mjs: the child org's project over contacts-mixed.csv,
// a test send 0006 answers, the broadcast scheduled now, the manual clock moved 3 hours), the
// conversation commands: `conversations list --project` (table: ID, STATUS, FROM, TO, LAST
// INBOUND; the 0005 thread `opted_out`, 0006 `active`; `include_test=false` always sent),
// `--include-test` (adds the test thread, which no column marks), `--json` (the API's answer
// unchanged), `--limit`/`--cursor` (the cursor only in the JSON), `--since` (`(no results)`),
// `conversations get <id>` (key/value lines; unknown id: the 404 as the CLI's error, exit 1),
// `conversations messages <id> [--limit --cursor]` (table: ID, DIRECTION, STATUS, TEXT newest
// first; the broadcast text's newline is printed raw, so `STOP=END` stands alone on the next
// line) and `conversations reply <id> --text` (prints the reply's id, which the SDK then sees
// in the thread, delivered a minute later; 0005's 409 CONTACT_OPTED_OUT as the CLI's error,
// exit 1; no or empty --text a usage error, exit 2, nothing sent). And `stats messages` and
// `usage` (--from, --to, --organization-id; stats also --brand-id, --campaign-id; --json), whose
// output shows a known CLI limitation: it reads the docs pages' example shape, not the SDK's
// MessageStats / LedgerUsage the sandbox answers in, so `stats messages` prints the totals as JSON
// buckets and "Daily rows: 0", and `usage` an empty "Totals:"; without --from/--to the range is
// the host's last 30 days, not the sandbox clock's.

import { before, after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ContractValidator, CLOCK_START, startSandbox, seededKeys, makeClient, hostedFiles, poll, idPattern, expectError, parseTs,
} from "./support.mjs";
import { PROJECT_ID, MESSAGE, findSendable } from "./projectkit.mjs";
import {
  CONVERSATION_ID, HOUR, MESSAGE_ID, MINUTE, SAYS_YES, STOPS, TIMEZONE, UNKNOWN_CONVERSATION, YES_TEXT,
  fresh, messagesOf, projectOverMixed, threadWith,
} from "./sendkit.mjs";

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
const THREAD_HEADER = ["ID", "STATUS", "FROM", "TO", "LAST INBOUND"];
const MESSAGE_HEADER = ["ID", "DIRECTION", "STATUS", "TEXT"];
// A row of `conversations messages` starts with a message id (broadcast and reply `msg_`, test `tmsg_`).
const MESSAGE_ROW = /^t?msg_[0-9A-Z]{26} /;
const ERROR_HINT = "Hint: error codes are documented at https://politicalcomms.com/errors.md";

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
 * `node --import cli-sandbox.mjs <cli bin> ...args` against the file's sandbox, or the one in
 * `on` (a send's own, from sendkit.fresh). `apiKey` goes in POLITICAL_COMMS_API_KEY (the CLI's
 * default); none is inherited from this process. Returns the exit code, stdout, stderr, the
 * requests the preload saw ({method, from, to}) and the sandbox's base URL they went to.
 */
function runCli(args, { apiKey, env: extra = {}, script, on = sandbox } = {}) {
  const log = path.join(logDir, `requests-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  const env = { ...process.env, PC_SANDBOX_API_URL: on.baseUrl, PC_CLI_SANDBOX_LOG: log, ...extra };
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
      resolve({ code: error ? error.code : 0, stdout, stderr, requests, base: on.baseUrl });
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

/** The CLI's requests: exactly these [method, production path] pairs, each rewritten to the run's sandbox. */
function assertCalls(run, ...calls) {
  assert.deepEqual(run.requests, calls.map(([method, p]) => ({ method, from: PRODUCTION + p, to: run.base + p })));
}

/**
 * The CLI's `table()`: a header line, then one line per row; each column padded to its widest
 * cell, columns joined by two spaces, the line's trailing blanks trimmed, null printed as "".
 * Cells are cut at the header words' offsets (or, with `header`, at these names' offsets, for
 * a header with a blank inside such as `LAST INBOUND`), and the header and each line must be
 * exactly what `table()` would print for the cells read, so a misaligned or overflowing cell
 * fails instead of shifting into its neighbour.
 *
 * `table()` prints a cell as it is, newlines included: the rest of such a cell starts in
 * column 0 of the next line. With `rowStart`, a line it does not match continues the line
 * before (joined back with "\n"); only a last column can break this way and still parse.
 */
function parseTable(stdout, { header: expected, rowStart } = {}) {
  const lines = stdout.replace(/\n$/, "").split("\n");
  const [header, ...physical] = lines;
  let names;
  let starts;
  if (expected) {
    names = expected;
    starts = [];
    for (const name of names) {
      const at = header.indexOf(name, starts.length ? starts.at(-1) + names[starts.length - 1].length : 0);
      assert.ok(at >= 0, `no ${name} in the header:\n${stdout}`);
      starts.push(at);
    }
  } else {
    const words = [...header.matchAll(/\S+/g)];
    names = words.map((m) => m[0]);
    starts = words.map((m) => m.index);
  }
  const widths = starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] - s - 2 : 0));
  assert.equal(header, names.map((n, i) => n.padEnd(widths[i])).join("  ").trimEnd(), `a header the table layout does not explain:\n${stdout}`);
  const body = [];
  for (const line of physical) {
    if (rowStart && body.length && !rowStart.test(line)) body[body.length - 1] += `\n${line}`;
    else body.push(line);
  }
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

/** What the CLI writes to stderr for an API error (the SDK's PoliticalCommsError `e`), exiting 1. */
const apiError = (e) => `Error ${e.code} (HTTP ${e.statusCode}): ${e.message}\n${ERROR_HINT}\n`;

/** The production path of GET /conversations with this query, in the SDK's order. */
const conversationsPath = (query) => `/conversations?${new URLSearchParams(query)}`;

/** A thread as `conversations list` prints it; a message as `conversations messages` does. */
const threadRow = (t) => ({ ID: t.conversation_id, STATUS: t.status, FROM: t.from, TO: t.to, "LAST INBOUND": str(t.last_inbound_at) });
const messageRow = (m) => ({ ID: m.message_id, DIRECTION: m.direction, STATUS: m.status, TEXT: str(m.text) });
/**
 * A row of `conversations messages` as table() prints it under `header`, with `text` in TEXT
 * (the text's first line, where the CLI breaks the row).
 */
function messageLine(header, message, text) {
  const starts = MESSAGE_HEADER.map((name) => header.indexOf(name));
  const widths = starts.slice(1).map((s, i) => s - starts[i] - 2);
  return [message.message_id, message.direction, message.status].map((c, i) => c.padEnd(widths[i])).concat(text).join("  ").trimEnd();
}

/** The CLI's kv(): one `key  value` line per field, keys padded to the longest; `(empty)` for none. */
function kv(obj) {
  const entries = Object.entries(obj);
  if (entries.length === 0) return "(empty)";
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${str(value)}`).join("\n");
}

/** The CLI's indent(): `spaces` blanks before every non-empty line. */
const indent = (text, spaces) => text.split("\n").map((line) => (line.length > 0 ? " ".repeat(spaces) + line : line)).join("\n");

/** A sandbox day as YYYY-MM-DD, `offset` days from the clock start's (the file's sandbox only moves by seconds). */
const day = (offset) => new Date(Date.parse(CLOCK_START.slice(0, 10)) + offset * 86_400_000).toISOString().slice(0, 10);

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

describe("political-comms stats messages / usage (KNOWN CLI LIMITATION: the docs pages' example shape)", () => {
  // Not a sandbox bug. CLI 0.11 prints the example shape of the docs pages, which differs from
  // the SDK's types the sandbox answers in (CONTRACT §9: the SDK shapes win). `stats messages`
  // prints `data.totals` with kv(), so each status comes out as its MessageStatusBucket in JSON
  // (`delivered  {"count":...,"totalCost":...}`), and counts `data.daily`, which MessageStats
  // does not have (its rows are `byDay`): "Daily rows: 0" whatever the range holds. `usage` reads
  // `data.organization_name`, `data.totals` and `data.by_category`, none of which LedgerUsage
  // has (it has `organizations`, `totalUsageAmount`, `serviceTotals`): it prints the heading and
  // "Totals:" over "(empty)", nothing else. `--json` prints the API's answer unchanged. These
  // cases pin what the CLI really prints; a CLI release that reads the typed shapes fails them.
  const S = day(-30);
  const E = day(-1); // the seeded history only: no send of this file's sandbox reaches it
  const statsPath = (query) => `/messages/stats?${new URLSearchParams(query)}`;
  const usagePath = (query) => `/ledger/usage?${new URLSearchParams(query)}`;

  it("stats messages --from --to prints the totals as JSON buckets and 0 daily rows", async () => {
    const run = await runCli(["stats", "messages", "--from", S, "--to", E], { apiKey: ROOT_KEY });
    assertOk(run, "stats messages");
    assertRequests(run, statsPath({ startDate: S, endDate: E }));
    const answer = data(await api.getMessageStats({ startDate: S, endDate: E }));
    // The data is there: every status present, a row per day and status.
    assert.ok(Object.keys(answer.totals).length >= 3 && answer.byDay.length >= 60, JSON.stringify(answer.summary));
    assert.equal(run.stdout, [`Message stats ${S} to ${E}`, "", "Totals:", indent(kv(answer.totals), 2), "", "Daily rows: 0", ""].join("\n"));
    const lines = run.stdout.split("\n");
    const totals = lines.slice(3, 3 + Object.keys(answer.totals).length).map((line) => /^ {2}(\w+) +(\{.*\})$/.exec(line));
    assert.ok(totals.every(Boolean), run.stdout);
    assert.deepEqual(Object.fromEntries(totals.map((m) => [m[1], JSON.parse(m[2])])), answer.totals);
    assert.deepEqual(run.stdout.match(/\d{4}-\d{2}-\d{2}/g), [S, E], "no day of byDay is printed, only the heading's");
  });

  it("stats messages passes --organization-id, --brand-id, --campaign-id; an empty range prints (empty)", async () => {
    const campaign = data(await api.listCampaigns()).find((c) => c.campaign_status === "ACTIVE");
    const query = { startDate: S, endDate: E, organizationId: campaign.org_id, brandId: campaign.brand_id, campaignId: campaign.id };
    const run = await runCli(["stats", "messages", "--from", S, "--to", E, "--organization-id", campaign.org_id,
      "--brand-id", campaign.brand_id, "--campaign-id", campaign.id], { apiKey: ROOT_KEY });
    assertOk(run, "stats messages with filters");
    assertRequests(run, statsPath(query));
    const answer = data(await api.getMessageStats(query));
    assert.equal(run.stdout, [`Message stats ${S} to ${E}`, "", "Totals:", indent(kv(answer.totals), 2), "", "Daily rows: 0", ""].join("\n"));

    // The future holds nothing yet: MessageStats.totals is {} and kv() prints "(empty)".
    const [from, to] = [day(5), day(9)];
    const empty = await runCli(["stats", "messages", "--from", from, "--to", to], { apiKey: ROOT_KEY });
    assertOk(empty, "stats messages (future)");
    assert.deepEqual(data(await api.getMessageStats({ startDate: from, endDate: to })).totals, {});
    assert.equal(empty.stdout, `Message stats ${from} to ${to}\n\nTotals:\n  (empty)\n\nDaily rows: 0\n`);
  });

  it("stats messages --json prints the API's answer unchanged", async () => {
    const run = await runCli(["stats", "messages", "--from", S, "--to", E, "--json"], { apiKey: ROOT_KEY });
    assertOk(run, "stats messages --json");
    assertRequests(run, statsPath({ startDate: S, endDate: E }));
    const printed = JSON.parse(run.stdout);
    assert.deepEqual(printed, await api.getMessageStats({ startDate: S, endDate: E }));
    assert.equal(printed.data.summary.totalMessages, printed.data.byDay.reduce((a, r) => a + r.count, 0));
  });

  it("usage --from --to prints the heading and an empty Totals; --organization-id only is passed on", async () => {
    const run = await runCli(["usage", "--from", S, "--to", E], { apiKey: ROOT_KEY });
    assertOk(run, "usage");
    assertRequests(run, usagePath({ startDate: S, endDate: E }));
    const answer = data(await api.getLedgerUsage({ startDate: S, endDate: E }));
    assert.ok(answer.organizations.length >= 3 && answer.totalUsageAmount < 0, "the API has usage to show");
    assert.equal(run.stdout, `Usage ${S} to ${E}\n\nTotals:\n  (empty)\n`);

    // `usage` hands the SDK --organization-id alone: --brand-id and --campaign-id are parsed
    // (they are global flags) but not sent.
    const campaign = data(await api.listCampaigns()).find((c) => c.campaign_status === "ACTIVE");
    const filtered = await runCli(["usage", "--from", S, "--to", E, "--organization-id", campaign.org_id,
      "--brand-id", campaign.brand_id, "--campaign-id", campaign.id], { apiKey: ROOT_KEY });
    assertOk(filtered, "usage --organization-id");
    assertRequests(filtered, usagePath({ startDate: S, endDate: E, organizationId: campaign.org_id }));
    assert.equal(filtered.stdout, `Usage ${S} to ${E}\n\nTotals:\n  (empty)\n`);
  });

  it("usage --json prints the API's answer unchanged", async () => {
    const run = await runCli(["usage", "--from", S, "--to", E, "--json"], { apiKey: ROOT_KEY });
    assertOk(run, "usage --json");
    assertRequests(run, usagePath({ startDate: S, endDate: E }));
    const printed = JSON.parse(run.stdout);
    assert.deepEqual(printed, await api.getLedgerUsage({ startDate: S, endDate: E }));
    assert.ok(printed.data.organizations.length > 0);
  });

  it("the date rules reach the user as the CLI's error line, exit 1", async () => {
    const cases = [
      [["stats", "messages", "--from", day(-31), "--to", day(0)], "getMessageStats", { startDate: day(-31), endDate: day(0) }, "RANGE_TOO_LARGE"],
      [["stats", "messages", "--from", "2026-11-3", "--to", day(0)], "getMessageStats", { startDate: "2026-11-3", endDate: day(0) }, "INVALID_DATE_FORMAT"],
      [["usage", "--from", day(-181), "--to", day(-175)], "getLedgerUsage", { startDate: day(-181), endDate: day(-175) }, "RANGE_TOO_OLD"],
      [["usage", "--from", day(0), "--to", day(-1)], "getLedgerUsage", { startDate: day(0), endDate: day(-1) }, "VALIDATION_ERROR"],
    ];
    for (const [args, method, query, code] of cases) {
      const run = await runCli(args, { apiKey: ROOT_KEY });
      assert.equal(run.code, 1, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stdout, "");
      assertRequests(run, (method === "getMessageStats" ? statsPath : usagePath)(query)); // a 400 is not retried
      const e = await expectError(api[method](query), 400, code);
      assert.equal(run.stderr, apiError(e));
    }
  });

  it("without --from/--to the range is the host's last 30 days, not the sandbox clock's", async () => {
    // dateRange() in the CLI: from = today - 30 days, to = today, both by the host's Date.now().
    // The sandbox's manual clock (2026-11-03) plays no part, so what comes back depends on the
    // host's date: compared with the SDK's answer for the dates the CLI really sent.
    const hostDay = (ms) => new Date(ms).toISOString().slice(0, 10);
    for (const [args, path, method] of [[["stats", "messages"], "/messages/stats", "getMessageStats"], [["usage"], "/ledger/usage", "getLedgerUsage"]]) {
      const t0 = Date.now();
      const run = await runCli(args, { apiKey: ROOT_KEY });
      const t1 = Date.now();
      assert.equal(run.requests.length, 1, JSON.stringify(run.requests));
      const sent = new URL(run.requests[0].from);
      assert.equal(sent.pathname, `/v1${path}`);
      const query = Object.fromEntries(sent.searchParams);
      assert.deepEqual(Object.keys(query), ["startDate", "endDate"]);
      assert.ok([hostDay(t0), hostDay(t1)].includes(query.endDate), `${query.endDate} is not the host's today`);
      assert.equal(Date.parse(query.endDate) - Date.parse(query.startDate), 30 * 86_400_000);
      let answer;
      try {
        answer = data(await api[method](query));
      } catch (e) {
        // A host date far from the sandbox's puts the start over 180 days back: the CLI's error.
        assert.equal(run.code, 1);
        assert.equal(run.stderr, apiError(e));
        continue;
      }
      assertOk(run, args.join(" "));
      const expected = method === "getMessageStats"
        ? [`Message stats ${query.startDate} to ${query.endDate}`, "", "Totals:", indent(kv(answer.totals), 2), "", "Daily rows: 0", ""]
        : [`Usage ${query.startDate} to ${query.endDate}`, "", "Totals:", "  (empty)", ""];
      assert.equal(run.stdout, expected.join("\n"));
    }
  });

  it("stats needs its subcommand (messages): a usage error, exit 2, no request", async () => {
    for (const args of [["stats"], ["stats", "usage"]]) {
      const run = await runCli(args, { apiKey: ROOT_KEY });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stdout, "");
      assert.ok(run.stderr.startsWith("Usage: political-comms stats <messages>\n\nPolitical Comms CLI\n"), run.stderr);
      assert.deepEqual(run.requests, []);
    }
  });
});

describe("political-comms conversations (the threads of a simulated send)", () => {
  // A sandbox of its own (sendkit.fresh), as in sends.test.mjs: the child org's project over
  // contacts-mixed.csv, a test send 0006 answers (a test thread), then the broadcast scheduled
  // now and the manual clock moved 3 hours: 0005 replies STOP (thread `opted_out`), 0006 says
  // yes (thread `active`). The CLI runs with the child key, the SDK's view is the child client.
  // Each case compares with the SDK's view at that moment, so the reply case adding a message
  // to the 0006 thread changes no other case's expectations.
  let f;
  let client;
  let key;
  let b;
  let testThread;
  const cli = (args, options = {}) => runCli(args, { apiKey: key, on: f.sandbox, ...options });
  const thread = (contact) => threadWith(client, b.projectId, contact);

  before(async () => {
    f = await fresh(validator);
    key = f.keys.child.key;
    client = f.client("child");
    b = await projectOverMixed(f, client, { orgId: f.keys.child.organization_id, name: "CLI conversations (node)" });
    assert.equal(data(await client.testProject(b.projectId, { test_contacts: [{ phone: SAYS_YES }] })).tests_sent, 1);
    await f.advance(HOUR);
    data(await client.scheduleProject(b.projectId, { scheduled_at: await f.now(), scheduled_timezone: TIMEZONE }));
    await f.advance(3 * HOUR);
    assert.equal(data(await client.getProject(b.projectId)).status, "completed");
    testThread = await threadWith(client, b.projectId, SAYS_YES, { test: true });
  });

  after(async () => {
    await f?.stop();
  });

  it("conversations list --project <id> prints one row per thread: ID, STATUS, FROM, TO, LAST INBOUND", async () => {
    const run = await cli(["conversations", "list", "--project", b.projectId]);
    assertOk(run, "conversations list");
    // Without --include-test the CLI still sends include_test, as false (the API's default).
    assertRequests(run, conversationsPath({ project_id: b.projectId, include_test: false }));
    const page = data(await client.listConversations({ project_id: b.projectId, include_test: false }));
    assert.deepEqual([page.has_more, page.next_cursor], [false, null]);
    const table = parseTable(run.stdout, { header: THREAD_HEADER });
    assert.deepEqual(table.header, THREAD_HEADER);
    assert.deepEqual(table.rows, page.data.map(threadRow));
    for (const row of table.rows) {
      const where = JSON.stringify(row);
      assert.match(row.ID, CONVERSATION_ID, where);
      assert.deepEqual([row.FROM, row.TO.startsWith("+")], [b.number, true], where);
      assert.ok(["active", "opted_out"].includes(row.STATUS), where);
      parseTs(row["LAST INBOUND"]);
    }
    const byTo = Object.fromEntries(table.rows.map((r) => [r.TO, r]));
    assert.equal(Object.keys(byTo).length, table.rows.length, "one thread per contact");
    assert.deepEqual([byTo[STOPS]?.STATUS, byTo[SAYS_YES]?.STATUS], ["opted_out", "active"], run.stdout);
    assert.ok(!run.stdout.includes(testThread.conversation_id), "the test thread is listed without --include-test");
  });

  it("conversations list --include-test adds the test thread, which no column tells apart", async () => {
    const run = await cli(["conversations", "list", "--project", b.projectId, "--include-test"]);
    assertOk(run, "conversations list --include-test");
    assertRequests(run, conversationsPath({ project_id: b.projectId, include_test: true }));
    const answer = data(await client.listConversations({ project_id: b.projectId, include_test: true })).data;
    const table = parseTable(run.stdout, { header: THREAD_HEADER });
    assert.deepEqual(table.rows, answer.map(threadRow));
    const real = data(await client.listConversations({ project_id: b.projectId })).data;
    assert.deepEqual(new Set(table.rows.map((r) => r.ID)), new Set([...real, testThread].map((t) => t.conversation_id)));
    // The table has no IS_TEST column: the test thread and the real one with 0006 print alike
    // but for ID and LAST INBOUND (the test was answered an hour before the broadcast).
    const with0006 = table.rows.filter((r) => r.TO === SAYS_YES);
    assert.equal(with0006.length, 2, run.stdout);
    const [broadcastRow, testRow] = with0006;
    assert.equal(testRow.ID, testThread.conversation_id, "newest last_inbound_at first: the test thread is older");
    assert.deepEqual({ ...testRow, ID: "", "LAST INBOUND": "" }, { ...broadcastRow, ID: "", "LAST INBOUND": "" });
    assert.ok(testRow["LAST INBOUND"] < broadcastRow["LAST INBOUND"]);
  });

  it("conversations list --json prints the API's answer unchanged; --limit and --cursor page it", async () => {
    const run = await cli(["conversations", "list", "--project", b.projectId, "--json"]);
    assertOk(run, "conversations list --json");
    assertRequests(run, conversationsPath({ project_id: b.projectId, include_test: false }));
    assert.deepEqual(JSON.parse(run.stdout), await client.listConversations({ project_id: b.projectId, include_test: false }));

    // One thread a page; the cursor is only in the JSON (a table prints no next_cursor).
    const all = data(await client.listConversations({ project_id: b.projectId, include_test: true })).data;
    assert.ok(all.length >= 3, JSON.stringify(all));
    const seen = [];
    let cursor = null;
    do {
      const query = { project_id: b.projectId, include_test: true, limit: 1, ...(cursor === null ? {} : { cursor }) };
      const args = ["conversations", "list", "--project", b.projectId, "--include-test", "--limit", "1", "--json"];
      const paged = await cli(cursor === null ? args : [...args, "--cursor", cursor]);
      assertOk(paged, `conversations list --limit 1 --cursor ${cursor}`);
      assertRequests(paged, conversationsPath(query));
      const printed = JSON.parse(paged.stdout);
      assert.deepEqual(printed, await client.listConversations(query));
      assert.equal(printed.data.data.length, 1, paged.stdout);
      seen.push(...printed.data.data);
      assert.equal(printed.data.has_more, seen.length < all.length, paged.stdout);
      cursor = printed.data.next_cursor;
    } while (cursor !== null && seen.length <= all.length);
    assert.deepEqual(seen, all);
  });

  it("conversations list --since after every thread prints (no results)", async () => {
    const since = new Date(parseTs(await f.now()) + HOUR).toISOString();
    const run = await cli(["conversations", "list", "--project", b.projectId, "--since", since]);
    assertOk(run, "conversations list --since");
    assertRequests(run, conversationsPath({ project_id: b.projectId, updated_since: since, include_test: false }));
    assert.deepEqual(data(await client.listConversations({ project_id: b.projectId, updated_since: since })).data, []);
    assert.equal(run.stdout, "(no results)\n");
  });

  it("conversations get <id> prints every field of the thread as key/value lines", async () => {
    const stop = await thread(STOPS);
    for (const t of [stop, await thread(SAYS_YES), testThread]) {
      const id = t.conversation_id;
      const run = await cli(["conversations", "get", id]);
      assertOk(run, `conversations get ${id}`);
      assertRequests(run, `/conversations/${id}`);
      const detail = data(await client.getConversation(id));
      assert.equal(run.stdout, kv(detail) + "\n");
      assert.match(run.stdout, new RegExp(`^conversation_id +${id}$`, "m"));
      assert.match(run.stdout, new RegExp(`^is_test +${t === testThread}$`, "m"));
    }
    // The 0005 thread: opted out; the contact object printed as JSON (the CLI's str()).
    const run = await cli(["conversations", "get", stop.conversation_id]);
    for (const line of ["status +opted_out", "opted_out +true", `contact +\\{"phone_number":"\\${STOPS}"\\}`, "inbound_messages +1", "outbound_messages +1"]) {
      assert.match(run.stdout, new RegExp(`^${line}$`, "m"));
    }

    // An unknown id: the API's 404 as the CLI's error line, exit 1.
    const missing = await cli(["conversations", "get", UNKNOWN_CONVERSATION]);
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.equal(missing.stdout, "");
    assertRequests(missing, `/conversations/${UNKNOWN_CONVERSATION}`);
    const e = await expectError(client.getConversation(UNKNOWN_CONVERSATION), 404, "CONVERSATION_NOT_FOUND");
    assert.equal(missing.stderr, apiError(e));
  });

  it("conversations messages <id> prints ID, DIRECTION, STATUS, TEXT newest first; a newline in TEXT breaks the row", async () => {
    const stop = await thread(STOPS);
    const id = stop.conversation_id;
    const run = await cli(["conversations", "messages", id]);
    assertOk(run, "conversations messages");
    assertRequests(run, `/conversations/${id}/messages`);
    const page = data(await client.listConversationMessages(id));
    assert.equal(page.has_more, false);
    const [inbound, outbound, ...rest] = page.data;
    assert.equal(rest.length, 0);
    assert.deepEqual([inbound.direction, inbound.status, inbound.text], ["inbound", "received", "STOP"]);
    assert.deepEqual([outbound.direction, outbound.status], ["outbound", "delivered"]);
    const [body, footer, ...more] = outbound.text.split("\n");
    assert.deepEqual([footer, more], ["STOP=END", []], JSON.stringify(outbound.text));
    assert.ok(body.startsWith(`Hi Test! Find your polling place: https://${b.domain}/`), body);

    // The CLI prints the text as it is: the broadcast's row ends after its link, and its
    // `STOP=END` stands alone at the start of the next line, under ID, like a row of its own.
    const lines = run.stdout.split("\n");
    assert.equal(lines.length, 5, run.stdout);
    assert.equal(lines.at(-1), "");
    assert.equal(lines[1], messageLine(lines[0], inbound, inbound.text));
    assert.equal(lines[2], messageLine(lines[0], outbound, body));
    assert.equal(lines[3], "STOP=END");
    const table = parseTable(run.stdout, { header: MESSAGE_HEADER, rowStart: MESSAGE_ROW });
    assert.deepEqual(table.rows, page.data.map(messageRow));
    assert.equal(table.rows[1].TEXT, outbound.text);

    // The 0006 thread and the test thread the same way (a test message's id is tmsg_).
    for (const t of [await thread(SAYS_YES), testThread]) {
      const other = await cli(["conversations", "messages", t.conversation_id]);
      assertOk(other, `conversations messages ${t.conversation_id}`);
      const messages = data(await client.listConversationMessages(t.conversation_id)).data;
      assert.deepEqual(parseTable(other.stdout, { header: MESSAGE_HEADER, rowStart: MESSAGE_ROW }).rows, messages.map(messageRow));
      assert.ok(messages.some((m) => m.direction === "inbound" && m.text === YES_TEXT), other.stdout);
      assert.equal(other.stdout.split("\n").length, messages.length + 2 + messages.filter((m) => m.text.includes("\n")).length);
    }
  });

  it("conversations messages --limit 1 prints the newest alone; --cursor (from --json) the next", async () => {
    const stop = await thread(STOPS);
    const id = stop.conversation_id;
    const [newest, next] = await messagesOf(client, id);
    const first = await cli(["conversations", "messages", id, "--limit", "1"]);
    assertOk(first, "conversations messages --limit 1");
    assertRequests(first, `/conversations/${id}/messages?limit=1`);
    // A table says nothing of further pages.
    assert.deepEqual(parseTable(first.stdout, { header: MESSAGE_HEADER, rowStart: MESSAGE_ROW }).rows, [messageRow(newest)]);
    const json = await cli(["conversations", "messages", id, "--limit", "1", "--json"]);
    assertOk(json, "conversations messages --limit 1 --json");
    const printed = JSON.parse(json.stdout);
    assert.deepEqual(printed, await client.listConversationMessages(id, { limit: 1 }));
    assert.equal(printed.data.has_more, true);
    const cursor = printed.data.next_cursor;
    const second = await cli(["conversations", "messages", id, "--limit", "1", "--cursor", cursor]);
    assertOk(second, "conversations messages --cursor");
    assertRequests(second, `/conversations/${id}/messages?${new URLSearchParams({ limit: 1, cursor })}`);
    assert.deepEqual(parseTable(second.stdout, { header: MESSAGE_HEADER, rowStart: MESSAGE_ROW }).rows, [messageRow(next)]);
  });

  it("conversations reply <id> --text prints the queued reply's id; the thread shows it, delivered on the clock", async () => {
    const yes = await thread(SAYS_YES);
    const id = yes.conversation_id;
    const before = data(await client.getConversation(id));
    const text = "Polls are open until 7:30pm";
    const at = await f.now();
    const run = await cli(["conversations", "reply", id, "--text", text]);
    assertOk(run, "conversations reply");
    assertCalls(run, ["POST", `/conversations/${id}/messages`]);
    const m = /^Sent reply (\S+) in conversation (\S+)\.\n$/.exec(run.stdout);
    assert.ok(m, `unexpected output: ${JSON.stringify(run.stdout)}`);
    assert.match(m[1], MESSAGE_ID);
    assert.equal(m[2], id);

    const [reply] = await messagesOf(client, id);
    assert.deepEqual([reply.message_id, reply.direction, reply.text, reply.received_at], [m[1], "outbound", text, null]);
    assert.ok(["queued", "sending", "sent"].includes(reply.status), reply.status);
    const after = data(await client.getConversation(id));
    assert.deepEqual([after.outbound_messages, after.inbound_messages, after.last_outbound_at, after.last_inbound_at, after.status],
      [before.outbound_messages + 1, before.inbound_messages, at, before.last_inbound_at, "active"]);

    await f.advance(MINUTE);
    const shown = await cli(["conversations", "messages", id]);
    assertOk(shown, "conversations messages");
    const rows = parseTable(shown.stdout, { header: MESSAGE_HEADER, rowStart: MESSAGE_ROW }).rows;
    assert.deepEqual(rows[0], { ID: m[1], DIRECTION: "outbound", STATUS: "delivered", TEXT: text });
    assert.deepEqual(rows, (await messagesOf(client, id)).map(messageRow));
  });

  it("conversations reply refused (0005 opted out: 409 CONTACT_OPTED_OUT) exits 1 with the API's error; no --text is a usage error", async () => {
    const stop = await thread(STOPS);
    const id = stop.conversation_id;
    const counts = async () => {
      const c = data(await client.getConversation(id));
      return [c.inbound_messages, c.outbound_messages];
    };
    const before = await counts();
    const text = "Sorry to see you go";
    const run = await cli(["conversations", "reply", id, "--text", text]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stdout, "");
    assertCalls(run, ["POST", `/conversations/${id}/messages`]); // a 409 is not retried
    const e = await expectError(client.replyToConversation(id, { text }), 409, "CONTACT_OPTED_OUT");
    assert.equal(run.stderr, apiError(e));
    assert.match(run.stderr, /^Error CONTACT_OPTED_OUT \(HTTP 409\): \S/);
    assert.deepEqual(await counts(), before, "a refused reply queued a message");

    // No --text, or an empty one: the CLI's usage error (exit 2, the help after it), no request.
    for (const extra of [[], ["--text", ""]]) {
      const usage = await cli(["conversations", "reply", id, ...extra]);
      assert.equal(usage.code, 2, usage.stdout + usage.stderr);
      assert.equal(usage.stdout, "");
      assert.ok(usage.stderr.startsWith('conversations reply requires --text "<text>"\n\nPolitical Comms CLI\n'), usage.stderr);
      assert.deepEqual(usage.requests, []);
    }
    assert.deepEqual(await counts(), before);
  });
});
