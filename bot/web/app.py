"""The ASGI app: the JSON API, the chat page, the docs and, in webhook mode, Telegram's door."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.services import Services
from bot.web.api import DOOR_HEADER, Api
from bot.web.errors import ApiError, error_response, request_language
from bot.web.middleware import AccessLog, BodyLimit, CatchAll, RateLimit, SecurityHeaders
from bot.web.openapi import Endpoint, build_openapi, core_endpoints, spreekuren_endpoints
from bot.web.page import STATIC_DIR, Pages
from bot.web.proxies import ForwardedClient, TrustedProxies
from bot.web.ratelimit import RateLimiter
from bot.web.webhook import WEBHOOK_MAX_BODY, Webhook, webhook_path

RATE_LIMITED_PATHS = ("/api/", "/spreekuren/")
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def create_app(services: Services, telegram_app: Any = None) -> Starlette:
    """The whole HTTP service on SERVICES; TELEGRAM_APP gets the webhook route in webhook mode."""
    settings = services.settings
    webhook = telegram_app is not None and settings.webhook_url is not None
    telegram_mode = "off" if telegram_app is None else ("webhook" if webhook else "polling")
    api = Api(services, telegram_mode)
    pages = Pages(settings.max_text_chars)
    endpoints: list[Endpoint] = core_endpoints()
    if api.spreekuren is not None:
        endpoints += spreekuren_endpoints(api.area_ids)
    document = build_openapi(settings, services.router.meldkaart, endpoints)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    routes: list[BaseRoute] = []
    hook_path = None
    if webhook:
        hook_path = webhook_path(settings.webhook_url or "")
        hook = Webhook(telegram_app, settings)
        routes.append(Route(hook_path, hook.receive, methods=["POST"]))
    documented = {ep.path: ep for ep in endpoints}

    def api_route(path: str, handler: Handler, method: str) -> Route:
        return Route(path, _only_documented_params(handler, documented[path]), methods=[method])

    routes += [
        Route("/", pages.index, methods=["GET"]),
        Route("/docs", pages.docs, methods=["GET"]),
        Route("/i18n/{lang}.json", pages.texts, methods=["GET"]),
        api_route("/api/route", api.route, "POST"),
        api_route("/api/chat", api.chat, "POST"),
        api_route("/api/area", api.area, "GET"),
        api_route("/api/channels", api.channels, "GET"),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    if api.spreekuren is not None:
        routes += [
            api_route("/api/spreekuren", api.spreekuren_list, "GET"),
            api_route("/spreekuren/{area}.ics", api.spreekuren_feed, "GET"),
        ]
    routes += [
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]

    def body_limit(path: str) -> int:
        return WEBHOOK_MAX_BODY if path == hook_path else settings.max_body_bytes

    middleware = [
        Middleware(ForwardedClient, proxies=TrustedProxies(settings.trusted_proxies)),
        Middleware(AccessLog),
        Middleware(SecurityHeaders),
        Middleware(CatchAll),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["content-type", DOOR_HEADER],
                max_age=600,
            )
        )
    middleware += [
        Middleware(
            RateLimit,
            limiter=RateLimiter(settings.rate_limit_per_minute),
            watched=RATE_LIMITED_PATHS,
        ),
        Middleware(BodyLimit, limit_for=body_limit),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.services = services
    app.state.openapi = document
    return app


Handler = Callable[[Request], Awaitable[Response]]


def _only_documented_params(handler: Handler, endpoint: Endpoint) -> Handler:
    """HANDLER, refusing a query parameter its endpoint does not document (a typo is said)."""
    allowed = sorted(p.name for p in endpoint.params if p.where == "query")

    async def checked(request: Request) -> Response:
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            raise ApiError(
                422, "unknown_parameter", name=unknown[0][:40], allowed=", ".join(allowed) or "-"
            )
        return await handler(request)

    return checked


def _language(request: Request) -> str:
    explicit = getattr(request.state, "lang", None)
    return request_language(request.headers, request.query_params, explicit)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(
        _language(request), exc.status, exc.code, exc.headers, exc.message, **exc.values
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    return error_response(_language(request), exc.status_code, code, exc.headers)
