"""Spreekuren through the real bot and the fake Bot API: admins, staff, residents.

The guided and the one-line flow, repeats, cancel, edit, refusals (non-staff, staff outside
their area, non-admins), every bad input answered with nothing stored, the audit log, the area
card, 50 concurrent publishes, and a restart that loses nothing. The bot's clock is fixed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from areas_support import other_areas
from conftest import Replies, TelegramHarness
from engines import both_engines
from fakebotapi import FakeBotAPI
from packaged import packaged_router
from spreekuren_support import AGENT, HANDHAVER, LINE, NOW, WEEKLY

from bot.config import Settings
from bot.i18n import t
from bot.services import open_services
from bot.staff import StaffDirectory, audit_log
from bot.telegram.app import build_application

pytestmark = both_engines

PUBLISHED = (
    "✅ Gepubliceerd: #1 Noord-Oost: donderdag 3 december, 14.00–15.30 uur, "
    "Buurtcentrum Limmel (wijkagent en handhaver)"
)


@pytest.fixture
async def bot(telegram: TelegramHarness) -> TelegramHarness:
    """The bot at NOW, with an agent for noord-oost and a handhaver for zuid-oost + noord-west."""
    telegram.services.clock = lambda: NOW
    added = await telegram.send(
        f"/staff_toevoegen {AGENT} noord-oost Wijkagent Limmel", user=telegram.ADMIN
    )
    assert "✅ Wijkagent Limmel (55) publiceert nu spreekuren voor: Noord-Oost." in added.text
    await telegram.send(f"/staff_toevoegen {HANDHAVER} zuid-oost,noord-west", user=telegram.ADMIN)
    return telegram


async def rows(bot: TelegramHarness, table: str) -> list[dict[str, Any]]:
    """Every row of TABLE in the order of its first column (PostgreSQL has no other order)."""
    found = await bot.services.db.fetchall(f"SELECT * FROM {table} ORDER BY 1")
    return [dict(r) for r in found]


async def step(bot: TelegramHarness, text: str, user: int = AGENT) -> Replies:
    return await bot.send(text, user=user)


async def press(bot: TelegramHarness, replies: Replies, label: str, user: int = AGENT) -> Replies:
    found = replies.button(label)
    return await bot.click(found["callback_data"], on=replies.messages[-1], user=user)


# -- admins -----------------------------------------------------------------------------------


async def test_admin_manages_staff(bot: TelegramHarness) -> None:
    scopes = [c.params.get("scope") for c in bot.api.of("setMyCommands")]
    assert {"type": "chat", "chat_id": AGENT} in scopes  # the staff menu in their chat
    listing = await bot.send("/staff_lijst", user=bot.ADMIN)
    assert "• Wijkagent Limmel (55): Noord-Oost" in listing.text
    assert "• - (56): Zuid-Oost, Noord-West" in listing.text
    removed = await bot.send(f"/staff_verwijderen {HANDHAVER}", user=bot.ADMIN)
    assert "Medewerker 56 is verwijderd" in removed.text and removed.of("deleteMyCommands")
    again = await bot.send(f"/staff_verwijderen {HANDHAVER}", user=bot.ADMIN)
    assert "56 is geen medewerker" in again.text
    log = [(e.actor, e.action, e.target) for e in reversed(await audit_log(bot.services.db))]
    assert log == [
        (bot.ADMIN, "staff.add", "55"),
        (bot.ADMIN, "staff.add", "56"),
        (bot.ADMIN, "staff.remove", "56"),
    ]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/staff_toevoegen", "/staff_toevoegen <gebruikersnummer> <gebied[,gebied]> [naam]"),
        ("/staff_toevoegen 55", "/staff_toevoegen <gebruikersnummer>"),
        ("/staff_toevoegen abc noord-oost", "'abc' is geen Telegram-gebruikersnummer"),
        ("/staff_toevoegen 57 noord", "Het gebied 'noord' ken ik niet"),
        ("/staff_verwijderen", "/staff_verwijderen <gebruikersnummer>"),
        ("/staff_verwijderen -3", "'-3' is geen Telegram-gebruikersnummer"),
    ],
)
async def test_admin_mistakes(bot: TelegramHarness, text: str, answer: str) -> None:
    replies = await bot.send(text, user=bot.ADMIN)
    assert answer in replies.text
    assert len(await rows(bot, "staff")) == 2


async def test_my_id(bot: TelegramHarness) -> None:
    replies = await bot.send("/mijn_id", user=4343, lang="en")
    assert "Your Telegram user id is 4343" in replies.text


# -- refusals ---------------------------------------------------------------------------------

STAFF_COMMANDS = [
    "/spreekuur_nieuw",
    f"/spreekuur_nieuw {LINE}",
    "/spreekuur_wijzig",
    "/spreekuur_wijzig 1",
    "/spreekuur_wijzig 1 plek Elders",
    "/spreekuur_annuleer",
    "/spreekuur_annuleer 1 alles",
    "/spreekuren_beheer",
]


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_residents_are_refused_politely(bot: TelegramHarness, command: str) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    before = await rows(bot, "spreekuren")
    replies = await bot.send(command)
    assert replies.texts == [
        "Sorry, dit is alleen voor medewerkers van THOR en politie die spreekuren publiceren. "
        "Zoek je een spreekuur bij jou in de buurt? Typ /spreekuren."
    ]
    assert await rows(bot, "spreekuren") == before
    [entry, *_] = await audit_log(bot.services.db)
    assert (entry.actor, entry.allowed) == (None, False)
    assert all(bot.RESIDENT not in tuple(r.values()) for r in await rows(bot, "audit_log"))


@pytest.mark.parametrize(
    "command", ["/staff_toevoegen 4242 noord-oost", "/staff_verwijderen 55", "/staff_lijst"]
)
@pytest.mark.parametrize("user", [4242, AGENT])
async def test_only_admins_manage_staff(bot: TelegramHarness, command: str, user: int) -> None:
    replies = await bot.send(command, user=user)
    assert "alleen beheerders" in replies.text
    assert {r["user_id"] for r in await rows(bot, "staff")} == {AGENT, HANDHAVER}
    [entry, *_] = await audit_log(bot.services.db)
    assert entry.allowed is False and entry.actor == (AGENT if user == AGENT else None)


async def test_buttons_check_who_presses_them(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    for data in ("spa:y:1:all", "spa:p:1", "spa:c:1:20261203"):
        resident = await bot.click(data)
        assert "alleen voor medewerkers" in resident.text
        outsider = await bot.click(data, user=HANDHAVER)
        assert "niet voor noord-oost" in outsider.text
    assert [r["cancelled_at"] for r in await rows(bot, "spreekuren")] == [None]
    refused = [e for e in await audit_log(bot.services.db) if not e.allowed]
    assert {e.actor for e in refused} == {None, HANDHAVER}
    assert sum(e.attempts for e in refused) == 6  # counted in a line per person and minute


# -- publishing -------------------------------------------------------------------------------


async def test_the_one_line_form(bot: TelegramHarness) -> None:
    replies = await step(bot, f"/spreekuur_nieuw {LINE}")
    assert replies.texts == [PUBLISHED]
    [row] = await rows(bot, "spreekuren")
    assert (
        row["area"],
        row["first_date"],
        row["start_time"],
        row["end_time"],
        row["place"],
        row["note"],
        row["created_by"],
    ) == (
        "noord-oost",
        "2026-12-03",
        "14:00",
        "15:30",
        "Buurtcentrum Limmel",
        "wijkagent en handhaver",
        AGENT,
    )
    [entry, *_] = await audit_log(bot.services.db)
    assert (entry.actor, entry.action, entry.area, entry.at) == (
        AGENT,
        "spreekuur.create",
        "noord-oost",
        NOW,
    )


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("noord-oost 3-12-2025 14:00-15:30 Limmel", "is al voorbij"),
        ("noord-oost vandaag 08:00-09:00 Limmel", "is al voorbij"),
        ("noord-oost 3-12-2026 15:30-14:00 Limmel", "De eindtijd (14:00) ligt niet na"),
        ("noord 3-12-2026 14:00-15:30 Limmel", "Het gebied 'noord' ken ik niet"),
        ("zuid-oost 3-12-2026 14:00-15:30 Heer", "niet voor zuid-oost"),
        ("noord-oost 3-12-2026 14:00-15:30 " + "x" * 90, "De plek is te lang (90 tekens"),
        ("noord-oost 3-12-2026 14:00-15:30 Limmel | " + "x" * 250, "De toelichting is te lang"),
        ("noord-oost 31-11-2026 14:00-15:30 Limmel", "bestaat niet als datum"),
        ("noord-oost di 3 dec 14:00-15:30 Limmel", "valt op een donderdag, niet op een dinsdag"),
        ("noord-oost 3-12-2026 Limmel", "De tijd ontbreekt"),
        ("noord-oost elke woensdag 14:00-15:30 Limmel", "heeft een einddatum nodig"),
        ("noord-oost 3-12-2026 14:30-16:00 buurtcentrum limmel", "overlapt met spreekuur #1"),
    ],
)
async def test_one_line_mistakes_store_nothing(
    bot: TelegramHarness, line: str, answer: str
) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    replies = await step(bot, f"/spreekuur_nieuw {line}")
    assert answer in replies.text and "✅" not in replies.text
    assert len(await rows(bot, "spreekuren")) == 1


async def test_markup_is_kept_as_text_and_never_interpreted(bot: TelegramHarness) -> None:
    line = "noord-oost 3-12-2026 14:00-15:30 <b>Limmel</b> & co | <a href='x'>klik</a>"
    replies = await step(bot, f"/spreekuur_nieuw {line}")
    assert "<b>Limmel</b> & co (<a href='x'>klik</a>)" in replies.text
    assert "&lt;b&gt;Limmel&lt;/b&gt; &amp; co" in replies.messages[0]["text"]  # escaped HTML
    [row] = await rows(bot, "spreekuren")
    assert row["place"] == "<b>Limmel</b> & co"
    resident = await bot.send("/spreekuren noord-oost")
    assert "<b>Limmel</b> & co" in resident.text  # the fake API refused no HTML


async def test_the_guided_flow(bot: TelegramHarness) -> None:
    asked = await step(bot, "/spreekuur_nieuw")
    assert asked.text.startswith("Nieuw spreekuur in Noord-Oost. Wanneer?")
    assert "Tijd" not in asked.text and asked.button("Stoppen")
    assert "Hoe laat?" in (await step(bot, "di 1 dec")).text
    assert "Waar?" in (await step(bot, "14.00–15.30")).text
    note = await step(bot, "Buurtcentrum Limmel")
    preview = await press(bot, note, "Geen toelichting")
    assert "Noord-Oost: dinsdag 1 december, 14.00–15.30 uur, Buurtcentrum Limmel" in preview.text
    assert await rows(bot, "spreekuren") == []  # nothing before the confirmation
    done = await press(bot, preview, "Publiceren")
    assert done.text == (
        "✅ Gepubliceerd: #1 Noord-Oost: dinsdag 1 december, 14.00–15.30 uur, Buurtcentrum Limmel"
    )
    assert len(await rows(bot, "spreekuren")) == 1
    stale = await press(bot, preview, "Publiceren")  # the old button again: nothing happens
    assert "al voorbij" in stale.text and len(await rows(bot, "spreekuren")) == 1


async def test_the_guided_flow_with_areas_a_repeat_and_a_note(bot: TelegramHarness) -> None:
    asked = await step(bot, "/spreekuur_nieuw", user=HANDHAVER)
    assert asked.text == "Nieuw spreekuur. Voor welk gebied?"
    assert [b["text"] for b in asked.buttons()] == ["Zuid-Oost", "Noord-West", "✖️ Stoppen"]
    when = await press(bot, asked, "Zuid-Oost", user=HANDHAVER)
    assert "Nieuw spreekuur in Zuid-Oost" in when.text
    await step(bot, "elke eerste dinsdag van de maand t/m 30-6-2027", user=HANDHAVER)
    await step(bot, "9u30-11u", user=HANDHAVER)
    await step(bot, "Wijkhuis Heer", user=HANDHAVER)
    preview = await step(bot, "handhaver en wijkagent", user=HANDHAVER)
    assert (
        "Zuid-Oost: elke eerste dinsdag van de maand, 1 december t/m 30 juni 2027 (7×), "
        "09.30–11.00 uur, Wijkhuis Heer (handhaver en wijkagent)"
    ) in preview.text
    await press(bot, preview, "Publiceren", user=HANDHAVER)
    [row] = await rows(bot, "spreekuren")
    assert (row["area"], row["rule"], row["until_date"]) == (
        "zuid-oost",
        "monthly:1:1",
        "2027-06-30",
    )
    resident = await bot.send("/spreekuren Heer")
    assert "dinsdag 1 december, 09.30–11.00 uur, Wijkhuis Heer" in resident.text
    assert "dinsdag 5 januari 2027" in resident.text


async def test_an_area_button_of_another_area_is_refused(bot: TelegramHarness) -> None:
    await step(bot, "/spreekuur_nieuw", user=HANDHAVER)
    refused = await bot.click("spn:area:noord-oost", user=HANDHAVER)
    assert "niet voor noord-oost" in refused.text
    after = await step(bot, "3-12-2026", user=HANDHAVER)  # the conversation is over
    assert "Hoe laat?" not in after.text


async def test_guided_mistakes_keep_the_answers_so_far(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    await step(bot, "/spreekuur_nieuw")
    assert "bestaat niet als datum" in (await step(bot, "31-2")).text
    assert "lees ik niet als datum" in (await step(bot, "binnenkort")).text
    assert "Hoe laat?" in (await step(bot, "3-12-2026")).text
    assert "ligt niet na de begintijd" in (await step(bot, "15:30-14:00")).text
    assert "Waar?" in (await step(bot, "14:30-16:00")).text
    assert "De plek is te lang" in (await step(bot, "x" * 81)).text
    await step(bot, "Buurtcentrum Limmel")
    assert "De toelichting is te lang" in (await step(bot, "y" * 201)).text
    preview = await step(bot, "<i>kort</i>")
    assert "(<i>kort</i>)" in preview.text
    clash = await press(bot, preview, "Publiceren")
    assert "overlapt met spreekuur #1" in clash.text and "Hoe laat?" in clash.text
    assert "Waar?" in (await step(bot, "15:30-16:30")).text
    await step(bot, "Buurtcentrum Limmel")
    done = await press(bot, await step(bot, "-"), "Publiceren")
    assert "✅ Gepubliceerd: #2" in done.text
    assert len(await rows(bot, "spreekuren")) == 2


async def test_a_moment_past_goes_back_to_the_date(bot: TelegramHarness) -> None:
    await step(bot, "/spreekuur_nieuw")
    await step(bot, "vandaag")
    past = await step(bot, "08:00-09:00")
    assert "is al voorbij" in past.text and "Wanneer?" in past.text
    assert "Hoe laat?" in (await step(bot, "morgen")).text


@pytest.mark.parametrize("how", ["/afbreken", "/cancel", "button"])
async def test_stopping_stores_nothing(bot: TelegramHarness, how: str) -> None:
    asked = await step(bot, "/spreekuur_nieuw")
    await step(bot, "3-12-2026")
    stopped = await press(bot, asked, "Stoppen") if how == "button" else await step(bot, how)
    assert "Gestopt. Er is niets opgeslagen." in stopped.text
    after = await step(bot, "14:00-15:00")  # an ordinary message again, not a time
    assert "Waar?" not in after.text
    assert await rows(bot, "spreekuren") == []


# -- repeats, cancel, edit --------------------------------------------------------------------


async def test_a_repeat_and_cancelling_one_date_with_buttons(bot: TelegramHarness) -> None:
    published = await step(bot, f"/spreekuur_nieuw {WEEKLY}")
    assert "elke woensdag, 25 november t/m 30 december (6×)" in published.text
    picked = await step(bot, "/spreekuur_annuleer")
    dates = await press(bot, picked, "#1")
    assert [b["text"] for b in dates.buttons()][:2] == [
        "woensdag 25 november",
        "woensdag 2 december",
    ]
    sure = await press(bot, dates, "woensdag 2 december")
    assert "op woensdag 2 december annuleren?" in sure.text
    done = await press(bot, sure, "Ja, annuleren")
    assert "#1 op woensdag 2 december is geannuleerd" in done.text
    resident = await bot.send("/spreekuren noord-oost")
    lines = [line for line in resident.text.splitlines() if line.startswith("•")]
    assert lines[:3] == [
        "• woensdag 25 november, 10.00–11.00 uur, Wijkhuis",
        "• GEANNULEERD: woensdag 2 december, 10.00–11.00 uur, Wijkhuis",
        "• woensdag 9 december, 10.00–11.00 uur, Wijkhuis",
    ]
    typed = await step(bot, "/spreekuur_annuleer 1 9-12-2026")
    assert "#1 op woensdag 9 december is geannuleerd" in typed.text
    again = await step(bot, "/spreekuur_annuleer 1 9-12-2026")
    assert "was al geannuleerd" in again.text
    wrong = await step(bot, "/spreekuur_annuleer 1 10-12-2026")
    assert "valt niet op donderdag 10 december 2026" in wrong.text
    [row] = await rows(bot, "spreekuren")
    assert row["cancelled_at"] is None and len(await rows(bot, "spreekuur_cancellations")) == 2


async def test_cancelling_a_whole_spreekuur(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    sure = await step(bot, "/spreekuur_annuleer 1")
    assert "Spreekuur #1 annuleren?" in sure.text
    kept = await press(bot, sure, "Nee")
    assert "Niets geannuleerd." in kept.text
    done = await press(bot, sure, "Ja, annuleren")
    assert "#1 is geannuleerd" in done.text
    resident = await bot.send("/spreekuren noord-oost", lang="en")
    assert "• CANCELLED: Thursday 3 December, 14:00–15:30, Buurtcentrum Limmel" in resident.text
    assert "#1 is al geannuleerd" in (await step(bot, "/spreekuur_annuleer 1 alles")).text


async def test_editing_in_one_line_and_step_by_step(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    quick = await step(bot, "/spreekuur_wijzig 1 tijd 15:00-16:30")
    assert quick.text.startswith(
        "✅ Gewijzigd: #1 Noord-Oost: donderdag 3 december, 15.00–16.30 uur"
    )
    picked = await step(bot, "/spreekuur_wijzig")
    fields = await press(bot, picked, "#1")
    assert [b["text"] for b in fields.buttons()] == [
        "Datum of herhaling",
        "Tijd",
        "Plek",
        "Toelichting",
        "✖️ Stoppen",
    ]
    asked = await press(bot, fields, "Plek")
    assert "Typ de nieuwe plek." in asked.text
    preview = await step(bot, "Wijkhuis Limmel")
    assert "Nu:" in preview.text and "Wordt:" in preview.text and "Wijkhuis Limmel" in preview.text
    assert (await rows(bot, "spreekuren"))[0]["place"] == "Buurtcentrum Limmel"
    await press(bot, preview, "Opslaan")
    [row] = await rows(bot, "spreekuren")
    assert (row["place"], row["start_time"], row["revision"]) == ("Wijkhuis Limmel", "15:00", 2)
    edits = [e.detail for e in await audit_log(bot.services.db) if e.action == "spreekuur.edit"]
    assert edits == [
        {"place": ["Buurtcentrum Limmel", "Wijkhuis Limmel"]},
        {"end_time": ["15:30", "16:30"], "start_time": ["14:00", "15:00"]},
    ]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/spreekuur_wijzig 1 kleur blauw", "'kleur' kan ik niet wijzigen"),
        ("/spreekuur_wijzig abc", "'abc' is geen spreekuurnummer"),
        ("/spreekuur_wijzig 9 tijd 14:00-15:00", "Spreekuur #9 bestaat niet"),
        ("/spreekuur_wijzig 1 datum 1-1-2020", "is al voorbij"),
        ("/spreekuur_wijzig 1 tijd 16:00-15:00", "ligt niet na de begintijd"),
        ("/spreekuur_annuleer x", "'x' is geen spreekuurnummer"),
        ("/spreekuur_annuleer 1 gisteren", "lees ik niet als datum"),
    ],
)
async def test_edit_and_cancel_mistakes(bot: TelegramHarness, text: str, answer: str) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    replies = await step(bot, text)
    assert answer in replies.text
    [row] = await rows(bot, "spreekuren")
    assert (row["revision"], row["cancelled_at"]) == (0, None)


async def test_a_step_by_step_edit_refuses_a_bad_value_and_waits(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    await step(bot, "/spreekuur_nieuw noord-oost 3-12-2026 16:00-17:00 Buurtcentrum Limmel")
    asked = await step(bot, "/spreekuur_wijzig 1 tijd")
    assert "Typ de nieuwe tijd" in asked.text
    assert "ligt niet na de begintijd" in (await step(bot, "15:00-14:00")).text
    preview = await step(bot, "15:00-16:30")
    clash = await press(bot, preview, "Opslaan")
    assert "overlapt met spreekuur #2" in clash.text and "Typ de nieuwe tijd" in clash.text
    await press(bot, await step(bot, "14:00-15:00"), "Opslaan")
    assert (await rows(bot, "spreekuren"))[0]["end_time"] == "15:00"


async def test_staff_edit_only_their_own_areas(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    refused = await step(bot, "/spreekuur_wijzig 1 plek Elders", user=HANDHAVER)
    assert "niet voor noord-oost" in refused.text
    assert (await rows(bot, "spreekuren"))[0]["place"] == "Buurtcentrum Limmel"
    mine = await step(bot, "/spreekuur_wijzig", user=HANDHAVER)
    assert "geen spreekuren gepland in je gebied" in mine.text


async def test_the_staff_overview(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    await step(bot, f"/spreekuur_nieuw {WEEKLY}")
    await step(bot, "/spreekuur_nieuw zuid-oost 3-12-2026 10:00-11:00 Heer", user=HANDHAVER)
    overview = await step(bot, "/spreekuren_beheer")
    assert "#1 Noord-Oost: donderdag 3 december" in overview.text
    assert "#2 Noord-Oost: elke woensdag" in overview.text and "#3" not in overview.text
    assert "/spreekuur_wijzig <nr>" in overview.text
    everything = await bot.send("/spreekuren_beheer", user=bot.ADMIN)
    assert "#3 Zuid-Oost" in everything.text


async def test_the_bot_takes_its_areas_from_its_services(telegram: TelegramHarness) -> None:
    """Services with another area list than the packaged one: the staff commands, publishing
    and the residents' buttons all use it; no module-level list is reached instead."""
    services, admin = telegram.services, telegram.ADMIN
    services.clock = lambda: NOW
    services.areas = other_areas()
    services.staff = StaffDirectory(services.db, services.settings.admins, services.areas)
    usage = await telegram.send("/staff_toevoegen", user=admin)
    assert "Gebieden: noord-west, zuid-oost." in usage.text
    refused = await telegram.send(f"/staff_toevoegen {AGENT} noord-oost", user=admin)
    assert refused.texts == [
        "Het gebied 'noord-oost' ken ik niet. Kies uit: noord-west, zuid-oost."
    ]
    added = await telegram.send(f"/staff_toevoegen {AGENT} westkant", user=admin)
    assert "publiceert nu spreekuren voor: Maas-West." in added.text
    line = LINE.replace("noord-oost", "noord-west")
    published = await telegram.send(f"/spreekuur_nieuw {line}", user=AGENT)
    assert "✅ Gepubliceerd: #1 Maas-West: donderdag 3 december" in published.text
    ask = await telegram.send("/spreekuren")
    assert [b["text"] for b in ask.buttons()] == ["Maas-West", "Zuid-Oost"]
    listing = await telegram.click("sp:noord-west")
    assert "Spreekuren van THOR en politie in Maas-West:" in listing.text
    packaged = await telegram.click("sp:noord-oost")  # a packaged area, not one of these
    assert packaged.texts == [t("telegram.button_unknown", "nl")]


