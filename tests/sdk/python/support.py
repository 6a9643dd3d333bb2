"""Shared machinery of the Python contract tests.

- `Sandbox`: a fresh `pc-sandbox serve --port 0` per test session, its port read
  from stdout, stopped at the end.
- `ContractValidator`: every response the SDK receives is checked against the
  schemas derived from the TypeScript SDK (tests/sdk/derive_schemas.py): the
  success or error envelope, the route's `data` schema, and the headers the
  contract promises. It runs inside an httpx transport, so no test can forget
  it.
- `RecordingClient`: the real SDK client, recording which SDK methods ran so
  run.sh can check tests/sdk/coverage.json against what actually executed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import httpx
import jsonschema
from political_comms import PoliticalCommsClient

SDK_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = SDK_DIR.parent.parent
SCHEMAS_PATH = Path(os.environ.get("PC_SDK_SCHEMAS", SDK_DIR / ".schemas" / "sdk.json"))

CLOCK_START = "2026-11-03T18:00:00.000Z"
SEED = "1"
API_PREFIX = "/v1"
LISTENING = re.compile(r"http://127\.0\.0\.1:(\d+)")

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ULID = "[0-9A-HJKMNP-TV-Z]{26}"
API_KEY = re.compile(r"^pc_(live|test)_[A-Za-z0-9]{24}$")


def id_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{prefix}_{ULID}$")


def parse_ts(value: str) -> datetime:
    assert TIMESTAMP.match(value), f"not an RFC 3339 UTC timestamp with milliseconds: {value!r}"
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------
# Schemas and the validating transport
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One response as the transport saw it."""

    method: str
    path: str
    status: int
    headers: httpx.Headers
    content: bytes


