"""Admins add and remove staff and their areas; everyone else is refused; all of it audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from areas_support import OTHER_IDS, other_areas, packaged_areas
from engines import both_engines
from spreekuren_support import ADMIN, AGENT, HANDHAVER, NOW, RESIDENT, count, publish

from bot.dutchdates import InputError
from bot.staff import Refused, StaffDirectory, audit_log, parse_areas
from bot.storage import Database

pytestmark = both_engines


@pytest.fixture
def staff(db: Database) -> StaffDirectory:
    return StaffDirectory(db, {ADMIN}, packaged_areas())


def test_the_area_ids_are_the_contract() -> None:
    assert packaged_areas().ids() == ("noord-oost", "zuid-oost", "centrum-zuid-west", "noord-west")


@pytest.mark.parametrize(
    ("text", "areas"),
    [
        ("noord-oost", ("noord-oost",)),
        ("noord-oost,zuid-oost", ("noord-oost", "zuid-oost")),
        ("Noord-West  Centrum", ("noord-west", "centrum-zuid-west")),
        ("zuid-oost zuid-oost", ("zuid-oost",)),
    ],
)
def test_parse_areas(text: str, areas: tuple[str, ...]) -> None:
    assert parse_areas(packaged_areas(), text) == areas


@pytest.mark.parametrize(
    ("text", "key"), [("", "spreekuren.err.area_missing"), ("noord", "spreekuren.err.area_unknown")]
)
def test_parse_areas_mistakes(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_areas(packaged_areas(), text)
    assert caught.value.key == key
    assert "noord-oost" in caught.value.message("nl")


async def test_admin_adds_lists_and_removes(db: Database, staff: StaffDirectory) -> None:
    member = await staff.add(ADMIN, AGENT, ["noord-oost"], NOW, name="  Wijkagent   Limmel ")
    assert (member.user_id, member.name, member.areas, member.added_by, member.added_at) == (
        AGENT,
        "Wijkagent Limmel",
        ("noord-oost",),
        ADMIN,
        NOW,
    )
    await staff.add(ADMIN, HANDHAVER, ["zuid-oost", "noord-west"], NOW)
    assert [m.user_id for m in await staff.members()] == [HANDHAVER, AGENT]
    assert await staff.areas_of(HANDHAVER) == ("zuid-oost", "noord-west")  # brochure order
    assert await staff.areas_of(ADMIN) == packaged_areas().ids()
    assert await staff.areas_of(RESIDENT) == ()
    assert await staff.remove(ADMIN, AGENT, NOW) is True
    assert await staff.member(AGENT) is None and await count(db, "staff_areas") == 2
    assert await staff.remove(ADMIN, AGENT, NOW) is False
    actions = [(e.actor, e.action, e.target, e.allowed) for e in reversed(await audit_log(db))]
    assert actions == [
        (ADMIN, "staff.add", str(AGENT), True),
        (ADMIN, "staff.add", str(HANDHAVER), True),
        (ADMIN, "staff.remove", str(AGENT), True),
    ]


async def test_adding_again_replaces_the_areas(db: Database, staff: StaffDirectory) -> None:
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW, name="Anna")
    member = await staff.add(ADMIN, AGENT, ["zuid-oost"], NOW)
    assert member.areas == ("zuid-oost",) and member.name == "Anna"
    [entry, *_] = await audit_log(db)
    assert entry.detail == {"areas": ["zuid-oost"], "before": ["noord-oost"]}


@pytest.mark.parametrize(
    ("user_id", "areas", "name", "key"),
    [
        (AGENT, ["noord"], "", "spreekuren.err.area_unknown"),
        (AGENT, [], "", "spreekuren.err.area_missing"),
        (AGENT, ["noord-oost"], "x" * 61, "spreekuren.err.name_too_long"),
        (-5, ["noord-oost"], "", "spreekuren.err.user_id"),
    ],
)
async def test_add_mistakes_store_nothing(
    db: Database, staff: StaffDirectory, user_id: int, areas: list[str], name: str, key: str
) -> None:
    with pytest.raises(InputError) as caught:
        await staff.add(ADMIN, user_id, areas, NOW, name=name)
    assert caught.value.key == key
    assert await count(db, "staff") == 0 and await count(db, "audit_log") == 0


async def test_non_admins_are_refused(db: Database, staff: StaffDirectory) -> None:
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW)
    for actor in (AGENT, RESIDENT):
        with pytest.raises(Refused) as caught:
            await staff.add(actor, actor, ["zuid-oost"], NOW)
        assert caught.value.key == "spreekuren.err.not_admin"
        with pytest.raises(Refused):
            await staff.remove(actor, AGENT, NOW)
    assert await staff.areas_of(AGENT) == ("noord-oost",)
    assert await staff.areas_of(RESIDENT) == ()
    refused = [
        (e.actor, e.attempts, e.detail["actions"])
        for e in reversed(await audit_log(db))
        if not e.allowed
    ]
    # staff are named in the log; a resident (not staff) is logged without an id; one line a
    # minute each, counting the attempts
    tally = {"staff.add": 1, "staff.remove": 1}
    assert refused == [(AGENT, 2, tally), (None, 2, tally)]


async def test_a_flood_of_refused_attempts_adds_a_line_a_minute(
    db: Database, staff: StaffDirectory
) -> None:
    """Before, every refused attempt was a row of its own: a flood could fill the disk."""
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW)
    for minute in range(3):
        for second in range(0, 60, 2):  # 30 a minute each, from staff and from residents
            now = NOW.replace(second=0) + timedelta(minutes=minute, seconds=second)
            await staff.refuse(AGENT, "spreekuur.create", now, "zuid-oost")
            await staff.refuse(AGENT, "staff.add", now)
            await staff.refuse(RESIDENT + second, "spreekuur.create", now)  # many residents
    refused = [e for e in reversed(await audit_log(db)) if not e.allowed]
    assert [(e.actor, e.attempts) for e in refused] == [(AGENT, 60), (None, 30)] * 3
    assert [e.at.minute - NOW.minute for e in refused] == [0, 0, 1, 1, 2, 2]
    first = refused[0]
    assert (first.action, first.area) == ("spreekuur.create", "zuid-oost")  # the first attempt
    assert first.detail == {
        "attempts": 60,
        "actions": {"spreekuur.create": 30, "staff.add": 30},
        "areas": {"zuid-oost": 30},
    }
    assert all(str(RESIDENT) not in str(e) for e in refused)  # no resident's id, even counted


async def test_the_directory_uses_the_area_list_it_is_given(db: Database) -> None:
    """Another area list than the packaged one: no module-level list is reached instead."""
    staff = StaffDirectory(db, {ADMIN}, other_areas())
    assert await staff.areas_of(ADMIN) == OTHER_IDS
    member = await staff.add(ADMIN, HANDHAVER, ["zuid-oost", "noord-west"], NOW)
    assert member.areas == ("noord-west", "zuid-oost")  # in the given list's order
    await staff.refuse(HANDHAVER, "spreekuur.create", NOW, "zuid-oost")
    await staff.refuse(HANDHAVER, "spreekuur.create", NOW, "noord-oost")  # not in this list
    [refused] = [e for e in await audit_log(db) if not e.allowed]
    assert refused.detail["areas"] == {"zuid-oost": 1}
    with pytest.raises(InputError) as caught:
        await staff.add(ADMIN, AGENT, ["noord-oost"], NOW)  # not in this list
    assert caught.value.message("nl") == (
        "Het gebied 'noord-oost' ken ik niet. Kies uit: noord-west, zuid-oost."
    )
    assert parse_areas(staff.areas, "westkant, Zuid-Oost") == ("noord-west", "zuid-oost")


async def test_removed_staff_lose_their_rights_and_their_spreekuren_stay(
    db: Database, staff: StaffDirectory
) -> None:
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW)
    await publish(db, staff)
    await staff.remove(ADMIN, AGENT, NOW)
    with pytest.raises(Refused):
        await publish(db, staff, "noord-oost 4-12-2026 14:00-15:30 Limmel")
    assert await count(db, "spreekuren") == 1
