"""Spreekuren without Telegram: the one-line form, publishing, repeats, cancel, edit, overlap,
every refused input (nothing stored), the residents' listing and the iCalendar feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from areas_support import other_areas, packaged_areas
from engines import both_engines
from icalendar import Calendar
from packaged import packaged_router
from spreekuren_support import (
    ADMIN,
    AGENT,
    HANDHAVER,
    LINE,
    NOW,
    RESIDENT,
    TODAY,
    TZ,
    WEEKLY,
    count,
    publish,
    with_staff,
)

from bot import spreekuren
from bot.dutchdates import InputError, Recurrence
from bot.spreekuren import SpreekuurError, TeamContacts
from bot.staff import Refused, StaffDirectory, audit_log
from bot.storage import Database

pytestmark = both_engines

CONTACTS = TeamContacts("14 043", "0900-8844")
AREAS = packaged_areas()


@pytest.fixture
async def staff(db: Database) -> StaffDirectory:
    return await with_staff(db)


# -- the one-line form ------------------------------------------------------------------------


def test_the_one_line_contract() -> None:
    draft = spreekuren.parse_line(AREAS, LINE, TODAY)
    assert draft.area == "noord-oost"
    assert draft.schedule.first == date(2026, 12, 3) and draft.schedule.recurrence is None
    assert (draft.times.start, draft.times.end) == (time(14), time(15, 30))
    assert draft.place == "Buurtcentrum Limmel" and draft.note == "wijkagent en handhaver"


@pytest.mark.parametrize(
    ("line", "first", "place", "note"),
    [
        ("zuid-oost di 1 dec 9.30–11.00 Wijkhuis Heer", date(2026, 12, 1), "Wijkhuis Heer", ""),
        (
            "noord-west morgen 14u-15u30 Malberg, De Kring|koffie",
            date(2026, 11, 21),
            "Malberg, De Kring",
            "koffie",
        ),
        ("Centrum 2026-12-03 14:00-15:00   Stadhuis  |  ", date(2026, 12, 3), "Stadhuis", ""),
        ("NOORD-OOST 3 december 14.00-15.30 uur Limmel", date(2026, 12, 3), "Limmel", ""),
    ],
)
def test_one_line_variants(line: str, first: date, place: str, note: str) -> None:
    draft = spreekuren.parse_line(AREAS, line, TODAY)
    assert (draft.schedule.first, draft.place, draft.note) == (first, place, note)


def test_one_line_with_a_repeat() -> None:
    draft = spreekuren.parse_line(
        AREAS,
        "noord-oost elke eerste dinsdag van de maand t/m 30-6-2027 14:00-15:30 Limmel | wijkagent",
        TODAY,
    )
    assert draft.schedule.recurrence == Recurrence(1, 1)
    assert draft.schedule.until == date(2027, 6, 30) and len(draft.schedule.dates()) == 7


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("", "spreekuren.err.line_usage"),
        ("zuid 3-12-2026 14:00-15:30 Limmel", "spreekuren.err.area_unknown"),
        ("noord-oost 3-12-2026 Limmel", "spreekuren.err.time_missing"),
        ("noord-oost 14:00-15:30 Limmel", "spreekuren.err.date_missing"),
        ("noord-oost 3-12-2026 14:00-15:30", "spreekuren.err.place_missing"),
        ("noord-oost 3-12-2026 14:00-15:30 | alleen een notitie", "spreekuren.err.place_missing"),
        ("noord-oost 3-12-2026 15:30-14:00 Limmel", "spreekuren.err.end_before_start"),
        ("noord-oost 31-11-2026 14:00-15:30 Limmel", "spreekuren.err.date_invalid"),
        ("noord-oost elke woensdag 14:00-15:30 Limmel", "spreekuren.err.repeat_needs_end"),
        ("noord-oost 3-12-2026 14:00-15:30 " + "L" * 81, "spreekuren.err.place_too_long"),
        ("noord-oost 3-12-2026 14:00-15:30 Limmel | " + "n" * 201, "spreekuren.err.note_too_long"),
    ],
)
def test_one_line_mistakes(line: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        spreekuren.parse_line(AREAS, line, TODAY)
    assert caught.value.key == key
    assert caught.value.message("nl") and caught.value.message("en")


def test_markup_and_control_characters_are_plain_text() -> None:
    draft = spreekuren.parse_line(
        AREAS,
        "noord-oost 3-12-2026 14:00-15:30 <b>Limmel</b> *vet* | [klik](http://x)\x00\nhoi",
        TODAY,
    )
    assert draft.place == "<b>Limmel</b> *vet*"
    assert draft.note == "[klik](http://x) hoi"


# -- publishing -------------------------------------------------------------------------------


async def test_publish_stores_lists_and_audits(db: Database, staff: StaffDirectory) -> None:
    stored = await publish(db, staff)
    assert stored.id > 0 and stored.created_by == AGENT and not stored.recurring
    [occ] = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert occ.starts_at == datetime(2026, 12, 3, 14, 0, tzinfo=TZ)
    assert spreekuren.format_occurrence(occ, "nl") == (
        "donderdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel (wijkagent en handhaver)"
    )
    assert spreekuren.format_occurrence(occ, "en") == (
        "Thursday 3 December, 14:00–15:30, Buurtcentrum Limmel (wijkagent en handhaver)"
    )
    [entry, *_] = await audit_log(db)
    assert (entry.actor, entry.action, entry.allowed, entry.area, entry.target) == (
        AGENT,
        "spreekuur.create",
        True,
        "noord-oost",
        str(stored.id),
    )
    assert entry.at == NOW and entry.detail["place"] == "Buurtcentrum Limmel"


def test_the_format_of_the_issue() -> None:
    occ = spreekuren.Occurrence(
        1,
        "noord-oost",
        date(2024, 12, 3),
        datetime(2024, 12, 3, 14, tzinfo=TZ),
        datetime(2024, 12, 3, 15, 30, tzinfo=TZ),
        "Buurtcentrum Limmel",
        "",
        False,
        None,
        0,
        NOW,
    )
    assert spreekuren.format_occurrence(occ, "nl", date(2024, 11, 1)) == (
        "dinsdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel"
    )
    assert spreekuren.format_occurrence(occ, "nl", date(2024, 12, 2)) == (
        "morgen, dinsdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel"
    )
    assert spreekuren.format_occurrence(occ, "en", date(2023, 12, 2)) == (
        "Tuesday 3 December 2024, 14:00–15:30, Buurtcentrum Limmel"
    )


async def test_an_admin_publishes_for_every_area(db: Database, staff: StaffDirectory) -> None:
    for area in ("noord-oost", "zuid-oost", "centrum-zuid-west", "noord-west"):
        await publish(db, staff, f"{area} 3-12-2026 14:00-15:30 Wijkhuis", actor=ADMIN)
    assert await count(db, "spreekuren") == 4


async def test_residents_are_refused_and_nothing_changes(
    db: Database, staff: StaffDirectory
) -> None:
    with pytest.raises(Refused) as caught:
        await publish(db, staff, actor=RESIDENT)
    assert caught.value.key == "spreekuren.err.not_staff"
    assert await count(db, "spreekuren") == 0
    [entry, *_] = await audit_log(db)
    assert (entry.action, entry.allowed, entry.actor) == ("spreekuur.create", False, None)
    rows = await db.fetchall("SELECT * FROM audit_log")
    assert all(RESIDENT not in tuple(row) for row in rows)  # a resident's id is never kept


async def test_staff_outside_their_area_are_refused(db: Database, staff: StaffDirectory) -> None:
    with pytest.raises(Refused) as caught:
        await publish(db, staff, LINE, actor=HANDHAVER)
    assert caught.value.key == "spreekuren.err.not_your_area"
    assert "noord-oost" in caught.value.message("nl")
    assert await count(db, "spreekuren") == 0
    [entry, *_] = await audit_log(db)
    assert (entry.actor, entry.action, entry.allowed, entry.area) == (
        HANDHAVER,
        "spreekuur.create",
        False,
        "noord-oost",
    )


@pytest.mark.parametrize(
    ("line", "now", "key"),
    [
        (
            "noord-oost 3-12-2026 14:00-15:30 Limmel",
            NOW.replace(month=12, day=4),
            "spreekuren.err.past",
        ),
        ("noord-oost vandaag 9:00-10:00 Limmel", NOW, "spreekuren.err.past"),
        ("noord-oost vandaag 10:00-11:00 Limmel", NOW, "spreekuren.err.past"),
    ],
)
async def test_the_past_is_refused(
    db: Database, staff: StaffDirectory, line: str, now: datetime, key: str
) -> None:
    with pytest.raises(SpreekuurError) as caught:
        await publish(db, staff, line, now=now)
    assert caught.value.key == key
    assert await count(db, "spreekuren") == 0


async def test_later_today_is_fine(db: Database, staff: StaffDirectory) -> None:
    stored = await publish(db, staff, "noord-oost vandaag 10:01-11:00 Limmel")
    assert stored.schedule.first == TODAY


async def test_a_series_starts_at_its_first_date_to_come(
    db: Database, staff: StaffDirectory
) -> None:
    friday_noon = NOW.replace(hour=12)
    stored = await publish(
        db, staff, "noord-oost elke vrijdag t/m 11-12-2026 11:00-12:00 Limmel", now=friday_noon
    )
    assert stored.schedule.first == date(2026, 11, 27)  # today's 11:00 has passed
    assert stored.schedule.dates() == [date(2026, 11, 27), date(2026, 12, 4), date(2026, 12, 11)]


# -- overlap ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "noord-oost 3-12-2026 15:00-16:00 buurtcentrum  LIMMEL",
        "noord-oost 3-12-2026 13:00-14:01 Buurtcentrum Limmel",
        "noord-oost 3-12-2026 14:30-15:00 Buurtcentrum Limmel",
        "noord-oost elke donderdag t/m 31-12-2026 14:00-15:00 Buurtcentrum Limmel",
    ],
)
async def test_overlap_at_the_same_place_is_refused(
    db: Database, staff: StaffDirectory, line: str
) -> None:
    first = await publish(db, staff)
    with pytest.raises(SpreekuurError) as caught:
        await publish(db, staff, line)
    assert caught.value.key == "spreekuren.err.overlap" and caught.value.values["id"] == first.id
    assert f"#{first.id}" in caught.value.message("nl")
    assert await count(db, "spreekuren") == 1


@pytest.mark.parametrize(
    "line",
    [
        "noord-oost 3-12-2026 15:30-16:00 Buurtcentrum Limmel",  # right after
        "noord-oost 3-12-2026 14:00-15:30 Wijkcentrum Wittevrouwenveld",  # elsewhere
        "zuid-oost 3-12-2026 14:00-15:30 Buurtcentrum Limmel",  # another area's team
        "noord-oost 4-12-2026 14:00-15:30 Buurtcentrum Limmel",  # another day
    ],
)
async def test_no_overlap(db: Database, staff: StaffDirectory, line: str) -> None:
    await publish(db, staff)
    await publish(db, staff, line, actor=ADMIN)
    assert await count(db, "spreekuren") == 2


async def test_a_cancelled_date_frees_the_slot(db: Database, staff: StaffDirectory) -> None:
    series = await publish(db, staff, "noord-oost elke donderdag t/m 10-12-2026 14:00-15:00 Limmel")
    with pytest.raises(SpreekuurError):
        await publish(db, staff, "noord-oost 3-12-2026 14:00-15:00 Limmel")
    await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 3), NOW)
    await publish(db, staff, "noord-oost 3-12-2026 14:00-15:00 Limmel")


# -- repeats, cancel, edit --------------------------------------------------------------------


async def test_a_weekly_series_in_the_listing(db: Database, staff: StaffDirectory) -> None:
    await publish(db, staff, "noord-oost elke woensdag t/m 30-6-2027 10:00-11:00 Wijkcentrum")
    items = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert [o.day for o in items] == [date(2026, 11, 25) + timedelta(weeks=n) for n in range(8)]
    assert all(o.recurrence == Recurrence(2) for o in items)
    assert len(await spreekuren.upcoming(db, "noord-oost", NOW, weeks=2)) == 2


async def test_summer_time_does_not_move_a_series(db: Database, staff: StaffDirectory) -> None:
    now = datetime(2027, 3, 1, 9, tzinfo=TZ)
    await publish(db, staff, "noord-oost elke woensdag t/m 7-4-2027 14:00-15:00 Limmel", now=now)
    items = await spreekuren.upcoming(db, "noord-oost", now)
    assert {o.starts_at.hour for o in items} == {14}
    assert {o.starts_at.utcoffset() for o in items} == {timedelta(hours=1), timedelta(hours=2)}


async def test_cancel_one_date_keeps_the_series(db: Database, staff: StaffDirectory) -> None:
    series = await publish(db, staff, WEEKLY)
    after = await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 2), NOW)
    assert after.cancelled_days == {date(2026, 12, 2)} and not after.cancelled
    assert after.schedule == series.schedule
    items = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert [(o.day, o.cancelled) for o in items][:3] == [
        (date(2026, 11, 25), False),
        (date(2026, 12, 2), True),
        (date(2026, 12, 9), False),
    ]
    line = spreekuren.format_occurrence(items[1], "nl")
    assert line.startswith("GEANNULEERD: woensdag 2 december")
    assert spreekuren.format_occurrence(items[1], "en").startswith("CANCELLED: ")
    [entry, *_] = await audit_log(db)
    assert (entry.action, entry.detail) == ("spreekuur.cancel", {"day": "2026-12-02"})


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2026, 12, 3), "spreekuren.err.not_a_date"),  # a Thursday
        (date(2026, 12, 2), "spreekuren.err.already_cancelled"),
    ],
)
async def test_cancel_mistakes(db: Database, staff: StaffDirectory, day: date, key: str) -> None:
    series = await publish(db, staff, WEEKLY)
    await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 2), NOW)
    with pytest.raises(SpreekuurError) as caught:
        await spreekuren.cancel(db, staff, AGENT, series.id, day, NOW)
    assert caught.value.key == key


async def test_cancel_refusals_and_the_past(db: Database, staff: StaffDirectory) -> None:
    one = await publish(db, staff)
    with pytest.raises(Refused):
        await spreekuren.cancel(db, staff, HANDHAVER, one.id, None, NOW)
    with pytest.raises(Refused):
        await spreekuren.cancel(db, staff, RESIDENT, one.id, None, NOW)
    with pytest.raises(SpreekuurError) as caught:
        await spreekuren.cancel(db, staff, AGENT, 999, None, NOW)
    assert caught.value.key == "spreekuren.err.not_found"
    during = datetime(2026, 12, 3, 14, 30, tzinfo=TZ)
    with pytest.raises(SpreekuurError) as caught:
        await spreekuren.cancel(db, staff, AGENT, one.id, date(2026, 12, 3), during)
    assert caught.value.key == "spreekuren.err.cancel_past"
    assert not (await spreekuren.get(db, one.id)).cancelled  # type: ignore[union-attr]


async def test_cancel_a_whole_spreekuur(db: Database, staff: StaffDirectory) -> None:
    one = await publish(db, staff)
    after = await spreekuren.cancel(db, staff, AGENT, one.id, None, NOW)
    assert after.cancelled
    [occ] = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert occ.cancelled
    with pytest.raises(SpreekuurError) as caught:
        await spreekuren.cancel(db, staff, AGENT, one.id, None, NOW)
    assert caught.value.key == "spreekuren.err.is_cancelled"
    with pytest.raises(SpreekuurError):
        await spreekuren.edit(db, staff, AGENT, one.id, "plek", "Elders", NOW)
    await publish(db, staff)  # the slot is free again


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("tijd", "15:00-16:30", lambda s: (s.times.start, s.times.end) == (time(15), time(16, 30))),
        ("plek", "Wijkhuis Limmel", lambda s: s.place == "Wijkhuis Limmel"),
        ("notitie", "alleen de wijkagent", lambda s: s.note == "alleen de wijkagent"),
        ("notitie", "-", lambda s: s.note == ""),
        ("datum", "di 8 dec", lambda s: s.schedule.first == date(2026, 12, 8)),
        (
            "wanneer",
            "elke donderdag t/m 31-12-2026",
            lambda s: s.schedule.recurrence == Recurrence(3) and len(s.schedule.dates()) == 6,
        ),
        ("place", "English works too", lambda s: s.place == "English works too"),
    ],
)
async def test_edit(db: Database, staff: StaffDirectory, field: str, value: str, check) -> None:
    one = await publish(db, staff)
    after = await spreekuren.edit(db, staff, AGENT, one.id, field, value, NOW)
    assert check(after) and after.revision == one.revision + 1 and after.id == one.id
    [entry, *_] = await audit_log(db)
    assert entry.action == "spreekuur.edit" and entry.target == str(one.id) and entry.detail


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("kleur", "blauw", "spreekuren.err.field_unknown"),
        ("tijd", "16:00-15:00", "spreekuren.err.end_before_start"),
        ("datum", "1-11-2026", "spreekuren.err.past"),
        ("plek", "", "spreekuren.err.place_missing"),
        ("plek", "x" * 81, "spreekuren.err.place_too_long"),
        ("tijd", "15:00-16:00", "spreekuren.err.overlap"),
    ],
)
async def test_edit_mistakes_change_nothing(
    db: Database, staff: StaffDirectory, field: str, value: str, key: str
) -> None:
    one = await publish(db, staff)
    await publish(db, staff, "noord-oost 3-12-2026 15:30-17:00 Buurtcentrum Limmel")
    with pytest.raises(InputError) as caught:
        await spreekuren.edit(db, staff, AGENT, one.id, field, value, NOW)
    assert caught.value.key == key
    assert await spreekuren.get(db, one.id) == one


async def test_edit_outside_the_area_is_refused(db: Database, staff: StaffDirectory) -> None:
    one = await publish(db, staff)
    with pytest.raises(Refused):
        await spreekuren.edit(db, staff, HANDHAVER, one.id, "plek", "Elders", NOW)
    assert await spreekuren.get(db, one.id) == one


# -- the residents' listing -------------------------------------------------------------------


async def test_the_listing_window(db: Database, staff: StaffDirectory) -> None:
    await publish(db, staff, "noord-oost 1-3-2027 14:00-15:00 Later")  # beyond eight weeks
    [only] = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert only.day == date(2027, 3, 1)  # always at least the next one
    text = spreekuren.render_listing(AREAS, "noord-oost", [only], "nl", NOW, CONTACTS)
    assert "De komende 8 weken staat er niets gepland" in text and "1 maart 2027" in text
    await publish(db, staff, "noord-oost 3-12-2026 14:00-15:00 Sooner")
    assert [o.place for o in await spreekuren.upcoming(db, "noord-oost", NOW)] == ["Sooner"]


async def test_the_next_one_also_when_the_window_holds_only_cancelled(
    db: Database, staff: StaffDirectory
) -> None:
    one = await publish(db, staff)
    await publish(db, staff, "noord-oost 1-3-2027 14:00-15:00 Later")
    await spreekuren.cancel(db, staff, AGENT, one.id, None, NOW)
    items = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert [(o.place, o.cancelled) for o in items] == [
        ("Buurtcentrum Limmel", True),
        ("Later", False),
    ]


async def test_running_spreekuren_show_and_ended_ones_do_not(
    db: Database, staff: StaffDirectory
) -> None:
    await publish(db, staff)
    during = datetime(2026, 12, 3, 15, 0, tzinfo=TZ)
    assert len(await spreekuren.upcoming(db, "noord-oost", during)) == 1
    after = datetime(2026, 12, 3, 15, 30, tzinfo=TZ)
    assert await spreekuren.upcoming(db, "noord-oost", after) == []


async def test_soonest_first_over_areas_and_places(db: Database, staff: StaffDirectory) -> None:
    await publish(db, staff, "noord-oost 4-12-2026 09:00-10:00 B", actor=ADMIN)
    await publish(db, staff, "zuid-oost 3-12-2026 16:00-17:00 C", actor=ADMIN)
    await publish(db, staff, "noord-oost 3-12-2026 10:00-11:00 A", actor=ADMIN)
    assert [o.place for o in await spreekuren.upcoming(db, None, NOW)] == ["A", "C", "B"]
    assert [o.place for o in await spreekuren.upcoming(db, "noord-oost", NOW)] == ["A", "B"]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_none_planned_gives_the_way_to_the_team(db: Database, lang: str) -> None:
    items = await spreekuren.upcoming(db, "zuid-oost", NOW)
    text = spreekuren.render_listing(AREAS, "zuid-oost", items, lang, NOW, CONTACTS)
    assert items == [] and "Zuid-Oost" in text and "14 043" in text and "0900-8844" in text


async def test_the_listing_text(db: Database, staff: StaffDirectory) -> None:
    await publish(db, staff)
    items = await spreekuren.upcoming(db, "noord-oost", NOW)
    text = spreekuren.render_listing(AREAS, "noord-oost", items, "nl", NOW, CONTACTS)
    assert text.splitlines()[:2] == [
        "Spreekuren van THOR en politie in Noord-Oost:",
        "• donderdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel (wijkagent en handhaver)",
    ]
    assert "14 043" in text


def test_team_contacts_come_from_the_meldkaart() -> None:

    contacts = spreekuren.team_contacts(packaged_router().meldkaart)
    assert contacts == TeamContacts("14 043", "0900-8844")


async def test_occurrence_json(db: Database, staff: StaffDirectory) -> None:
    stored = await publish(db, staff)
    [occ] = await spreekuren.upcoming(db, "noord-oost", NOW)
    assert spreekuren.occurrence_json(occ) == {
        "id": stored.id,
        "uid": f"spreekuur-{stored.id}-20261203@meldwijzer-maastricht",
        "area": "noord-oost",
        "date": "2026-12-03",
        "start": "2026-12-03T14:00:00+01:00",
        "end": "2026-12-03T15:30:00+01:00",
        "place": "Buurtcentrum Limmel",
        "note": "wijkagent en handhaver",
        "cancelled": False,
        "recurring": False,
        "text": "donderdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel "
        "(wijkagent en handhaver)",
    }


async def test_staff_overview(db: Database, staff: StaffDirectory) -> None:
    one = await publish(db, staff)
    series = await publish(db, staff, WEEKLY)
    await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 2), NOW)
    await publish(db, staff, "zuid-oost 3-12-2026 14:00-15:30 Heer", actor=HANDHAVER)
    mine = await spreekuren.current(db, NOW, ["noord-oost"])
    assert [s.id for s in mine] == [series.id, one.id]
    text = spreekuren.describe(AREAS, mine[0], "nl", TODAY)
    assert text.startswith(f"#{series.id} Noord-Oost: elke woensdag, 25 november t/m 30 december")
    assert "geannuleerd op: woensdag 2 december" in text


# -- iCalendar --------------------------------------------------------------------------------


def events(feed: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(feed).walk("VEVENT")}


async def test_ics_feed_parses_back(db: Database, staff: StaffDirectory) -> None:
    one = await publish(db, staff, LINE.replace("Limmel", "<b>Limmel</b>"))
    series = await publish(db, staff, WEEKLY)
    await spreekuren.cancel(db, staff, AGENT, series.id, date(2026, 12, 2), NOW)
    await publish(db, staff, "zuid-oost 3-12-2026 14:00-15:30 Elders", actor=HANDHAVER)
    feed = await spreekuren.ics_feed(db, AREAS, "noord-oost", NOW)
    calendar = Calendar.from_ical(feed)
    assert str(calendar["X-WR-CALNAME"]) == "Spreekuren THOR en politie: Noord-Oost"
    found = events(feed)
    assert len(found) == 1 + 6
    single = found[f"spreekuur-{one.id}-20261203@meldwijzer-maastricht"]
    assert single["DTSTART"].dt == datetime(2026, 12, 3, 14, tzinfo=TZ)  # type: ignore[index]
    assert single["DTSTART"].params["TZID"] == "Europe/Amsterdam"  # type: ignore[index]
    assert str(single["LOCATION"]) == "Buurtcentrum <b>Limmel</b>"  # type: ignore[index]
    assert str(single["DESCRIPTION"]) == "wijkagent en handhaver"  # type: ignore[index]
    cancelled = found[f"spreekuur-{series.id}-20261202@meldwijzer-maastricht"]
    assert str(cancelled["STATUS"]) == "CANCELLED"  # type: ignore[index]
    statuses = [str(e["STATUS"]) for e in found.values()]  # type: ignore[index]
    assert statuses.count("CONFIRMED") == 6
    assert calendar.walk("VTIMEZONE")


async def test_ics_uids_are_stable_and_edits_raise_the_sequence(
    db: Database, staff: StaffDirectory
) -> None:
    one = await publish(db, staff)
    before = events(await spreekuren.ics_feed(db, AREAS, "noord-oost", NOW))
    assert before == events(
        await spreekuren.ics_feed(db, AREAS, "noord-oost", NOW + timedelta(hours=1))
    )
    await spreekuren.edit(db, staff, AGENT, one.id, "tijd", "14:30-16:00", NOW)
    after = events(await spreekuren.ics_feed(db, AREAS, "noord-oost", NOW))
    assert set(after) == set(before)
    [event] = after.values()
    assert int(event["SEQUENCE"]) == 1  # type: ignore[index]
    assert event["DTSTART"].dt == datetime(2026, 12, 3, 14, 30, tzinfo=TZ)  # type: ignore[index]


async def test_ics_of_every_area_and_of_none(db: Database, staff: StaffDirectory) -> None:
    assert events(await spreekuren.ics_feed(db, AREAS, "noord-oost", NOW)) == {}
    await publish(db, staff)
    await publish(db, staff, "zuid-oost 3-12-2026 14:00-15:30 Elders", actor=HANDHAVER)
    assert len(events(await spreekuren.ics_feed(db, AREAS, None, NOW, "en"))) == 2


async def test_editing_a_running_series_keeps_its_past(db: Database, staff: StaffDirectory) -> None:
    series = await publish(db, staff, WEEKLY)
    later = datetime(2026, 12, 10, 9, tzinfo=TZ)
    after = await spreekuren.edit(db, staff, AGENT, series.id, "plek", "Wijkhuis Noord", later)
    assert after.schedule == series.schedule and after.place == "Wijkhuis Noord"
    moved = await spreekuren.edit(
        db, staff, AGENT, series.id, "wanneer", "elke donderdag t/m 31-12-2026", later
    )
    assert moved.schedule.first == date(2026, 12, 10)


# -- the area list ----------------------------------------------------------------------------


async def test_the_area_list_is_the_one_given(db: Database) -> None:
    """Another area list than the packaged one: reading, checking, naming, listing and the feed
    all use it; no module-level list is reached instead."""
    other = other_areas()
    with pytest.raises(InputError) as caught:
        spreekuren.parse_line(other, LINE, TODAY)  # noord-oost is not in this list
    assert caught.value.message("nl") == (
        "Het gebied 'noord-oost' ken ik niet. Kies uit: noord-west, zuid-oost."
    )
    draft = spreekuren.parse_line(other, LINE.replace("noord-oost", "Westkant"), TODAY)
    assert draft.area == "noord-west"  # by this list's own alias
    with pytest.raises(SpreekuurError) as refused:
        spreekuren.validate(other, replace(draft, area="noord-oost"), NOW)
    assert refused.value.key == "spreekuren.err.area_unknown"
    stored = await spreekuren.publish(db, StaffDirectory(db, {ADMIN}, other), ADMIN, draft, NOW)
    assert spreekuren.describe(other, stored, "nl", TODAY).startswith(f"#{stored.id} Maas-West: ")
    items = await spreekuren.upcoming(db, "noord-west", NOW)
    listing = spreekuren.render_listing(other, "noord-west", items, "nl", NOW, CONTACTS)
    assert listing.startswith("Spreekuren van THOR en politie in Maas-West:")
    calendar = Calendar.from_ical(await spreekuren.ics_feed(db, other, "noord-west", NOW))
    assert str(calendar["X-WR-CALNAME"]) == "Spreekuren THOR en politie: Maas-West"
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Spreekuur THOR en politie Maas-West"
