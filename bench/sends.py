#!/usr/bin/env python3
"""Send-engine benchmark: a 1,000,000-recipient broadcast simulated to completion on an
unthrottled (manual) clock, with GET /v1/organizations measured while it runs.

Against the release binary (`serve --clock manual --rate-limit off`, clock pinned to
2026-11-03T18:00:00Z, 13:00 Eastern):
  - imports the bundled `contacts-1m.csv` (served by the sandbox itself, by its presigned URL) into
    the child key's organization and advances the clock until the list is ready;
  - picks, like tests/api/sends.rs `sending_setup`, a campaign of that organization that is not
    carrier-metered and one of its active 10DLC numbers that no scheduled/sending/paused project
    holds, and creates a project over the list (one merge tag, `{first_name|there}`, unless
    `--plain`; no link tracking unless `--link`);
  - idle baseline: the load generator alone against GET /v1/organizations for a few seconds;
  - the send: POST /projects/{id}/schedule (now), then POST /_sandbox/clock/advance far enough for
    every attempt and every later step (receipts, replies, clicks) in one call. Should the sending
    window close first (the project auto-pauses with `quiet_hours`), the loop advances to the next
    window, schedules again and advances again; every call is counted and reported;
  - meanwhile: a closed-loop load generator (`--conns` keep-alive connections, one thread each)
    calls GET /v1/organizations with the root key back to back; a sampler reads the server's
    VmRSS every 20 ms and GET /_sandbox/info every 250 ms (attempted messages, pending steps,
    events) for a timeline of the send.
Reported: wall time from the schedule call until the project is `completed` with no step pending,
the schedule call's and each advance call's own time, the server's peak RSS during the send
(VmHWM, reset through /proc/<pid>/clear_refs just before scheduling) and over the whole run, RSS
before and after, the counts of /_sandbox/info (messages attempted, events), the project's stats,
and p50/p99/max of GET /v1/organizations while idle and while the send ran: over all requests
that overlapped the send, per connection, and per schedule/advance call. The closed loop hides
stalls (a connection stuck for a second records one sample), so p99* also gives the p99 corrected
for coordinated omission (HdrHistogram's expected-interval correction, the interval being the idle
mean latency per connection).
Goals (the issue): under 10 s and under 1 GB for 1,000,000 recipients; `ENFORCE=1` exits 3 on a
miss. Writes bench/results/sends-latest.json.

Usage: python3 bench/sends.py [--send-rate N] [--plain] [--link] [--conns N] [--sample NAME]
                              [--idle-seconds S] [--binary PATH] [--perf]
  --send-rate N   passed to `serve` (messages per sandbox second); default: the engine's own
                  rate for a non-metered campaign, 60 per second (1M is ~4.6 sandbox hours,
                  within the 13:00-22:00 Eastern rest of the window, so one advance call).
  --binary PATH   (or SANDBOX_BIN) use this executable instead of `cargo build --release`.
  --perf          `perf record -g` the server from the schedule call to completion.
Only ever talks to 127.0.0.1.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

from benchlib import (CHILD_KEY, create_project, drive_send, import_sample, call, latency_summary, mb, reset_peak, run_load, sending_setup, status_kb)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCK_START = "2026-11-03T18:00:00Z"
DEFAULT_RATE = 60.0  # the engine's rate for a campaign that is not carrier-metered
# Steps after the last attempt: sent <= 2 s, receipt <= 20 s after, reply <= 30 min, click <= 2 h.
STEPS_TAIL_SECONDS = 3 * 3600
GOAL_SECONDS = 10.0
GOAL_PEAK_MB = 1024.0


def sampler(pid, port, stop, rss_out, info_out):
    """VmRSS every 20 ms; /_sandbox/info every 250 ms (its own connection)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
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
                t = time.perf_counter()
                conn.request("GET", "/_sandbox/info")
                c = json.loads(conn.getresponse().read())["data"]["counts"]
                info_out.append((now, (time.perf_counter() - t) * 1000, c["messages_attempted"],
                                 c["steps_pending"], c["events"]))
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        time.sleep(0.02)
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--send-rate", type=float, default=None)
    ap.add_argument("--plain", action="store_true", help="a message without merge tags")
    ap.add_argument("--link", action="store_true", help="link tracking on (adds clicks)")
    ap.add_argument("--conns", type=int, default=4, help="load-generator connections (default 4)")
    ap.add_argument("--sample", default="contacts-1m.csv")
    ap.add_argument("--idle-seconds", type=float, default=3.0)
    ap.add_argument("--binary", default=os.environ.get("SANDBOX_BIN"))
    ap.add_argument("--perf", action="store_true",
                    help="record the server with `perf record -g` from the schedule call to completion "
                         "(bench/results/sends.perf.data)")
    args = ap.parse_args()

    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    cmd = [binary, "serve", "--port", "0", "--clock", "manual", "--rate-limit", "off",
           "--clock-start", CLOCK_START]
    if args.send_rate:
        cmd += ["--send-rate", f"{args.send_rate:g}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        pid = proc.pid
        idle_rss = status_kb(pid, "VmRSS")
        load_at_start = os.getloadavg()[0]

        # --- the list ----------------------------------------------------------------------
        org, campaign, number = sending_setup(base)
        list_id, detail, import_s, import_advances = import_sample(base, org, args.sample, "sends bench")
        contacts = detail["import"]["clean_contacts"]

        # --- the project ---------------------------------------------------------------------
        text = ("Polls close at 7:30pm. Find your polling place." if args.plain
                else "Hi {first_name|there}, polls close at 7:30pm.")
        project, create_s, message_text = create_project(base, org, campaign, number, list_id, "Sends bench", text,
                                           link=args.link)
        pid_ = project["id"]
        recipients = project.get("total_recipients", contacts)

        # --- idle baseline -------------------------------------------------------------------
        stop = threading.Event()
        threads, idle_samples = run_load(port, args.conns, stop)
        time.sleep(args.idle_seconds)
        stop.set()
        for t in threads:
            t.join()
        idle = latency_summary(idle_samples)

        # --- the send ------------------------------------------------------------------------
        rate = args.send_rate or DEFAULT_RATE
        info_before = call(base, "GET", "/_sandbox/info")["data"]["counts"]
        rss_before = status_kb(pid, "VmRSS")
        peak_whole_run = status_kb(pid, "VmHWM")
        peak_is_send_only = reset_peak(pid)

        stop_sampler, rss_samples, info_samples = threading.Event(), [], []
        sampler_t = threading.Thread(target=sampler, args=(pid, port, stop_sampler, rss_samples, info_samples),
                                     daemon=True)
        sampler_t.start()
        stop = threading.Event()
        threads, busy_samples = run_load(port, args.conns, stop)
        time.sleep(0.2)  # the load is running before the send starts

        # (what, wall start, wall seconds, sandbox seconds advanced or None, status after)
        calls = []
        perf = None
        if args.perf:
            perf_data = os.path.join(ROOT, "bench", "results", "sends.perf.data")
            os.makedirs(os.path.dirname(perf_data), exist_ok=True)
            perf = subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-p", str(pid), "-o", perf_data],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # perf attaches

        t_send = time.perf_counter()
        schedules = drive_send(base, pid_, CHILD_KEY, recipients, rate,
                               info_before["messages_attempted"], STEPS_TAIL_SECONDS, calls)
        t_done = time.perf_counter()
        send_s = t_done - t_send
        if perf:
            perf.send_signal(2)
            perf.wait(timeout=60)
            print(f"perf: {perf_data} (perf report -i {perf_data} --no-children)", file=sys.stderr)
        stop.set()
        for t in threads:
            t.join()
        stop_sampler.set()
        sampler_t.join()
        # Expected interval between a connection's requests: its mean latency when idle.
        interval = args.idle_seconds * 1000 * args.conns / max(1, idle["requests"])
        busy = latency_summary(busy_samples, (t_send, t_done), interval)
        # The same, for the requests that overlapped each schedule and advance call.
        per_call = [latency_summary(busy_samples, (start, start + s), interval) for (_, start, s, _, _) in calls]

        peak_send = status_kb(pid, "VmHWM")
        rss_after = status_kb(pid, "VmRSS")
        info_after = call(base, "GET", "/_sandbox/info")["data"]
        counts = info_after["counts"]
        stats = call(base, "GET", f"/v1/projects/{pid_}/stats", key=CHILD_KEY)["data"]
        final = call(base, "GET", f"/v1/projects/{pid_}", key=CHILD_KEY)["data"]

        # Timeline: attempted messages, pending steps and events seen by the sampler.
        timeline = [{"t_s": round(t, 2), "info_ms": round(ms, 1), "attempted": a - info_before["messages_attempted"],
                     "steps_pending": sp, "events": ev - info_before["events"]}
                    for (t, ms, a, sp, ev) in info_samples]

        result = {
            "sample": args.sample,
            "send_rate_per_second": rate,
            "send_rate_flag": args.send_rate,
            "message_text": message_text,
            "merge_tags": not args.plain,
            "link_tracking": args.link,
            "campaign_id": campaign["id"],
            "recipients": recipients,
            "import_s": round(import_s, 3),
            "import_advance_calls": import_advances,
            "create_project_ms": round(create_s * 1000, 1),
            "send_wall_s": round(send_s, 3),
            "schedule_calls": schedules,
            "advance_calls": sum(1 for c in calls if c[0] == "advance"),
            "calls": [{"call": w, "wall_s": round(s, 3), "sandbox_seconds": adv, "status_after": st,
                       "organizations": lat}
                      for (w, _, s, adv, st), lat in zip(calls, per_call)],
            "project_status": final["status"],
            "started_at_sandbox": stats.get("started_at") or final.get("started_at"),
            "completed_at_sandbox": final.get("completed_at"),
            "messages_attempted": counts["messages_attempted"] - info_before["messages_attempted"],
            "steps_pending": counts["steps_pending"],
            "events_during_send": counts["events"] - info_before["events"],
            "events_total": counts["events"],
            "metrics": stats.get("metrics"),
            "idle_rss_mb": mb(idle_rss),
            "rss_before_send_mb": mb(rss_before),
            "peak_rss_before_send_mb": mb(peak_whole_run),
            "peak_rss_send_mb": mb(peak_send),
            "peak_is_send_only": peak_is_send_only,
            "peak_rss_sampled_mb": mb(max(kb for _, kb in rss_samples)) if rss_samples else None,
            "rss_after_send_mb": mb(rss_after),
            "organizations_idle": idle,
            "organizations_during_send": busy,
            "load_connections": args.conns,
            "expected_interval_ms": round(interval, 4),
            "server_workers": "default (one per core)",
            "cores": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "timeline": timeline,
        }
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "sends-latest.json"), "w") as f:
            json.dump(result, f, indent=2)

        m = result["metrics"] or {}
        print(f"{recipients} recipients, {rate:g} msg/s (sandbox), text {message_text!r}")
        print(f"import {import_s:.2f} s; create project {create_s * 1000:.1f} ms")
        print(f"send: {schedules} schedule call(s), {result['advance_calls']} advance call(s):")
        for (w, _, s, adv, st) in calls:
            what = f"{w} +{adv} s" if adv else w
            print(f"  {what:20s} {s:8.3f} s" + (f"  -> {st}" if st else ""))
        print(f"  status {final['status']}, attempted {result['messages_attempted']}, steps pending "
              f"{counts['steps_pending']}, events {result['events_during_send']} "
              f"(sent {m.get('sent')}, delivered {m.get('delivered')}, undeliverable {m.get('undeliverable')}, "
              f"replies {m.get('replies')}, opt-outs {m.get('opt_outs')}, clicks {m.get('clicks_total')})")
        print()
        print(f"{'':34s}{'value':>12s}   goal")
        ok_t = send_s < GOAL_SECONDS
        ok_m = peak_send / 1024 < GOAL_PEAK_MB
        print(f"{'send wall time (s)':34s}{send_s:12.2f}   < {GOAL_SECONDS:g} s  {'ok' if ok_t else 'MISS'}")
        print(f"{'peak RSS during send (MB)':34s}{mb(peak_send):12.1f}   < {GOAL_PEAK_MB:g} MB  {'ok' if ok_m else 'MISS'}"
              + ("" if peak_is_send_only else "  (VmHWM not reset: whole run)"))
        print(f"{'RSS before / after send (MB)':34s}{mb(rss_before):>6.1f} / {mb(rss_after):.1f}")
        print(f"{'peak RSS before the send (MB)':34s}{mb(peak_whole_run):12.1f}   (import included)")
        print()
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
            row(f"  during {w}", lat)
        if busy["errors"]:
            print(f"  errors: {busy['errors']}")
        print("results: bench/results/sends-latest.json")
        if os.environ.get("ENFORCE") and not (ok_t and ok_m):
            sys.exit(3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
