"""Network faults through the fake Bot API, on python-telegram-bot's real HTTP stack, polling.

Bursts of 500s, 429 with retry_after, dropped connections and slow answers, on sending and on
getUpdates, and a restart of the bot half-way a staff member's guided /spreekuur_nieuw. Every
resident message gets its answer (none lost); an answer arrives twice only when a slow call did
reach Telegram before the bot gave up waiting for it (measured and asserted); the bot keeps
running; after the restart the staff member's conversation goes on where it was.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fakebotapi import FakeBotAPI, text_update, visible_text
from packaged import packaged_router
from spreekuren_support import AGENT, NOW

from bot.config import Settings
from bot.services import Services, open_services
from bot.telegram import runner
from bot.telegram.app import build_application
from bot.telegram.kept import KeptMessage, KeptMessages

RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is nu brand in mijn keuken"
DELIVERED = ("ok", "slow")  # a slow call reached Telegram; only its answer was lost
TIMEOUT = 1.0  # seconds a Bot API call may take in these tests (production: 10)

AnyApp = Any


@asynccontextmanager
async def polling(settings: Settings, services: Services) -> AsyncIterator[AnyApp]:
    """The bot long-polling the fake server, as `meldwijzer run` runs it; stopped at the end."""
    app = build_application(settings, services, timeout=TIMEOUT)
    services.clock = lambda: NOW
    errors: list[BaseException] = []

    async def collect(update: object, context: Any) -> None:
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(collect)
    app.bot_data["test_errors"] = errors
    await runner.start(app, settings)
    try:
        yield app
    finally:
        await runner.stop(app)


def answers(api: FakeBotAPI, chat: int) -> list[str]:
    """The texts that reached CHAT (a slow call counts: Telegram did deliver it)."""
    return [
        visible_text(c.params["text"])
        for c in api.calls
        if c.method == "sendMessage" and c.params.get("chat_id") == chat and c.outcome in DELIVERED
    ]


def push(api: FakeBotAPI, chats: range, text: str) -> None:
    """One resident message from each of CHATS."""
    for chat in chats:
        api.push_update(text_update(api, chat, text))


async def all_answered(api: FakeBotAPI, chats: range, timeout: float = 15.0) -> None:
    """Wait until each of CHATS has at least one answer."""
    await api.wait_for(lambda: all(answers(api, c) for c in chats), timeout=timeout)


def heal(api: FakeBotAPI) -> None:
    """End an outage: forget the faults not yet used."""
    api.heal()


def copies(api: FakeBotAPI, chats: range) -> Counter[int]:
    """How many answers each chat got."""
    return Counter({c: len(answers(api, c)) for c in chats})


# -- sending ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "times", "extra"),
    [
        ("500", 12, {}),  # a burst: every call of 5 fails twice, some a third time
        ("429", 5, {"retry_after": 1}),  # Telegram's flood control
        ("drop", 12, {}),  # connections cut before an answer
    ],
)
async def test_a_burst_of_send_failures_loses_and_doubles_nothing(
    fake_api: FakeBotAPI,
    bot_settings: Settings,
    services: Services,
    fault: str,
    times: int,
    extra: dict[str, Any],
) -> None:
    chats = range(5001, 5006)
    async with polling(bot_settings, services) as app:
        fake_api.fail(fault, "sendMessage", times=times, **extra)
        push(fake_api, chats, RUBBISH)
        await all_answered(fake_api, chats)
        after = range(5101, 5104)  # the bot keeps running
        push(fake_api, after, FIRE)
        await all_answered(fake_api, after)
    failed = [c for c in fake_api.calls if c.method == "sendMessage" and c.outcome not in DELIVERED]
    assert len(failed) == times  # every fault was met, and retried
    assert copies(fake_api, chats) == Counter({c: 1 for c in chats})  # none lost, none doubled
    assert all(answers(fake_api, c)[0].startswith("Meld dit bij") for c in chats)
    assert all("112" in answers(fake_api, c)[0] for c in after)
    assert app.bot_data["test_errors"] == []


async def test_an_outage_of_some_seconds_loses_nothing(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    """Telegram answers every call with a 500 for a few seconds, then recovers."""
    chats = range(5201, 5206)
    async with polling(bot_settings, services) as app:
        fake_api.fail("500", times=10_000)
        push(fake_api, chats, RUBBISH)
        await asyncio.sleep(3.0)
        heal(fake_api)
        healed = time.monotonic()
        await all_answered(fake_api, chats)
        print(f"outage of 3 s: all answered {time.monotonic() - healed:.1f} s after it ended")
    assert copies(fake_api, chats) == Counter({c: 1 for c in chats})
    assert app.bot_data["test_errors"] == []


async def test_answers_lost_in_an_outage_follow_after_it_emergencies_first(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    """sendMessage fails for longer than the retries last: no excuse is sent; once Telegram
    takes messages again the real answers follow, the 112 card first, each chat's in order."""
    rubbish, fire = 5301, 5302
    tile = "losse stoeptegel voor mijn deur"
    async with polling(bot_settings, services) as app:
        outbox = app.bot.rate_limiter
        outbox.backoff = (0.01,) * 6  # the real retries last 15.7 s
        outbox.probe = (0.05,)  # and a kept answer is tried again after 1-5 s
        kept = outbox.kept
        fake_api.fail("500", "sendMessage", times=1_000_000)
        fake_api.push_update(text_update(fake_api, rubbish, RUBBISH))
        await fake_api.wait_for(lambda: len(kept) == 1)
        fake_api.push_update(text_update(fake_api, fire, FIRE))
        await fake_api.wait_for(lambda: len(kept) == 2)
        fake_api.push_update(text_update(fake_api, rubbish, tile))  # kept behind its first
        await fake_api.wait_for(lambda: len(kept) == 3)
        seen = len(fake_api.calls)  # the emergency is what is tried now
        await fake_api.wait_for(
            lambda: any(c.params.get("chat_id") == fire for c in fake_api.calls[seen:])
        )
        heal(fake_api)
        await fake_api.wait_for(lambda: len(kept) == 0)
        delivered = [
            (c.params["chat_id"], visible_text(c.params["text"]))
            for c in fake_api.calls
            if c.method == "sendMessage" and c.outcome == "ok"
        ]
        # What the answers are when all is well, for the same messages.
        for chat, text in ((5401, RUBBISH), (5402, tile), (5403, FIRE)):
            fake_api.push_update(text_update(fake_api, chat, text))
        await all_answered(fake_api, range(5401, 5404))
    assert delivered[0][0] == fire and "112" in delivered[0][1].split("\n", 1)[0]
    assert [text for chat, text in delivered if chat == fire] == answers(fake_api, 5403)
    assert [text for chat, text in delivered if chat == rubbish] == answers(
        fake_api, 5401
    ) + answers(fake_api, 5402)  # in order, none lost, none twice
    tried = [visible_text(c.params["text"]) for c in fake_api.of("sendMessage", None)]
    assert not any(text.startswith("Sorry, bij mij ging iets mis") for text in tried)
    assert app.bot_data["test_errors"] == []


