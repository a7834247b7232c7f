"""The PostgreSQL engine of `Database`: a pool of asyncpg connections, shared by several workers.

asyncpg rather than psycopg 3: on one resident message's statements it costs the worker, which
is CPU-bound, 1.7-1.9 ms of CPU against psycopg's 2.2-3.0 ms (bench/pgdriver_bench.py,
docs/storage.md), and brings its own pool and prepared-statement cache. Its strict typing is
what the stores already do (text for TEXT, int for INTEGER).

Every statement is the stores' shared SQL through bot/dialect.py. Every transaction holds the
one write lock (as SQLite's file does); the migrations apply under an advisory lock, so two
workers starting at once (or `meldwijzer migrate` beside a running one) never apply one twice.
The DSN's password never reaches a log line or an error: errors name the database as
`postgresql://user@host:port/db`, and any text from the driver is scrubbed of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import asyncpg

from bot import dialect
from bot.config import _without_password
from bot.storage import (
    Database,
    Params,
    Row,
    StorageBusy,
    StorageError,
    Transaction,
    migrations,
    statements,
)

log = logging.getLogger(__name__)

POOL_SIZE = 10  # connections for statements and transactions, per worker
TURN_POOL_SIZE = 16  # connections holding a chat's turn (chats handled at once, per worker)
CONNECT_SECONDS = 10.0
STATEMENT_SECONDS = 30.0
TURN_WAIT_SECONDS = 10.0  # longest wait for another worker to finish a chat's update

WRITE_WAIT_SECONDS = 5  # as SQLite's busy timeout: then StorageBusy, "try again shortly"
# One round trip: the transaction, its wait limit and the write lock (see `transaction`).
_BEGIN = (
    f"BEGIN; SET LOCAL lock_timeout = '{WRITE_WAIT_SECONDS}s'; "
    f"SELECT pg_advisory_xact_lock({dialect.LOCK_NAMESPACE}, {dialect.WRITE_KEY})"
)

_SCHEMA_TABLE = (
    "CREATE TABLE IF NOT EXISTS meldwijzer_schema (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "version INTEGER NOT NULL)"
)


def redact(dsn: str) -> tuple[str, str]:
    """The DSN fit for a message (no password, no query) and the password it held ('' if none)."""
    try:
        parts = urlsplit(dsn)
        password = dict(parse_qsl(parts.query)).get("password", unquote(parts.password or ""))
    except ValueError:  # e.g. a port that is no number: the whole DSN is kept out of messages
        password = dsn
    return _without_password(dsn), password


def _scrub(text: str, password: str) -> str:
    """TEXT with every form of PASSWORD (as given, URL-quoted) replaced by ***."""
    for form in {password, quote(password, safe=""), quote(password)}:
        if len(form) >= 1:
            text = text.replace(form, "***")
    return text


class _PgTransaction(Transaction):
    """A transaction on one pooled connection."""

    def __init__(self, conn: asyncpg.Connection, db: PostgresDatabase) -> None:
        self._conn = conn
        self._db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement; returns how many rows it changed."""
        with self._db.errors():
            text, args = dialect.bind(sql, params)
            status = await self._conn.execute(text, *args)
        return _rowcount(status)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for each of ROWS."""
        rows = list(rows)
        if rows:
            with self._db.errors():
                text, _ = dialect.postgres_sql(sql)
                await self._conn.executemany(text, [dialect.bind(sql, r)[1] for r in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query (or of a statement with RETURNING)."""
        with self._db.errors():
            text, args = dialect.bind(sql, params)
            return list(await self._conn.fetch(text, *args))


