"""The HTTP door: the routing service, the web chat page and the Telegram webhook."""

from bot.web.app import create_app

__all__ = ["create_app"]
