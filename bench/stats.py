#!/usr/bin/env python3
"""Stats and ledger benchmark: latency of the four stats endpoints over a world whose seeded
history holds at least 10 million messages, against a cheap endpoint measured the same way.

The sandbox keeps stats as per-day aggregates (organization, UTC day, campaign) with 180 days of
seeded history before the clock start; `serve --history-scale F` multiplies the seeded daily
volumes. A query costs O(days x organizations in scope x campaigns), whatever the message count
behind the cells, and may only start 180 days back (90 for /projects/stats), so "10 million
messages over a year" is built as worlds of the same shape with different volumes:

  10M/180d   --scale F (default 12): the 180 queryable days alone hold >= 10,000,000 messages
             (summed with GET /v1/messages/stats over consecutive 31-day windows; the script
             stops if the total falls short);
  10M/year   --year-scale (default F x 180/365): the daily volume of 10,000,000 messages a year;
             only its last 180 days exist (and are queryable);
  default    --history-scale 1, the seeded world everyone gets (skip with --no-default).

Per world, against the release binary (`serve --port 0 --clock manual --rate-limit off
--clock-start 2026-11-03T18:00:00Z --history-scale F`) and the root key:
  - the totals: totalMessages (inbound replies included) and outbound (without `received`) over
    the queryable window, 31 days at a time;
  - the latest 31 days (today included, so live counters count) on
      /v1/messages/stats                 root scope (the whole tree), organizationId, brandId
      /v1/ledger/usage                   root scope, organizationId, brandId
      /v1/ledger/usage/by-initiator      root scope, organizationId (it takes no brandId)
      /v1/projects/stats                 root scope, organizationId, brandId (90-day rule)
    the organization and brand being those with the most messages in that range; and
      /v1/organizations                  the cheap baseline, measured first and last;
  - per target: a warm-up, then --requests requests (2000) on one keep-alive connection back to
    back (sequential, Python's http.client: every request timed, ~0.05-0.1 ms of the client's own
    included), then --seconds (3) of wrk with 2 threads and --conns (4) keep-alive connections,
    closed loop (`--client python`: one Python process per connection instead). Recorded:
    p50/p99/max, req/s, body size, the server's CPU time per request (/proc/<pid>/stat) and the
    CPU the rest of the machine used meanwhile (/proc/stat minus the server and this script's
    processes, as a share of all cores);
  - --rounds (3) rounds over all targets, round-robin; per target the round during which the rest
    of the machine used the least CPU is reported (all rounds are in the JSON and the table's
    last column), since other work on a 2-core machine skews a p99 more than anything measured.
With --with-send (the 10M/180d world): then imports the bundled contacts-1m.csv into the child
key's organization, sends it to completion as bench/sends.py does (the manual clock advanced in
one call), and measures everything again, so the live counters of 1,000,000 more messages are part
of the aggregates. The send moves the clock past midnight UTC: the ranges follow the clock.

Goal (the issue): p99 under 2 ms for each stats query. Prints a table per world, writes
bench/results/stats-latest.json; `ENFORCE=1` exits 3 on a miss. --perf records the server with
`perf record --call-graph dwarf` during one more sequential pass of each root-scope stats target
and prints the inclusive share of its parts (bench/results/stats-10m-*.perf.data).

Usage: python3 bench/stats.py [--scale F] [--year-scale F] [--no-year] [--no-default]
                              [--with-send] [--requests N] [--seconds S] [--conns N] [--rounds R]
                              [--warmup N] [--client wrk|python] [--binary PATH] [--perf]
Only ever talks to 127.0.0.1.
"""
import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from benchlib import (CHILD_KEY, call, cpu_seconds, create_project, drive_send, host_busy_seconds,
                      import_sample, mb, pct, sending_setup, status_kb)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK_START = "2026-11-03T18:00:00Z"
ROOT_KEY = "pc_test_SandboxRootKey0000000000"
GOAL_MESSAGES = 10_000_000
GOAL_P99_MS = 2.0
MAX_AGE_DAYS = 180
PROJECT_MAX_AGE_DAYS = 90
RANGE_DAYS = 31
SEND_RATE = 60.0  # the engine's rate for a campaign that is not carrier-metered
STEPS_TAIL_SECONDS = 3 * 3600  # receipts, replies and clicks after the last attempt


