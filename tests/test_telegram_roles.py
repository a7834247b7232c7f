"""Each role's command menu and /help list exactly what that role may do, in its language.

Residents see the resident commands; staff also theirs (publishing, /stats, /mijn_id); admins
(MELDWIJZER_ADMINS) everything, staff administration included. Checked through the fake Bot API:
the setMyCommands of each scope at start-up and when staff are added or removed, the /help text
of each role, and that every command in a staff member's menu works for them.
"""

from __future__ import annotations

import re

import pytest
from conftest import TelegramHarness
from fakebotapi import FakeBotAPI, text_update
from spreekuren_support import AGENT, HANDHAVER, NOW

from bot.config import Settings
from bot.services import Services
from bot.staff import StaffDirectory
from bot.telegram import runner
from bot.telegram.app import build_application

ADMIN = 777
RESIDENT_MENU = ["start", "help", "gebied", "spreekuren", "taal", "privacy", "wis", "stop"]
STAFF_ONLY = [
    "spreekuur_nieuw",
    "spreekuur_wijzig",
    "spreekuur_annuleer",
    "spreekuren_beheer",
    "mijn_id",
    "stats",
]
ADMIN_ONLY = ["staff_toevoegen", "staff_verwijderen", "staff_lijst"]
STAFF_MENU = RESIDENT_MENU + STAFF_ONLY
ADMIN_MENU = STAFF_MENU + ADMIN_ONLY
REFUSALS = ("alleen voor medewerkers", "alleen beheerders", "is alleen")


def menus(api: FakeBotAPI) -> dict[tuple[str, int | None, str | None], list[dict[str, str]]]:
    """The last menu set per (scope type, chat id, language), deleted ones left out."""
    found: dict[tuple[str, int | None, str | None], list[dict[str, str]]] = {}
    for call in api.calls:
        if call.outcome != "ok" or call.method not in ("setMyCommands", "deleteMyCommands"):
            continue
        scope = call.params.get("scope") or {"type": "default"}
        key = (scope["type"], scope.get("chat_id"), call.params.get("language_code"))
        if call.method == "setMyCommands":
            found[key] = call.params["commands"]
        else:
            found.pop(key, None)
    return found


def names(commands: list[dict[str, str]]) -> list[str]:
    return [c["command"] for c in commands]


def listed(help_text: str) -> set[str]:
    """The commands a /help text names at the start of a line ('/name: what it does')."""
    return set(re.findall(r"^/([a-z_]+)\b", help_text, flags=re.MULTILINE))


