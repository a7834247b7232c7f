"""Spreekuren: staff publish them (once or repeating), residents see what is next in their area.

The public API every door uses:
- `parse_line(areas, text, today)` reads the one-line form
  `noord-oost 3-12-2026 14:00-15:30 Buurtcentrum Limmel | wijkagent en handhaver`;
- `publish`, `edit` and `cancel` change the store (authorised through `StaffDirectory`, checked,
  audited, atomic);
- `upcoming(db, area, now)` lists the occurrences residents see, `format_occurrence` writes one
  line, `render_listing` the whole answer, `ics_feed(db, areas, area, now)` the iCalendar feed.
Nothing here reads the clock or the area list: callers pass `now` (an aware datetime) and the
`AreaDirectory` (a `StaffDirectory` carries its own).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from icalendar import Calendar, Event

from bot.areas import AreaDirectory
from bot.dutchdates import (
    InputError,
    Recurrence,
    Schedule,
    TimeRange,
    find_time_range,
    parse_schedule,
    parse_time_range,
    relative_day,
)
from bot.i18n import t
from bot.meldkaart import Meldkaart
from bot.staff import StaffDirectory, parse_area, stamp, write_audit
from bot.storage import Database, Row, Transaction

TZ = ZoneInfo("Europe/Amsterdam")
LISTING_WEEKS = 8
MAX_PLACE = 80
MAX_NOTE = 200
ICS_HISTORY_DAYS = 30  # the feed keeps a month of past spreekuren, so calendars do not lose them
UID_DOMAIN = "meldwijzer-maastricht"

_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
_FIELDS = {
    "wanneer": "when",
    "datum": "when",
    "dag": "when",
    "when": "when",
    "date": "when",
    "tijd": "times",
    "tijden": "times",
    "time": "times",
    "times": "times",
    "plek": "place",
    "plaats": "place",
    "locatie": "place",
    "place": "place",
    "location": "place",
    "notitie": "note",
    "toelichting": "note",
    "opmerking": "note",
    "note": "note",
}
EDIT_FIELDS: tuple[str, ...] = ("when", "times", "place", "note")


class SpreekuurError(InputError):
    """A spreekuur that cannot be stored as asked; nothing changed."""


@dataclass(frozen=True)
class Draft:
    """A spreekuur as typed and checked field by field, not stored yet."""

    area: str
    schedule: Schedule
    times: TimeRange
    place: str
    note: str = ""


@dataclass(frozen=True)
class Occurrence:
    """One date of a spreekuur, as residents see it."""

    spreekuur_id: int
    area: str
    day: date
    starts_at: datetime
    ends_at: datetime
    place: str
    note: str
    cancelled: bool
    recurrence: Recurrence | None
    sequence: int
    updated_at: datetime

    @property
    def uid(self) -> str:
        """A stable iCalendar UID: the same spreekuur and date always give the same one."""
        return f"spreekuur-{self.spreekuur_id}-{self.day:%Y%m%d}@{UID_DOMAIN}"


@dataclass(frozen=True)
class Spreekuur:
    """A stored spreekuur: one date, or a series with its cancelled dates."""

    id: int
    area: str
    schedule: Schedule
    times: TimeRange
    place: str
    note: str
    cancelled: bool
    cancelled_days: frozenset[date]
    revision: int
    created_by: int
    updated_at: datetime

    @property
    def recurring(self) -> bool:
        """Is this a series?"""
        return self.schedule.recurrence is not None

    @property
    def last_day(self) -> date:
        """The last possible date."""
        return self.schedule.until or self.schedule.first

    @property
    def draft(self) -> Draft:
        """The fields as a draft, the starting point of an edit."""
        return Draft(self.area, self.schedule, self.times, self.place, self.note)

    def occurrences(self, start: date | None = None, end: date | None = None) -> list[Occurrence]:
        """Every date from START to END (both included, default: all), cancelled ones marked."""
        found = []
        for day in self.schedule.dates():
            if (start and day < start) or (end and day > end):
                continue
            cancelled = self.cancelled or day in self.cancelled_days
            found.append(
                Occurrence(
                    spreekuur_id=self.id,
                    area=self.area,
                    day=day,
                    starts_at=local(day, self.times.start),
                    ends_at=local(day, self.times.end),
                    place=self.place,
                    note=self.note,
                    cancelled=cancelled,
                    recurrence=self.schedule.recurrence,
                    sequence=self.revision + (1 if cancelled else 0),
                    updated_at=self.updated_at,
                )
            )
        return found


def local(day: date, at: time) -> datetime:
    """DAY at wall-clock time AT in Maastricht, aware."""
    return datetime.combine(day, at, tzinfo=TZ)


def today_in_maastricht(now: datetime) -> date:
    """The calendar date in Maastricht at NOW."""
    if now.tzinfo is None:
        raise ValueError("an aware datetime is needed (naive times are ambiguous)")
    return now.astimezone(TZ).date()


# -- reading what staff type ------------------------------------------------------------------


def clean_text(text: str, limit: int, too_long_key: str) -> str:
    """TEXT as plain text on one line: control characters out, spaces collapsed, length checked.

    Markup (<b>, *bold*, [links](...)) is kept as the characters typed: it is stored and shown
    as text, and every door escapes it for its own markup.
    """
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    cleaned = " ".join(kept.split())
    if len(cleaned) > limit:
        raise SpreekuurError(too_long_key, limit=limit, length=len(cleaned))
    return cleaned


def parse_place(text: str) -> str:
    """The place, required, at most MAX_PLACE characters."""
    place = clean_text(text, MAX_PLACE, "spreekuren.err.place_too_long")
    if not place:
        raise SpreekuurError("spreekuren.err.place_missing")
    return place


def parse_note(text: str) -> str:
    """The optional short note, at most MAX_NOTE characters; '-' means none."""
    note = clean_text(text, MAX_NOTE, "spreekuren.err.note_too_long")
    return "" if note in ("-", "geen", "none") else note


def parse_line(areas: AreaDirectory, text: str, today: date) -> Draft:
    """The one-line form: AREA WHEN TIME-RANGE PLACE [| NOTE] (a contract: docs/spreekuren.md),
    AREA one of AREAS."""
    text = text.strip()
    if not text:
        raise SpreekuurError("spreekuren.err.line_usage")
    head, _, rest = text.partition(" ")
    area = parse_area(areas, head)
    found = find_time_range(rest)
    if found is None:
        raise SpreekuurError("spreekuren.err.time_missing")
    times, start, end = found
    when = rest[:start].strip()
    if not when:
        raise SpreekuurError("spreekuren.err.date_missing")
    place_text, _, note_text = rest[end:].partition("|")
    return Draft(
        area=area,
        schedule=parse_schedule(when, today),
        times=times,
        place=parse_place(place_text),
        note=parse_note(note_text),
    )


def parse_field(name: str) -> str:
    """The field an edit changes: when, times, place or note (Dutch or English names)."""
    field = _FIELDS.get(name.strip().lower())
    if field is None:
        raise SpreekuurError("spreekuren.err.field_unknown", field=name.strip())
    return field


def change(draft: Draft, field: str, value: str, today: date) -> Draft:
    """DRAFT with one field replaced by what was typed for it."""
    if field == "when":
        return replace(draft, schedule=parse_schedule(value, today))
    if field == "times":
        return replace(draft, times=parse_time_range(value))
    if field == "place":
        return replace(draft, place=parse_place(value))
    if field == "note":
        return replace(draft, note=parse_note(value))
    raise SpreekuurError("spreekuren.err.field_unknown", field=field)


def validate(areas: AreaDirectory, draft: Draft, now: datetime, move_first: bool = True) -> Draft:
    """DRAFT ready to store: in one of AREAS, not in the past; a new series starts at its first
    date to come.

    MOVE_FIRST False keeps a running series' first date (an edit of its time or place), so its
    past dates stay in the calendar feed.
    """
    if draft.area not in areas.ids():
        raise SpreekuurError(
            "spreekuren.err.area_unknown", area=draft.area, areas=", ".join(areas.ids())
        )
    if draft.times.end <= draft.times.start:
        raise SpreekuurError(
            "spreekuren.err.end_before_start",
            start=_hhmm(draft.times.start),
            end=_hhmm(draft.times.end),
        )
    parse_place(draft.place)
    clean_text(draft.note, MAX_NOTE, "spreekuren.err.note_too_long")
    coming = [d for d in draft.schedule.dates() if local(d, draft.times.start) > now]
    if not coming:
        raise SpreekuurError(
            "spreekuren.err.past", date=draft.schedule.first, start=_hhmm(draft.times.start)
        )
    if move_first and draft.schedule.recurrence is not None and coming[0] != draft.schedule.first:
        return replace(draft, schedule=replace(draft.schedule, first=coming[0]))
    return draft


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


# -- the store --------------------------------------------------------------------------------

Fetch = Callable[[str, Sequence[Any]], Awaitable[Sequence[Row]]]


async def _load(fetch: Fetch, where: str, params: Sequence[Any]) -> list[Spreekuur]:
    rows = await fetch(
        f"SELECT * FROM spreekuren WHERE {where} ORDER BY first_date, start_time, id", params
    )
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    marks = ",".join("?" * len(ids))
    cancelled: dict[int, set[date]] = {}
    for row in await fetch(
        f"SELECT spreekuur_id, day FROM spreekuur_cancellations WHERE spreekuur_id IN ({marks})",
        ids,
    ):
        cancelled.setdefault(row["spreekuur_id"], set()).add(date.fromisoformat(row["day"]))
    return [_spreekuur(row, frozenset(cancelled.get(row["id"], ()))) for row in rows]


def _spreekuur(row: Row, cancelled_days: frozenset[date]) -> Spreekuur:
    rule = row["rule"]
    return Spreekuur(
        id=row["id"],
        area=row["area"],
        schedule=Schedule(
            date.fromisoformat(row["first_date"]),
            Recurrence.from_rule(rule) if rule else None,
            date.fromisoformat(row["until_date"]) if row["until_date"] else None,
        ),
        times=TimeRange(time.fromisoformat(row["start_time"]), time.fromisoformat(row["end_time"])),
        place=row["place"],
        note=row["note"],
        cancelled=row["cancelled_at"] is not None,
        cancelled_days=cancelled_days,
        revision=row["revision"],
        created_by=row["created_by"],
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


async def get(db: Database, spreekuur_id: int) -> Spreekuur | None:
    """One spreekuur by id, or None."""
    found = await _load(db.fetchall, "id = ?", (spreekuur_id,))
    return found[0] if found else None


async def current(
    db: Database,
    now: datetime,
    areas: Iterable[str] | None = None,
) -> list[Spreekuur]:
    """Every spreekuur with a date still to come (cancelled ones too), for staff overviews."""
    today = today_in_maastricht(now)
    where, params = "COALESCE(until_date, first_date) >= ?", [today.isoformat()]
    if areas is not None:
        chosen = list(areas)
        where += f" AND area IN ({','.join('?' * len(chosen))})"
        params += chosen
    return await _load(db.fetchall, where, params)


def _same_place(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


async def _check_overlap(
    tx: Transaction,
    draft: Draft,
    today: date,
    exclude: int | None = None,
) -> None:
    """Refuse a draft that overlaps another live spreekuur of the same area and place."""
    others = await _load(
        tx.fetchall,
        "area = ? AND cancelled_at IS NULL AND COALESCE(until_date, first_date) >= ?",
        (draft.area, today.isoformat()),
    )
    wanted = {d for d in draft.schedule.dates() if d >= today}
    for other in others:
        if other.id == exclude or not _same_place(other.place, draft.place):
            continue
        if not (other.times.start < draft.times.end and draft.times.start < other.times.end):
            continue
        clash = sorted(wanted & (set(other.schedule.dates()) - other.cancelled_days))
        if clash:
            raise SpreekuurError(
                "spreekuren.err.overlap",
                id=other.id,
                date=clash[0],
                place=other.place,
                start=_hhmm(other.times.start),
                end=_hhmm(other.times.end),
            )


def _fields(draft: Draft) -> dict[str, object]:
    recurrence = draft.schedule.recurrence
    until = draft.schedule.until
    return {
        "area": draft.area,
        "first_date": draft.schedule.first.isoformat(),
        "start_time": _hhmm(draft.times.start),
        "end_time": _hhmm(draft.times.end),
        "place": draft.place,
        "note": draft.note,
        "rule": recurrence.rule if recurrence else None,
        "until_date": until.isoformat() if until else None,
    }


async def publish(
    db: Database, staff: StaffDirectory, actor: int, draft: Draft, now: datetime
) -> Spreekuur:
    """Store a new spreekuur for ACTOR, who must be staff for its area; audited, atomic."""
    await staff.require_area(actor, draft.area, "spreekuur.create", now)
    draft = validate(staff.areas, draft, now)
    fields = _fields(draft)
    async with db.transaction() as tx:
        await _check_overlap(tx, draft, today_in_maastricht(now))
        row = await tx.fetchone(
            "INSERT INTO spreekuren (area, first_date, start_time, end_time, place, note, rule, "
            "until_date, created_by, created_at, updated_at) "
            "VALUES (:area, :first_date, :start_time, :end_time, :place, :note, :rule, "
            ":until_date, :by, :at, :at) RETURNING id",
            {**fields, "by": actor, "at": stamp(now)},
        )
        assert row is not None  # RETURNING gives the one row inserted
        new_id = int(row["id"])
        await write_audit(
            tx, actor, "spreekuur.create", now, area=draft.area, target=new_id, detail=fields
        )
    stored = await get(db, new_id)
    assert stored is not None
    return stored


async def _editable(
    db: Database, staff: StaffDirectory, actor: int, spreekuur_id: int, action: str, now: datetime
) -> Spreekuur:
    """The spreekuur ACTOR may change, or an audited refusal / a friendly error."""
    await staff.require_staff(actor, action, now)
    found = await get(db, spreekuur_id)
    if found is None:
        raise SpreekuurError("spreekuren.err.not_found", id=spreekuur_id)
    await staff.require_area(actor, found.area, action, now)
    if found.cancelled:
        raise SpreekuurError("spreekuren.err.is_cancelled", id=spreekuur_id)
    if found.last_day < today_in_maastricht(now):
        raise SpreekuurError("spreekuren.err.is_over", id=spreekuur_id)
    return found


async def edit(
    db: Database,
    staff: StaffDirectory,
    actor: int,
    spreekuur_id: int,
    field: str,
    value: str,
    now: datetime,
) -> Spreekuur:
    """Change one field (when, times, place, note) of a spreekuur; the whole series follows."""
    found = await _editable(db, staff, actor, spreekuur_id, "spreekuur.edit", now)
    field = parse_field(field)
    changed = change(found.draft, field, value, today_in_maastricht(now))
    draft = validate(staff.areas, changed, now, move_first=field == "when")
    before, after = _fields(found.draft), _fields(draft)
    async with db.transaction() as tx:
        await _check_overlap(tx, draft, today_in_maastricht(now), exclude=found.id)
        await tx.execute(
            "UPDATE spreekuren SET first_date = :first_date, start_time = :start_time, "
            "end_time = :end_time, place = :place, note = :note, rule = :rule, "
            "until_date = :until_date, revision = revision + 1, updated_at = :at WHERE id = :id",
            {**after, "at": stamp(now), "id": found.id},
        )
        diff: dict[str, object] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        await write_audit(
            tx, actor, "spreekuur.edit", now, area=found.area, target=found.id, detail=diff
        )
    stored = await get(db, found.id)
    assert stored is not None
    return stored


async def cancel(
    db: Database,
    staff: StaffDirectory,
    actor: int,
    spreekuur_id: int,
    day: date | None,
    now: datetime,
) -> Spreekuur:
    """Cancel one date of a spreekuur (the series stays), or with DAY None the whole of it."""
    found = await _editable(db, staff, actor, spreekuur_id, "spreekuur.cancel", now)
    if day is not None:
        if day not in found.schedule.dates():
            raise SpreekuurError("spreekuren.err.not_a_date", id=found.id, date=day)
        if day in found.cancelled_days:
            raise SpreekuurError("spreekuren.err.already_cancelled", id=found.id, date=day)
        if local(day, found.times.start) <= now:
            raise SpreekuurError("spreekuren.err.cancel_past", date=day)
    async with db.transaction() as tx:
        if day is None:
            await tx.execute(
                "UPDATE spreekuren SET cancelled_at = ?, updated_at = ? WHERE id = ?",
                (stamp(now), stamp(now), found.id),
            )
        else:
            await tx.execute(
                "INSERT INTO spreekuur_cancellations (spreekuur_id, day, cancelled_by, "
                "cancelled_at) VALUES (?, ?, ?, ?)",
                (found.id, day.isoformat(), actor, stamp(now)),
            )
            await tx.execute(
                "UPDATE spreekuren SET updated_at = ? WHERE id = ?", (stamp(now), found.id)
            )
        await write_audit(
            tx,
            actor,
            "spreekuur.cancel",
            now,
            area=found.area,
            target=found.id,
            detail={"day": day.isoformat() if day else "all"},
        )
    stored = await get(db, found.id)
    assert stored is not None
    return stored


# -- what residents see -----------------------------------------------------------------------


async def occurrences(
    db: Database,
    area: str | None,
    start: date,
    end: date | None = None,
) -> list[Occurrence]:
    """Every occurrence (cancelled ones marked) from START to END of AREA (None: every area)."""
    where, params = "COALESCE(until_date, first_date) >= ?", [start.isoformat()]
    if area is not None:
        where += " AND area = ?"
        params.append(area)
    if end is not None:
        where += " AND first_date <= ?"
        params.append(end.isoformat())
    found = [o for s in await _load(db.fetchall, where, params) for o in s.occurrences(start, end)]
    return sorted(found, key=lambda o: (o.starts_at, o.area, o.place.casefold(), o.spreekuur_id))


async def upcoming(
    db: Database, area: str | None, now: datetime, weeks: int = LISTING_WEEKS
) -> list[Occurrence]:
    """What residents see: the next WEEKS weeks, soonest first, and always the next planned one."""
    horizon = now + timedelta(weeks=weeks)
    every = [o for o in await occurrences(db, area, today_in_maastricht(now)) if o.ends_at > now]
    shown = [o for o in every if o.starts_at < horizon]
    if not any(not o.cancelled for o in shown):
        later = next((o for o in every if o.starts_at >= horizon and not o.cancelled), None)
        if later is not None:
            shown.append(later)
    return shown


def format_day(day: date, lang: str, today: date | None = None) -> str:
    """'dinsdag 3 december' (with the year when not this year; 'morgen, ...' when TODAY given)."""
    locale = _LOCALES.get(lang, "nl_NL")
    same_year = today is None or day.year == today.year
    pattern = t("spreekuren.day_pattern" if same_year else "spreekuren.day_pattern_year", lang)
    text = format_date(day, pattern, locale=locale)
    near = relative_day(day, today, lang) if today else None
    return t("spreekuren.day_relative", lang, relative=near, day=text) if near else text


def format_date_short(day: date, lang: str, today: date | None = None) -> str:
    """'3 december' (with the year when not this year)."""
    same_year = today is None or day.year == today.year
    pattern = t("spreekuren.date_pattern" if same_year else "spreekuren.date_pattern_year", lang)
    return format_date(day, pattern, locale=_LOCALES.get(lang, "nl_NL"))


def format_times(times: TimeRange, lang: str) -> str:
    """'14.00–15.30 uur' / '14:00–15:30'."""
    locale = _LOCALES.get(lang, "nl_NL")
    pattern = t("spreekuren.time_pattern", lang)
    return t(
        "spreekuren.times",
        lang,
        start=format_time(times.start, pattern, locale=locale),
        end=format_time(times.end, pattern, locale=locale),
    )


def format_occurrence(occ: Occurrence, lang: str, today: date | None = None) -> str:
    """'dinsdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel (wijkagent en handhaver)'."""
    line = t(
        "spreekuren.line",
        lang,
        day=format_day(occ.day, lang, today),
        times=format_times(TimeRange(occ.starts_at.time(), occ.ends_at.time()), lang),
        place=occ.place,
    )
    if occ.note:
        line = t("spreekuren.line_note", lang, line=line, note=occ.note)
    return t("spreekuren.line_cancelled", lang, line=line) if occ.cancelled else line


def describe(
    areas: AreaDirectory, item: Spreekuur | Draft, lang: str, today: date | None = None
) -> str:
    """A spreekuur for staff: when (or the repeat rule), times, place, note, cancelled dates."""
    schedule = item.schedule
    if schedule.recurrence is None or schedule.until is None:
        when = format_day(schedule.first, lang, today)
    else:
        when = t(
            "spreekuren.series",
            lang,
            rule=schedule.recurrence.describe(lang),
            first=format_date_short(schedule.first, lang, today),
            until=format_date_short(schedule.until, lang, today),
            count=len(schedule.dates()),
        )
    text = t(
        "spreekuren.line", lang, day=when, times=format_times(item.times, lang), place=item.place
    )
    text = t("spreekuren.describe", lang, area=areas.name(item.area), text=text)
    if item.note:
        text = t("spreekuren.line_note", lang, line=text, note=item.note)
    if isinstance(item, Spreekuur):
        text = t("spreekuren.with_id", lang, id=item.id, text=text)
        if item.cancelled:
            text = t("spreekuren.line_cancelled", lang, line=text)
        days = sorted(d for d in item.cancelled_days if today is None or d >= today)
        if days and not item.cancelled:
            shown = ", ".join(format_day(d, lang) for d in days)
            text += "\n" + t("spreekuren.cancelled_days", lang, days=shown)
    return text


@dataclass(frozen=True)
class TeamContacts:
    """How to reach an area team when no spreekuur is planned."""

    gemeente: str
    politie: str


def team_contacts(kaart: Meldkaart) -> TeamContacts:
    """The gemeente (THOR) and police numbers, as verified in the meldkaart's channels."""
    return TeamContacts(_phone(kaart, "melddesk"), _phone(kaart, "politie"))


