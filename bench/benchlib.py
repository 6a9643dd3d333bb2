"""What the benchmark scripts share: JSON calls to the sandbox, the server's memory from /proc,
and percentiles. Only ever talks to the base URL it is given (127.0.0.1 in every script)."""
import json
import urllib.error
import urllib.request


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


def pct(values, p):
    """The p-th percentile (nearest rank) of `values`; NaN when there are none."""
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))]
