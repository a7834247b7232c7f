"""Move an SQLite file into another database (`meldwijzer migrate --from FILE`): every table, row
for row, in one transaction, into a database that holds nothing yet.

The file is read through SQLite's backup API from a read-only connection (a consistent snapshot,
the -wal file included, the file itself untouched), the snapshot is brought to the newest
migration, and its rows go into the target in the order the migrations made the tables (so
staff come before their areas, a spreekuur before its cancellations).
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot import dialect
from bot.storage import Database, StorageError

BATCH = 5_000  # rows per executemany


@dataclass(frozen=True)
class Copied:
    """What was copied: rows per table, in copy order."""

    tables: tuple[tuple[str, int], ...]

    @property
    def rows(self) -> int:
        """Every row copied."""
        return sum(n for _, n in self.tables)


async def copy_sqlite(source: Path, target: Database) -> Copied:
    """Copy every table of the SQLite file SOURCE into TARGET (migrated, and empty)."""
    if not source.is_file():
        raise StorageError(f"--from {source}: no such file")
    with tempfile.TemporaryDirectory(prefix="meldwijzer-copy-") as folder:
        snapshot = Path(folder) / "snapshot.sqlite3"
        _snapshot(source, snapshot)
        copy = await Database.open(snapshot)  # brought to the newest migration
        try:
            tables = await _tables(copy)
            await _refuse_unless_empty(target, tables)
            counts: list[tuple[str, int]] = []
            async with target.transaction() as tx:
                for table in tables:
                    rows = await copy.fetchall(f"SELECT * FROM {table}")
                    columns = [
                        str(c["name"]) for c in await copy.fetchall(f"PRAGMA table_info({table})")
                    ]
                    if rows:
                        marks = ", ".join("?" for _ in columns)
                        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                        values = [tuple(row[c] for c in columns) for row in rows]
                        for start in range(0, len(values), BATCH):
                            await tx.executemany(sql, values[start : start + BATCH])
                    if target.engine == "postgresql" and "id" in columns:
                        await tx.execute(dialect.identity_reset(table))
                    counts.append((table, len(rows)))
        finally:
            await copy.close()
    return Copied(tuple(counts))


def _snapshot(source: Path, snapshot: Path) -> None:
    """A consistent copy of SOURCE (with what its -wal file holds) at SNAPSHOT."""
    try:
        src = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise StorageError(f"--from {source}: cannot open it ({exc})") from exc
    try:
        dst = sqlite3.connect(snapshot)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"--from {source}: cannot read it as SQLite ({exc})") from exc
    finally:
        src.close()


async def _tables(db: Database) -> list[str]:
    """The tables of the snapshot, in the order they were made."""
    rows = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid"
    )
    return [str(row[0]) for row in rows]


async def _refuse_unless_empty(target: Database, tables: list[str]) -> None:
    for table in tables:
        row = await target.fetchone(f"SELECT COUNT(*) FROM {table}")
        if row is not None and int(row[0]) > 0:
            raise StorageError(
                f"the target database already holds data ({table}: {int(row[0])} rows); "
                "--from fills only an empty one: nothing was copied"
            )
