"""Dates, time ranges and repeat rules as staff type them in a chat, in Dutch (or English).

"3 december", "di 3 dec", "morgen", "3-12", "3-12-2026", "2026-12-03"; "14:00-15:30",
"14.00–15.30", "14u-15u30"; "elke woensdag t/m 30-6-2027", "elke eerste dinsdag van de maand
tot 30 juni 2027". Everything is relative to a `today` the caller passes in, so nothing here
reads the clock. Text that does not parse raises `InputError` with a message key.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache

from babel.dates import format_date, get_day_names, get_month_names

from bot.i18n import t

MAX_SERIES_DAYS = 731  # a repeat rule runs at most two years: staff renew it, nothing runs forever

_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


class InputError(ValueError):
    """Typed text we cannot use; KEY names the friendly message, VALUES fill it in."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, lang: str) -> str:
        """The message in LANG, dates and weekdays written out in that language."""
        shown = {name: _show(value, lang) for name, value in self.values.items()}
        return t(self.key, lang, **shown)


def _show(value: object, lang: str) -> object:
    if isinstance(value, date):
        return format_date(value, "EEEE d MMMM y", locale=_LOCALES.get(lang, "nl_NL"))
    if isinstance(value, Weekday):
        return weekday_name(value.number, lang)
    return value


@dataclass(frozen=True)
class Weekday:
    """A day of the week (0 = Monday), kept apart from plain numbers for messages."""

    number: int


def weekday_name(number: int, lang: str) -> str:
    """The full name of weekday NUMBER (0 = Monday) in LANG."""
    return str(get_day_names("wide", locale=_LOCALES.get(lang, "nl_NL"))[number])


@cache
def _weekday_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for locale in ("nl", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, locale=locale).items():
                words[str(name).lower().rstrip(".")] = number
    words.update(
        {
            "din": 1,
            "woe": 2,
            "don": 3,
            "vrij": 4,
            "zat": 5,
            "zon": 6,
            "tues": 1,
            "weds": 2,
            "thur": 3,
            "thurs": 3,
        }
    )
    return words


@cache
def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for locale in ("nl", "en"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                words[str(name).lower().rstrip(".")] = number
    words.update({"sept": 9, "maa": 3, "okt": 10, "oct": 10, "mrt": 3})
    return words


def normalise(text: str) -> str:
    """Lower case, one kind of dash, single spaces, no trailing punctuation."""
    text = text.lower().replace("–", "-").replace("—", "-").replace("\u2011", "-")
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" ,;")


# -- dates ------------------------------------------------------------------------------------

_RELATIVE = {
    "vandaag": 0,
    "today": 0,
    "morgen": 1,
    "tomorrow": 1,
    "overmorgen": 2,
    "day after tomorrow": 2,
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}|\d{2}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:e|ste|de|st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")


def parse_date(text: str, today: date) -> date:
    """The calendar date TEXT names; a date without a year is the next one from TODAY on."""
    cleaned = normalise(text)
    if not cleaned:
        raise InputError("spreekuren.err.date_missing")
    if cleaned in _RELATIVE:
        return today + timedelta(days=_RELATIVE[cleaned])
    weekday, rest = _split_weekday(cleaned)
    if weekday is not None and not rest:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    found = _parse_plain_date(rest, today, text)
    if weekday is not None and found.weekday() != weekday:
        raise InputError(
            "spreekuren.err.weekday_mismatch",
            date=found,
            weekday=Weekday(weekday),
            actual=Weekday(found.weekday()),
        )
    return found


def _split_weekday(text: str) -> tuple[int | None, str]:
    """A leading weekday ('di', 'dinsdag,') and the rest of the text."""
    head, _, rest = text.partition(" ")
    head = head.rstrip(",.")
    words = _weekday_words()
    if head in words:
        return words[head], rest.strip(" ,")
    return None, text


def _parse_plain_date(text: str, today: date, original: str) -> date:
    if match := _ISO.match(text):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), original)
    if match := _NUMERIC.match(text):
        return _dated(int(match[1]), int(match[2]), match[3], today, original)
    if match := _DAY_MONTH.match(text):
        month = _month_words().get(match[2])
        if month is not None:
            return _dated(int(match[1]), month, match[3], today, original)
    if match := _MONTH_DAY.match(text):
        month = _month_words().get(match[1])
        if month is not None:
            return _dated(int(match[2]), month, match[3], today, original)
    raise InputError("spreekuren.err.date_unknown", text=original.strip())


