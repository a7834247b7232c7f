"""The store: one interface (`Database`), two engines, numbered migrations.

`Database.open(target)` opens the embedded SQLite file at a path (the default: one process, no
server) or, for a `postgresql://` DSN, a pool of connections to PostgreSQL (several workers
sharing one bot); bot/pgstore.py holds that engine. Stores write SQL once, with `?` placeholders
and SQL both engines know (ON CONFLICT upserts, RETURNING); bot/dialect.py turns it into
PostgreSQL's, and the migrations' SQLite types into PostgreSQL's, in one place.

Migrations are the files bot/migrations/NNNN_name.sql, applied in order; the engine keeps the
number of the last one applied (SQLite: PRAGMA user_version), so a database is upgraded in place.
Every write that spans more than one statement goes through `Database.transaction()`, which
yields a `Transaction`: its statements commit together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from bot.paths import MIGRATIONS_DIR

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(RuntimeError):
    """The database cannot be used (locked, read-only, corrupt): say so, do not crash."""


class StorageBusy(StorageError):
    """Another process holds the write lock for longer than the busy timeout: try again."""


Params = Sequence[Any] | Mapping[str, Any]  # by position (?) or by name (:name)


class Row(Protocol):
    """A result row, by column name or by position (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Any: ...


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


def is_postgres(target: str | Path) -> bool:
    """True when TARGET is a PostgreSQL DSN (postgresql:// or postgres://), not a file path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class Transaction:
    """The statements of one atomic write (or of a read that needs one consistent view)."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement; returns how many rows it changed."""
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for each of ROWS."""
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query (or of a statement with RETURNING)."""
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class Database:
    """The bot's store: SQLite (one process) or PostgreSQL (several); the same calls on both."""

    engine = "sqlite"
    shared = False  # True where other processes (workers) write the same data: cache nothing
    path: str  # what to call the database in a message: a file path, or a DSN without password

    @classmethod
    async def open(cls, target: str | Path) -> Database:
        """Open the database at TARGET (a file path or a postgresql:// DSN), migrated.

        Every way this can fail raises StorageError with one sentence (never the password), and
        leaves no connection (and so no thread) behind: a process that cannot open its
        database exits.
        """
        if is_postgres(target):
            from bot.pgstore import PostgresDatabase  # asyncpg is loaded only for PostgreSQL

            return await PostgresDatabase.connect(str(target))
        return await SqliteDatabase.connect(str(target))

    async def close(self) -> None:
        """Close the connection(s)."""
        raise NotImplementedError

    async def check_writable(self) -> None:
        """Write (without changing anything): StorageError when that fails."""
        raise NotImplementedError

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        raise NotImplementedError

    async def migrate(self) -> int:
        """Apply every migration newer than the database, each one atomically; the version."""
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """Run the statements of the block as one atomic write, or none of them."""
        raise NotImplementedError

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns how many rows it changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for many rows, atomically."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def integrity_check(self) -> str:
        """The engine's own verdict on the stored data: 'ok' when sound."""
        raise NotImplementedError

    def chat_turn(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold one chat's turn across every process on this database (in-process order is
        PerChatOrder's): a no-op on SQLite, which one process uses."""
        return contextlib.nullcontext()

    async def claim(self, name: str) -> bool:
        """Hold the process-wide role NAME (e.g. the one poller) until close; False when another
        process holds it. SQLite's file serves one process: always True."""
        return True


class _SqliteTransaction(Transaction):
    """A transaction on the one aiosqlite connection (the write lock is held around it)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement; returns how many rows it changed."""
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for each of ROWS."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query (or of a statement with RETURNING)."""
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SqliteDatabase(Database):
    """The one aiosqlite connection of the process, with a lock for multi-statement writes."""

    engine = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, path: str) -> SqliteDatabase:
        """Open (or create) the file at PATH, turn on WAL and apply pending migrations."""
        if path != ":memory:":
            _check_path(Path(path))
        connection = aiosqlite.connect(path, timeout=5.0)
        try:
            conn = await connection
        except sqlite3.Error as exc:
            await _stopped(connection)
            raise StorageError(_open_error(path, exc)) from exc
        try:
            conn.row_factory = aiosqlite.Row
            await _wal(conn)
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
            async with self.transaction() as tx:
                row = await tx.fetchone("PRAGMA user_version")
                await tx.execute(f"PRAGMA user_version = {int(row[0]) if row else 0}")
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
        """Apply every migration newer than the database; each one atomically.

        Each step holds the file's write lock (BEGIN IMMEDIATE) and reads the version again
        inside it, so a second process migrating the same file at once waits, then skips what
        the first applied.
        """
        current = await self.schema_version()
        for migration in migrations():
            if migration.number <= current:
                continue
            async with self._write_lock:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                    async with self._conn.execute("PRAGMA user_version") as cursor:
                        row = await cursor.fetchone()
                    if row is not None and int(row[0]) >= migration.number:
                        await self._conn.rollback()  # another process was first
                        current = int(row[0])
                        continue
                    for statement in statements(migration.sql):
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
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the statements of the block as one atomic write, or none of them."""
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _storage_error(exc) from exc
            try:
                yield _SqliteTransaction(self._conn)
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

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        try:
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.OperationalError as exc:
            raise _storage_error(exc) from exc

    async def integrity_check(self) -> str:
        """SQLite's own verdict on the file: 'ok' when sound."""
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


async def _stopped(connection: aiosqlite.Connection) -> None:
    """Wait for the thread of a connection that failed to open to end.

    aiosqlite stops it without waiting; a thread still running when the event loop closes
    reports to the closed loop and dies with "Event loop is closed" (on stderr, in a process
    that was about to exit with one clear sentence).
    """
    thread = getattr(connection, "_thread", connection)  # aiosqlite < 0.22: it is the thread
    if not isinstance(thread, threading.Thread):
        return
    for _ in range(5000):  # it has one call left to make: a few milliseconds (5 s at most)
        if not thread.is_alive():
            return
        await asyncio.sleep(0.001)


async def _wal(conn: aiosqlite.Connection, wait: float = 5.0) -> None:
    """Turn on WAL. Changing the journal mode does not wait for the busy timeout: when another
    process is setting up (or migrating) the same new file at that moment, try again until WAIT
    seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() >= deadline:
                raise
        await asyncio.sleep(0.02)


def statements(sql: str) -> list[str]:
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
