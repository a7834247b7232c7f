"""Access: no staff or admin command works for someone who may not use it, by any door.

Every staff and admin command is tried by a resident, by staff outside their area, from a group
chat, through an edited message, through a forwarded message, and through buttons with forged
callback data. Each attempt is answered politely, leaves every table but the audit log exactly
as it was, and is in the audit log (someone who is not staff without their id, which appears
nowhere in the database). The webhook refuses a call without the right secret; the HTTP service
refuses oversized and malformed bodies and holds its rate limit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Replies, TelegramHarness
from fakebotapi import FakeBotAPI
from packaged import packaged_router
from spreekuren_support import AGENT, HANDHAVER, LINE, NOW

from bot.config import Settings
from bot.services import Services, open_services
from bot.staff import audit_log
from bot.storage import Database
from bot.telegram import runner
from bot.telegram.app import build_application
from bot.web import create_app

RESIDENT = 4242
ZUID_OOST = "zuid-oost elke dinsdag t/m 29-12-2026 10:00-11:00 Wijkhuis Heer"
OTHER_LINE = "noord-oost 10-12-2026 14:00-15:00 Wijkhuis Limmel"

# What each command does when the right person sends it; #1 is Noord-Oost's, #2 Zuid-Oost's.
ADMIN_COMMANDS = (
    f"/staff_toevoegen {RESIDENT} noord-oost Nep",
    f"/staff_verwijderen {AGENT}",
    "/staff_lijst",
)
STAFF_COMMANDS = (
    "/spreekuur_nieuw",
    f"/spreekuur_nieuw {OTHER_LINE}",
    "/spreekuur_wijzig",
    "/spreekuur_wijzig 1",
    "/spreekuur_wijzig 1 plek Elders",
    "/spreekuur_annuleer",
    "/spreekuur_annuleer 1",
    "/spreekuur_annuleer 1 alles",
    "/spreekuren_beheer",
    "/stats",
)
EVERY_COMMAND = ADMIN_COMMANDS + STAFF_COMMANDS

NOT_STAFF = ("alleen voor medewerkers", "alleen beheerders")
RESIDENT_REFUSED = (*NOT_STAFF, "/stats is alleen")
BUTTON_REFUSED = (*NOT_STAFF, "werkt niet")
STAFF_TEXTS = ("Wijkhuis", "Limmel", "#1", "#2", "Agent", "Handhaver", str(AGENT))

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
async def bot(telegram: TelegramHarness) -> TelegramHarness:
    """At NOW: an agent for Noord-Oost (#1), a handhaver for Zuid-Oost and Noord-West (#2)."""
    telegram.services.clock = lambda: NOW
    await telegram.send(f"/staff_toevoegen {AGENT} noord-oost Agent", user=telegram.ADMIN)
    await telegram.send(
        f"/staff_toevoegen {HANDHAVER} zuid-oost,noord-west Handhaver", user=telegram.ADMIN
    )
    first = await telegram.send(f"/spreekuur_nieuw {LINE}", user=AGENT)
    second = await telegram.send(f"/spreekuur_nieuw {ZUID_OOST}", user=HANDHAVER)
    assert "#1" in first.text and "#2" in second.text
    return telegram


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table, in a stable order."""
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: Snapshot = {}
    for row in tables:
        name = row["name"]
        rows = await db.fetchall(f'SELECT * FROM "{name}"')
        found[name] = sorted((tuple(r) for r in rows), key=repr)
    return found


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables (audit log aside) whose rows differ; a refusal may only end the person's own
    guided conversation (its row goes), never begin or change one."""
    return [
        name
        for name in sorted(before.keys() | after.keys())
        if name != "audit_log"
        and before.get(name) != after.get(name)
        and not (name == "guided_conversations" and set(after[name]) < set(before[name]))
    ]


def holds(after: Snapshot, value: int) -> list[str]:
    """Where VALUE appears in the database (table.column-index), as a number or inside a text."""
    places = []
    for name, rows in after.items():
        for row in rows:
            for index, cell in enumerate(row):
                if cell == value or (isinstance(cell, str) and str(value) in cell):
                    places.append(f"{name}[{index}]={cell!r}")
    return places


async def attempt(
    bot: TelegramHarness,
    label: str,
    do: Any,
    *,
    actor: int | None,
    expect: tuple[str, ...],
    leaks: tuple[str, ...] = STAFF_TEXTS,
) -> Replies:
    """Run DO (an awaitable giving Replies) and check the refusal: polite, nothing changed, audited.

    ACTOR is who the audit log must name (None: someone who is not staff, logged without id).
    EXPECT: one of these must be in what the person is told. LEAKS: must not be.
    """
    db = bot.services.db
    before = await snapshot(db)
    counted_before = {e.id: e.attempts for e in await audit_log(db, limit=1000)}
    replies: Replies = await do
    after = await snapshot(db)
    told = replies.text + " ".join(str(a.get("text", "")) for a in replies.alerts)
    assert any(e in told for e in expect), f"{label}: told {told!r}"
    assert not [leak for leak in leaks if leak in told], f"{label}: leaked in {told!r}"
    assert changed_tables(before, after) == [], f"{label}: changed {changed_tables(before, after)}"
    # Refusals are counted in one line per person and minute: a new line or a higher count.
    new = [e for e in await audit_log(db, limit=1000) if e.attempts > counted_before.get(e.id, 0)]
    assert new, f"{label}: not audited"
    assert all(not e.allowed and e.actor == actor for e in new), f"{label}: audited as {new}"
    if actor is None:
        assert holds(after, RESIDENT) == [], f"{label}: the resident's id is kept"
    answered = [c for c in replies.calls if c.method == "answerCallbackQuery"]
    assert len(answered) <= 1 and len(replies.of("answerCallbackQuery")) == len(answered), label
    return replies


def forwarded(text: str, origin: int) -> dict[str, Any]:
    """The fields of a message forwarded from ORIGIN's chat, as Telegram sends them."""
    fields: dict[str, Any] = {
        "text": text,
        "forward_origin": {
            "type": "user",
            "date": int(time.time()) - 60,
            "sender_user": {"id": origin, "is_bot": False, "first_name": "Iemand"},
        },
    }
    if text.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return fields


# -- commands by the wrong person, or by the wrong door ------------------------------------------


async def test_a_resident_is_refused_every_command(bot: TelegramHarness, caplog: Any) -> None:
    with caplog.at_level(logging.DEBUG):
        for command in EVERY_COMMAND:
            await attempt(bot, command, bot.send(command), actor=None, expect=RESIDENT_REFUSED)
    assert str(RESIDENT) not in caplog.text  # not in the logs either


async def test_a_flood_of_refused_commands_is_counted_not_listed(bot: TelegramHarness) -> None:
    """Every refused attempt used to be a row of its own, so a flood could fill the disk."""
    lines_before = len(await audit_log(bot.services.db, limit=1000))
    for command in EVERY_COMMAND * 4:
        await bot.send(command)
    log = await audit_log(bot.services.db, limit=1000)
    assert len(log) - lines_before <= 2  # one line a minute (the flood may cross a minute)
    new = log[: len(log) - lines_before]
    assert sum(e.attempts for e in new) == len(EVERY_COMMAND) * 4
    assert all(e.actor is None and not e.allowed for e in new)


async def test_a_resident_is_refused_in_english_too(bot: TelegramHarness) -> None:
    for command in ("/staff_lijst", "/spreekuur_nieuw", "/stats"):
        await attempt(
            bot,
            command,
            bot.send(command, lang="en"),
            actor=None,
            expect=("only for", "only administrators"),
        )


async def test_staff_outside_their_area_are_refused(bot: TelegramHarness) -> None:
    for command in (
        f"/spreekuur_nieuw {OTHER_LINE}",
        "/spreekuur_wijzig 1 plek Elders",
        "/spreekuur_wijzig 1",
        "/spreekuur_wijzig 1 tijd 15:00-16:00",
        "/spreekuur_annuleer 1",
        "/spreekuur_annuleer 1 alles",
        "/spreekuur_annuleer 1 3-12-2026",
    ):
        await attempt(
            bot,
            command,
            bot.send(command, user=HANDHAVER),
            actor=HANDHAVER,
            expect=("niet voor noord-oost",),
            leaks=("Limmel", "#1 "),
        )


async def test_staff_are_refused_admin_commands(bot: TelegramHarness) -> None:
    for command in ADMIN_COMMANDS:
        await attempt(
            bot, command, bot.send(command, user=AGENT), actor=AGENT, expect=("alleen beheerders",)
        )


async def test_staff_see_only_their_own_areas(bot: TelegramHarness) -> None:
    before = await snapshot(bot.services.db)
    overview = await bot.send("/spreekuren_beheer", user=HANDHAVER)
    assert "#2" in overview.text and "#1 " not in overview.text and "Limmel" not in overview.text
    picked = await bot.send("/spreekuur_annuleer", user=HANDHAVER)
    assert [b["callback_data"] for b in picked.buttons()] == ["spa:p:2"]
    edit = await bot.send("/spreekuur_wijzig", user=HANDHAVER)
    assert [b["callback_data"] for b in edit.buttons()][:-1] == ["spw:id:2"]
    await bot.send("/afbreken", user=HANDHAVER)
    guided = await bot.send("/spreekuur_nieuw", user=AGENT)  # one area: no area to pick
    assert not [b for b in guided.buttons() if b["callback_data"].startswith("spn:area:")]
    await bot.send("/afbreken", user=AGENT)
    stats = await bot.send("/stats", user=HANDHAVER)
    assert "Zuid-Oost" in stats.text and "Noord-Oost" not in stats.text
    assert changed_tables(before, await snapshot(bot.services.db)) == []


async def test_a_resident_in_a_group_is_refused(bot: TelegramHarness) -> None:
    for command in EVERY_COMMAND:
        await attempt(
            bot, command, bot.send(command, chat=bot.GROUP), actor=None, expect=RESIDENT_REFUSED
        )


async def test_staff_commands_work_only_in_a_private_chat(bot: TelegramHarness) -> None:
    for command in EVERY_COMMAND:
        await attempt(
            bot,
            command,
            bot.send(command, user=bot.ADMIN, chat=bot.GROUP),
            actor=bot.ADMIN,
            expect=("privégesprek",),
        )
    await attempt(
        bot,
        "agent",
        bot.send("/spreekuren_beheer", user=AGENT, chat=bot.GROUP),
        actor=AGENT,
        expect=("privégesprek",),
    )


async def test_an_edited_command_is_not_carried_out(bot: TelegramHarness) -> None:
    for command in EVERY_COMMAND:
        await attempt(
            bot, command, bot.send(command, edited=True), actor=None, expect=RESIDENT_REFUSED
        )
        await attempt(
            bot,
            command,
            bot.send(command, user=bot.ADMIN, edited=True),
            actor=bot.ADMIN,
            expect=("bewerkt",),
        )
    for command in (f"/spreekuur_nieuw {OTHER_LINE}", "/spreekuur_annuleer 1 alles"):
        await attempt(
            bot,
            command,
            bot.send(command, user=AGENT, edited=True),
            actor=AGENT,
            expect=("bewerkt",),
        )


async def test_a_forwarded_command_is_not_carried_out(bot: TelegramHarness) -> None:
    for command in EVERY_COMMAND:
        # a resident forwards what an admin once sent
        sent = bot.send_message(user=RESIDENT, **forwarded(command, bot.ADMIN))
        await attempt(bot, command, sent, actor=None, expect=RESIDENT_REFUSED)
        # an admin forwards what a resident wrote: it is not the admin's command
        sent = bot.send_message(user=bot.ADMIN, **forwarded(command, RESIDENT))
        await attempt(bot, command, sent, actor=bot.ADMIN, expect=("doorgestuurd",))


async def test_my_id_is_for_everyone_and_keeps_nothing(bot: TelegramHarness) -> None:
    before = await snapshot(bot.services.db)
    for chat in (None, bot.GROUP):
        replies = await bot.send("/mijn_id", chat=chat)
        assert str(RESIDENT) in replies.text
    after = await snapshot(bot.services.db)
    assert after == before and holds(after, RESIDENT) == []


# -- buttons with forged callback data ----------------------------------------------------------

STAFF_BUTTONS = (
    "spa:y:1:all",
    "spa:y:1:20261203",
    "spa:c:1:all",
    "spa:c:1:20261203",
    "spa:p:1",
    "spa:n",
    "spa:y:2:all",
    "spa:p:2",
    "spn:area:noord-oost",
    "spn:ok",
    "spn:nonote",
    "spn:stop",
    "spw:id:1",
    "spw:f:place",
    "spw:ok",
    "spw:stop",
)
MALFORMED = (
    "spa:y:abc:all",
    "spa:y:-1:all",
    "spa:y:99999999999999999999:all",
    "spa:y:1:2026",
    "spa:y:1:20261399",
    "spa:c:1:../../x",
    "spa:y:²:all",
    "spa:p:١",
    "spa:",
    "spa:y",
    "spa:y::",
    "spn:area:",
    "spn:area:x" + "-" * 50,
    "spw:id:",
    "spw:f:",
    "spw:id:1:2",
)
JUNK = (
    "spa",
    "x" * 64,
    "é" * 32,
    "sp:../../etc/passwd",
    "sp:",
    "o:",
    "o:" + "a" * 62,
    "fb:2:x",
    "fb:1:",
    "lang:de",
    "wis:later",
    "area:tell",
    "bu:",
    "\u202espa:y:1:all",
    "spa:y:1:all\x00",
    "<b>",
    "' OR 1=1 --",
    "{}",
    "🙂" * 16,
)


async def test_a_resident_pressing_staff_buttons_is_refused(bot: TelegramHarness) -> None:
    for data in STAFF_BUTTONS + MALFORMED:
        await attempt(bot, data, bot.click(data), actor=None, expect=BUTTON_REFUSED)


async def test_staff_pressing_other_areas_buttons_are_refused(bot: TelegramHarness) -> None:
    for data in ("spa:y:1:all", "spa:y:1:20261203", "spa:c:1:all", "spa:p:1"):
        await attempt(
            bot,
            data,
            bot.click(data, user=HANDHAVER),
            actor=HANDHAVER,
            expect=("niet voor noord-oost",),
            leaks=("Limmel",),
        )
    await bot.send("/spreekuur_wijzig", user=HANDHAVER)  # in the conversation, a forged pick
    await attempt(
        bot,
        "spw:id:1",
        bot.click("spw:id:1", user=HANDHAVER),
        actor=HANDHAVER,
        expect=("niet voor noord-oost",),
        leaks=("Limmel",),
    )
    await bot.send("/spreekuur_nieuw", user=HANDHAVER)  # a forged area
    await attempt(
        bot,
        "spn:area:noord-oost",
        bot.click("spn:area:noord-oost", user=HANDHAVER),
        actor=HANDHAVER,
        expect=("niet voor noord-oost",),
    )


async def test_someone_elses_buttons_in_a_group(bot: TelegramHarness) -> None:
    """A staff member's buttons, pressed by a resident in the same group."""
    for data in ("spa:y:1:all", "spa:c:1:all", "spn:ok", "spw:ok"):
        await attempt(bot, data, bot.click(data, chat=bot.GROUP), actor=None, expect=BUTTON_REFUSED)


async def test_junk_buttons_change_nothing(bot: TelegramHarness) -> None:
    for user in (RESIDENT, AGENT):
        for data in JUNK + MALFORMED:
            before = await snapshot(bot.services.db)
            replies = await bot.click(data, user=user)
            after = await snapshot(bot.services.db)
            assert changed_tables(before, after) == [], data
            assert len(replies.of("answerCallbackQuery")) == 1, data
            told = replies.text + " ".join(str(a.get("text", "")) for a in replies.alerts)
            assert told.strip(), f"{data!r}: no answer"
            assert "Limmel" not in told and "Heer" not in told, data


async def test_staff_mistyped_numbers_are_answered(bot: TelegramHarness) -> None:
    for command in (
        "/spreekuur_annuleer 99999999999999999999 alles",
        "/spreekuur_wijzig 99999999999999999999 plek X",
        "/spreekuur_annuleer ² alles",
        "/spreekuur_annuleer ١ alles",
    ):
        before = await snapshot(bot.services.db)
        replies = await bot.send(command, user=AGENT)
        assert replies.texts and "✅" not in replies.text, command
        assert changed_tables(before, await snapshot(bot.services.db)) == [], command
    for command in (
        f"/staff_toevoegen {'9' * 20} noord-oost",
        f"/staff_verwijderen {'9' * 20}",
        "/staff_toevoegen ١٢ noord-oost",
    ):
        before = await snapshot(bot.services.db)
        replies = await bot.send(command, user=bot.ADMIN)
        assert "geen Telegram-gebruikersnummer" in replies.text, command
        assert changed_tables(before, await snapshot(bot.services.db)) == [], command


# -- the webhook ----------------------------------------------------------------------------------

SECRET = "Geheim_webhook-42"


@pytest.fixture
async def webhook_bot(
    fake_api: FakeBotAPI, bot_settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, Services, FakeBotAPI]]:
    """The real bot in webhook mode behind the HTTP service, and a client for the service."""
    settings = dataclasses.replace(
        bot_settings, webhook_url="https://meldwijzer.example.org/tg/hook", webhook_secret=SECRET
    )
    services = await open_services(settings, packaged_router())
    app = build_application(settings, services, timeout=2.0)
    services.clock = lambda: NOW
    await runner.start(app, settings, serve_webhook=False)
    transport = httpx.ASGITransport(
        create_app(services, telegram_app=app), client=("149.154.167.220", 443)
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, services, fake_api
    finally:
        await runner.stop(app)
        await services.close()


def admin_update(api: FakeBotAPI, text: str) -> dict[str, Any]:
    """An update with a command from the admin, as Telegram would deliver it."""
    return {
        "update_id": api.new_update_id(),
        "message": {
            "message_id": api.next_message_id(777),
            "date": int(time.time()),
            "chat": {"id": 777, "type": "private", "first_name": "Beheer"},
            "from": {"id": 777, "is_bot": False, "first_name": "Beheer", "language_code": "nl"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_the_webhook_refuses_a_wrong_or_missing_secret(webhook_bot: Any) -> None:
    client, services, api = webhook_bot
    before = await snapshot(services.db)
    sent_before = len(api.of("sendMessage"))
    wrong: list[dict[str, str] | list[tuple[str, str]]] = [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET.lower()},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": f" {SECRET} x"},
        {"X-Telegram-Bot-Api-Secret": SECRET},
        {"Authorization": f"Bearer {SECRET}"},
        [("X-Telegram-Bot-Api-Secret-Token", "wrong"), ("X-Telegram-Bot-Api-Secret-Token", SECRET)],
        # non-ASCII secrets: a 403 like any wrong one (was a 500 and an ERROR line)
        [("X-Telegram-Bot-Api-Secret-Token", "g\xe9heim".encode("latin-1"))],  # type: ignore[list-item]
        [("X-Telegram-Bot-Api-Secret-Token", SECRET.encode() + "é".encode())],  # type: ignore[list-item]
    ]
    for headers in wrong:
        update = admin_update(api, f"/staff_toevoegen {RESIDENT} noord-oost")
        response = await client.post("/tg/hook", json=update, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["error"] == "forbidden"
    in_query = await client.post(
        f"/tg/hook?secret_token={SECRET}", json=admin_update(api, "/staff_lijst")
    )
    assert in_query.status_code == 403
    await asyncio.sleep(0.3)  # anything wrongly queued would have been handled by now
    assert changed_tables(before, await snapshot(services.db)) == []
    assert len(api.of("sendMessage")) == sent_before
    # the same update with the secret is taken, so the refusals above were the secret's doing
    right = await client.post(
        "/tg/hook",
        json=admin_update(api, "/staff_lijst"),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert right.status_code == 200
    await api.wait_for(lambda: len(api.of("sendMessage")) > sent_before)


async def test_the_webhook_refuses_oversized_and_malformed_bodies(webhook_bot: Any) -> None:
    client, services, _ = webhook_bot
    before = await snapshot(services.db)
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
    huge = json.dumps({"update_id": 1, "junk": "x" * (1 << 20)}).encode()
    for headers in (good, {"content-type": "application/json"}):
        assert (await client.post("/tg/hook", content=huge, headers=headers)).status_code == 413
    cases = {
        b"": 400,
        b"{": 400,
        b"\xff\xfe": 400,
        b"[" * 5000: 400,
        b"[]": 422,
        b"null": 422,
        b'{"update_id": "1"}': 422,
        b'{"update_id": 1.5}': 422,
        b'{"update_id": null}': 422,
        b'{"update_id": 1, "message": "x"}': 422,
        b'{"update_id": 2, "message": []}': 422,
        b'{"update_id": 3, "callback_query": {"id": 5}}': 422,
    }
    for body, status in cases.items():
        response = await client.post("/tg/hook", content=body, headers=good)
        assert response.status_code == status, (body[:40], response.status_code)
    await asyncio.sleep(0.2)
    assert changed_tables(before, await snapshot(services.db)) == []


# -- the HTTP service -----------------------------------------------------------------------------


async def _web_services(tmp_path: Path, **changes: Any) -> Services:
    settings = dataclasses.replace(Settings(db_path=tmp_path / "web.sqlite3"), **changes)
    return await open_services(settings, packaged_router())


def web_client(app: Any, address: str = "198.51.100.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app, client=(address, 5000)), base_url="http://testserver"
    )


async def test_the_api_refuses_oversized_and_malformed_bodies(tmp_path: Path) -> None:
    services = await _web_services(tmp_path, rate_limit_per_minute=0)
    json_type = {"content-type": "application/json"}
    cases: list[tuple[bytes, dict[str, str], int]] = [
        (json.dumps({"text": "x" * 20_000}).encode(), json_type, 413),
        (b" " * 16_385, json_type, 413),
        (b"", json_type, 400),
        (b"{", json_type, 400),
        (b"\xff\xfe\x00", json_type, 400),
        (b"[" * 10_000, json_type, 400),
        (b'{"text": ' + b"[" * 5_000 + b"}", json_type, 400),
        (b'{"text": ' + b"1" * 5_000 + b"}", json_type, 400),
        (b'{"text": NaN}', json_type, 422),
        (b'{"text": 1e999}', json_type, 422),
        (b'{"text": null}', json_type, 422),
        (b'{"text": ["brand"]}', json_type, 422),
        (b'{"text": "brand", "text": 5}', json_type, 422),
        (b'{"text": "\\ud800 brand"}', json_type, 200),  # valid JSON: a lone surrogate is answered
        (b'"brand"', json_type, 422),
        (b'{"text": "brand", "__proto__": {}}', json_type, 422),
        (b'{"situation": "\' OR 1=1 --"}', json_type, 422),
        (b'{"text": "brand"}', {"content-type": "text/plain"}, 415),
    ]
    try:
        async with web_client(create_app(services)) as client:
            for body, headers, status in cases:
                response = await client.post("/api/route", content=body, headers=headers)
                assert response.status_code == status, (body[:40], response.status_code)
                assert status == 200 or response.json()["error"], body[:40]
            still = await client.post("/api/route", json={"text": "er is nu brand in mijn keuken"})
            assert still.status_code == 200 and still.json()["emergency"] is True
    finally:
        await services.close()


async def test_the_rate_limit_holds_under_a_burst(tmp_path: Path) -> None:
    services = await _web_services(tmp_path, rate_limit_per_minute=10)
    app = create_app(services)
    try:
        async with web_client(app) as one, web_client(app, "198.51.100.8") as two:
            burst = await asyncio.gather(
                *(
                    one.post(
                        "/api/route",
                        json={"text": "hallo"},
                        headers={"X-Forwarded-For": f"10.0.0.{n}"},
                    )  # not a trusted proxy
                    for n in range(40)
                )
            )
            statuses = sorted(r.status_code for r in burst)
            assert statuses.count(200) == 10 and statuses.count(429) == 30
            limited = [r for r in burst if r.status_code == 429]
            assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
            assert (await one.get("/spreekuren/noord-oost.ics")).status_code == 429
            assert (await one.get("/api/area", params={"q": "6221"})).status_code == 429
            assert (await two.get("/api/channels")).status_code == 200  # another client
            assert (await one.get("/healthz")).status_code == 200  # never limited
    finally:
        await services.close()


async def test_a_refusal_on_the_side_keeps_the_conversation(bot: TelegramHarness) -> None:
    """Staff half-way a guided publish try an admin command and another area's button."""
    await bot.send("/spreekuur_nieuw", user=AGENT)
    await bot.send("17-12-2026", user=AGENT)
    await attempt(
        bot,
        "admin",
        bot.send("/staff_lijst", user=AGENT),
        actor=AGENT,
        expect=("alleen beheerders",),
    )
    await attempt(
        bot,
        "button",
        bot.click("spa:y:2:all", user=AGENT),
        actor=AGENT,
        expect=("niet voor zuid-oost",),
    )
    assert "Waar?" in (await bot.send("14:00-15:30", user=AGENT)).text
    note = await bot.send("Wijkhuis Limmel", user=AGENT)
    preview = await bot.click(note.button("Geen toelichting")["callback_data"], user=AGENT)
    done = await bot.click(preview.button("Publiceren")["callback_data"], user=AGENT)
    assert "✅ Gepubliceerd: #3" in done.text


async def test_staff_removed_half_way_cannot_finish(bot: TelegramHarness) -> None:
    """The admin removes the agent while the agent's publish and edit wait for confirmation."""
    await bot.send("/spreekuur_nieuw", user=AGENT)
    for answer in ("17-12-2026", "14:00-15:30", "Wijkhuis Limmel"):
        note = await bot.send(answer, user=AGENT)
    preview = await bot.click(note.button("Geen toelichting")["callback_data"], user=AGENT)
    await bot.send(f"/staff_toevoegen {AGENT} zuid-oost", user=bot.ADMIN)  # moved elsewhere
    await attempt(
        bot,
        "publish",
        bot.click(preview.button("Publiceren")["callback_data"], user=AGENT),
        actor=AGENT,
        expect=("niet voor noord-oost",),
    )
    await bot.send(f"/staff_toevoegen {AGENT} noord-oost", user=bot.ADMIN)
    await bot.send("/spreekuur_wijzig 1 plek", user=AGENT)
    confirm = await bot.send("Buurthuis Nazareth", user=AGENT)
    await bot.send(f"/staff_verwijderen {AGENT}", user=bot.ADMIN)  # no longer staff at all
    await attempt(
        bot,
        "edit",
        bot.click(confirm.button("Opslaan")["callback_data"], user=AGENT),
        actor=None,
        expect=NOT_STAFF,
    )
