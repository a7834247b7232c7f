"""One chat's flood never holds up another chat: the order property of PerChatOrder, the
emergency card past the flood limit's queue, and workers that split Telegram's limit for the bot.

The bot long-polls the fake Bot API as in production. One chat sends far more messages than
there are turns; its first one is held (an event, not a sleep) while it is routed. Another
chat's emergency must then be answered before that backlog moves; the flooding chat's accepted
messages are handled in its own order, the rest refused with one "slow down" answer, and the
`after` hook sees every update once, refused ones too.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fakebotapi import FakeBotAPI, text_update, visible_text

from bot.config import Settings
from bot.i18n import t
from bot.inbox import Inbox
from bot.routing import RouteResult
from bot.services import Services
from bot.storage import Database
from bot.telegram import runner
from bot.telegram.app import build_application
from bot.telegram.ordering import MAX_CONCURRENT, QUEUE_PER_CHAT, PerChatOrder

FLOODER, OTHER = 6001, 6002
FLOOD = MAX_CONCURRENT + 6  # more than there are turns: the old processor gave them all away
FIRE = "er is brand in mijn keuken, help"


@asynccontextmanager
async def polling(
    settings: Settings, services: Services, flood_rate: float = 30.0
) -> AsyncIterator[Any]:
    """The bot long-polling the fake server, as `meldwijzer run` runs it."""
    app = build_application(settings, services, timeout=1.0, flood_rate=flood_rate)
    await runner.start(app, settings)
    try:
        yield app
    finally:
        await runner.stop(app)


def texts_to(api: FakeBotAPI, chat: int) -> list[str]:
    """The visible texts the bot sent to CHAT, in order."""
    return [
        visible_text(c.params["text"])
        for c in api.of("sendMessage")
        if c.params.get("chat_id") == chat
    ]


async def test_a_flooding_chat_waits_behind_itself_not_in_front_of_others(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services, monkeypatch: Any
) -> None:
    gate = asyncio.Event()  # the flooder's first message is routed only once this is set
    routed: list[str] = []
    route = services.route

    async def held_route(text: str, door: str = "") -> RouteResult:
        if text == "bericht 0":
            await gate.wait()
        routed.append(text)
        return await route(text, door)

    monkeypatch.setattr(services, "route", held_route)
    after: Counter[int] = Counter()
    async with polling(bot_settings, services) as app:
        order = app.update_processor
        assert isinstance(order, PerChatOrder)

        async def seen(update: Any) -> None:
            after[update.update_id] += 1

        order.after = seen
        ids = [
            fake_api.push_update(text_update(fake_api, FLOODER, f"bericht {i}"))
            for i in range(FLOOD)
        ]
        ids.append(fake_api.push_update(text_update(fake_api, OTHER, FIRE)))

        try:
            # The other chat is answered while the flooder's first message is still held.
            await fake_api.wait_for(lambda: bool(texts_to(fake_api, OTHER)), timeout=10)
            assert "112" in texts_to(fake_api, OTHER)[0].split("\n", 1)[0]
            assert not gate.is_set() and routed == [FIRE]
            # The flooder was asked once to slow down, before any of its answers.
            slow_down = visible_text(t("telegram.slow_down", "nl"))
            await fake_api.wait_for(lambda: bool(texts_to(fake_api, FLOODER)), timeout=10)
            assert texts_to(fake_api, FLOODER) == [slow_down]
        finally:
            gate.set()  # a failed check must not leave the bot waiting for ever
        accepted = [f"bericht {i}" for i in range(QUEUE_PER_CHAT)]
        await fake_api.wait_for(
            lambda: len(texts_to(fake_api, FLOODER)) == QUEUE_PER_CHAT + 1, timeout=20
        )
        await fake_api.wait_for(lambda: len(after) == len(ids), timeout=10)
    assert routed == [FIRE, *accepted]  # the flooder's accepted messages, in its own order
    assert texts_to(fake_api, FLOODER).count(slow_down) == 1  # once for the whole burst
    assert after == Counter(ids)  # every update once, the refused ones too


async def test_the_emergency_card_does_not_queue_behind_the_flood_limit(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    """With one message a second allowed, four answers wait in the limiter; 112 goes past."""
    async with polling(bot_settings, services, flood_rate=1.0):
        for chat in range(6101, 6105):
            fake_api.push_update(text_update(fake_api, chat, "hondenpoep op de stoep"))
        fake_api.push_update(text_update(fake_api, OTHER, FIRE))
        await fake_api.wait_for(lambda: len(fake_api.of("sendMessage")) == 5, timeout=20)
    first_lines = [
        visible_text(c.params["text"]).split("\n", 1)[0] for c in fake_api.of("sendMessage")
    ]
    at = next(i for i, c in enumerate(fake_api.of("sendMessage")) if c.params["chat_id"] == OTHER)
    assert "112" in first_lines[at]
    assert at <= 2  # one or two answers the limiter let through at once, not all four


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"], indirect=True)
async def test_workers_sending_for_one_bot_split_its_limit(
    engine: str, bot_settings: Settings, services: Services
) -> None:
    """Telegram allows about 30 messages a second for the bot, not for each worker."""
    others = [await Database.open(bot_settings.database) for _ in range(2)]
    try:
        for db in others:
            await Inbox(db).beat()  # two more workers at work on this database (PostgreSQL)
        async with polling(bot_settings, services, flood_rate=30.0) as app:
            assert app.bot.rate_limiter.rate == (10.0 if engine == "postgresql" else 30.0)
    finally:
        for db in others:
            await db.close()