async def test_every_role_gets_its_menu_at_start_up(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> None:
    staff = StaffDirectory(services.db, bot_settings.admins, services.areas)
    await staff.add(ADMIN, AGENT, ["noord-oost"], NOW)
    await staff.add(ADMIN, ADMIN, ["zuid-oost"], NOW)  # an admin who is also staff: admin menu
    app = build_application(bot_settings, services, timeout=2.0)
    await runner.start(app, bot_settings)
    try:
        fake_api.push_update(text_update(fake_api, 5001, "/start"))
        await fake_api.wait_for(lambda: fake_api.of("sendMessage"))
    finally:
        await runner.stop(app)
    found = menus(fake_api)
    for code in ("nl", None):
        assert names(found[("default", None, code)]) == RESIDENT_MENU
        assert names(found[("chat", AGENT, code)]) == STAFF_MENU
        assert names(found[("chat", ADMIN, code)]) == ADMIN_MENU
    scopes = (("default", None), ("chat", AGENT), ("chat", ADMIN))
    assert set(found) == {(s, c, code) for s, c in scopes for code in ("nl", None)}
    dutch = {c["command"]: c["description"] for c in found[("chat", ADMIN, "nl")]}
    english = {c["command"]: c["description"] for c in found[("chat", ADMIN, None)]}
    assert dutch["spreekuur_nieuw"] == "Nieuw spreekuur publiceren"
    assert english["spreekuur_nieuw"] != dutch["spreekuur_nieuw"]
    assert all(english[n] != dutch[n] for n in ("stats", "staff_toevoegen", "mijn_id"))


@pytest.fixture
async def bot(telegram: TelegramHarness) -> TelegramHarness:
    telegram.services.clock = lambda: NOW
    return telegram


async def test_adding_and_removing_staff_changes_their_menu(bot: TelegramHarness) -> None:
    await bot.send(f"/staff_toevoegen {AGENT} noord-oost", user=ADMIN)
    assert names(menus(bot.api)[("chat", AGENT, "nl")]) == STAFF_MENU
    assert names(menus(bot.api)[("chat", AGENT, None)]) == STAFF_MENU
    await bot.send(f"/staff_toevoegen {ADMIN} noord-oost", user=ADMIN)  # the admin stays admin
    assert names(menus(bot.api)[("chat", ADMIN, "nl")]) == ADMIN_MENU
    await bot.send(f"/staff_verwijderen {AGENT}", user=ADMIN)
    await bot.send(f"/staff_verwijderen {ADMIN}", user=ADMIN)
    found = menus(bot.api)
    assert ("chat", AGENT, "nl") not in found and ("chat", AGENT, None) not in found
    assert names(found[("chat", ADMIN, None)]) == ADMIN_MENU


@pytest.mark.parametrize(
    ("lang", "staff_heading", "admin_heading"),
    [("nl", "Voor medewerkers", "Voor beheerders"), ("en", "For staff", "For admins")],
)
async def test_help_lists_what_each_role_may_do(
    bot: TelegramHarness, lang: str, staff_heading: str, admin_heading: str
) -> None:
    await bot.send(f"/staff_toevoegen {AGENT} noord-oost", user=ADMIN)
    resident = (await bot.send("/help", lang=lang)).text
    staff = (await bot.send("/help", user=AGENT, lang=lang)).text
    admin = (await bot.send("/help", user=ADMIN, lang=lang)).text
    for command in ("gebied", "spreekuren", "taal", "privacy", "wis", "stop"):
        assert f"/{command}" in resident and f"/{command}" in staff and f"/{command}" in admin
    assert listed(resident) >= {"gebied", "spreekuren", "taal", "privacy", "wis", "stop"}
    assert not listed(resident) & set(STAFF_ONLY + ADMIN_ONLY)
    assert staff_heading not in resident and admin_heading not in resident
    assert staff_heading in staff and admin_heading not in staff
    assert listed(staff) - listed(resident) == {*STAFF_ONLY, "afbreken"}
    assert staff_heading in admin and admin_heading in admin
    assert listed(admin) - listed(resident) == {*STAFF_ONLY, *ADMIN_ONLY, "afbreken"}
    menu = {c["command"]: c["description"] for c in menus(bot.api)[("chat", AGENT, "nl")]}
    if lang == "nl":  # the same one-line descriptions as the menu
        assert f"/spreekuur_nieuw: {menu['spreekuur_nieuw']}" in admin


async def test_help_in_a_group_shows_only_what_works_there(bot: TelegramHarness) -> None:
    replies = await bot.send("/help", user=ADMIN, chat=bot.GROUP)
    assert "/gebied" in replies.text
    assert not listed(replies.text) & set(STAFF_ONLY + ADMIN_ONLY)


async def test_every_command_in_a_menu_works_for_that_role(bot: TelegramHarness) -> None:
    """Nothing in a staff member's menu refuses them; what only admins see refuses them."""
    await bot.send(f"/staff_toevoegen {AGENT} noord-oost", user=ADMIN)
    await bot.send(f"/staff_toevoegen {HANDHAVER} zuid-oost", user=ADMIN)
    staff_menu = names(menus(bot.api)[("chat", AGENT, "nl")])
    for command in staff_menu:
        told = (await bot.send(f"/{command}", user=AGENT)).text
        assert not any(r in told for r in REFUSALS), (command, told)
        await bot.send("/afbreken", user=AGENT)  # leave a conversation it may have started
    for command in set(ADMIN_MENU) - set(staff_menu):
        told = (await bot.send(f"/{command}", user=AGENT)).text
        assert "alleen beheerders" in told, command
    for command in set(ADMIN_MENU):
        told = (await bot.send(f"/{command}", user=ADMIN)).text
        assert not any(r in told for r in REFUSALS), (command, told)
        await bot.send("/afbreken", user=ADMIN)
