"""The spreekuren parser on hostile input: dates, time ranges, repeats and the one-line form.

Everything either parses into a well-formed value or raises `InputError` (or its
`SpreekuurError`) whose message renders in Dutch and English; valid input written in any of
the documented forms reads back exactly; markup, SQL and right-to-left text in a place or note
are kept as typed; and the parser takes linear time on 100 kB lines.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import date, time, timedelta

import pytest
from areas_support import packaged_areas
from babel.dates import format_date
from hypothesis import assume, given
from hypothesis import strategies as st

from bot import spreekuren
from bot.dutchdates import (
    MAX_SERIES_DAYS,
    InputError,
    TimeRange,
    find_time_range,
    parse_date,
    parse_schedule,
    parse_time_range,
)
from bot.spreekuren import MAX_NOTE, MAX_PLACE, Draft, parse_line

from .conftest import PROPERTY, any_text, hostile_text, scaling

TODAY = date(2026, 11, 20)  # a Friday
LOCALES = {"nl": "nl_NL", "en": "en_GB"}
AREAS = packaged_areas()


def assert_friendly(exc: InputError) -> None:
    """The message renders in both languages: its key exists, every placeholder is filled."""
    for lang in ("nl", "en"):
        assert exc.message(lang).strip()


def assert_well_formed(draft: Draft) -> None:
    """A draft that validate() can take: a known area, a sane schedule, clean short texts."""
    assert draft.area in AREAS.ids()
    assert draft.times.start < draft.times.end
    dates = draft.schedule.dates()
    assert dates and dates == sorted(dates) and dates[0] == draft.schedule.first
    if draft.schedule.recurrence is not None:
        assert draft.schedule.until is not None and dates[-1] <= draft.schedule.until
        assert (draft.schedule.until - TODAY).days <= MAX_SERIES_DAYS + 1
    for text, limit in ((draft.place, MAX_PLACE), (draft.note, MAX_NOTE)):
        assert len(text) <= limit and text == text.strip()
        assert not any(c in text for c in "\x00\n\r\t\x1b\u2028")
    assert draft.place


@PROPERTY
@given(any_text())
def test_any_line_parses_or_says_what_is_wrong(text: str) -> None:
    try:
        draft = parse_line(AREAS, text, TODAY)
    except InputError as exc:
        assert_friendly(exc)
        return
    assert_well_formed(draft)


@PROPERTY
@given(any_text())
def test_any_date_time_or_repeat_parses_or_says_what_is_wrong(text: str) -> None:
    for parse in (
        lambda s: parse_date(s, TODAY),
        lambda s: parse_schedule(s, TODAY),
        parse_time_range,
    ):
        try:
            parse(text)
        except InputError as exc:
            assert_friendly(exc)
    found = find_time_range(text)
    if found is not None:
        times, start, end = found
        assert times.start < times.end and 0 <= start < end <= len(text)
        assert parse_time_range(text[start:end]) == times  # the offsets are those of TEXT


# -- valid input in every documented form -----------------------------------------------------

_DAYS = st.integers(0, 5 * 365).map(lambda n: TODAY + timedelta(days=n))


def _written(day: date, form: str, lang: str) -> str:
    locale = LOCALES[lang]
    return {
        "numeric": f"{day.day}-{day.month}-{day.year}",
        "slashes": f"{day.day}/{day.month}/{day.year}",
        "iso": day.isoformat(),
        "long": format_date(day, "d MMMM y", locale=locale),
        "short": format_date(day, "d MMM y", locale=locale).replace(".", ""),
        "weekday": format_date(day, "EEE d MMM y", locale=locale).replace(".", ""),
        "full": format_date(day, "EEEE d MMMM y", locale=locale),
    }[form]


@PROPERTY
@given(
    _DAYS,
    st.sampled_from(["numeric", "slashes", "iso", "long", "short", "weekday", "full"]),
    st.sampled_from(["nl", "en"]),
    st.sampled_from([str, str.upper, str.title]),
)
def test_a_date_reads_back(day: date, form: str, lang: str, case: object) -> None:
    typed = case(_written(day, form, lang))  # type: ignore[operator]
    assert parse_date(typed, TODAY) == day
    assert parse_date(f"  {typed}, ", TODAY) == day


@PROPERTY
@given(st.integers(0, 364).map(lambda n: TODAY + timedelta(days=n)))
def test_a_date_without_year_is_the_next_one(day: date) -> None:
    assume((day.month, day.day) != (2, 29))
    assert parse_date(f"{day.day}-{day.month}", TODAY) == day
    assert parse_date(format_date(day, "d MMMM", locale="nl_NL"), TODAY) == day


@PROPERTY
@given(_DAYS, st.integers(1, 6))
def test_a_wrong_weekday_is_refused(day: date, shift: int) -> None:
    wrong = (day.weekday() + shift) % 7
    weekday = format_date(day + timedelta(days=shift), "EEEE", locale="nl_NL")
    with pytest.raises(InputError) as refused:
        parse_date(f"{weekday} {day.day}-{day.month}-{day.year}", TODAY)
    assert refused.value.key == "spreekuren.err.weekday_mismatch"
    assert refused.value.values["weekday"].number == wrong  # type: ignore[attr-defined]
    assert_friendly(refused.value)


_CLOCKS = st.tuples(st.integers(0, 23), st.sampled_from([0, 0, 15, 30, 45, 59]))


def _clock(hour: int, minute: int, form: str) -> str:
    return {
        "colon": f"{hour:02d}:{minute:02d}",
        "dot": f"{hour}.{minute:02d}",
        "u": f"{hour}u{minute:02d}" if minute else f"{hour}u",
        "h": f"{hour}h{minute:02d}" if minute else f"{hour}h",
    }[form]


@PROPERTY
@given(
    _CLOCKS,
    _CLOCKS,
    st.sampled_from(["colon", "dot", "u", "h"]),
    st.sampled_from(["-", "–", " - ", " tot ", " t/m "]),
)
def test_a_time_range_reads_back(
    start: tuple[int, int], end: tuple[int, int], form: str, dash: str
) -> None:
    typed = f"{_clock(*start, form)}{dash}{_clock(*end, form)}"
    if end <= start:
        with pytest.raises(InputError) as refused:
            parse_time_range(typed)
        assert refused.value.key == "spreekuren.err.end_before_start"
        return
    expected = TimeRange(time(*start), time(*end))
    assert parse_time_range(typed) == expected
    found = find_time_range(f"morgen {typed} Wijkhuis")
    assert found is not None and found[0] == expected


@PROPERTY
@given(
    st.integers(0, 6),
    st.sampled_from([None, "eerste", "tweede", "derde", "vierde", "laatste"]),
    st.integers(1, 800).map(lambda n: TODAY + timedelta(days=n)),
    st.sampled_from(["t/m", "tot"]),
)
def test_a_repeat_gives_only_its_own_days(
    weekday: int, nth: str | None, until: date, word: str
) -> None:
    name = format_date(
        TODAY + timedelta(days=(weekday - TODAY.weekday()) % 7), "EEEE", locale="nl_NL"
    )
    every = f"elke {nth} {name} van de maand" if nth else f"elke {name}"
    typed = f"{every} {word} {until.day}-{until.month}-{until.year}"
    try:
        schedule = parse_schedule(typed, TODAY)
    except InputError as exc:
        assert exc.key in ("spreekuren.err.series_too_long", "spreekuren.err.repeat_empty")
        assert ((until - TODAY).days > MAX_SERIES_DAYS) == (exc.key.endswith("too_long"))
        return
    dates = schedule.dates()
    assert schedule.until == until and dates[0] == schedule.first >= TODAY
    assert all(TODAY <= d <= until and d.weekday() == weekday for d in dates)
    if nth is None:
        assert all((b - a).days == 7 for a, b in itertools.pairwise(dates))
    else:
        assert len({(d.year, d.month) for d in dates}) == len(dates)  # one a month
        for d in dates:
            later = d + timedelta(days=7)
            if nth == "laatste":
                assert later.month != d.month
            else:
                assert (d.day - 1) // 7 + 1 == ["eerste", "tweede", "derde", "vierde"].index(
                    nth
                ) + 1


# -- the one-line form: a contract ------------------------------------------------------------

_PLACE_TEXT = hostile_text(6).filter(
    lambda s: (
        "|" not in s
        and 0 < len(" ".join(spreekuren.clean_text(s, 10**6, "x").split())) <= MAX_PLACE
        and not s.strip().lower().startswith("uur")
        and not s[:1].isalnum()
    )
)
_NOTE_TEXT = hostile_text(6).filter(lambda s: len(spreekuren.clean_text(s, 10**6, "x")) <= MAX_NOTE)


@PROPERTY
@given(
    st.sampled_from(AREAS.ids()),
    st.integers(1, 700).map(lambda n: TODAY + timedelta(days=n)),
    st.sampled_from(["numeric", "iso", "long", "weekday"]),
    _CLOCKS,
    _PLACE_TEXT,
    st.one_of(st.none(), _NOTE_TEXT),
)
def test_a_line_reads_back_with_place_and_note_as_typed(
    area: str, day: date, form: str, start: tuple[int, int], place: str, note: str | None
) -> None:
    """Markup, SQL, emoji and right-to-left text in the place and note are kept as typed."""
    assume(start < (23, 0))
    end = (start[0] + 1, start[1])
    line = f"{area} {_written(day, form, 'nl')} {_clock(*start, 'colon')}-{_clock(*end, 'colon')}"
    line += f" {place}" + (f" | {note}" if note is not None else "")
    draft = parse_line(AREAS, line, TODAY)
    assert_well_formed(draft)
    assert (draft.area, draft.schedule.first) == (area, day)
    assert draft.times == TimeRange(time(*start), time(*end))
    assert draft.place == spreekuren.clean_text(place, MAX_PLACE, "x")
    expected_note = spreekuren.clean_text(note or "", MAX_NOTE, "x")
    assert draft.note == ("" if expected_note in ("-", "geen", "none") else expected_note)


# -- time on long input -----------------------------------------------------------------------

LINE_PIECES = (
    " ",
    "1",
    "1-",
    "14:00 ",
    "14:00-",
    "1-1-1 ",
    "tot ",
    "t/m vanaf ",
    "elke ",
    "noord-oost elke dinsdag t/m ",
    "van 1 tot ",
    "İ",
    "<b>'; --",
)


@pytest.mark.parametrize("piece", LINE_PIECES)
def test_parsing_time_grows_linearly(piece: str) -> None:
    def parse(text: str) -> None:
        for attempt in (
            lambda: parse_line(AREAS, f"noord-oost {text} 14:00-15:00 x", TODAY),
            lambda: parse_line(AREAS, f"noord-oost elke dinsdag {text}", TODAY),
            lambda: parse_schedule(text, TODAY),
            lambda: parse_time_range(text),
        ):
            with contextlib.suppress(InputError):
                attempt()

    grown = scaling(parse, piece)
    assert grown.linear, f"parsing {piece!r} x 100,000: {grown}"
