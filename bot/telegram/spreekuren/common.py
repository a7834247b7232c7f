"""What every spreekuren handler shares: the clock, who is asking, sending, kind error answers.

Texts staff typed are shown as plain text, escaped for Telegram HTML, never interpreted.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot import spreekuren
from bot.dutchdates import InputError
from bot.i18n import t
from bot.spreekuren import Spreekuur, SpreekuurError
from bot.staff import Refused, StaffDirectory
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.render import esc, split_html

log = logging.getLogger(__name__)

CLOCK = "spreekuren_clock"  # bot_data: a callable giving an aware "now" (tests fix it)
PICK_LIMIT = 20  # spreekuren offered as buttons to change or cancel
MAX_ID = 2**53  # above every Telegram user id and spreekuur number; SQLite stops at 2**63
END = ConversationHandler.END

R = TypeVar("R")
Answered = Callable[[Update, Context], Coroutine[Any, Any, R | int | None]]


def now_of(context: Context) -> datetime:
    """The current time for this bot (a fixed one in tests)."""
    clock = context.application.bot_data.get(CLOCK, spreekuren.system_clock)
    return clock()  # type: ignore[no-any-return]


def directory(context: Context) -> StaffDirectory:
    """Admins and staff, on the bot's database."""
    services = context.services
    return StaffDirectory(services.db, services.settings.admins)


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


def answering(func: Callable[[Update, Context, str], Coroutine[Any, Any, R]]) -> Answered[R]:
    """Wrap a handler: language first, every refusal and bad input answered kindly.

    A bad input keeps a conversation where it is (None); a refusal ends it.
    """

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> R | int | None:
        lang = await context.language(update)
        if update.callback_query is not None:
            await update.callback_query.answer()
        try:
            return await func(update, context, lang)
        except Refused as exc:
            # The draft stays: the refusal may be of another command or a forged button while
            # a guided conversation goes on (every start clears the draft anyway).
            await say_text(update, context, exc.message(lang))
            return END
        except InputError as exc:
            await say_text(update, context, exc.message(lang))
            return None
        except StorageError as exc:
            log.warning("spreekuren: the database failed: %s", exc)
            await say_text(update, context, t("spreekuren.tg.storage_error", lang))
            return None

    return wrapper


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


def short(item: Spreekuur, lang: str, today: date) -> str:
    """A button label for a spreekuur: '#12 wo 25 nov · Wijkhuis' style, within Telegram limits."""
    text = spreekuren.describe(item, lang, today).split("\n")[0]
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
