"""`meldwijzer migrate`: applies the migrations to MELDWIJZER_DB, and with --from FILE moves an
SQLite file into an empty (PostgreSQL) database, row for row, ids and all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from engines import both_engines
from spreekuren_support import AGENT, NOW, WEEKLY, count, publish, with_staff

from bot import chatsettings
from bot.cli import main
from bot.guided import ConversationState, SqlConversationStore
from bot.inbox import Inbox
from bot.staff import audit_log
from bot.storage import Database, migrations

TABLES = (
    "chat_settings",
    "staff",
    "staff_areas",
    "spreekuren",
    "spreekuur_cancellations",
    "audit_log",
    "guided_conversations",
    "inbox",
)


async def filled(path: Path) -> dict[str, int]:
    """An SQLite file with a row or more in most tables; the count of each table."""
    db = await Database.open(path)
    try:
        staff = await with_staff(db)
        await publish(db, staff)
        await publish(db, staff, WEEKLY)
        await chatsettings.set_area(db, -1001234567890, "noord-oost", "Limmel")
        await SqlConversationStore(db).begin(
            ConversationState("spreekuur_nieuw", AGENT, AGENT, "when", {"area": "noord-oost"}, NOW),
            forget_before=NOW,
        )
        await Inbox(db).store([(5_000_000_001, '{"update_id": 5000000001}')])
        return {table: await count(db, table) for table in TABLES}
    finally:
        await db.close()


@both_engines
def test_migrate_applies_the_migrations(
    db_target: str | Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MELDWIJZER_DB", str(db_target))
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0  # again: nothing left to do
    out = capsys.readouterr().out
    assert out.count(f"schema version {len(migrations())}") == 2


async def test_from_a_sqlite_file_into_postgresql(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "old.sqlite3"
    before = await filled(source)
    target = f"{pg_dsn}?search_path=copy_{tmp_path.name[-8:].replace('-', '_')}"
    schema = target.rsplit("=", 1)[1]
    admin = await Database.open(pg_dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        monkeypatch.setenv("MELDWIJZER_DB", target)
        assert await _run(["migrate", "--from", str(source)]) == 0
        assert await _run(["migrate", "--from", str(source)]) == 2  # not empty any more
        db = await Database.open(target)
        try:
            assert {table: await count(db, table) for table in TABLES} == before
            old = await Database.open(source)
            try:
                assert await audit_log(db) == await audit_log(old)
                staff = await with_staff(db)  # adding staff again audits two more lines
                third = await publish(db, staff, "noord-oost 10-12-2026 14:00-15:00 Wijkhuis")
                assert third.id == 3  # the ids go on after the copied ones
            finally:
                await old.close()
        finally:
            await db.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def _run(argv: list[str]) -> int:
    """main(ARGV) in a thread: it runs its own event loop."""
    return await asyncio.to_thread(main, argv)


def test_from_needs_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MELDWIJZER_DB", str(tmp_path / "new.sqlite3"))
    assert main(["migrate", "--from", str(tmp_path / "absent.sqlite3")]) == 2
    assert "no such file" in capsys.readouterr().err
