#!/usr/bin/env python3
"""Import benchmark: a 1,000,000-row CSV served by the sandbox itself, imported through the API.

Measures, against the release binary:
  - time to ready with the clock unthrottled: POST /contact-lists/import (the sandbox fetches and
    parses the file), then the sandbox clock is advanced past the processing window and the list
    is polled until `ready`;
  - the server's peak RSS (VmHWM) over the whole run, and its RSS once the list is ready.
The 1M-row sample is generated on its first download; that is warmed up (and timed) separately so
the import time measures the import alone.

Usage: python3 bench/import.py [ROWS_SAMPLE]   (default contacts-1m.csv)
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

from benchlib import call, status_kb as rss_kb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "pc_test_SandboxRootKey0000000000"
SAMPLE = sys.argv[1] if len(sys.argv) > 1 else "contacts-1m.csv"






def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--clock", "manual", "--rate-limit", "off",
         "--clock-start", "2026-11-03T18:00:00Z"],
        stdout=subprocess.PIPE, text=True)
    try:
        port = re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1)
        base = f"http://127.0.0.1:{port}"
        idle_rss = rss_kb(proc.pid, "VmRSS")

        files = call(base, "GET", "/_sandbox/files")["data"]
        url = next(f["url"] for f in files if f["name"] == SAMPLE)
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as r:
            size = len(r.read())
        generate_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        started = call(base, "POST", "/v1/contact-lists/import",
                       {"source_url": url, "list_name": "bench", "phone_column": "phone"}, KEY)
        post_s = time.perf_counter() - t0
        list_id = started["data"]["list_id"]
        # Unthrottled clock: jump past any processing window, then poll as a client would.
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 86400})
        while True:
            detail = call(base, "GET", f"/v1/contact-lists/{list_id}", key=KEY)["data"]
            if detail["import"]["status"] in ("ready", "failed"):
                break
        ready_s = time.perf_counter() - t0
        result = {
            "sample": SAMPLE,
            "file_bytes": size,
            "status": detail["import"]["status"],
            "total_rows": detail["import"]["total_rows"],
            "clean_contacts": detail["import"]["clean_contacts"],
            "sample_generation_s": round(generate_s, 3),
            "import_post_s": round(post_s, 3),
            "time_to_ready_s": round(ready_s, 3),
            "idle_rss_mb": round(idle_rss / 1024, 1),
            "rss_after_import_mb": round(rss_kb(proc.pid, "VmRSS") / 1024, 1),
            "peak_rss_mb": round(rss_kb(proc.pid, "VmHWM") / 1024, 1),
        }
        print(json.dumps(result, indent=2))
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "import-latest.json"), "w") as f:
            json.dump(result, f, indent=2)
        if detail["import"]["status"] != "ready":
            sys.exit(f"import did not become ready: {detail['import']}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
