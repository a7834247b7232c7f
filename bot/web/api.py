"""The JSON endpoints: thin adapters from HTTP to the core (routing, answer cards, counters)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import __version__
from bot.answers import build_card, channel_block
from bot.areacard import build_area_card, render_area_text
from bot.areas import AreaNotFound
from bot.conversation import answer_option
from bot.i18n import LANGUAGES, normalise_language
from bot.routing import RouteResult
from bot.services import Services
from bot.stats import Question
from bot.web.errors import ApiError, request_language
from bot.web.payloads import RouteRequest, plain, route_answer

log = logging.getLogger("meldwijzer.web")

# The web page marks its calls with this header, so the counters can tell the page from the API.
DOOR_HEADER = "x-meldwijzer-door"
ROUTE_FIELDS = frozenset(RouteRequest.__dataclass_fields__)
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


class Api:
    """The handlers, bound to the services of one process."""

    def __init__(self, services: Services, telegram_mode: str = "off") -> None:
        self.services = services
        self.settings = services.settings
        self.telegram_mode = telegram_mode
        self.spreekuren = spreekuren_module()
        self.area_ids = tuple(area.id for area in services.areas.areas())

    def door(self, request: Request) -> str:
        """'web' for the page's own calls, 'api' for everyone else."""
        return "web" if request.headers.get(DOOR_HEADER) == "web" else "api"

    def parse_route(self, data: dict[str, Any]) -> RouteRequest:
        """Check a /api/route body field by field."""
        for key in data:
            if key not in ROUTE_FIELDS:
                raise ApiError(422, "unknown_field", field=key)
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
        """POST /api/route: where to report what the text describes."""
        data = await read_json_object(request)
        explicit = data.get("lang") if data.get("lang") in LANGUAGES else None
        request.state.lang = explicit
        ask = self.parse_route(data)
        router = self.services.router
        result: RouteResult
        lang: str
        if ask.situation is not None:
            result = answer_option(router.meldkaart, ask.situation)
            lang = ask.lang or "nl"
        else:
            # The page and the API share one line on the routing threads, beside the bot's.
            result = await self.services.route(ask.text or "", door="http")
            lang = ask.lang or normalise_language(result.language)
        card = build_card(result, router.meldkaart, lang)
        counted = None
        if not result.info:  # greetings and thanks are not questions (as in Telegram)
            # Where the message says it is (a Maastricht postcode or buurt), for hotspots.
            where = self.services.areas.where_in(ask.text) if ask.text else None
            question = Question(
                situation=result.situation,
                channel=result.channel,
                emergency=result.emergency,
                language=lang,
                door=self.door(request),
                area=where.area if where else None,
                pc4=where.pc4 if where else None,
            )
            counted = BackgroundTask(self.count, question)
        return JSONResponse(route_answer(result, card), background=counted)

    async def count(self, question: Question) -> None:
        """Add the question to the anonymous counters; a counting failure never fails an answer."""
        try:
            await self.services.stats.record(question)
        except Exception as exc:  # counted after the answer left: log the kind, nothing else
            log.warning("could not count a question: %s", type(exc).__name__)

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
        calendar = (
            calendar_path(result.area) if result.area and self.spreekuren is not None else None
        )
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
            "area_name": module.area_name(area, lang),
            "language": lang,
            "spreekuren": [module.occurrence_json(o, lang) for o in items],
            "text": module.render_listing(area, items, lang, now, contacts),
            "calendar": calendar_path(area),
        }
        return JSONResponse(body)

    async def spreekuren_feed(self, request: Request) -> Response:
        """GET /spreekuren/{area}.ics: a calendar feed residents can subscribe to."""
        module = self.spreekuren
        assert module is not None
        lang = self._language(request)
        area = self._known_area(request.path_params["area"])
        feed = await module.ics_feed(self.services.db, area, self.services.clock(), lang)
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
