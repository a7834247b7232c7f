"""Pure ASGI middleware: security headers, a privacy-safe access log, body cap, rate limit."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.errors import error_response, request_language
from bot.web.ratelimit import RateLimiter, client_key

log = logging.getLogger("meldwijzer.web")

# No inline script or style anywhere, nothing from other origins, never framed.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
# Answers may reveal what someone asked about (violence at home): no copy in any cache.
NO_STORE = (b"cache-control", b"no-store")
REVALIDATE = (b"cache-control", b"no-cache")


def _language(scope: Scope) -> str:
    return request_language(Headers(scope=scope), QueryParams(scope.get("query_string", b"")))


async def _send_error(scope: Scope, send: Send, status: int, code: str, **values: object) -> None:
    headers = {}
    if status == 429:
        headers["retry-after"] = str(values["count"])
    response = error_response(_language(scope), status, code, headers, None, **values)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class SecurityHeaders:
    """Adds the security headers to every response, and no-store outside /static/."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(SECURITY_HEADERS)
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                if b"cache-control" not in present:
                    headers.append(REVALIDATE if cacheable else NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    """One line a request: method, the endpoint's name (never the path or query), status, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if log.isEnabledFor(logging.INFO):
                endpoint = scope.get("endpoint")
                name = getattr(endpoint, "__name__", None) or type(endpoint).__name__
                log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    name if endpoint else "-",
                    status,
                    (time.perf_counter() - started) * 1000,
                )


class CatchAll:
    """Any unexpected error becomes a JSON 500 (logged by type only: no request data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            endpoint = getattr(scope.get("endpoint"), "__name__", "-")
            log.error("unexpected %s in %s", type(exc).__name__, endpoint)
            if started:
                raise
            await _send_error(scope, send, 500, "server_error")


class BodyLimit:
    """Refuses request bodies over a per-path limit with a JSON 413, before the app reads them."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_error(scope, send, 413, "body_too_large", limit=limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(scope, send, 413, "body_too_large", limit=limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RateLimit:
    """A token bucket per client address on the paths WATCHED names; JSON 429 with Retry-After."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, watched: tuple[str, ...]) -> None:
        self.app = app
        self.limiter = limiter
        self.watched = watched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.limiter.enabled
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(self.watched)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.check(client_key(client[0]) if client else "unknown")
        if wait > 0:
            await _send_error(scope, send, 429, "rate_limited", count=max(1, math.ceil(wait)))
            return
        await self.app(scope, receive, send)
