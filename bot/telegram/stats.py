"""Statistics in Telegram (issue 6 owns this file): /stats for staff.

Fill `handlers` (and `staff_commands`); the builder picks them up through bot.telegram.plugins.
"""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import BaseHandler

from bot.services import Services


def handlers(services: Services) -> list[BaseHandler[Any, Any, Any]]:
    """The statistics handlers (none yet)."""
    return []


def staff_commands(lang: str) -> list[BotCommand]:
    """Staff menu entries (none yet)."""
    return []
