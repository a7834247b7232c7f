"""Guided staff conversations kept in the database (bot.telegram.guided on bot.guided).

A conversation begun through one bot goes on through another on the same database (a second
worker, or the process after a restart); one left silent for half an hour has ended, and the
staff member is told so in their language; an update delivered twice is taken once; the draft
is deleted whenever the conversation ends. The kill -9 of a real `meldwijzer run` is in
tests/robustness/test_guided_kill9.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import Replies, TelegramHarness
from engines import both_engines
from fakebotapi import FakeBotAPI
from spreekuren_support import AGENT, NOW

from bot.config import Settings
from bot.services import open_services
from bot.storage import StorageError
from bot.telegram.app import build_application
from bot.telegram.guided import TIMEOUT

pytestmark = both_engines


class Clock:
    """The bot's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def bot(telegram: TelegramHarness) -> TelegramHarness:
    telegram.services.clock = Clock()
    await telegram.send(f"/staff_toevoegen {AGENT} noord-oost", user=telegram.ADMIN)
    return telegram


async def drafts(bot: TelegramHarness) -> list[dict[str, Any]]:
    return [dict(r) for r in await bot.services.db.fetchall("SELECT * FROM guided_conversations")]


async def press(bot: TelegramHarness, replies: Replies, label: str, lang: str = "nl") -> Replies:
    found = replies.button(label)
    return await bot.click(found["callback_data"], on=replies.messages[-1], user=AGENT, lang=lang)


async def test_the_draft_is_kept_step_by_step_and_deleted_at_the_end(bot: TelegramHarness) -> None:
    await bot.send("/spreekuur_nieuw", user=AGENT)
    await bot.send("3-12-2026", user=AGENT)
    [row] = await drafts(bot)
    assert (row["name"], row["chat_id"], row["user_id"], row["step"]) == (
        "spreekuur_nieuw",
        AGENT,
        AGENT,
        "times",
    )
    assert '"first": "2026-12-03"' in row["draft"]
    await bot.send("14:00-15:30", user=AGENT)
    note = await bot.send("Buurtcentrum Limmel", user=AGENT)
    assert "Buurtcentrum Limmel" in (await drafts(bot))[0]["draft"]
    await press(bot, await press(bot, note, "Geen toelichting"), "Publiceren")
    assert await drafts(bot) == []


@pytest.mark.parametrize("how", ["/afbreken", "button", "refused"])
async def test_every_ending_deletes_the_draft(bot: TelegramHarness, how: str) -> None:
    asked = await bot.send("/spreekuur_nieuw", user=AGENT)
    await bot.send("3-12-2026", user=AGENT)
    if how == "button":
        await press(bot, asked, "Stoppen")
    elif how == "refused":  # the agent is no longer staff when they confirm
        for answer in ("14:00-15:30", "Buurtcentrum Limmel", "-"):
            preview = await bot.send(answer, user=AGENT)
        await bot.send(f"/staff_verwijderen {AGENT}", user=bot.ADMIN)
        assert "alleen voor medewerkers" in (await press(bot, preview, "Publiceren")).text
    else:
        await bot.send(how, user=AGENT)
    assert await drafts(bot) == []


