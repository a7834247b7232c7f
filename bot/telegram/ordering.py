"""Chats take turns; the updates of one chat run in the order they came, a bounded few waiting.

PTB runs updates one at a time by default (too slow for a busy bot) or all concurrently (a
resident's "/taal en" could then be overtaken by their next question, and a guided conversation
would see its steps out of order). This processor keeps each chat in order and the chats fair:

- an update first waits for the earlier updates of its own chat, and only then for one of the
  MAX_CONCURRENT turns. Both waits are first come, first served (asyncio's Lock and Semaphore),
  and each chat has at most one update waiting for a turn, so the chats are served round-robin:
  300 messages from one chat wait behind each other, never in front of another chat's;
- a chat has at most QUEUE_PER_CHAT updates waiting or running. Beyond that an update is refused
  unhandled, and `refused(update)` is awaited for the first one of the burst (the bot asks the
  person to slow down); the burst ends when the chat has nothing left waiting.

With several workers on one database (PostgreSQL), `turn(chat_id)` is held around the handling
as well: a per-chat lock in the database, so two updates of one chat that land on different
workers are handled one after the other, never at once.

PTB's own semaphore would be taken before the chat's lock (one chat's backlog then holds every
turn), so it is made large enough never to be waited on; the turns are this processor's.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 64  # updates handled at once, over all chats
QUEUE_PER_CHAT = 20  # a chat's updates waiting or running; a forwarded album is 10
NEVER_WAITED = 2**30  # PTB's semaphore: the turns are taken here instead

AfterUpdate = Callable[[object], Awaitable[None]]
Within = Callable[[object], AbstractContextManager[None]]
Turn = Callable[[int], AbstractAsyncContextManager[None]]


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0  # updates waiting or running
    told: bool = False  # the person was asked to slow down in this burst


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent and round-robin across chats, sequential and bounded within one chat."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT,
        *,
        queue_per_chat: int = QUEUE_PER_CHAT,
        after: AfterUpdate | None = None,
        refused: AfterUpdate | None = None,
        within: Within | None = None,
        turn: Turn | None = None,
    ) -> None:
        super().__init__(NEVER_WAITED)
        self.queue_per_chat = queue_per_chat
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._chats: dict[int, _Chat] = {}
        self.after = after  # awaited once an update is handled (or refused), even when it failed
        self.within = within  # entered around an update's handling (e.g. whose answers these are)
        self.refused = refused  # awaited for the first update refused in a burst
        self.turn = turn  # held around a chat's update: its turn across every worker

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        """Run COROUTINE in its chat's order and its turn (or refuse it), then `after`."""
        try:
            with self.within(update) if self.within else contextlib.nullcontext():
                await self._in_chat_order(update, coroutine)
        finally:
            if self.after is not None:
                await self.after(update)

    async def _in_chat_order(self, update: object, coroutine: Awaitable[object]) -> None:
        key = _chat_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        chat = self._chats.setdefault(key, _Chat())
        if chat.queued >= self.queue_per_chat:
            _close(coroutine)
            if not chat.told:
                chat.told = True
                if self.refused is not None:
                    await self.refused(update)
            return
        chat.queued += 1
        try:
            async with chat.lock, self._slots:
                if self.turn is None:
                    await coroutine
                else:
                    async with self.turn(key):
                        await coroutine
        finally:
            chat.queued -= 1
            if not chat.queued:
                del self._chats[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _close(coroutine: Awaitable[object]) -> None:
    """Drop a handler coroutine that will not run (without a 'never awaited' warning)."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