async def test_slow_answers_are_retried_and_doubled_only_when_delivered(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    chats = range(5301, 5306)
    slow = 2
    async with polling(bot_settings, services) as app:
        fake_api.fail("slow", "sendMessage", times=slow, delay=TIMEOUT + 0.5)
        push(fake_api, chats, RUBBISH)
        await all_answered(fake_api, chats)
    got = copies(fake_api, chats)
    slow_chats = {c.params["chat_id"] for c in fake_api.calls if c.outcome == "slow"}
    assert all(got[c] >= 1 for c in chats)  # none lost
    # A second copy only where Telegram took the first but its answer never came back.
    assert {c for c in chats if got[c] > 1} <= slow_chats
    assert sum(got.values()) - len(chats) <= slow
    print(f"slow answers: {sum(got.values())} delivered for {len(chats)} messages, {slow} slow")
    assert app.bot_data["test_errors"] == []


# -- receiving ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "times", "extra"),
    [
        ("500", 2, {}),
        ("429", 1, {"retry_after": 1}),
        ("drop", 2, {}),
        ("slow", 1, {"delay": 1.5}),
    ],
)
async def test_get_updates_failures_lose_and_double_nothing(
    fake_api: FakeBotAPI,
    bot_settings: Settings,
    services: Services,
    fault: str,
    times: int,
    extra: dict[str, Any],
) -> None:
    chats = range(5401, 5405)
    async with polling(bot_settings, services) as app:
        push(fake_api, range(5400, 5401), RUBBISH)  # polling runs
        await all_answered(fake_api, range(5400, 5401))
        fake_api.fail(fault, "getUpdates", times=times, **extra)
        push(fake_api, chats, RUBBISH)
        await all_answered(fake_api, chats)
    assert [c.outcome for c in fake_api.calls if c.method == "getUpdates"].count(
        "dropped" if fault == "drop" else fault
    ) == times
    assert copies(fake_api, chats) == Counter({c: 1 for c in chats})
    assert app.bot_data["test_errors"] == []


