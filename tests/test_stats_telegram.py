"""Counting through a real Telegram conversation, and /stats for staff only (fake Bot API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from areas_support import other_areas
from engines import both_engines

from bot.staff import StaffDirectory
from bot.stats import TZ, Question

pytestmark = both_engines

RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is brand in mijn keuken, nu!"


async def counters(telegram: Any) -> list[dict[str, Any]]:
    await telegram.services.stats.flush()  # counts are written about once a second
    rows = await telegram.services.db.fetchall("SELECT * FROM stats_counts ORDER BY kind")
    return [dict(r) for r in rows]


async def test_a_question_is_counted_and_nothing_else_is_kept(telegram: Any) -> None:
    replies = await telegram.send(RUBBISH)
    assert replies.texts  # answered
    [row] = await counters(telegram)
    now = datetime.now(TZ)
    assert row == {
        "day": now.date().isoformat(),
        "whole_month": 0,
        "hour_of_week": row["hour_of_week"],
        "area": "unknown",
        "pc4": "unknown",
        "situation": "afval-bijplaatsing",
        "theme": row["theme"],
        "channel": "melddesk",
        "emergency": 0,
        "language": "nl",
        "door": "telegram",
        "kind": "question",
        "count": 1,
    }
    assert row["hour_of_week"] // 24 == now.weekday()
    assert row["theme"] == telegram.services.router.meldkaart.situation("afval-bijplaatsing").theme
    await telegram.send(RUBBISH)
    assert sum(r["count"] for r in await counters(telegram)) == 2
    assert len(await counters(telegram)) <= 2  # one cell (two only across an hour's turn)


async def test_the_chosen_area_and_an_emergency_are_counted(telegram: Any) -> None:
    await telegram.send("/gebied Wyckerpoort")
    await telegram.send(FIRE)
    [row] = await counters(telegram)
    assert (row["area"], row["channel"], row["emergency"]) == ("noord-oost", "112", 1)


async def test_a_postcode_or_buurt_in_the_message_is_counted_as_the_hotspot(telegram: Any) -> None:
    await telegram.send("/gebied Wyckerpoort")  # the chat's area: noord-oost
    await telegram.send("er staat al dagen een busje op de stoep, 6229 AB")
    await telegram.send("vuilniszakken naast de container in Malberg")
    rows = {(r["situation"], r["area"], r["pc4"]) for r in await counters(telegram)}
    assert ("foutparkeren", "zuid-oost", "6229") in rows  # the message's place beats the chat's
    assert ("afval-bijplaatsing", "noord-west", "unknown") in rows
    for row in await counters(telegram):
        assert "busje" not in str(dict(row)) and "Malberg" not in str(dict(row))


async def test_a_thumb_is_counted_apart(telegram: Any) -> None:
    replies = await telegram.send(RUBBISH, lang="en")
    await telegram.click(replies.button("👍")["callback_data"], on=replies.messages[0], lang="en")
    kinds = {(r["kind"], r["situation"], r["count"]) for r in await counters(telegram)}
    assert kinds == {("helpful", "afval-bijplaatsing", 1), ("question", "afval-bijplaatsing", 1)}


async def test_a_double_tapped_thumb_counts_once_and_is_answered_quietly(telegram: Any) -> None:
    replies = await telegram.send(RUBBISH, lang="en")
    data = replies.button("👍")["callback_data"]
    answer = {**replies.messages[0], "message_id": 9001}  # both presses under the same answer
    await telegram.click(data, on=answer, lang="en")
    again = await telegram.click(data, on=answer, lang="en")
    kinds = {(r["kind"], r["situation"], r["count"]) for r in await counters(telegram)}
    assert kinds == {("helpful", "afval-bijplaatsing", 1), ("question", "afval-bijplaatsing", 1)}
    assert again.messages == [] and not again.of("editMessageReplyMarkup")


async def seed(telegram: Any, area: str, times: int, situation: str = "afval-bijplaatsing") -> None:
    for _ in range(times):
        await telegram.services.stats.record(
            Question(situation, "melddesk", False, "nl", "telegram", area, "6222")
        )


async def test_stats_is_refused_to_residents(telegram: Any) -> None:
    await seed(telegram, "noord-oost", 12)
    replies = await telegram.send("/stats")
    assert "alleen voor medewerkers" in replies.text
    assert replies.of("sendPhoto") == [] and "12" not in replies.text
    english = await telegram.send("/stats 2026H1", lang="en")
    assert "only for THOR and police staff" in english.text
    for table in ("audit_log", "staff"):  # a refusal leaves no trace of the resident
        rows = await telegram.services.db.fetchall(f"SELECT * FROM {table}")
        assert all(telegram.RESIDENT not in tuple(r) for r in rows)


async def test_stats_for_an_admin_summary_and_heatmap(telegram: Any) -> None:
    await seed(telegram, "noord-oost", 12)
    await seed(telegram, "noord-oost", 3, "nood-brand")
    replies = await telegram.send("/stats", user=telegram.ADMIN)
    texts = replies.texts
    assert len(texts) == 4  # one summary per area
    north = next(t for t in texts if "Noord-Oost" in t)
    assert "Vragen: 15–19" in north  # the band of the 15, as everywhere: never 15 itself
    assert "(10–14)" in north and "6222 (15–19)" in north and "(12)" not in north
    assert "geen meldingen of incidenten" in north
    [photo] = [c.params for c in replies.of("sendPhoto")]  # only the area with questions
    assert photo["photo"]["filename"] == "heatmap-noord-oost.png" and photo["photo"]["size"] > 5000
    assert "Noord-Oost" in photo["caption"]


async def test_stats_takes_its_areas_from_the_services(telegram: Any) -> None:
    """Services with another area list than the packaged one: an admin sees its areas, by its
    names; no module-level list is reached instead."""
    services = telegram.services
    services.areas = other_areas()
    services.staff = StaffDirectory(services.db, services.settings.admins, services.areas)
    await seed(telegram, "noord-west", 12)
    await seed(telegram, "noord-oost", 12)  # counted, but not an area of this list
    replies = await telegram.send("/stats", user=telegram.ADMIN)
    assert len(replies.texts) == 2  # one summary per area of the list
    assert "Maas-West" in replies.texts[0] and "Zuid-Oost" in replies.texts[1]
    assert "Noord-Oost" not in replies.text
    [photo] = [c.params for c in replies.of("sendPhoto")]
    assert photo["photo"]["filename"] == "heatmap-noord-west.png"
    assert "Maas-West" in photo["caption"]


async def test_stats_takes_a_period_and_refuses_a_bad_one(telegram: Any) -> None:
    await seed(telegram, "zuid-oost", 6)
    year = datetime.now(UTC).year
    replies = await telegram.send(f"/stats {year - 3}Q1", user=telegram.ADMIN)
    assert replies.of("sendPhoto") == [] and f"{year - 3}Q1" in replies.text
    bad = await telegram.send("/stats vorige week", user=telegram.ADMIN)
    assert "2026H1" in bad.text and bad.of("sendPhoto") == []


async def test_stats_is_never_sent_into_a_group(telegram: Any) -> None:
    await seed(telegram, "noord-oost", 12)
    replies = await telegram.send("/stats", user=telegram.ADMIN, chat=telegram.GROUP)
    assert "privégesprek" in replies.text
    assert replies.of("sendPhoto") == [] and "Noord-Oost" not in replies.text


async def test_staff_see_only_their_own_areas(telegram: Any) -> None:
    staff = pytest.importorskip("bot.staff")
    directory = staff.StaffDirectory(
        telegram.services.db, telegram.services.settings.admins, telegram.services.areas
    )
    await directory.add(telegram.ADMIN, 5150, ["zuid-oost"], datetime.now(UTC), name="Wijkagent")
    await seed(telegram, "zuid-oost", 7)
    await seed(telegram, "noord-oost", 12)
    replies = await telegram.send("/stats", user=5150)
    assert len(replies.texts) == 1 and "Zuid-Oost" in replies.text
    assert "Noord-Oost" not in replies.text
    assert [c.params["photo"]["filename"] for c in replies.of("sendPhoto")] == [
        "heatmap-zuid-oost.png"
    ]
