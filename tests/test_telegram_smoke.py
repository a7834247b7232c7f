"""First smoke test of the bot against the fake Bot API."""

from __future__ import annotations


async def test_start_answers_in_dutch(telegram) -> None:
    replies = await telegram.send("/start")
    assert "Meldwijzer" in replies.text
    assert "112" in replies.text


async def test_rubbish_goes_to_the_gemeente(telegram) -> None:
    replies = await telegram.send("er staan weer vuilniszakken naast de container")
    print(replies.text)
    print(replies.buttons())
    assert replies.first_line.startswith("Meld dit bij")
