"""Wijk matters: the wijkteam button, postcodes, buurten, shared locations, /gebied, /spreekuren."""

from __future__ import annotations

import pytest
from engines import both_engines

from bot import chatsettings

pytestmark = both_engines


def _centroid(telegram, pc4: str) -> dict[str, float]:
    row = telegram.services.areas.knowledge.postcodes[pc4]
    return {"latitude": row.lat, "longitude": row.lon}


async def _area(telegram) -> str | None:
    return (await chatsettings.get(telegram.services.db, telegram.RESIDENT)).area


@pytest.mark.parametrize(("lang", "words"), [("nl", "postcode"), ("en", "postcode")])
async def test_the_wijkteam_button_asks_with_a_location_keyboard(telegram, lang, words) -> None:
    replies = await telegram.click("area:ask", lang=lang)
    assert replies.alerts == [{"callback_query_id": "1"}]
    assert words in replies.text
    keyboard = replies.messages[0]["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_a_buurt_after_the_question_gives_the_area_card(telegram, lang) -> None:
    await telegram.click("area:ask", lang=lang)
    replies = await telegram.send("Malberg", lang=lang)
    assert "Noord-West" in replies.text
    assert "14 043" in replies.text and "0900-8844" in replies.text
    assert replies.button("📅")["callback_data"] == "sp:noord-west"
    assert await _area(telegram) == "noord-west"
    # the location keyboard is taken away once the area is known
    assert any(m.get("reply_markup") == {"remove_keyboard": True} for m in replies.messages)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_a_shared_location_gives_the_area_and_is_not_kept(telegram, lang) -> None:
    await telegram.click("area:ask", lang=lang)
    replies = await telegram.send_message(lang=lang, location=_centroid(telegram, "6222"))
    assert "Noord-Oost" in replies.text
    rows = await telegram.services.db.fetchall("SELECT * FROM chat_settings")
    assert [dict(r) for r in rows] == [
        {"chat_id": telegram.RESIDENT, "language": None, "area": "noord-oost", "buurt": None}
    ]


async def test_a_location_far_away_is_outside_maastricht(telegram) -> None:
    replies = await telegram.send_message(location={"latitude": 52.37, "longitude": 4.89})
    assert "Maastricht" in replies.text
    assert await _area(telegram) is None


async def test_a_bare_postcode_is_an_area_question(telegram) -> None:
    replies = await telegram.send("6222")
    assert "Noord-Oost" in replies.text
    assert await _area(telegram) == "noord-oost"


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_gebied_with_a_split_postcode_offers_buurt_buttons(telegram, lang) -> None:
    replies = await telegram.send("/gebied 6224", lang=lang)
    buurten = [b for b in replies.buttons() if b.get("callback_data", "").startswith("bu:")]
    assert {b["callback_data"] for b in buurten} == {
        "bu:Wyckerpoort",
        "bu:Wittevrouwenveld",
        "bu:Scharn",
    }
    assert await _area(telegram) is None
    picked = await telegram.click("bu:Scharn", on=replies.messages[0], lang=lang)
    assert "Zuid-Oost" in picked.text
    assert await _area(telegram) == "zuid-oost"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("xyzzy qq", "niet als postcode of buurt"),
        ("1012 AB", "niet in de gemeente Maastricht"),
        ("6201", "6201"),
        ("62", "postcode"),
    ],
)
async def test_gebied_explains_what_it_cannot_find(telegram, query, words) -> None:
    replies = await telegram.send(f"/gebied {query}")
    assert words in replies.text
    assert await _area(telegram) is None


async def test_gebied_without_argument_shows_the_kept_area_or_asks(telegram) -> None:
    asked = await telegram.send("/gebied")
    assert "postcode" in asked.text
    await telegram.send("Wyck")
    shown = await telegram.send("/gebied")
    assert "Centrum" in shown.text


async def test_a_question_after_the_wijkteam_button_is_still_answered(telegram) -> None:
    await telegram.click("area:ask")
    replies = await telegram.send("er staan weer vuilniszakken naast de container")
    assert replies.first_line.startswith("Meld dit bij")


async def test_a_buurt_name_typed_without_asking_gives_the_area(telegram) -> None:
    replies = await telegram.send("Wittevrouwenveld")
    assert "Noord-Oost" in replies.text


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_spreekuren_command_and_button_answer(telegram, lang) -> None:
    await telegram.send("/gebied Malberg", lang=lang)
    command = await telegram.send("/spreekuren", lang=lang)
    assert command.messages
    button = await telegram.click("sp:noord-west", lang=lang)
    assert button.alerts and button.messages


async def test_spreekuren_of_a_split_postcode_offers_every_buurt(telegram) -> None:
    replies = await telegram.send("/spreekuren 6224")
    labels = [b["text"] for b in replies.buttons() if b.get("callback_data", "").startswith("sp:")]
    assert labels == [
        "Wyckerpoort (Noord-Oost)",
        "Wittevrouwenveld (Noord-Oost)",
        "Scharn (Zuid-Oost)",
    ]