async def test_a_conversation_goes_on_through_another_worker(
    fake_api: FakeBotAPI, bot_settings: Settings
) -> None:
    """Two bots on one database: each message may reach either, the conversation is one."""
    workers: list[TelegramHarness] = []
    opened = []
    try:
        for _ in range(2):
            services = await open_services(bot_settings)
            opened.append(services)
            app = build_application(bot_settings, services, timeout=2.0)
            services.clock = Clock()
            await app.initialize()
            workers.append(TelegramHarness(app, fake_api, services))
        one, two = workers
        await one.send(f"/staff_toevoegen {AGENT} noord-oost", user=one.ADMIN)
        assert "Wanneer?" in (await one.send("/spreekuur_nieuw", user=AGENT)).text
        assert "Hoe laat?" in (await two.send("3-12-2026", user=AGENT)).text
        assert "Waar?" in (await one.send("14:00-15:30", user=AGENT)).text
        note = await two.send("Buurtcentrum Limmel", user=AGENT)
        found = note.button("Geen toelichting")["callback_data"]
        preview = await one.click(found, on=note.messages[-1], user=AGENT)
        ok = preview.button("Publiceren")["callback_data"]
        done = await two.click(ok, on=preview.messages[-1], user=AGENT)
        assert "✅ Gepubliceerd: #1" in done.text
        stale = await one.click(ok, on=preview.messages[-1], user=AGENT)
        assert "al voorbij" in stale.text
    finally:
        for worker in workers:
            await worker.app.shutdown()
        for services in opened:
            await services.close()
    assert fake_api.rejected() == []


@pytest.mark.parametrize(
    ("lang", "ended"),
    [("nl", "is gestopt: het was meer dan een half uur stil"), ("en", "has ended: it was silent")],
)
async def test_half_an_hour_of_silence_ends_it_and_says_so(
    bot: TelegramHarness, lang: str, ended: str
) -> None:
    await bot.send("/spreekuur_nieuw", user=AGENT, lang=lang)
    await bot.send("3-12-2026", user=AGENT, lang=lang)
    bot.services.clock.now = NOW + TIMEOUT - timedelta(seconds=1)
    asked = await bot.send("14:00-15:30", user=AGENT, lang=lang)  # just in time
    assert "Waar?" in asked.text or "Where?" in asked.text
    bot.services.clock.now += TIMEOUT + timedelta(seconds=2)
    late = await bot.send("Buurtcentrum Limmel", user=AGENT, lang=lang)
    assert len(late.texts) == 1 and ended in late.text and "/spreekuur_nieuw" in late.text
    assert await drafts(bot) == []
    again = await bot.send("Buurtcentrum Limmel", user=AGENT, lang=lang)  # an ordinary message
    assert ended not in again.text


async def test_after_silence_a_text_for_no_step_still_gets_its_answer(
    bot: TelegramHarness,
) -> None:
    """Where the step waits for a button, a typed question is not swallowed."""
    await bot.send("/spreekuur_nieuw", user=AGENT)
    for answer in ("3-12-2026", "14:00-15:30", "Buurtcentrum Limmel", "-"):
        preview = await bot.send(answer, user=AGENT)
    bot.services.clock.now += TIMEOUT * 2
    replies = await bot.send("er staan vuilniszakken naast de container", user=AGENT)
    assert "meer dan een half uur stil" in replies.texts[0]
    assert "Meld dit bij" in replies.text
    late = await press(bot, preview, "Publiceren")
    assert "al voorbij" in late.text and await drafts(bot) == []


async def test_an_update_delivered_twice_is_taken_once(bot: TelegramHarness) -> None:
    """After a crash Telegram may deliver again what was taken: the question is asked again."""
    await bot.send("/spreekuur_nieuw", user=AGENT)
    update = {"update_id": 9001, "message": bot.message(user=AGENT, text="3-12-2026")}
    assert "Hoe laat?" in (await bot.feed(update)).text
    again = await bot.feed(update)
    assert again.texts == (await bot.feed(update)).texts
    assert "Hoe laat?" in again.text and "lees ik niet" not in again.text
    assert (await drafts(bot))[0]["step"] == "times"
    assert "Waar?" in (await bot.send("14:00-15:30", user=AGENT)).text


async def test_a_database_that_cannot_be_read_still_answers_residents(
    bot: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise StorageError("the database is busy (locked by another process); try again shortly")

    guided = bot.app.bot_data["guided"]
    monkeypatch.setattr(guided.store, "find", broken)
    replies = await bot.send("er staan vuilniszakken naast de container")
    assert "Meld dit bij" in replies.text
