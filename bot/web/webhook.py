"""The Telegram webhook endpoint: Telegram posts updates here when the bot runs in webhook mode."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings
from bot.storage import StorageError
from bot.web.errors import ApiError

# Updates carry up to 4096 characters of text plus entities; escaped JSON can be several times that.
WEBHOOK_MAX_BODY = 1_048_576


def webhook_path(webhook_url: str) -> str:
    """The local path Telegram posts to: exactly the path of WEBHOOK_URL ("/" when it has none)."""
    return urlsplit(webhook_url).path or "/"


class Webhook:
    """Checks the secret token (constant-time) and hands the update to the running bot."""

    def __init__(self, telegram_app: Any, settings: Settings) -> None:
        from bot.telegram import runner  # python-telegram-bot is loaded only in webhook mode

        self.runner = runner
        self.telegram_app = telegram_app
        self.settings = settings

    async def receive(self, request: Request) -> Response:
        """POST <webhook path>: one update from Telegram; 200 once it is stored in the inbox.

        When it cannot be stored the answer is 503, so Telegram sends it again later.
        """
        given = request.headers.get(self.runner.SECRET_HEADER)
        if not self.runner.secret_matches(self.settings, given):
            raise ApiError(403, "forbidden")
        try:
            data = json.loads(await request.body())
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise ApiError(400, "bad_json") from exc
        try:
            await self.runner.feed_webhook_update(self.telegram_app, data)
        except ValueError as exc:
            raise ApiError(422, "not_an_update") from exc
        except StorageError as exc:  # logged where it happened (the bot's update queue)
            raise ApiError(503, "server_error") from exc
        return Response(status_code=200)
