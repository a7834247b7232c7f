"""The embedded SQLite store: one aiosqlite connection, WAL, numbered migrations.

Migrations are the files bot/migrations/NNNN_name.sql, applied in order; PRAGMA user_version
holds the number of the last one applied, so an existing database is upgraded in place.
aiosqlite shares one connection between coroutines, so every write that spans more than one
statement goes through `Database.transaction()`, which holds a lock until it commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.paths import MIGRATIONS_DIR

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(RuntimeError):
    """The database cannot be used (locked, read-only, corrupt): say so, do not crash."""


class StorageBusy(StorageError):
    """Another process holds the write lock for longer than the busy timeout: try again."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema step."""

    number: int
    name: str
    sql: str


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file, in order; numbers must run 1, 2, 3, ... without gaps."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StorageError(f"{path}: migration files are named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path.stem, path.read_text("utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise StorageError(f"migration {migration.name}: expected number {expected:04d}")
    return found


class Database:
    """The one connection of the process, with a lock for multi-statement writes."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (or create) the database at PATH, turn on WAL and apply pending migrations.

        Every way this can fail raises StorageError with one sentence, and leaves no connection
        (and so no thread) behind: a process that cannot open its database exits.
        """
        path = str(path)
        if path != ":memory:":
            _check_path(Path(path))
        try:
            conn = await aiosqlite.connect(path, timeout=5.0)
        except sqlite3.Error as exc:
            raise StorageError(_open_error(path, exc)) from exc
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            # Deleted content (e.g. what a resident typed, in the inbox) is overwritten with
            # zeros in the file, not left behind in free space.
            await conn.execute("PRAGMA secure_delete=ON")
            db = cls(conn, path)
            await db.migrate()
        except BaseException as exc:
            # An open connection keeps aiosqlite's (non-daemon) thread, and so the process, alive.
            with contextlib.suppress(sqlite3.Error, ValueError):
                await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(_open_error(path, exc)) from exc
            if isinstance(exc, StorageError):
                raise StorageError(f"cannot open database {path}: {exc}") from exc
            raise
        return db

    async def check_writable(self) -> None:
        """Write one page (the schema version, unchanged): StorageError when that fails."""
        try:
            async with self.transaction() as conn:
                cursor = await conn.execute("PRAGMA user_version")
                row = await cursor.fetchone()
                await conn.execute(f"PRAGMA user_version = {int(row[0]) if row else 0}")
        except StorageError as exc:
            kind = StorageBusy if isinstance(exc, StorageBusy) else StorageError
            raise kind(f"cannot write to database {self.path}: {exc}") from exc

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database; each one atomically."""
        current = await self.schema_version()
        for migration in migrations():
            if migration.number <= current:
                continue
            async with self._write_lock:
                try:
                    await self._conn.execute("BEGIN")
                    for statement in _statements(migration.sql):
                        await self._conn.execute(statement)
                    await self._conn.execute(f"PRAGMA user_version = {migration.number}")
                    await self._conn.commit()
                except sqlite3.Error as exc:
                    await self._conn.rollback()
                    reason = _reason(exc)
                    raise StorageError(f"migration {migration.name} failed: {reason}") from exc
            current = migration.number
        return current

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the statements of the block as one atomic write, or none of them."""
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _storage_error(exc) from exc
            try:
                yield self._conn
            except sqlite3.Error as exc:  # e.g. an INSERT into a database opened read-only
                await self._conn.rollback()
                raise _storage_error(exc) from exc
            except BaseException:
                await self._conn.rollback()
                raise
            try:
                await self._conn.commit()
            except sqlite3.Error as exc:
                await self._conn.rollback()
                raise _storage_error(exc) from exc

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement in its own transaction; returns the last row id."""
        async with self.transaction() as conn:
            try:
                cursor = await conn.execute(sql, params)
            except sqlite3.OperationalError as exc:
                raise _storage_error(exc) from exc
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows, atomically."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Every row of a query."""
        try:
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.OperationalError as exc:
            raise _storage_error(exc) from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a query, or None."""
        try:
            async with self._conn.execute(sql, params) as cursor:
                return await cursor.fetchone()
        except sqlite3.OperationalError as exc:
            raise _storage_error(exc) from exc

    async def integrity_check(self) -> str:
        """SQLite's own verdict on the file: 'ok' when sound."""
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (migrations hold no ';' inside strings)."""
    return [s.strip() for s in sql.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())


def _check_path(path: Path) -> None:
    """Refuse a path SQLite cannot use, before it makes a file or a folder of its own."""
    if path.is_dir():
        raise StorageError(
            f"cannot open database {path}: it is a folder; set MELDWIJZER_DB to a file in it "
            f"(e.g. {path / 'meldwijzer.sqlite3'})"
        )
    if not path.parent.is_dir():
        raise StorageError(
            f"cannot open database {path}: the folder {path.parent} does not exist; "
            "create it, or set MELDWIJZER_DB to a file in an existing folder"
        )


def _open_error(path: str, exc: sqlite3.Error) -> str:
    """The sentence for a database that cannot be opened or set up."""
    folder = Path(path).resolve().parent
    return f"cannot open database {path}: {_reason(exc, folder)}"


_BUSY = "the database is busy (locked by another process); try again shortly"


def _reason(exc: sqlite3.Error, folder: Path | None = None) -> str:
    """What an SQLite error means for whoever runs the service, in a few words."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return _BUSY
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "the database is read-only; check MELDWIJZER_DB and the permissions of the file"
    if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and _full(folder)):
        return "the disk is full; free some space (nothing was stored)"
    if name == "SQLITE_NOTADB":
        return "the file is not an SQLite database; check MELDWIJZER_DB"
    if name.startswith("SQLITE_CORRUPT"):
        return "the database file is damaged (run PRAGMA integrity_check); restore a backup"
    if name.startswith("SQLITE_CANTOPEN") and folder is not None and not os.access(folder, os.W_OK):
        return f"the folder {folder} is read-only; the database needs to write files beside it"
    if name.startswith("SQLITE_CANTOPEN"):
        return "SQLite cannot open or create the file (or its -wal and -shm files beside it)"
    if name.startswith("SQLITE_IOERR"):
        return "the disk failed to read or write (disk I/O error)"
    return f"database error: {text}"


def _full(folder: Path | None) -> bool:
    """True when the disk holding FOLDER has (almost) no space left."""
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free < 64 * 1024
    except OSError:
        return False


def _storage_error(exc: sqlite3.Error) -> StorageError:
    reason = _reason(exc)
    return StorageBusy(reason) if reason == _BUSY else StorageError(reason)
