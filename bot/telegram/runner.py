"""Starting and stopping the bot: long polling by default, a webhook when WEBHOOK_URL is set.

`start(app, settings)` / `stop(app)` let another server run the bot beside itself in the same
event loop (the HTTP service): with `serve_webhook=False` the bot only registers its webhook and
the other server hands each update to `feed_webhook_update` after checking the secret with
`secret_matches` (bot.server does this for `meldwijzer run`).

Every update is stored in the inbox before it is confirmed (bot/telegram/intake.py): polling
moves its offset past a batch once it is stored (bot/telegram/polling.py), a webhook call is
answered 200 once its update is stored. Updates a crash left unhandled are handled at the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.inbox import BEAT_SECONDS
from bot.storage import StorageError
from bot.telegram.commands import set_menus
from bot.telegram.context import SERVICES
from bot.telegram.intake import InboxQueue
from bot.telegram.outbox import Outbox
from bot.telegram.polling import Poller, pause, retry_seconds

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret_token

START_BACKOFF: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then every 30 s
POLLER = "meldwijzer.poller"  # bot_data key of the running Poller
BEATING = "meldwijzer.beating"  # bot_data key of the heartbeat task (a shared database)

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call; required in webhook mode."""
    secret = settings.webhook_secret or ""
    if not _SECRET.match(secret):
        raise ConfigError(
            "WEBHOOK_URL is set, so WEBHOOK_SECRET must be set too: 1-256 characters "
            "of A-Z, a-z, 0-9, _ and -"
        )
    return secret


def secret_matches(settings: Settings, header: str | None) -> bool:
    """True when a webhook call carries the configured secret (constant-time comparison)."""
    secret = settings.webhook_secret
    if not (secret and header):
        return False
    # Bytes: compare_digest refuses non-ASCII text, and a header may carry any byte (latin-1).
    given = header.encode("utf-8", "replace")
    return hmac.compare_digest(given, secret.encode("utf-8", "replace"))


async def start(app: AnyApp, settings: Settings, *, serve_webhook: bool = True) -> None:
    """Initialise, set the command menus, start handling, then poll or take the webhook.

    Updates a crash left unhandled are handled first. While Telegram cannot be reached (or the
    database fails) each step is tried again after a growing pause, one log line a try, for as
    long as it takes: cancel the call to give up. A token Telegram refuses is a ConfigError.
    """
    secret = webhook_secret(settings) if settings.webhook_url else None
    queue = inbox_queue(app)
    if not settings.webhook_url and not await app.bot_data[SERVICES].db.claim("poller"):
        raise ConfigError(
            "another meldwijzer process already polls Telegram for this database; polling is "
            "one process (Telegram allows one poller): stop the other, or set WEBHOOK_URL and "
            "WEBHOOK_SECRET to run several workers"
        )
    await _patiently("read the updates left unhandled", lambda: _resume(app, queue))
    await _patiently("reach Telegram (getMe)", app.initialize)
    await set_menus(app)
    # Everything loaded so far (meldkaart, areas, the libraries) lives as long as the process:
    # keep it out of the cyclic collector, whose full passes over it stall every chat ~40 ms.
    gc.collect()
    gc.freeze()
    await app.start()
    if app.bot_data[SERVICES].db.shared:
        await _patiently("count the workers", lambda: _share_limit(app, queue))
        app.bot_data[BEATING] = asyncio.create_task(_beating(app, queue), name="inbox-beat")
    if not settings.webhook_url:
        await _patiently("remove an old webhook", app.bot.delete_webhook)
        poller = Poller(app.bot, queue)
        poller.start()
        app.bot_data[POLLER] = poller
        log.info("bot @%s polling for updates", app.bot.username)
    elif serve_webhook:
        updater = app.updater
        assert updater is not None
        logging.getLogger("tornado.application").addFilter(_already_said)
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        webhook_url = settings.webhook_url
        await _patiently(
            "register the webhook",
            lambda: updater.start_webhook(
                listen=settings.host,
                port=settings.port,
                url_path=path,
                webhook_url=webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            ),
        )
        log.info(
            "bot @%s taking webhook calls on %s:%s/%s",
            app.bot.username,
            settings.host,
            settings.port,
            path,
        )
    else:
        webhook_url = settings.webhook_url
        await _patiently(
            "register the webhook",
            lambda: app.bot.set_webhook(
                webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            ),
        )
        log.info("bot @%s webhook registered; updates come from the HTTP service", app.bot.username)


