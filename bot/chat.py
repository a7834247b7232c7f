"""The console chat (`meldwijzer chat`): the conversation a Telegram user has, in a terminal.

A door like Telegram and the web page: every line goes to bot.conversation, and the answer comes
back as plain text; options are numbered lines, and typing a number picks one. An answer card
shows its first message with a line "typ 'meer'"; typing "meer" (or "more") shows its details.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TextIO

from bot.answers import Details, details, render_brief, render_details, render_text
from bot.areacard import render_area_text
from bot.conversation import (
    Answer,
    AreaAnswer,
    AskArea,
    AskSpreekuren,
    ChatState,
    Conversation,
    Listing,
    Message,
    Problem,
    Question,
    RouteAnswer,
    Text,
)
from bot.i18n import LANGUAGES, t
from bot.meldkaart import Meldkaart
from bot.services import Services

DOOR = "cli"
STOP = frozenset({"/stop", "/quit", "exit"})
MORE = frozenset({"meer", "more", "details", "meer info", "more info"})


async def run_console(
    stdin: TextIO, stdout: TextIO, services: Services, lang: str | None = None
) -> int:
    """Read messages line by line and answer each, until /stop or the end of the input."""
    # Trying the bot out in a terminal is not a resident's question: nothing is counted.
    conversation = Conversation(services, DOOR, counting=False)
    state = ChatState(language=lang)

    def say(text: str) -> None:
        stdout.write(text + "\n\n")
        stdout.flush()

    say(t("chat.welcome", lang or "nl"))
    shown_details: Details | None = None  # the details of the last answer card, for "meer"
    for raw in stdin:
        text = raw.strip()
        shown = state.language or "nl"
        if text in STOP:
            break
        command, _, rest = text.partition(" ")
        if command == "/taal":
            if rest.strip() in LANGUAGES:
                state = replace(state, language=rest.strip())
            say(t("chat.language_set", state.language or shown))
            continue
        if command in ("/help", "/start"):
            say(t("chat.welcome", shown))
            continue
        if text.lower() in MORE:
            say(render_details(shown_details) if shown_details else t("chat.no_details", shown))
            continue
        turn = await conversation.answer(_message(command, rest, text), state)
        state = turn.state
        answer = turn.answer
        shown_details = details(answer.card) if isinstance(answer, RouteAnswer) else None
        say(render(answer, turn.language, services.router.meldkaart))
    return 0


def _message(command: str, rest: str, text: str) -> Message:
    if command == "/gebied":
        return AskArea(rest.strip())
    if command == "/spreekuren":
        return AskSpreekuren(rest.strip())
    return Text(text)


def render(answer: Answer, lang: str, kaart: Meldkaart) -> str:
    """ANSWER as plain text in LANG; options as numbered lines; an answer card's first message
    with the line that says how to see its details."""
    if isinstance(answer, RouteAnswer):
        if details(answer.card) is None:
            return render_text(answer.card)
        return render_brief(answer.card) + "\n\n" + t("chat.more_hint", answer.card.language)
    if isinstance(answer, AreaAnswer):
        return render_area_text(answer.card, lang, kaart)
    if isinstance(answer, Listing):
        return answer.text
    if isinstance(answer, Problem):
        return answer.message(lang)
    return _question_text(answer)


def _question_text(question: Question) -> str:
    lines = [question.text]
    lines += [f"  {i}. {choice.label}" for i, choice in enumerate(question.choices, 1)]
    if question.reminder:
        lines += ["", question.reminder]
    return "\n".join(lines)