class PostgresDatabase(Database):
    """A PostgreSQL database reached through a pool of connections."""

    engine = "postgresql"
    shared = True  # several workers: what one writes, the others must read afresh

    def __init__(self, pool: asyncpg.Pool, turns: asyncpg.Pool, path: str, password: str) -> None:
        self._pool = pool
        self._turns = turns
        self.path = path
        self._password = password
        self._claims: dict[str, asyncpg.Connection] = {}

    @classmethod
    async def connect(cls, dsn: str) -> PostgresDatabase:
        """Open the pools to DSN and apply pending migrations (under the advisory lock)."""
        shown, password = redact(dsn)
        pools: list[asyncpg.Pool] = []
        try:
            for size in (POOL_SIZE, TURN_POOL_SIZE):
                pools.append(
                    await asyncpg.create_pool(
                        dsn,
                        min_size=1,
                        max_size=size,
                        timeout=CONNECT_SECONDS,
                        command_timeout=STATEMENT_SECONDS,
                        init=_init_connection,
                    )
                )
            db = cls(pools[0], pools[1], shown, password)
            await db.migrate()
        except BaseException as exc:
            for pool in pools:
                with contextlib.suppress(Exception):
                    pool.terminate()
            if isinstance(exc, StorageError):
                raise StorageError(f"cannot open database {shown}: {exc}") from None
            if isinstance(exc, Exception):
                reason = _scrub(_reason(exc), password)
                raise StorageError(f"cannot open database {shown}: {reason}") from None
            raise
        return db

    @contextlib.contextmanager
    def errors(self) -> Any:
        """Turn a driver's or the network's error into a StorageError sentence (no password)."""
        try:
            yield
        except StorageError:
            raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            reason = _scrub(_reason(exc), self._password)
            kind = StorageBusy if reason == _BUSY else StorageError
            raise kind(reason) from None

    async def close(self) -> None:
        """Give back the held roles and close both pools."""
        for conn in self._claims.values():
            with contextlib.suppress(Exception):
                await self._turns.release(conn)
        self._claims.clear()
        for pool in (self._turns, self._pool):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), timeout=5.0)

    async def check_writable(self) -> None:
        """Write the schema version, unchanged: StorageError when the server refuses."""
        try:
            async with self.transaction() as tx:
                await tx.execute("UPDATE meldwijzer_schema SET version = version WHERE id = 1")
        except StorageError as exc:
            kind = StorageBusy if isinstance(exc, StorageBusy) else StorageError
            raise kind(f"cannot write to database {self.path}: {exc}") from None

    async def schema_version(self) -> int:
        """The number of the last migration applied (0 for an empty database)."""
        exists = await self.fetchone("SELECT to_regclass('meldwijzer_schema') IS NOT NULL")
        if not (exists and exists[0]):
            return 0
        row = await self.fetchone("SELECT version FROM meldwijzer_schema WHERE id = 1")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database, each atomically, one migrator at a time
        (an advisory lock held for the whole run: a second worker waits, then finds none left)."""
        with self.errors():
            async with self._pool.acquire() as conn:
                await conn.execute(
                    "SELECT pg_advisory_lock($1, $2)", dialect.LOCK_NAMESPACE, dialect.MIGRATE_KEY
                )
                try:
                    return await self._migrate_locked(conn)
                finally:
                    await conn.execute(
                        "SELECT pg_advisory_unlock($1, $2)",
                        dialect.LOCK_NAMESPACE,
                        dialect.MIGRATE_KEY,
                    )

    async def _migrate_locked(self, conn: asyncpg.Connection) -> int:
        await conn.execute(dialect.postgres_schema(_SCHEMA_TABLE))
        current = await conn.fetchval("SELECT version FROM meldwijzer_schema WHERE id = 1") or 0
        for migration in migrations():
            if migration.number <= current:
                continue
            try:
                async with conn.transaction():
                    for statement in statements(migration.sql):
                        await conn.execute(dialect.postgres_schema(statement))
                    await conn.execute(
                        "INSERT INTO meldwijzer_schema (id, version) VALUES (1, $1) "
                        "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                        migration.number,
                    )
            except asyncpg.PostgresError as exc:
                reason = _scrub(_reason(exc), self._password)
                raise StorageError(f"migration {migration.name} failed: {reason}") from None
            current = migration.number
        return int(current)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Run the statements of the block as one atomic write, or none of them.

        Every transaction first takes the database's one write lock (a transaction-level
        advisory lock, given back at COMMIT or ROLLBACK, or when the connection dies), so writes
        are serialised across every worker as SQLite serialises them in one file: a check and
        the write it allows (two staff publishing one slot) never interleave with another's.
        Waiting longer than WRITE_WAIT_SECONDS is StorageBusy, as SQLite's busy timeout.
        """
        with self.errors():
            conn = await self._pool.acquire()
        try:
            with self.errors():
                await conn.execute(_BEGIN)
            try:
                with self.errors():  # a driver's error raised by the block itself, too
                    yield _PgTransaction(conn, self)
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.execute("ROLLBACK")
                raise
            try:
                with self.errors():
                    await conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.execute("ROLLBACK")
                raise
        finally:
            with contextlib.suppress(Exception):
                await self._pool.release(conn)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        with self.errors():
            text, args = dialect.bind(sql, params)
            return list(await self._pool.fetch(text, *args))

    async def integrity_check(self) -> str:
        """PostgreSQL checks its own pages; 'ok' when the server answers a query."""
        row = await self.fetchone("SELECT 'ok'")
        return str(row[0]) if row else "no answer"

    @contextlib.asynccontextmanager
    async def chat_turn(self, chat_id: int) -> AsyncIterator[None]:
        """Hold CHAT_ID's advisory lock while the block runs: one worker at a time per chat.

        The lock lives on a connection of its own pool, so a handler inside the block still gets
        connections for its statements; a worker that dies drops its locks with its connection.
        Best effort: a turn not had within TURN_WAIT_SECONDS (the database down, another worker
        stuck) is logged and the block runs without it, as a resident must be answered.
        """
        key = dialect.chat_key(chat_id)
        conn = None
        try:
            conn = await self._turns.acquire(timeout=TURN_WAIT_SECONDS)
            await conn.execute(
                "SELECT pg_advisory_lock($1, $2)",
                dialect.CHAT_NAMESPACE,
                key,
                timeout=TURN_WAIT_SECONDS,
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            log.warning("a chat's turn was not had (%s): handled without it", type(exc).__name__)
        try:
            yield
        finally:
            if conn is not None:
                # Releasing resets the connection, which gives back its advisory locks (asyncpg
                # runs pg_advisory_unlock_all), also one granted just as the wait timed out.
                with contextlib.suppress(Exception):
                    await self._turns.release(conn)

    async def claim(self, name: str) -> bool:
        """Hold the role NAME (an advisory lock on a connection kept until close); False when
        another process holds it."""
        if name in self._claims:
            return True
        key = {"poller": dialect.POLLER_KEY}[name]
        with self.errors():
            conn = await self._turns.acquire()
            taken = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", dialect.LOCK_NAMESPACE, key
            )
        if not taken:
            await self._turns.release(conn)
            return False
        self._claims[name] = conn
        return True


