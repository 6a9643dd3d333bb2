// Preload that points the official CLI (@political-comms/cli) at a local pc-sandbox and keeps
// it off the network:
//
//   PC_SANDBOX_API_URL=http://127.0.0.1:<port>/v1 \
//     node --import /abs/path/tests/sdk/node/cli-sandbox.mjs node_modules/@political-comms/cli/dist/index.js ...
//
// The CLI builds `new PoliticalCommsClient({ apiKey })` with no base URL, so the SDK
// (@political-comms/sdk 0.11.1) sends every request to its DEFAULT_BASE_URL,
// https://api.politicalcomms.com/v1, through `globalThis.fetch.bind(globalThis)`, which it
// reads in the client's constructor (`options.fetch ?? globalThis.fetch.bind(globalThis)`).
// `--import` runs this module before the CLI's module graph is even loaded, so replacing
// `globalThis.fetch` here is what both the constructor-time read and any module-load-time
// capture would get.
//
// The replacement rewrites URLs under https://api.politicalcomms.com/v1 to PC_SANDBOX_API_URL
// and throws for any other URL whose host is not loopback, before the real fetch is called:
// the CLI cannot reach the network through fetch (the SDK reports the throw as its
// NETWORK_ERROR, the CLI exits 1). With PC_CLI_SANDBOX_LOG=<file>, every request is appended
// there as one JSON line {method, from, to} so a test can check what the CLI really asked for.

import { appendFileSync } from "node:fs";

const PRODUCTION = "https://api.politicalcomms.com/v1";
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

function isLoopback(url) {
  return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK.test(url.hostname);
}

const target = process.env.PC_SANDBOX_API_URL;
if (!target) throw new Error("cli-sandbox.mjs: set PC_SANDBOX_API_URL to the sandbox's /v1 URL (http://127.0.0.1:<port>/v1)");
let targetUrl;
try {
  targetUrl = new URL(target);
} catch {
  throw new Error(`cli-sandbox.mjs: PC_SANDBOX_API_URL is not a URL: ${JSON.stringify(target)}`);
}
if (!isLoopback(targetUrl) || !/\/v1\/?$/.test(targetUrl.pathname) || targetUrl.search || targetUrl.hash) {
  throw new Error(`cli-sandbox.mjs: PC_SANDBOX_API_URL must be a loopback http(s) URL ending in /v1, got ${target}`);
}
const base = target.replace(/\/+$/, "");
const log = process.env.PC_CLI_SANDBOX_LOG;
const realFetch = globalThis.fetch;

/** The sandbox URL for `url`; throws for anything neither under PRODUCTION nor loopback. */
export function rewrite(url) {
  const rest = url.startsWith(PRODUCTION) ? url.slice(PRODUCTION.length) : null;
  if (rest !== null && (rest === "" || "/?#".includes(rest[0]))) return base + rest;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`cli-sandbox.mjs: refusing ${JSON.stringify(url)}: not an absolute URL`);
  }
  if (!isLoopback(parsed)) {
    throw new Error(`cli-sandbox.mjs: refusing ${url}: only ${PRODUCTION} (rewritten to the sandbox) and loopback URLs are allowed`);
  }
  return url;
}

globalThis.fetch = async function sandboxFetch(input, init) {
  const isRequest = typeof Request !== "undefined" && input instanceof Request;
  const from = isRequest ? input.url : String(input);
  const to = rewrite(from);
  if (log) {
    const method = init?.method ?? (isRequest ? input.method : "GET");
    appendFileSync(log, JSON.stringify({ method, from, to }) + "\n");
  }
  return realFetch(isRequest ? new Request(to, input) : to, init);
};