def _already_said(record: logging.LogRecord) -> bool:
    """Drop tornado's traceback for an update the inbox could not store (said in one line)."""
    return not (record.exc_info and isinstance(record.exc_info[1], StorageError))


def inbox_queue(app: AnyApp) -> InboxQueue:
    """The application's update queue (build_application makes it an InboxQueue)."""
    queue = app.update_queue
    if not isinstance(queue, InboxQueue):
        raise TypeError("the application was not made by build_application (no inbox)")
    return queue


async def _beating(app: AnyApp, queue: InboxQueue) -> None:
    """On a shared database: say this worker is alive, take over the unhandled updates of a
    worker that stopped beating (killed -9), and send this worker's share of the bot's limit,
    every BEAT_SECONDS until the bot stops."""
    while True:
        await asyncio.sleep(BEAT_SECONDS)
        try:
            count = await queue.adopt(app.bot)
            await _share_limit(app, queue)
        except StorageError as exc:
            log.warning("could not beat or look for a stopped worker's updates: %s", exc)
            continue
        if count:
            log.info("%d updates of a worker that stopped: handling them here", count)


async def _share_limit(app: AnyApp, queue: InboxQueue) -> None:
    """Split Telegram's limit for the bot among the workers beating (StorageError)."""
    outbox = app.bot.rate_limiter
    if isinstance(outbox, Outbox):
        outbox.share(await queue.inbox.live_workers())


async def _resume(app: AnyApp, queue: InboxQueue) -> None:
    count = await queue.resume(app.bot)
    if count:
        log.info("%d updates stored but not handled before the restart: handling them now", count)


async def _patiently(what: str, step: Callable[[], Awaitable[object]]) -> None:
    """Run STEP until it succeeds, waiting a growing pause after each network or database fault."""
    failures = 0
    while True:
        try:
            await step()
        except InvalidToken as exc:  # its text holds the token: never shown
            raise ConfigError("TELEGRAM_BOT_TOKEN: Telegram refused this token") from exc
        except (TelegramError, StorageError) as exc:
            failures += 1
            wait = pause(failures, START_BACKOFF)
            if isinstance(exc, RetryAfter):
                wait = max(wait, retry_seconds(exc))
            # Only the error's type: a network error's text may hold the URL, and so the token.
            why = str(exc) if isinstance(exc, StorageError) else type(exc).__name__
            log.warning("could not %s: %s; trying again in %.0f s", what, why, wait)
            await asyncio.sleep(wait)
        else:
            if failures:
                log.info("%s: done after %d tries", what, failures + 1)
            return


async def feed_webhook_update(app: AnyApp, data: dict[str, Any]) -> None:
    """Store and queue one update that arrived at a webhook served elsewhere (check the secret
    first); answer 200 only once this returns. A second delivery is dropped.

    Raises ValueError for what is not an update, StorageError when it could not be stored.
    """
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not a Telegram update")
    try:
        update = Update.de_json(data, app.bot)
    except (TypeError, KeyError, AttributeError) as exc:  # e.g. "message": "x"
        raise ValueError("not a Telegram update") from exc
    await app.update_queue.put(update)


async def stop(app: AnyApp) -> None:
    """Stop taking updates, finish the running ones, write the counts, close.

    A staff member half-way a guided conversation is not told anything: it is in the database,
    and their next message after the restart carries it on (bot.telegram.guided). Safe after a
    `start` that was cancelled half-way (Telegram never answered).
    """
    poller = app.bot_data.pop(POLLER, None)
    if poller is not None:
        await poller.stop()
    beating = app.bot_data.pop(BEATING, None)
    if beating is not None:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    updater = app.updater
    if updater is not None and updater.running:
        await updater.stop()
    if app.running:
        await app.stop()
    services = app.bot_data[SERVICES]
    await services.inbox.flush()  # the handled updates' payloads deleted
    await services.stats.flush()
    await app.shutdown()
    await app.bot.shutdown()  # its connections, when a start gave up before getMe answered
