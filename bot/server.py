"""`meldwijzer run`: the HTTP service on HOST:PORT, with the Telegram bot beside it when configured.

One process, one event loop: uvicorn serves the ASGI app (bot.web) and, when
TELEGRAM_BOT_TOKEN is set, the bot runs next to it: long polling by default, or webhook mode
when WEBHOOK_URL is set, with Telegram's calls arriving at the service's own webhook route.
SIGINT and SIGTERM stop both gracefully; the database is closed last.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.config import Settings
from bot.services import Services, open_services
from bot.storage import StorageBusy
from bot.web import create_app
from bot.web.edge import ConnectionGuard, guarded_protocol
from bot.web.webhook import webhook_path

log = logging.getLogger("meldwijzer.server")


class ServerError(RuntimeError):
    """The service cannot start (the address is taken, the port is not allowed, ...)."""


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve()` below owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn would re-raise a caught SIGTERM after shutting down, killing the process
        # before the bot and the database are closed.
        yield


def configure_logging(level: int = logging.INFO) -> None:
    """Plain log lines on stderr; httpx at WARNING (its INFO lines carry the bot token)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    """uvicorn for this app: no access log (ours has no paths or queries), no Server header."""
    # The protocol is bot.web.edge's: read deadlines, a connection cap with headroom for the
    # webhook and /healthz. The app reads proxy headers itself (bot.web.proxies).
    priority = {"/healthz"}
    if settings.webhook_url:
        priority.add(webhook_path(settings.webhook_url))
    guard = ConnectionGuard.for_settings(settings, frozenset(priority))
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(guard),
        ws="none",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )


def build_bot(settings: Settings, services: Services) -> Any:
    """The Telegram Application when TELEGRAM_BOT_TOKEN is set, else None."""
    if not settings.telegram_token:
        return None
    from bot.telegram.app import build_application

    return build_application(settings, services)


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Run until STOP is set, SIGINT or SIGTERM; STARTED is set once the HTTP service is up
    (the bot may still be waiting for Telegram then)."""
    stop = stop or asyncio.Event()
    services = await open_services(settings)
    try:
        try:
            await services.db.check_writable()  # read-only, full, broken: refuse to start
        except StorageBusy as exc:  # only held by another process for now: start all the same
            log.warning("%s", exc)
        bot = build_bot(settings, services)
        if bot is not None and settings.webhook_url:
            from bot.telegram.runner import webhook_secret

            webhook_secret(settings)  # refuse to start without a usable secret
        server = _Server(uvicorn_config(create_app(services, telegram_app=bot), settings))
        with _signals_set(stop):
            await _run(server, bot, settings, stop, started)
    finally:
        await services.close()  # writes the counts of the last second (never raises)


async def _run(
    server: _Server,
    bot: Any,
    settings: Settings,
    stop: asyncio.Event,
    started: asyncio.Event | None,
) -> None:
    http = asyncio.create_task(_serve_http(server), name="http")
    while not server.started and not http.done():
        await asyncio.sleep(0.02)
    if http.done():
        await http  # raises ServerError
        return
    tasks = {http, asyncio.create_task(stop.wait(), name="stop")}
    starting = None
    if bot is not None:
        from bot.telegram import runner

        # The bot starts beside the running HTTP service: while Telegram cannot be reached it
        # keeps trying, and the page and the API answer all the while.
        starting = asyncio.create_task(runner.start(bot, settings, serve_webhook=False))
        tasks.add(starting)
    mode = "off" if bot is None else ("webhook" if settings.webhook_url else "polling")
    log.info("Meldwijzer on http://%s:%s (Telegram: %s)", settings.host, settings.port, mode)
    if started is not None:
        started.set()
    try:
        while True:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if starting is None or done != {starting}:
                break
            starting.result()  # raises ConfigError when Telegram refused the token
            tasks.discard(starting)
    finally:
        for task in tasks - {http}:
            task.cancel()
        if bot is not None:
            from bot.telegram import runner

            if starting is not None and not starting.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
            await runner.stop(bot)
        server.should_exit = True
        await http


async def _serve_http(server: _Server) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits when it cannot bind
        config = server.config
        raise ServerError(
            f"cannot listen on {config.host}:{config.port} (in use, or not allowed?): "
            "set HOST and PORT"
        ) from exc


@contextlib.contextmanager
def _signals_set(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set STOP while the service runs (main thread only)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (RuntimeError, ValueError, NotImplementedError):
            pass  # not the main thread, or no signals here
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(settings: Settings | None = None) -> None:
    """`meldwijzer run`: serve until stopped (on uvloop when it is installed)."""
    settings = settings or Settings.from_env()
    configure_logging()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(settings))
    else:
        uvloop.run(serve(settings))
