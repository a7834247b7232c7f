"""Staff administration (admins only): /staff_toevoegen, /staff_verwijderen, /staff_lijst; and
/mijn_id for anyone (the id an admin needs; nothing is kept). Adding or removing someone gives
their private chat the menu of their new role."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import t
from bot.staff import parse_areas
from bot.telegram.commands import show_menu
from bot.telegram.context import Context
from bot.telegram.spreekuren.common import (
    answering,
    command_text,
    directory,
    now_of,
    parse_user_id,
    say_text,
    user_id,
)


@answering
async def my_id(update: Update, context: Context, lang: str) -> None:
    """/mijn_id: your Telegram user id, to give to an admin (nothing is stored)."""
    await say_text(update, context, t("spreekuren.tg.my_id", lang, id=user_id(update)))


@answering
async def staff_add(update: Update, context: Context, lang: str) -> None:
    """/staff_toevoegen <user id> <area[,area]> [name]."""
    staff, now, areas = directory(context), now_of(context), context.services.areas
    await staff.require_admin(user_id(update), "staff.add", now)
    parts = command_text(update).split(maxsplit=2)
    if len(parts) < 2:
        usage = t("spreekuren.tg.staff_add_usage", lang, areas=", ".join(areas.ids()))
        await say_text(update, context, usage)
        return
    member_id = parse_user_id(parts[0])
    member = await staff.add(
        user_id(update),
        member_id,
        parse_areas(areas, parts[1]),
        now,
        name=parts[2] if len(parts) > 2 else "",
    )
    names = ", ".join(areas.name(a) for a in member.areas)
    await say_text(
        update,
        context,
        t(
            "spreekuren.tg.staff_added",
            lang,
            id=member.user_id,
            name=member.name or member.user_id,
            areas=names,
        ),
    )
    await show_menu(context, member.user_id)


@answering
async def staff_remove(update: Update, context: Context, lang: str) -> None:
    """/staff_verwijderen <user id>."""
    staff, now = directory(context), now_of(context)
    await staff.require_admin(user_id(update), "staff.remove", now)
    text = command_text(update)
    if not text:
        await say_text(update, context, t("spreekuren.tg.staff_remove_usage", lang))
        return
    member_id = parse_user_id(text.split()[0])
    if await staff.remove(user_id(update), member_id, now):
        await say_text(update, context, t("spreekuren.tg.staff_removed", lang, id=member_id))
        await show_menu(context, member_id)
    else:
        await say_text(update, context, t("spreekuren.tg.staff_unknown", lang, id=member_id))


@answering
async def staff_list(update: Update, context: Context, lang: str) -> None:
    """/staff_lijst: every staff member and their areas."""
    staff = directory(context)
    await staff.require_admin(user_id(update), "staff.list", now_of(context))
    members = await staff.members()
    if not members:
        await say_text(update, context, t("spreekuren.tg.staff_none", lang))
        return
    lines = [t("spreekuren.tg.staff_heading", lang)]
    for member in members:
        areas = ", ".join(context.services.areas.name(a) for a in member.areas)
        lines.append(
            t(
                "spreekuren.tg.staff_line",
                lang,
                name=member.name or "-",
                id=member.user_id,
                areas=areas,
            )
        )
    await say_text(update, context, "\n".join(lines))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The admin commands and /mijn_id."""
    return [
        CommandHandler("mijn_id", my_id),
        CommandHandler("staff_toevoegen", staff_add),
        CommandHandler("staff_verwijderen", staff_remove),
        CommandHandler("staff_lijst", staff_list),
    ]
