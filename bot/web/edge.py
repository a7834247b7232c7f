"""The HTTP edge: uvicorn's httptools protocol with read deadlines and a connection cap.

uvicorn 0.55 has no deadline for receiving a request (its keep-alive timeout ends at the first
byte), no limit on the size of the headers with httptools, and nothing that caps connections
before the open-file limit; its limit_concurrency answers 503 on every path, Telegram's webhook
included. So a few thousand half-sent requests took the service and the webhook away. Here:

- the request line and headers must be in within HEADER_TIMEOUT of the connection opening or
  the previous answer (else 408, or a silent close when nothing came), and be at most
  MAX_HEADER_BYTES (else 431); the body must be in within BODY_TIMEOUT of the headers (else 408);
- at most MAX_CONNECTIONS are open: a new one beyond that closes the connection that has waited
  longest on its client (idle, or still sending its request); a connection whose request is
  being answered is never closed;
- headroom: requests for other paths than the priority ones (the webhook, /healthz) get 503
  while MAX_CONNECTIONS - HEADROOM connections are busy answering such requests, so a new
  connection can always make room for Telegram and the health check.

Its hooks are uvicorn's internal ones, hence the pinned uvicorn version in pyproject.toml.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar

from starlette.datastructures import Headers, QueryParams
from starlette.types import Receive, Scope, Send
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from bot.config import Settings
from bot.web.errors import error_response, request_language
from bot.web.middleware import NO_STORE, SECURITY_HEADERS, SecurityHeaders

log = logging.getLogger("meldwijzer.edge")

MAX_HEADER_BYTES = 65_536  # request line and headers; browsers send 1-2 kB, Telegram less
FD_RESERVE = 128  # open files kept for the database, the bot's Bot API connections, logs
REPORT_EVERY = 60.0  # seconds between log lines about closed and refused connections


class ConnectionGuard:
    """The connections of one server: which wait on their client (oldest first), which are busy."""

    def __init__(
        self,
        *,
        max_connections: int,
        headroom: int,
        header_timeout: float,
        body_timeout: float,
        priority_paths: frozenset[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_connections = max(2, max_connections)
        self.headroom = min(max(0, headroom), self.max_connections // 2)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.priority_paths = priority_paths
        self._waiting: dict[GuardedHttpProtocol, None] = {}  # in the order they began to wait
        self._busy: dict[GuardedHttpProtocol, bool] = {}  # answering a request: priority path?
        self._busy_other = 0
        self.counts = {"closed": 0, "refused": 0, "timed_out": 0, "busy": 0}
        self._clock = clock
        self._reported = -REPORT_EVERY
        self._unreported = 0

    @classmethod
    def for_settings(cls, settings: Settings, priority_paths: frozenset[str]) -> ConnectionGuard:
        """The guard with the settings' limits, the connection cap fitted to the open files."""
        return cls(
            max_connections=connection_limit(settings.max_connections),
            headroom=settings.webhook_headroom,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            priority_paths=priority_paths,
        )

    def __len__(self) -> int:
        return len(self._waiting) + len(self._busy)

    def opened(self, conn: GuardedHttpProtocol) -> bool:
        """Count a new connection, closing the longest-waiting one when full; False: refuse it."""
        if len(self) >= self.max_connections:
            if not self._waiting:
                self.note("refused")
                return False
            oldest = next(iter(self._waiting))
            self.forget(oldest)
            oldest.transport.abort()
            self.note("closed")
        self._waiting[conn] = None
        return True

    def waits(self, conn: GuardedHttpProtocol) -> None:
        """CONN waits on its client from now on (the youngest waiting)."""
        self.forget(conn)
        self._waiting[conn] = None

    def works(self, conn: GuardedHttpProtocol, priority: bool) -> None:
        """CONN has its request and is answering it: it is never closed to make room."""
        if conn in self._busy:
            return
        self._waiting.pop(conn, None)
        self._busy[conn] = priority
        if not priority:
            self._busy_other += 1

    def forget(self, conn: GuardedHttpProtocol) -> None:
        """CONN is closed (or about to be)."""
        self._waiting.pop(conn, None)
        if self._busy.pop(conn, True) is False:
            self._busy_other -= 1

    def admits(self, path: str) -> bool:
        """True when a request for PATH may be answered now (else 503: the headroom is kept)."""
        if path in self.priority_paths or self._busy_other < self.max_connections - self.headroom:
            return True
        self.note("busy")
        return False

    def note(self, what: str) -> None:
        """Count an event; one log line now and then (a flood must not flood the log)."""
        self.counts[what] += 1
        self._unreported += 1
        now = self._clock()
        if now - self._reported >= REPORT_EVERY:
            log.warning(
                "HTTP edge, %d events since the last line: %d idle or slow connections closed "
                "to make room, %d refused, %d requests timed out, %d answered 503 "
                "(totals; the limit is %d connections)",
                self._unreported,
                self.counts["closed"],
                self.counts["refused"],
                self.counts["timed_out"],
                self.counts["busy"],
                self.max_connections,
            )
            self._reported = now
            self._unreported = 0


