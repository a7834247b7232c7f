"""Anonymised counts of answered questions, and the one rule that guards every figure shown.

Counting: every answered question adds one to the counter of its cell (date, hour of the week,
area, PC4, situation, theme, channel, emergency, language, door), so no record of a single
question ever exists. Text, chat or user ids, names and exact times are never passed in, stored
or logged. A 👍/👎 under an answer is a counter of its own kind. The additions gather in memory
(cell -> n, nothing else) and are written as upserts in one transaction: about every second by a
timer the services start and stop (which also retries a write the database refused), at once when
many cells wait, before every read, and on shutdown. An answer never waits for the disk, and a
crash loses at most the last second of counts (or what a failing database could not take).

Showing: every figure that leaves the database (CLI, report, /stats) goes through `suppress`:
a count, a line or a total, is shown as its band of k (settings.stats_min_cell) numbers ("<5",
"45–49"), the same band in every output, and a table under k shows no lines (`fold`). No figure
but 0 is exact, so no total, window or area uncovers a small count by subtraction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.meldkaart import Meldkaart
from bot.storage import Database, StorageError

log = logging.getLogger(__name__)

TZ = ZoneInfo("Europe/Amsterdam")
DOORS: tuple[str, ...] = ("telegram", "web", "api", "cli")
KINDS: tuple[str, ...] = ("question", "helpful", "unhelpful")
UNKNOWN = "unknown"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Question:
    """One answered question, as counted: no text, no chat or user id, no exact time."""

    situation: str | None
    channel: str | None
    emergency: bool
    language: str
    door: str  # telegram | web | api | cli
    area: str | None = None
    pc4: str | None = None
    theme: str | None = None  # None: looked up from the meldkaart by Stats


# -- the grouping fields ----------------------------------------------------------------------

_FIELD_SQL: dict[str, str] = {
    "date": "CASE WHEN whole_month = 1 THEN substr(day, 1, 7) ELSE day END",
    "month": "substr(day, 1, 7)",
    "weekday": "hour_of_week / 24",
    "hour": "hour_of_week % 24",
    "hour_of_week": "hour_of_week",
    "area": "area",
    "pc4": "pc4",
    "situation": "situation",
    "theme": "theme",
    "channel": "channel",
    "emergency": "emergency",
    "language": "language",
    "door": "door",
    "kind": "kind",
}
FIELDS: tuple[str, ...] = tuple(_FIELD_SQL)


def parse_fields(text: str) -> tuple[str, ...]:
    """Comma-separated grouping fields, checked; ValueError names the unknown ones."""
    fields = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in fields if f not in _FIELD_SQL]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(FIELDS)}")
    if len(set(fields)) != len(fields):
        raise ValueError(f"a field is named twice in '{text}'")
    return fields


def _shown_value(name: str, raw: object) -> str | int:
    """A grouping value as it leaves the database."""
    if name == "weekday":
        return WEEKDAYS[int(raw)]  # type: ignore[call-overload]
    if name in ("hour", "hour_of_week"):
        return int(raw)  # type: ignore[call-overload]
    if name == "emergency":
        return "yes" if raw else "no"
    return str(raw)


@dataclass(frozen=True)
class Count:
    """The raw count of one cell, keyed by the grouping fields; not yet fit to be shown."""

    key: tuple[str | int, ...]
    count: int


# -- periods ----------------------------------------------------------------------------------

_HALF = re.compile(r"^(\d{4})[hH]([12])$")
_QUARTER = re.compile(r"^(\d{4})[qQ]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def _month_start(year: int, month: int) -> date:
    """The first day of a month, with months past 12 or below 1 carried into the year."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True)
