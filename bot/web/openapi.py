"""The OpenAPI 3.1 document of the service, built from the payload dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot import __version__
from bot.config import Settings
from bot.meldkaart import Meldkaart
from bot.web.payloads import ChannelList, ErrorBody, Health, RouteAnswer, RouteRequest
from bot.web.schema import JsonSchema, SchemaBuilder

LANG_SCHEMA: JsonSchema = {"type": "string", "enum": ["nl", "en"]}


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
            "post", "/api/route", "route", "Where to report what a message describes",
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
            "get", "/api/channels", "channels", "Every channel with its verified contacts",
            {200: ChannelList, 422: ErrorBody}, params=(LANG_PARAM,),
        ),
        Endpoint(
            "get", "/healthz", "healthz", "Health of the service and its database",
            {200: Health, 503: Health}, tags=("service",),
        ),
        Endpoint(
            "get", "/openapi.json", "openapi", "This document",
            {200: ("application/json", {"type": "object"})}, tags=("service",),
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
        # Some character that is not white space, at most the configured number of characters.
        props["text"].update(minLength=1, maxLength=settings.max_text_chars, pattern=r"\S")
        props["situation"]["enum"] = sorted(s.id for s in kaart.situations.values() if s.is_report)
        request["anyOf"] = [{"required": ["text"]}, {"required": ["situation"]}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meldwijzer Maastricht",
            "version": __version__,
            "description": (
                "Where to report what in Maastricht: 112, the police, the gemeente, Veilig Thuis "
                "and more, and the area team of a postcode or buurt. Nothing you send is stored "
                "or logged. Errors are JSON: {\"error\": code, \"message\": text, \"language\"}."
            ),
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


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
    200: "OK", 400: "The body is not JSON", 404: "Not found", 413: "The body is too large",
    415: "The body is not application/json", 422: "A field or parameter is not valid",
    429: "Too many requests from this client: wait Retry-After seconds", 503: "Not available",
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