def _phone(kaart: Meldkaart, channel_id: str) -> str:
    phones = kaart.channel(channel_id).shown_contacts("phone")
    return phones[0].value if phones else ""


def render_listing(
    areas: AreaDirectory,
    area: str,
    items: Sequence[Occurrence],
    lang: str,
    now: datetime,
    contacts: TeamContacts,
    weeks: int = LISTING_WEEKS,
) -> str:
    """The resident's answer: the list, or 'none planned' with how to reach the team."""
    name = areas.name(area)
    if not items:
        return t(
            "spreekuren.none", lang, area=name, gemeente=contacts.gemeente, politie=contacts.politie
        )
    today = today_in_maastricht(now)
    lines = [t("spreekuren.heading", lang, area=name)]
    horizon = now + timedelta(weeks=weeks)
    for occ in items:
        if occ.starts_at >= horizon:
            lines.append(t("spreekuren.next_later", lang, weeks=weeks))
        lines.append("• " + format_occurrence(occ, lang, today))
    lines.append("")
    lines.append(t("spreekuren.footer", lang, gemeente=contacts.gemeente, politie=contacts.politie))
    return "\n".join(lines)


def occurrence_json(occ: Occurrence, lang: str = "nl") -> dict[str, object]:
    """One occurrence for the CLI and the HTTP API."""
    return {
        "id": occ.spreekuur_id,
        "uid": occ.uid,
        "area": occ.area,
        "date": occ.day.isoformat(),
        "start": occ.starts_at.isoformat(),
        "end": occ.ends_at.isoformat(),
        "place": occ.place,
        "note": occ.note,
        "cancelled": occ.cancelled,
        "recurring": occ.recurrence is not None,
        "text": format_occurrence(occ, lang),
    }