class Period:
    """A counting period: a half year (2026H1), quarter (2026Q1), month (2026-03) or year."""

    label: str
    first: date
    last: date
    months: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read 2026H1, 2026Q2, 2026-03 or 2026; ValueError with an example otherwise."""
        text = text.strip()
        if m := _HALF.match(text):
            year, half = int(m.group(1)), int(m.group(2))
            return cls._of(f"{year}H{half}", year, 6 * half - 5, 6)
        if m := _QUARTER.match(text):
            year, quarter = int(m.group(1)), int(m.group(2))
            return cls._of(f"{year}Q{quarter}", year, 3 * quarter - 2, 3)
        if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
            return cls._of(text, int(m.group(1)), int(m.group(2)), 1)
        if m := _YEAR.match(text):
            return cls._of(text, int(m.group(1)), 1, 12)
        raise ValueError(
            f"'{text}' is not a period; use a half year (2026H1), quarter (2026Q1), "
            "month (2026-03) or year (2026)"
        )

    @classmethod
    def _of(cls, label: str, year: int, month: int, months: int) -> Period:
        if not 1900 <= year <= 9998:
            raise ValueError(f"'{label}': the year is out of range")
        first = _month_start(year, month)
        last = _month_start(year, month + months) - timedelta(days=1)
        return cls(label, first, last, months)

    @classmethod
    def half_year_of(cls, day: date) -> Period:
        """The half year a day falls in."""
        return cls.parse(f"{day.year}H{1 if day.month <= 6 else 2}")

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        start = _month_start(self.first.year, self.first.month - self.months)
        if self.months == 6:
            label = f"{start.year}H{1 if start.month == 1 else 2}"
        elif self.months == 3:
            label = f"{start.year}Q{(start.month - 1) // 3 + 1}"
        elif self.months == 1:
            label = f"{start.year}-{start.month:02d}"
        else:
            label = str(start.year)
        return Period.parse(label)


# -- suppression: the one rule ----------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count as it may leave the database: a range that holds it, exact only for 0 (or k=1)."""

    exact: int | None  # None unless the range is one number
    low: int
    high: int
    k: int

    @classmethod
    def band(cls, count: int, k: int) -> Figure:
        """The figure of one count: 0, "<k" for 1 to k-1, else its band of k (45–49 for 47)."""
        if count < 0:
            raise ValueError("a count cannot be negative")
        k = max(1, k)
        if count == 0 or k == 1:
            return cls(count, count, count, k)
        if count < k:
            return cls(None, 1, k - 1, k)
        low = count // k * k
        return cls(None, low, low + k - 1, k)

    @property
    def hidden(self) -> bool:
        """True when the exact count may not be shown (always, but for 0 or k=1)."""
        return self.exact is None

    @property
    def small(self) -> bool:
        """True for a count from 1 to k-1: the figure "<k"."""
        return self.exact is None and self.low >= 1 and self.high < self.k

    @property
    def label(self) -> str:
        """ "0", "<5" for a small count, "45–49" for a band or a total of bands."""
        if self.exact is not None:
            return str(self.exact)
        if self.small:
            return f"<{self.k}"
        return f"{self.low}–{self.high}"

    def json(self) -> int | str:
        """The exact integer, or the label."""
        return self.exact if self.exact is not None else self.label

    @property
    def sort_key(self) -> float:
        """Order by what is shown (the middle of the range), never by the hidden count."""
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Suppressed:
    """The cells and totals of one table, as they may be shown."""

    cells: list[Figure]
    totals: list[Figure]


def suppress(cells: Sequence[int], k: int, totals: Iterable[Iterable[int]] = ()) -> Suppressed:
    """Apply small-cell suppression to one table: its cells and the totals published with it.

    The rule (the only one; every door and report calls this): every figure, a cell or a total
    (given as the indices of the cells it adds up), is the band of its own count
    (`Figure.band`): 0 as 0, 1 to k-1 as "<k", anything else as the k numbers it lies in,
    counted from a multiple of k: 47 as "45–49" for k = 5. A count thus gets the same figure
    in every output, whatever table, window or area it is part of, and no figure is exact.
    Bands starting at multiples of k make subtraction useless: a band minus one or two others
    leaves what lies between them anywhere in two or more of the values 1 to k-1 (all of them
    when the first is from k on), and never exact. Exact totals would not do: a total of 60
    beside "41, 17, <5" uncovers the 2; nor would totals worked out from the cells (59–62),
    which the same 60 asked for alone gives away.
    Not covered: four or more figures together can pin a small count when they all sit at the
    ends of their bands; `fold` takes away the usual case, lines under a total under k.
    """
    k = max(1, k)
    shown_cells = [Figure.band(count, k) for count in cells]
    shown_totals = [Figure.band(sum(cells[i] for i in group), k) for group in totals]
    return Suppressed(shown_cells, shown_totals)


