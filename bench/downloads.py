#!/usr/bin/env python3
"""Download benchmark: does a big CSV download stall the rest of the API?

Against the release binary, with the 1,000,000-row sample imported and analyzed:
  - two clients download `GET /v1/contact-lists/{id}/download?type=analyzed` at the same time
    (each about 80 MB, streamed);
  - meanwhile a third client polls `GET /_sandbox/health` and `GET /v1/organizations` back to back;
  - reported: the download times and sizes, the latency percentiles of the polls during the
    downloads (and, for comparison, of the same polls on an idle server), and the server's RSS.

Usage: python3 bench/downloads.py [SAMPLE]   (default contacts-1m.csv)
Only ever talks to 127.0.0.1.
"""
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from benchlib import call, pct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "pc_test_SandboxRootKey0000000000"
SAMPLE = sys.argv[1] if len(sys.argv) > 1 else "contacts-1m.csv"




def rss_mb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def poll(port, stop, out):
    """Alternates health and organizations on one keep-alive connection; records ms each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        for path, headers in (("/_sandbox/health", {}), ("/v1/organizations", {"X-API-Key": KEY})):
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            out.append((path, (time.perf_counter() - t) * 1000, r.status))
    conn.close()


def download(port, list_id, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    t = time.perf_counter()
    conn.request("GET", f"/v1/contact-lists/{list_id}/download?type=analyzed", headers={"X-API-Key": KEY})
    r = conn.getresponse()
    size = 0
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
    out.append((r.status, size, time.perf_counter() - t))
    conn.close()




def summary(samples, path):
    ms = [m for (p, m, s) in samples if p == path]
    bad = sum(1 for (p, m, s) in samples if p == path and s != 200)
    return f"{len(ms):6d} calls  p50 {pct(ms, 50):6.2f} ms  p99 {pct(ms, 99):6.2f} ms  max {max(ms) if ms else 0:7.2f} ms  non-200 {bad}"


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--clock", "manual", "--rate-limit", "off",
         "--clock-start", "2026-11-03T18:00:00Z"],
        stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        files = call(base, "GET", "/_sandbox/files")["data"]
        url = next(f["url"] for f in files if f["name"] == SAMPLE)
        urllib.request.urlopen(url, timeout=300).read()  # generate the sample once
        list_id = call(base, "POST", "/v1/contact-lists/import",
                       {"source_url": url, "list_name": "bench", "phone_column": "phone"}, KEY)["data"]["list_id"]
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 3600})
        call(base, "POST", f"/v1/contact-lists/{list_id}/analyze", {}, KEY)
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 7200})
        assert call(base, "GET", f"/v1/contact-lists/{list_id}", key=KEY)["data"]["analysis"]["status"] == "complete"

        # Idle baseline: the same polls for 3 s with nothing else running.
        idle, stop = [], threading.Event()
        t = threading.Thread(target=poll, args=(port, stop, idle))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()

        rss_before = rss_mb(proc.pid)
        busy, stop, done = [], threading.Event(), []
        poller = threading.Thread(target=poll, args=(port, stop, busy))
        poller.start()
        loaders = [threading.Thread(target=download, args=(port, list_id, done)) for _ in range(2)]
        t0 = time.perf_counter()
        for d in loaders:
            d.start()
        peak_rss = rss_before
        while any(d.is_alive() for d in loaders):
            peak_rss = max(peak_rss, rss_mb(proc.pid))
            time.sleep(0.05)
        for d in loaders:
            d.join()
        elapsed = time.perf_counter() - t0
        stop.set()
        poller.join()

        print(f"sample {SAMPLE}; two analyzed downloads at once")
        for status, size, secs in done:
            print(f"  download: HTTP {status}, {size / 1e6:.1f} MB in {secs:.2f} s")
        print(f"  both done in {elapsed:.2f} s")
        print("idle server:")
        print("  /_sandbox/health   ", summary(idle, "/_sandbox/health"))
        print("  /v1/organizations  ", summary(idle, "/v1/organizations"))
        print("during the downloads:")
        print("  /_sandbox/health   ", summary(busy, "/_sandbox/health"))
        print("  /v1/organizations  ", summary(busy, "/v1/organizations"))
        print(f"RSS: {rss_before:.1f} MB before, {peak_rss:.1f} MB peak during (sampled every 50 ms)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
