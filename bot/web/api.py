"""The JSON endpoints: thin adapters from HTTP to the core (routing, answer cards, counters)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import __version__
from bot.answers import brief, channel_block, details, render_brief, render_text
from bot.areacard import build_area_card, render_area_text
from bot.areas import AreaNotFound
from bot.conversation import (
    AreaAnswer,
    ChatState,
    Conversation,
    Listing,
    Message,
    Offer,
    PickBuurt,
    PickSituation,
    PickSpreekuren,
    Question,
    RouteAnswer,
    Text,
    Turn,
    answer_option,
)
from bot.i18n import LANGUAGES, normalise_language
from bot.routing import RouteResult
from bot.services import Services
from bot.web.errors import ApiError, request_language
from bot.web.payloads import (
    ChatRequest,
    ChatStateBody,
    OfferBody,
    RouteRequest,
    plain,
    route_answer,
)

log = logging.getLogger("meldwijzer.web")

# The web page marks its calls with this header, so the counters can tell the page from the API.
DOOR_HEADER = "x-meldwijzer-door"
ROUTE_FIELDS = frozenset(RouteRequest.__dataclass_fields__)
CHAT_FIELDS = frozenset(ChatRequest.__dataclass_fields__)
AREA_QUERY_MAX = 200


def spreekuren_module() -> ModuleType | None:
    """bot.spreekuren when it is installed (the spreekuren endpoints depend on it)."""
    try:
        from bot import spreekuren
    except ImportError:
        return None
    return spreekuren


def calendar_path(area: str) -> str:
    """Where an area's iCalendar feed is served."""
    return f"/spreekuren/{area}.ics"


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or an ApiError saying what is wrong with it."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "unsupported_media_type")
    body = await request.body()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[..." nested too deep
        raise ApiError(400, "bad_json") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "not_an_object")
    return data


def query_language(request: Request) -> str | None:
    """?lang= when given (nl or en), else None; anything else is refused."""
    lang = request.query_params.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ApiError(422, "bad_lang")
    return lang


_MESSAGE_FIELDS = ("text", "situation", "buurt", "spreekuren")
_STATE_FIELDS = frozenset(ChatStateBody.__dataclass_fields__)
_OFFER_FIELDS = frozenset(OfferBody.__dataclass_fields__)
MAX_OFFERED = 10  # more options than any answer offers: the rest of a longer list is ignored


def parse_chat(data: dict[str, Any]) -> tuple[Message, ChatState, str | None]:
    """A /api/chat body as the conversation's message, state and language, checked by field."""
    for key in data:
        if key not in CHAT_FIELDS:
            raise ApiError(422, "unknown_field", field=key, allowed=_names(ChatRequest))
    if "lang" in data and data["lang"] not in LANGUAGES:
        raise ApiError(422, "bad_lang")
    given = [key for key in _MESSAGE_FIELDS if key in data]
    if len(given) != 1:
        raise ApiError(422, "one_message")
    key = given[0]
    value = data[key]
    if not isinstance(value, str):
        raise ApiError(422, "text_not_text" if key == "text" else "not_a_name", field=key)
    message: Message = Text(value) if key == "text" else _offer(key, value)
    state = parse_state(data.get("state"))
    return message, state, data.get("lang")


def parse_state(data: object) -> ChatState:
    """The state the page sent back, checked by type; an id the service does not know is
    answered as an option that no longer works (the state only ever holds ids and flags)."""
    if data is None:
        return ChatState()
    if not isinstance(data, dict):
        raise ApiError(422, "bad_state", field="state")
    for key in data:
        if key not in _STATE_FIELDS:
            raise ApiError(
                422, "unknown_field", field=f"state.{key}", allowed=_names(ChatStateBody)
            )

    def text(key: str, allowed: Iterable[str] | None = None) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            raise ApiError(422, "bad_state", field=f"state.{key}")
        return value

    asked = data.get("asked_area", False)
    offered = data.get("offered", [])
    if not isinstance(asked, bool):
        raise ApiError(422, "bad_state", field="state.asked_area")
    if not isinstance(offered, list):
        raise ApiError(422, "bad_state", field="state.offered")
    return ChatState(
        language=text("language", LANGUAGES),
        detected=text("detected", LANGUAGES),
        area=text("area"),
        buurt=text("buurt"),
        asked_area=asked,
        offered=tuple(parse_offer(item) for item in offered)[:MAX_OFFERED],
    )


def parse_offer(data: object) -> Offer:
    """One offered option: exactly one of situation, buurt or spreekuren."""
    if not isinstance(data, dict) or not data:
        raise ApiError(422, "bad_state", field="state.offered")
    for key in data:
        if key not in _OFFER_FIELDS:
            raise ApiError(
                422, "unknown_field", field=f"state.offered.{key}", allowed=_names(OfferBody)
            )
    if len(data) != 1 or not isinstance(next(iter(data.values())), str):
        raise ApiError(422, "bad_state", field="state.offered")
    key, value = next(iter(data.items()))
    return _offer(key, value)