def fold(total: Figure) -> bool:
    """True when a table's lines may not be shown: its total is under k, so every line is too,
    and their number would pin them (four lines "<5" under "<5" are 1 each)."""
    return total.small


def suppress_counts(counts: Sequence[Count], k: int) -> tuple[list[Figure], Figure]:
    """The cells of a query and their grand total, suppressed together."""
    result = suppress([c.count for c in counts], k, [range(len(counts))])
    return result.cells, result.totals[0]


# -- the counters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """The only time a counter knows: a local date and the hour of the week (Monday 0:00 = 0)."""

    day: date
    hour_of_week: int

    @classmethod
    def of(cls, moment: datetime) -> Bucket:
        """The bucket of an aware moment, in Europe/Amsterdam."""
        if moment.tzinfo is None:
            raise ValueError("the clock must give an aware datetime")
        local = moment.astimezone(TZ)
        return cls(local.date(), local.weekday() * 24 + local.hour)


@dataclass(frozen=True)
class RollUp:
    """What a retention run did."""

    cutoff: date
    day_rows: int
    month_rows: int


_KEY_COLUMNS = (
    "day, whole_month, hour_of_week, area, pc4, situation, theme, channel, emergency, "
    "language, door, kind"
)
# Qualified: PostgreSQL finds a bare `count` ambiguous beside `excluded`.
_ADD_COUNT = "count = stats_counts.count + excluded.count"
_UPSERT = (
    f"INSERT INTO stats_counts ({_KEY_COLUMNS}, count) "
    "VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT ({_KEY_COLUMNS}) DO UPDATE SET {_ADD_COUNT}"
)
FLUSH_SECONDS = 1.0  # counts wait in memory at most about this long before they are written
FLUSH_CELLS = 1_000  # ... or until this many cells wait
MAX_PENDING_CELLS = 100_000  # while the database fails, counts beyond this many cells are dropped

# One counter's key: day, hour_of_week, area, pc4, situation, theme, channel, emergency, language,
# door, kind (whole_month is 0 for every new count).
Cell = tuple[str, int, str, str, str, str, str, int, str, str, str]
_IN_RANGE = (
    "((whole_month = 0 AND day BETWEEN ? AND ?) OR "
    "(whole_month = 1 AND day >= ? AND substr(day, 1, 7) < ?))"
)  # a rolled-up month lies within the range when it starts in it and ends before the day after


def _month_of_day_after(last: date) -> str:
    """YYYY-MM of the day after LAST: a month ends on or before LAST when it is earlier."""
    return (last + timedelta(days=1)).isoformat()[:7]


