"""asyncpg against psycopg 3 on the statements one resident message costs in webhook mode.

Run: .venv/bin/python bench/pgdriver_bench.py [--messages 1000] [--rounds 3]
Needs psycopg 3 (`pip install -e '.[bench]'`; without it the bench says so and exits) and
PostgreSQL (MELDWIJZER_BENCH_PG as a DSN, else a throw-away cluster of tests/pgserver.py), in
a fresh database migrated by the project's own Database.open. A message is what bot/pgstore.py
sends for one: the inbox insert (ON CONFLICT DO NOTHING RETURNING), the chat's turn
(pg_advisory_lock on a turn-pool connection, given back by the pool's reset), the chat-settings
read, a stats counter upsert and the inbox mark (both executemany); each write a transaction
opened by pgstore's one-round-trip BEGIN (which takes the write lock). Rows: the bare drivers,
and asyncpg through bot.pgstore. CPU is this process's (time.process_time); PostgreSQL shares
the machine's cores. Each row is the median of rounds run interleaved. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # this checkout's bot/, not the installed one

import pgserver  # noqa: E402

from bot import dialect, pgstore  # noqa: E402
from bot.stats import _UPSERT  # noqa: E402
from bot.storage import Database  # noqa: E402

try:
    import psycopg
    import psycopg_pool
except ImportError:
    psycopg = None  # type: ignore[assignment]
try:
    from uvloop import run  # the bot's own loop (bot/server.py)
except ImportError:
    from asyncio import run

INSERT = (
    "INSERT INTO inbox (update_id, payload, received_at, owner) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING RETURNING update_id"
)
MARK = "UPDATE inbox SET payload = NULL WHERE update_id = ?"
SETTINGS = "SELECT language, area, buurt FROM chat_settings WHERE chat_id = ?"
LOCK = "SELECT pg_advisory_lock(?, ?)"
PAYLOAD = '{"update_id": 1, "message": {"chat": {"id": 1}, "text": "' + "x" * 200 + '"}}'
IDS = itertools.count(1)
Rows = Sequence[Sequence[Any]]


class Pools:
    """A driver's two pools, sized as bot/pgstore.py's: statements, and chats' turns."""

    pool: Any
    turns: Any

    async def close(self) -> None:
        for pool in (self.pool, self.turns):
            await pool.close()


class Asyncpg(Pools):
    """asyncpg as bot/pgstore.py uses it, without the project's layer."""

    async def open(self, dsn: str) -> Asyncpg:
        sizes = (pgstore.POOL_SIZE, pgstore.TURN_POOL_SIZE)
        self.pool, self.turns = [
            await asyncpg.create_pool(dsn, min_size=n, max_size=n) for n in sizes
        ]
        return self

    async def write(self, sql: str, rows: Rows, fetch: bool) -> None:
        text = dialect.postgres_sql(sql)[0]
        async with self.pool.acquire() as conn:
            await conn.execute(pgstore._BEGIN)
            await (conn.fetch(text, *rows[0]) if fetch else conn.executemany(text, rows))
            await conn.execute("COMMIT")

    async def read(self, sql: str, args: Sequence[Any]) -> None:
        await self.pool.fetch(dialect.postgres_sql(sql)[0], *args)

    @contextlib.asynccontextmanager
    async def turn(self, chat: int) -> AsyncIterator[None]:
        async with self.turns.acquire() as conn:  # its release runs pg_advisory_unlock_all
            lock = dialect.postgres_sql(LOCK)[0]
            await conn.execute(lock, dialect.CHAT_NAMESPACE, dialect.chat_key(chat))
            yield


class Psycopg(Pools):
    """psycopg 3 (async, autocommit, psycopg_pool) sending the same round trips."""

    async def open(self, dsn: str) -> Psycopg:
        async def unlock(conn: Any) -> None:
            await conn.execute("SELECT pg_advisory_unlock_all()")

        sizes = ((pgstore.POOL_SIZE, None), (pgstore.TURN_POOL_SIZE, unlock))
        self.pool, self.turns = [
            psycopg_pool.AsyncConnectionPool(
                dsn, min_size=n, max_size=n, kwargs={"autocommit": True}, open=False, reset=reset
            )
            for n, reset in sizes
        ]
        for pool in (self.pool, self.turns):
            await pool.open(wait=True)
        return self

    async def write(self, sql: str, rows: Rows, fetch: bool) -> None:
        text = sql.replace("?", "%s")
        async with self.pool.connection() as conn:
            await conn.execute(pgstore._BEGIN)
            if fetch:
                await (await conn.execute(text, rows[0])).fetchall()
            else:
                await conn.cursor().executemany(text, rows)
            await conn.execute("COMMIT")

    async def read(self, sql: str, args: Sequence[Any]) -> None:
        async with self.pool.connection() as conn:
            await (await conn.execute(sql.replace("?", "%s"), args)).fetchall()

    @contextlib.asynccontextmanager
    async def turn(self, chat: int) -> AsyncIterator[None]:
        async with self.turns.connection() as conn:  # the pool's reset gives the lock back
            lock = LOCK.replace("?", "%s")
            await conn.execute(lock, (dialect.CHAT_NAMESPACE, dialect.chat_key(chat)))
            yield


