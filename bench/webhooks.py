#!/usr/bin/env python3
"""Webhook benchmark: deliveries per second to a local receiver, and the API's latency meanwhile.

Every event of a 100,000-recipient send is delivered to a local receiver while
GET /v1/organizations is measured.

Against the release binary (`serve --clock manual --rate-limit off`, clock pinned to
2026-11-03T18:00:00Z, 13:00 Eastern), as bench/sends.py sets it up:
  - a local receiver in its own process (this script with `--serve-receiver`): answers 200
    `{"ok":true}` to every POST over HTTP/1.1 keep-alive, counts deliveries per endpoint path and
    event type, flags an event id seen twice on one path (a retry after all) and keeps every
    `--sample-every`-th request (headers and body) for the signature check. `raw` (default) is a
    minimal asyncio HTTP/1.1 server; `threading` is the standard library's ThreadingHTTPServer
    (a thread per connection, Nagle off);
  - its own capacity first: `wrk` posting a delivery-sized body on one keep-alive connection (the
    hub's shape: one connection per endpoint, one request at a time) and on `--endpoints`
    connections when more, so the deliveries/s below can be compared with what the receiver
    alone takes; then the receiver's counts are reset;
  - imports the bundled `contacts-100k.csv` into the child key's organization and creates a
    project on a non-metered campaign with a free 10DLC number (`{first_name|there}`, no link
    tracking unless `--link`), as bench/sends.py does;
  - registers the receiver (`POST /_sandbox/webhook-endpoints`, no `events`: every type) once per
    `--endpoints` (paths /hooks/0, /hooks/1, ...), sends each a `webhook.test` event and checks it
    arrives signed, then resets the receiver;
  - idle baseline: the load generator alone against GET /v1/organizations for a few seconds;
  - the send: POST /projects/{id}/schedule (now), then POST /_sandbox/clock/advance far enough for
    every attempt and every later step in one call (more calls only if the window closes). The
    advance returns once every delivery attempt that fell due has been made, so its time is
    mostly deliveries. Then polls until no delivery is pending (`webhooks.pending` of
    /_sandbox/info; GET /_sandbox/webhook-deliveries?status=pending&limit=1 on older builds);
  - meanwhile: the closed-loop load generator (`--conns` keep-alive connections) on
    GET /v1/organizations, and a sampler reading the server's VmRSS every 20 ms and, every 250 ms,
    the receiver's count and /_sandbox/info (events, webhook deliveries pending and in flight).
Reported: deliveries (events of the send x endpoints; the receiver's count, duplicates and the
log's failed ones), wall time from the schedule call until no delivery is pending, deliveries per
second over that time and while the advance ran, the receiver's best one-second rate, the hub's
own attempt latencies (a sample of the log), CPU time of the server (per thread), the receiver,
this script and the rest of the machine over the send (cores busy), the server's peak RSS (VmHWM reset just before the schedule),
and p50/p99/p99*/max of GET /v1/organizations idle and during the send, per call too (`p99*`
corrected for coordinated omission as in bench/sends.py). Writes
bench/results/webhooks-latest.json.

Usage: python3 bench/webhooks.py [--receiver raw|threading] [--endpoints N] [--sample NAME]
                                 [--conns N] [--load-rate R] [--link] [--binary PATH] [--perf]
  --endpoints N   register the receiver N times (each endpoint gets every event: N x deliveries;
                  the hub runs one worker per endpoint, up to 32 attempts in flight); 0: the same
                  send with no endpoint (nothing rendered or delivered), for comparison.
  --conns N       load connections (default 4); 0: no load, the deliveries alone.
  --load-rate R   pace each load connection at R requests/s (default: closed loop, back to back).
  --binary PATH   (or SANDBOX_BIN) use this executable instead of `cargo build --release`.
  --perf          `perf record -g` the server from the schedule call until no delivery is pending.
Only ever talks to 127.0.0.1.
"""
import argparse
import asyncio
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from benchlib import (CHILD_KEY, create_project, drive_send, host_busy_seconds, import_sample, call, cpu_seconds, latency_summary, mb, pct, reset_peak, run_load,
                      sending_setup, status_kb)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
