"""Dates, time ranges and repeat rules as staff type them, read against a fixed 'today'."""

from __future__ import annotations

import ast
from datetime import date, time
from pathlib import Path

import pytest

from bot.dutchdates import (
    InputError,
    Recurrence,
    TimeRange,
    find_time_range,
    parse_date,
    parse_schedule,
    parse_time_range,
    relative_day,
)
from bot.i18n import catalog

TODAY = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 december", date(2026, 12, 3)),
        ("3 dec", date(2026, 12, 3)),
        ("3 dec.", date(2026, 12, 3)),
        ("do 3 dec", date(2026, 12, 3)),
        ("donderdag 3 december", date(2026, 12, 3)),
        ("Do, 3 December 2026", date(2026, 12, 3)),
        ("di 1 dec", date(2026, 12, 1)),
        ("morgen", date(2026, 11, 21)),
        ("Overmorgen", date(2026, 11, 22)),
        ("vandaag", TODAY),
        ("tomorrow", date(2026, 11, 21)),
        ("3-12", date(2026, 12, 3)),
        ("3/12", date(2026, 12, 3)),
        ("3-12-2026", date(2026, 12, 3)),
        ("03-12-26", date(2026, 12, 3)),
        ("2026-12-03", date(2026, 12, 3)),
        ("1-1", date(2027, 1, 1)),  # already past this year: next year
        ("20-11", TODAY),
        ("19-11", date(2027, 11, 19)),
        ("29-2", date(2028, 2, 29)),  # the next 29 February
        ("1 mrt", date(2027, 3, 1)),
        ("1 maart", date(2027, 3, 1)),
        ("dinsdag", date(2026, 11, 24)),
        ("vrijdag", TODAY),
        ("wo", date(2026, 11, 25)),
        ("dec 3", date(2026, 12, 3)),
        ("December 3rd, 2026", date(2026, 12, 3)),
        ("tue 1 dec", date(2026, 12, 1)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "spreekuren.err.date_missing"),
        ("di 3 dec", "spreekuren.err.weekday_mismatch"),  # 3 December 2026 is a Thursday
        ("31-2", "spreekuren.err.date_invalid"),
        ("31-11-2026", "spreekuren.err.date_invalid"),
        ("32 januari", "spreekuren.err.date_invalid"),
        ("3-13", "spreekuren.err.date_invalid"),
        ("3 smarch", "spreekuren.err.date_unknown"),
        ("volgende week", "spreekuren.err.date_unknown"),
        ("14:00", "spreekuren.err.date_unknown"),
    ],
)
def test_bad_dates(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(text, TODAY)
    assert caught.value.key == key


def test_a_wrong_weekday_is_explained_in_both_languages() -> None:
    with pytest.raises(InputError) as caught:
        parse_date("di 3 dec", TODAY)
    assert caught.value.message("nl") == (
        "donderdag 3 december 2026 valt op een donderdag, niet op een dinsdag. Welke dag bedoel je?"
    )
    assert "is a Thursday, not a Tuesday" in caught.value.message("en")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("14:00-15:30", time(14), time(15, 30)),
        ("14.00–15.30", time(14), time(15, 30)),
        ("14.00 — 15.30 uur", time(14), time(15, 30)),
        ("14u-15u30", time(14), time(15, 30)),
        ("14h-15h30", time(14), time(15, 30)),
        ("9:30 - 11:00", time(9, 30), time(11)),
        ("van 14:00 tot 15:30", time(14), time(15, 30)),
        ("14:00 tot 15:30 uur", time(14), time(15, 30)),
        ("14-15", time(14), time(15)),
        ("14-15 uur", time(14), time(15)),
        ("from 14:00 to 15:30", time(14), time(15, 30)),
    ],
)
def test_time_ranges(text: str, start: time, end: time) -> None:
    assert parse_time_range(text) == TimeRange(start, end)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("15:30-14:00", "spreekuren.err.end_before_start"),
        ("14:00-14:00", "spreekuren.err.end_before_start"),
        ("25:00-26:00", "spreekuren.err.time_invalid"),
        ("14:75-15:00", "spreekuren.err.time_invalid"),
        ("kwart over twee", "spreekuren.err.time_unknown"),
        ("14:00", "spreekuren.err.time_unknown"),
    ],
)
def test_bad_time_ranges(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_time_range(text)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("text", "found", "span"),
    [
        ("3-12 14:00-15:30 Limmel", TimeRange(time(14), time(15, 30)), "14:00-15:30"),
        ("3-12-2026 14.00–15.30 x", TimeRange(time(14), time(15, 30)), "14.00–15.30"),
        ("3-12 14-15 uur Limmel", TimeRange(time(14), time(15)), "14-15 uur"),
        ("t/m 1-7-2027 14u-15u x", TimeRange(time(14), time(15)), "14u-15u"),
        ("elke wo tot 30-6-2027 9.30-11.00 x", TimeRange(time(9, 30), time(11)), "9.30-11.00"),
    ],
)
def test_a_time_range_is_found_after_a_date(text: str, found: TimeRange, span: str) -> None:
    result = find_time_range(text)
    assert result is not None
    times, start, end = result
    assert times == found and text[start:end] == span


