"""Spreekuren in Telegram (issue 5 owns this file): /spreekuren and the staff commands.

Until issue 5 lands, /spreekuren and the "Spreekuren" button under an area card answer that the
overview is coming. Replace `handlers` (and fill `staff_commands` / `staff_chats`) here; the
builder picks them up through bot.telegram.plugins.
"""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.i18n import t
from bot.services import Services
from bot.telegram.context import Context
from bot.telegram.render import SPREEKUREN


async def placeholder(update: Update, context: Context) -> None:
    """The spreekuren overview is not there yet: say so, with the way to reach the team."""
    lang = await context.language(update)
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, t("telegram.spreekuren_soon", lang))


def handlers(services: Services) -> list[BaseHandler[Any, Any, Any]]:
    """The spreekuren handlers (a placeholder for now)."""
    return [
        CommandHandler("spreekuren", placeholder),
        CallbackQueryHandler(placeholder, pattern=rf"^{SPREEKUREN}:"),
    ]


def staff_commands(lang: str) -> list[BotCommand]:
    """Staff menu entries (none yet)."""
    return []


async def staff_chats(services: Services) -> set[int]:
    """Staff chat ids beyond the admins (none yet)."""
    return set()
