"""What each role may do: the command menu and /help of residents, staff and admins.

Every feature declares its commands with the role that may use them (`Command`); `app.py` hands
them all to one `Menus`. A resident's menu and /help list the resident commands; staff see theirs
too; admins (`MELDWIJZER_ADMINS`) see everything. Menus are set in Dutch (for Dutch Telegram
apps) and English (everyone else); a staff member's menu is set in their private chat
(BotCommandScopeChat). A menu is only a hint: every staff handler still checks who is asking.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import t
from bot.services import Services
from bot.storage import StorageError
from bot.telegram.context import SERVICES, Context
from bot.telegram.render import esc

log = logging.getLogger(__name__)

MENUS = "menus"  # bot_data: the Menus of this bot
# The menu in Dutch for Dutch Telegram users, in English for everyone else.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = (("nl", "nl"), (None, "en"))


class Role(IntEnum):
    """Who someone is to the bot; each role may do what the roles below it may."""

    RESIDENT = 0
    STAFF = 1  # publishes spreekuren and sees figures for their own areas
    ADMIN = 2  # MELDWIJZER_ADMINS: every area, and adds and removes staff


@dataclass(frozen=True)
class Command:
    """One command: who may use it and the text key of its one-line description."""

    name: str
    role: Role
    description: str
    in_menu: bool = True  # False: listed in /help only (e.g. /afbreken during a conversation)


RESIDENT_COMMANDS: tuple[Command, ...] = tuple(
    Command(name, Role.RESIDENT, f"telegram.cmd_{name}")
    for name in ("start", "help", "gebied", "spreekuren", "taal", "privacy", "wis", "stop")
)
HELP_SECTIONS = {Role.STAFF: "telegram.help_staff", Role.ADMIN: "telegram.help_admin"}


class Menus:
    """Every command of the bot by role: the menus and the /help texts."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self.commands = tuple(commands)

    def menu(self, role: Role, lang: str) -> list[BotCommand]:
        """The menu of ROLE in LANG: the resident commands first, then staff, then admin."""
        return [
            BotCommand(c.name, t(c.description, lang))
            for c in sorted(self.commands, key=lambda c: c.role)
            if c.role <= role and c.in_menu
        ]

    def help_html(self, role: Role, lang: str) -> str:
        """The /help text of ROLE in LANG (Telegram HTML): a section per role up to ROLE."""
        parts = [t("telegram.help", lang)]
        for section_role, key in HELP_SECTIONS.items():
            if section_role > role:
                continue
            lines = [
                f"/{c.name}: {esc(t(c.description, lang))}"
                for c in self.commands
                if c.role == section_role
            ]
            parts.append(t(key, lang, commands="\n".join(lines)))
        return "\n\n".join(parts)

    async def set_default(self, bot: Bot) -> None:
        """The resident menu for everyone, in Dutch and English."""
        for code, lang in MENU_LANGUAGES:
            await bot.set_my_commands(
                self.menu(Role.RESIDENT, lang), scope=BotCommandScopeDefault(), language_code=code
            )

    async def show(self, bot: Bot, chat_id: int, role: Role) -> None:
        """The menu of ROLE in that private chat; a resident's is the default one."""
        for code, lang in MENU_LANGUAGES:
            scope = BotCommandScopeChat(chat_id)
            if role == Role.RESIDENT:
                await bot.delete_my_commands(scope=scope, language_code=code)
            else:
                await bot.set_my_commands(self.menu(role, lang), scope=scope, language_code=code)


async def role_of(services: Services, user_id: int) -> Role:
    """The role of USER_ID: admin, staff (with at least one area) or resident."""
    staff = services.staff
    if staff.is_admin(user_id):
        return Role.ADMIN
    return Role.STAFF if await staff.is_staff(user_id) else Role.RESIDENT


def menus_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Menus:
    """The Menus the builder gave this bot."""
    return app.bot_data[MENUS]  # type: ignore[no-any-return]


async def help_html(update: Update, context: Context, lang: str) -> str:
    """/help for whoever asks: staff and admin commands only in a private chat, where they work."""
    chat, user = update.effective_chat, update.effective_user
    role = Role.RESIDENT
    if chat is not None and chat.type == ChatType.PRIVATE and user is not None:
        try:
            role = await role_of(context.services, user.id)
        except StorageError as exc:  # who is staff cannot be read: the resident's help
            log.warning("/help could not read the staff list: %s", exc)
    return menus_of(context.application).help_html(role, lang)


async def show_menu(context: Context, user_id: int) -> None:
    """Give USER_ID's private chat the menu of their role now (after staff were added or
    removed); a failure is only logged (e.g. someone who never opened a chat with the bot)."""
    try:
        role = await role_of(context.services, user_id)
        await menus_of(context.application).show(context.bot, user_id, role)
    except (TelegramError, StorageError) as exc:
        log.warning("a staff menu was not changed: %s", type(exc).__name__)


async def set_menus(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every menu at start-up; a failure is logged, never fatal (menus are a convenience)."""
    menus, services = menus_of(app), app.bot_data[SERVICES]
    try:
        await menus.set_default(app.bot)
    except TelegramError as exc:
        log.warning("setting the command menus failed: %s", type(exc).__name__)
        return
    roles = {admin: Role.ADMIN for admin in services.settings.admins}
    try:
        members = await services.staff.members()
    except StorageError as exc:
        log.warning("the staff menus wait: the staff list cannot be read: %s", exc)
        members = []
    for member in members:
        if member.areas:
            roles.setdefault(member.user_id, Role.STAFF)
    for chat_id, role in sorted(roles.items()):
        try:
            await menus.show(app.bot, chat_id, role)
        except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
            log.warning("setting a staff menu failed: %s", type(exc).__name__)
