"""Across the outputs one person can ask for, no subtraction gives a small count away.

For any set of counts (hypothesis), the counters are filled as the bot fills them and read back
through the code of `meldwijzer stats` (every window of days, every area and all areas, several
groupings) and of `meldwijzer report` and /stats (the overview per area: total, themes,
situations, the weekday x hour bands). Each printed figure is turned back into the range it
states and the set of questions it describes. Then:
- every figure holds the true count, and a count shown as a line is its band, the same band in
  every output it appears in;
- no figure minus one or two others (their sets disjoint and inside it) pins down a count from
  1 to k-1 of what is left: windows a day apart, a breakdown against its total asked for alone,
  one area against all, the report against the command line. This is what failed before:
  `--by situation` said "<5" under "59–62" while `--by ""` said 60.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from types import SimpleNamespace

from areas_support import packaged_areas
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import statsreport
from bot.config import Settings
from bot.stats import TZ, Period, Question, Stats
from bot.storage import Database

K = 5
DAYS = (date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11))  # Monday to Wednesday
AREAS = ("noord-oost", "zuid-oost")
THEMES = {"afval-bijplaatsing": "afval", "afval-grofvuil": "afval", "fiets-wrak": "fiets"}
BASE = tuple(itertools.product(DAYS, AREAS, THEMES))  # the finest cells: day, area, situation
GROUPINGS = ((), ("area",), ("situation",), ("theme",), ("date",), ("area", "situation"))
KAART = SimpleNamespace(
    situations={s: SimpleNamespace(theme=t, title={"nl": s, "en": s}) for s, t in THEMES.items()},
    themes={t: SimpleNamespace(name={"nl": t, "en": t}) for t in set(THEMES.values())},
)
INFINITY = 10**9

Cell = tuple[date, str, str]


@dataclass(frozen=True)
class Shown:
    """One printed figure: the range it states, what it counts, and whether it is a line."""

    low: int
    high: int
    cells: frozenset[Cell]
    line: bool  # a line of a table (its own band), not a total worked out from lines
    where: str


def span(label: str | int) -> tuple[int, int]:
    """The range a printed figure states: 7, "<5", "45–49", "≥40"."""
    text = str(label)
    if text.isdigit():
        return int(text), int(text)
    if text == f"<{K}":
        return 1, K - 1
    if m := re.fullmatch(r"(\d+)–(\d+)", text):
        return int(m.group(1)), int(m.group(2))
    if m := re.fullmatch(r"≥(\d+)", text):
        return int(m.group(1)), INFINITY
    raise AssertionError(f"a figure no reader could read: {label!r}")


def window(first: date, last: date, area: str | None) -> frozenset[Cell]:
    return frozenset(c for c in BASE if first <= c[0] <= last and area in (None, c[1]))


def matches(cell: Cell, field: str, value: object) -> bool:
    day, area, situation = cell
    return {
        "area": area,
        "situation": situation,
        "theme": THEMES[situation],
        "date": day.isoformat(),
    }[field] == value


async def everything_shown(counts: dict[Cell, int]) -> list[Shown]:
    """Fill the counters with COUNTS and collect every figure the outputs print."""
    db = await Database.open(":memory:")
    moment = [datetime.combine(DAYS[0], time(12), TZ)]
    stats = Stats(db, Settings(stats_min_cell=K), clock=lambda: moment[0], meldkaart=KAART)  # type: ignore[arg-type]
    try:
        for (day, area, situation), n in counts.items():
            moment[0] = datetime.combine(day, time(12), TZ)
            question = Question(situation, "melddesk", False, "nl", "telegram", area)
            for _ in range(n):
                await stats.record(question)
        shown = [s async for s in _command_line(stats)]
        shown += [s async for s in _report(stats)]
    finally:
        await db.close()
    return shown


async def _command_line(stats: Stats) -> AsyncIterator[Shown]:
    """`meldwijzer stats --from --to [--area] --by ...`: its lines and its total line."""
    for first, last in itertools.combinations_with_replacement(DAYS, 2):
        for area, by in itertools.product((None, *AREAS), GROUPINGS):
            where = f"stats {first}..{last} area={area} by={','.join(by)}"
            counts = await stats.counts(first, last, by, area=area)
            rows, total = statsreport.count_rows(by, counts, K)
            scope = window(first, last, area)
            for row in rows:
                cells = frozenset(c for c in scope if all(matches(c, f, row[f]) for f in by))
                yield Shown(*span(row["count"]), cells, True, where)  # type: ignore[arg-type]
            yield Shown(*span(total.label), scope, not by, where + " total")


async def _report(stats: Stats) -> AsyncIterator[Shown]:
    """The overview per area (`meldwijzer report`, and /stats, which prints the same figures)."""
    period = Period.parse("2026-03")
    for area in AREAS:
        o = await statsreport.build_overview(stats, packaged_areas(), period, area, "nl")
        scope = window(period.first, period.last, area)
        yield Shown(*span(o.total.label), scope, False, f"report {area} total")
        for item in o.themes:
            cells = frozenset(c for c in scope if THEMES[c[2]] == item.id)
            yield Shown(*span(item.figure.label), cells, False, f"report {area} {item.id}")
        for item in o.situations:
            cells = frozenset(c for c in scope if c[2] == item.id)
            yield Shown(*span(item.figure.label), cells, True, f"report {area} {item.id}")
        for day in DAYS:  # each day is a weekday of its own: its noon is one hour of the week
            band = o.heatmap.bands[day.weekday() * 24 + 12]
            low, high = span(o.heatmap.band_label(band))
            cells = frozenset(c for c in scope if c[0] == day)
            yield Shown(0 if band == 0 else low, high, cells, False, f"report {area} map {day}")


def band(count: int) -> tuple[int, int]:
    """The range a count of its own is shown as: 0, 1..k-1, or the k numbers from a multiple."""
    if count == 0:
        return 0, 0
    if count < K:
        return 1, K - 1
    return count // K * K, count // K * K + K - 1


def true_count(counts: dict[Cell, int], cells: frozenset[Cell]) -> int:
    return sum(counts[c] for c in cells)


def subtractions(shown: list[Shown]) -> Iterator[tuple[Shown, list[Shown], frozenset[Cell]]]:
    """Every figure minus one or two others whose sets are disjoint and lie inside it."""
    by_cells: dict[frozenset[Cell], list[Shown]] = {}
    seen: set[tuple[frozenset[Cell], int, int]] = set()
    for s in shown:  # one of each range a set of questions is shown with
        if (s.cells, s.low, s.high) not in seen:
            seen.add((s.cells, s.low, s.high))
            by_cells.setdefault(s.cells, []).append(s)
    sets = list(by_cells)
    for whole in sets:
        parts = [p for p in sets if p and p < whole]
        for part in parts:
            rest = whole - part
            for big, small in itertools.product(by_cells[whole], by_cells[part]):
                yield big, [small], rest
        for a, b in itertools.combinations(parts, 2):
            if a & b or not (whole - a - b):
                continue
            for big, x, y in itertools.product(by_cells[whole], by_cells[a], by_cells[b]):
                yield big, [x, y], whole - a - b


counts_strategy = st.lists(
    st.sampled_from((0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 9, 12)), min_size=len(BASE), max_size=len(BASE)
)


@settings(max_examples=25, deadline=None)
@given(values=counts_strategy)
def test_no_subtraction_across_outputs_gives_a_small_count_away(values: list[int]) -> None:
    counts = dict(zip(BASE, values, strict=True))
    shown = asyncio.run(everything_shown(counts))
    for s in shown:
        true = true_count(counts, s.cells)
        assert s.low <= true <= s.high, f"{s.where}: {true} shown as {s.low}..{s.high}"
        if s.line:  # its own band, so the same wherever this set of questions is a line
            assert (s.low, s.high) == band(true), f"{s.where}: not the band of {true}"
    for big, parts, rest in subtractions(shown):
        hidden = true_count(counts, rest)
        if not 1 <= hidden < K:
            continue
        low = big.low - sum(p.high for p in parts)
        high = big.high - sum(p.low for p in parts)
        possible = set(range(max(1, low), min(K - 1, high) + 1))
        assert len(possible) >= 2, (
            f"{hidden} given away: {big.where} minus {[p.where for p in parts]} -> {possible}"
        )
