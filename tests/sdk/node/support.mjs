// Shared machinery of the Node contract tests (the twin of ../python/support.py).
//
// - startSandbox(): a fresh `pc-sandbox serve --port 0 --clock manual` per test
//   file (or per test, with extra `args` such as `--send-rate 0.01`), its port
//   read from stdout, stopped by `sandbox.stop()`.
// - ContractValidator: every response the SDK receives is checked, inside a
//   custom `fetch`, against the schemas derived from the SDK's d.ts
//   (../derive_schemas.py): envelope or error envelope, the route's `data`
//   schema, and the headers the contract promises.
// - makeClient(): the real SDK client with that fetch, recording which SDK
//   methods ran so run.sh can check ../coverage.json against what executed.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import readline from "node:readline";
import assert from "node:assert/strict";
import AjvModule from "ajv";
import { PoliticalCommsClient, PoliticalCommsError } from "@political-comms/sdk";

export { PoliticalCommsClient, PoliticalCommsError };

const Ajv = AjvModule.default ?? AjvModule;
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SDK_DIR = path.resolve(HERE, "..");
export const REPO_ROOT = path.resolve(SDK_DIR, "..", "..");
export const CLOCK_START = "2026-11-03T18:00:00.000Z";
const API_PREFIX = "/v1";
const LISTENING = /http:\/\/127\.0\.0\.1:(\d+)/;

export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const API_KEY = /^pc_(live|test)_[A-Za-z0-9]{24}$/;
export const idPattern = (prefix) => new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`);

export function parseTs(value) {
  if (typeof value !== "string" || !TIMESTAMP.test(value)) {
    throw new Error(`not an RFC 3339 UTC timestamp with milliseconds: ${JSON.stringify(value)}`);
  }
  return Date.parse(value);
}

// ---------------------------------------------------------------------------
// Schemas and the validating fetch
// ---------------------------------------------------------------------------

export class ContractValidator {
  constructor(file = process.env.PC_SDK_SCHEMAS ?? path.join(SDK_DIR, ".schemas", "sdk.json")) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run tests/sdk/run.sh (it derives the schemas)`);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    this.definitions = doc.definitions;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    this.compiled = new Map();
    this.routes = doc.routes
      .map((route) => ({
        route,
        regex: new RegExp(
          "^" + route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^/]+?\}/g, "[^/]+") + "$",
        ),
      }))
      // Literal paths first, so /projects/stats never matches /projects/{id}.
      .sort((a, b) => a.route.path.split("{").length - b.route.path.split("{").length);
    this.envelope = this.compile("envelope", doc.envelope);
    this.error = this.compile("error", doc.error);
    this.violations = [];
    this.checked = 0;
    // The most recent responses, newest last: what the SDK does not return (status, headers, text).
    this.responses = [];
  }

  /** The most recent response to `method` on a path ending with `suffix`. */
  last(method, suffix = "") {
    for (let i = this.responses.length - 1; i >= 0; i -= 1) {
      const r = this.responses[i];
      if (r.method === method && r.path.endsWith(suffix)) return r;
    }
    throw new Error(`no ${method} *${suffix} response recorded`);
  }

  compile(key, schema) {
    if (!this.compiled.has(key)) {
      this.compiled.set(key, this.ajv.compile({ definitions: this.definitions, ...schema }));
    }
    return this.compiled.get(key);
  }

  routeFor(method, relPath) {
    const hit = this.routes.find((r) => r.route.method === method && r.regex.test(relPath));
    return hit ? hit.route : null;
  }

  static errors(validate, instance, where) {
    if (validate(instance)) return [];
    return validate.errors.slice(0, 10).map((e) => `${where}${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`.slice(0, 300));
  }

  /** Every way this response breaks the contract; [] if none. */
  problems(method, urlPath, status, headers, text) {
    const problems = [];
    const control = urlPath.startsWith("/_sandbox");
    if (!control && !urlPath.startsWith(API_PREFIX)) return [`unexpected path ${urlPath}`];
    const rel = control ? urlPath : urlPath.slice(API_PREFIX.length) || "/";

    if (!headers.get("x-request-id")) problems.push("no X-Request-ID header");
    const ctype = headers.get("content-type") ?? "";
    const route = control ? null : this.routeFor(method, rel);
    const success = status >= 200 && status < 300;
    let body;
    if (success && route?.content_type) {
      // A non-JSON success (the CSV download): its content type, then the headers below.
      if (!ctype.startsWith(route.content_type)) problems.push(`content-type is ${JSON.stringify(ctype)}, not ${route.content_type}`);
    } else {
      if (!ctype.includes("application/json")) problems.push(`content-type is ${JSON.stringify(ctype)}, not application/json`);
      try {
        body = JSON.parse(text);
      } catch {
        return [...problems, `body is not JSON: ${JSON.stringify(text.slice(0, 200))}`];
      }
    }

    if (success && body === undefined) {
      // checked above
    } else if (success) {
      problems.push(...ContractValidator.errors(this.envelope, body, "envelope"));
      if (!control) {
        if (!route) problems.push(`no schema for ${method} ${rel}: add the route to derive_schemas.py`);
        else if (body && typeof body === "object" && "data" in body) {
          // A status the contract gives its own shape (derive_schemas.STATUS_VARIANTS).
          const variant = route.data_by_status?.[String(status)];
          const key = `${route.method} ${route.path}${variant ? ` ${status}` : ""}`;
          const validate = this.compile(key, variant ?? route.data);
          problems.push(...ContractValidator.errors(validate, body.data, "data"));
        }
      }
    } else {
      problems.push(...ContractValidator.errors(this.error, body, "error"));
      if (body?.statusCode !== status) problems.push(`body statusCode ${body?.statusCode} != HTTP status ${status}`);
      if (status === 429) {
        const retryAfter = headers.get("retry-after") ?? "";
        if (!/^\d+$/.test(retryAfter)) problems.push(`429 without an integer Retry-After header (${JSON.stringify(retryAfter)})`);
        if (!Number.isInteger(body?.retryAfter)) problems.push("429 body without an integer retryAfter");
      }
    }

    if (!control && status !== 401) {
      for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
        const value = headers.get(name) ?? "";
        if (!/^\d+$/.test(value)) problems.push(`header ${name} missing or not an integer (${JSON.stringify(value)})`);
      }
    }
    return problems;
  }

  check(method, urlPath, status, headers, text) {
    this.checked += 1;
    this.responses.push({ method, path: urlPath, status, headers, text });
    if (this.responses.length > 100) this.responses.shift();
    const problems = this.problems(method, urlPath, status, headers, text);
    if (problems.length) {
      const message = `${method} ${urlPath} -> ${status} breaks the contract:\n  ${problems.join("\n  ")}`;
      this.violations.push(message);
      throw new Error(message);
    }
  }

  /** A fetch for the SDK: real fetch, then validation, then the same response rebuilt. */
  fetch(inner = globalThis.fetch.bind(globalThis)) {
    return async (url, init = {}) => {
      const res = await inner(url, init);
      const text = await res.text();
      // A violation thrown here reaches the test as the SDK's NETWORK_ERROR;
      // the afterEach guard (assertNoViolations) then fails it with the real message.
      this.check(init.method ?? "GET", new URL(url).pathname, res.status, res.headers, text);
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
  }

  /** For afterEach: fail the test if any response since the last call broke the contract. */
  assertNoViolations() {
    const found = this.violations.splice(0);
    if (found.length) throw new Error(`responses broke the contract:\n${found.join("\n")}`);
  }
}

