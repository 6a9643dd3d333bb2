"""Helpers for tests/openapi/run.sh: check a Postman collection before Newman
runs it, and summarize the runs of Newman and Schemathesis in one line.

    report.py postman-precheck COLLECTION   exit 1 if the collection is unusable
    report.py newman NEWMAN_JSON            "N requests, N assertions, N failures"
    report.py schemathesis REPORT_JSON [OUTPUT_TXT]
                                            "N operations, N test cases, ..."

Only the standard library: it runs under the venv's python or any python3.
"""

import json
import re
import sys

POSTMAN_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# Every request must go to the sandbox under test: through the variables run.sh
# sets (baseUrl, origin), never through a host of the collection's own.
ALLOWED_PREFIXES = ("{{baseUrl}}", "{{origin}}")


def walk_requests(items, trail=()):
    for item in items or []:
        name = trail + (str(item.get("name", "?")),)
        if "item" in item:
            yield from walk_requests(item["item"], name)
        if "request" in item:
            yield " / ".join(name), item["request"]


def raw_url(request):
    if isinstance(request, str):  # v2.1 allows a request to be just its URL
        return request
    url = request.get("url", "")
    if isinstance(url, dict):
        return url.get("raw", "")
    return url or ""


def postman_precheck(path):
    with open(path, encoding="utf-8") as f:
        col = json.load(f)
    problems = []
    schema = (col.get("info") or {}).get("schema")
    if schema != POSTMAN_V21:
        problems.append(f"info.schema is {schema!r}, not the v2.1.0 collection schema {POSTMAN_V21}")
    defined = {v.get("key") for v in col.get("variable") or []}
    for var in ("baseUrl", "apiKey", "origin"):
        if var not in defined:
            problems.append(f"collection variable {var!r} is not defined")
    requests = list(walk_requests(col.get("item")))
    if not requests:
        problems.append("the collection has no requests")
    for name, request in requests:
        url = raw_url(request).strip()
        if not url.startswith(ALLOWED_PREFIXES):
            problems.append(f"{name}: URL {url!r} does not start with {{{{baseUrl}}}} or {{{{origin}}}}")
    for p in problems:
        print(f"postman collection: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"postman collection: v2.1.0, {len(requests)} requests, all through {{{{baseUrl}}}}/{{{{origin}}}}")
    return 0


def newman(path):
    with open(path, encoding="utf-8") as f:
        run = json.load(f)["run"]
    stats = run["stats"]
    failures = len(run.get("failures") or [])
    print(
        f"{stats['requests']['total']} requests, "
        f"{stats['assertions']['total']} assertions "
        f"({stats['assertions']['failed']} failed), "
        f"{failures} failures"
    )
    # A collection whose run sent nothing has checked nothing.
    return 0 if failures == 0 and stats["requests"]["total"] > 0 else 1


def schemathesis(path, output=None):
    try:
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError):
        rep = None
    if rep is not None and rep.get("operations") is None:
        # The run stopped before testing: typically the schema did not load.
        errors = ", ".join(e.get("title", "?") for e in rep.get("errors") or []) or "no details"
        print(f"no operations tested (stopped: {rep.get('stop_reason')}; {errors})")
        return 1
    if rep is not None:
        ops, cases = rep["operations"], rep["test_cases"]
        line = (
            f"{ops['tested']} operations tested ({ops['selected']} selected of {ops['total']}), "
            f"{cases['generated']} test cases, {cases['with_failures']} failing "
            f"({cases['unique_failures']} unique failures), {cases['errored']} errored"
        )
        # An interrupted run can still exit 0: only a completed one passes.
        if rep.get("stop_reason") != "completed":
            line += f"; stopped: {rep.get('stop_reason')}"
            print(line)
            return 1
        print(line)
        return 0
    # No JSON report (the run was cut off hard): fall back to the text summary.
    text = ""
    if output:
        try:
            with open(output, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            pass
    tested = re.search(r"^\s*Tested:\s*(\d+)", text, re.M)
    cases = re.search(r"^\s*(\d+) generated", text, re.M)
    print(
        f"{tested.group(1) if tested else '?'} operations tested, "
        f"{cases.group(1) if cases else '?'} test cases (no JSON report)"
    )
    return 1


def main(argv):
    if len(argv) >= 2 and argv[0] == "postman-precheck":
        return postman_precheck(argv[1])
    if len(argv) >= 2 and argv[0] == "newman":
        return newman(argv[1])
    if len(argv) >= 2 and argv[0] == "schemathesis":
        return schemathesis(argv[1], argv[2] if len(argv) > 2 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
