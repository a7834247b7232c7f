"""Cancelling: /spreekuur_annuleer [<nr> [<date> | alles]], or step by step with buttons.

The buttons carry all their state (spa:p:<nr> pick, spa:c:<nr>:<day|all> ask, spa:y:... do,
spa:n don't), so they need no conversation and work after a restart; each press checks again who
is pressing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import spreekuren
from bot.dutchdates import parse_date
from bot.i18n import t
from bot.spreekuren import Spreekuur, SpreekuurError
from bot.telegram.context import Context
from bot.telegram.spreekuren.common import (
    answering,
    button,
    callback_data,
    command_text,
    directory,
    keyboard,
    mine,
    now_of,
    own,
    parse_number,
    say_text,
    short,
    user_id,
)

CANCEL = "spa"  # callback prefix of the cancel buttons
DATE_BUTTONS = 8  # dates of a series offered to cancel

_ALL = ("alles", "all", "reeks", "series", "hele")


@answering
async def cancel_command(update: Update, context: Context, lang: str) -> None:
    """/spreekuur_annuleer [<nr> [<date> | alles]]."""
    actor, now = user_id(update), now_of(context)
    await directory(context).require_staff(actor, "spreekuur.cancel", now)
    parts = command_text(update).split(maxsplit=1)
    if not parts:
        live = await mine(context, actor, "spreekuur.cancel")
        if not live:
            await say_text(update, context, t("spreekuren.tg.manage_none", lang))
            return
        today = spreekuren.today_in_maastricht(now)
        rows = [[button(short(context, s, lang, today), f"{CANCEL}:p:{s.id}")] for s in live]
        await say_text(update, context, t("spreekuren.tg.pick_cancel", lang), keyboard(*rows))
        return
    number = parse_number(parts[0])
    if len(parts) == 1:
        await _offer_dates(
            update, context, await own(context, actor, number, "spreekuur.cancel"), lang
        )
        return
    which = parts[1].strip().lower()
    day = None if which in _ALL else parse_date(which, spreekuren.today_in_maastricht(now))
    stored = await spreekuren.cancel(
        context.services.db, directory(context), actor, number, day, now
    )
    await _cancelled(update, context, stored, day, lang)


async def _offer_dates(update: Update, context: Context, found: Spreekuur, lang: str) -> None:
    """Ask which date to cancel (a series), or for confirmation (a single spreekuur)."""
    now = now_of(context)
    today = spreekuren.today_in_maastricht(now)
    if not found.recurring:
        await _confirm_cancel(update, context, found, None, lang)
        return
    coming = [o for o in found.occurrences(start=today) if not o.cancelled and o.starts_at > now]
    rows = [
        [button(spreekuren.format_day(o.day, lang, today), f"{CANCEL}:c:{found.id}:{o.day:%Y%m%d}")]
        for o in coming[:DATE_BUTTONS]
    ]
    rows.append([button(t("spreekuren.tg.cancel_all_button", lang), f"{CANCEL}:c:{found.id}:all")])
    await say_text(
        update,
        context,
        t(
            "spreekuren.tg.pick_date",
            lang,
            text=spreekuren.describe(context.services.areas, found, lang, today),
        ),
        keyboard(*rows),
    )


async def _confirm_cancel(
    update: Update, context: Context, found: Spreekuur, day: date | None, lang: str
) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    which = f"{day:%Y%m%d}" if day else "all"
    what = (
        spreekuren.format_day(day, lang, today)
        if day
        else spreekuren.describe(context.services.areas, found, lang, today)
    )
    key = "spreekuren.tg.confirm_cancel_day" if day else "spreekuren.tg.confirm_cancel"
    await say_text(
        update,
        context,
        t(key, lang, id=found.id, text=what),
        keyboard(
            [
                button(t("spreekuren.tg.cancel_yes", lang), f"{CANCEL}:y:{found.id}:{which}"),
                button(t("spreekuren.tg.cancel_no", lang), f"{CANCEL}:n"),
            ]
        ),
    )


@answering
async def cancel_button(update: Update, context: Context, lang: str) -> None:
    """spa:p:<nr> (pick), spa:c:<nr>:<day|all> (ask), spa:y:<nr>:<day|all> (do), spa:n (don't)."""
    parts = callback_data(update).split(":")
    actor = user_id(update)
    await directory(context).require_staff(actor, "spreekuur.cancel", now_of(context))  # forged too
    if parts[1:2] == ["n"]:
        await say_text(update, context, t("spreekuren.tg.cancel_kept", lang))
        return
    if len(parts) < 3 or parts[1] not in ("p", "c", "y"):
        await say_text(update, context, t("telegram.button_unknown", lang))
        return
    found = await own(context, actor, parse_number(parts[2]), "spreekuur.cancel")
    if parts[1] == "p":
        await _offer_dates(update, context, found, lang)
        return
    which = parts[3] if len(parts) > 3 else "all"
    day = None if which == "all" else _compact_date(which)
    if parts[1] == "c":
        await _confirm_cancel(update, context, found, day, lang)
        return
    stored = await spreekuren.cancel(
        context.services.db, directory(context), actor, found.id, day, now_of(context)
    )
    await _cancelled(update, context, stored, day, lang)


def _compact_date(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise SpreekuurError("spreekuren.err.date_invalid", text=text) from None


async def _cancelled(
    update: Update, context: Context, stored: Spreekuur, day: date | None, lang: str
) -> None:
    today = spreekuren.today_in_maastricht(now_of(context))
    if day is None:
        text = t("spreekuren.tg.cancelled_all", lang, id=stored.id)
    else:
        text = t(
            "spreekuren.tg.cancelled_day",
            lang,
            id=stored.id,
            day=spreekuren.format_day(day, lang, today),
        )
    await say_text(update, context, text)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The cancel command and its buttons."""
    return [
        CommandHandler("spreekuur_annuleer", cancel_command),
        CallbackQueryHandler(cancel_button, pattern=rf"^{CANCEL}:"),
    ]