CLOCK_START = "2026-11-03T18:00:00Z"
DEFAULT_RATE = 60.0  # the engine's rate for a campaign that is not carrier-metered
# Steps after the last attempt: sent <= 2 s, receipt <= 20 s after, reply <= 30 min, click <= 2 h.
STEPS_TAIL_SECONDS = 3 * 3600
RECEIVER_ANSWER = b'{"ok":true}'


# ---------------------------------------------------------------------------------------------
# The receiver (its own process)
# ---------------------------------------------------------------------------------------------

class Tally:
    """What the receiver has been sent. Times are CLOCK_MONOTONIC (time.monotonic), the same
    clock in every process, so the benchmark can line them up with its own."""

    def __init__(self, sample_every):
        self.sample_every = sample_every
        self.reset()

    def reset(self):
        self.received = 0
        self.bytes = 0
        self.by_path = {}
        self.by_type = {}
        self.seen = set()
        self.duplicates = 0
        self.first = None
        self.last = None
        self.tenths = {}  # int(monotonic * 10) -> deliveries that arrived in that 100 ms
        self.samples = []

    def post(self, path, headers, body):
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.received += 1
        self.bytes += len(body)
        self.by_path[path] = self.by_path.get(path, 0) + 1
        kind = headers.get("x-event-type", "")
        self.by_type[kind] = self.by_type.get(kind, 0) + 1
        key = (path, headers.get("x-event-id", ""))
        if key in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(key)
        tenth = int(now * 10)
        self.tenths[tenth] = self.tenths.get(tenth, 0) + 1
        if self.received % self.sample_every == 1 or self.sample_every == 1:
            self.samples.append({"path": path, "headers": headers, "body": body.decode("utf-8", "replace")})

    def stats(self, full):
        out = {"received": self.received, "bytes": self.bytes, "by_path": self.by_path,
               "by_type": self.by_type, "duplicates": self.duplicates, "first": self.first,
               "last": self.last}
        if full:
            out["samples"] = self.samples
            out["tenths"] = sorted(self.tenths.items())
        return out


def control(tally, method, path):
    """The receiver's own routes: GET /_stats[?full=1], POST /_reset. None for a delivery."""
    if path.startswith("/_stats"):
        return json.dumps(tally.stats("full=1" in path)).encode()
    if method == "POST" and path == "/_reset":
        tally.reset()
        return RECEIVER_ANSWER
    return None


def answer(body, close=False):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + (b"\r\nConnection: close" if close else b"") + b"\r\n\r\n" + body)


