"""The modules that plug their own handlers and staff commands into the bot.

A plug-in module offers, each optional:

- `handlers(services) -> list[BaseHandler]`: registered in group 0 after the resident commands
  and the area handlers, before the resident catch-alls (free text, media, unknown buttons), so a
  plug-in's commands, buttons and conversations win over the catch-alls.
- `staff_commands(lang) -> list[BotCommand]`: entries for the staff command menu (shown only in
  staff chats, through BotCommandScopeChat; authorisation is still checked by each handler).
- `async staff_chats(services) -> set[int]`: the private chat ids of staff beyond the admins of
  `MELDWIJZER_ADMINS`, who get the staff menu at start-up.
- `async stopping(app)`: the bot has stopped taking updates and can still send (runner.stop);
  e.g. tell staff half-way a conversation that a restart ends it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, BaseHandler

from bot.services import Services
from bot.telegram import spreekuren, stats

PLUGINS: tuple[ModuleType, ...] = (spreekuren, stats)


def plugin_handlers(services: Services) -> list[BaseHandler[Any, Any, Any]]:
    """Every plug-in's handlers, in plug-in order."""
    found: list[BaseHandler[Any, Any, Any]] = []
    for plugin in PLUGINS:
        make = getattr(plugin, "handlers", None)
        if make is not None:
            found.extend(make(services))
    return found


def plugin_staff_commands(lang: str) -> list[BotCommand]:
    """Every plug-in's staff menu entries in LANG."""
    found: list[BotCommand] = []
    for plugin in PLUGINS:
        make = getattr(plugin, "staff_commands", None)
        if make is not None:
            found.extend(make(lang))
    return found


async def plugin_staff_chats(services: Services) -> set[int]:
    """Every plug-in's staff chats."""
    found: set[int] = set()
    for plugin in PLUGINS:
        get = getattr(plugin, "staff_chats", None)
        if get is not None:
            found |= set(await get(services))
    return found


async def plugin_stopping(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every plug-in's last words before the bot closes its connections."""
    for plugin in PLUGINS:
        stopping = getattr(plugin, "stopping", None)
        if stopping is not None:
            await stopping(app)
