"""Who may publish spreekuren: admins (from MELDWIJZER_ADMINS) and staff with their areas.

Admins add and remove staff and may act for every area; staff act only for their own areas;
everyone else is refused. Every change and every refused attempt goes to the audit log (who,
what, when), a change in the same transaction as the change itself. A refused attempt by
someone who is not staff is logged without their id: that person may be a resident, and a
resident's id is never kept. Refused attempts are counted, not listed: one line per person (all
non-staff share one) and minute, with the number of attempts per action, so a flood of them
adds at most a line a minute and cannot fill the disk.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.areas import AreaDirectory
from bot.dutchdates import InputError
from bot.storage import Database, Row, Transaction

MAX_NAME = 60


class Refused(InputError):
    """The person may not do this; nothing changed, the attempt is in the audit log."""


@dataclass(frozen=True)
class StaffMember:
    """A staff member and the areas they publish for."""

    user_id: int
    name: str
    areas: tuple[str, ...]
    added_by: int
    added_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: a change, or the refused attempts of one person in a minute."""

    id: int
    at: datetime  # of the change; of the first refused attempt in the minute
    actor: int | None  # None: refused someone who is not staff (their id is not kept)
    action: str  # of the change; of the first refused attempt
    allowed: bool
    area: str | None
    target: str | None
    detail: dict[str, object]  # for refusals: {"attempts": n, "actions": {action: n}, ...}

    @property
    def attempts(self) -> int:
        """How many attempts the line stands for: 1 for a change."""
        found = self.detail.get("attempts", 1) if not self.allowed else 1
        return found if isinstance(found, int) else 1


def stamp(now: datetime) -> str:
    """NOW as stored: UTC, ISO 8601, to the second."""
    if now.tzinfo is None:
        raise ValueError("an aware datetime is needed (naive times are ambiguous)")
    return now.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_area(areas: AreaDirectory, text: str) -> str:
    """An area id of AREAS from its id, name or alias ('noord-oost', 'Noord-Oost', 'Centrum')."""
    if not text.strip():
        raise InputError("spreekuren.err.area_missing", areas=", ".join(areas.ids()))
    found = areas.find_area(text)
    if found is None:
        raise InputError(
            "spreekuren.err.area_unknown", area=text.strip(), areas=", ".join(areas.ids())
        )
    return found


def parse_areas(areas: AreaDirectory, text: str) -> tuple[str, ...]:
    """Area ids of AREAS from 'noord-oost,zuid-oost' or 'noord-oost zuid-oost'; unknown ones
    refused."""
    found: list[str] = []
    for part in text.replace(",", " ").split():
        area = parse_area(areas, part)
        if area not in found:
            found.append(area)
    if not found:
        raise InputError("spreekuren.err.area_missing", areas=", ".join(areas.ids()))
    return tuple(found)


async def write_audit(
    tx: Transaction,
    actor: int | None,
    action: str,
    now: datetime,
    *,
    allowed: bool = True,
    area: str | None = None,
    target: object = None,
    detail: dict[str, object] | None = None,
) -> None:
    """One audit line, written in TX, the caller's transaction."""
    await tx.execute(
        "INSERT INTO audit_log (at, actor, action, allowed, area, target, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            stamp(now),
            actor,
            action,
            int(allowed),
            area,
            None if target is None else str(target),
            json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        ),
    )


async def write_refusal(
    tx: Transaction,
    actor: int | None,
    action: str,
    now: datetime,
    area: str | None,
    known: Collection[str],
) -> None:
    """Count one refused attempt in ACTOR's line of this minute (a new line when there is none);
    only an area of KNOWN is counted by name."""
    counted = area if area in known else None
    start = now.astimezone(UTC).replace(second=0, microsecond=0)
    row = await tx.fetchone(
        "SELECT id, detail FROM audit_log WHERE allowed = 0 AND at >= ? AND at < ? "
        "AND COALESCE(actor, 0) = ? ORDER BY id LIMIT 1",  # actor NULL: someone not staff
        (stamp(start), stamp(start + timedelta(minutes=1)), actor or 0),
    )
    if row is None:
        detail = _refusal_tally({"attempts": 0}, action, counted)
        await write_audit(tx, actor, action, now, allowed=False, area=area, detail=detail)
        return
    detail = _refusal_tally(json.loads(row["detail"] or "{}"), action, counted)
    await tx.execute(
        "UPDATE audit_log SET detail = ? WHERE id = ?",
        (json.dumps(detail, ensure_ascii=False, sort_keys=True), row["id"]),
    )


def _refusal_tally(detail: dict[str, object], action: str, area: str | None) -> dict[str, object]:
    """DETAIL with one more attempt at ACTION (and AREA, one of the known ones or None); bounded:
    actions come from the code, areas from the area list."""
    attempts = detail.get("attempts", 1)  # a line from before the counting stood for one
    tallies: dict[str, object] = {"attempts": (attempts if isinstance(attempts, int) else 1) + 1}
    for name, key in (("actions", action), ("areas", area)):
        counts = detail.get(name)
        counts = dict(counts) if isinstance(counts, dict) else {}
        if key is not None:
            counts[key] = int(counts.get(key, 0)) + 1
        if counts:
            tallies[name] = counts
    return tallies


async def audit_log(db: Database, limit: int = 100, actor: int | None = None) -> list[AuditEntry]:
    """The newest audit lines first (all actors, or one)."""
    where, params = ("WHERE actor = ?", [actor]) if actor is not None else ("", [])
    rows = await db.fetchall(
        f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", (*params, limit)
    )
    return [
        AuditEntry(
            id=row["id"],
            at=datetime.fromisoformat(row["at"]),
            actor=row["actor"],
            action=row["action"],
            allowed=bool(row["allowed"]),
            area=row["area"],
            target=row["target"],
            detail=json.loads(row["detail"] or "{}"),
        )
        for row in rows
    ]