class RawReceiver(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining, Content-Length bodies only (what reqwest sends)."""

    def __init__(self, tally):
        self.tally = tally
        self.buf = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0"))
            if len(self.buf) < end + 4 + n:
                return
            body = self.buf[end + 4:end + 4 + n]
            self.buf = self.buf[end + 4 + n:]
            out = control(self.tally, method, path)
            if out is None:
                self.tally.post(path, headers, body)
                out = RECEIVER_ANSWER
            close = headers.get("connection", "").lower() == "close"
            self.transport.write(answer(out, close))
            if close:
                self.transport.close()
                return


def serve_raw(tally):
    async def run():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: RawReceiver(tally), "127.0.0.1", 0, backlog=256)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await server.serve_forever()
    asyncio.run(run())


def serve_threading(tally):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def reply(self, body):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with lock:
                out = control(tally, "GET", self.path)
            self.reply(out or RECEIVER_ANSWER)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                out = control(tally, "POST", self.path)
                if out is None:
                    tally.post(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.reply(out or RECEIVER_ANSWER)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def receiver_main(kind, sample_every):
    tally = Tally(sample_every)
    (serve_raw if kind == "raw" else serve_threading)(tally)


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def start(cmd):
    """A child printing `http://127.0.0.1:<port>` first: (process, port)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, port


def receiver_stats(rport, full=False):
    conn = http.client.HTTPConnection("127.0.0.1", rport, timeout=60)
    conn.request("GET", "/_stats?full=1" if full else "/_stats")
    out = json.loads(conn.getresponse().read())
    conn.close()
    return out


def receiver_reset(rport):
    conn = http.client.HTTPConnection("127.0.0.1", rport, timeout=60)
    conn.request("POST", "/_reset", body=b"")
    conn.getresponse().read()
    conn.close()


SYNTHETIC_BODY = json.dumps({
    "id": "evt_01KB000000000000000000000000", "event_id": "evt_01KB000000000000000000000000",
    "event_type": "message.delivered", "created_at": "2026-11-03T18:00:00.000Z",
    "data": {"message_id": "msg_01KB000000000000000000000000", "project_id": "prj_01KB0000000000000000000000",
             "organization_id": "org_01KB0000000000000000000000", "to": "+15555550100",
             "from": "+15555550199", "status": "delivered", "segments": 1, "carrier": "T-Mobile",
             "delivered_at": "2026-11-03T18:00:02.000Z"}}, separators=(",", ":"))


def self_test(rport, seconds, conns):
    """The receiver's own rate under wrk (POST of a delivery-sized body, `conns` keep-alive
    connections, one request in flight each): {requests_per_second, p50_ms, p99_ms}."""
    if not shutil.which("wrk"):
        print("warning: wrk not found (apt-get install wrk): the receiver's own rate is not measured",
              file=sys.stderr)
        return None
    os.makedirs(RESULTS, exist_ok=True)
    script = os.path.join(RESULTS, "webhooks-wrk.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(SYNTHETIC_BODY)}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
                'wrk.headers["X-Event-Type"] = "message.delivered"\n'
                f'wrk.headers["X-Webhook-Signature"] = "sha256={"0" * 64}"\n'
                'wrk.headers["X-Timestamp"] = "1795000000"\n')
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{rport}/selftest"], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return round(float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)], 3)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"connections": conns, "seconds": seconds, "requests_per_second": round(rps),
            "p50_ms": ms("50%"), "p99_ms": ms("99%")}


def threads_cpu(pid):
    """{thread name: CPU seconds} over the threads of `pid` (threads of one name summed)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def stalls(samples, t_send, calls, over_ms):
    """The load requests slower than `over_ms`: when (s after the schedule call), how long, on
    which connection, during which call."""
    out = []
    for i, per in enumerate(samples):
        for (t, ms, _) in per:
            if ms > over_ms:
                during = next((w for (w, st, s, _, _) in calls if st <= t < st + s), None)
                out.append({"at_s": round(t - t_send, 3), "ms": round(ms, 1), "connection": i, "during": during})
    return sorted(out, key=lambda r: r["at_s"])


def hooks(info):
    """/_sandbox/info's `webhooks` counts (deliveries, pending, failed, in_flight, endpoints);
    None from a build that does not report them."""
    return info.get("webhooks")


def sampler(pid, port, rport, stop, rss_out, progress_out):
    """VmRSS every 20 ms; every 250 ms the receiver's count and /_sandbox/info's event count."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    rconn = http.client.HTTPConnection("127.0.0.1", rport, timeout=600)
    t0 = time.perf_counter()
    next_info = 0.0
    while not stop.is_set():
        now = time.perf_counter() - t0
        try:
            rss_out.append((now, status_kb(pid, "VmRSS")))
        except OSError:
            return
        if now >= next_info:
            next_info = now + 0.25
            try:
                rconn.request("GET", "/_stats")
                received = json.loads(rconn.getresponse().read())["received"]
                t = time.perf_counter()
                conn.request("GET", "/_sandbox/info")
                info = json.loads(conn.getresponse().read())["data"]
                c, w = info["counts"], hooks(info) or {}
                progress_out.append((now, (time.perf_counter() - t) * 1000, received, c["events"],
                                     c["steps_pending"], w.get("pending"), w.get("in_flight")))
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                for c_ in (conn, rconn):
                    c_.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                rconn = http.client.HTTPConnection("127.0.0.1", rport, timeout=600)
        time.sleep(0.02)
    conn.close()
    rconn.close()