def own_seconds():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_requests(port, path, n, start_at=None):
    """`n` GETs of `path` on one keep-alive connection, back to back: (t0, t1, [ms], [status],
    bytes of the last body). With `start_at` (perf_counter, shared by processes on Linux), waits
    until then so the connections start together."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()
    headers = {"X-API-Key": ROOT_KEY}
    ms, statuses, size = [], [], 0
    if start_at is not None:
        while time.perf_counter() < start_at:
            time.sleep(0.0005)
    t0 = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            status = r.status
            size = len(body)
        except (OSError, http.client.HTTPException) as e:
            status = f"{type(e).__name__}: {e}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        ms.append((time.perf_counter() - t) * 1000)
        statuses.append(status)
    t1 = time.perf_counter()
    conn.close()
    return t0, t1, ms, statuses, size


def _worker(port, path, n, start_at, pipe):
    pipe.send(run_requests(port, path, n, start_at))
    pipe.close()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def measure_wrk(port, pid, path, seconds, conns):
    """wrk (2 threads, `conns` keep-alive connections, closed loop) for `seconds`."""
    cpu0 = cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t", str(min(2, conns)), "-c", str(conns), "-d", f"{max(1, round(seconds))}s", "--latency",
                          "-H", f"X-API-Key: {ROOT_KEY}", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu0
    lat = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    dist = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "tool": "wrk",
        "requests": requests,
        "connections": conns,
        "seconds": seconds,
        "non_200": int(non2xx.group(1)) if non2xx else 0,
        "errors": [f"socket errors: {sock.group(1)}"] if sock else [],
        "p50_ms": round(wrk_ms(dist["50"]), 3),
        "p99_ms": round(wrk_ms(dist["99"]), 3),
        "max_ms": round(wrk_ms(lat.group(3)), 3),
        "mean_ms": round(wrk_ms(lat.group(1)), 3),
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
        "body_bytes": None,
        "server_cpu_us_per_request": round(cpu / max(1, requests) * 1e6, 1),
    }


def measure(port, pid, path, n, conns):
    """`n` requests in all, on `conns` connections (one process each unless 1)."""
    cpu0 = cpu_seconds(pid)
    if conns == 1:
        parts = [run_requests(port, path, n)]
    else:
        ctx = multiprocessing.get_context("fork")
        start_at = time.perf_counter() + 0.3
        procs, pipes = [], []
        for i in range(conns):
            a, b = ctx.Pipe(duplex=False)
            share = n // conns + (1 if i < n % conns else 0)
            p = ctx.Process(target=_worker, args=(port, path, share, start_at, b), daemon=True)
            p.start()
            procs.append(p)
            pipes.append(a)
        parts = [a.recv() for a in pipes]
        for p in procs:
            p.join()
    cpu = cpu_seconds(pid) - cpu0
    t0 = min(p[0] for p in parts)
    t1 = max(p[1] for p in parts)
    ms = [m for p in parts for m in p[2]]
    statuses = [s for p in parts for s in p[3]]
    bad = [s for s in statuses if s != 200]
    return {
        "tool": "python",
        "requests": len(ms),
        "connections": conns,
        "non_200": len(bad),
        "errors": sorted({str(s) for s in bad})[:5],
        "p50_ms": round(pct(ms, 50), 3),
        "p99_ms": round(pct(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "rps": round(len(ms) / (t1 - t0), 1),
        "body_bytes": parts[-1][4],
        "server_cpu_us_per_request": round(cpu / len(ms) * 1e6, 1),
    }


# --- the world -------------------------------------------------------------------------------------

def day(s):
    return datetime.date.fromisoformat(s[:10])


def today_of(base):
    return day(call(base, "GET", "/_sandbox/clock")["data"]["now"])


def stats(base, start, end, extra=""):
    return call(base, "GET", f"/v1/messages/stats?startDate={start}&endDate={end}{extra}", key=ROOT_KEY)["data"]


def totals(base, today):
    """totalMessages and outbound (without `received`) over the queryable window, 31 days at a
    time: from `today` - 180 days to today."""
    windows, total, outbound = [], 0, 0
    first = today - datetime.timedelta(days=MAX_AGE_DAYS)
    while first <= today:
        last = min(today, first + datetime.timedelta(days=RANGE_DAYS - 1))
        s = stats(base, first, last)["summary"]
        n = s["totalMessages"]
        out = n - s["statusBreakdown"].get("received", 0)
        windows.append({"start": str(first), "end": str(last), "total_messages": n, "outbound": out})
        total += n
        outbound += out
        first = last + datetime.timedelta(days=1)
    return {"days": (today - (today - datetime.timedelta(days=MAX_AGE_DAYS))).days + 1,
            "total_messages": total, "outbound": outbound, "windows": windows}


def busiest(base, start, end):
    """The organization and the brand with the most messages from `start` to `end`."""
    orgs = call(base, "GET", "/v1/organizations", key=ROOT_KEY)["data"]
    brands = call(base, "GET", "/v1/brands", key=ROOT_KEY)["data"]
    org = max(orgs, key=lambda o: stats(base, start, end, f"&organizationId={o['id']}")["summary"]["totalMessages"])
    brand = max(brands, key=lambda b: stats(base, start, end, f"&brandId={b['id']}")["summary"]["totalMessages"])
    return org["id"], org.get("display_name"), brand["id"], brand.get("brand_name")


def targets(start, end, org, brand):
    r = f"startDate={start}&endDate={end}"
    out = [("/v1/organizations", "baseline", "/v1/organizations")]
    for ep in ("/v1/messages/stats", "/v1/ledger/usage", "/v1/ledger/usage/by-initiator", "/v1/projects/stats"):
        out.append((ep, "root", f"{ep}?{r}"))
        out.append((ep, "org", f"{ep}?{r}&organizationId={org}"))
        if ep != "/v1/ledger/usage/by-initiator":
            out.append((ep, "brand", f"{ep}?{r}&brandId={brand}"))
    out.append(("/v1/organizations", "baseline again", "/v1/organizations"))
    return out


def measure_one(port, pid, path, args):
    """One round of one target: warm-up, sequential, concurrent, and the CPU the rest of the
    machine used meanwhile (neither the server nor this script and its clients), as a share of
    all cores: other work skews the numbers, see the README."""
    run_requests(port, path, args.warmup)
    t, busy, own, srv = time.perf_counter(), host_busy_seconds(), own_seconds(), cpu_seconds(pid)
    seq = measure(port, pid, path, args.requests, 1)
    if args.client == "wrk":
        conc = measure_wrk(port, pid, path, args.seconds, args.conns)
        conc["body_bytes"] = seq["body_bytes"]
    else:
        conc = measure(port, pid, path, args.requests, args.conns)
    wall = time.perf_counter() - t
    foreign = (host_busy_seconds() - busy) - (own_seconds() - own) - (cpu_seconds(pid) - srv)
    return {"sequential": seq, "concurrent": conc,
            "other_cpu_pct": round(max(0.0, foreign) / (wall * os.cpu_count()) * 100, 1)}


def measure_all(port, pid, tlist, args, label):
    """--rounds rounds over every target (round-robin, so a burst of other work hits one round
    of each rather than every round of one); per target, the round during which the rest of the
    machine used the least CPU is the one reported (every round is kept in the JSON)."""
    rounds = [[] for _ in tlist]
    for k in range(args.rounds):
        for i, (ep, variant, path) in enumerate(tlist):
            m = measure_one(port, pid, path, args)
            rounds[i].append(m)
            for what in ("sequential", "concurrent"):
                if m[what]["non_200"]:
                    print(f"WARNING {label} {ep} {variant} {what}: {m[what]['non_200']} non-200 "
                          f"{m[what]['errors']}", file=sys.stderr)
            print(f"  round {k + 1} {ep} {variant}: p99 {m['sequential']['p99_ms']:.3f} / "
                  f"{m['concurrent']['p99_ms']:.3f} ms, other processes {m['other_cpu_pct']:.0f} % CPU",
                  file=sys.stderr)
    rows = []
    for (ep, variant, path), rs in zip(tlist, rounds):
        best = min(range(len(rs)), key=lambda j: rs[j]["other_cpu_pct"])
        rows.append(dict(rs[best], endpoint=ep, variant=variant, path=path, chosen_round=best + 1,
                         rounds=rs))
    return rows


def print_table(label, rows, conns, client):
    print(f"\n{label}")
    conc = f"{conns} connections ({client})"
    print(f"  {'endpoint':30s}{'scope':15s}{'bytes':>6s} |{'1 connection (python)':^37s}|{conc:^37s}|"
          f"  cpu other| p99 of every round (ms)")
    print(f"  {'':30s}{'':15s}{'':6s} |{'p50':>7s}{'p99':>7s}{'max':>7s}{'req/s':>7s}{'':9s}|"
          f"{'p50':>7s}{'p99':>7s}{'max':>7s}{'req/s':>7s}{'':9s}|us/rq  cpu%| 1 conn; {conns} conns")
    for r in rows:
        s, c = r["sequential"], r["concurrent"]
        base = r["endpoint"] == "/v1/organizations"

        def flag(m):
            return "" if base else ("  ok" if m["p99_ms"] < GOAL_P99_MS else "  MISS")
        err = "" if not (s["non_200"] or c["non_200"]) else f"  non-200: {s['non_200'] + c['non_200']}"
        every = (" ".join(f"{x['sequential']['p99_ms']:.2f}" for x in r["rounds"]) + "; "
                 + " ".join(f"{x['concurrent']['p99_ms']:.2f}" for x in r["rounds"]))
        print(f"  {r['endpoint'][3:]:30s}{r['variant']:15s}{s['body_bytes']:6d} |"
              f"{s['p50_ms']:7.3f}{s['p99_ms']:7.3f}{s['max_ms']:7.2f}{s['rps']:7.0f}{flag(s):9s}|"
              f"{c['p50_ms']:7.3f}{c['p99_ms']:7.3f}{c['max_ms']:7.2f}{c['rps']:7.0f}{flag(c):9s}|"
              f"{c['server_cpu_us_per_request']:5.0f}{r['other_cpu_pct']:6.0f}| {every}{err}")


def start_server(binary, scale):
    cmd = [binary, "serve", "--port", "0", "--clock", "manual", "--rate-limit", "off",
           "--clock-start", CLOCK_START, "--history-scale", f"{scale:g}"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    startup = time.perf_counter() - t
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, int(m.group(1)), startup


def send_million(base):
    """Imports contacts-1m.csv into the child key's org and sends it to completion (see
    bench/sends.py); returns what it did."""
    org, campaign, number = sending_setup(base)
    list_id, detail, import_s, _ = import_sample(base, org, "contacts-1m.csv", "stats bench")
    project, _, _ = create_project(base, org, campaign, number, list_id, "Stats bench",
                                "Hi {first_name|there}, polls close at 7:30pm.")
    pid_ = project["id"]
    recipients = project.get("total_recipients") or detail["import"]["clean_contacts"]
    before = call(base, "GET", "/_sandbox/info")["data"]["counts"]
    t0 = time.perf_counter()
    calls = []
    drive_send(base, pid_, CHILD_KEY, recipients, SEND_RATE, before["messages_attempted"],
               STEPS_TAIL_SECONDS, calls, timeout=600)
    send_s = time.perf_counter() - t0
    p = call(base, "GET", f"/v1/projects/{pid_}", key=CHILD_KEY)["data"]
    after = call(base, "GET", "/_sandbox/info")["data"]["counts"]
    return {"organization_id": org, "campaign_id": campaign["id"], "project_id": pid_, "recipients": recipients,
            "import_s": round(import_s, 2), "send_wall_s": round(send_s, 2), "calls": len(calls),
            "messages_attempted": after["messages_attempted"] - before["messages_attempted"],
            "events": after["events"] - before["events"], "project_status": p["status"]}


def phase(base, port, pid, args, label, filters=None):
    """Totals, then every target measured; `filters` reuses an earlier phase's org and brand."""
    today = today_of(base)
    tot = totals(base, today)
    start, end = today - datetime.timedelta(days=RANGE_DAYS - 1), today
    if filters is None:
        filters = busiest(base, start, end)
    org, org_name, brand, brand_name = filters
    print(f"{label}: {tot['total_messages']:,} messages over the {tot['days']} queryable days "
          f"({tot['outbound']:,} outbound); range {start}..{end}; org {org_name} ({org}), "
          f"brand {brand_name} ({brand})", file=sys.stderr)
    cpu0 = cpu_seconds(pid)
    rows = measure_all(port, pid, targets(start, end, org, brand), args, label)
    return {
        "label": label,
        "today": str(today),
        "range": {"start": str(start), "end": str(end)},
        "totals": tot,
        "organization_filter": {"id": org, "name": org_name},
        "brand_filter": {"id": brand, "name": brand_name},
        "rss_mb": mb(status_kb(pid, "VmRSS")),
        "server_cpu_s": round(cpu_seconds(pid) - cpu0, 2),
        "results": rows,
    }, filters


