"""Long polling that confirms an update to Telegram only once it is stored in the inbox.

Telegram forgets every update below the `offset` of the next getUpdates. PTB's Updater moves the
offset as soon as updates are fetched, so a crash before they were handled lost them. This loop
puts each batch into the InboxQueue (which stores it) and only then moves the offset; a crash
between fetching and handling loses nothing: the updates are handled after the restart. When
Telegram cannot be reached the loop waits a growing pause (BACKOFF) and says so in one log line
per try; a failing database likewise, and the batch is not confirmed (Telegram sends it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.storage import StorageError
from bot.telegram.intake import InboxQueue

log = logging.getLogger(__name__)

POLL_SECONDS = 10  # how long Telegram holds a getUpdates open while nothing is new
BACKOFF: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then every 30 s


def pause(failures: int, backoff: tuple[float, ...] = BACKOFF) -> float:
    """Seconds to wait after FAILURES failures in a row (1 or more)."""
    return backoff[min(failures, len(backoff)) - 1]


class Poller:
    """getUpdates in a loop; the offset moves past a batch once the batch is stored."""

    def __init__(self, bot: Bot, queue: InboxQueue, *, poll_seconds: int = POLL_SECONDS) -> None:
        self.bot = bot
        self.queue = queue
        self.poll_seconds = poll_seconds
        self.offset: int | None = None
        self._failures = 0
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._fetching: asyncio.Task[list[Update]] | None = None

    def start(self) -> None:
        """Poll in a background task until `stop`."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="polling")

    async def stop(self) -> None:
        """Stop polling (never half-way a store), then confirm what was stored."""
        self._stopping = True
        if self._fetching is not None:
            self._fetching.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._confirm()

    async def _run(self) -> None:
        while not self._stopping:
            # Only the fetch (a network call or a pause) is cancelled at stop: a store is not
            # interrupted half-way.
            self._fetching = asyncio.ensure_future(self._fetch())
            try:
                updates = await self._fetching
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except InvalidToken:
                log.error("Telegram refused the token (TELEGRAM_BOT_TOKEN): polling stops")
                return
            finally:
                self._fetching = None
            if updates:
                await self._keep(updates)

    async def _fetch(self) -> list[Update]:
        """One getUpdates after the pause earlier failures ask for; [] when it failed."""
        if self._failures:
            await asyncio.sleep(pause(self._failures))
        try:
            updates = await self.bot.get_updates(
                offset=self.offset, timeout=self.poll_seconds, allowed_updates=Update.ALL_TYPES
            )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            log.warning("getUpdates: Telegram asks to wait %.0f s", wait)
            await asyncio.sleep(wait)
            return []
        except TelegramError as exc:
            self._failed(f"getUpdates failed ({type(exc).__name__})")
            return []
        except Exception as exc:  # e.g. an update PTB cannot read; never its content
            frames = "".join(traceback.format_tb(exc.__traceback__))
            self._failed(f"getUpdates: unexpected {type(exc).__name__}\n{frames}")
            return []
        if self._failures:
            log.info("getUpdates answers again")
            self._failures = 0
        return list(updates)

    async def _keep(self, updates: list[Update]) -> None:
        """Store the batch (queued for handling), then move the offset past it."""
        try:
            await self.queue.put_updates(updates)
        except StorageError as exc:
            self._failed(f"{len(updates)} updates not stored, so not confirmed: {exc}")
            return
        self.offset = updates[-1].update_id + 1

    def _failed(self, what: str) -> None:
        self._failures += 1
        log.warning("%s; polling again in %.1f s", what, pause(self._failures))

    async def _confirm(self) -> None:
        """Tell Telegram the stored updates are taken, so the next start does not fetch them.

        Best effort: if it fails, the next start fetches them again and the inbox recognises them.
        """
        if self.offset is None:
            return
        try:
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.info("confirming the last updates failed (%s); harmless", type(exc).__name__)


def retry_seconds(exc: RetryAfter) -> float:
    """The seconds Telegram asks to wait (an int, or a timedelta in newer PTB)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
