"""The inbox of fetched updates: stored before they are confirmed, handled at least once, each once.

A door stores every update it receives (its id and the update as JSON text) before it tells the
sender it has it, so a crash cannot lose it; after a restart `pending()` gives back those never
marked handled. `done(id)` marks one handled: its payload (what a person typed) is deleted in
the next write, within milliseconds, batched with the others marked meanwhile, so marking never
holds up an answer. Only the id stays, so a second delivery of the same update is recognised and
not handled again: for a day (Telegram re-sends an unconfirmed update for at most 24 hours), and
only the newest KEEP_IDS. An update still unhandled after a day (the process was down that long)
is dropped unhandled, as Telegram itself would.

On a database several workers share (PostgreSQL), each update is stored with the id of the
worker that took it, and every worker beats (`beat`, every BEAT_SECONDS). `pending()` then gives
only the unhandled updates of workers that stopped beating DEAD_SECONDS ago (killed, or stopped
with work left), and makes them this worker's, in one statement: a worker that starts beside a
busy one never takes that one's updates, and two survivors never take the same one. The beats
also tell how many workers are sending (`live_workers`), to split Telegram's limit for the bot.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence

from bot.storage import Database, StorageError, Transaction

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600
KEEP_IDS = 100_000
PRUNE_SECONDS = 60.0  # handled ids past their time are deleted at most this often
RETRY_SECONDS = 1.0  # after a failed write of the marks
BEAT_SECONDS = 5.0  # a worker on a shared database says it is alive this often
DEAD_SECONDS = 30  # ... and one silent this long has stopped: its unhandled updates are taken
LIVE_SECONDS = 2 * BEAT_SECONDS + 1  # one that beat this recently counts as sending (live_workers)

Clock = Callable[[], float]  # seconds since 1970


class Inbox:
    """Updates by id: a pending one with its payload, a handled one as a bare id."""

    def __init__(
        self,
        db: Database,
        *,
        keep_seconds: int = KEEP_SECONDS,
        keep_ids: int = KEEP_IDS,
        clock: Clock = time.time,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.db = db
        self.keep_seconds = keep_seconds
        self.keep_ids = keep_ids
        self.clock = clock
        self.retry_seconds = retry_seconds
        self._marks: set[int] = set()
        self._marking: asyncio.Task[None] | None = None
        self._flushing = False
        self._pruned_at = 0.0
        # Only where workers share the database: who stored an update (a new id every start).
        self.owner: str | None = secrets.token_hex(8) if db.shared else None

    async def store(self, updates: Sequence[tuple[int, str]]) -> list[int]:
        """Store the updates whose id is new, in one transaction; returns those ids, in order.

        An id stored before (pending or handled) is a second delivery and is left out. Raises
        StorageError when the database fails; then nothing is stored.
        """
        if not updates:
            return []
        now = int(self.clock())
        fresh: list[int] = []
        async with self.db.transaction() as tx:
            for update_id, payload in updates:
                # The key decides, in this process or another worker's: only the first insert
                # of an id returns it; a second delivery (or a retry to another worker) does not.
                row = await tx.fetchone(
                    "INSERT INTO inbox (update_id, payload, received_at, owner) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
                    (update_id, payload, now, self.owner),
                )
                if row is not None:
                    fresh.append(update_id)
        return fresh

    async def pending(self, *, others: bool = False) -> list[tuple[int, str]]:
        """The updates stored but never handled (a crash came first), oldest first.

        Those stored more than a day ago are dropped unhandled (their payload deleted). On a
        shared database only this worker's own and those of workers that stopped beating, which
        become this one's; with OTHERS (the periodic look, while this worker handles its own)
        only the latter.
        """
        cutoff = int(self.clock()) - self.keep_seconds
        if self.owner is not None:
            await self.beat()
        async with self.db.transaction() as tx:
            dropped = await tx.execute(
                "UPDATE inbox SET payload = NULL WHERE payload IS NOT NULL AND received_at < ?",
                (cutoff,),
            )
            if self.owner is None:
                rows = await tx.fetchall(
                    "SELECT update_id, payload FROM inbox WHERE payload IS NOT NULL "
                    "ORDER BY update_id"
                )
            else:
                rows = await tx.fetchall(
                    "UPDATE inbox SET owner = ? WHERE payload IS NOT NULL AND (owner IS NULL OR "
                    "(owner = ? AND NOT ?) OR "
                    "owner NOT IN (SELECT worker FROM inbox_workers WHERE seen_at >= ?)) "
                    "RETURNING update_id, payload",
                    (self.owner, self.owner, others, int(self.clock()) - DEAD_SECONDS),
                )
            found = sorted((int(row[0]), str(row[1])) for row in rows)
        if dropped > 0:
            log.warning("%d stored updates were more than a day old: dropped unhandled", dropped)
        return found

    async def beat(self) -> None:
        """Say this worker is alive (a shared database only); forget workers gone a day."""
        if self.owner is None:
            return
        now = int(self.clock())
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO inbox_workers (worker, seen_at) VALUES (?, ?) "
                "ON CONFLICT (worker) DO UPDATE SET seen_at = excluded.seen_at",
                (self.owner, now),
            )
            await tx.execute(
                "DELETE FROM inbox_workers WHERE seen_at < ?", (now - self.keep_seconds,)
            )

    async def live_workers(self) -> int:
        """How many workers beat in the last LIVE_SECONDS, this one included (1 when not shared).

        They send for one bot, so they split Telegram's limit for it (bot.telegram.outbox.share).
        """
        if self.owner is None:
            return 1
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM inbox_workers WHERE seen_at >= ? AND worker <> ?",
            (int(self.clock()) - LIVE_SECONDS, self.owner),
        )
        return 1 + (int(row[0]) if row is not None else 0)

    def done(self, update_id: int) -> None:
        """Mark an update handled: its payload is deleted in the next write, within milliseconds."""
        self._marks.add(update_id)
        if self._marking is None or self._marking.done():
            loop = asyncio.get_running_loop()
            self._marking = loop.create_task(self._write_marks(), name="inbox")

    async def flush(self) -> None:
        """Write the marks still waiting (at stop); if the database fails, say so and give up.

        Updates whose mark was not written are handled once more after the next start.
        """
        self._flushing = True
        try:
            if self._marking is not None:
                await self._marking
            if self._marks:
                await self._write_marks()
        finally:
            self._flushing = False
        if self._marks:
            log.warning(
                "%d handled updates could not be marked; they are handled again at the next start",
                len(self._marks),
            )

    async def _write_marks(self) -> None:
        """Write every waiting mark, in batches; retry a failed write until flushing."""
        while self._marks:
            batch = sorted(self._marks)
            try:
                await self._mark(batch)
            except (StorageError, ValueError) as exc:  # ValueError: the database is closed
                log.warning("%d handled updates not marked yet: %s", len(batch), exc)
                if self._flushing:
                    return
                await asyncio.sleep(self.retry_seconds)
                continue
            self._marks.difference_update(batch)

    async def _mark(self, ids: list[int]) -> None:
        now = self.clock()
        prune = now - self._pruned_at >= PRUNE_SECONDS
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE inbox SET payload = NULL WHERE update_id = ?", [(i,) for i in ids]
            )
            if prune:
                await self._prune(tx, int(now))
        if prune:
            self._pruned_at = now

    async def _prune(self, tx: Transaction, now: int) -> None:
        """Forget handled ids older than a day, and all but the newest keep_ids."""
        await tx.execute(
            "DELETE FROM inbox WHERE payload IS NULL AND received_at < ?",
            (now - self.keep_seconds,),
        )
        oldest_dropped = await tx.fetchone(
            "SELECT update_id FROM inbox WHERE payload IS NULL "
            "ORDER BY update_id DESC LIMIT 1 OFFSET ?",
            (self.keep_ids,),
        )
        if oldest_dropped is not None:
            await tx.execute(
                "DELETE FROM inbox WHERE payload IS NULL AND update_id <= ?",
                (oldest_dropped[0],),
            )
