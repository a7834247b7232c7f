"""The Application's update queue on the inbox: an update is queued only once it is stored.

Every way an update comes in (our polling loop, PTB's webhook server, the HTTP service's webhook
route) puts it into `Application.update_queue`; this queue stores it in the inbox (bot/inbox.py)
before `put` returns, so the caller confirms it to Telegram (the next getUpdates offset, or the
webhook's 200) only once it survives a crash. An update stored before is a second delivery and
is not queued again. `resume` queues what a crash left unhandled; `handled` (PerChatOrder's
`after` hook) marks an update done, which deletes its payload; while an answer to it waits in the
outbox (Telegram was down, bot.telegram.kept) it stays open until `settled`, so a crash before
that answer is delivered answers the update again after the restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence

from telegram import Bot, Update

from bot.inbox import Inbox
from bot.storage import StorageError

log = logging.getLogger(__name__)


class InboxQueue(asyncio.Queue[object]):
    """An update queue that stores updates first and drops the ones it has seen."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox
        self._lock = asyncio.Lock()  # store and resume one at a time: no update queued twice
        self._live: set[int] = set()  # queued or being handled by this process
        self._resumed = False
        self.answer_kept: Callable[[int], bool] = lambda update_id: False
        self._open: set[int] = set()  # handled, but an answer is still kept

    async def put(self, item: object) -> None:
        """Store an update, then queue it unless seen before; anything else (PTB's stop) as is.

        This is how a webhook call hands over its update. Raises StorageError (said in one log
        line) when it could not be stored: then it is not queued, and the webhook must not answer
        200, so that Telegram sends it again.
        """
        if not isinstance(item, Update):
            await super().put(item)
            return
        try:
            await self.put_updates([item])
        except StorageError as exc:
            log.warning("webhook update not stored (Telegram sends it again): %s", exc)
            raise

    async def put_updates(self, updates: Sequence[Update]) -> None:
        """Store UPDATES in one transaction, then queue those not seen before (StorageError)."""
        async with self._lock:
            fresh = set(await self.inbox.store([(u.update_id, _payload(u)) for u in updates]))
            for update in updates:
                if update.update_id in fresh:
                    self._live.add(update.update_id)
                    self.put_nowait(update)

    async def resume(self, bot: Bot) -> int:
        """Queue the updates a crash left unhandled (once per process); returns how many."""
        async with self._lock:
            if self._resumed:
                return 0
            queued = await self._queue_pending(bot, others=False)
            self._resumed = True
            return queued

    async def adopt(self, bot: Bot) -> int:
        """Queue the unhandled updates of workers that stopped (a shared database, every few
        seconds: bot.inbox.Inbox.pending); returns how many."""
        async with self._lock:
            return await self._queue_pending(bot, others=True)

    async def _queue_pending(self, bot: Bot, *, others: bool) -> int:
        queued = 0
        for update_id, payload in await self.inbox.pending(others=others):
            if update_id in self._live:
                continue  # came in again (a webhook) before the bot started
            try:
                update = Update.de_json(json.loads(payload), bot)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                log.error(
                    "stored update %d unreadable (%s): dropped", update_id, type(exc).__name__
                )
                self.inbox.done(update_id)
                continue
            self._live.add(update_id)
            self.put_nowait(update)
            queued += 1
        return queued

    async def handled(self, update: object) -> None:
        """Mark UPDATE done (PerChatOrder's `after`): its payload is deleted, its id kept."""
        if not isinstance(update, Update):
            return
        self._live.discard(update.update_id)
        if self.answer_kept(update.update_id):
            self._open.add(update.update_id)
        else:
            self.inbox.done(update.update_id)

    def settled(self, update_id: int) -> None:
        """No answer to UPDATE_ID is kept any more: done, if it was handled (Outbox's hook)."""
        if update_id in self._open:
            self._open.discard(update_id)
            self.inbox.done(update_id)


def _payload(update: Update) -> str:
    return json.dumps(update.to_dict(), ensure_ascii=False, separators=(",", ":"))
