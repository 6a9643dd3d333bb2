"""A webhook receiver as a Python user would write one (CONTRACT §10): a real HTTP server on
127.0.0.1 that checks every POST with the standard library only, `hmac` + `hashlib` over the raw
body bytes, the way the docs describe it (docs.politicalcomms.com/api-reference/webhooks/
signature-validation: "Every webhook request is signed with HMAC-SHA256 using your endpoint
secret", `X-Webhook-Signature: sha256=...`, a constant-time comparison, and "reject stale events by
checking X-Timestamp is within (e.g.) 5 minutes of now"). A verified event is answered 200, anything
else 401; both are recorded, so a test can assert what arrived and that it verified.

No third-party package is imported here on purpose: this is the receiver a user can write with
nothing installed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

TOLERANCE_SECONDS = 5 * 60


def signature_of(secret: str, raw: bytes) -> str:
    """`sha256=` + lowercase hex HMAC-SHA256(secret, raw body bytes); the secret as written (`whsec_…`)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def verify(secret: str, raw: bytes, signature: Optional[str], timestamp: Optional[str],
           now: Optional[float] = None) -> Optional[str]:
    """Why this delivery must be rejected, or None when it is genuine and fresh.

    The signature is compared in constant time (`hmac.compare_digest`) over the raw bytes, before
    anything parses the body; X-Timestamp must be unix seconds within 5 minutes of now, either way.
    """
    if not signature:
        return "no X-Webhook-Signature"
    if not hmac.compare_digest(signature_of(secret, raw).encode("ascii"), signature.encode("utf-8")):
        return "signature mismatch"
    if timestamp is None or not timestamp.isdigit():
        return f"X-Timestamp is not unix seconds: {timestamp!r}"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return f"X-Timestamp {timestamp} is more than 5 minutes from now ({int(now)})"
    return None


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got: what it verified, and why not when it did not."""

    path: str
    headers: dict[str, str]  # lower-case names
    raw: bytes
    status: int  # what the receiver answered
    problem: Optional[str]  # None when verified

    @property
    def verified(self) -> bool:
        return self.problem is None

    @property
    def body(self) -> dict:
        return json.loads(self.raw)


class Receiver:
    """`Receiver(secret)` listens on 127.0.0.1 (a free port) in a daemon thread; `url` is where to
    point an endpoint. The secret can be set later (`--webhook` prints it once the sandbox starts).
    `fail_first(n, status)` answers the next n POSTs with `status` (after recording them)."""

    def __init__(self, secret: Optional[str] = None, path: str = "/webhooks") -> None:
        self.secret = secret
        self.path = path
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._failures: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Keep-alive with the headers and the body written separately: without TCP_NODELAY
            # each answer would wait out the sender's delayed ACK (~40 ms a delivery).
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver._handle(self, raw)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if handler.path != self.path:
            status, problem = 404, f"unexpected path {handler.path}"
        elif self.secret is None:
            status, problem = 503, "the receiver has no secret yet"
        else:
            problem = verify(self.secret, raw, headers.get("x-webhook-signature"), headers.get("x-timestamp"))
            status = 200 if problem is None else 401
        with self._lock:
            if status == 200 and self._failures:
                status = self._failures.pop(0)
            self.deliveries.append(Delivery(handler.path, headers, raw, status, problem))
        answer = b"OK" if status == 200 else (problem or "failing on purpose").encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def fail_first(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * n)

    def received(self, where: Callable[[Delivery], bool] = lambda d: True) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if where(d)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
