"""The danger check runs in every state: an emergency gets the 112 card first, whatever the chat
was doing (a staff conversation waiting for a date, a question about the area), and the
conversation goes on after it as it was."""

from __future__ import annotations

import pytest
from conftest import TelegramHarness
from spreekuren_support import AGENT, NOW

from bot.i18n import t

FIRE = "er is brand in het buurthuis"
CALL_112 = t("answer.emergency_first_line", "nl")


async def test_an_emergency_half_way_a_staff_conversation_gets_112_and_the_date_still_counts(
    telegram: TelegramHarness,
) -> None:
    telegram.services.clock = lambda: NOW
    await telegram.send(f"/staff_toevoegen {AGENT} noord-oost", user=telegram.ADMIN)
    await telegram.send("/spreekuur_nieuw", user=AGENT)  # one area: it asks for the date
    fire = await telegram.send(FIRE, user=AGENT)
    assert fire.first_line == CALL_112
    assert "datum" not in fire.text  # not "I cannot read that as a date"
    after = await telegram.send("3-12-2026", user=AGENT)
    assert "Hoe laat?" in after.text  # the conversation went on where it was


async def test_an_emergency_after_the_area_question_gets_112_not_a_buurt_search(
    telegram: TelegramHarness,
) -> None:
    await telegram.click("area:ask")
    fire = await telegram.send("brand!")
    assert fire.first_line == CALL_112
    malberg = await telegram.send("Malberg")  # still asked: a buurt is taken as the answer
    assert "Noord-West" in malberg.first_line


async def test_a_text_is_routed_once_when_it_is_no_emergency(
    telegram: TelegramHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed: list[str] = []
    route = telegram.services.router.route

    def counting(text: str):  # type: ignore[no-untyped-def]
        routed.append(text)
        return route(text)

    monkeypatch.setattr(telegram.services.router, "route", counting)
    replies = await telegram.send("er staan weer vuilniszakken naast de container")
    assert replies.first_line.startswith("Meld dit bij")
    assert len(routed) == 1
