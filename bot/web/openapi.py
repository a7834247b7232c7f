"""The OpenAPI 3.1 document of the service, built from the payload dataclasses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import __version__
from bot.config import Settings
from bot.meldkaart import Meldkaart
from bot.web.api import AREA_QUERY_MAX
from bot.web.payloads import (
    AreaAnswer,
    ChannelList,
    ChatAnswer,
    ChatRequest,
    ErrorBody,
    Health,
    RouteAnswer,
    RouteRequest,
    SpreekurenList,
)
from bot.web.schema import JsonSchema, SchemaBuilder

LANG_SCHEMA: JsonSchema = {"type": "string", "enum": ["nl", "en"]}
# "Some character that is not white space", spelled out: regex engines disagree on what \s
# holds (ASCII or Unicode), and the API's own check is Python's str.strip().
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
NOT_ONLY_SPACE = "[^" + "".join(f"\\u{ord(c):04x}" for c in _SPACES) + "]"


@dataclass(frozen=True)
class Param:
    """A query or path parameter."""

    name: str
    where: str  # query | path
    schema: JsonSchema
    required: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Endpoint:
    """One documented operation: responses map a status to a dataclass or (media type, schema)."""

    method: str
    path: str
    operation_id: str
    summary: str
    responses: dict[int, Any]
    params: tuple[Param, ...] = ()
    body: type | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default=("api",))


LANG_PARAM = Param("lang", "query", LANG_SCHEMA, doc="answer language (default: Accept-Language)")


def core_endpoints() -> list[Endpoint]:
    """The endpoints that are always there."""
    return [
        Endpoint(
            "post",
            "/api/route",
            "route",
            "Where to report what a message describes",
            {200: RouteAnswer, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody},
            body=RouteRequest,
            description=(
                "The route result of `meldwijzer route --json` plus the answer card: the channel "
                "with its verified phone, web and app contacts, hours, why this channel, what to "
                "expect, and the alternatives. Send `text`, or `situation` to pick one of the "
                "options an earlier answer offered (then `text` is ignored)."
            ),
        ),
        Endpoint(
            "post",
            "/api/chat",
            "chat",
            "One message of a conversation (the web page's door)",
            {200: ChatAnswer, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody},
            body=ChatRequest,
            description=(
                "The conversation the Telegram bot and `meldwijzer chat` hold, one message at a "
                "time: send what was typed (`text`) or what was picked (`situation`, `buurt`, "
                "`spreekuren`) with the `state` of the answer before. The answer is a route card, "
                "an area card, a question with choices, a spreekuren listing or a problem said "
                "kindly (too long, empty, not a buurt); send its `state` with the next message. "
                "A route card comes as its first message (`card`, in brief but for 112) with its "
                "`details` (what happens next, every contact, the area team) in the same answer. "
                "The state holds ids and flags only; nothing is stored on the server."
            ),
        ),
        Endpoint(
            "get",
            "/api/area",
            "area",
            "The area team of a postcode or buurt",
            {200: AreaAnswer, 404: ErrorBody, 422: ErrorBody},
            params=(
                Param(
                    "q",
                    "query",
                    {"type": "string", "maxLength": AREA_QUERY_MAX, "pattern": NOT_ONLY_SPACE},
                    required=True,
                    doc="a postcode (6221 AB, 6221ab, 6221) or a buurt name",
                ),
                LANG_PARAM,
            ),
            description=(
                "The result of `meldwijzer area --json` plus the area card (THOR and the "
                "police, and the next spreekuren) and the card as plain text. A postcode that "
                "spans areas gives `candidates` to pick from; a postcode outside Maastricht "
                "gives `in_maastricht: false`; anything else is a 404 with a clear message."
            ),
        ),
        Endpoint(
            "get",
            "/api/channels",
            "channels",
            "Every channel with its verified contacts",
            {200: ChannelList, 422: ErrorBody},
            params=(LANG_PARAM,),
        ),
        Endpoint(
            "get",
            "/healthz",
            "healthz",
            "Health of the service and its database",
            {200: Health, 503: Health},
            tags=("service",),
        ),
        Endpoint(
            "get",
            "/openapi.json",
            "openapi",
            "This document",
            {200: ("application/json", {"type": "object"})},
            tags=("service",),
        ),
    ]


def spreekuren_endpoints(area_ids: Sequence[str]) -> list[Endpoint]:
    """The spreekuren listing and the calendar feed (when bot.spreekuren is there)."""
    area = {"type": "string", "enum": list(area_ids)}
    return [
        Endpoint(
            "get",
            "/api/spreekuren",
            "spreekuren",
            "The upcoming spreekuren of an area",
            {200: SpreekurenList, 404: ErrorBody, 422: ErrorBody},
            params=(Param("area", "query", area, required=True, doc="area id"), LANG_PARAM),
            description="The next eight weeks, soonest first, and always the next one planned.",
        ),
        Endpoint(
            "get",
            "/spreekuren/{area}.ics",
            "spreekuren_feed",
            "A subscribable calendar feed",
            {200: ("text/calendar", {"type": "string"}), 404: ErrorBody, 422: ErrorBody},
            params=(Param("area", "path", area, doc="area id"), LANG_PARAM),
            description="iCalendar (RFC 5545), one event per date, stable UIDs; cancelled "
            "dates are events with STATUS:CANCELLED.",
            tags=("calendar",),
        ),
    ]


def build_openapi(
    settings: Settings, kaart: Meldkaart, endpoints: Iterable[Endpoint]
) -> dict[str, Any]:
    """The whole document; limits and situation ids are filled in from SETTINGS and KAART."""
    builder = SchemaBuilder()
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        op: dict[str, Any] = {
            "operationId": ep.operation_id,
            "summary": ep.summary,
            "tags": list(ep.tags),
            "responses": {},
        }
        if ep.description:
            op["description"] = ep.description
        if ep.params:
            op["parameters"] = [_param(p) for p in ep.params]
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": builder.request(ep.body)}},
            }
        responses = dict(ep.responses)
        if ep.path.startswith(("/api/", "/spreekuren/")) and settings.rate_limit_per_minute > 0:
            responses[429] = ErrorBody
        for status, what in sorted(responses.items()):
            op["responses"][str(status)] = _response(builder, status, what)
        paths.setdefault(ep.path, {})[ep.method] = op

    schemas = builder.components
    request = schemas.get("RouteRequest")
    if request:
        props = request["properties"]
        props["text"].update(minLength=1, maxLength=settings.max_text_chars, pattern=NOT_ONLY_SPACE)
        props["situation"]["enum"] = sorted(s.id for s in kaart.situations.values() if s.is_report)
        request["anyOf"] = [{"required": ["text"]}, {"required": ["situation"]}]
    _chat_schemas(schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meldwijzer Maastricht",
            "version": __version__,
            "description": (
                "Where to report what in Maastricht: 112, the police, the gemeente, Veilig Thuis "
                "and more, and the area team of a postcode or buurt. Nothing you send is stored "
                'or logged. Errors are JSON: {"error": code, "message": text, "language"}.'
            ),
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _chat_schemas(schemas: dict[str, Any]) -> None:
    """/api/chat's request: one message field; the state and its options as sent back (every
    field optional, nothing else allowed)."""
    request = schemas.get("ChatRequest")
    if request is None:
        return
    request["oneOf"] = [{"required": [k]} for k in ("text", "situation", "buurt", "spreekuren")]
    state, offer = schemas["ChatStateBody"], schemas["OfferBody"]
    state["required"] = []
    state["additionalProperties"] = False
    for name in offer["properties"]:
        offer["properties"][name] = {"type": "string"}
    offer["required"] = []
    offer["additionalProperties"] = False
    offer["oneOf"] = [{"required": [k]} for k in offer["properties"]]


def _param(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name,
        "in": p.where,
        "required": p.required or p.where == "path",
        "schema": p.schema,
    }
    if p.doc:
        out["description"] = p.doc
    return out


_DESCRIPTIONS = {
    200: "OK",
    400: "The body is not JSON",
    404: "Not found (the message says why)",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "A field or parameter is not valid",
    429: "Too many requests from this client: wait Retry-After seconds",
    503: "Not available",
}


def _response(builder: SchemaBuilder, status: int, what: Any) -> dict[str, Any]:
    if isinstance(what, tuple):
        media, schema = what
    else:
        media, schema = "application/json", builder.of(what)
    out: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, "OK"),
        "content": {media: {"schema": schema}},
    }
    if status == 429:
        out["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}
        }
    return out
