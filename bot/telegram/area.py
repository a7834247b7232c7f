"""Wijk matters: "Wie is mijn wijkteam?", /gebied [postcode], a shared location, buurt buttons.

The area found is kept as the chat's chosen area (for /spreekuren); a shared location is used
for the lookup only and never kept.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import (
    InlineKeyboardButton,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.areacard import build_area_card
from bot.areas import AreaDirectory, AreaNotFound, AreaResult, Status
from bot.i18n import t
from bot.services import Services
from bot.storage import StorageError
from bot.telegram import spreekuren
from bot.telegram.context import Context, language_of
from bot.telegram.render import AREA_ASK, BUURT, Reply, area_reply, callback, esc, parse_callback

log = logging.getLogger(__name__)

AWAITING = "awaiting_area"  # chat_data flag (memory only): the bot asked for a postcode or buurt
KEYBOARD = "area_keyboard"  # chat_data flag: the location keyboard is showing
_POSTCODE_LIKE = re.compile(r"^\s*\d{4}(\s*-?\s*[a-zA-Z]{2})?(\s*\d{1,5}\s*[a-zA-Z]?)?\s*$")
MAX_AREA_WORDS = 4  # a longer text after "Wie is mijn wijkteam?" is a question, not a buurt


def directory(context: Context) -> AreaDirectory:
    """The area directory of the services."""
    return context.services.areas


def ask_button(lang: str) -> InlineKeyboardButton:
    """The "Wie is mijn wijkteam?" button."""
    return InlineKeyboardButton(
        t("telegram.area_button", lang), callback_data=callback(AREA_ASK, "ask")
    )


def awaiting(context: Context) -> bool:
    """True when the bot has just asked this chat for a postcode or buurt."""
    return bool(context.chat_data and context.chat_data.get(AWAITING))


def looks_like_postcode(text: str) -> bool:
    """ "6221 AB", "6221ab", "6221" (with or without a house number)."""
    return bool(_POSTCODE_LIKE.match(text))


# -- asking ------------------------------------------------------------------------------------


async def ask(update: Update, context: Context, lang: str) -> None:
    """Ask for a postcode, a buurt or a shared location (reply-keyboard location button)."""
    chat = update.effective_chat
    if chat is None:
        return
    if context.chat_data is not None:
        context.chat_data[AWAITING] = True
    markup: ReplyKeyboardMarkup | None = None
    if chat.type == "private":  # a location button only works in private chats
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(t("telegram.location_button", lang), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=t("telegram.area_placeholder", lang),
        )
        if context.chat_data is not None:
            context.chat_data[KEYBOARD] = True
    await context.bot.send_message(chat.id, t("telegram.area_ask", lang), reply_markup=markup)


async def ask_button_pressed(update: Update, context: Context) -> None:
    """The "Wie is mijn wijkteam?" button."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await ask(update, context, await context.language(update))


async def gebied(update: Update, context: Context) -> None:
    """/gebied [postcode or buurt]: the area card directly, or the question."""
    settings = await context.chat_settings(update)
    lang = language_of(update, settings)
    query = " ".join(context.args or ()).strip()
    if query:
        await answer_if_area(update, context, query, lang, expected=True, strict=True)
        return
    if settings.area:
        try:
            result = directory(context).lookup(settings.buurt or settings.area)
        except AreaNotFound:  # the knowledge changed since the area was chosen
            result = None
        if result is not None and result.status == Status.FOUND:
            await show(update, context, result, lang, remember=False)
            return
    await ask(update, context, lang)


# -- answering ---------------------------------------------------------------------------------


async def answer_if_area(
    update: Update,
    context: Context,
    text: str,
    lang: str,
    *,
    expected: bool,
    quiet: bool = False,
    strict: bool = False,
) -> bool:
    """Answer TEXT as an area lookup when it is one; False leaves TEXT to the router.

    EXPECTED: the bot asked for a postcode or buurt. QUIET: try a buurt name silently (the
    router found nothing). STRICT: always answer, also with "not found" (/gebied).
    """
    postcode = looks_like_postcode(text)
    short = len(text.split()) <= MAX_AREA_WORDS
    if expected and not (postcode or strict or short) and context.chat_data is not None:
        context.chat_data.pop(AWAITING, None)  # a question after all: leave it to the router
    if not (postcode or strict or (short and (expected or quiet))):
        return False
    try:
        result = directory(context).lookup(text)
    except AreaNotFound as exc:
        if quiet or not (postcode or strict or expected):
            return False
        await context.bot.send_message(update.effective_chat.id, esc(exc.message(lang)))  # type: ignore[union-attr]
        return True
    await show(update, context, result, lang)
    return True


async def location(update: Update, context: Context) -> None:
    """A shared location: the area there (used once, never kept)."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    lang = await context.language(update)
    try:
        result = directory(context).lookup_location(
            message.location.latitude, message.location.longitude
        )
    except AreaNotFound as exc:
        await context.bot.send_message(message.chat_id, esc(exc.message(lang)))
        return
    await show(update, context, result, lang)


async def buurt_pressed(update: Update, context: Context) -> None:
    """A buurt button under a postcode that spans areas."""
    query = update.callback_query
    if query is None:
        return
    lang = await context.language(update)
    parsed = parse_callback(query.data)
    known = directory(context).knowledge.buurten
    if parsed is None or parsed.kind != BUURT or parsed.value not in known:
        await query.answer(t("telegram.button_unknown", lang), show_alert=True)
        return
    await query.answer()
    await show(update, context, directory(context).lookup(parsed.value), lang)


async def show(
    update: Update, context: Context, result: AreaResult, lang: str, *, remember: bool = True
) -> None:
    """Send the area card; keep the area as the chat's choice when one area is certain."""
    chat = update.effective_chat
    if chat is None:
        return
    if context.chat_data is not None:
        context.chat_data.pop(AWAITING, None)
    kept = remember and result.status == Status.FOUND and result.area is not None
    if kept:
        kept = await _keep_area(context, chat.id, result)
    lines = await spreekuren.card_lines(context, result.area, lang) if result.area else []
    card = build_area_card(result, directory(context), lines)
    kaart = context.services.router.meldkaart
    note = t("telegram.area_kept", lang, area=esc(result.area_name or "")) if kept else None
    removal = _remove(context) if kept else None
    if removal is None or note is None:
        await _send(context, chat.id, area_reply(card, lang, kaart, note))
        return
    # A message cannot both drop the reply keyboard and carry inline buttons: the note goes in a
    # message of its own that drops the location keyboard.
    await _send(context, chat.id, area_reply(card, lang, kaart))
    await context.bot.send_message(chat.id, note, reply_markup=removal)


async def _keep_area(context: Context, chat_id: int, result: AreaResult) -> bool:
    """Keep the area as the chat's choice; False when the database cannot (the card needs no
    write, so it goes out all the same, only without "I will remember ...")."""
    if result.area is None:
        return False
    try:
        await context.chats.set_area(chat_id, result.area, result.buurt)
    except StorageError as exc:
        log.warning("an area could not be kept: %s", exc)
        return False
    return True


async def _send(context: Context, chat_id: int, reply: Reply) -> None:
    for index, text in enumerate(reply.texts):
        last = index == len(reply.texts) - 1
        await context.bot.send_message(chat_id, text, reply_markup=reply.keyboard if last else None)


def _remove(context: Context) -> ReplyKeyboardRemove | None:
    """A keyboard removal when the location keyboard is showing (and forget that it is)."""
    if context.chat_data is not None and context.chat_data.pop(KEYBOARD, None):
        return ReplyKeyboardRemove()
    return None


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
