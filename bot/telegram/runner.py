"""Starting and stopping the bot: long polling by default, a webhook when WEBHOOK_URL is set.

`start(app, settings)` / `stop(app)` let another server run the bot beside itself in the same
event loop (the HTTP service): with `serve_webhook=False` the bot only registers its webhook and
the other server hands each update to `feed_webhook_update` after checking the secret with
`secret_matches` (bot.server does this for `meldwijzer run`).
"""

from __future__ import annotations

import gc
import hmac
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application

from bot.config import ConfigError, Settings
from bot.telegram.commands import set_menus
from bot.telegram.context import SERVICES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret_token

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
    """Initialise, set the command menus, start handling, then poll or take the webhook."""
    secret = webhook_secret(settings) if settings.webhook_url else None
    await app.initialize()
    await set_menus(app)
    # Everything loaded so far (meldkaart, areas, the libraries) lives as long as the process:
    # keep it out of the cyclic collector, whose full passes over it stall every chat ~40 ms.
    gc.collect()
    gc.freeze()
    await app.start()
    updater = app.updater
    if not settings.webhook_url:
        assert updater is not None
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("bot @%s polling for updates", app.bot.username)
    elif serve_webhook:
        assert updater is not None
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        await updater.start_webhook(
            listen=settings.host,
            port=settings.port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info(
            "bot @%s taking webhook calls on %s:%s/%s",
            app.bot.username,
            settings.host,
            settings.port,
            path,
        )
    else:
        await app.bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("bot @%s webhook registered; updates come from the HTTP service", app.bot.username)


async def feed_webhook_update(app: AnyApp, data: dict[str, Any]) -> None:
    """Queue one update that arrived at a webhook served elsewhere (check the secret first)."""
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
    and their next message after the restart carries it on (bot.telegram.guided).
    """
    updater = app.updater
    if updater is not None and updater.running:
        await updater.stop()
    if app.running:
        await app.stop()  # also waits for the counts started beside the conversations
    await app.bot_data[SERVICES].stats.flush()
    await app.shutdown()
