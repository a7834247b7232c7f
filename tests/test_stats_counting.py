"""Counting: aggregated on write, keyed only by coarse fields, periods and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from engines import both_engines

from bot.config import Settings
from bot.stats import Bucket, Period, Question, Stats, parse_fields
from bot.storage import Database, StorageError

pytestmark = both_engines


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 11, 13, 20, tzinfo=UTC))  # Wednesday 14:20 in Maastricht


# The meldkaart is edited often; counting only needs situation -> theme.
KAART = SimpleNamespace(
    situations={
        "afval-bijplaatsing": SimpleNamespace(theme="afval"),
        "nood-brand": SimpleNamespace(theme="veiligheid"),
    }
)


@pytest.fixture
def stats(db: Database, clock: Clock) -> Stats:
    return Stats(db, Settings(), clock=clock, meldkaart=KAART)  # type: ignore[arg-type]


def bin_question(**changes: object) -> Question:
    fields: dict[str, object] = {
        "situation": "afval-bijplaatsing",
        "channel": "melddesk",
        "emergency": False,
        "language": "nl",
        "door": "telegram",
        "area": "noord-oost",
        "pc4": "6222",
    }
    fields.update(changes)
    return Question(**fields)  # type: ignore[arg-type]


async def rows(stats: Stats) -> list[dict[str, object]]:
    """The counters table as written, after the counts still in memory are flushed."""
    await stats.flush()
    return [dict(r) for r in await stats.db.fetchall("SELECT * FROM stats_counts")]


async def test_the_same_question_twice_is_one_counter_of_two(stats: Stats) -> None:
    await stats.record(bin_question())
    await stats.record(bin_question())
    [row] = await rows(stats)
    assert row["count"] == 2
    assert row == {
        "day": "2026-03-11",
        "whole_month": 0,
        "hour_of_week": 2 * 24 + 14,
        "area": "noord-oost",
        "pc4": "6222",
        "situation": "afval-bijplaatsing",
        "theme": "afval",
        "channel": "melddesk",
        "emergency": 0,
        "language": "nl",
        "door": "telegram",
        "kind": "question",
        "count": 2,
    }


async def test_every_key_field_makes_its_own_cell(stats: Stats, clock: Clock) -> None:
    await stats.record(bin_question())
    await stats.record(bin_question(area=None, pc4=None))
    await stats.record(bin_question(door="web", language="en"))
    await stats.record(bin_question(situation="nood-brand", channel="112", emergency=True))
    clock.moment = datetime(2026, 3, 11, 15, 5, tzinfo=UTC)
    await stats.record(bin_question())
    found = await rows(stats)
    assert len(found) == 5
    assert {r["area"] for r in found} == {"noord-oost", "unknown"}
    assert {r["theme"] for r in found} == {"afval", "veiligheid"}
    assert {r["hour_of_week"] for r in found} == {62, 64}


async def test_theme_comes_from_the_meldkaart_unless_given(stats: Stats) -> None:
    await stats.record(bin_question(situation="nood-brand"))
    await stats.record(bin_question(situation="no-such-situation"))
    await stats.record(bin_question(situation=None, channel=None))
    await stats.record(bin_question(situation="nood-brand", theme="brandveiligheid"))
    themes = {(r["situation"], r["theme"]) for r in await rows(stats)}
    assert themes == {
        ("nood-brand", "veiligheid"),
        ("no-such-situation", "unknown"),
        ("unknown", "unknown"),
        ("nood-brand", "brandveiligheid"),
    }


async def test_free_text_can_never_reach_a_counter(stats: Stats) -> None:
    """A caller's slip (text where an id belongs) is counted as 'unknown', never stored."""
    await stats.record(
        bin_question(
            situation="Jan de Vries, Boschstraat 12",
            channel="bel 06-12345678",
            language="Nederlands",
            area="jan@example.nl",
            pc4="6211 AB",
        )
    )
    [row] = await rows(stats)
    assert (row["situation"], row["channel"], row["language"], row["area"], row["pc4"]) == (
        "unknown",
        "unknown",
        "unknown",
        "unknown",
        "unknown",
    )


async def test_an_unknown_door_is_a_programming_error(stats: Stats) -> None:
    with pytest.raises(ValueError, match="door"):
        await stats.record(bin_question(door="sms"))


async def test_feedback_counts_thumbs_apart(stats: Stats) -> None:
    await stats.feedback("afval-bijplaatsing", True, "telegram")
    await stats.feedback("afval-bijplaatsing", True, "telegram")
    await stats.feedback("afval-bijplaatsing", False, "web")
    counts = await stats.counts(
        date(2026, 3, 1), date(2026, 3, 31), ["kind"], kinds=("question", "helpful", "unhelpful")
    )
    assert [(c.key, c.count) for c in counts] == [(("helpful",), 2), (("unhelpful",), 1)]
    assert await stats.counts(date(2026, 3, 1), date(2026, 3, 31), ["kind"]) == []


async def test_a_broken_database_costs_no_answer_and_no_count(
    stats: Stats, caplog: pytest.LogCaptureFixture
) -> None:
    working = stats.db
    stats.db = _Failing()  # type: ignore[assignment]
    await stats.record(bin_question())
    await stats.flush()
    assert "not written" in caplog.text
    stats.db = working  # the database is back: the counts kept in memory are written then
    await stats.record(bin_question())
    [row] = await rows(stats)
    assert row["count"] == 2


class _Failing:
    async def executemany(self, sql: str, rows: object) -> None:
        raise StorageError("the database is read-only; check MELDWIJZER_DB and its permissions")