async def ics_feed(
    db: Database, areas: AreaDirectory, area: str | None, now: datetime, lang: str = "nl"
) -> bytes:
    """The iCalendar feed of AREA (None: every area): one event per date, stable UIDs.

    Dates are expanded rather than sent as RRULE + EXDATE, so a cancelled date is an event with
    STATUS:CANCELLED that every calendar app shows the same way.
    """
    start = today_in_maastricht(now) - timedelta(days=ICS_HISTORY_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//Meldwijzer Maastricht//spreekuren//NL")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    title = t(
        "spreekuren.ics_name",
        lang,
        area=areas.name(area) if area else t("spreekuren.all_areas", lang),
    )
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", str(TZ))
    found = await occurrences(db, area, start)
    for occ in found:
        event = Event()
        event.add("uid", occ.uid)
        event.add("dtstamp", occ.updated_at.astimezone(UTC))
        event.add("dtstart", occ.starts_at)
        event.add("dtend", occ.ends_at)
        event.add("summary", t("spreekuren.ics_summary", lang, area=areas.name(occ.area)))
        event.add("location", occ.place)
        if occ.note:
            event.add("description", occ.note)
        event.add("status", "CANCELLED" if occ.cancelled else "CONFIRMED")
        event.add("sequence", occ.sequence)
        cal.add_component(event)
    if found:  # a VTIMEZONE spanning the feed's dates only, not 1970-2038
        cal.add_missing_timezones(start, found[-1].day + timedelta(days=366))
    return cal.to_ical()
