"""The inbox of fetched updates (bot/inbox.py): deduplicated by id, payload gone once handled,
handled ids kept a bounded time and number, an unhandled update dropped after a day."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from engines import both_engines

from bot.inbox import DEAD_SECONDS, KEEP_SECONDS, LIVE_SECONDS, PRUNE_SECONDS, Inbox
from bot.storage import Database, StorageError

pytestmark = both_engines

DAY = KEEP_SECONDS


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def rows(db: Database) -> list[tuple[int, str | None]]:
    found = await db.fetchall("SELECT update_id, payload FROM inbox ORDER BY update_id")
    return [(int(r[0]), r[1]) for r in found]


async def test_a_second_delivery_is_left_out(db: Database) -> None:
    inbox = Inbox(db)
    assert await inbox.store([(1, '{"a":1}'), (2, '{"b":2}')]) == [1, 2]
    assert await inbox.store([(2, '{"b":2}'), (3, '{"c":3}'), (3, '{"c":3}')]) == [3]
    inbox.done(1)
    await inbox.flush()
    assert await inbox.store([(1, '{"a":1}')]) == []  # handled: still recognised
    assert await inbox.pending() == [(2, '{"b":2}'), (3, '{"c":3}')]


async def test_handled_means_the_payload_is_gone(db: Database) -> None:
    inbox = Inbox(db)
    await inbox.store([(10, '{"text":"er is brand"}'), (11, '{"text":"help"}')])
    inbox.done(10)
    await inbox.flush()
    assert await rows(db) == [(10, None), (11, '{"text":"help"}')]


async def test_handled_ids_are_kept_a_day_and_at_most_keep_ids(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, keep_ids=3, clock=clock)
    await inbox.store([(i, "{}") for i in range(1, 6)])
    for i in range(1, 6):
        inbox.done(i)
    await inbox.flush()
    assert [i for i, _ in await rows(db)] == [3, 4, 5]  # the newest 3
    await inbox.store([(6, "{}")])
    clock.now += DAY + PRUNE_SECONDS
    await inbox.store([(7, "{}")])
    inbox.done(7)
    await inbox.flush()
    assert await rows(db) == [(6, "{}"), (7, None)]  # a pending one is never forgotten


async def test_an_update_unhandled_for_a_day_is_dropped(db: Database) -> None:
    clock = Clock()
    inbox = Inbox(db, clock=clock)
    await inbox.store([(1, '{"text":"oud"}')])
    clock.now += DAY / 2
    await inbox.store([(2, '{"text":"nieuw"}')])
    clock.now += DAY / 2 + 1
    assert await inbox.pending() == [(2, '{"text":"nieuw"}')]
    assert await rows(db) == [(1, None), (2, '{"text":"nieuw"}')]


async def test_a_failing_database_stores_nothing_and_marks_later(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox(db, retry_seconds=0.01)
    await inbox.store([(1, "{}")])
    real = db.transaction
    failures = 2

    def failing():  # type: ignore[no-untyped-def]
        nonlocal failures
        if failures:
            failures -= 1
            raise StorageError("the database is busy")
        return real()

    monkeypatch.setattr(db, "transaction", failing)
    with pytest.raises(StorageError):
        await inbox.store([(2, "{}")])
    inbox.done(1)  # the first write fails; it is tried again
    for _ in range(500):
        if await rows(db) == [(1, None)]:
            break
        await asyncio.sleep(0.01)
    assert await rows(db) == [(1, None)]


async def test_an_update_reaching_two_workers_is_taken_by_one(db_target: str | Path) -> None:
    """Telegram's retry or a load balancer's lands the same update on two workers at once."""
    first, second = await Database.open(db_target), await Database.open(db_target)
    try:
        one, other = Inbox(first), Inbox(second)
        batches = [[(n, f'{{"update_id": {n}}}')] for n in range(100, 140)]
        taken = await asyncio.gather(
            *(inbox.store(batch) for batch in batches for inbox in (one, other))
        )
        ids = [update_id for got in taken for update_id in got]
        assert sorted(ids) == list(range(100, 140))  # each once, by one worker or the other
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_a_stopped_workers_updates_are_taken_over_and_a_busy_ones_are_not(
    db_target: str | Path,
) -> None:
    first, second = await Database.open(db_target), await Database.open(db_target)
    try:
        clock = Clock()
        busy, starting = Inbox(first, clock=clock), Inbox(second, clock=clock)
        await busy.beat()
        assert await busy.store([(1, '{"update_id": 1}'), (2, '{"update_id": 2}')]) == [1, 2]
        busy.done(1)
        await busy.flush()
        assert await starting.pending() == []  # the first worker is at work: its update stays
        clock.now += DEAD_SECONDS + 1  # ... until it stops beating (killed -9)
        await starting.beat()
        assert await starting.pending(others=True) == [(2, '{"update_id": 2}')]
        assert await starting.pending(others=True) == []  # taken once: the second worker's own
        third = Inbox(first, clock=clock)
        assert await third.pending() == []  # and the second worker is alive
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_the_workers_beating_are_counted_and_a_silent_one_is_not(
    db_target: str | Path,
) -> None:
    first, second = await Database.open(db_target), await Database.open(db_target)
    try:
        clock = Clock()
        one, other = Inbox(first, clock=clock), Inbox(second, clock=clock)
        assert await one.live_workers() == 1  # itself, before its first beat too
        await one.beat()
        await other.beat()
        assert await one.live_workers() == 2 and await other.live_workers() == 2
        clock.now += LIVE_SECONDS + 1
        await one.beat()  # the other one stopped beating
        assert await one.live_workers() == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_on_sqlite_one_worker_sends(db: Database) -> None:
    inbox = Inbox(db)
    await inbox.beat()
    assert await inbox.live_workers() == 1


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_on_sqlite_a_start_takes_every_unhandled_update(db: Database) -> None:
    before, after = Inbox(db), Inbox(db)
    assert before.owner is None  # one process: nobody to wait for
    await before.store([(1, '{"update_id": 1}')])
    assert await after.pending() == [(1, '{"update_id": 1}')]
