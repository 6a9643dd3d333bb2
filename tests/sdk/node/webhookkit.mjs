// A webhook receiver as a Node user would write one from the docs (CONTRACT §10); the twin of
// ../python/webhookkit.py. It runs the docs' verification snippet literally: the body is parsed
// (as express.json() does) and re-serialized with JSON.stringify before hashing, so it verifies only
// because the sandbox's bodies survive JSON.stringify(JSON.parse(body)) unchanged. On top of the
// snippet it follows the same page's tip to "reject stale events by checking X-Timestamp is within
// (e.g.) 5 minutes of now" (401 as well, in the past or the future).
//
// The server is node:http with a minimal express-like layer (app.post(path, handler), req.body,
// res.status(code).send(text)), so the docs' route handler is written as they write it. Every
// request is recorded with the raw body and the status it was answered, so a test can assert what
// arrived and that it verified.

import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const TOLERANCE_SECONDS = 5 * 60;

// ---------------------------------------------------------------------------------------------
// The docs' snippet, verbatim: "Node.js example" of
// https://docs.politicalcomms.com/api-reference/webhooks/signature-validation
// (Signature Validation, Political Comms API reference). Nothing changed but the export.
// ---------------------------------------------------------------------------------------------
const crypto = require('crypto');

export function validateWebhook(req, webhookSecret) {
  const signature = req.headers['x-webhook-signature'];
  const body = JSON.stringify(req.body);

  const hmac = crypto.createHmac('sha256', webhookSecret);
  hmac.update(body);
  const expectedSignature = `sha256=${hmac.digest('hex')}`;

  return signature === expectedSignature;
}
// --------------------------------------------------------------------------------- end of snippet

/** The same page's tip: X-Timestamp (unix seconds) within 5 minutes of now, either way. */
export function isFresh(timestamp, nowSeconds = Date.now() / 1000) {
  if (typeof timestamp !== "string" || !/^\d+$/.test(timestamp)) return false;
  return Math.abs(nowSeconds - Number(timestamp)) <= TOLERANCE_SECONDS;
}

/** The `X-Webhook-Signature` value of a raw body, computed independently of the snippet. */
export function signatureOf(secret, raw) {
  return `sha256=${crypto.createHmac("sha256", secret).update(raw).digest("hex")}`;
}

/** The least of express: JSON bodies parsed into req.body, res.status(code).send(text). */
function miniApp(record) {
  const routes = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const entry = { path: req.url, headers: req.headers, raw, status: null, answer: null };
      res.status = (code) => {
        res.statusCode = code;
        return res;
      };
      res.send = (text) => {
        entry.status = res.statusCode;
        entry.answer = text;
        entry.verified = req.verified === true;
        record(entry);
        res.setHeader("Content-Type", "text/plain");
        res.end(text);
        return res;
      };
      const handler = req.method === "POST" ? routes.get(req.url) : undefined;
      if (!handler) return res.status(404).send("Not found");
      try {
        req.body = JSON.parse(raw); // what express.json() hands the route
      } catch {
        return res.status(400).send("Bad JSON");
      }
      handler(req, res);
    });
  });
  return { server, post: (path, handler) => routes.set(path, handler) };
}

/**
 * startReceiver({ secret, path }) -> { url, secret (settable), received(), failFirst(n, status), stop() }.
 * received() lists every request: { path, headers, raw, body, status, answer, verified } (verified:
 * the signature and the timestamp passed, whatever the answer).
 */
export async function startReceiver({ secret = null, path = "/webhooks" } = {}) {
  const receiver = { secret, deliveries: [], failures: [] };
  const app = miniApp((entry) => receiver.deliveries.push(entry));

  // The docs' route, with the receiver's secret for process.env.WEBHOOK_SECRET and the stale check.
  app.post(path, (req, res) => {
    if (!validateWebhook(req, receiver.secret)) {
      return res.status(401).send('Invalid signature');
    }
    if (!isFresh(req.headers['x-timestamp'])) {
      return res.status(401).send('Stale timestamp');
    }
    req.verified = true; // recorded with the answer
    if (receiver.failures.length) {
      return res.status(receiver.failures.shift()).send("Failing on purpose");
    }
    // Process webhook...
    res.status(200).send('OK');
  });

  await new Promise((resolve, reject) => {
    app.server.once("error", reject);
    app.server.listen(0, "127.0.0.1", resolve);
  });
  receiver.url = `http://127.0.0.1:${app.server.address().port}${path}`;
  receiver.received = (where = () => true) =>
    receiver.deliveries.map((d) => ({ ...d, body: safeParse(d.raw) })).filter(where);
  receiver.failFirst = (n, status = 500) => receiver.failures.push(...Array(n).fill(status));
  receiver.stop = () => new Promise((resolve) => {
    app.server.close(() => resolve());
    app.server.closeAllConnections();
  });
  return receiver;
}

function safeParse(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
