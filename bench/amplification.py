#!/usr/bin/env python3
"""Memory-amplification benchmark: small CSV files whose shape (a very wide header, a very long
header line, a row of millions of commas) used to make the import or the download allocate far
more than the file's size.

For each case, against the release binary and a fresh server:
  - idle RSS (VmRSS) once the server is up;
  - RSS once the file is hosted (PUT /_sandbox/files/amp.csv holds it in memory);
  - the import: POST /v1/contact-lists/import of the hosted file, the clock advanced past the
    processing window, the list polled until `ready` or `failed`; the peak RSS of the import alone
    (VmHWM, reset through /proc/<pid>/clear_refs once the file is hosted) and the RSS after it;
  - for a list that became ready: GET .../download?type=original, its size, and the peak and RSS
    after it.
Only 127.0.0.1 is ever contacted (the server also runs with --fetch-loopback-only).

Usage: python3 bench/amplification.py [CASE ...]   (default: every case)
Output: a table on stdout, bench/results/amplification-latest.json.
"""
import json
import os
import re
import subprocess
import sys
import time

from benchlib import mb, request as call, reset_peak, status_kb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "pc_test_SandboxRootKey0000000000"
ROWS = 5_000


def phone_rows(n):
    """`n` distinct valid US numbers, one a line: +1614555xxxx, then other area codes."""
    return "".join(f"+1{614 + i // 10_000}555{i % 10_000:04d}\n" for i in range(n)).encode()


def wide(columns, rows):
    """`phone` plus columns c1..c<columns-1>, then `rows` phone-only rows."""
    header = "phone" + "".join(f",c{i}" for i in range(1, columns)) + "\n"
    return header.encode() + phone_rows(rows)


def long_header(total_bytes):
    """One header line of `total_bytes` bytes: `phone` and one-letter columns, then one row."""
    pairs = (total_bytes - len("phone")) // 2
    return b"phone" + b",c" * pairs + b"\n" + phone_rows(1)


def comma_row(total_bytes):
    """A normal header, then one data row of a phone and `total_bytes` commas."""
    return b"phone,name\n+16145550000" + b"," * total_bytes + b"\n"


def nul_tail(total_bytes):
    """`phone`, then valid rows up to about `total_bytes`, then a row of NUL bytes."""
    rows = phone_rows(10_000)
    body = b"phone\n" + rows * (total_bytes // len(rows))
    return body + b"\0\0\0\0\n"


CASES = {
    # The review's attack: 200,000 columns over 5,000 phone-only rows (used to abort on a 4 GiB
    # allocation: every row padded to the header's width).
    "wide-200k-cols": lambda: wide(200_001, ROWS),
    # The same shape at the column limit: accepted, rows stored unpadded.
    "wide-1000-cols": lambda: wide(1_000, ROWS),
    # At the column limit over 1,000,000 phone-only rows (the row limit): a 13 MB file imported
    # compactly, but the original download renders 1,000 columns a row (about 1 GB).
    "wide-1000-cols-1m-rows": lambda: wide(1_000, 1_000_000),
    # A 40 MB single-line header (20M columns; used to peak at 1.9 GB).
    "header-40mb": lambda: long_header(40 * 1024 * 1024),
    # A data row of 40M commas (the csv reader would hold 8 bytes of bounds per field).
    "comma-row-40mb": lambda: comma_row(40 * 1024 * 1024),
    # 40 MB of valid rows with NUL bytes at the end, past the first 4 KB: refused as binary
    # before any parsing, so its peak is what fetching a 40 MB file costs on its own.
    "nul-tail-40mb": lambda: nul_tail(40 * 1024 * 1024),
}










def run_case(binary, name, make):
    content = make()
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--rate-limit", "off", "--clock", "manual",
         "--clock-start", "2026-11-03T18:00:00Z", "--fetch-loopback-only"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
        if not m:
            sys.exit(f"unexpected banner: {banner!r}")
        base = f"http://127.0.0.1:{m.group(1)}"
        pid = proc.pid
        time.sleep(0.5)
        r = {"case": name, "file_mb": round(len(content) / 1e6, 2),
             "idle_rss_mb": mb(status_kb(pid, "VmRSS"))}

        hosted = json.loads(call(base, "PUT", "/_sandbox/files/amp.csv", raw=content))
        url = hosted["data"]["url"]
        if not url.startswith("http://127.0.0.1:"):
            sys.exit(f"hosted url is not loopback: {url}")
        del content
        r["hosted_rss_mb"] = mb(status_kb(pid, "VmRSS"))
        r["peak_is_import_only"] = reset_peak(pid)

        t0 = time.perf_counter()
        started = json.loads(call(base, "POST", "/v1/contact-lists/import",
                                  {"source_url": url, "list_name": "amp",
                                   "phone_column": "phone"}, KEY))
        list_id = started["data"]["list_id"]
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 86400})
        while True:
            d = json.loads(call(base, "GET", f"/v1/contact-lists/{list_id}", key=KEY))["data"]
            if d["import"]["status"] in ("ready", "failed"):
                break
            time.sleep(0.05)
        r["import_s"] = round(time.perf_counter() - t0, 3)
        r["status"] = d["import"]["status"]
        r["failure_reason"] = d["import"].get("failure_reason")
        r["clean_contacts"] = d["import"].get("clean_contacts")
        r["import_peak_mb"] = mb(status_kb(pid, "VmHWM"))
        r["after_import_rss_mb"] = mb(status_kb(pid, "VmRSS"))

        if r["status"] == "ready":
            body = call(base, "GET", f"/v1/contact-lists/{list_id}/download?type=original",
                        key=KEY)
            r["download_mb"] = round(len(body) / 1e6, 2)
            del body
            r["download_peak_mb"] = mb(status_kb(pid, "VmHWM"))
            r["after_download_rss_mb"] = mb(status_kb(pid, "VmRSS"))
        return r
    finally:
        proc.terminate()
        proc.wait()


def main():
    names = sys.argv[1:] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"unknown case(s) {unknown}; cases: {', '.join(CASES)}")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT,
                   check=True)
    binary = os.path.join(ROOT, "target", "release", "pc-sandbox")
    results = [run_case(binary, n, CASES[n]) for n in names]

    cols = [("case", 22), ("file_mb", 8), ("status", 8), ("idle_rss_mb", 9),
            ("hosted_rss_mb", 10), ("import_peak_mb", 10), ("after_import_rss_mb", 10),
            ("download_mb", 9), ("download_peak_mb", 10), ("after_download_rss_mb", 10)]
    heads = ["case", "file MB", "status", "idle MB", "hosted MB", "peak MB", "after MB",
             "dl MB", "dl peak", "after dl"]
    print("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, (_, w)) in
                    enumerate(zip(heads, cols))))
    for r in results:
        cells = []
        for i, (k, w) in enumerate(cols):
            v = r.get(k)
            v = "-" if v is None else str(v)
            cells.append(v.rjust(w) if i else v.ljust(w))
        print("  ".join(cells))
    print()
    for r in results:
        if r["failure_reason"]:
            print(f"{r['case']}: {r['failure_reason']}")
    if not all(r["peak_is_import_only"] for r in results):
        print("note: /proc/<pid>/clear_refs refused; peaks include hosting the file")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "amplification-latest.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