def test_buckets_follow_amsterdam_time_across_summer_time() -> None:
    winter = Bucket.of(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # Sunday 01:30 CET
    summer = Bucket.of(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # Sunday 03:30 CEST
    assert (winter.day, winter.hour_of_week) == (date(2026, 3, 29), 6 * 24 + 1)
    assert (summer.day, summer.hour_of_week) == (date(2026, 3, 29), 6 * 24 + 3)
    late = Bucket.of(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # already 1 July in Maastricht
    assert late.day == date(2026, 7, 1)
    with pytest.raises(ValueError, match="aware"):
        Bucket.of(datetime(2026, 1, 1, 12, 0))


async def test_counts_group_and_filter(stats: Stats, clock: Clock) -> None:
    await stats.record(bin_question())
    await stats.record(bin_question(area="zuid-oost", pc4="6221"))
    await stats.record(bin_question(situation="nood-brand", channel="112", emergency=True))
    clock.moment = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    await stats.record(bin_question())
    march = (date(2026, 3, 1), date(2026, 3, 31))
    by_area = await stats.counts(*march, ["area"])
    assert [(c.key, c.count) for c in by_area] == [(("noord-oost",), 2), (("zuid-oost",), 1)]
    north = await stats.counts(*march, ["theme", "emergency"], area="noord-oost")
    assert [(c.key, c.count) for c in north] == [(("afval", "no"), 1), (("veiligheid", "yes"), 1)]
    when = await stats.counts(date(2026, 3, 1), date(2026, 4, 30), ["month", "weekday", "hour"])
    assert [(c.key, c.count) for c in when] == [
        (("2026-03", "wed", 14), 3),
        (("2026-04", "wed", 10), 1),
    ]
    assert [c.count for c in await stats.counts(*march, [])] == [3]
    assert await stats.counts(date(2025, 1, 1), date(2025, 12, 31), []) == []


def test_fields_are_checked() -> None:
    assert parse_fields("area, theme") == ("area", "theme")
    assert parse_fields("") == ()
    with pytest.raises(ValueError, match=r"unknown field.*street"):
        parse_fields("area,street")
    with pytest.raises(ValueError, match="twice"):
        parse_fields("area,area")


@pytest.mark.parametrize(
    ("text", "first", "last", "previous"),
    [
        ("2026H1", date(2026, 1, 1), date(2026, 6, 30), "2025H2"),
        ("2026h2", date(2026, 7, 1), date(2026, 12, 31), "2026H1"),
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31), "2025Q4"),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30), "2026Q2"),
        ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-02"),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-01"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025"),
    ],
)
def test_periods(text: str, first: date, last: date, previous: str) -> None:
    period = Period.parse(text)
    assert (period.first, period.last, period.previous().label) == (first, last, previous)


@pytest.mark.parametrize("text", ["2026H3", "2026Q5", "2026-13", "2026-00", "H1", "26H1", ""])
def test_bad_periods_say_what_works(text: str) -> None:
    with pytest.raises(ValueError, match="2026H1"):
        Period.parse(text)


async def test_retention_rolls_old_days_up_to_months(stats: Stats, clock: Clock) -> None:
    for day in (3, 3, 18):  # Friday the 3rd twice, Saturday the 18th
        clock.moment = datetime(2025, 1, day, 9, 0, tzinfo=UTC)
        await stats.record(bin_question())
    clock.moment = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)  # another Friday 10:00
    await stats.record(bin_question())
    clock.moment = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)  # recent: kept per day
    await stats.record(bin_question())
    clock.moment = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    before = await stats.counts(date(2025, 1, 1), date(2026, 3, 31), ["area"])

    result = await stats.roll_up(12)
    assert result.cutoff == date(2025, 3, 1)
    assert result.day_rows == 3  # the 3rd (one row of 2), the 10th and the 18th
    found = sorted(
        (r["day"], r["whole_month"], r["hour_of_week"], r["count"]) for r in await rows(stats)
    )
    assert found == [
        ("2025-01-01", 1, 4 * 24 + 10, 3),  # Fridays 10:00
        ("2025-01-01", 1, 5 * 24 + 10, 1),  # Saturday the 18th
        ("2026-02-02", 0, 10, 1),
    ]
    assert await stats.counts(date(2025, 1, 1), date(2026, 3, 31), ["area"]) == before
    # a range that cuts a rolled-up month leaves it out, and says so
    assert await stats.counts(date(2025, 1, 5), date(2025, 1, 31), []) == []
    assert await stats.cut_months(date(2025, 1, 5), date(2025, 1, 31)) == ["2025-01"]
    assert await stats.cut_months(date(2025, 1, 1), date(2025, 1, 31)) == []
    by_date = await stats.counts(date(2025, 1, 1), date(2026, 3, 31), ["date"])
    assert [(c.key, c.count) for c in by_date] == [(("2025-01",), 4), (("2026-02-02",), 1)]

    again = await stats.roll_up(12)  # idempotent
    assert again.day_rows == 0
    assert await stats.counts(date(2025, 1, 1), date(2026, 3, 31), ["area"]) == before


async def test_retention_merges_into_an_existing_month(stats: Stats, clock: Clock) -> None:
    clock.moment = datetime(2025, 1, 3, 9, 0, tzinfo=UTC)
    await stats.record(bin_question())
    clock.moment = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    await stats.roll_up(12)
    clock.moment = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)  # a late day row in that month
    await stats.record(bin_question())
    clock.moment = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    await stats.roll_up(12)
    assert [(r["whole_month"], r["count"]) for r in await rows(stats)] == [(1, 2)]


async def test_retention_keeps_at_least_a_month(stats: Stats) -> None:
    with pytest.raises(ValueError, match="at least 1 month"):
        await stats.roll_up(0)