class StaffDirectory:
    """Admins, staff and their areas (of AREAS, the area list); every check that refuses also
    audits."""

    def __init__(self, db: Database, admins: Iterable[int], areas: AreaDirectory) -> None:
        self.db = db
        self.admins = frozenset(admins)
        self.areas = areas

    def is_admin(self, user_id: int) -> bool:
        """Is USER_ID in MELDWIJZER_ADMINS?"""
        return user_id in self.admins

    async def member(self, user_id: int) -> StaffMember | None:
        """The staff member with this Telegram user id, or None."""
        row = await self.db.fetchone("SELECT * FROM staff WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        areas = await self.db.fetchall("SELECT area FROM staff_areas WHERE user_id = ?", (user_id,))
        return self._member(row, tuple(a["area"] for a in areas))

    async def members(self) -> list[StaffMember]:
        """Every staff member, by name then id."""
        rows = await self.db.fetchall("SELECT * FROM staff ORDER BY lower(name), user_id")
        area_rows = await self.db.fetchall("SELECT user_id, area FROM staff_areas")
        by_user: dict[int, list[str]] = {}
        for row in area_rows:
            by_user.setdefault(row["user_id"], []).append(row["area"])
        return [self._member(row, tuple(by_user.get(row["user_id"], ()))) for row in rows]

    async def areas_of(self, user_id: int) -> tuple[str, ...]:
        """The areas USER_ID may publish for: every area for admins, none for others."""
        if self.is_admin(user_id):
            return self.areas.ids()
        member = await self.member(user_id)
        return member.areas if member else ()

    async def is_staff(self, user_id: int) -> bool:
        """May USER_ID use staff commands at all (admin, or staff with an area)?"""
        return bool(await self.areas_of(user_id))

    async def refuse(
        self,
        actor: int,
        action: str,
        now: datetime,
        area: str | None = None,
        key: str = "spreekuren.err.not_staff",
    ) -> Refused:
        """Audit a refused attempt (with the id only of staff) and return the error to raise."""
        known = self.is_admin(actor) or await self.member(actor) is not None
        async with self.db.transaction() as tx:
            await write_refusal(tx, actor if known else None, action, now, area, self.areas.ids())
        return Refused(key, area=area or "")

    async def require_admin(self, actor: int, action: str, now: datetime) -> None:
        """Raise Refused (audited) unless ACTOR is an admin."""
        if not self.is_admin(actor):
            raise await self.refuse(actor, action, now, key="spreekuren.err.not_admin")

    async def require_staff(self, actor: int, action: str, now: datetime) -> tuple[str, ...]:
        """ACTOR's areas; raise Refused (audited) when there are none."""
        areas = await self.areas_of(actor)
        if not areas:
            raise await self.refuse(actor, action, now)
        return areas

    async def require_area(self, actor: int, area: str, action: str, now: datetime) -> None:
        """Raise Refused (audited) unless ACTOR may publish for AREA."""
        areas = await self.require_staff(actor, action, now)
        if area not in areas:
            raise await self.refuse(actor, action, now, area, key="spreekuren.err.not_your_area")

    async def add(
        self,
        actor: int,
        user_id: int,
        areas: Iterable[str],
        now: datetime,
        name: str = "",
    ) -> StaffMember:
        """Add USER_ID as staff for AREAS (replacing their areas when already staff)."""
        await self.require_admin(actor, "staff.add", now)
        areas = tuple(dict.fromkeys(parse_area(self.areas, a) for a in areas))
        if not areas:
            raise InputError("spreekuren.err.area_missing", areas=", ".join(self.areas.ids()))
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            raise InputError("spreekuren.err.name_too_long", limit=MAX_NAME)
        if user_id <= 0:
            raise InputError("spreekuren.err.user_id", text=str(user_id))
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT area FROM staff_areas WHERE user_id = ? ORDER BY area",
                (user_id,),
            )
            before = [row["area"] for row in rows] or None
            await tx.execute(
                "INSERT INTO staff (user_id, name, added_by, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET name = CASE WHEN excluded.name <> '' "
                "THEN excluded.name ELSE staff.name END",
                (user_id, name, actor, stamp(now)),
            )
            await tx.execute("DELETE FROM staff_areas WHERE user_id = ?", (user_id,))
            await tx.executemany(
                "INSERT INTO staff_areas (user_id, area) VALUES (?, ?)",
                [(user_id, area) for area in areas],
            )
            await write_audit(
                tx,
                actor,
                "staff.add",
                now,
                target=user_id,
                detail={"areas": list(areas), "before": before},
            )
        member = await self.member(user_id)
        assert member is not None
        return member

    async def remove(self, actor: int, user_id: int, now: datetime) -> bool:
        """Remove USER_ID as staff; False when they were not staff. Their spreekuren stay."""
        await self.require_admin(actor, "staff.remove", now)
        async with self.db.transaction() as tx:
            removed = await tx.execute("DELETE FROM staff WHERE user_id = ?", (user_id,)) > 0
            if removed:
                await write_audit(tx, actor, "staff.remove", now, target=user_id)
        return removed

    def _member(self, row: Row, areas: tuple[str, ...]) -> StaffMember:
        """The member of ROW with AREAS in the area list's order (ones it lacks last)."""
        order = {area: index for index, area in enumerate(self.areas.ids())}
        return StaffMember(
            user_id=row["user_id"],
            name=row["name"],
            areas=tuple(sorted(areas, key=lambda a: order.get(a, len(order)))),
            added_by=row["added_by"],
            added_at=datetime.fromisoformat(row["added_at"]),
        )
