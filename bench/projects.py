#!/usr/bin/env python3
"""Project benchmark: create and PATCH a project whose list holds 1,000,000 contacts.

The recipient count and estimate are part of every create and PATCH answer; this measures that
they do not rescan the rows on every call. Against the release binary: import the 1M-row sample,
then create N projects on it and PATCH one of them N times (name, then message), and print
p50/p99/max of each.

Usage: python3 bench/projects.py [N]   (default 200)   Only ever talks to 127.0.0.1.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

from benchlib import call, pct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "pc_test_SandboxRootKey0000000000"
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200




def timed(conn, method, path, body):
    t = time.perf_counter()
    conn.request(method, path, body=json.dumps(body), headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status not in (200, 201):
        raise SystemExit(f"{method} {path} -> {r.status}: {data[:300]!r}")
    return ms, json.loads(data)




def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "pc-sandbox"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [os.path.join(ROOT, "target", "release", "pc-sandbox"), "serve", "--port", "0", "--clock", "manual",
         "--rate-limit", "off", "--clock-start", "2026-11-03T18:00:00Z"],
        stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        files = call(base, "GET", "/_sandbox/files")["data"]
        url = next(f["url"] for f in files if f["name"] == "contacts-1m.csv")
        urllib.request.urlopen(url, timeout=300).read()
        campaigns = call(base, "GET", "/v1/campaigns", key=KEY)["data"]
        numbers = call(base, "GET", "/v1/phone-numbers?channel=10dlc", key=KEY)["data"]
        projects = call(base, "GET", "/v1/projects", key=KEY)["data"]
        held = set()
        for p in projects:
            if p["status"] in ("scheduled", "sending", "paused"):
                held.update(call(base, "GET", f"/v1/projects/{p['id']}", key=KEY)["data"]["phone_number_ids"])
        for c in campaigns:
            free = [n for n in numbers if n["campaign_id"] == c["id"] and n["org_id"] == c["org_id"]
                    and n["status"] == "active" and not n["shared"] and n["id"] not in held]
            if free:
                camp, number = c, free[0]
                break
        list_id = call(base, "POST", "/v1/contact-lists/import",
                       {"source_url": url, "list_name": "1M", "phone_column": "phone",
                        "organization_id": camp["org_id"]}, KEY)["data"]["list_id"]
        call(base, "POST", "/_sandbox/clock/advance", {"seconds": 3600})
        body = {"organization_id": camp["org_id"], "brand_id": camp["brand_id"], "campaign_id": camp["id"],
                "phone_number_ids": [number["id"]], "name": "Bench", "protocol": "sms",
                "contact_list_ids": [list_id], "message_text": "Hi {first_name|there}, polls close at 7:30pm."}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        creates, patches = [], []
        first_ms, first = timed(conn, "POST", "/v1/projects", body)
        recipients = first["data"]["total_recipients"]
        for i in range(N):
            ms, _ = timed(conn, "POST", "/v1/projects", dict(body, name=f"Bench {i}"))
            creates.append(ms)
        pid = first["data"]["id"]
        for i in range(N):
            change = {"name": f"Renamed {i}"} if i % 2 == 0 else {"message_text": f"Hi {{first_name|there}}, take {i}."}
            ms, _ = timed(conn, "PATCH", f"/v1/projects/{pid}", change)
            patches.append(ms)
        print(f"list of {recipients} recipients; first create (counts the audience): {first_ms:.1f} ms")
        for name, values in (("create", creates), ("PATCH", patches)):
            print(f"  {name:7s} n={len(values)}  p50 {pct(values, 50):.2f} ms  p99 {pct(values, 99):.2f} ms  max {max(values):.2f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
