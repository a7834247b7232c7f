"""What comes out of place: staff commands count only when typed as a new message in a private
chat, and a button of a guided conversation that is over changes nothing.

An edited or forwarded command would replay one already carried out, or someone else's; in a
group, staff data (ids, names, drafts) would be shown to everyone there. Such a command is
refused (audited) before any staff handler sees it.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import t
from bot.staff import Refused
from bot.storage import StorageError
from bot.telegram.context import Context
from bot.telegram.spreekuren.common import (
    answering,
    callback_data,
    directory,
    now_of,
    say_text,
    user_id,
)
from bot.telegram.spreekuren.edit import EDIT
from bot.telegram.spreekuren.publish import NEW

log = logging.getLogger(__name__)

DIRECT = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~filters.FORWARDED
GUARDED = {  # every staff and admin command (/stats of bot.telegram.stats too): audit action
    "staff_toevoegen": "staff.add",
    "staff_verwijderen": "staff.remove",
    "staff_lijst": "staff.list",
    "spreekuur_nieuw": "spreekuur.create",
    "spreekuur_wijzig": "spreekuur.edit",
    "spreekuur_annuleer": "spreekuur.cancel",
    "spreekuren_beheer": "spreekuur.list",
    "stats": "stats.view",
}


async def not_direct(update: Update, context: Context) -> None:
    """A staff command edited, forwarded or sent in a group: refused (audited), nothing done.

    Not through `answering`: a guided conversation of the same person goes on untouched.
    """
    lang = await context.language(update)
    message = update.effective_message
    words = (message.text or "").split() if message else []
    action = GUARDED.get(words[0].lstrip("/").split("@")[0].lower() if words else "", "staff")
    staff, actor = directory(context), user_id(update)
    if action.startswith("staff.") and not staff.is_admin(actor):
        key = "spreekuren.err.not_admin"
    elif not await staff.is_staff(actor):
        key = "stats.refused" if action == "stats.view" else "spreekuren.err.not_staff"
    elif update.edited_message is not None:
        key = "spreekuren.err.edited"
    elif message is not None and message.forward_origin is not None:
        key = "spreekuren.err.forwarded"
    else:
        key = "spreekuren.err.private_only"
    try:
        refusal = await staff.refuse(actor, action, now_of(context), key=key)
    except StorageError as exc:  # refused all the same; only the audit line is missing
        log.warning("spreekuren: could not audit a refusal: %s", exc)
        refusal = Refused(key)
    await say_text(update, context, refusal.message(lang))


@answering
async def stale(update: Update, context: Context, lang: str) -> None:
    """A button of a guided conversation that is over (or someone else's): nothing happens."""
    action = "spreekuur.create" if callback_data(update).startswith(NEW) else "spreekuur.edit"
    await directory(context).require_staff(user_id(update), action, now_of(context))  # audited
    await say_text(update, context, t("spreekuren.tg.expired", lang))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The command guard (registered before every staff handler) and the stale buttons."""
    return [
        CommandHandler(list(GUARDED), not_direct, filters=~DIRECT),
        CallbackQueryHandler(stale, pattern=rf"^({NEW}|{EDIT}):"),
    ]