class ContractValidator:
    def __init__(self, path: Path = SCHEMAS_PATH) -> None:
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run tests/sdk/run.sh (it derives the schemas)")
        doc = json.loads(path.read_text())
        self.definitions = doc["definitions"]
        self.routes = []
        for route in doc["routes"]:
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route["path"])) + "$"
            self.routes.append((route["method"], re.compile(pattern), route))
        # Literal paths first, so /projects/stats never matches /projects/{id}.
        self.routes.sort(key=lambda r: r[2]["path"].count("{"))
        self._validators: dict[str, jsonschema.Draft7Validator] = {}
        self.envelope = self._compile("envelope", doc["envelope"])
        self.error = self._compile("error", doc["error"])
        self.checked = 0
        self.violations: list[str] = []
        # The most recent responses, newest last: what the SDK does not return (status, headers, bytes).
        self.responses: deque[Exchange] = deque(maxlen=100)

    def _compile(self, key: str, schema: dict) -> jsonschema.Draft7Validator:
        if key not in self._validators:
            root = {"definitions": self.definitions, **schema}
            jsonschema.Draft7Validator.check_schema(root)
            self._validators[key] = jsonschema.Draft7Validator(root)
        return self._validators[key]

    def route_for(self, method: str, path: str) -> Optional[dict]:
        for route_method, pattern, route in self.routes:
            if route_method == method and pattern.match(path):
                return route
        return None

    @staticmethod
    def _errors(validator: jsonschema.Draft7Validator, instance: Any, where: str) -> list[str]:
        out = []
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            loc = "/".join(str(p) for p in err.absolute_path)
            out.append(f"{where}/{loc}: {err.message}"[:300])
            if len(out) >= 10:
                out.append("...")
                break
        return out

    def problems(self, method: str, path: str, status: int, headers: httpx.Headers, content: bytes) -> list[str]:
        """Every way this /v1 (or /_sandbox) response breaks the contract; [] if none."""
        problems: list[str] = []
        control = path.startswith("/_sandbox")
        if not control and not path.startswith(API_PREFIX):
            return [f"unexpected path {path!r}"]
        rel = path if control else path[len(API_PREFIX):] or "/"

        if not headers.get("x-request-id"):
            problems.append("no X-Request-ID header")
        ctype = headers.get("content-type", "")
        route = None if control else self.route_for(method, rel)
        success = 200 <= status < 300
        if success and route is not None and route.get("content_type"):
            # A non-JSON success (the CSV download): its content type, then the headers below.
            if not ctype.startswith(route["content_type"]):
                problems.append(f"content-type is {ctype!r}, not {route['content_type']}")
            body = None
        else:
            if "application/json" not in ctype:
                problems.append(f"content-type is {ctype!r}, not application/json")
            try:
                body = json.loads(content)
            except ValueError:
                return problems + [f"body is not JSON: {content[:200]!r}"]

        if success and body is None:
            pass
        elif success:
            problems += self._errors(self.envelope, body, "envelope")
            if not control:
                if route is None:
                    problems.append(f"no schema for {method} {rel}: add the route to derive_schemas.py")
                elif isinstance(body, dict) and "data" in body:
                    # A status the contract gives its own shape (derive_schemas.STATUS_VARIANTS).
                    variant = route.get("data_by_status", {}).get(str(status))
                    key = f"{route['method']} {route['path']}" + (f" {status}" if variant else "")
                    schema = variant if variant is not None else route["data"]
                    problems += self._errors(self._compile(key, schema), body["data"], "data")
        else:
            problems += self._errors(self.error, body, "error")
            if isinstance(body, dict) and body.get("statusCode") != status:
                problems.append(f"body statusCode {body.get('statusCode')!r} != HTTP status {status}")
            if status == 429:
                retry_after = headers.get("retry-after", "")
                if not retry_after.isdigit():
                    problems.append(f"429 without an integer Retry-After header ({retry_after!r})")
                if not isinstance(body, dict) or not isinstance(body.get("retryAfter"), int):
                    problems.append("429 body without an integer retryAfter")

        if not control and status != 401:
            for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
                value = headers.get(name, "")
                if not value.isdigit():
                    problems.append(f"header {name} missing or not an integer ({value!r})")
        return problems

    def last(self, method: str, path_suffix: str = "") -> "Exchange":
        """The most recent response to `method` on a path ending with `path_suffix`."""
        for exchange in reversed(self.responses):
            if exchange.method == method and exchange.path.endswith(path_suffix):
                return exchange
        raise AssertionError(f"no {method} *{path_suffix} response recorded")

    def check(self, method: str, path: str, status: int, headers: httpx.Headers, content: bytes) -> None:
        self.checked += 1
        self.responses.append(Exchange(method, path, status, headers, content))
        problems = self.problems(method, path, status, headers, content)
        if problems:
            message = f"{method} {path} -> {status} breaks the contract:\n  " + "\n  ".join(problems)
            self.violations.append(message)
            raise AssertionError(message)


class ValidatingTransport(httpx.BaseTransport):
    """Wraps the real transport; validates each response before the SDK sees it.

    A violation raises AssertionError, which the SDK does not catch (it only
    turns httpx.HTTPError into NETWORK_ERROR), so the calling test fails with
    the violation as its message.
    """

    def __init__(self, validator: ContractValidator, inner: Optional[httpx.BaseTransport] = None) -> None:
        self._inner = inner or httpx.HTTPTransport()
        self._validator = validator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        content = response.read()
        self._validator.check(request.method, request.url.path, response.status_code, response.headers, content)
        return response

    def close(self) -> None:
        self._inner.close()


# ---------------------------------------------------------------------------
# The SDK client, recording which methods ran
# ---------------------------------------------------------------------------

SDK_METHODS = frozenset(
    name
    for name in dir(PoliticalCommsClient)
    if not name.startswith("_") and callable(getattr(PoliticalCommsClient, name)) and name != "close"
)
CALLED: set[str] = set()


class RecordingClient(PoliticalCommsClient):
    def __getattribute__(self, name: str) -> Any:
        if name in SDK_METHODS:
            CALLED.add(name)
        return super().__getattribute__(name)


def write_called(sdk: str) -> None:
    directory = os.environ.get("PC_SDK_CALLED_DIR")
    if directory and CALLED:
        Path(directory, f"{sdk}-{os.getpid()}.txt").write_text("\n".join(sorted(CALLED)) + "\n")


# ---------------------------------------------------------------------------
# The sandbox process
# ---------------------------------------------------------------------------


