"""What every spreekuren handler shares: the clock, who is asking, sending, kind error answers,
and the staff member's own spreekuren.

Texts staff typed are shown as plain text, escaped for Telegram HTML, never interpreted.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import spreekuren
from bot.dutchdates import InputError
from bot.i18n import t
from bot.spreekuren import Spreekuur, SpreekuurError
from bot.staff import Refused, StaffDirectory
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.guided import END, Answer, Ask, Draft
from bot.telegram.render import esc, split_html

log = logging.getLogger(__name__)

PICK_LIMIT = 20  # spreekuren offered as buttons to change or cancel
MAX_ID = 2**53  # above every Telegram user id and spreekuur number; SQLite stops at 2**63
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def now_of(context: Context) -> datetime:
    """The current time, by the services' clock (a fixed one in tests)."""
    return context.services.clock()


def directory(context: Context) -> StaffDirectory:
    """Admins and staff, from the services."""
    return context.services.staff


def user_id(update: Update) -> int:
    """The Telegram user id of whoever sent the update (0 when there is none)."""
    return update.effective_user.id if update.effective_user else 0


async def say(
    update: Update, context: Context, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send HTML (already escaped) to the update's chat, split when over Telegram's limit."""
    chat = update.effective_chat
    if chat is None:
        return
    parts = split_html(html)
    for index, part in enumerate(parts):
        markup = keyboard if index == len(parts) - 1 else None
        await context.bot.send_message(chat.id, part, reply_markup=markup)


async def say_text(
    update: Update, context: Context, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send plain TEXT (escaped here)."""
    await say(update, context, esc(text), keyboard)


async def say_stored(
    update: Update, context: Context, key: str, stored: Spreekuur, lang: str
) -> None:
    """Tell staff what was stored (published, changed), described as residents will see it."""
    today = spreekuren.today_in_maastricht(now_of(context))
    text = spreekuren.describe(context.services.areas, stored, lang, today)
    await say_text(update, context, t(key, lang, text=text))


async def _told(update: Update, context: Context, lang: str, exc: Exception) -> bool:
    """Answer a refusal, a bad input or a failing database kindly; True for a refusal."""
    if isinstance(exc, StorageError):
        log.warning("spreekuren: the database failed: %s", exc)
        await say_text(update, context, t("spreekuren.tg.storage_error", lang))
        return False
    assert isinstance(exc, InputError)  # Refused is one too
    await say_text(update, context, exc.message(lang))
    return isinstance(exc, Refused)


def answering(func: Callable[[Update, Context, str], Coroutine[Any, Any, None]]) -> Handler:
    """A handler in the person's language, every refusal and bad input answered kindly."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        lang = await context.language(update)
        if update.callback_query is not None:
            await update.callback_query.answer()
        try:
            await func(update, context, lang)
        except (InputError, StorageError) as exc:
            await _told(update, context, lang, exc)

    return wrapper


def step(func: Answer) -> Answer:
    """A step's answer (or a conversation's start), kindly: a bad input keeps the step (None),
    a refusal ends the conversation (END)."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context, lang: str, draft: Draft) -> str | None:
        try:
            return await func(update, context, lang, draft)
        except (InputError, StorageError) as exc:
            return END if await _told(update, context, lang, exc) else None

    return wrapper


def asking(func: Ask) -> Ask:
    """A step's question, kindly (a question that reads the database may fail)."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context, lang: str, draft: Draft) -> None:
        try:
            await func(update, context, lang, draft)
        except (InputError, StorageError) as exc:
            await _told(update, context, lang, exc)

    return wrapper


async def ask(
    update: Update,
    context: Context,
    key: str,
    lang: str,
    prefix: str,
    extra: list[list[InlineKeyboardButton]] | None = None,
    **values: object,
) -> None:
    """A conversation's question KEY, with the buttons EXTRA above its "Stoppen" (PREFIX:stop)."""
    rows = [*(extra or []), [button(t("spreekuren.tg.stop_button", lang), f"{prefix}:stop")]]
    await say_text(update, context, t(key, lang, **values), keyboard(*rows))


def command_text(update: Update) -> str:
    """What follows the command in the message, spacing and '|' kept."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    return message.text.partition(" ")[2].strip() if " " in message.text else ""


def button(label: str, data: str) -> InlineKeyboardButton:
    """An inline button with callback DATA."""
    return InlineKeyboardButton(label, callback_data=data)


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """An inline keyboard of ROWS."""
    return InlineKeyboardMarkup([list(r) for r in rows])


def callback_data(update: Update) -> str:
    """The data of the pressed button ('' for any other update)."""
    query = update.callback_query
    return (query.data or "") if query is not None else ""


def message_text(update: Update) -> str:
    """The text of the update's message ('' when there is none)."""
    message = update.effective_message
    return (message.text or "") if message is not None else ""


# -- spreekuren of the staff member -----------------------------------------------------------


async def mine(context: Context, actor: int, action: str) -> list[Spreekuur]:
    """ACTOR's live spreekuren (not cancelled), for buttons; refused when not staff."""
    now = now_of(context)
    areas = await directory(context).require_staff(actor, action, now)
    found = await spreekuren.current(context.services.db, now, areas)
    return [s for s in found if not s.cancelled][:PICK_LIMIT]


def short(context: Context, item: Spreekuur, lang: str, today: date) -> str:
    """A button label for a spreekuur: '#12 wo 25 nov · Wijkhuis' style, within Telegram limits."""
    text = spreekuren.describe(context.services.areas, item, lang, today).split("\n")[0]
    return text if len(text) <= 60 else text[:59] + "…"


async def own(context: Context, actor: int, spreekuur_id: int, action: str) -> Spreekuur:
    """The spreekuur, when ACTOR may change it (refusals audited)."""
    now = now_of(context)
    await directory(context).require_staff(actor, action, now)
    found = await spreekuren.get(context.services.db, spreekuur_id)
    if found is None:
        raise SpreekuurError("spreekuren.err.not_found", id=spreekuur_id)
    await directory(context).require_area(actor, found.area, action, now)
    return found


def parse_number(text: str) -> int:
    """A spreekuur number ('12' or '#12'): ASCII digits within 64 bits."""
    digits = text.strip().lstrip("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 16 or int(digits) >= MAX_ID:
        raise SpreekuurError("spreekuren.err.id", text=text.strip())
    return int(digits)


def parse_user_id(text: str) -> int:
    """A Telegram user id: ASCII digits only ("²" and "١٢" are digits to Python), within 64 bits."""
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or not 0 < int(text) < MAX_ID:
        raise InputError("spreekuren.err.user_id", text=text)
    return int(text)
