"""Updates of different chats run concurrently; updates of one chat run in the order they came.

PTB runs updates one at a time by default (too slow for a busy bot) or all concurrently (a
resident's "/taal en" could then be overtaken by their next question, and a guided conversation
would see its steps out of order). This processor keeps each chat in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 64

AfterUpdate = Callable[[object], Awaitable[None]]


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats, sequential within one chat."""

    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT, *, after: AfterUpdate | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self.after = after  # awaited once an update is handled, even when its handler failed

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        """Run COROUTINE once every earlier update of the same chat is done, then `after`."""
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            if self.after is not None:
                await self.after(update)

    async def _in_chat_order(self, update: object, coroutine: Awaitable[object]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
