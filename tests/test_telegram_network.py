"""A bad network or a busy Telegram: the bot survives, and the resident still gets the answer."""

from __future__ import annotations

import logging

import pytest
from fakebotapi import visible_text

RUBBISH = "er staan weer vuilniszakken naast de container"


def _outcomes(replies, method: str = "sendMessage") -> list[str]:
    return [c.outcome for c in replies.calls if c.method == method]


@pytest.mark.parametrize(
    ("fault", "extra"),
    [
        ("500", {}),
        ("429", {"retry_after": 1}),
        ("slow", {"delay": 1.5}),
        ("drop", {}),
    ],
)
async def test_one_failed_send_is_retried_and_the_answer_arrives(telegram, fault, extra) -> None:
    telegram.api.fail(fault, "sendMessage", **extra)
    replies = await telegram.send(RUBBISH)
    assert _outcomes(replies) == [fault if fault != "drop" else "dropped", "ok"]
    assert replies.first_line.startswith("Meld dit bij")
    assert replies.messages[0]["text"].count("Meld dit bij") == 1


async def test_a_failed_button_answer_is_retried(telegram) -> None:
    telegram.api.fail("500", "answerCallbackQuery")
    replies = await telegram.click("fb:1:-")
    assert _outcomes(replies, "answerCallbackQuery") == ["500", "ok"]


async def test_a_lasting_outage_keeps_the_answer_until_telegram_takes_it(telegram, caplog) -> None:
    outbox = telegram.app.bot.rate_limiter
    outbox.backoff = (0.01,) * 6  # the real one waits 15.7 s
    outbox.probe = (0.01,)  # and tries a kept answer again after 1-5 s
    telegram.api.fail("500", "sendMessage", times=10)  # 7 tries of the answer, 3 of delivery
    with caplog.at_level(logging.WARNING):
        replies = await telegram.send(RUBBISH)
        assert "ok" not in _outcomes(replies)
        await telegram.api.wait_for(lambda: bool(telegram.api.of("sendMessage")))
    delivered = [visible_text(c.params["text"]) for c in telegram.api.of("sendMessage")]
    assert len(delivered) == 1 and delivered[0].startswith("Meld dit bij")  # no excuse
    assert telegram.errors == []
    assert RUBBISH not in caplog.text
    after = await telegram.send(RUBBISH)
    assert after.first_line.startswith("Meld dit bij")


async def test_a_crash_is_logged_without_the_text_and_answered_kindly(
    telegram, monkeypatch, caplog
) -> None:
    secret = "mijn buurman Jan de Vries 06-98765432"

    def crash(text: str) -> None:
        raise RuntimeError(f"could not route {text}")

    monkeypatch.setattr(telegram.services.router, "route", crash)
    with caplog.at_level(logging.DEBUG):
        replies = await telegram.send(secret, lang="en")
    assert "Sorry" in replies.text and "112" in replies.text
    assert "RuntimeError" in caplog.text
    assert "Jan de Vries" not in caplog.text
    assert "98765432" not in caplog.text
    assert [type(e) for e in telegram.errors] == [RuntimeError]
    telegram.errors.clear()


async def test_the_token_is_never_logged(telegram, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        await telegram.send("/start")
        await telegram.send(RUBBISH)
        telegram.api.fail("500", "sendMessage")
        await telegram.send(RUBBISH)
    assert caplog.records
    token = telegram.api.token
    assert token not in caplog.text
    assert token.split(":")[1] not in caplog.text