def _dated(day: int, month: int, year: str | None, today: date, original: str) -> date:
    if year is not None:
        full = int(year) + 2000 if len(year) == 2 else int(year)
        return _make_date(full, month, day, original)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise InputError("spreekuren.err.date_invalid", text=original.strip())
    for candidate_year in range(today.year, today.year + 5):  # 29 February waits for a leap year
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise InputError("spreekuren.err.date_invalid", text=original.strip())


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError("spreekuren.err.date_invalid", text=original.strip()) from None


# -- times ------------------------------------------------------------------------------------

_CLOCK = r"(\d{1,2})(?:([:.])(\d{2})|([uh])(\d{2})?)?"
TIME_RANGE = re.compile(
    r"(?<![\d/.:\w-])(?:(?:van|from)\s+)?"
    + _CLOCK
    + r"\s*(?:-|tot en met|tot|t/m|to|until|till)\s*"
    + _CLOCK
    + r"(\s*uur\b)?(?![\d/:\w-]|\.\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimeRange:
    """A start and end time on one day, local (Europe/Amsterdam) wall-clock time."""

    start: time
    end: time


def find_time_range(text: str) -> tuple[TimeRange, int, int] | None:
    """The first time range in TEXT that is written as a time (14:00, 14.00, 14u, '14-15 uur').

    Returns the range with its start and end offsets in TEXT; plain number pairs like '3-12'
    are dates, not times, and are skipped.
    """
    # Case is ignored by the pattern, not lowered away: "İ".lower() is two characters, and the
    # offsets must stay those of TEXT.
    dashed = text.replace("–", "-").replace("—", "-")
    for match in TIME_RANGE.finditer(dashed):
        marked = match[2] or match[4] or match[7] or match[9] or match[11]
        if marked:
            return _time_range(match), match.start(), match.end()
    return None


def parse_time_range(text: str) -> TimeRange:
    """A whole text that is one time range; bare numbers ('14-15') are read as whole hours."""
    cleaned = normalise(text).removesuffix(" uur")
    match = TIME_RANGE.fullmatch(cleaned) or TIME_RANGE.fullmatch(cleaned + " uur")
    if match is None:
        raise InputError("spreekuren.err.time_unknown", text=text.strip())
    return _time_range(match)


def _time_range(match: re.Match[str]) -> TimeRange:
    start = _clock(match[1], match[3] or match[5], match.group(0))
    end = _clock(match[6], match[8] or match[10], match.group(0))
    if end <= start:
        raise InputError("spreekuren.err.end_before_start", start=_hhmm(start), end=_hhmm(end))
    return TimeRange(start, end)


def _clock(hours: str, minutes: str | None, original: str) -> time:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 23 or minute > 59:
        raise InputError("spreekuren.err.time_invalid", text=original.strip())
    return time(hour, minute)


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


# -- repeat rules -----------------------------------------------------------------------------

_ORDINALS = {
    "eerste": 1,
    "1e": 1,
    "1ste": 1,
    "first": 1,
    "1st": 1,
    "tweede": 2,
    "2e": 2,
    "2de": 2,
    "second": 2,
    "2nd": 2,
    "derde": 3,
    "3e": 3,
    "3de": 3,
    "third": 3,
    "3rd": 3,
    "vierde": 4,
    "4e": 4,
    "4de": 4,
    "fourth": 4,
    "4th": 4,
    "laatste": -1,
    "last": -1,
}
_EVERY = re.compile(
    r"^(?:elke|iedere|every|each|wekelijks op|weekly on)\s+(?:week op\s+|week on\s+)?"
    r"(?:(?P<nth>" + "|".join(_ORDINALS) + r")\s+)?"
    r"(?P<day>[a-z]+)\.?"
    r"(?:\s+(?:van de maand|van elke maand|in de maand|per maand|of the month|of every month))?"
    r"(?P<rest>(?:\s.*)?)$"
)
_FROM = re.compile(r"\b(?:vanaf|from|starting)\s+(.+?)(?=\s+(?:t/m|tot|until|through|till)\s|$)")
_UNTIL = re.compile(
    r"(?:^|\s)(?:t/m|tot en met|tot|until|through|till)\s+(.+?)(?=\s+(?:vanaf|from|starting)\s|$)"
)


@dataclass(frozen=True)
class Recurrence:
    """'Every Wednesday' (nth None) or 'every first Tuesday of the month' (nth 1..4, -1 last)."""

    weekday: int
    nth: int | None = None

    @property
    def rule(self) -> str:
        """The stored form: 'weekly:2' or 'monthly:1:1'."""
        if self.nth is None:
            return f"weekly:{self.weekday}"
        return f"monthly:{self.nth}:{self.weekday}"

    @classmethod
    def from_rule(cls, rule: str) -> Recurrence:
        """Read the stored form back."""
        parts = rule.split(":")
        if parts[0] == "weekly" and len(parts) == 2:
            return cls(int(parts[1]))
        if parts[0] == "monthly" and len(parts) == 3:
            return cls(int(parts[2]), int(parts[1]))
        raise ValueError(f"not a repeat rule: {rule!r}")

    def dates(self, start: date, until: date) -> Iterator[date]:
        """Every date of the rule from START to UNTIL, both included."""
        if self.nth is None:
            day = start + timedelta(days=(self.weekday - start.weekday()) % 7)
            while day <= until:
                yield day
                day += timedelta(days=7)
            return
        year, month = start.year, start.month
        while date(year, month, 1) <= until:
            nth = _nth_weekday(year, month, self.weekday, self.nth)
            if nth is not None and start <= nth <= until:
                yield nth
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def describe(self, lang: str) -> str:
        """'elke woensdag' / 'every first Tuesday of the month'."""
        name = weekday_name(self.weekday, lang)
        if self.nth is None:
            return t("spreekuren.repeat.weekly", lang, weekday=name)
        which = "last" if self.nth == -1 else str(self.nth)
        return t(f"spreekuren.repeat.monthly_{which}", lang, weekday=name)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    if nth == -1:
        return date(year, month, days[-1])
    return date(year, month, days[nth - 1]) if nth <= len(days) else None


@dataclass(frozen=True)
class Schedule:
    """When a spreekuur happens: one date, or a repeat rule from FIRST up to UNTIL."""

    first: date
    recurrence: Recurrence | None = None
    until: date | None = None

    def dates(self) -> list[date]:
        """Every date of the schedule."""
        if self.recurrence is None or self.until is None:
            return [self.first]
        return list(self.recurrence.dates(self.first, self.until))


def is_repeat(text: str) -> bool:
    """Does TEXT start like a repeat rule ('elke ...', 'every ...')?"""
    return _EVERY.match(normalise(text)) is not None


def parse_schedule(text: str, today: date) -> Schedule:
    """A single date, or a repeat rule with an end date (and an optional 'vanaf' start)."""
    cleaned = normalise(text)
    match = _EVERY.match(cleaned)
    if match is None:
        if _UNTIL.search(cleaned):
            raise InputError("spreekuren.err.range_without_repeat", text=text.strip())
        return Schedule(parse_date(cleaned, today))
    recurrence = _recurrence(match["nth"], match["day"], text)
    rest = match["rest"].strip()
    until_match, from_match = _UNTIL.search(rest), _FROM.search(rest)
    leftover = rest
    for found in (until_match, from_match):
        if found:
            leftover = leftover.replace(found.group(0).strip(), "")
    if leftover.strip(" ,"):
        raise InputError("spreekuren.err.repeat_unknown", text=text.strip())
    if until_match is None:
        raise InputError("spreekuren.err.repeat_needs_end")
    start = parse_date(from_match[1], today) if from_match else today
    until = parse_date(until_match[1], today)
    if until < start:
        raise InputError("spreekuren.err.until_before_start", until=until, start=start)
    if (until - start).days > MAX_SERIES_DAYS:
        raise InputError("spreekuren.err.series_too_long", until=until)
    dates = list(recurrence.dates(start, until))
    if not dates:
        raise InputError("spreekuren.err.repeat_empty", start=start, until=until)
    return Schedule(dates[0], recurrence, until)


def _recurrence(nth_word: str | None, day_word: str, original: str) -> Recurrence:
    weekday = _weekday_words().get(day_word.rstrip("."))
    if weekday is None:
        raise InputError("spreekuren.err.repeat_unknown", text=original.strip())
    if nth_word is None:
        return Recurrence(weekday)
    nth = _ORDINALS.get(nth_word)
    if nth is None:
        raise InputError("spreekuren.err.repeat_unknown", text=original.strip())
    return Recurrence(weekday, nth)


# -- showing dates ----------------------------------------------------------------------------


def relative_day(day: date, today: date, lang: str) -> str | None:
    """'vandaag' / 'morgen' (babel has no such helper), or None for other days."""
    offset = (day - today).days
    if offset == 0:
        return t("spreekuren.today", lang)
    if offset == 1:
        return t("spreekuren.tomorrow", lang)
    return None