# -- a restart ----------------------------------------------------------------------------------


def staff_says(api: FakeBotAPI, text: str) -> None:
    """The agent sends TEXT."""
    api.push_update(text_update(api, AGENT, text))


def staff_presses(api: FakeBotAPI, data: str) -> None:
    """The agent presses a button with DATA under the bot's last message to them."""
    last = [
        c
        for c in api.calls
        if c.method == "sendMessage" and c.params.get("chat_id") == AGENT and c.outcome == "ok"
    ][-1]
    message = dict(last.result)
    api.push_update(
        {
            "callback_query": {
                "id": str(time.monotonic_ns()),
                "chat_instance": str(AGENT),
                "data": data,
                "from": {
                    "id": AGENT,
                    "is_bot": False,
                    "first_name": "Agent",
                    "language_code": "nl",
                },
                "message": message,
            }
        }
    )


async def told(api: FakeBotAPI, chat: int, start: int, contains: str) -> list[str]:
    """Wait until a message to CHAT after call START contains CONTAINS; every text since START."""

    def texts() -> list[str]:
        return [
            visible_text(c.params["text"])
            for c in api.calls[start:]
            if c.method == "sendMessage" and c.params.get("chat_id") == chat and c.outcome == "ok"
        ]

    await api.wait_for(lambda: any(contains in t for t in texts()), timeout=10)
    return texts()


async def test_a_restart_half_way_a_staff_conversation(
    fake_api: FakeBotAPI, bot_settings: Settings
) -> None:
    api = fake_api
    residents = iter(range(6001, 6100))
    sent: list[int] = []

    def resident_asks() -> None:
        chat = next(residents)
        sent.append(chat)
        api.push_update(text_update(api, chat, RUBBISH))

    services = await open_services(bot_settings, packaged_router())
    try:
        async with polling(bot_settings, services) as first:
            api.push_update(text_update(api, 777, f"/staff_toevoegen {AGENT} noord-oost Agent"))
            await told(api, 777, 0, "publiceert nu spreekuren")
            start = len(api.calls)
            staff_says(api, "/spreekuur_nieuw")
            await told(api, AGENT, start, "Wanneer?")
            resident_asks()
            staff_says(api, "17-12-2026")
            await told(api, AGENT, start, "Hoe laat?")
            for _ in range(3):
                resident_asks()  # still on their way when the bot stops
        for _ in range(3):
            resident_asks()  # while the bot is down
        assert first.bot_data["test_errors"] == []
    finally:
        await services.close()
    # a restart is not an ending: the agent is not told anything
    assert [t for t in answers(api, AGENT)[-1:] if "Hoe laat?" in t]

    # a new bot on the same database
    services = await open_services(bot_settings, packaged_router())
    try:
        async with polling(bot_settings, services) as second:
            start = len(api.calls)
            staff_says(api, "14:00-15:30")  # the next answer of the conversation
            await told(api, AGENT, start, "Waar?")
            staff_says(api, "Wijkhuis")
            await told(api, AGENT, start, "Geen toelichting")
            staff_presses(api, "spn:nonote")
            await told(api, AGENT, start, "Zo zien bewoners het")
            # nothing half-made was stored before the confirmation
            assert await services.db.fetchall("SELECT * FROM spreekuren") == []
            staff_presses(api, "spn:ok")
            await told(api, AGENT, start, "Gepubliceerd")
            await api.wait_for(lambda: all(answers(api, c) for c in sent), timeout=10)
        assert second.bot_data["test_errors"] == []
        rows = await services.db.fetchall(
            "SELECT id, first_date, start_time, place FROM spreekuren"
        )
        assert [tuple(r) for r in rows] == [(1, "2026-12-17", "14:00", "Wijkhuis")]
        assert await services.db.fetchall("SELECT * FROM guided_conversations") == []
    finally:
        await services.close()
    assert copies(api, range(6001, 6001 + len(sent))) == Counter({c: 1 for c in sent})


