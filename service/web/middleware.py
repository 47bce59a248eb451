"""Cross-cutting HTTP concerns: security headers, request ids and access logs (each request
counted in the metrics), rate limiting, body size limit. Pure ASGI middleware, so streaming
and errors pass through."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response
from .language_choice import words_for
from .metrics import Metrics
from .phrases import Phrase

access_log = logging.getLogger("briefing_qa.access")
log = logging.getLogger("briefing_qa.http")

# No inline script anywhere; the API explorer's stylesheet sets inline styles, so /docs alone
# may use them.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class SecurityHeaders:
    """Content-Security-Policy, nosniff, referrer policy and framing rules on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith("/docs") else PAGE_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestLog:
    """Give every request an id (X-Request-ID, echoed), log one JSON line when it ends, and
    count it in the metrics under its route template (never the raw path: ids in paths would
    make a series per document)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        supplied = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched"
            )
            self.metrics.requests.labels(template, scope["method"], str(status)).inc()
            self.metrics.latency.labels(template).observe(elapsed)
            client = scope.get("client")
            access_log.info(
                json.dumps(
                    {
                        "event": "request",
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "client": client[0] if client else None,
                    }
                )
            )


class RateLimiter:
    """A token bucket per client address: ``per_minute`` sustained, ``burst`` at once.

    In memory and per process: with several workers each allows the rate (document it, or
    put the limit in the load balancer).
    """

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(burst, 1)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float:
        """Take a token for ``client``; returns 0 when allowed, else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > 100_000:  # forget idle clients rather than grow forever
                    self._buckets.clear()
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class SharedRateLimiter:
    """The same limit kept in Redis (the maintained ``limits`` library), so one client's limit
    holds across every worker and replica: at most ``burst`` requests in any window of
    ``burst / per_minute`` minutes — the burst at once, then the sustained rate.

    If Redis cannot be reached the request is let through (and logged): a limiter that fails
    must not take the service down with it.
    """

    def __init__(self, url: str, prefix: str, per_minute: int, burst: int) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.enabled = per_minute > 0
        window = max(1, math.ceil(60 * max(burst, 1) / max(per_minute, 1)))
        self.item = RateLimitItemPerSecond(max(burst, 1), window)
        self.storage = storage_from_string(url, key_prefix=prefix)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def check(self, client: str) -> float:
        """Take one request for ``client``; returns 0 when allowed, else seconds to wait."""
        if not self.enabled:
            return 0.0
        try:
            if self.limiter.hit(self.item, "ask", client):
                return 0.0
            reset_at, _ = self.limiter.get_window_stats(self.item, "ask", client)
        except Exception:  # Redis down or unreachable: serve rather than fail
            log.warning("rate limiter store unreachable; request allowed", exc_info=True)
            return 0.0
        return max(0.0, reset_at - time.time())


def retry_after_header(wait_seconds: float) -> dict[str, str]:
    """A Retry-After header (whole seconds, at least 1)."""
    return {"Retry-After": str(max(1, math.ceil(wait_seconds)))}


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether or not Content-Length is declared.
    Paths in ``larger`` (uploads) have their own, larger limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.default_max)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = Phrase("request body is larger than %(limit)s bytes", limit=limit)
        response = error_response(413, "too_large", message, words=words_for(Request(scope)))
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
