"""Counts gather in memory and are written together: about once a second (the services' timer,
which also retries what a failing database refused), early when many cells wait, before every
read and when the bot or the service stops; a failing database loses none."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from engines import both_engines
from fakebotapi import FakeBotAPI, text_update

import bot.stats
from bot.config import Settings
from bot.server import serve
from bot.services import Services, open_services
from bot.stats import Question, Stats
from bot.storage import Database, StorageError
from bot.telegram import runner
from bot.telegram.app import build_application

pytestmark = both_engines

KAART = SimpleNamespace(situations={"afval-bijplaatsing": SimpleNamespace(theme="afval")})
RUBBISH = "er staan weer vuilniszakken naast de container"
HOUR = 3600.0  # a flush interval no test waits for: only an explicit or a shutdown flush writes


def question(pc4: str = "6222", **changes: Any) -> Question:
    fields: dict[str, Any] = {
        "situation": "afval-bijplaatsing",
        "channel": "melddesk",
        "emergency": False,
        "language": "nl",
        "door": "telegram",
        "area": "noord-oost",
        "pc4": pc4,
    }
    fields.update(changes)
    return Question(**fields)


@pytest.fixture
def stats(db: Database) -> Stats:
    moment = datetime(2026, 3, 11, 13, 20, tzinfo=UTC)
    return Stats(
        db,
        Settings(),
        clock=lambda: moment,
        meldkaart=KAART,  # type: ignore[arg-type]
        flush_seconds=HOUR,
    )


async def table(db: Database) -> dict[str, int]:
    """The counters as written, by PC4 and kind: what is on disk, not what waits in memory."""
    rows = await db.fetchall("SELECT pc4, kind, count FROM stats_counts")
    return {f"{r['pc4']} {r['kind']}": int(r["count"]) for r in rows}


class Writes:
    """Every executemany the counters make: how many rows went in each transaction."""

    def __init__(self, db: Database) -> None:
        self.batches: list[int] = []
        self._write = db.executemany

    async def __call__(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        self.batches.append(len(rows))
        await self._write(sql, rows)


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> None:
    """Wait until the async CHECK returns true (generous: this is no timing assertion)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "the counts were never written"
        await asyncio.sleep(0.02)