async def test_a_restart_whose_last_confirmation_fails(
    fake_api: FakeBotAPI, bot_settings: Settings
) -> None:
    """Telegram fails the getUpdates that marks the last updates read, as the bot stops."""
    api = fake_api
    chats = range(6201, 6206)
    services = await open_services(bot_settings, packaged_router())
    try:
        async with polling(bot_settings, services):
            push(api, chats, RUBBISH)
            await all_answered(api, chats)
            api.fail("500", "getUpdates")  # the next getUpdates is the confirmation at stop
    finally:
        await services.close()
    services = await open_services(bot_settings, packaged_router())
    try:
        async with polling(bot_settings, services):
            later = range(6301, 6303)
            push(api, later, RUBBISH)
            await all_answered(api, later)
    finally:
        await services.close()
    assert [c.outcome for c in api.calls if c.method == "getUpdates"].count("500") == 1
    # The long poll after each batch already marked it read, so nothing comes twice.
    assert copies(api, chats) == Counter({c: 1 for c in chats})


async def test_an_answer_kept_at_a_stop_is_given_at_the_next_start(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    """The outbox's kept answers live in memory; the update they answer stays in the inbox
    until one is delivered, so a stop (or a crash) in an outage loses no answer."""
    fire = 5501
    async with polling(bot_settings, services) as app:
        outbox = app.bot.rate_limiter
        outbox.backoff, outbox.probe = (0.01,) * 6, (60.0,)  # kept, and not tried again here
        fake_api.fail("500", "sendMessage", times=1_000_000)
        update_id = fake_api.push_update(text_update(fake_api, fire, FIRE))
        await fake_api.wait_for(lambda: len(outbox.kept) == 1)
    assert answers(fake_api, fire) == []
    assert [stored for stored, _ in await services.inbox.pending()] == [update_id]
    heal(fake_api)
    async with polling(bot_settings, services):
        await all_answered(fake_api, range(fire, fire + 1))
    first = answers(fake_api, fire)
    assert "112" in first[0].split("\n", 1)[0]
    assert await services.inbox.pending() == []


def test_a_kept_answer_holds_its_update_until_delivered_or_given_up() -> None:
    kept = KeptMessages()
    one, two = KeptMessage(1, False, _nothing, update_id=7), KeptMessage(1, False, _nothing, 7)
    kept.keep(one)
    kept.keep(two)
    kept.remove(one)
    assert kept.answer_kept(7) and not kept.answer_kept(8)
    kept.remove(two)
    assert not kept.answer_kept(7)


async def _nothing() -> None:
    return None


async def test_a_count_started_while_the_bot_stops_is_written(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    """An answer still being sent when the stop begins is counted before the database closes
    (PTB does not await tasks started after its stop began)."""
    record = services.stats.record

    async def slow_record(question: Any) -> None:
        await asyncio.sleep(0.3)  # a database a little slow: the count ends after the stop began
        await record(question)

    services.stats.record = slow_record  # type: ignore[method-assign]
    app = build_application(bot_settings, services, timeout=TIMEOUT)
    await runner.start(app, bot_settings)
    fake_api.hold("sendMessage")
    fake_api.push_update(text_update(fake_api, 5601, RUBBISH))
    await fake_api.wait_for(lambda: bool(fake_api.held("sendMessage")))
    stopping = asyncio.create_task(runner.stop(app))
    await fake_api.wait_for(lambda: not app.running)
    fake_api.release("sendMessage")
    await stopping
    row = await services.db.fetchone("SELECT SUM(count) FROM stats_counts WHERE kind = 'question'")
    assert row is not None and row[0] == 1
