"""/wis, the quick exit: the chat's recent messages disappear; nothing about them is stored."""

from __future__ import annotations

import pytest

RUBBISH = "er staan weer vuilniszakken naast de container"


def _deleted(replies) -> list[int]:
    ids: list[int] = []
    for call in replies.of("deleteMessages"):
        ids.extend(call.params["message_ids"])
    return ids


def _sent_ids(replies) -> list[int]:
    return [c.result["message_id"] for c in replies.of("sendMessage")]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_wis_deletes_the_bots_and_the_residents_messages(telegram, lang) -> None:
    start = await telegram.send("/start", lang=lang)
    answer = await telegram.send(RUBBISH, lang=lang)
    bot_ids = _sent_ids(start) + _sent_ids(answer)
    wiped = await telegram.send("/wis", lang=lang)
    deleted = _deleted(wiped)
    assert set(bot_ids) <= set(deleted)
    assert len(deleted) == len(bot_ids) + 3  # /start, the question and /wis itself
    assert wiped.messages == []  # nothing new appears after the quick exit
    again = await telegram.send("/wis", lang=lang)
    assert len(again.messages) == 1  # nothing left to delete: explain how to delete the chat
    assert "Telegram" in again.text


async def test_the_quick_exit_button_works_like_wis(telegram) -> None:
    answer = await telegram.send(RUBBISH)
    wiped = await telegram.click("wis:now", on=answer.messages[0])
    assert set(_sent_ids(answer)) <= set(_deleted(wiped))


async def test_wis_in_a_group_deletes_only_the_bots_messages(telegram) -> None:
    answer = await telegram.send(f"@meldwijzer_test_bot {RUBBISH}", chat=telegram.GROUP)
    wiped = await telegram.send("/wis", chat=telegram.GROUP)
    assert _deleted(wiped) == _sent_ids(answer)


async def test_wis_deletes_in_batches_of_100(telegram) -> None:
    for _ in range(60):
        await telegram.send("/help")
    wiped = await telegram.send("/wis")
    batches = wiped.of("deleteMessages")
    assert [len(c.params["message_ids"]) for c in batches] == [100, 21]


async def test_message_ids_never_reach_the_database(telegram) -> None:
    await telegram.send(RUBBISH)
    await telegram.send("/wis")
    tables = await telegram.services.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    for table in tables:
        rows = await telegram.services.db.fetchall(f'SELECT * FROM "{table["name"]}"')
        for row in rows:
            assert telegram.RESIDENT not in tuple(row), f"{table['name']} holds the chat id"
