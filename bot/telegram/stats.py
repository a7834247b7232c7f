"""/stats in Telegram: a short summary and the weekday × hour heatmap for a staff member's areas.

Only staff see figures (admins from MELDWIJZER_ADMINS for every area, staff for their own), and
only in a private chat, so figures never land in a group. Everyone else gets a polite refusal,
audited as every staff refusal is: without the id of someone who is not staff (bot.staff).
`/stats` shows the current half year; `/stats 2026Q1`, `/stats 2026-03`, `/stats 2025H2` another
period. Every figure comes from bot.statsreport, so it has passed the small-cell suppression.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.i18n import t
from bot.services import Services
from bot.stats import Period
from bot.statsreport import build_overview, heatmap_caption, heatmap_png, summary_text
from bot.storage import StorageError
from bot.telegram.commands import Command, Role
from bot.telegram.context import Context
from bot.telegram.feature import Feature

log = logging.getLogger(__name__)


async def staff_areas(services: Services, user_id: int) -> tuple[str, ...]:
    """The areas whose figures USER_ID may see: all for admins, their own for staff, else none."""
    if user_id in services.settings.admins:
        return services.areas.ids()
    return tuple(await services.staff.areas_of(user_id))


async def audit_refusal(services: Services, user_id: int) -> None:
    """Note the refused /stats in the audit log (a failing database only costs the line)."""
    try:
        await services.staff.refuse(user_id, "stats.view", services.clock())
    except StorageError as exc:
        log.warning("/stats could not audit a refusal: %s", exc)


async def stats_command(update: Update, context: Context) -> None:
    """/stats [period]: the summary and heatmap per area of the asking staff member."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    lang = await context.language(update)
    services = context.services
    areas = await staff_areas(services, user.id)
    if not areas:
        await audit_refusal(services, user.id)
        await context.bot.send_message(chat.id, html.escape(t("stats.refused", lang)))
        return
    if chat.type != ChatType.PRIVATE:
        await context.bot.send_message(chat.id, html.escape(t("stats.private_only", lang)))
        return
    try:
        period = (
            Period.parse(context.args[0])
            if context.args
            else Period.half_year_of(services.stats.today())
        )
    except ValueError:
        await context.bot.send_message(chat.id, html.escape(t("stats.bad_period", lang)))
        return
    try:
        overviews = [
            await build_overview(services.stats, services.areas, period, a, lang) for a in areas
        ]
    except StorageError as exc:
        log.warning("/stats could not read the counters: %s", exc)
        await context.bot.send_message(chat.id, html.escape(t("stats.failed", lang)))
        return
    for overview in overviews:
        await context.bot.send_message(chat.id, html.escape(summary_text(overview, lang)))
        if overview.total.exact == 0:
            continue  # no questions at all: no empty picture
        png = await asyncio.to_thread(heatmap_png, overview, lang)
        await context.bot.send_photo(
            chat.id,
            photo=InputFile(png, filename=f"heatmap-{overview.area}.png"),
            caption=html.escape(heatmap_caption(overview, lang)),
        )


def feature() -> Feature:
    """/stats, for staff (their areas) and admins (every area)."""
    return Feature(
        name="stats",
        handlers=(CommandHandler("stats", stats_command),),
        commands=(Command("stats", Role.STAFF, "stats.cmd"),),
    )