# -- residents --------------------------------------------------------------------------------


async def test_residents_by_postcode_buurt_and_stored_area(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    by_buurt = await bot.send("/spreekuren Wittevrouwenveld")
    assert by_buurt.texts[0].splitlines()[:2] == [
        "Spreekuren van THOR en politie in Noord-Oost:",
        "• donderdag 3 december, 14.00–15.30 uur, Buurtcentrum Limmel (wijkagent en handhaver)",
    ]
    split = await bot.send("/spreekuren 6224")
    assert "meer dan één gebied" in split.text
    # every candidate buurt, as /gebied offers them (Wyckerpoort, Wittevrouwenveld, Scharn)
    assert [b["callback_data"] for b in split.buttons()] == [
        "sp:noord-oost",
        "sp:noord-oost",
        "sp:zuid-oost",
    ]
    chosen = await bot.click("sp:noord-oost")
    assert "Buurtcentrum Limmel" in chosen.text and chosen.alerts
    none = await bot.send("/spreekuren Malberg")
    assert none.texts == [
        "Voor Noord-West staan er nu geen spreekuren gepland. Je kunt het team altijd bereiken: "
        "handhaving (THOR) via de gemeente, 14 043; je wijkagent via de politie, 0900-8844. "
        "Bij direct gevaar: 112."
    ]
    assert await rows(bot, "chat_settings") == []  # /spreekuren with a query stores nothing
    ask = await bot.send("/spreekuren")
    assert "Van welk gebied" in ask.text and len(ask.buttons()) == 4
    await bot.send("/gebied Wittevrouwenveld")
    stored = await bot.send("/spreekuren")
    assert "Buurtcentrum Limmel" in stored.text


async def test_residents_bad_queries(bot: TelegramHarness) -> None:
    outside = await bot.send("/spreekuren 1234 AB")
    assert "niet in een van de vier" in outside.text and len(outside.buttons()) == 4
    unknown = await bot.send("/spreekuren Atlantis")
    assert unknown.texts and len(unknown.buttons()) == 4
    forged = await bot.click("sp:atlantis")
    assert forged.alerts and forged.texts


async def test_the_area_card_shows_the_next_spreekuren(bot: TelegramHarness) -> None:
    await step(bot, f"/spreekuur_nieuw {WEEKLY}")
    card = await bot.send("/gebied Wittevrouwenveld")
    assert "woensdag 25 november, 10.00–11.00 uur, Wijkhuis" in card.text
    assert "woensdag 16 december" not in card.text  # three on the card, the rest behind the button
    listing = await press(bot, card, "Spreekuren", user=bot.RESIDENT)
    assert "woensdag 16 december" in listing.text


async def test_english_and_the_calendar_button(bot: TelegramHarness, monkeypatch) -> None:
    await step(bot, f"/spreekuur_nieuw {LINE}")
    monkeypatch.setattr(
        bot.services,
        "settings",
        Settings(**{**vars(bot.services.settings), "public_url": "https://meldwijzer.example"}),
    )
    replies = await bot.send("/spreekuren noord-oost", lang="en")
    assert replies.texts[0].startswith(
        "Drop-in hours (spreekuren) of THOR and the police in "
        "Noord-Oost:\n• Thursday 3 December, 14:00–15:30"
    )
    assert replies.button("calendar")["url"] == (
        "https://meldwijzer.example/spreekuren/noord-oost.ics"
    )


# -- many at once, and a restart --------------------------------------------------------------


async def test_fifty_concurrent_publishes_and_a_restart(
    fake_api: FakeBotAPI, bot_settings: Settings
) -> None:
    services = await open_services(bot_settings, packaged_router())
    app = build_application(bot_settings, services, timeout=5.0)
    harness = TelegramHarness(app, fake_api, services)
    services.clock = lambda: NOW
    async with app:
        await harness.send(f"/staff_toevoegen {AGENT} noord-oost", user=harness.ADMIN)
        await harness.send(f"/staff_toevoegen {HANDHAVER} noord-oost", user=harness.ADMIN)
        sent = await asyncio.gather(
            *(
                harness.send(
                    f"/spreekuur_nieuw noord-oost 1-12-2026 10:00-11:00 Wijkhuis {n}",
                    user=(AGENT, HANDHAVER, harness.ADMIN)[n % 3],
                )
                for n in range(50)
            )
        )
        assert all("✅ Gepubliceerd" in r.text for r in sent)
    await services.close()
    assert fake_api.rejected() == []

    # the bot restarts on the same database
    services = await open_services(bot_settings, packaged_router())
    app = build_application(bot_settings, services, timeout=5.0)
    harness = TelegramHarness(app, fake_api, services)
    services.clock = lambda: NOW
    try:
        async with app:
            listing = await harness.send("/spreekuren noord-oost")
            assert all(f"Wijkhuis {n}" in listing.text for n in range(50))
            overview = await harness.send("/spreekuren_beheer", user=AGENT)
            assert "#50" in overview.text
        creates = [
            e for e in await audit_log(services.db, limit=500) if e.action == "spreekuur.create"
        ]
        assert len(creates) == 50 and {e.actor for e in creates} == {
            AGENT,
            HANDHAVER,
            harness.ADMIN,
        }
        assert await services.db.integrity_check() == "ok"
    finally:
        await services.close()
