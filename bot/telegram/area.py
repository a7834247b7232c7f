"""Wijk matters: "Wie is mijn wijkteam?", /gebied [postcode], a shared location, buurt buttons.

Each handler turns what Telegram sent into a message for bot.conversation and shows its answer
(bot.telegram.talk); the area found is kept as the chat's area (for /spreekuren), a shared
location is used for the lookup only and never kept.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.conversation import AskArea, Location, PickBuurt
from bot.i18n import t
from bot.services import Services
from bot.telegram.context import Context
from bot.telegram.render import AREA_ASK, BUURT, callback, parse_callback
from bot.telegram.talk import respond


def ask_button(lang: str) -> InlineKeyboardButton:
    """The "Wie is mijn wijkteam?" button."""
    return InlineKeyboardButton(
        t("telegram.area_button", lang), callback_data=callback(AREA_ASK, "ask")
    )


async def ask_button_pressed(update: Update, context: Context) -> None:
    """The "Wie is mijn wijkteam?" button: the chat's area, or the question."""
    if update.callback_query is not None:
        await respond(update, context, AskArea())


async def gebied(update: Update, context: Context) -> None:
    """/gebied [postcode or buurt]: the area card directly, the chat's area, or the question."""
    await respond(update, context, AskArea(" ".join(context.args or ()).strip()))


async def location(update: Update, context: Context) -> None:
    """A shared location: the area there (used once, never kept)."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    where = Location(message.location.latitude, message.location.longitude)
    await respond(update, context, where)


async def buurt_pressed(update: Update, context: Context) -> None:
    """A buurt button under a postcode that spans areas."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data)
    if parsed is None or parsed.kind != BUURT:
        await query.answer(
            t("telegram.button_unknown", await context.language(update)), show_alert=True
        )
        return
    await respond(update, context, PickBuurt(parsed.value))


def handlers(services: Services) -> list[BaseHandler[Any, Any, Any]]:
    """/gebied, the wijkteam and buurt buttons, shared locations (private chats)."""
    return [
        CommandHandler("gebied", gebied),
        CallbackQueryHandler(ask_button_pressed, pattern=rf"^{AREA_ASK}:ask$"),
        CallbackQueryHandler(buurt_pressed, pattern=rf"^{BUURT}:"),
        MessageHandler(
            filters.LOCATION & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, location
        ),
    ]
