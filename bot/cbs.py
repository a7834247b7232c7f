"""The CBS file "buurt, wijk en gemeente voor postcode-huisnummer": import and the exact PC6 table.

CBS publishes, once a year, every address (PC6 + house number) with its buurt, wijk and gemeente
code (`pc6hnrYYYY0801_gwb.csv`, semicolon separated, latin-1) and the buurt names beside it
(`buurt_YYYY.csv`). `read_cbs` keeps gemeente 0935 (Maastricht), maps each CBS buurt name to its
LWA area through knowledge/buurten.csv (names and aliases, no fuzzy guessing) and reports names it
does not know; `store` writes the result to the database (migration 0004); `load_table` reads it
back, synchronously, for the in-memory lookup in bot/areas.py.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.knowledge import Knowledge, fold
from bot.storage import Database, StorageError
from bot.yamlfile import DataError, Problem

MAASTRICHT = "0935"
ENCODING = "latin-1"
_PC6 = re.compile(r"^[1-9][0-9]{3}[A-Z]{2}$")


@dataclass(frozen=True)
class Pc6Entry:
    """One buurt inside a PC6, with how many of the PC6's addresses lie in it."""

    buurt: str
    area: str
    addresses: int


@dataclass(frozen=True)
class PostcodeTable:
    """The exact table: PC6 -> buurten (most addresses first), and house numbers for split PC6s."""

    pc6: dict[str, tuple[Pc6Entry, ...]]
    house_numbers: dict[tuple[str, int], str]
    year: str
    incomplete_pc4: frozenset[str] = frozenset()  # PC4s with a PC6 whose buurt is not known

    def pc4_buurten(self) -> dict[str, tuple[Pc6Entry, ...]]:
        """PC4 -> its buurten with address counts, most addresses first."""
        counts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        for pc6, entries in self.pc6.items():
            for entry in entries:
                counts[pc6[:4]][(entry.buurt, entry.area)] += entry.addresses
        return {
            pc4: tuple(Pc6Entry(b, a, n) for (b, a), n in counter.most_common())
            for pc4, counter in counts.items()
        }


@dataclass(frozen=True)
class UnknownBuurt:
    """A CBS buurt of Maastricht whose name knowledge/buurten.csv does not know."""

    code: str
    name: str
    addresses: int


@dataclass
class CbsImport:
    """What one CBS file holds for Maastricht, mapped to areas."""

    year: str
    addresses: int = 0  # address rows of gemeente 0935
    buurten: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (buurt, area)
    pc6: dict[str, Counter[str]] = field(default_factory=dict)  # pc6 -> buurt code -> addresses
    numbers: dict[tuple[str, int], str] = field(default_factory=dict)  # (pc6, nr) -> code
    unknown: list[UnknownBuurt] = field(default_factory=list)
    skipped_pc6: int = 0  # PC6s left out because one of their buurten is unknown

    def table(self) -> PostcodeTable:
        """The exact table for the lookup (PC6s with an unknown buurt left out)."""
        pc6: dict[str, tuple[Pc6Entry, ...]] = {}
        numbers: dict[tuple[str, int], str] = {}
        incomplete: set[str] = set()
        for code6, counter in self.pc6.items():
            if any(c not in self.buurten for c in counter):
                incomplete.add(code6[:4])
                continue
            pc6[code6] = tuple(Pc6Entry(*self.buurten[c], n) for c, n in counter.most_common())
        for (code6, number), code in self.numbers.items():
            if code6 in pc6 and len(pc6[code6]) > 1:
                numbers[(code6, number)] = self.buurten[code][0]
        return PostcodeTable(pc6, numbers, self.year, frozenset(incomplete))


def normalise_code(raw: str, digits: int) -> str:
    """A CBS region code as plain digits: "GM0935", "0935" and "935" all give "0935"."""
    text = raw.strip().strip('"').upper()
    for prefix in ("GM", "WK", "BU"):
        text = text.removeprefix(prefix)
    text = text.strip()
    return text.zfill(digits) if text.isdigit() else ""


