"""What the benchmark scripts share: JSON calls to the sandbox, the server's memory and CPU time
from /proc, percentiles, the closed-loop GET /v1/organizations load generator and its summaries,
and the sending setup of the child key's organization. Only ever talks to the base URL or port it
is given (127.0.0.1 in every script)."""
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.request

ROOT_KEY = "pc_test_SandboxRootKey0000000000"
CHILD_KEY = "pc_test_SandboxChildKey000000000"


def request(base, method, path, body=None, key=None, raw=None, timeout=300):
    """The raw answer of `method path`, with a JSON `body` or `raw` CSV bytes."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if raw is not None:
        req.add_header("Content-Type", "text/csv")
    if key:
        req.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path} -> {e.code}: {e.read()[:500]!r}")


def call(base, method, path, body=None, key=None, timeout=300):
    """The JSON answer of `method path`; an HTTP error ends the benchmark with its body."""
    return json.loads(request(base, method, path, body=body, key=key, timeout=timeout))


def timed_call(base, method, path, body=None, key=None):
    t = time.perf_counter()
    out = call(base, method, path, body, key)
    return out, time.perf_counter() - t


def status_kb(pid, field):
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM), 0 when absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def mb(kb):
    return round(kb / 1024, 1)


def reset_peak(pid):
    """Resets VmHWM to the current RSS (Linux 4.0+); False when the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values, p):
    """The p-th percentile (nearest rank) of `values`; NaN when there are none."""
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]


def load(port, stop, out, rate=None):
    """GET /v1/organizations on one keep-alive connection: (start, ms, status) per request. Back to
    back (closed loop) by default; with `rate`, paced at `rate` requests per second, each timed from
    when it was due, so a stall also counts against the requests that should have gone out
    meanwhile (no coordinated omission)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"X-API-Key": ROOT_KEY}
    due = time.perf_counter()
    while not stop.is_set():
        if rate:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            t = due
            due += 1 / rate
        else:
            t = time.perf_counter()
        try:
            conn.request("GET", "/v1/organizations", headers=headers)
            r = conn.getresponse()
            r.read()
            status = r.status
        except (OSError, http.client.HTTPException) as e:
            status = f"{type(e).__name__}: {e}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        out.append((t, (time.perf_counter() - t) * 1000, status))
    conn.close()


def run_load(port, conns, stop, rate=None):
    samples = [[] for _ in range(conns)]
    threads = [threading.Thread(target=load, args=(port, stop, samples[i], rate), daemon=True)
               for i in range(conns)]
    for t in threads:
        t.start()
    return threads, samples


def corrected(ms, interval):
    """Closed-loop latencies corrected for coordinated omission (HdrHistogram's
    recordValueWithExpectedInterval): a request that took L while requests normally come every
    `interval` also stands for the requests a steady client would have sent meanwhile, which would
    have waited L - interval, L - 2 x interval, ..."""
    out = []
    for m in ms:
        out.append(m)
        missed = m - interval
        while interval > 0 and missed >= interval:
            out.append(missed)
            missed -= interval
    return out


def latency_summary(samples, window=None, interval=None):
    """p50/p99/max of the load requests (all, or those overlapping `window` = (start, end) in
    perf_counter seconds), per connection too; with `interval` (ms), also the corrected p99."""
    if window:
        a, b = window
        samples = [[r for r in per if r[0] < b and r[0] + r[1] / 1000 > a] for per in samples]
    flat = [r for per in samples for r in per]

    def stats(rows):
        ms = [m for (_, m, _) in rows]
        return {
            "requests": len(ms),
            "non_200": sum(1 for (_, _, s) in rows if s != 200),
            "p50_ms": round(pct(ms, 50), 3),
            "p99_ms": round(pct(ms, 99), 3),
            "max_ms": round(max(ms), 3) if ms else float("nan"),
        }
    out = stats(flat)
    if interval:
        out["p99_corrected_ms"] = round(pct(corrected([m for (_, m, _) in flat], interval), 99), 3)
    out["errors"] = sorted({str(s) for (_, _, s) in flat if s != 200})[:5]
    out["per_connection"] = [stats(per) for per in samples]
    return out


def sending_setup(base):
    """A non-metered 10DLC campaign of the child key's org with a free active number:
    (org, campaign, number), as tests/api/sends.rs `sending_setup` finds it."""
    keys = call(base, "GET", "/_sandbox/keys")["data"]
    org = next(k["organization_id"] for k in keys if k["key"] == CHILD_KEY)
    campaigns = call(base, "GET", f"/v1/campaigns?organization_id={org}", key=CHILD_KEY)["data"]
    numbers = call(base, "GET", "/v1/phone-numbers?channel=10dlc", key=CHILD_KEY)["data"]
    held = set()
    for p in call(base, "GET", "/v1/projects", key=CHILD_KEY)["data"]:
        if p["status"] in ("scheduled", "sending", "paused"):
            held.update(call(base, "GET", f"/v1/projects/{p['id']}", key=CHILD_KEY)["data"]["phone_number_ids"])
    for c in campaigns:
        if c["org_id"] != org:
            continue
        throughput = call(base, "GET", f"/v1/campaigns/{c['id']}/throughput", key=CHILD_KEY)["data"]
        if throughput["carrier_metered"]:
            continue
        free = [n for n in numbers if n["campaign_id"] == c["id"] and n["org_id"] == org
                and n["status"] == "active" and n["id"] not in held]
        if free:
            return org, c, free[0]
    raise SystemExit("the child org has no non-metered campaign with a free active 10DLC number")


def host_busy_seconds():
    """CPU seconds the whole machine has spent busy (every core, every process; /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def import_sample(base, org, sample, list_name, key=CHILD_KEY):
    """Imports the hosted `sample` (by its presigned URL) into `org`, advancing the manual clock a
    minute at a time until the list is ready. Returns (list_id, detail, seconds, advances); the
    seconds run from the import call (the sample is generated before it, on first download)."""
    import time
    import urllib.request

    files = call(base, "GET", "/_sandbox/files")["data"]
    url = next(f["url"] for f in files if f["name"] == sample)
    urllib.request.urlopen(url, timeout=300).read()
    t0 = time.perf_counter()
    list_id = call(base, "POST", "/v1/contact-lists/import",
                   {"source_url": url, "list_name": list_name, "phone_column": "phone",
                    "organization_id": org}, key)["data"]["list_id"]
    advances = 0
    while True:
        detail = call(base, "GET", f"/v1/contact-lists/{list_id}", key=key)["data"]
        if detail["import"]["status"] in ("ready", "failed"):
            break
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 60})
        advances += 1
    seconds = time.perf_counter() - t0
    if detail["import"]["status"] != "ready":
        raise SystemExit(f"import failed: {detail['import']}")
    return list_id, detail, seconds, advances


