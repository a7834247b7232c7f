"""A feature of the bot as `app.py` composes it: its handlers and the commands it offers.

Each feature module (`spreekuren`, `stats`) has a `feature()` that returns one; `app.py` lists
the features it builds the bot from, in order, so what the bot does is read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import BaseHandler

from bot.telegram.commands import Command
from bot.telegram.guided import Conversation


@dataclass(frozen=True)
class Feature:
    """Handlers (registered in order, after the resident and area handlers and before the
    catch-alls), the commands for the menus and /help, each with the role that may use it, and
    the guided conversations that bot.telegram.guided carries on (their entry commands are
    among the handlers)."""

    name: str
    handlers: tuple[BaseHandler[Any, Any, Any], ...]
    commands: tuple[Command, ...] = ()
    conversations: tuple[Conversation, ...] = ()
