"""Command menus: the resident commands in Dutch and English, staff commands in staff chats only.

A menu is only a hint: every staff handler still checks who is asking.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.i18n import t
from bot.services import Services
from bot.telegram.plugins import plugin_staff_chats, plugin_staff_commands

log = logging.getLogger(__name__)

RESIDENT_COMMANDS: tuple[str, ...] = (
    "start",
    "help",
    "gebied",
    "spreekuren",
    "taal",
    "privacy",
    "wis",
    "stop",
)
# The menu in Dutch for Dutch Telegram users, in English for everyone else.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = (("nl", "nl"), (None, "en"))


def resident_commands(lang: str) -> list[BotCommand]:
    """The resident menu in LANG."""
    return [BotCommand(name, t(f"telegram.cmd_{name}", lang)) for name in RESIDENT_COMMANDS]


def staff_menu(lang: str) -> list[BotCommand]:
    """The staff menu in LANG: the resident commands, then every plug-in's staff commands."""
    return resident_commands(lang) + plugin_staff_commands(lang)


async def set_resident_menus(bot: Bot) -> None:
    """The default menu for everyone, in Dutch and English."""
    for code, lang in MENU_LANGUAGES:
        await bot.set_my_commands(
            resident_commands(lang), scope=BotCommandScopeDefault(), language_code=code
        )


async def set_staff_menu(bot: Bot, chat_id: int) -> None:
    """Show the staff menu in the private chat of a staff member (call when staff is added)."""
    for code, lang in MENU_LANGUAGES:
        await bot.set_my_commands(
            staff_menu(lang), scope=BotCommandScopeChat(chat_id), language_code=code
        )


async def clear_staff_menu(bot: Bot, chat_id: int) -> None:
    """Back to the resident menu in that chat (call when staff is removed)."""
    for code, _lang in MENU_LANGUAGES:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=code)


async def set_menus(bot: Bot, services: Services) -> None:
    """Every menu at start-up; a failure is logged, never fatal (menus are a convenience)."""
    try:
        await set_resident_menus(bot)
    except TelegramError as exc:
        log.warning("setting the command menus failed: %s", type(exc).__name__)
        return
    staff = set(services.settings.admins) | await plugin_staff_chats(services)
    for chat_id in sorted(staff):
        try:
            await set_staff_menu(bot, chat_id)
        except TelegramError as exc:  # e.g. an admin who never opened a chat with the bot
            log.warning("setting a staff menu failed: %s", type(exc).__name__)
