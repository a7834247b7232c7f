"""Answers that fit a phone (issue 13 §2), through the real doors, in Dutch and English.

The first message says what to do in a few lines: the channel, its number or link, when it is
open, one line why. What happens next, the other ways to reach it, the other channels and the
area team come on request: the "Meer" button in Telegram and on the page, "meer" in the console.
The 112 card is never split, and `meldwijzer route` and /api/route still give the whole card.
"""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pytest
from packaged import packaged_router

from bot.answers import build_card, render_text
from bot.chat import run_console
from bot.i18n import t
from bot.web import create_app

FIRST_MAX = 400  # visible characters of an everyday first message (Telegram, the page)
CONSOLE_MAX = 450  # the console's first message, its "typ 'meer'" line included

# Everyday messages, with the channel each goes to.
EVERYDAY = [
    ("nl", "er staan weer vuilniszakken naast de container", "melddesk"),
    ("nl", "mijn fiets is gestolen", "politie"),
    ("nl", "mijn buurman draait elke nacht harde muziek", "melddesk"),
    ("nl", "de straatlantaarn in mijn straat is kapot", "melddesk"),
    ("en", "there is a broken street light in my street", "melddesk"),
    ("en", "my neighbour plays loud music every night", "melddesk"),
    ("en", "my bike was stolen", "politie"),
]
EMERGENCIES = [
    ("nl", "er is brand in de keuken"),
    ("nl", "mijn partner slaat me"),
    ("en", "my neighbour is hitting his wife right now"),
]
MORE = "mr:"


def kaart() -> Any:
    return packaged_router().meldkaart


def expect_of(channel: str, lang: str) -> str:
    return str(kaart().channel(channel).expect.get(lang))


def whole_card(text: str, lang: str) -> Any:
    """The whole answer card of TEXT, as `meldwijzer route` builds it."""
    router = packaged_router()
    return build_card(router.route(text), router.meldkaart, lang)


# -- Telegram ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "text", "channel"), EVERYDAY)
async def test_telegram_first_message_is_short_and_the_details_come_on_request(
    telegram: Any, lang: str, text: str, channel: str
) -> None:
    replies = await telegram.send(text, lang=lang)
    assert len(replies.messages) == 1
    first = replies.texts[0]
    assert len(first) <= FIRST_MAX, first
    name = kaart().channel(channel).name.get(lang)
    assert replies.first_line == t("answer.report_to", lang, name=name)
    assert expect_of(channel, lang) not in first  # what happens next: on request
    assert first.strip().splitlines()[-1] == t("answer.reminder_112", lang)
    more = replies.button("ℹ️")
    assert more["text"] == t("telegram.more_button", lang)
    assert more["callback_data"].startswith(MORE)
    assert len(more["callback_data"].encode("utf-8")) <= 64

    answer = {**replies.messages[0], "message_id": 9001}
    shown = await telegram.click(more["callback_data"], on=answer, lang=lang)
    assert shown.alerts == [{"callback_query_id": shown.alerts[0]["callback_query_id"]}]
    [details] = shown.texts
    assert details.startswith(t("answer.details_heading", lang, name=name))
    assert expect_of(channel, lang) in details
    assert t("answer.area_hint", lang) in details
    assert shown.button("🏘")["callback_data"] == "area:ask"
    # the "Meer" button goes from the answer; 👍 / 👎 stay
    [edited] = shown.of("editMessageReplyMarkup")
    left = [b for row in edited.params["reply_markup"]["inline_keyboard"] for b in row]
    assert not any(b.get("callback_data", "").startswith(MORE) for b in left)
    assert any(b.get("callback_data", "").startswith("fb:") for b in left)

    again = await telegram.click(more["callback_data"], on=answer, lang=lang)
    assert again.messages == [] and not again.of("editMessageReplyMarkup")
    assert len(again.alerts) == 1 and "text" not in again.alerts[0]  # answered quietly


@pytest.mark.parametrize(("lang", "text"), EMERGENCIES)
async def test_telegram_112_card_is_whole_on_the_first_screen(
    telegram: Any, lang: str, text: str
) -> None:
    replies = await telegram.send(text, lang=lang)
    assert replies.first_line == t("answer.emergency_first_line", lang)
    shown = replies.text
    card = whole_card(text, lang)
    for block in [card.primary, *card.secondary]:
        assert block.expect in shown
        for contact in block.contacts:
            assert (contact.label or "") in shown
    assert "112NL" in shown
    assert not any(b.get("callback_data", "").startswith(MORE) for b in replies.buttons())


async def test_an_old_or_forged_more_button_is_refused_politely(telegram: Any) -> None:
    for data in ("mr:nl:0000:1", "mr:nl:zz:1", "mr:de:0000:1"):
        replies = await telegram.click(data)
        assert replies.messages == []
        assert replies.alerts[0]["show_alert"] is True
        assert t("telegram.button_unknown", "nl") == replies.alerts[0]["text"]


async def test_the_details_of_a_picked_option_come_on_request(telegram: Any) -> None:
    vague = await telegram.send("er is iets met mijn buren")
    option = next(b for b in vague.buttons() if b.get("callback_data") == "o:burenruzie")
    picked = await telegram.click(option["callback_data"], on=vague.messages[0])
    assert len(picked.texts[0]) <= FIRST_MAX
    more = picked.button("ℹ️")
    shown = await telegram.click(more["callback_data"], on=picked.messages[0])
    assert expect_of("buurtbemiddeling", "nl") in shown.text


