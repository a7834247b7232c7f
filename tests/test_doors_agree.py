"""Every door gives the same answers: one list of conversations, driven through Telegram (the fake
Bot API), the web page's endpoint (httpx against the ASGI app) and the console chat.

Each door's answer is reduced to what a resident reads first: its first line, the "Het gaat om"
line, and the options offered (buttons in Telegram and on the page, numbered lines in the
console). A step is something typed, or `Pick(n)`: the n-th option of the last answer, pressed
(Telegram), sent as the page sends it (web) or typed as its number (console).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.chat import run_console
from bot.i18n import t
from bot.web import create_app

RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is brand in de keuken"
SITUATION = t("answer.situation", "nl", title="")  # "Het gaat om: "
NUMBERED = re.compile(r"^\s+\d+\. (.+)$", re.MULTILINE)  # an option in the console


@dataclass(frozen=True)
class Pick:
    """The n-th option of the last answer (from 1)."""

    number: int


Step = str | Pick


@dataclass(frozen=True)
class Seen:
    """What a resident reads first of one answer."""

    first: str
    situation: str | None
    options: tuple[str, ...]


CONVERSATIONS: dict[str, tuple[Step, ...]] = {
    "a buurt name": ("Malberg",),
    "a postcode with a house number": ("6221 AB 12",),
    "a split postcode, then a number": ("6224", Pick(1)),
    "a split postcode, then the buurt typed": ("6224", "Wyckerpoort"),
    "a report": (RUBBISH,),
    "an emergency": (FIRE,),
    "a vague word, then a choice": ("overlast", Pick(4)),
}

# What the first lines say (the options are compared between the doors).
EXPECTED: dict[str, tuple[str, ...]] = {
    "a buurt name": ("Jouw gebiedsteam: Noord-West",),
    "a postcode with a house number": (t("area.choose", "nl", postcode="6221 AB"),),
    "a split postcode, then a number": (
        t("area.choose", "nl", postcode="6224"),
        "Jouw gebiedsteam: Noord-Oost",
    ),
    "a split postcode, then the buurt typed": (
        t("area.choose", "nl", postcode="6224"),
        "Jouw gebiedsteam: Noord-Oost",
    ),
    "a report": ("Meld dit bij: Gemeente Maastricht: melding openbare ruimte",),
    "an emergency": (t("answer.emergency_first_line", "nl"),),
    "a vague word, then a choice": (
        t("answer.vague_question", "nl"),
        "Meld dit bij: Gemeente Maastricht: melding openbare ruimte",
    ),
}


def _seen(text: str, options: list[str]) -> Seen:
    lines = [line.strip() for line in text.strip().splitlines()]
    named = next((line for line in lines if line.startswith(SITUATION)), None)
    return Seen(lines[0], named, tuple(options))


# -- the three doors ---------------------------------------------------------------------------


async def through_telegram(telegram: Any, steps: tuple[Step, ...]) -> list[Seen]:
    seen: list[Seen] = []
    last: Any = None
    for step in steps:
        if isinstance(step, Pick):
            button = _option_buttons(last)[step.number - 1]
            message = next(m for m in last.messages if m.get("reply_markup"))
            replies = await telegram.click(button["callback_data"], on=message)
        else:
            replies = await telegram.send(step)
        labels = [b["text"] for b in _option_buttons(replies)]
        seen.append(_seen(replies.text, labels))
        last = replies
    return seen


def _option_buttons(replies: Any) -> list[dict[str, Any]]:
    """The buttons that pick an option (a situation, a buurt): not links, 👍 or 📅 Spreekuren."""
    return [b for b in replies.buttons() if b.get("callback_data", "").startswith(("o:", "bu:"))]


async def through_the_web(services: Any, steps: tuple[Step, ...]) -> list[Seen]:
    seen: list[Seen] = []
    state: Any = None
    picks: list[dict[str, str]] = []
    transport = httpx.ASGITransport(create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for step in steps:
            message = picks[step.number - 1] if isinstance(step, Pick) else {"text": step}
            response = await client.post(
                "/api/chat",
                json={**message, "lang": "nl", "state": state},
                headers={"x-meldwijzer-door": "web"},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            state, answer = body["state"], body["answer"]
            labels, picks = _web_options(answer)
            text = answer.get("text") or answer.get("message") or ""
            seen.append(_seen(text, labels))
    return seen


def _web_options(answer: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """The options as the page shows them, and what it sends back for each."""
    if answer["kind"] == "question":
        return [c["label"] for c in answer["choices"]], [c["pick"] for c in answer["choices"]]
    if answer["kind"] == "area":
        candidates = answer["card"]["candidates"]
        labels = [
            t("area.candidate", "nl", buurt=c["buurt"], area=c["area_name"]) for c in candidates
        ]
        return labels, [{"buurt": c["buurt"]} for c in candidates]
    if answer["kind"] == "route":
        options = answer["card"]["options"]
        return [o["label"] for o in options], [{"situation": o["situation"]} for o in options]
    return [], []


class _Answers(io.StringIO):
    """The console's output, one entry per answer (the console writes each in one go)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    def write(self, text: str) -> int:
        self.answers.append(text)
        return len(text)


async def through_the_console(services: Any, steps: tuple[Step, ...]) -> list[Seen]:
    typed = "".join(f"{s.number if isinstance(s, Pick) else s}\n" for s in steps)
    out = _Answers()
    assert await run_console(io.StringIO(typed + "/stop\n"), out, services) == 0
    seen = []
    for answer in out.answers[1:]:  # after the welcome
        options = [m.group(1) for m in NUMBERED.finditer(answer)]
        seen.append(_seen(answer, options))
    return seen


# -- the proof ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONVERSATIONS))
async def test_every_door_gives_the_same_answers(telegram: Any, name: str) -> None:
    steps = CONVERSATIONS[name]
    by_telegram = await through_telegram(telegram, steps)
    by_web = await through_the_web(telegram.services, steps)
    by_console = await through_the_console(telegram.services, steps)
    assert by_telegram == by_web == by_console
    assert tuple(s.first for s in by_telegram) == EXPECTED[name]


async def test_the_vague_word_offers_the_likely_situations_and_names_none(telegram: Any) -> None:
    steps = CONVERSATIONS["a vague word, then a choice"]
    [vague, picked] = await through_the_console(telegram.services, steps)
    assert len(vague.options) >= 3 and vague.situation is None
    assert picked.situation == SITUATION + vague.options[3]
