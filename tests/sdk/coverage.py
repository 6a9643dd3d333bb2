#!/usr/bin/env python3
"""Compare coverage.json with the SDKs' methods and with what the tests actually called.

- Every name in coverage.json must be a method of its SDK (catches typos and SDK renames).
- With --called-dir (set by run.sh after a full run), every declared method must have been
  called by some test: the tests write the names they called there (support.py / support.mjs).
- Prints the SDK methods not covered yet, and the documented cases of covered methods that
  cannot be tested yet (`pending` in coverage.json). Exits non-zero on any inconsistency.
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def python_methods() -> set[str]:
    from political_comms import PoliticalCommsClient

    return {
        name
        for name, fn in inspect.getmembers(PoliticalCommsClient, inspect.isfunction)
        if not name.startswith("_") and name != "close"
    }


def typescript_methods() -> set[str]:
    script = (
        "const { PoliticalCommsClient } = require('@political-comms/sdk');"
        "const internal = new Set(['constructor', 'request', 'captureRateLimit', 'rateLimitDelayMs']);"
        "console.log(JSON.stringify(Object.getOwnPropertyNames(PoliticalCommsClient.prototype)"
        ".filter((n) => !internal.has(n) && typeof PoliticalCommsClient.prototype[n] === 'function')));"
    )
    out = subprocess.run(["node", "-e", script], cwd=HERE, check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def called(directory: Path, sdk: str) -> set[str]:
    names: set[str] = set()
    for file in directory.glob(f"{sdk}-*.txt"):
        names |= {line.strip() for line in file.read_text().splitlines() if line.strip()}
    return names


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--called-dir", type=Path, help="where the tests recorded the SDK methods they called")
    args = parser.parse_args()

    declared = json.loads((HERE / "coverage.json").read_text())
    ok = True
    print("\nSDK coverage of the contract suite:")
    for sdk, methods in (("python", python_methods()), ("typescript", typescript_methods())):
        covered = set(declared[sdk])
        unknown = covered - methods
        if unknown:
            ok = False
            print(f"  ERROR {sdk}: coverage.json lists names the SDK does not have: {sorted(unknown)}")
        if args.called_dir is not None:
            never = covered - called(args.called_dir, sdk)
            if never:
                ok = False
                print(f"  ERROR {sdk}: declared covered but no test called them: {sorted(never)}")
        missing = sorted(methods - covered)
        print(f"  {sdk}: {len(covered & methods)}/{len(methods)} methods covered; not yet covered ({len(missing)}):")
        for name in missing:
            print(f"    - {name}")
    pending = declared.get("pending", [])
    if pending:
        print(f"  documented cases of covered methods still pending ({len(pending)}):")
        for item in pending:
            print(f"    - {item['case']} (waiting for {item['waiting_for']})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