def connection_limit(wanted: int) -> int:
    """WANTED, lowered to fit the open-file limit (raised first as far as the hard limit allows)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(hard, need)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= need:
        return wanted
    fitted = max(2, soft - FD_RESERVE)
    log.warning(
        "MELDWIJZER_MAX_CONNECTIONS lowered from %d to %d: the open-file limit is %d "
        "(raise it with ulimit -n)",
        wanted,
        fitted,
        soft,
    )
    return fitted


def raw_error(status: int, code: str, lang: str) -> bytes:
    """A whole HTTP/1.1 error response (JSON, as every error), closing the connection."""
    response = error_response(lang, status, code)
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
    for name, value in (*response.raw_headers, *SECURITY_HEADERS, NO_STORE):
        head.append(name + b": " + value + b"\r\n")
    return b"".join(head) + b"connection: close\r\n\r\n" + response.body


def _language(raw_headers: list[tuple[bytes, bytes]] | None, query: bytes = b"") -> str:
    return request_language(Headers(raw=raw_headers or []), QueryParams(query))


async def _too_busy(scope: Scope, receive: Receive, send: Send) -> None:
    lang = _language(scope["headers"], scope.get("query_string", b""))
    headers = {"retry-after": "1", "connection": "close"}
    await error_response(lang, 503, "busy", headers)(scope, receive, send)


TOO_BUSY = SecurityHeaders(_too_busy)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the deadlines and the cap of a ConnectionGuard."""

    guard: ClassVar[ConnectionGuard]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head = False  # reading a request line and headers
        self._head_bytes = 0
        self._message_done = True  # the last request's body is all in
        self._priority = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if not self.guard.opened(self):
            self.transport.abort()
            return
        self._next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_deadline(None)
        self.guard.forget(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        head = self._head
        super().data_received(data)
        if head and self._head and not self.transport.is_closing():  # headers not complete yet
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES:
                self._answer_and_close(431, "headers_too_large")

    def _unsupported_upgrade_warning(self) -> None:
        pass  # no websockets here (ws="none"): two warnings a request would let anyone fill the log

    def on_headers_complete(self) -> None:
        self._head = False
        self._head_bytes = 0
        self._message_done = False
        self._set_deadline(self.guard.body_timeout, self._body_too_slow)
        super().on_headers_complete()
        self._priority = self.scope.get("path") in self.guard.priority_paths

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        if not self.guard.admits(cycle.scope["path"]):
            app = TOO_BUSY  # type: ignore[assignment]
        super()._start_asgi_task(cycle, app)

    def on_message_complete(self) -> None:
        self._set_deadline(None)
        self._message_done = True
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before the body was in (413, say)
            self._next_request()
        else:
            self.guard.works(self, self._priority)

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if self.transport.is_closing() or pipelined:
            return
        if self._message_done:
            self._next_request()
        else:
            self.guard.waits(self)  # for the rest of a body nobody reads; its deadline stays

    def _next_request(self) -> None:
        self.guard.waits(self)
        self._head = True
        self._head_bytes = 0
        self._set_deadline(self.guard.header_timeout, self._head_too_slow)

    def _set_deadline(self, seconds: float | None, then: Callable[[], None] | None = None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if seconds is not None and then is not None:
            self._deadline = self.loop.call_later(seconds, then)

    def _head_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self.guard.note("timed_out")
            self._answer_and_close(408, "request_timeout")
        else:
            self.transport.close()  # nothing came: an idle connection, closed without a word

    def _body_too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.guard.note("timed_out")
        cycle = self.cycle
        if cycle is None or cycle.response_started:
            self.transport.close()
            return
        # The app waits for the body: it now gets a disconnect and can no longer answer.
        cycle.disconnected = True
        cycle.message_event.set()
        lang = _language(list(self.scope["headers"]), self.scope["query_string"])
        self.transport.write(raw_error(408, "request_timeout", lang))
        self.transport.close()

    def _answer_and_close(self, status: int, code: str) -> None:
        self.transport.write(raw_error(status, code, _language(self.headers)))
        self.transport.close()
        self._head = False


def guarded_protocol(guard: ConnectionGuard) -> type[GuardedHttpProtocol]:
    """The protocol class to give uvicorn as `http=`, bound to GUARD."""

    class Bound(GuardedHttpProtocol):
        pass

    Bound.guard = guard
    return Bound