def test_a_card_whose_button_would_not_fit_is_sent_whole() -> None:
    from dataclasses import replace

    from bot.answers import channel_block
    from bot.telegram.render import answer_reply

    card = whole_card(EVERYDAY[0][1], "nl")
    many = tuple(channel_block(c, "nl") for c in list(kaart().channels.values())[1:10])
    reply = answer_reply(replace(card, secondary=many), kaart())
    data = [b.callback_data for row in reply.keyboard.inline_keyboard for b in row]
    assert not any(str(d).startswith(MORE) for d in data) and "area:ask" in data
    assert expect_of("melddesk", "nl") in "".join(reply.texts)


# -- the web page's endpoint -------------------------------------------------------------------


async def chat(services: Any, text: str, lang: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/api/chat",
            json={"text": text, "lang": lang, "state": None},
            headers={"x-meldwijzer-door": "web"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["answer"])


async def route(services: Any, text: str, lang: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/api/route", json={"text": text, "lang": lang})
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.mark.parametrize(("lang", "text", "channel"), EVERYDAY)
async def test_the_page_gets_the_first_message_and_its_details_in_one_answer(
    services: Any, lang: str, text: str, channel: str
) -> None:
    answer = await chat(services, text, lang)
    assert answer["kind"] == "route"
    assert len(answer["first"]) <= FIRST_MAX
    card, details = answer["card"], answer["details"]
    assert card["primary"]["channel_id"] == channel
    assert card["primary"]["expect"] is None and len(card["primary"]["contacts"]) <= 2
    assert details["primary"]["expect"] == expect_of(channel, lang)
    assert details["area"] == t("answer.area_hint", lang)
    whole = whole_card(text, lang)
    assert len(details["primary"]["contacts"]) == len(whole.primary.contacts)
    assert answer["text"] == render_text(whole)  # the copy button copies the whole card


@pytest.mark.parametrize(("lang", "text"), [(lang, text) for lang, text, _ in EVERYDAY[:3]])
async def test_api_route_for_scripts_keeps_the_whole_card(
    services: Any, lang: str, text: str
) -> None:
    body = await route(services, text, lang)
    whole = whole_card(text, lang)
    assert body["text"] == render_text(whole)
    assert body["card"]["primary"]["expect"] == whole.primary.expect
    assert len(body["card"]["primary"]["contacts"]) == len(whole.primary.contacts)
    assert "details" not in body and "first" not in body


@pytest.mark.parametrize(("lang", "text"), EMERGENCIES)
async def test_the_page_gets_the_112_card_whole(services: Any, lang: str, text: str) -> None:
    answer = await chat(services, text, lang)
    assert answer["card"]["kind"] == "emergency" and answer["details"] is None
    scripted = await route(services, text, lang)
    assert answer["card"] == scripted["card"]
    assert answer["first"] == answer["text"] == scripted["text"]


# -- the console -------------------------------------------------------------------------------


class _Answers(io.StringIO):
    """The console's output, one entry per answer."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    def write(self, text: str) -> int:
        self.answers.append(text.strip())
        return len(text)


async def console(services: Any, lang: str, *lines: str) -> list[str]:
    out = _Answers()
    typed = "".join(f"{line}\n" for line in lines)
    assert await run_console(io.StringIO(typed), out, services, lang=lang) == 0
    return out.answers[1:]  # after the welcome


@pytest.mark.parametrize(("lang", "text", "channel"), EVERYDAY)
async def test_the_console_says_meer_and_shows_the_details(
    services: Any, lang: str, text: str, channel: str
) -> None:
    word = "meer" if lang == "nl" else "more"
    first, details = await console(services, lang, text, word)
    assert len(first) <= CONSOLE_MAX, first
    assert first.splitlines()[-1] == t("chat.more_hint", lang)
    assert expect_of(channel, lang) not in first
    assert expect_of(channel, lang) in details
    assert details.splitlines()[-1] == t("answer.area_hint", lang)


@pytest.mark.parametrize(("lang", "text"), EMERGENCIES)
async def test_the_console_shows_the_112_card_whole(services: Any, lang: str, text: str) -> None:
    [answer, more] = await console(services, lang, text, "meer")
    assert answer == render_text(whole_card(text, lang))
    assert t("chat.more_hint", lang) not in answer
    assert more == t("chat.no_details", lang)


async def test_meer_without_an_answer_before_is_not_a_buurt(services: Any) -> None:
    # "meer" once was looked up as the buurt Heer
    [answer] = await console(services, "nl", "meer")
    assert answer == t("chat.no_details", "nl")


def test_the_first_message_is_a_fraction_of_the_whole_card() -> None:
    from bot.answers import render_brief

    for lang, text, _ in EVERYDAY:
        card = whole_card(text, lang)
        assert len(render_brief(card)) * 2 < len(render_text(card)), text
    assert not re.search(r"\n\n\n", render_brief(whole_card(EVERYDAY[0][1], "nl")))