@dataclass
class Stats:
    """Counters in the database, aggregated in memory and written about once a second."""

    db: Database
    settings: Settings
    clock: Clock = system_clock
    meldkaart: Meldkaart | None = None
    flush_seconds: float = FLUSH_SECONDS
    flush_cells: int = FLUSH_CELLS
    _themes: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _pending: dict[Cell, int] = field(default_factory=dict, init=False, repr=False)
    _timer: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _flusher: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _flushing: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _failures: int = field(default=0, init=False, repr=False)  # failed writes in a row
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def start(self) -> None:
        """Write the waiting counts about every flush_seconds from now on, until `stop`.

        The services start and stop it; without it counts are written only when many wait,
        before a read and by `flush`.
        """
        if self._timer is None or self._timer.done():
            self._stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            self._timer = loop.create_task(self._every_second(), name="stats-timer")

    async def stop(self) -> None:
        """Stop the timer and write what still waits (never raises)."""
        timer, self._timer = self._timer, None
        self._stopping.set()
        if timer is not None and not timer.done():  # done: its loop ended and cancelled it
            await asyncio.wait({timer})  # a write in flight ends first: never cut off half-way
        await self.flush()

    async def _every_second(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.flush_seconds)
            if self._stopping.is_set():
                return
            try:
                if self._pending:
                    await self._write()
            except Exception:  # the timer must outlive any surprise, or counts wait for ever
                log.exception("the counters' timer failed; it goes on")

    async def record(self, question: Question) -> None:
        """Add one to the counter of this question's cell (written within about a second)."""
        situation = _ident(question.situation)
        theme = _ident(question.theme) if question.theme else self.theme_of(situation)
        pc4 = question.pc4.strip() if question.pc4 else ""
        language = (question.language or "").strip().lower()
        await self._add(
            "question",
            situation=situation,
            theme=theme,
            channel=_ident(question.channel),
            emergency=bool(question.emergency),
            language=language if _LANGUAGE.match(language) else UNKNOWN,
            door=_door(question.door),
            area=_ident(question.area),
            pc4=pc4 if _PC4.match(pc4) else UNKNOWN,
        )

    async def feedback(self, situation: str | None, helpful: bool, door: str) -> None:
        """Count a 👍 or 👎 under an answer."""
        situation = _ident(situation)
        await self._add(
            "helpful" if helpful else "unhelpful",
            situation=situation,
            theme=self.theme_of(situation),
            channel=UNKNOWN,
            emergency=False,
            language=UNKNOWN,
            door=_door(door),
            area=UNKNOWN,
            pc4=UNKNOWN,
        )

    def theme_of(self, situation: str) -> str:
        """The meldkaart theme of a situation id, or 'unknown'."""
        if situation not in self._themes:
            found = self.meldkaart.situations.get(situation) if self.meldkaart else None
            self._themes[situation] = found.theme if found else UNKNOWN
        return self._themes[situation]

    async def _add(
        self,
        kind: str,
        *,
        situation: str,
        theme: str,
        channel: str,
        emergency: bool,
        language: str,
        door: str,
        area: str,
        pc4: str,
    ) -> None:
        bucket = Bucket.of(self.clock())
        cell: Cell = (
            bucket.day.isoformat(),
            bucket.hour_of_week,
            area,
            pc4,
            situation,
            theme,
            channel,
            int(emergency),
            language,
            door,
            kind,
        )
        self._pending[cell] = self._pending.get(cell, 0) + 1
        self._schedule()

    async def flush(self) -> None:
        """Write every count recorded so far, in one transaction.

        A failing database is only logged (counting must never cost a resident an answer): the
        counts stay in memory for the next try (the timer's, within flush_seconds), up to
        MAX_PENDING_CELLS cells.
        """
        await self._write()

    async def _write(self) -> bool:
        """Write the pending counts; False when the database failed (they are kept)."""
        async with self._flushing:
            if not self._pending:
                return True
            batch, self._pending = self._pending, {}
            try:
                await self.db.executemany(_UPSERT, [(*cell, n) for cell, n in batch.items()])
            except (StorageError, ValueError) as exc:  # ValueError: the database is closed
                self._keep(batch)
                self._failures += 1
                if self._failures == 1:  # once per outage, not once a second
                    log.warning(
                        "%d counters were not written (kept, tried again every %g s): %s",
                        len(batch),
                        self.flush_seconds,
                        exc,
                    )
                return False
            except BaseException:
                self._keep(batch)  # not written: the next try has them
                raise
            if self._failures:
                log.info("counters written again after %d failed tries", self._failures)
            self._failures = 0
            return True

    def _schedule(self) -> None:
        """Write at once when many cells wait (the timer writes the others)."""
        if self._flusher is not None and not self._flusher.done():
            return  # the running flush looks again when it is done
        if len(self._pending) >= self.flush_cells and not self._failures:
            loop = asyncio.get_running_loop()
            self._flusher = loop.create_task(self._flush_early(), name="stats")

    async def _flush_early(self) -> None:
        written = await self._write()
        self._flusher = None
        if written:
            self._schedule()  # many more came in meanwhile

    def _keep(self, batch: dict[Cell, int]) -> None:
        """Put the counts of a failed write back, within MAX_PENDING_CELLS cells."""
        for cell, n in batch.items():
            self._pending[cell] = self._pending.get(cell, 0) + n
        excess = len(self._pending) - MAX_PENDING_CELLS
        if excess > 0:
            for cell in list(self._pending)[:excess]:
                del self._pending[cell]
            log.warning("%d counters were dropped: the database has failed for too long", excess)

    async def counts(
        self,
        first: date,
        last: date,
        by: Sequence[str],
        *,
        area: str | None = None,
        kinds: Sequence[str] = ("question",),
    ) -> list[Count]:
        """Raw counts from FIRST to LAST (inclusive) grouped by BY, sorted by key; not for show.

        A month rolled up by retention counts only when the whole month lies in the range.
        The counts still in memory are written first.
        """
        unknown = [f for f in by if f not in _FIELD_SQL]
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(unknown)}")
        bad_kinds = [k for k in kinds if k not in KINDS]
        if bad_kinds or not kinds:
            raise ValueError(f"kinds must be some of {', '.join(KINDS)}")
        await self.flush()
        exprs = [_FIELD_SQL[f] for f in by]
        select = ", ".join([*(f"{e} AS g{i}" for i, e in enumerate(exprs)), "SUM(count) AS n"])
        where = [_IN_RANGE, f"kind IN ({', '.join('?' for _ in kinds)})"]
        d1, d2 = first.isoformat(), last.isoformat()
        params: list[object] = [d1, d2, d1, _month_of_day_after(last), *kinds]
        if area is not None:
            where.append("area = ?")
            params.append(area)
        sql = f"SELECT {select} FROM stats_counts WHERE {' AND '.join(where)}"
        if exprs:
            groups = ", ".join(f"g{i}" for i in range(len(exprs)))
            sql += f" GROUP BY {groups} ORDER BY {groups}"
        rows = await self.db.fetchall(sql, params)
        found = []
        for row in rows:
            if row["n"] is None:
                continue  # no rows at all: SUM over nothing
            key = tuple(_shown_value(f, row[f"g{i}"]) for i, f in enumerate(by))
            found.append(Count(key, int(row["n"])))
        return found

    async def cut_months(self, first: date, last: date) -> list[str]:
        """Rolled-up months (YYYY-MM) the range only partly covers, so left out of `counts`."""
        await self.flush()
        rows = await self.db.fetchall(
            "SELECT DISTINCT substr(day, 1, 7) AS month FROM stats_counts WHERE whole_month = 1 "
            "AND day <= ? AND substr(day, 1, 7) >= ? "
            "AND NOT (day >= ? AND substr(day, 1, 7) < ?) ORDER BY month",
            (last.isoformat(), first.isoformat()[:7], first.isoformat(), _month_of_day_after(last)),
        )
        return [str(row["month"]) for row in rows]

    async def roll_up(self, months: int | None = None) -> RollUp:
        """Merge day counters older than MONTHS whole months into one counter per month, atomically.

        The cutoff is the first day of the month MONTHS months before the current one, so only
        complete months are rolled up; the hour of the week and every other field stay.
        """
        months = self.settings.stats_retention_months if months is None else months
        if months < 1:
            raise ValueError("keep at least 1 month of day counts")
        today = Bucket.of(self.clock()).day
        cutoff = _month_start(today.year, today.month - months)
        await self.flush()
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM stats_counts WHERE whole_month = 0 AND day < ?",
                (cutoff.isoformat(),),
            )
            day_rows = int(row[0]) if row else 0
            await tx.execute(
                f"INSERT INTO stats_counts ({_KEY_COLUMNS}, count) "
                "SELECT substr(day, 1, 7) || '-01', 1, hour_of_week, area, pc4, situation, theme, "
                "channel, emergency, language, door, kind, SUM(count) FROM stats_counts "
                "WHERE whole_month = 0 AND day < ? "
                "GROUP BY substr(day, 1, 7), hour_of_week, area, pc4, situation, theme, channel, "
                "emergency, language, door, kind "
                f"ON CONFLICT ({_KEY_COLUMNS}) DO UPDATE SET {_ADD_COUNT}",
                (cutoff.isoformat(),),
            )
            await tx.execute(
                "DELETE FROM stats_counts WHERE whole_month = 0 AND day < ?", (cutoff.isoformat(),)
            )
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM stats_counts WHERE whole_month = 1 AND day < ?",
                (cutoff.isoformat(),),
            )
            month_rows = int(row[0]) if row else 0
        return RollUp(cutoff, day_rows, month_rows)

    def today(self) -> date:
        """Today in Europe/Amsterdam, by the injected clock."""
        return Bucket.of(self.clock()).day


def _ident(value: str | None) -> str:
    """An id as counted: only meldkaart-style ids, so free text can never reach a counter."""
    value = (value or "").strip()
    return value if _ID.match(value) else UNKNOWN


def _door(door: str) -> str:
    if door not in DOORS:
        raise ValueError(f"door must be one of {', '.join(DOORS)}, not {door!r}")
    return door
