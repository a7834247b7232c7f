"""The API's request and response payloads as typed dataclasses; the OpenAPI schema reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.answers import AnswerCard, ChannelBlock, Details, render_text
from bot.areacard import AreaCard
from bot.areas import Candidate
from bot.routing import RouteResult

Language = Literal["nl", "en"]


@dataclass(frozen=True)
class RouteRequest:
    """A resident's message, or the situation they picked from the options of an earlier answer."""

    text: str | None = field(
        default=None, metadata={"doc": "what happened, in the resident's own words"}
    )
    lang: Language | None = field(
        default=None, metadata={"doc": "answer language; default: the language of the text"}
    )
    situation: str | None = field(
        default=None, metadata={"doc": "a situation id from the options of an earlier answer"}
    )


@dataclass(frozen=True)
class RouteAnswer:
    """The route result of the CLI contract, the answer card and the card as plain text."""

    channel: str | None = field(metadata={"doc": "channel id; null when the router does not guess"})
    situation: str | None = field(metadata={"doc": "situation id of the meldkaart"})
    alternatives: list[str] = field(metadata={"doc": "other channel ids worth knowing"})
    emergency: bool = field(metadata={"doc": "true: call 112 now"})
    confidence: float
    language: str = field(metadata={"doc": "the language the text was written in"})
    decided_by: str = field(
        metadata={"doc": "what decided the answer: rules, learned (the model) or both (agreed)"}
    )
    card: AnswerCard = field(metadata={"doc": "the answer, with every channel's details"})
    text: str = field(metadata={"doc": "the card as plain text, to paste into an e-mail"})


@dataclass(frozen=True)
class AreaAnswer:
    """The area result of the CLI contract, the area card and the card as plain text."""

    query: str
    postcode: str | None = field(metadata={"doc": "normalised, e.g. 6221AB or 6221"})
    in_maastricht: bool
    area: str | None = field(metadata={"doc": "area id, set only when one area is certain"})
    area_name: str | None
    buurt: str | None
    candidates: list[Candidate] = field(metadata={"doc": "buurten to pick from"})
    approximate: bool
    card: AreaCard = field(metadata={"doc": "the area team: THOR, police, spreekuren"})
    text: str = field(metadata={"doc": "the card as plain text, in `language`"})
    language: Language
    calendar: str | None = field(metadata={"doc": "path of the area's spreekuren feed"})


@dataclass(frozen=True)
class OfferBody:
    """An option the conversation offered: a situation id, a buurt name or an area id whose
    spreekuren to show (one of the three)."""

    situation: str | None = None
    buurt: str | None = None
    spreekuren: str | None = None


@dataclass(frozen=True)
class ChatStateBody:
    """What the conversation remembers between messages (ids and flags, never words): send
    back the `state` of the last answer."""

    language: Language | None = field(default=None, metadata={"doc": "chosen by the resident"})
    detected: Language | None = field(
        default=None, metadata={"doc": "the language of the last message"}
    )
    area: str | None = field(default=None, metadata={"doc": "the chat's area id, once certain"})
    buurt: str | None = None
    asked_area: bool = field(
        default=False, metadata={"doc": "the last answer asked for a postcode or buurt"}
    )
    offered: list[OfferBody] = field(
        default_factory=list, metadata={"doc": "the options of the last answer, numbered from 1"}
    )


@dataclass(frozen=True)
class ChatRequest:
    """One message of the conversation, with the state of the answer before it: `text` (what
    was typed, a number picks an offered option) or a picked `situation`, `buurt` or
    `spreekuren` area."""

    text: str | None = field(default=None, metadata={"doc": "what the resident typed"})
    situation: str | None = field(default=None, metadata={"doc": "a situation picked"})
    buurt: str | None = field(default=None, metadata={"doc": "a buurt picked"})
    spreekuren: str | None = field(
        default=None, metadata={"doc": "an area whose spreekuren were picked"}
    )
    lang: Language | None = field(
        default=None, metadata={"doc": "answer language; default: the language of the text"}
    )
    state: ChatStateBody | None = None