// ---------------------------------------------------------------------------
// The SDK client, recording which methods ran
// ---------------------------------------------------------------------------

const INTERNAL = new Set(["constructor", "request", "captureRateLimit", "rateLimitDelayMs"]);
export const SDK_METHODS = Object.getOwnPropertyNames(PoliticalCommsClient.prototype).filter(
  (name) => !INTERNAL.has(name) && typeof PoliticalCommsClient.prototype[name] === "function",
);
const CALLED = new Set();

process.on("exit", () => {
  const dir = process.env.PC_SDK_CALLED_DIR;
  if (dir && CALLED.size) writeFileSync(path.join(dir, `typescript-${process.pid}.txt`), [...CALLED].sort().join("\n") + "\n");
});

export function makeClient(sandbox, validator, apiKey, fetchImpl) {
  const client = new PoliticalCommsClient({
    apiKey,
    baseUrl: sandbox?.baseUrl ?? "http://127.0.0.1:9/v1",
    maxRetries: 0,
    fetch: validator.fetch(fetchImpl),
  });
  for (const name of SDK_METHODS) {
    const original = client[name];
    client[name] = (...args) => {
      CALLED.add(name);
      return original.apply(client, args);
    };
  }
  return client;
}

// ---------------------------------------------------------------------------
// The sandbox process
// ---------------------------------------------------------------------------

export function sandboxBinary() {
  if (process.env.PC_SANDBOX_BIN) return process.env.PC_SANDBOX_BIN;
  const target = path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR ?? "target");
  return path.join(target, "debug", "pc-sandbox");
}