def sandbox_binary() -> Path:
    explicit = os.environ.get("PC_SANDBOX_BIN")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    if not target.is_absolute():
        target = REPO_ROOT / target
    return target / "debug" / "pc-sandbox"


class Sandbox:
    """A fresh `pc-sandbox serve --port 0 --clock manual` for one test session (or one test, with
    `extra_args` such as `--send-rate 0.01` or `--fixtures FILE`)."""

    START_TIMEOUT = 60.0

    def __init__(self, extra_args: Sequence[str] = ()) -> None:
        binary = sandbox_binary()
        if not binary.exists():
            raise RuntimeError(f"{binary} does not exist: build it (cargo build --bin pc-sandbox) or set PC_SANDBOX_BIN")
        self.args = [
            str(binary), "serve", "--port", "0", "--clock", "manual",
            "--clock-start", CLOCK_START, "--seed", SEED, *extra_args,
        ]
        self.output: deque[str] = deque(maxlen=200)
        self._port: Optional[int] = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
        )
        # Keep draining stdout for the whole session so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.origin = f"http://127.0.0.1:{self._port}"
        self.base_url = self.origin + API_PREFIX
        self.http = httpx.Client(base_url=self.origin, timeout=10.0)
        # The clock as the session found it: later tests advance it (imports, analysis, media).
        self.started_clock = self.http.get("/_sandbox/clock").json()["data"]

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line.rstrip("\n"))
            if self._port is None:
                match = LISTENING.search(line)
                if match:
                    self._port = int(match.group(1))
                    self._ready.set()
        self._ready.set()

    def _wait_ready(self) -> None:
        if not self._ready.wait(self.START_TIMEOUT) or self._port is None:
            raise RuntimeError(
                f"{' '.join(self.args)} printed no http://127.0.0.1:<port> line "
                f"(exit code {self.proc.poll()}); output:\n" + "\n".join(self.output)
            )
        deadline = time.monotonic() + 10.0
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self._port}/_sandbox/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("GET /_sandbox/health never answered 200; output:\n" + "\n".join(self.output))
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if hasattr(self, "http"):
            self.http.close()

    # -- control plane (no API key) ---------------------------------------

    def control(
        self, validator: ContractValidator, method: str, path: str, body: Any = None, *, content: Optional[bytes] = None
    ) -> Any:
        """A /_sandbox call with a JSON body, or raw `content` (PUT /files/{name}); returns `data`."""
        if content is not None:
            response = self.http.request(method, f"/_sandbox{path}", content=content)
        else:
            response = self.http.request(method, f"/_sandbox{path}", json=body)
        validator.check(method, f"/_sandbox{path}", response.status_code, response.headers, response.content)
        assert response.is_success, f"{method} /_sandbox{path} -> {response.status_code}: {response.text}"
        return response.json()["data"]

    def fetch(self, url: str) -> httpx.Response:
        """GET a URL the sandbox handed out (a hosted file, a ready media file): raw bytes, no envelope."""
        assert url.startswith(self.origin + "/"), f"{url} is not on this sandbox ({self.origin})"
        return self.http.get(url)


def all_events(control: Callable[..., Any]) -> list[dict]:
    """The whole event log (`GET /_sandbox/events`, oldest first), page by page: one page holds at
    most 1,000 events (100 by default), and the send engine writes several per message."""
    out: list[dict] = []
    while True:
        query = "limit=1000" + (f"&after={out[-1]['id']}" if out else "")
        page = control("GET", f"/events?{query}")
        if not page:
            return out
        out.extend(page)


# ---------------------------------------------------------------------------
# Polling on the manual clock
# ---------------------------------------------------------------------------


def poll(read, advance, done, *, step: int = 1, max_polls: int = 60) -> list:
    """Poll exactly as a client would, with the sandbox clock moved instead of sleeping.

    Calls `read()`; while `done(state)` is false, advances the sandbox clock by
    `step` seconds and reads again, at most `max_polls` times. Returns every
    state read, oldest first.
    """
    states = [read()]
    while not done(states[-1]):
        if len(states) > max_polls:
            raise AssertionError(f"still not done after {max_polls} polls of {step}s; last state: {states[-1]}")
        advance(step)
        states.append(read())
    return states
