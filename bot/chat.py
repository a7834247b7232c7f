"""The console chat: the same answers a Telegram user gets, in a terminal."""

from __future__ import annotations

import re
from typing import TextIO

from bot.answers import AnswerCard, build_card, render_text
from bot.areacard import build_area_card, render_area_text
from bot.areas import AreaNotFound, default_directory
from bot.i18n import normalise_language, t
from bot.routing import Router, RouteResult, default_router

# A message that is only a postcode (6221 AB, 6221ab, 6221) is an area question, not a report.
_POSTCODE_ONLY = re.compile(r"^\s*\d{4}\s*-?\s*([a-zA-Z]{2})?\s*$")


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


def area_answer(query: str, lang: str) -> str:
    """The area card for a postcode or buurt, or a friendly message when it is not one."""
    directory = default_directory()
    try:
        result = directory.lookup(query)
    except AreaNotFound as exc:
        return exc.message(lang)
    return render_area_text(build_area_card(result, directory), lang)


def run_console(stdin: TextIO, stdout: TextIO, lang: str | None = None) -> int:
    """Read messages line by line and answer each; numbers pick an offered option."""
    router = default_router()
    fixed = lang
    lang = lang or "nl"
    last: AnswerCard | None = None

    def say(text: str) -> None:
        stdout.write(text + "\n\n")
        stdout.flush()

    say(t("chat.welcome", lang))
    for raw in stdin:
        text = raw.strip()
        if text in ("/stop", "/quit", "exit"):
            break
        if text.startswith("/taal"):
            choice = text.removeprefix("/taal").strip()
            if choice in ("nl", "en"):
                fixed = lang = choice
            say(t("chat.language_set", lang))
            continue
        if text in ("/help", "/start"):
            say(t("chat.welcome", lang))
            continue
        if text.startswith("/gebied") or _POSTCODE_ONLY.match(text):
            query = text.removeprefix("/gebied").strip()
            say(area_answer(query, lang) if query else t("chat.area_ask", lang))
            continue
        if not text:
            say(t("chat.empty", lang))
            continue
        if last and text.isdigit() and 1 <= int(text) <= len(last.options):
            result = answer_option(router, last.options[int(text) - 1].situation)
            last = build_card(result, router.meldkaart, lang, ask_followup=False)
        else:
            result = router.route(text)
            if not fixed and result.language:
                lang = normalise_language(result.language)
            last = build_card(result, router.meldkaart, lang)
        say(render_text(last))
    return 0