export async function startSandbox({ startTimeoutMs = 60_000, args: extra = [] } = {}) {
  const bin = sandboxBinary();
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build it (cargo build --bin pc-sandbox) or set PC_SANDBOX_BIN`);
  const args = ["serve", "--port", "0", "--clock", "manual", "--clock-start", CLOCK_START, "--seed", "1", ...extra];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const remember = (line) => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  readline.createInterface({ input: child.stderr }).on("line", remember);
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const port = await new Promise((resolve, reject) => {
      const fail = (why) => reject(new Error(`${bin} ${args.join(" ")}: ${why}; output:\n${output.join("\n")}`));
      const timer = setTimeout(() => fail("no http://127.0.0.1:<port> line in time"), startTimeoutMs);
      child.once("error", (e) => fail(e.message));
      child.once("exit", (code) => fail(`exited with ${code} before listening`));
      readline.createInterface({ input: child.stdout }).on("line", (line) => {
        remember(line);
        const m = LISTENING.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    child.removeAllListeners("exit");
    const origin = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await fetch(`${origin}/_sandbox/health`)).status === 200) break;
      } catch {
        // not accepting yet
      }
      if (Date.now() > deadline) throw new Error(`GET /_sandbox/health never answered 200; output:\n${output.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { origin, baseUrl: origin + API_PREFIX, output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A /_sandbox call (no API key), envelope-checked; returns `data`. */
export async function control(sandbox, validator, method, pathname, body) {
  const res = await fetch(`${sandbox.origin}/_sandbox${pathname}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  validator.check(method, `/_sandbox${pathname}`, res.status, res.headers, text);
  if (!res.ok) throw new Error(`${method} /_sandbox${pathname} -> ${res.status}: ${text}`);
  return JSON.parse(text).data;
}

/** PUT /_sandbox/files/{name} with raw bytes; returns the hosted file record. */
export async function putFile(sandbox, validator, name, bytes) {
  const res = await fetch(`${sandbox.origin}/_sandbox/files/${name}`, { method: "PUT", body: bytes });
  const text = await res.text();
  validator.check("PUT", `/_sandbox/files/${name}`, res.status, res.headers, text);
  if (!res.ok) throw new Error(`PUT /_sandbox/files/${name} -> ${res.status}: ${text}`);
  return JSON.parse(text).data;
}

/** The files the sandbox hosts (GET /_sandbox/files), by name. */
export async function hostedFiles(sandbox, validator) {
  const files = await control(sandbox, validator, "GET", "/files");
  return Object.fromEntries(files.map((f) => [f.name, f]));
}

/** GET a URL the sandbox handed out (hosted file, ready media): raw bytes, no envelope. */
export async function fetchBytes(sandbox, url) {
  if (!url.startsWith(`${sandbox.origin}/`)) throw new Error(`${url} is not on this sandbox (${sandbox.origin})`);
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/**
 * The whole event log (GET /_sandbox/events, oldest first), page by page: a page holds at most
 * 1,000 events (100 by default), and the send engine writes several per message.
 */
export async function events(sandbox, validator) {
  const out = [];
  for (;;) {
    const query = out.length ? `limit=1000&after=${out.at(-1).id}` : "limit=1000";
    const page = await control(sandbox, validator, "GET", `/events?${query}`);
    if (!page.length) return out;
    out.push(...page);
  }
}

/** POST /_sandbox/clock/advance {seconds}: runs every job due by then; returns the new time. */
export async function advance(sandbox, validator, seconds) {
  return (await control(sandbox, validator, "POST", "/clock/advance", { seconds })).now;
}

/**
 * Poll exactly as a client would, with the sandbox clock moved instead of sleeping: read();
 * while !done(state), advance the clock `step` seconds and read again, at most `maxPolls`
 * times. Returns every state read, oldest first.
 */
export async function poll(sandbox, validator, read, done, { step = 1, maxPolls = 60 } = {}) {
  const states = [await read()];
  while (!done(states.at(-1))) {
    if (states.length > maxPolls) {
      throw new Error(`still not done after ${maxPolls} polls of ${step}s; last state: ${JSON.stringify(states.at(-1))}`);
    }
    await advance(sandbox, validator, step);
    states.push(await read());
  }
  return states;
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) -> rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  for (const r of body) assert.equal(r.length, header.length, `row with another column count: ${r}`);
  return { header, rows: body };
}

export const ROLES = [
  "root", "child", "grandchild", "read_only", "revoked", "elevated",
  "onboarding_incomplete", "zero_balance", "sending_paused",
];

/** The seeded key records by role (GET /_sandbox/keys). */
export async function seededKeys(sandbox, validator) {
  const records = await control(sandbox, validator, "GET", "/keys");
  const byRole = {};
  for (const record of records) byRole[record.role] ??= record;
  const missing = ROLES.filter((r) => !(r in byRole));
  if (missing.length) throw new Error(`seeded keys lack roles ${missing}; got ${Object.keys(byRole)}`);
  return byRole;
}

/** Await `promise`, expect a PoliticalCommsError with this status and code; returns it. */
export async function expectError(promise, status, code) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (!(error instanceof PoliticalCommsError)) {
    throw new Error(`expected PoliticalCommsError ${status} ${code}, got ${error ? error.stack : "success"}`);
  }
  const ok = error.statusCode === status && (code instanceof RegExp ? code.test(error.code) : error.code === code);
  if (!ok) throw new Error(`expected ${status} ${code}, got ${error.statusCode} ${error.code}: ${error.message}`);
  if (error.body?.statusCode !== status) throw new Error(`error body statusCode ${error.body?.statusCode} != ${status}`);
  return error;
}