async def test_counts_wait_in_memory_and_are_written_in_one_transaction(
    stats: Stats, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = Writes(db)
    monkeypatch.setattr(db, "executemany", writes)
    for _ in range(40):
        await stats.record(question())
    for _ in range(3):
        await stats.record(question(pc4="6221"))
    await stats.feedback("afval-bijplaatsing", True, "telegram")
    assert await table(db) == {}  # nothing written per question
    await stats.flush()
    assert writes.batches == [3]  # three cells, one transaction
    assert await table(db) == {"6222 question": 40, "6221 question": 3, "unknown helpful": 1}
    await stats.record(question())
    await stats.flush()
    await stats.flush()  # nothing pending: no transaction at all
    assert writes.batches == [3, 1]
    assert (await table(db))["6222 question"] == 41  # added to the counter, as before


async def test_counts_are_written_within_about_a_second_by_themselves(
    stats: Stats, db: Database
) -> None:
    stats.flush_seconds = 0.05
    stats.start()
    try:
        await stats.record(question())
        await stats.record(question())

        async def written() -> bool:
            return await table(db) == {"6222 question": 2}

        await eventually(written)
        await stats.record(question())  # the next second's counts get their own flush

        async def added() -> bool:
            return await table(db) == {"6222 question": 3}

        await eventually(added)
    finally:
        await stats.stop()


class Failing:
    """An executemany that refuses while `refusing` is set (as a locked or full database does);
    RAISE is what it raises."""

    def __init__(self, db: Database, error: Exception) -> None:
        self.refusing = True
        self.tries = 0
        self._error = error
        self._write = db.executemany

    async def __call__(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.tries += 1
        if self.refusing:
            raise self._error
        await self._write(sql, rows)


BUSY = StorageError("the database is busy (locked by another process); try again shortly")


async def refused_once(failing: Failing) -> None:
    async def tried() -> bool:
        return failing.tries >= 1

    await eventually(tried)


@pytest.mark.parametrize("error", [BUSY, RuntimeError("a bug below the counters")])
async def test_counts_that_failed_are_written_by_the_timer_without_a_new_question(
    services: Services, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """The services' timer retries; before, they waited for the next question or read."""
    services.stats.flush_seconds = 0.05
    failing = Failing(services.db, error)
    monkeypatch.setattr(services.db, "executemany", failing)
    for _ in range(50):
        await services.stats.record(question())
    await refused_once(failing)  # the timer tried and the database said no
    failing.refusing = False  # the lock ends; nobody asks anything from now on

    async def written() -> bool:
        return await table(services.db) == {"6222 question": 50}

    await eventually(written)


async def test_the_timer_stops_with_the_services(bot_settings: Settings) -> None:
    opened = await open_services(bot_settings)
    opened.stats.flush_seconds = 0.05
    await opened.stats.record(question())
    timer = opened.stats._timer
    assert timer is not None and not timer.done()
    await opened.close()
    assert timer.done()  # no task left behind to write into a closed database
    assert await written_on_disk(bot_settings.database) == {"telegram": 1}  # the last count too


async def test_many_waiting_cells_are_written_at_once(stats: Stats, db: Database) -> None:
    stats.flush_cells = 10
    for pc4 in range(6211, 6221):  # ten cells
        await stats.record(question(pc4=str(pc4)))

    async def written() -> bool:
        return len(await table(db)) == 10

    await eventually(written)


async def test_counting_while_a_flush_writes_loses_nothing(stats: Stats, db: Database) -> None:
    stats.flush_cells = 7

    async def resident(n: int) -> None:
        for i in range(50):
            await stats.record(question(pc4=str(6211 + (n + i) % 20)))
            if i % 5 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(*(resident(n) for n in range(20)), stats.flush(), stats.flush())
    await stats.flush()
    assert sum((await table(db)).values()) == 20 * 50


async def test_reads_see_the_counts_still_in_memory(stats: Stats) -> None:
    await stats.record(question())
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert [c.count for c in await stats.counts(*march, [])] == [1]


async def test_a_failing_database_keeps_the_counts_within_a_bound(
    stats: Stats, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def locked(sql: str, rows: object) -> None:
        raise StorageError("the database is busy (locked by another process); try again shortly")

    monkeypatch.setattr(bot.stats, "MAX_PENDING_CELLS", 3)
    monkeypatch.setattr(db, "executemany", locked)
    for pc4 in ("6211", "6212", "6213", "6214", "6214"):
        await stats.record(question(pc4=pc4))
    await stats.flush()  # never raises: counting must not cost an answer
    assert "not written" in caplog.text and "dropped" in caplog.text
    monkeypatch.undo()
    await stats.flush()
    assert await table(db) == {"6212 question": 1, "6213 question": 1, "6214 question": 2}


# -- shutdown: the doors write the last second's counts -------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def written_on_disk(path: str | Path) -> dict[str, int]:
    """The counters in the database, read through a fresh connection."""
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT door, SUM(count) AS n FROM stats_counts GROUP BY door")
        return {str(r["door"]): int(r["n"]) for r in rows}
    finally:
        await db.close()


async def test_stopping_the_bot_writes_the_pending_counts(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    services.stats.flush_seconds = HOUR
    app = build_application(bot_settings, services, timeout=2.0)
    await runner.start(app, bot_settings)
    try:
        fake_api.push_update(text_update(fake_api, 5101, RUBBISH))
        await fake_api.wait_for(lambda: bool(fake_api.of("sendMessage")))
    finally:
        await runner.stop(app)
    rows = await services.db.fetchall("SELECT door, count FROM stats_counts")
    assert [(r["door"], r["count"]) for r in rows] == [("telegram", 1)]


async def test_stopping_the_service_writes_the_pending_counts(
    bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.Stats", functools.partial(Stats, flush_seconds=HOUR))
    settings = dataclasses.replace(
        bot_settings, telegram_token=None, host="127.0.0.1", port=free_port()
    )
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, started=started))
    await asyncio.wait_for(started.wait(), 20)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}") as client:
            for _ in range(3):
                answer = await client.post("/api/route", json={"text": RUBBISH})
                assert answer.status_code == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert await written_on_disk(settings.database) == {"api": 3}