def create_project(base, org, campaign, number, list_id, name, text, link=False, key=CHILD_KEY):
    """A broadcast over `list_id` from `number` of `campaign` (as `sending_setup` returns them),
    with link tracking (`{link}` appended) when `link`. Returns (project, seconds, the message
    text as sent)."""
    body = {"organization_id": org, "brand_id": campaign["brand_id"], "campaign_id": campaign["id"],
            "phone_number_ids": [number["id"]], "contact_list_ids": [list_id], "name": name,
            "protocol": "sms", "message_text": text}
    if link:
        domains = call(base, "GET", "/v1/tracking-domains", key=key)["data"]
        body["message_text"] = text + " {link}"
        body.update({"link_tracking_enabled": True,
                     "link_tracking_destination_url": "https://vote.example.org/find",
                     "link_tracking_domain_id": domains[0]["id"]})
    created, seconds = timed_call(base, "POST", "/v1/projects", body, key)
    return created["data"], seconds, body["message_text"]


def drive_send(base, project_id, key, recipients, rate, attempted_before, tail_seconds, calls,
               timeout=3600):
    """Schedules `project_id` now and advances the manual clock until it is `completed` with no
    step pending. Should the sending window close first (`quiet_hours`), it schedules again and
    advances again. Each call is appended to `calls` as (name, start, seconds, sandbox seconds,
    status after). Returns how many schedule calls it took."""
    import math
    import time

    def schedule():
        now = call(base, "GET", "/_sandbox/clock")["data"]["now"]
        start = time.perf_counter()
        call(base, "POST", f"/v1/projects/{project_id}/schedule",
             {"scheduled_at": now, "scheduled_timezone": "America/New_York"}, key)
        calls.append(("schedule", start, time.perf_counter() - start, None, None))

    advance_s = math.ceil(recipients / rate) + tail_seconds
    schedule()
    schedules = 1
    for _ in range(50):
        start = time.perf_counter()
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": advance_s}, timeout=timeout)
        took = time.perf_counter() - start
        p = call(base, "GET", f"/v1/projects/{project_id}", key=key)["data"]
        info = call(base, "GET", "/_sandbox/info")["data"]["counts"]
        calls.append(("advance", start, took, advance_s, p["status"]))
        if p["status"] == "completed" and info["steps_pending"] == 0:
            return schedules
        if p["status"] == "paused":
            if p.get("pause_reason") != "quiet_hours":
                raise SystemExit(f"the send paused for {p.get('pause_reason')}: {p}")
            # The window closed: resume at once (the engine waits for the next window).
            schedule()
            schedules += 1
        left = recipients - info["messages_attempted"] + attempted_before
        advance_s = max(3600, math.ceil(left / rate) + tail_seconds)
    raise SystemExit("the send did not complete within 50 advance calls")