def find_buurten_file(pc6_file: Path) -> Path | None:
    """buurt_YYYY.csv beside PC6_FILE (the year of the PC6 file's name preferred)."""
    found = sorted(pc6_file.parent.glob("buurt_*.csv")) + sorted(pc6_file.parent.glob("buurt*.csv"))
    found = list(dict.fromkeys(found))
    year = re.search(r"(20\d\d)", pc6_file.name)
    if year:
        for path in found:
            if year.group(1) in path.name:
                return path
    return found[0] if len(found) == 1 else None


def read_buurt_names(path: Path) -> dict[str, str]:
    """Buurt code -> name from buurt_YYYY.csv (semicolon separated; latin-1, or UTF-8)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode(ENCODING)
    reader = csv.reader(text.splitlines(), delimiter=";")
    header = [h.strip().lower() for h in next(reader, [])]
    code_col = _column(header, r"buurt\s*_?code\d*|code", path)
    name_col = _column(header, r"buurt\s*_?naam\d*|naam", path)
    names: dict[str, str] = {}
    for values in reader:
        if len(values) <= max(code_col, name_col):
            continue
        code = normalise_code(values[code_col], 8)
        if code:
            names[code] = values[name_col].strip()
    return names


def _column(header: list[str], pattern: str, path: Path, required: bool = True) -> int:
    for index, name in enumerate(header):
        if re.fullmatch(pattern, name):
            return index
    if required:
        raise DataError(
            [
                Problem(
                    path.name, 1, f"no column matching '{pattern}' in the header {';'.join(header)}"
                )
            ]
        )
    return -1


def read_cbs(pc6_file: Path, buurten_file: Path, knowledge: Knowledge) -> CbsImport:
    """Read the CBS PC6 file, keep gemeente 0935 and map its buurten to LWA areas."""
    names = read_buurt_names(buurten_file)
    with pc6_file.open("r", encoding=ENCODING, newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        header = [h.strip().lower() for h in next(reader, [])]
        pc6_col = _column(header, r"pc6|postcode", pc6_file)
        nr_col = _column(header, r"huisnummer|huisnr", pc6_file, required=False)
        buurt_col = _column(header, r"buurt(code)?\d*", pc6_file)
        gem_col = _column(header, r"gemeente(code)?\d*", pc6_file)
        year = re.search(r"\d{4}", header[buurt_col])
        result = CbsImport(year=year.group(0) if year else "")
        width = max(pc6_col, nr_col, buurt_col, gem_col)
        bad: list[Problem] = []
        for values in reader:
            if len(bad) >= 20:  # a wrong file: 20 problems say enough
                break
            if len(values) <= width:
                if any(v.strip() for v in values):
                    bad.append(Problem(pc6_file.name, reader.line_num, "too few fields"))
                continue
            if normalise_code(values[gem_col], 4) != MAASTRICHT:
                continue
            pc6 = values[pc6_col].replace(" ", "").strip().upper()
            code = normalise_code(values[buurt_col], 8)
            if not _PC6.match(pc6) or not code:
                bad.append(Problem(pc6_file.name, reader.line_num, "not a PC6 and buurt code"))
                continue
            result.addresses += 1
            result.pc6.setdefault(pc6, Counter())[code] += 1
            if nr_col >= 0 and values[nr_col].strip().isdigit():
                result.numbers.setdefault((pc6, int(values[nr_col])), code)
    if bad:
        raise DataError(bad)
    _map_buurten(result, names, knowledge)
    return result


def _map_buurten(result: CbsImport, names: dict[str, str], knowledge: Knowledge) -> None:
    """Give every CBS buurt code its knowledge buurt and area; report what is not known."""
    index = knowledge.names()
    per_code: Counter[str] = Counter()
    for counter in result.pc6.values():
        per_code.update(counter)
    for code, addresses in sorted(per_code.items()):
        cbs_name = names.get(code, "")
        buurt = index.get(fold(cbs_name)) if cbs_name else None
        if buurt is None:
            result.unknown.append(UnknownBuurt(code, cbs_name, addresses))
            continue
        result.buurten[code] = (buurt, knowledge.buurten[buurt].area)
    result.skipped_pc6 = sum(
        1 for counter in result.pc6.values() if any(c not in result.buurten for c in counter)
    )


async def store(db: Database, result: CbsImport, source: str, imported_at: datetime) -> int:
    """Replace the stored PC6 table with RESULT; returns the number of PC6 codes stored."""
    table = result.table()
    unknown = {u.code: u.name for u in result.unknown}
    # Unknown buurten are stored with an empty area: the lookup then knows their PC4 is incomplete.
    rows = [
        (pc6, code, *result.buurten.get(code, (unknown.get(code, ""), "")), n)
        for pc6, counter in result.pc6.items()
        for code, n in counter.items()
    ]
    numbers = [
        (pc6, number, code)
        for (pc6, number), code in result.numbers.items()
        if pc6 in table.pc6 and len(table.pc6[pc6]) > 1
    ]
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM postcode_buurten")
        await tx.execute("DELETE FROM postcode_house_numbers")
        await tx.execute("DELETE FROM postcode_import")
        await tx.executemany(
            "INSERT INTO postcode_buurten (pc6, buurt_code, buurt, area, addresses) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        await tx.executemany(
            "INSERT INTO postcode_house_numbers (pc6, huisnummer, buurt_code) VALUES (?, ?, ?)",
            numbers,
        )
        await tx.execute(
            "INSERT INTO postcode_import "
            "(id, imported_at, source_file, year, addresses, postcodes) VALUES (1, ?, ?, ?, ?, ?)",
            (
                imported_at.astimezone(UTC).isoformat(timespec="seconds"),
                source,
                result.year,
                result.addresses,
                len(table.pc6),
            ),
        )
    return len(table.pc6)


_META = "SELECT year FROM postcode_import WHERE id = 1"
_BUURTEN = "SELECT pc6, buurt, area, addresses FROM postcode_buurten ORDER BY pc6, addresses DESC"
_NAMES = "SELECT buurt_code, MIN(buurt) FROM postcode_buurten GROUP BY buurt_code"
_NUMBERS = "SELECT pc6, huisnummer, buurt_code FROM postcode_house_numbers"


def load_table(db_path: str | Path, knowledge: Knowledge) -> PostcodeTable | None:
    """The stored table of an SQLite file, read-only; None when there is no database or nothing
    was imported (see `_table`)."""
    path = str(db_path)
    if path == ":memory:" or not Path(path).is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return None
    try:
        meta = conn.execute(_META).fetchone()
        if meta is None:
            return None
        buurten = conn.execute(_BUURTEN).fetchall()
        names = conn.execute(_NAMES).fetchall()
        numbers = conn.execute(_NUMBERS).fetchall()
    except sqlite3.Error:  # no such table (migration not applied yet), or unreadable
        return None
    finally:
        conn.close()
    return _table(str(meta[0]), buurten, names, numbers, knowledge)


async def read_table(db: Database, knowledge: Knowledge) -> PostcodeTable | None:
    """The stored table, through the bot's database (either engine); None when nothing was
    imported or the database cannot be read."""
    try:
        meta = await db.fetchone(_META)
        if meta is None:
            return None
        buurten = await db.fetchall(_BUURTEN)
        names = await db.fetchall(_NAMES)
        numbers = await db.fetchall(_NUMBERS)
    except StorageError:
        return None
    return _table(str(meta[0]), buurten, names, numbers, knowledge)


def _table(
    year: str,
    buurten: Sequence[Any],
    names: Sequence[Any],
    numbers: Sequence[Any],
    knowledge: Knowledge,
) -> PostcodeTable:
    """The table from its rows. PC6s with a buurt the import did not know, or whose buurt or
    area the current knowledge no longer has, are left out (the PC4 table answers for them,
    and their PC4 is marked incomplete), so a changed buurten.csv never gives a stale area."""
    grouped: dict[str, list[Pc6Entry]] = defaultdict(list)
    for code6, buurt, area, n in buurten:
        grouped[code6].append(Pc6Entry(buurt, area, n))
    name_of = {code: name for code, name in names}
    by_number = {(code6, int(nr)): name_of[code] for code6, nr, code in numbers if code in name_of}
    pc6: dict[str, tuple[Pc6Entry, ...]] = {}
    incomplete: set[str] = set()
    for code, entries in grouped.items():
        if all(
            e.buurt in knowledge.buurten and knowledge.buurten[e.buurt].area == e.area
            for e in entries
        ):
            pc6[code] = tuple(entries)
        else:
            incomplete.add(code[:4])
    kept = {k: v for k, v in by_number.items() if k[0] in pc6}
    return PostcodeTable(pc6, kept, year, frozenset(incomplete))
