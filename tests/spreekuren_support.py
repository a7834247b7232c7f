"""Shared set-up for the spreekuren and staff tests (no tests here): clock, people, lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from areas_support import packaged_areas

from bot import spreekuren
from bot.spreekuren import Spreekuur
from bot.staff import StaffDirectory
from bot.storage import Database

TZ = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)  # Friday 20 November 2026, 10:00 in Maastricht
TODAY = NOW.date()
ADMIN = 777
AGENT = 55  # staff for noord-oost
HANDHAVER = 56  # staff for zuid-oost and noord-west
RESIDENT = 4242
WEEKLY = "noord-oost elke woensdag t/m 30-12-2026 10:00-11:00 Wijkhuis"
LINE = "noord-oost 3-12-2026 14:00-15:30 Buurtcentrum Limmel | wijkagent en handhaver"


async def with_staff(db: Database) -> StaffDirectory:
    """The directory with one admin and two staff members."""
    staff = StaffDirectory(db, {ADMIN}, packaged_areas())
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW, name="Wijkagent Noord-Oost")
    await staff.add(ADMIN, HANDHAVER, ["zuid-oost", "noord-west"], NOW, name="Handhaver")
    return staff


async def publish(
    db: Database, staff: StaffDirectory, line: str = LINE, actor: int = AGENT, now: datetime = NOW
) -> Spreekuur:
    """Publish LINE as ACTOR."""
    draft = spreekuren.parse_line(staff.areas, line, spreekuren.today_in_maastricht(now))
    return await spreekuren.publish(db, staff, actor, draft, now)


async def count(db: Database, table: str) -> int:
    """The number of rows in TABLE."""
    row = await db.fetchone(f"SELECT count(*) FROM {table}")
    return int(row[0]) if row else 0
