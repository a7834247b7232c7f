"""/spreekuren_beheer: the spreekuren of a staff member's areas with their numbers."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot import spreekuren
from bot.i18n import t
from bot.telegram.context import Context
from bot.telegram.render import esc
from bot.telegram.spreekuren.common import answering, directory, now_of, say, say_text, user_id


@answering
async def manage(update: Update, context: Context, lang: str) -> None:
    """/spreekuren_beheer: the spreekuren of your areas with their numbers."""
    now = now_of(context)
    areas = await directory(context).require_staff(user_id(update), "spreekuur.list", now)
    found = await spreekuren.current(context.services.db, now, areas)
    today = spreekuren.today_in_maastricht(now)
    if not found:
        await say_text(update, context, t("spreekuren.tg.manage_none", lang))
        return
    lines = [f"<b>{esc(t('spreekuren.tg.manage_heading', lang))}</b>"]
    lines += [esc(spreekuren.describe(context.services.areas, s, lang, today)) for s in found]
    lines.append("")
    lines.append(esc(t("spreekuren.tg.manage_help", lang)))
    await say(update, context, "\n\n".join(lines))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The overview command."""
    return [CommandHandler("spreekuren_beheer", manage)]