def _offer(key: str, value: str) -> Offer:
    if key == "situation":
        return PickSituation(value)
    return PickBuurt(value) if key == "buurt" else PickSpreekuren(value)


def _names(payload: type) -> str:
    return ", ".join(getattr(payload, "__dataclass_fields__", ()))


def offer_json(offer: Offer) -> dict[str, str]:
    """An offered option as the page sends it back."""
    if isinstance(offer, PickSituation):
        return {"situation": offer.situation}
    if isinstance(offer, PickBuurt):
        return {"buurt": offer.buurt}
    return {"spreekuren": offer.area}


def state_json(state: ChatState) -> dict[str, Any]:
    """The state as the page keeps it and sends it back."""
    return {
        "language": state.language,
        "detected": state.detected,
        "area": state.area,
        "buurt": state.buurt,
        "asked_area": state.asked_area,
        "offered": [offer_json(o) for o in state.offered],
    }


class Api:
    """The handlers, bound to the services of one process."""

    def __init__(self, services: Services, telegram_mode: str = "off") -> None:
        self.services = services
        self.settings = services.settings
        self.telegram_mode = telegram_mode
        self.spreekuren = spreekuren_module()
        self.area_ids = services.areas.ids()

    def door(self, request: Request) -> str:
        """'web' for the page's own calls, 'api' for everyone else."""
        return "web" if request.headers.get(DOOR_HEADER) == "web" else "api"

    def parse_route(self, data: dict[str, Any]) -> RouteRequest:
        """Check a /api/route body field by field."""
        for key in data:
            if key not in ROUTE_FIELDS:
                raise ApiError(422, "unknown_field", field=key, allowed=_names(RouteRequest))
        text, lang, situation = data.get("text"), data.get("lang"), data.get("situation")
        if "lang" in data and lang not in LANGUAGES:
            raise ApiError(422, "bad_lang")
        if "text" in data:
            if not isinstance(text, str):
                raise ApiError(422, "text_not_text")
            if not text.strip():
                raise ApiError(422, "text_empty")
            if len(text) > self.settings.max_text_chars:
                raise ApiError(422, "text_too_long", limit=self.settings.max_text_chars)
        if "situation" in data:
            kaart = self.services.router.meldkaart
            known = kaart.situations.get(situation) if isinstance(situation, str) else None
            if known is None or not known.is_report:
                raise ApiError(422, "unknown_situation")
            return RouteRequest(None, lang, situation)
        if "text" not in data:
            raise ApiError(422, "missing_text")
        return RouteRequest(text, lang, None)

    async def route(self, request: Request) -> Response:
        """POST /api/route: where to report what the text describes (one text, for scripts)."""
        data = await read_json_object(request)
        explicit = data.get("lang") if data.get("lang") in LANGUAGES else None
        request.state.lang = explicit
        ask = self.parse_route(data)
        conversation = Conversation(self.services, self.door(request))
        result: RouteResult
        lang: str
        if ask.situation is not None:
            result = answer_option(self.services.router.meldkaart, ask.situation)
            lang = ask.lang or "nl"
        else:
            # The page and the API share one line on the routing threads, beside the bot's.
            result = await self.services.route(ask.text or "", door="http")
            lang = ask.lang or normalise_language(result.language)
        # the card the conversation gives, counted as it counts (a pick has no follow-up again)
        answer = await conversation.card(
            result, ask.text, ChatState(), lang, followup=ask.situation is None
        )
        return JSONResponse(route_answer(result, answer.card))

    async def chat(self, request: Request) -> Response:
        """POST /api/chat: one message of the conversation the web page holds."""
        data = await read_json_object(request)
        explicit = data.get("lang") if data.get("lang") in LANGUAGES else None
        request.state.lang = explicit
        message, state, lang = parse_chat(data)
        turn = await Conversation(self.services, self.door(request)).answer(message, state, lang)
        return JSONResponse(self.chat_body(turn))

    def chat_body(self, turn: Turn) -> dict[str, Any]:
        """The /api/chat answer: the answer by kind, its language, the state to send back."""
        lang, answer = turn.language, turn.answer
        body: dict[str, Any]
        if isinstance(answer, RouteAnswer):
            whole = answer.card
            body = {
                "kind": "route",
                "card": plain(brief(whole)),
                "details": plain(details(whole)),
                "first": render_brief(whole),
                "text": render_text(whole),
            }
        elif isinstance(answer, AreaAnswer):
            card = answer.card
            body = {
                "kind": "area",
                "card": plain(card),
                "kept": answer.kept,
                "text": render_area_text(card, lang, self.services.router.meldkaart),
                "calendar": self._calendar(card.area if card.kind == "area" else None),
            }
        elif isinstance(answer, Listing):
            body = {
                "kind": "listing",
                "area": answer.area,
                "area_name": answer.area_name,
                "text": answer.text,
                "calendar": self._calendar(answer.area),
            }
        elif isinstance(answer, Question):
            body = {
                "kind": "question",
                "asks": answer.kind,
                "text": answer.text,
                "choices": [{"label": c.label, "pick": offer_json(c.pick)} for c in answer.choices],
                "reminder": answer.reminder,
            }
        else:
            body = {"kind": "problem", "message": answer.message(lang)}
        return {"answer": body, "language": lang, "state": state_json(turn.state)}

    def _calendar(self, area: str | None) -> str | None:
        return calendar_path(area) if area and self.spreekuren is not None else None

    async def area(self, request: Request) -> Response:
        """GET /api/area?q=: the area team of a postcode or buurt, with its next spreekuren."""
        lang = self._language(request)
        query = request.query_params.get("q")
        if query is None or not query.strip():
            raise ApiError(422, "query_missing")
        if len(query) > AREA_QUERY_MAX:
            raise ApiError(422, "query_too_long", limit=AREA_QUERY_MAX)
        directory = self.services.areas
        try:
            result = directory.lookup(query)
        except AreaNotFound as exc:
            raise ApiError(404, "area_not_found", message=exc.message(lang)) from exc
        lines: Sequence[str] = ()
        if result.area and self.spreekuren is not None:
            now = self.services.clock()
            today = self.spreekuren.today_in_maastricht(now)
            items = await self.spreekuren.upcoming(self.services.db, result.area, now)
            lines = [self.spreekuren.format_occurrence(o, lang, today) for o in items]
        card = build_area_card(result, directory, lines)
        calendar = self._calendar(result.area)
        body = {
            **result.to_json(),
            "card": plain(card),
            "text": render_area_text(card, lang, self.services.router.meldkaart),
            "language": lang,
            "calendar": calendar,
        }
        return JSONResponse(body)

    def _known_area(self, area: str | None) -> str:
        if not area:
            raise ApiError(422, "area_missing", areas=", ".join(self.area_ids))
        if area not in self.area_ids:
            raise ApiError(404, "unknown_area", areas=", ".join(self.area_ids))
        return area

    async def spreekuren_list(self, request: Request) -> Response:
        """GET /api/spreekuren?area=: the area's upcoming spreekuren, soonest first."""
        module = self.spreekuren
        assert module is not None
        lang = self._language(request)
        area = self._known_area(request.query_params.get("area"))
        now = self.services.clock()
        items = await module.upcoming(self.services.db, area, now)
        contacts = module.team_contacts(self.services.router.meldkaart)
        body = {
            "area": area,
            "area_name": self.services.areas.name(area),
            "language": lang,
            "spreekuren": [module.occurrence_json(o, lang) for o in items],
            "text": module.render_listing(self.services.areas, area, items, lang, now, contacts),
            "calendar": calendar_path(area),
        }
        return JSONResponse(body)

    async def spreekuren_feed(self, request: Request) -> Response:
        """GET /spreekuren/{area}.ics: a calendar feed residents can subscribe to."""
        module = self.spreekuren
        assert module is not None
        lang = self._language(request)
        area = self._known_area(request.path_params["area"])
        services = self.services
        feed = await module.ics_feed(services.db, services.areas, area, services.clock(), lang)
        return Response(
            feed,
            media_type="text/calendar",
            headers={"content-disposition": f'inline; filename="meldwijzer-{area}.ics"'},
        )

    def _language(self, request: Request) -> str:
        """?lang= (checked), else Accept-Language; kept for the error handler too."""
        lang = query_language(request) or request_language(request.headers, request.query_params)
        request.state.lang = lang
        return lang

    async def channels(self, request: Request) -> Response:
        """GET /api/channels: every channel with its verified contacts."""
        lang = self._language(request)
        kaart = self.services.router.meldkaart
        blocks = [channel_block(channel, lang) for channel in kaart.channels.values()]
        return JSONResponse({"language": lang, "channels": [plain(b) for b in blocks]})

    async def healthz(self, request: Request) -> Response:
        """GET /healthz: the service answers and its database too."""
        try:
            await self.services.db.fetchone("SELECT 1")
            database = "ok"
        except Exception as exc:
            log.warning("health check: database unavailable (%s)", type(exc).__name__)
            database = "unavailable"
        ok = database == "ok"
        body = {
            "status": "ok" if ok else "degraded",
            "version": __version__,
            "database": database,
            "telegram": self.telegram_mode,
        }
        return JSONResponse(body, status_code=200 if ok else 503)