PERF_KEEP = re.compile(r"pc_sandbox::(sim|domain)::|Serialize for|__libc_send|epoll_wait|String as core::clone|"
                       r"spec_to_string|StrftimeItems|format_escaped_str|_int_malloc|_int_free|memmove")


def perf_pass(port, pid, rows, args, name):
    """`perf record --call-graph dwarf` of the server (the release binary's .eh_frame unwinds it,
    no debug build needed) during a sequential pass of each root-scope stats target; prints the
    inclusive share of the handler's parts (sums, day formatting, serialisation, the socket)."""
    out = {}
    for r in rows:
        if r["endpoint"] == "/v1/organizations" or r["variant"] != "root":
            continue
        slug = r["endpoint"].strip("/").replace("/", "_")
        data = os.path.join(ROOT, "bench", "results", f"stats-{name}-{slug}.perf.data")
        perf = subprocess.Popen(["perf", "record", "-F", "1999", "--call-graph", "dwarf,16384", "-p", str(pid),
                                 "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        run_requests(port, r["path"], min(args.requests, 2000))
        perf.send_signal(2)
        perf.wait(timeout=120)
        rep = subprocess.run(["perf", "report", "-i", data, "--children", "--sort", "sym", "--stdio", "-g", "none",
                              "--percent-limit", "2"], capture_output=True, text=True).stdout
        lines = []
        for line in rep.splitlines():
            if line.startswith("#") or not PERF_KEEP.search(line):
                continue
            cells = line.split()
            if len(cells) >= 4:
                lines.append(f"{cells[0]:>8s} {cells[1]:>8s}  {' '.join(cells[3:]).split('  ')[0][:110]}")
        out[r["endpoint"]] = {"perf_data": data, "top": lines[:14]}
        print(f"\nperf {r['endpoint']} (root scope; % of the server's samples, inclusive / self; "
              f"perf report -i {os.path.relpath(data, ROOT)} --children):")
        for line in lines[:14]:
            print("  " + line)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=12.0,
                    help="history scale of the 10M/180d world (default 12: ~10.6M messages)")
    ap.add_argument("--year-scale", type=float, default=None,
                    help="history scale of the 10M/year world (default scale x 180/365)")
    ap.add_argument("--no-year", action="store_true")
    ap.add_argument("--no-default", action="store_true", help="skip the default world (scale 1)")
    ap.add_argument("--with-send", action="store_true",
                    help="then send 1,000,000 messages in the 10M/180d world and measure again")
    ap.add_argument("--requests", type=int, default=2000, help="per target and mode (default 2000)")
    ap.add_argument("--conns", type=int, default=4, help="concurrent connections (default 4)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--client", choices=("wrk", "python"), default=None,
                    help="concurrent load: wrk (default when installed) or one Python process per connection")
    ap.add_argument("--seconds", type=int, default=3, help="length of each wrk run (default 3)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds over every target; the least disturbed one is reported (default 3)")
    ap.add_argument("--binary", default=os.environ.get("SANDBOX_BIN"))
    ap.add_argument("--perf", action="store_true", help="perf-record one more pass of the stats targets")
    args = ap.parse_args()

    if args.client is None:
        args.client = "wrk" if shutil.which("wrk") else "python"
    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)

    worlds = [("10M/180d", args.scale)]
    if not args.no_year:
        worlds.append(("10M/year", args.year_scale or round(args.scale * MAX_AGE_DAYS / 365, 3)))
    if not args.no_default:
        worlds.append(("default", 1.0))

    result = {"goal_p99_ms": GOAL_P99_MS, "goal_messages": GOAL_MESSAGES, "requests": args.requests,
              "connections": args.conns, "concurrent_client": args.client, "wrk_seconds": args.seconds,
              "rounds": args.rounds, "warmup": args.warmup, "cores": os.cpu_count(),
              "load_average_at_start": os.getloadavg()[0], "clock_start": CLOCK_START, "worlds": []}
    filters = None
    misses = []
    for name, scale in worlds:
        proc, port, startup = start_server(binary, scale)
        try:
            base = f"http://127.0.0.1:{port}"
            pid = proc.pid
            world = {"name": name, "history_scale": scale, "startup_s": round(startup, 2),
                     "idle_rss_mb": mb(status_kb(pid, "VmRSS")), "phases": []}
            result["worlds"].append(world)
            ph, filters = phase(base, port, pid, args, f"{name} (history scale {scale:g})", filters)
            world["phases"].append(ph)
            if name == "10M/180d" and ph["totals"]["total_messages"] < GOAL_MESSAGES:
                raise SystemExit(f"scale {scale:g} gives {ph['totals']['total_messages']:,} messages "
                                 f"over 180 days, under {GOAL_MESSAGES:,}: use a larger --scale")
            if name == "10M/year":
                per_day = ph["totals"]["total_messages"] / ph["totals"]["days"]
                world["messages_per_day"] = round(per_day)
                world["messages_per_365_days"] = round(per_day * 365)
            print_table(f"{name}: history scale {scale:g}, {ph['totals']['total_messages']:,} messages "
                        f"({ph['totals']['outbound']:,} outbound) over {ph['totals']['days']} days; "
                        f"range {ph['range']['start']}..{ph['range']['end']}; ms", ph["results"], args.conns, args.client)
            if args.perf and name == "10M/180d":
                world["perf"] = perf_pass(port, pid, ph["results"], args, "10m")
            if args.with_send and name == "10M/180d":
                print("sending 1,000,000 messages on top ...", file=sys.stderr)
                send = send_million(base)
                world["send"] = send
                print(f"  send: {send}", file=sys.stderr)
                ph2, _ = phase(base, port, pid, args, f"{name} + 1M send", filters)
                world["phases"].append(ph2)
                print_table(f"{name} + a 1,000,000-message send (import {send['import_s']} s, send "
                            f"{send['send_wall_s']} s): {ph2['totals']['total_messages']:,} messages over "
                            f"{ph2['totals']['days']} days; range {ph2['range']['start']}..{ph2['range']['end']}; ms",
                            ph2["results"], args.conns, args.client)
            world["rss_after_mb"] = mb(status_kb(pid, "VmRSS"))
            world["peak_rss_mb"] = mb(status_kb(pid, "VmHWM"))
            for ph_ in world["phases"]:
                for r in ph_["results"]:
                    if r["endpoint"] == "/v1/organizations":
                        continue
                    for mode in ("sequential", "concurrent"):
                        if r[mode]["p99_ms"] >= GOAL_P99_MS:
                            misses.append(f"{ph_['label']} {r['endpoint']} {r['variant']} {mode} "
                                          f"p99 {r[mode]['p99_ms']} ms")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result["misses"] = misses
    with open(os.path.join(ROOT, "bench", "results", "stats-latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"\ngoal: p99 < {GOAL_P99_MS:g} ms per stats query: "
          + ("met everywhere" if not misses else f"{len(misses)} miss(es):"))
    for m in misses:
        print(f"  {m}")
    print("results: bench/results/stats-latest.json")
    if os.environ.get("ENFORCE") and misses:
        sys.exit(3)


if __name__ == "__main__":
    main()