@dataclass(frozen=True)
class Choice:
    """One option of a question, and what to send back to pick it."""

    label: str
    pick: OfferBody


@dataclass(frozen=True)
class ChatRoute:
    """Where to report: the answer card (an emergency, a report, a greeting, not understood)."""

    kind: Literal["route"]
    card: AnswerCard = field(
        metadata={"doc": "the first message: an emergency card whole, any other in brief"}
    )
    details: Details | None = field(
        metadata={
            "doc": "what the page shows on request: what happens next, every contact, the other"
            " channels, the area team; null for an emergency or a card without channel"
        }
    )
    first: str = field(metadata={"doc": "the first message as plain text"})
    text: str = field(metadata={"doc": "the whole card as plain text, to copy"})


@dataclass(frozen=True)
class ChatArea:
    """The area team: the area card; `kept`: it became the chat's area."""

    kind: Literal["area"]
    card: AreaCard
    kept: bool
    text: str = field(metadata={"doc": "the card as plain text"})
    calendar: str | None = field(metadata={"doc": "path of the area's spreekuren feed"})


@dataclass(frozen=True)
class ChatQuestion:
    """The conversation asks: which situation (a vague message), the postcode or buurt, or
    which area's spreekuren."""

    kind: Literal["question"]
    asks: Literal["situation", "area", "spreekuren"]
    text: str
    choices: list[Choice]
    reminder: str | None = field(metadata={"doc": "the 112 line"})


@dataclass(frozen=True)
class ChatListing:
    """The upcoming spreekuren of an area, as plain text."""

    kind: Literal["listing"]
    area: str
    area_name: str
    text: str
    calendar: str | None


@dataclass(frozen=True)
class ChatProblem:
    """A message that cannot be answered as sent (too long, empty, not a buurt ...)."""

    kind: Literal["problem"]
    message: str = field(metadata={"doc": "what is wrong and what to do, for people"})


@dataclass(frozen=True)
class ChatAnswer:
    """The conversation's answer, its language and the state to send with the next message."""

    answer: ChatRoute | ChatArea | ChatQuestion | ChatListing | ChatProblem
    language: Language
    state: ChatStateBody


@dataclass(frozen=True)
class SpreekuurLine:
    """One spreekuur on one date."""

    id: int
    uid: str = field(metadata={"doc": "stable iCalendar UID"})
    area: str
    date: str = field(metadata={"doc": "YYYY-MM-DD, in Maastricht"})
    start: str = field(metadata={"doc": "ISO 8601 with offset (Europe/Amsterdam)"})
    end: str
    place: str
    note: str | None
    cancelled: bool
    recurring: bool
    text: str = field(metadata={"doc": "the line as residents read it, in `language`"})


@dataclass(frozen=True)
class SpreekurenList:
    """The upcoming spreekuren of one area, soonest first."""

    area: str
    area_name: str
    language: Language
    spreekuren: list[SpreekuurLine]
    text: str = field(metadata={"doc": "the listing as plain text"})
    calendar: str = field(metadata={"doc": "path of the subscribable iCalendar feed"})


@dataclass(frozen=True)
class ChannelList:
    """Every channel with its verified contacts, hours and what to expect."""

    language: Language
    channels: list[ChannelBlock]


@dataclass(frozen=True)
class Health:
    """Whether the service and its database answer."""

    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unavailable"]
    telegram: Literal["off", "polling", "webhook"]


@dataclass(frozen=True)
class ErrorBody:
    """Every error: a stable code and a clear message in Dutch or English."""

    error: str = field(metadata={"doc": "stable error code, e.g. text_too_long"})
    message: str = field(metadata={"doc": "what went wrong and what to do, for people"})
    language: Language


def route_answer(result: RouteResult, card: AnswerCard) -> dict[str, Any]:
    """The /api/route body: the CLI contract plus the card and its plain text."""
    return {**result.to_json(), "card": plain(card), "text": render_text(card)}


def plain(value: Any) -> Any:
    """A dataclass tree as JSON-ready dicts and lists: dataclasses.asdict without deep copies."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    names = getattr(type(value), "__dataclass_fields__", None)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
