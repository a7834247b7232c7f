"""What residents see: /spreekuren [postcode, buurt or area], the area buttons (sp:<area>) and
the next spreekuren on the area card. Nothing a resident types is stored."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import spreekuren
from bot.areas import AreaDirectory, AreaNotFound, Status
from bot.i18n import t
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.render import SPREEKUREN, esc, parse_callback
from bot.telegram.spreekuren.common import (
    answering,
    button,
    command_text,
    keyboard,
    now_of,
    say,
    say_text,
)

log = logging.getLogger(__name__)

CARD_LINES = 3  # spreekuren shown on an area card; the button shows them all


async def listing_html(context: Context, area: str, lang: str) -> str:
    """The resident's list for AREA as Telegram HTML, heading in bold."""
    now = now_of(context)
    items = await spreekuren.upcoming(context.services.db, area, now)
    contacts = spreekuren.team_contacts(context.services.router.meldkaart)
    text = spreekuren.render_listing(context.services.areas, area, items, lang, now, contacts)
    if not items:
        return esc(text)
    first, _, rest = text.partition("\n")
    return f"<b>{esc(first)}</b>\n{esc(rest)}"


def calendar_keyboard(context: Context, area: str, lang: str) -> InlineKeyboardMarkup | None:
    """A button to the area's iCalendar feed, when the HTTP service's address is known."""
    base = context.services.settings.public_url
    if not base or not base.startswith(("https://", "http://")):
        return None
    url = f"{base}/spreekuren/{area}.ics"
    label = t("spreekuren.tg.calendar", lang)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


async def show_listing(update: Update, context: Context, area: str, lang: str) -> None:
    """Send the spreekuren of AREA."""
    await say(
        update,
        context,
        await listing_html(context, area, lang),
        calendar_keyboard(context, area, lang),
    )


def area_buttons(areas: AreaDirectory) -> InlineKeyboardMarkup:
    """One button per area of AREAS (callback sp:<area>)."""
    return keyboard(*[[button(areas.name(a), f"{SPREEKUREN}:{a}")] for a in areas.ids()])


@answering
async def spreekuren_command(update: Update, context: Context, lang: str) -> None:
    """/spreekuren [postcode, buurt or area]: the list, without storing what was typed."""
    query = command_text(update)
    if query:
        await _listing_for_query(update, context, query, lang)
        return
    settings = await context.chat_settings(update)
    if settings.area and settings.area in context.services.areas.ids():
        await show_listing(update, context, settings.area, lang)
        return
    buttons = area_buttons(context.services.areas)
    await say_text(update, context, t("spreekuren.tg.which_area", lang), buttons)


async def _listing_for_query(update: Update, context: Context, query: str, lang: str) -> None:
    try:
        result = context.services.areas.lookup(query)
    except AreaNotFound as exc:
        await say_text(
            update,
            context,
            exc.message(lang) + "\n\n" + t("spreekuren.tg.pick_area", lang),
            area_buttons(context.services.areas),
        )
        return
    if result.status == Status.FOUND and result.area:
        await show_listing(update, context, result.area, lang)
        return
    if result.status == Status.CHOOSE and result.candidates:
        rows = []
        for candidate in result.candidates:  # every buurt, as /gebied offers them
            label = t(
                "spreekuren.tg.candidate",
                lang,
                buurt=candidate.buurt,
                area=context.services.areas.name(candidate.area),
            )
            rows.append([button(label, f"{SPREEKUREN}:{candidate.area}")])
        await say_text(update, context, t("spreekuren.tg.choose", lang), keyboard(*rows))
        return
    buttons = area_buttons(context.services.areas)
    await say_text(update, context, t("spreekuren.tg.outside", lang), buttons)


@answering
async def spreekuren_button(update: Update, context: Context, lang: str) -> None:
    """The "Spreekuren" button under an area card, and the area buttons: sp:<area>."""
    query = update.callback_query
    parsed = parse_callback(query.data if query else None)
    known = context.services.areas.ids()
    if parsed is None or parsed.kind != SPREEKUREN or parsed.value not in known:
        await say_text(update, context, t("telegram.button_unknown", lang))
        return
    await show_listing(update, context, parsed.value, lang)


async def card_lines(context: Context, area: str, lang: str) -> list[str]:
    """The next few spreekuren of AREA as lines for the area card (none when the store fails)."""
    try:
        now = now_of(context)
        items = await spreekuren.upcoming(context.services.db, area, now)
    except StorageError as exc:
        log.warning("spreekuren for the area card failed: %s", exc)
        return []
    today = spreekuren.today_in_maastricht(now)
    return [spreekuren.format_occurrence(o, lang, today) for o in items[:CARD_LINES]]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The residents' command and buttons."""
    return [
        CommandHandler("spreekuren", spreekuren_command),
        CallbackQueryHandler(spreekuren_button, pattern=rf"^{SPREEKUREN}:"),
    ]
