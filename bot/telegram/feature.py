"""A feature of the bot as `app.py` composes it: its handlers and the commands it offers.

Each feature module (`spreekuren`, `stats`) has a `feature()` that returns one; `app.py` lists
the features it builds the bot from, in order, so what the bot does is read in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, BaseHandler

from bot.telegram.commands import Command

FEATURES = "features"  # bot_data: the features the bot was built from, in order


@dataclass(frozen=True)
class Feature:
    """Handlers (registered in order, after the resident and area handlers and before the
    catch-alls) and the commands for the menus and /help, each with the role that may use it."""

    name: str
    handlers: tuple[BaseHandler[Any, Any, Any], ...]
    commands: tuple[Command, ...] = ()
    # The bot has stopped taking updates and can still send (runner.stop).
    stopping: Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]] | None = None