class Project:
    """asyncpg through the project's own PostgresDatabase (dialect, errors, Transaction)."""

    async def open(self, dsn: str) -> Project:
        self.db = await Database.open(dsn)
        return self

    async def write(self, sql: str, rows: Rows, fetch: bool) -> None:
        async with self.db.transaction() as tx:
            await (tx.fetchone(sql, rows[0]) if fetch else tx.executemany(sql, rows))

    async def read(self, sql: str, args: Sequence[Any]) -> None:
        await self.db.fetchone(sql, args)

    def turn(self, chat: int) -> contextlib.AbstractAsyncContextManager[None]:
        return self.db.chat_turn(chat)

    async def close(self) -> None:
        await self.db.close()


async def message(driver: Any, chat: int) -> None:
    """What one resident message costs the database, in the bot's order."""
    update_id = next(IDS)
    await driver.write(INSERT, [(update_id, PAYLOAD, int(time.time()), "bench")], True)
    async with driver.turn(chat):
        await driver.read(SETTINGS, (chat,))
    cell = ("2026-11-01", 58, "centrum", "6211", f"situatie{update_id % 5}", "afval", "bel", 0)
    await driver.write(_UPSERT, [(*cell, "nl", "telegram", "question", 1)], False)
    await driver.write(MARK, [(update_id,)], False)


async def measure(driver: Any, concurrency: int, messages: int) -> tuple[float, ...]:
    """Messages a second, p50 and p99 ms, client CPU ms per message."""
    latencies: list[float] = []

    async def chats(worker: int) -> None:
        for n in range(messages // concurrency):
            start = time.perf_counter()
            await message(driver, 1000 * worker + n % 50)
            latencies.append(time.perf_counter() - start)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(chats(w) for w in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / wall, cuts[49] * 1e3, cuts[98] * 1e3, cpu * 1e3 / len(latencies)


async def bench(dsn: str, messages: int, rounds: int) -> None:
    """Every driver at concurrency 1 and 16; prints the table."""
    name = f"pgdriver_{os.getpid()}"
    await pgserver.execute(dsn, f"CREATE DATABASE {name}")
    dsn = dsn.rsplit("/", 1)[0] + f"/{name}"
    db = await Database.open(dsn)  # the real migrations
    settings = [(1000 * w + n, "nl", None, None) for w in range(16) for n in range(50)]
    await db.executemany("INSERT INTO chat_settings VALUES (?, ?, ?, ?)", settings)
    await db.close()
    kinds = {"asyncpg": Asyncpg, "bot.pgstore": Project, "psycopg": Psycopg}
    drivers: dict[str, Any] = {label: await kind().open(dsn) for label, kind in kinds.items()}
    for driver in drivers.values():  # warm: every connection open, statements prepared
        await measure(driver, 16, 320)
    load = f"{os.getloadavg()[0]:.1f}"
    figures: dict[tuple[int, str], list[tuple[float, ...]]] = {}
    for _ in range(rounds):  # interleaved: a busy moment of the machine hits every driver
        for concurrency in (1, 16):
            for label, driver in drivers.items():
                found = await measure(driver, concurrency, messages)
                figures.setdefault((concurrency, label), []).append(found)
    for driver in drivers.values():
        await driver.close()
    print(f"median of {rounds} rounds of {messages} messages; a message = 3 write transactions,")
    print(f"a turn and a read; load average {load} before, {os.getloadavg()[0]:.1f} after")
    print("driver       conc    msg/s   tx/s   p50 ms   p99 ms   CPU ms/msg")
    for (concurrency, label), runs in figures.items():
        rate, p50, p99, cpu = (statistics.median(column) for column in zip(*runs, strict=True))
        print(
            f"{label:<12} {concurrency:>4} {rate:>8.0f} {3 * rate:>6.0f}"
            f" {p50:>8.2f} {p99:>8.2f} {cpu:>12.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000, help="messages per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per row (median)")
    args = parser.parse_args()
    if psycopg is None:
        print("psycopg 3 is not installed: nothing to compare (pip install -e '.[bench]')")
        return
    print(
        f"asyncpg {asyncpg.__version__}, psycopg {psycopg.__version__} ({psycopg.pq.__impl__}),"
        f" Python {sys.version.split()[0]}, {date.today()}, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as temp:
        dsn = os.environ.get("MELDWIJZER_BENCH_PG", "").strip()
        cluster = None
        if not dsn:
            Path(temp).chmod(0o755)
            cluster = Path(temp) / "cluster"
            dsn = pgserver.start(cluster)
        try:
            run(bench(dsn, args.messages, args.rounds))
        finally:
            if cluster is not None:
                pgserver.stop(cluster)


if __name__ == "__main__":
    main()