async def _init_connection(conn: asyncpg.Connection) -> None:
    """Numeric results (SUM over BIGINT) as int when whole, as SQLite gives them."""
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_number, schema="pg_catalog", format="text"
    )


def _number(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _rowcount(status: str) -> int:
    """The row count at the end of a command tag ('UPDATE 3', 'INSERT 0 1'); 0 when none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


_BUSY = "the database is busy (a lock is held too long); try again shortly"


def _reason(exc: BaseException) -> str:
    """What a PostgreSQL (or network) error means for whoever runs the service, in a few words."""
    if isinstance(
        exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return "the server refused the user name or password; check MELDWIJZER_DB (or DATABASE_URL)"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return "the server has no such database; create it (createdb) or fix the DSN's name"
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return "the database is read-only (a standby, or default_transaction_read_only is on)"
    if isinstance(exc, asyncpg.DiskFullError):
        return "the server's disk is full; free some space (nothing was stored)"
    if isinstance(
        exc,
        asyncpg.LockNotAvailableError
        | asyncpg.DeadlockDetectedError
        | asyncpg.SerializationError
        | asyncpg.QueryCanceledError,
    ):
        return _BUSY
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return "the server has no connection left (max_connections); fewer workers, or raise it"
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return "the database user may not do this; grant it the rights on the database"
    if isinstance(exc, asyncpg.CannotConnectNowError):
        return "the server is starting up or shutting down; try again shortly"
    if isinstance(exc, socket.gaierror):
        return "the server's host name cannot be resolved; check the DSN's host"
    if isinstance(exc, ConnectionRefusedError):
        return "no PostgreSQL server answers at that host and port (connection refused)"
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time"
    if isinstance(exc, OSError | asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
        return f"the connection to the server failed ({type(exc).__name__})"
    if isinstance(exc, ValueError):
        return "the address cannot be read; give postgresql://user:password@host:port/db"
    return f"database error: {exc}"
