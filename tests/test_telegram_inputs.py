"""Everything that is not a plain question: media, edits, long and empty texts, groups, markup."""

from __future__ import annotations

import pytest

RUBBISH = "er staan weer vuilniszakken naast de container"
BOT = "@meldwijzer_test_bot"

MEDIA = {
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]},
    "video": {
        "video": {"file_id": "v", "file_unique_id": "v", "width": 1, "height": 1, "duration": 3}
    },
    "voice": {"voice": {"file_id": "a1", "file_unique_id": "u2", "duration": 4}},
    "audio": {"audio": {"file_id": "a2", "file_unique_id": "u3", "duration": 4}},
    "video_note": {
        "video_note": {"file_id": "n", "file_unique_id": "n", "length": 1, "duration": 2}
    },
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "u4",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    },
    "document": {"document": {"file_id": "d1", "file_unique_id": "u5", "file_name": "melding.pdf"}},
    "contact": {"contact": {"phone_number": "+31612345678", "first_name": "Jan"}},
    "story": {"story": {"chat": {"id": 99, "type": "channel", "title": "x"}, "id": 5}},
}
EXPECT = {
    "nl": {
        "photo": "Foto's",
        "video": "Foto's",
        "voice": "Spraakberichten",
        "audio": "Spraakberichten",
        "video_note": "Spraakberichten",
        "sticker": "Stickers en plaatjes kan ik niet lezen",
        "document": "Bestanden",
        "contact": "Contactgegevens",
        "story": "Dit soort bericht",
    },
    "en": {
        "photo": "photos",
        "video": "photos",
        "voice": "voice messages",
        "audio": "voice messages",
        "video_note": "voice messages",
        "sticker": "cannot read stickers",
        "document": "files",
        "contact": "contact details",
        "story": "this kind of message",
    },
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_non_text_gets_a_helpful_answer_and_nothing_is_kept(telegram, kind, lang) -> None:
    replies = await telegram.send_message(lang=lang, **MEDIA[kind])
    assert len(replies.messages) == 1
    assert EXPECT[lang][kind] in replies.text
    assert "112" in replies.text  # whoever sends a photo of a fire learns what to do first
    assert "Leuk" not in replies.text and "Nice" not in replies.text  # a sticker may be a cry
    assert replies.of("getFile") == []  # nothing downloaded
    row = await telegram.services.db.fetchone("SELECT COUNT(*) FROM chat_settings")
    assert row[0] == 0


async def test_voice_says_it_is_not_understood_and_112(telegram) -> None:
    replies = await telegram.send_message(lang="en", **MEDIA["voice"])
    assert "cannot understand" in replies.text and "112" in replies.text


async def test_an_edited_question_is_answered_again(telegram) -> None:
    replies = await telegram.send(RUBBISH, edited=True)
    assert replies.first_line.startswith("Meld dit bij")


@pytest.mark.parametrize(("lang", "words"), [("nl", "te lang"), ("en", "too long")])
async def test_a_text_over_the_limit_is_refused_kindly(telegram, lang, words) -> None:
    limit = telegram.services.settings.max_text_chars  # the same limit in every door
    replies = await telegram.send("afval " * (limit // 6 + 1), lang=lang)
    assert words in replies.text and str(limit) in replies.text


@pytest.mark.parametrize("text", ["   ", "\u200b", "\n\n"])
async def test_an_empty_text_gets_a_hint(telegram, text) -> None:
    replies = await telegram.send(text)
    assert len(replies.messages) == 1
    assert "Typ wat er aan de hand is" in replies.text


async def test_nonsense_gets_the_not_understood_answer(telegram) -> None:
    replies = await telegram.send("qwzx vbnm plok")
    assert "14 043" in replies.text


@pytest.mark.parametrize(
    "text",
    [
        "<b>afval</b> & <script>alert(1)</script> naast de container",
        "vuilniszakken <i naast de container &amp; &#x26;",
        "/gebied <b>Wyck</b>",
        "/gebied <script>",
    ],
)
async def test_markup_from_people_is_never_interpreted(telegram, text) -> None:
    replies = await telegram.send(text)
    assert replies.messages
    assert telegram.api.rejected() == []  # every reply parsed as valid Telegram HTML


async def test_unknown_command_in_a_private_chat(telegram) -> None:
    replies = await telegram.send("/doeiets")
    assert "/help" in replies.text


# -- group chats: commands and mentions only --------------------------------------------------


async def test_a_group_ignores_plain_talk(telegram) -> None:
    replies = await telegram.send(RUBBISH, chat=telegram.GROUP)
    assert replies.calls == []


async def test_a_group_ignores_media_and_unknown_commands(telegram) -> None:
    assert (await telegram.send_message(chat=telegram.GROUP, **MEDIA["photo"])).calls == []
    assert (await telegram.send("/doeiets", chat=telegram.GROUP)).calls == []


@pytest.mark.parametrize(("lang", "first"), [("nl", "Meld dit bij"), ("en", "Report this to")])
async def test_a_group_answers_a_mention_as_a_reply(telegram, lang, first) -> None:
    replies = await telegram.send(f"{BOT} {RUBBISH}", chat=telegram.GROUP, lang=lang)
    assert len(replies.messages) == 1
    assert replies.first_line.startswith(first)
    assert replies.messages[0]["chat_id"] == telegram.GROUP
    assert "reply_parameters" in replies.messages[0]


async def test_a_group_ignores_a_mention_of_someone_else(telegram) -> None:
    replies = await telegram.send(f"@iemand_anders {RUBBISH}", chat=telegram.GROUP)
    assert replies.calls == []


async def test_a_group_answers_commands(telegram) -> None:
    replies = await telegram.send(f"/help{BOT}", chat=telegram.GROUP)
    assert "/gebied" in replies.text
    assert (await telegram.send("/start", chat=telegram.GROUP)).messages


async def test_a_group_mention_without_question_gets_a_hint(telegram) -> None:
    replies = await telegram.send(BOT, chat=telegram.GROUP)
    assert "Typ wat er aan de hand is" in replies.text
