"""The console chat: the same answers a Telegram user gets, in a terminal."""

from __future__ import annotations

from typing import TextIO

from bot.answers import AnswerCard, build_card, render_text
from bot.i18n import normalise_language, t
from bot.routing import RouteResult, Router, default_router


def answer_option(router: Router, situation_id: str) -> RouteResult:
    """The route result for a situation the resident picked from the buttons."""
    situation = router.meldkaart.situation(situation_id)
    return RouteResult(
        channel=situation.channel,
        situation=situation.id,
        alternatives=situation.alternatives,
        emergency=situation.channel == "112",
        confidence=1.0,
        language="nl",
    )


def run_console(stdin: TextIO, stdout: TextIO, lang: str | None = None) -> int:
    """Read messages line by line and answer each; numbers pick an offered option."""
    router = default_router()
    fixed = lang
    lang = lang or "nl"
    last: AnswerCard | None = None
    stdout.write(t("chat.welcome", lang) + "\n\n")
    stdout.flush()
    for raw in stdin:
        text = raw.strip()
        if text in ("/stop", "/quit", "exit"):
            break
        if text.startswith("/taal"):
            choice = text.removeprefix("/taal").strip()
            if choice in ("nl", "en"):
                fixed = lang = choice
            stdout.write(t("chat.language_set", lang) + "\n\n")
            continue
        if text in ("/help", "/start"):
            stdout.write(t("chat.welcome", lang) + "\n\n")
            continue
        if last and text.isdigit() and 1 <= int(text) <= len(last.options):
            result = answer_option(router, last.options[int(text) - 1].situation)
        elif not text:
            stdout.write(t("chat.empty", lang) + "\n\n")
            continue
        else:
            result = router.route(text)
            if not fixed and result.language:
                lang = normalise_language(result.language)
        last = build_card(result, router.meldkaart, lang)
        stdout.write(render_text(last) + "\n\n")
        stdout.flush()
    return 0