def test_date_pairs_are_not_time_ranges() -> None:
    assert find_time_range("3-12 Buurtcentrum") is None
    assert find_time_range("3-12-2026 Limmel 1-2") is None


def test_weekly_repeat() -> None:
    schedule = parse_schedule("elke woensdag t/m 30-12-2026", TODAY)
    assert schedule.recurrence == Recurrence(2)
    assert schedule.dates() == [
        date(2026, 11, 25),
        date(2026, 12, 2),
        date(2026, 12, 9),
        date(2026, 12, 16),
        date(2026, 12, 23),
        date(2026, 12, 30),
    ]


def test_monthly_repeats() -> None:
    first = parse_schedule("elke eerste dinsdag van de maand tot 30 juni 2027", TODAY)
    assert first.recurrence == Recurrence(1, 1)
    assert first.dates() == [
        date(2026, 12, 1),
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2027, 3, 2),
        date(2027, 4, 6),
        date(2027, 5, 4),
        date(2027, 6, 1),
    ]
    last = parse_schedule("every last friday of the month until 31-1-2027", TODAY)
    assert last.dates() == [date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 29)]
    third = parse_schedule("iedere 3e donderdag t/m 31-12-2026", TODAY)
    assert third.dates() == [date(2026, 12, 17)]  # 19 November is before today


def test_repeat_with_a_start() -> None:
    schedule = parse_schedule("elke woensdag vanaf 1-1-2027 t/m 31-1-2027", TODAY)
    assert schedule.first == date(2027, 1, 6) and len(schedule.dates()) == 4
    assert parse_schedule("elke wo t/m 1-2-2027 vanaf 20-1-2027", TODAY).dates() == [
        date(2027, 1, 20),
        date(2027, 1, 27),
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("elke woensdag", "spreekuren.err.repeat_needs_end"),
        ("elke woensdag t/m 1-11-2026", "spreekuren.err.until_before_start"),
        ("elke woensdag t/m 1-1-2029", "spreekuren.err.series_too_long"),
        ("elke blauwdag t/m 1-1-2027", "spreekuren.err.repeat_unknown"),
        ("elke vijfde dinsdag t/m 1-1-2027", "spreekuren.err.repeat_unknown"),
        ("elke woensdag om de week t/m 1-1-2027", "spreekuren.err.repeat_unknown"),
        ("elke woensdag t/m 1-1-2027 om de week", "spreekuren.err.date_unknown"),
        ("elke woensdag t/m 21-11-2026", "spreekuren.err.repeat_empty"),
        ("3-12 t/m 5-12", "spreekuren.err.range_without_repeat"),
        ("elke woensdag t/m 31-2-2027", "spreekuren.err.date_invalid"),
    ],
)
def test_bad_repeats(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_schedule(text, TODAY)
    assert caught.value.key == key


@pytest.mark.parametrize(
    "rule", [Recurrence(0), Recurrence(6), Recurrence(1, 1), Recurrence(4, -1)]
)
def test_rules_are_stored_and_read_back(rule: Recurrence) -> None:
    assert Recurrence.from_rule(rule.rule) == rule


def test_rules_in_words() -> None:
    assert Recurrence(2).describe("nl") == "elke woensdag"
    assert Recurrence(1, 1).describe("nl") == "elke eerste dinsdag van de maand"
    assert Recurrence(4, -1).describe("en") == "every last Friday of the month"


def test_relative_days() -> None:
    assert relative_day(TODAY, TODAY, "nl") == "vandaag"
    assert relative_day(date(2026, 11, 21), TODAY, "en") == "tomorrow"
    assert relative_day(date(2026, 11, 22), TODAY, "nl") is None


# -- every message key raised by the spreekuren code is translated ----------------------------

SOURCES = [
    Path(__file__).resolve().parent.parent / "bot" / name
    for name in ("dutchdates.py", "staff.py", "spreekuren.py", "telegram/spreekuren.py")
]
RAISERS = {"InputError", "SpreekuurError", "Refused"}


def _raised_keys() -> set[str]:
    keys: set[str] = set()
    for path in SOURCES:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            values = list(node.args[:1]) if name in RAISERS else []
            values += [k.value for k in node.keywords if k.arg == "key"]
            for value in values:
                for leaf in ast.walk(value):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                        keys.add(leaf.value)
    return {k for k in keys if k.startswith("spreekuren.")}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_error_key_is_translated(lang: str) -> None:
    keys = _raised_keys()
    assert len(keys) > 30
    assert sorted(k for k in keys if k not in catalog(lang)) == []
