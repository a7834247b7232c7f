"""The spreekuren store: the migration upgrades an old database in place, concurrent publishes
all land, checks and writes are atomic, and everything survives closing and reopening (on both
engines, but for the SQLite file's own upgrade)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from engines import both_engines
from spreekuren_support import ADMIN, AGENT, NOW, WEEKLY, count, publish, with_staff

from bot import spreekuren
from bot.spreekuren import SpreekuurError
from bot.staff import StaffDirectory, audit_log
from bot.storage import Database, StorageError, migrations


async def test_an_existing_database_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    first = migrations()[0]
    with sqlite3.connect(path) as conn:  # a database as the first release left it
        conn.executescript(first.sql)
        conn.execute(
            "INSERT INTO chat_settings (chat_id, language, area) VALUES (1, 'nl', 'noord-oost')"
        )
        conn.execute("PRAGMA user_version = 1")
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(migrations()) >= 2
        row = await db.fetchone("SELECT language, area FROM chat_settings WHERE chat_id = 1")
        assert tuple(row) == ("nl", "noord-oost")  # type: ignore[arg-type]
        staff = await with_staff(db)
        await publish(db, staff)
        assert await count(db, "spreekuren") == 1
        assert await db.integrity_check() == "ok"
    finally:
        await db.close()


@both_engines
async def test_fifty_concurrent_publishes_are_all_stored(db_target: str | Path) -> None:
    db = await Database.open(db_target)
    try:
        staff = await with_staff(db)
        lines = [
            f"noord-oost {1 + n % 28}-1-2027 {9 + n // 28}:00-{9 + n // 28}:45 Wijkhuis {n}"
            for n in range(50)
        ]
        stored = await asyncio.gather(*(publish(db, staff, line) for line in lines))
        assert len({s.id for s in stored}) == 50
        assert await count(db, "spreekuren") == 50
        creates = [e for e in await audit_log(db, limit=500) if e.action == "spreekuur.create"]
        assert len(creates) == 50
        assert await db.integrity_check() == "ok"
    finally:
        await db.close()


@both_engines
async def test_concurrent_clashing_publishes_store_exactly_one(db_target: str | Path) -> None:
    db = await Database.open(db_target)
    try:
        staff = await with_staff(db)
        results = await asyncio.gather(
            *(publish(db, staff) for _ in range(10)), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 9 and all(isinstance(e, SpreekuurError) for e in errors)
        assert {e.key for e in errors} == {"spreekuren.err.overlap"}  # type: ignore[attr-defined]
        assert await count(db, "spreekuren") == 1
    finally:
        await db.close()


@both_engines
async def test_a_failed_audit_stores_nothing(
    engine: str, db_target: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await Database.open(db_target)
    try:
        staff = await with_staff(db)

        async def broken(*args: object, **kwargs: object) -> None:
            if engine == "sqlite":
                raise sqlite3.OperationalError("disk I/O error")
            raise asyncpg.DiskFullError("could not extend file: No space left on device")

        said = "disk I/O error" if engine == "sqlite" else "disk is full"
        monkeypatch.setattr(spreekuren, "write_audit", broken)
        with pytest.raises(StorageError, match=said):  # said clearly, not raw
            await publish(db, staff)
        assert await count(db, "spreekuren") == 0
        monkeypatch.undo()
        await publish(db, staff)  # the connection is usable afterwards
        assert await count(db, "spreekuren") == 1
    finally:
        await db.close()


@both_engines
async def test_everything_survives_a_restart(engine: str, db_target: str | Path) -> None:
    path = db_target
    db = await Database.open(path)
    staff = await with_staff(db)
    one = await publish(db, staff)
    series = await publish(db, staff, WEEKLY)
    await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 2), NOW)
    await spreekuren.edit(db, staff, AGENT, one.id, "notitie", "alleen de wijkagent", NOW)
    listing = await spreekuren.upcoming(db, "noord-oost", NOW)
    feed = await spreekuren.ics_feed(db, staff.areas, "noord-oost", NOW)
    log = await audit_log(db)
    await db.close()

    reopened = await Database.open(path)
    try:
        again = StaffDirectory(reopened, {ADMIN}, staff.areas)
        assert await again.areas_of(AGENT) == ("noord-oost",)
        assert await spreekuren.upcoming(reopened, "noord-oost", NOW) == listing
        assert await spreekuren.ics_feed(reopened, again.areas, "noord-oost", NOW) == feed
        assert await audit_log(reopened) == log
        assert await reopened.integrity_check() == "ok"
        if engine == "sqlite":
            mode = await reopened.fetchone("PRAGMA journal_mode")
            assert mode[0] == "wal"  # type: ignore[index]
    finally:
        await reopened.close()
