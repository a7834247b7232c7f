"""The Telegram webhook endpoint: Telegram posts updates here when the bot runs in webhook mode."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from bot.web.errors import ApiError

log = logging.getLogger("meldwijzer.web")

SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Updates carry up to 4096 characters of text plus entities; escaped JSON can be several times that.
WEBHOOK_MAX_BODY = 1_048_576


def webhook_path(webhook_url: str) -> str:
    """The local path Telegram posts to: the path of WEBHOOK_URL, or /telegram."""
    path = urlsplit(webhook_url).path.rstrip("/")
    return path or "/telegram"


class Webhook:
    """Checks the secret token (constant-time) and hands the update to the running bot."""

    def __init__(self, telegram_app: Any, secret: str | None) -> None:
        self.telegram_app = telegram_app
        self.secret = secret

    async def receive(self, request: Request) -> Response:
        """POST <webhook path>: one update from Telegram."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise ApiError(403, "forbidden")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "bad_json") from exc
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ApiError(422, "not_an_update")
        await feed_update(self.telegram_app, data)
        return Response(status_code=200)


async def feed_update(telegram_app: Any, data: dict[str, Any]) -> None:
    """Queue one update for the bot (the runner's own feed when it has one)."""
    feed = getattr(telegram_app, "feed_webhook_update", None)
    if feed is not None:
        await feed(data)
        return
    from telegram import Update

    update = Update.de_json(data, telegram_app.bot)
    await telegram_app.update_queue.put(update)