def verify(samples, secrets):
    """Checks each sampled delivery: signature (HMAC-SHA256 of the raw body under its endpoint's
    secret), and the X-Event-ID / X-Event-Type headers against the body. (checked, problems)."""
    problems = []
    for s in samples:
        h = s["headers"]
        body = s["body"].encode()
        secret = secrets.get(s["path"])
        want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else None
        if not hmac.compare_digest(h.get("x-webhook-signature", ""), want or "-"):
            problems.append(f"{s['path']}: bad signature {h.get('x-webhook-signature')!r}")
            continue
        doc = json.loads(body)
        if doc.get("event_id") != h.get("x-event-id") or doc.get("event_type") != h.get("x-event-type"):
            problems.append(f"{s['path']}: headers {h.get('x-event-id')}/{h.get('x-event-type')} vs body "
                            f"{doc.get('event_id')}/{doc.get('event_type')}")
    return len(samples), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--receiver", choices=("raw", "threading"), default="raw")
    ap.add_argument("--endpoints", type=int, default=1, help="endpoints registered at the receiver (default 1)")
    ap.add_argument("--send-rate", type=float, default=None)
    ap.add_argument("--link", action="store_true", help="link tracking on (adds clicks)")
    ap.add_argument("--conns", type=int, default=4, help="load-generator connections (default 4; 0: no load)")
    ap.add_argument("--load-rate", type=float, default=0,
                    help="requests per second per load connection, paced and timed from when each was due "
                         "(default 0: closed loop, back to back, as bench/sends.py)")
    ap.add_argument("--sample", default="contacts-100k.csv")
    ap.add_argument("--sample-every", type=int, default=100, help="the receiver keeps every N-th delivery")
    ap.add_argument("--idle-seconds", type=float, default=3.0)
    ap.add_argument("--self-test-seconds", type=float, default=3.0)
    ap.add_argument("--binary", default=os.environ.get("SANDBOX_BIN"))
    ap.add_argument("--perf", action="store_true",
                    help="record the server with `perf record -g` from the schedule call until no delivery "
                         "is pending (bench/results/webhooks.perf.data)")
    ap.add_argument("--serve-receiver", choices=("raw", "threading"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_receiver:
        receiver_main(args.serve_receiver, args.sample_every)
        return

    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    cmd = [binary, "serve", "--port", "0", "--clock", "manual", "--rate-limit", "off",
           "--clock-start", CLOCK_START]
    if args.send_rate:
        cmd += ["--send-rate", f"{args.send_rate:g}"]
    receiver, rport = start([sys.executable, os.path.abspath(__file__), "--serve-receiver", args.receiver,
                             "--sample-every", str(args.sample_every)])
    proc = None
    try:
        # --- the receiver alone --------------------------------------------------------------
        capacity = [self_test(rport, args.self_test_seconds, 1)]
        if args.endpoints > 1:
            capacity.append(self_test(rport, args.self_test_seconds, args.endpoints))
        capacity = [c for c in capacity if c]
        receiver_reset(rport)

        proc, port = start(cmd)
        base = f"http://127.0.0.1:{port}"
        pid = proc.pid
        idle_rss = status_kb(pid, "VmRSS")
        load_at_start = os.getloadavg()[0]

        # --- the list and the project (as bench/sends.py) --------------------------------------
        org, campaign, number = sending_setup(base)
        list_id, detail, import_s, _ = import_sample(base, org, args.sample, "webhooks bench")
        contacts = detail["import"]["clean_contacts"]
        project, _, message_text = create_project(base, org, campaign, number, list_id, "Webhooks bench",
                                    "Hi {first_name|there}, polls close at 7:30pm.", link=args.link)
        pid_ = project["id"]
        recipients = project.get("total_recipients", contacts)

        # --- the endpoints: registered after the import, so only the send's events go out -----
        secrets = {}
        for i in range(args.endpoints):
            path = f"/hooks/{i}"
            e = call(base, "POST", "/_sandbox/webhook-endpoints",
                     {"name": f"bench receiver {i}", "url": f"http://127.0.0.1:{rport}{path}"})["data"]
            secrets[path] = e["secret"]
            call(base, "POST", f"/_sandbox/webhook-endpoints/{e['id']}/test")
        deadline = time.monotonic() + 10
        while receiver_stats(rport)["received"] < args.endpoints and time.monotonic() < deadline:
            time.sleep(0.05)
        test = receiver_stats(rport, full=True)
        checked, problems = verify(test["samples"], secrets)
        if test["received"] != args.endpoints or problems:
            raise SystemExit(f"webhook.test: receiver got {test['received']} of {args.endpoints}; {problems}")
        receiver_reset(rport)

        # --- idle baseline -------------------------------------------------------------------
        stop = threading.Event()
        threads, idle_samples = run_load(port, args.conns, stop, args.load_rate)
        if args.conns:
            time.sleep(args.idle_seconds)
        stop.set()
        for t in threads:
            t.join()
        idle = latency_summary(idle_samples)

        # --- the send ------------------------------------------------------------------------
        rate = args.send_rate or DEFAULT_RATE
        info_before_all = call(base, "GET", "/_sandbox/info")["data"]
        info_before, hooks_before = info_before_all["counts"], hooks(info_before_all)
        rss_before = status_kb(pid, "VmRSS")
        peak_whole_run = status_kb(pid, "VmHWM")
        peak_is_send_only = reset_peak(pid)

        stop_sampler, rss_samples, progress = threading.Event(), [], []
        sampler_t = threading.Thread(target=sampler, args=(pid, port, rport, stop_sampler, rss_samples, progress),
                                     daemon=True)
        sampler_t.start()
        stop = threading.Event()
        threads, busy_samples = run_load(port, args.conns, stop, args.load_rate)
        time.sleep(0.2)  # the load is running before the send starts

        calls = []  # (what, wall start, wall seconds, sandbox seconds advanced or None, status after)
        perf = None
        if args.perf:
            perf_data = os.path.join(RESULTS, "webhooks.perf.data")
            os.makedirs(RESULTS, exist_ok=True)
            perf = subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-p", str(pid), "-o", perf_data],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # perf attaches

        cpu_before = {"server": cpu_seconds(pid), "receiver": cpu_seconds(receiver.pid),
                      "bench": cpu_seconds(os.getpid()), "host": host_busy_seconds()}
        server_threads_before = threads_cpu(pid)
        t_send = time.perf_counter()
        schedules = drive_send(base, pid_, CHILD_KEY, recipients, rate,
                               info_before["messages_attempted"], STEPS_TAIL_SECONDS, calls)
        # The advance waited for every attempt that fell due; a retry due later stays pending
        # until the clock passes it (the whole schedule is 84 sandbox seconds).
        start_ = time.perf_counter()
        drain_advances = 0
        def pending():
            if hooks_before is not None:
                return hooks(call(base, "GET", "/_sandbox/info")["data"])["pending"]
            return len(call(base, "GET", "/_sandbox/webhook-deliveries?status=pending&limit=1")["data"])
        while pending():
            time.sleep(0.05)
            if time.perf_counter() - start_ > 1.0 + drain_advances:
                call(base, "POST", "/_sandbox/clock/advance", {"seconds": 120}, timeout=3600)
                drain_advances += 1
                if drain_advances > 10:
                    raise SystemExit("deliveries still pending after 10 more advances")
        calls.append(("drain", start_, time.perf_counter() - start_, 120 * drain_advances or None, None))
        t_done = time.perf_counter()
        send_s = t_done - t_send
        cpu = {"server": cpu_seconds(pid) - cpu_before["server"],
               "receiver": cpu_seconds(receiver.pid) - cpu_before["receiver"],
               "bench": cpu_seconds(os.getpid()) - cpu_before["bench"],
               "host": host_busy_seconds() - cpu_before["host"]}
        cpu["others"] = max(0.0, cpu["host"] - cpu["server"] - cpu["receiver"] - cpu["bench"])
        server_threads = {k: v - server_threads_before.get(k, 0.0) for k, v in threads_cpu(pid).items()}
        if perf:
            perf.send_signal(2)
            perf.wait(timeout=60)
            print(f"perf: {perf_data} (perf report -i {perf_data} --no-children)", file=sys.stderr)
        stop.set()
        for t in threads:
            t.join()
        stop_sampler.set()
        sampler_t.join()
        # Closed loop: the expected interval between a connection's requests is its idle mean
        # latency. Paced: latencies already count from when each request was due.
        interval = None if args.load_rate else args.idle_seconds * 1000 * args.conns / max(1, idle["requests"])
        busy = latency_summary(busy_samples, (t_send, t_done), interval)
        per_call = [latency_summary(busy_samples, (st, st + s), interval) for (_, st, s, _, _) in calls]
        slow = stalls(busy_samples, t_send, calls, 50.0)

        peak_send = status_kb(pid, "VmHWM")
        rss_after = status_kb(pid, "VmRSS")
        info_after = call(base, "GET", "/_sandbox/info")["data"]
        counts, hooks_after = info_after["counts"], hooks(info_after)
        stats = call(base, "GET", f"/v1/projects/{pid_}/stats", key=CHILD_KEY)["data"]
        final = call(base, "GET", f"/v1/projects/{pid_}", key=CHILD_KEY)["data"]
        if hooks_after is not None:
            logged = hooks_after["deliveries"] - hooks_before["deliveries"]
            failed, failed_capped = hooks_after["failed"] - hooks_before["failed"], False
        else:  # an older build: the log's list answers at most 1,000
            logged = None
            failed = len(call(base, "GET", "/_sandbox/webhook-deliveries?status=failed&limit=1000")["data"])
            failed_capped = failed == 1000
        newest = call(base, "GET", "/_sandbox/webhook-deliveries?status=succeeded&limit=1000")["data"]
        attempt_ms = [a["latency_ms"] for d in newest for a in d["attempts"]]
        retried = sum(1 for d in newest if len(d["attempts"]) > 1)
        got = receiver_stats(rport, full=True)
        checked, problems = verify(got["samples"], secrets)

        events = counts["events"] - info_before["events"]
        expected = events * args.endpoints
        wall_deliveries = got["received"] / send_s
        advance_wall = sum(s for (w, _, s, _, _) in calls if w == "advance")
        # Best one-second window of arrivals (ten consecutive 100 ms buckets).
        tenths = dict((int(k), n) for k, n in got["tenths"])
        best, idle_tenths = 0, 0
        if tenths:
            lo, hi = min(tenths), max(tenths)
            idle_tenths = sum(1 for k in range(lo, hi + 1) if k not in tenths)
            window = sum(tenths.get(k, 0) for k in range(lo, lo + 10))
            best = window
            for k in range(lo + 10, hi + 1):
                window += tenths.get(k, 0) - tenths.get(k - 10, 0)
                best = max(best, window)
        # When deliveries ran, on this process's clock (perf_counter is CLOCK_MONOTONIC on Linux).
        first_s = got["first"] - (time.monotonic() - time.perf_counter()) - t_send if got["first"] else None
        last_s = got["last"] - (time.monotonic() - time.perf_counter()) - t_send if got["last"] else None

        timeline = [{"t_s": round(t, 2), "info_ms": round(ms, 1), "received": r,
                     "per_second": round((r - progress[i - 1][2]) / (t - progress[i - 1][0])) if i else None,
                     "events": ev - info_before["events"], "steps_pending": sp, "deliveries_pending": dp,
                     "in_flight": fl}
                    for i, (t, ms, r, ev, sp, dp, fl) in enumerate(progress)]
        m = stats.get("metrics") or {}
        result = {
            "sample": args.sample,
            "receiver": args.receiver,
            "endpoints": args.endpoints,
            "receiver_capacity": capacity,
            "send_rate_per_second": rate,
            "message_text": message_text,
            "link_tracking": args.link,
            "recipients": recipients,
            "import_s": round(import_s, 3),
            "send_wall_s": round(send_s, 3),
            "schedule_calls": schedules,
            "advance_calls": sum(1 for c in calls if c[0] == "advance"),
            "drain_advances": drain_advances,
            "calls": [{"call": w, "wall_s": round(s, 3), "sandbox_seconds": adv, "status_after": st,
                       "organizations": lat}
                      for (w, _, s, adv, st), lat in zip(calls, per_call)],
            "project_status": final["status"],
            "metrics": m,
            "events_during_send": events,
            "deliveries_expected": expected,
            "received": got["received"],
            "received_by_type": got["by_type"],
            "received_by_path": got["by_path"],
            "received_bytes": got["bytes"],
            "duplicates": got["duplicates"],
            "deliveries_logged": logged,
            "failed": failed,
            "failed_capped": failed_capped,
            "info_webhooks_before": hooks_before,
            "info_webhooks_after": hooks_after,
            "signatures_checked": checked,
            "signature_problems": problems[:10],
            "deliveries_per_second": round(wall_deliveries, 1),
            "deliveries_per_second_during_advance": round(got["received"] / advance_wall, 1) if advance_wall else None,
            "best_one_second": best,
            # 100 ms spans between the first and the last delivery in which none arrived.
            "receiver_idle_s": round(idle_tenths / 10, 1),
            "first_delivery_s": round(first_s, 3) if first_s is not None else None,
            "last_delivery_s": round(last_s, 3) if last_s is not None else None,
            # The log keeps whole milliseconds: below 1 ms an attempt reads 0.
            "hub_attempt_latency_ms": {"sample": len(attempt_ms), "at_least_1ms": sum(1 for a in attempt_ms if a >= 1),
                                       "p99": pct(attempt_ms, 99), "max": max(attempt_ms) if attempt_ms else None,
                                       "retried_in_sample": retried},
            "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
            "cores_busy": {k: round(v / send_s, 2) for k, v in cpu.items()},
            "server_threads_cpu_seconds": {k: round(v, 2) for k, v in sorted(server_threads.items(), key=lambda kv: -kv[1])
                                           if v >= 0.01},
            "idle_rss_mb": mb(idle_rss),
            "rss_before_send_mb": mb(rss_before),
            "peak_rss_before_send_mb": mb(peak_whole_run),
            "peak_rss_send_mb": mb(peak_send),
            "peak_is_send_only": peak_is_send_only,
            "peak_rss_sampled_mb": mb(max(kb for _, kb in rss_samples)) if rss_samples else None,
            "rss_after_send_mb": mb(rss_after),
            "organizations_idle": idle,
            "organizations_during_send": busy,
            "organizations_stalls_over_50ms": slow[:100],
            "load_connections": args.conns,
            "load_rate_per_connection": args.load_rate or None,
            "expected_interval_ms": round(interval, 4) if interval else None,
            "cores": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "timeline": timeline,
        }
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "webhooks-latest.json"), "w") as f:
            json.dump(result, f, indent=2)

        print(f"{recipients} recipients, {rate:g} msg/s (sandbox); receiver {args.receiver}, "
              f"{args.endpoints} endpoint(s)")
        for c in capacity:
            print(f"receiver alone (wrk POST, {c['connections']} connection(s)): {c['requests_per_second']} req/s, "
                  f"p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms")
        print(f"import {import_s:.2f} s")
        print(f"send: {schedules} schedule call(s), {result['advance_calls']} advance call(s):")
        for (w, _, s, adv, st) in calls:
            what = f"{w} +{adv} s" if adv else w
            print(f"  {what:20s} {s:8.3f} s" + (f"  -> {st}" if st else ""))
        print(f"  status {final['status']}, events {events} (sent {m.get('sent')}, delivered {m.get('delivered')}, "
              f"undeliverable {m.get('undeliverable')}, replies {m.get('replies')}, opt-outs {m.get('opt_outs')}, "
              f"clicks {m.get('clicks_total')})")
        print()
        print(f"{'deliveries expected (events x endpoints)':44s}{expected:12d}")
        print(f"{'received by the receiver':44s}{got['received']:12d}")
        if logged is not None:
            print(f"{'deliveries in the log (during the send)':44s}{logged:12d}")
        print(f"{'duplicates / failed in the log':44s}{got['duplicates']:>6d} / {failed}"
              + ("+" if failed_capped else ""))
        print(f"{'signatures checked (problems)':44s}{checked:>6d} ({len(problems)})")
        if problems:
            print(f"  {problems[:5]}")
        print(f"{'wall: schedule -> none pending (s)':44s}{send_s:12.2f}")
        print(f"{'  first / last delivery at (s)':44s}{first_s or 0:6.2f} / {last_s or 0:.2f}")
        print(f"{'deliveries/s (over the wall time)':44s}{wall_deliveries:12.0f}")
        print(f"{'deliveries/s (during the advance call)':44s}{result['deliveries_per_second_during_advance'] or 0:12.0f}")
        print(f"{'deliveries/s (best one-second window)':44s}{best:12d}")
        print(f"{'receiver idle (100 ms spans with none, s)':44s}{idle_tenths / 10:12.1f}")
        h = result["hub_attempt_latency_ms"]
        print(f"{'hub attempts >= 1 ms (of the last 1000), max':44s}{h['at_least_1ms']:>6d}, {h['max']} ms")
        cb = result["cores_busy"]
        print(f"{'cores busy: server/receiver/script/others':44s}{cb['server']:>6.2f} / {cb['receiver']:.2f} / "
              f"{cb['bench']:.2f} / {cb['others']:.2f} (of {os.cpu_count()})")
        if cb["others"] > 0.2:
            print(f"  warning: other processes used {cb['others']:.2f} cores during the send: the numbers are skewed")
        print(f"{'server CPU by thread (s)':44s}" + ", ".join(f"{k} {v}" for k, v in
                                                             list(result["server_threads_cpu_seconds"].items())[:6]))
        print(f"{'peak RSS during send (MB)':44s}{mb(peak_send):12.1f}"
              + ("" if peak_is_send_only else "  (VmHWM not reset: whole run)"))
        print(f"{'RSS before / after send (MB)':44s}{mb(rss_before):>6.1f} / {mb(rss_after):.1f}")
        print("results: bench/results/webhooks-latest.json")
        if not args.conns:
            return
        print()
        if args.load_rate:
            print(f"GET /v1/organizations, {args.conns} connection(s) x {args.load_rate:g} requests/s, paced "
                  f"(latency from when each request was due):")
        else:
            print(f"GET /v1/organizations, {args.conns} connection(s), closed loop "
                  f"(p99* corrected for coordinated omission, interval {interval:.3f} ms):")
        print(f"  {'':20s}{'requests':>9s}{'p50 ms':>10s}{'p99 ms':>10s}{'p99* ms':>10s}{'max ms':>10s}{'non-200':>9s}")

        def row(name, s):
            star = s.get("p99_corrected_ms")
            star = f"{star:10.2f}" if star is not None else f"{'':10s}"
            print(f"  {name:20s}{s['requests']:9d}{s['p50_ms']:10.2f}{s['p99_ms']:10.2f}{star}"
                  f"{s['max_ms']:10.2f}{s['non_200']:9d}")
        row("idle", idle)
        row("during the send", busy)
        for i, c in enumerate(busy["per_connection"]):
            row(f"  connection {i}", c)
        for (w, _, s, _, _), lat in zip(calls, per_call):
            if lat["requests"]:
                row(f"  during {w}", lat)
        if busy["errors"]:
            print(f"  errors: {busy['errors']}")
        if slow:
            print(f"  {len(slow)} request(s) over 50 ms, the longest: " + ", ".join(
                f"{r['ms']:.0f} ms at {r['at_s']:.2f} s (conn {r['connection']})"
                for r in sorted(slow, key=lambda r: -r["ms"])[:5]))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        receiver.terminate()
        receiver.wait(timeout=30)


if __name__ == "__main__":
    main()
