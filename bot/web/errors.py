"""JSON errors with a clear message in the asker's language (Dutch or English)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers, QueryParams
from starlette.responses import JSONResponse

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t


class ApiError(Exception):
    """A request the API refuses: HTTP status, a stable code and the values its message needs."""

    def __init__(
        self,
        status: int,
        code: str,
        headers: Mapping[str, str] | None = None,
        *,
        message: str | None = None,
        **values: object,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})
        self.message = message  # already in the request's language (a core module's own text)
        self.values = values


def request_language(headers: Headers, query: QueryParams, explicit: object = None) -> str:
    """The language to answer in: an explicit choice, ?lang=, Accept-Language, else Dutch."""
    for choice in (explicit, query.get("lang")):
        if isinstance(choice, str) and choice in LANGUAGES:
            return choice
    accept = headers.get("accept-language", "")
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    if ranked:
        return normalise_language(min(ranked)[2])
    return DEFAULT_LANGUAGE


def error_response(
    lang: str,
    status: int,
    code: str,
    headers: Mapping[str, str] | None = None,
    message: str | None = None,
    **values: object,
) -> JSONResponse:
    """The error body every endpoint uses: {"error": code, "message": text, "language": lang}."""
    text = message if message is not None else t(f"web.error.{code}", lang, **values)
    body = {"error": code, "message": text, "language": lang}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
