"""The HTTP API through httpx against the ASGI app: every endpoint and its bad inputs."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaged import packaged_router

from bot.config import Settings
from bot.i18n import catalog
from bot.services import Services, open_services
from bot.stats import Question
from bot.web import create_app
from bot.web.ratelimit import RateLimiter

RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is nu brand in mijn keuken"


class RecordingStats:
    """Stands in for the counters: keeps every Question it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.questions: list[Question] = []
        self.fail = fail

    async def record(self, question: Question) -> None:
        if self.fail:
            raise RuntimeError("counter down")
        self.questions.append(question)

    async def stop(self) -> None:
        """Services.close stops the counters' timer."""


async def _services(tmp_path: Path, **changes: Any) -> Services:
    settings = dataclasses.replace(Settings(db_path=tmp_path / "web.sqlite3"), **changes)
    return await open_services(settings, packaged_router())


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    svc = await _services(tmp_path)
    yield svc
    await svc.close()


def client_for(app: Any, client: tuple[str, int] = ("198.51.100.7", 5000)) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app, client=client), base_url="http://testserver"
    )


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(services)) as c:
        yield c


# -- POST /api/route -----------------------------------------------------------------------------


async def test_route_answers_with_the_cli_contract_and_the_card(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/route", json={"text": RUBBISH})
    assert response.status_code == 200
    body = response.json()
    contract = packaged_router().route(RUBBISH).to_json()
    assert {k: body[k] for k in contract} == contract
    assert body["channel"] == "melddesk" and body["emergency"] is False
    card = body["card"]
    assert card["kind"] in ("report", "followup") and card["language"] == "nl"
    primary = card["primary"]
    assert primary["channel_id"] == "melddesk"
    assert primary["name"] and primary["expect"] and primary["why"]
    assert any(c["kind"] == "phone" for c in primary["contacts"]) or primary["contacts"]
    assert primary["name"] in body["text"]


async def test_route_shows_only_verified_contacts(client: httpx.AsyncClient) -> None:
    body = (await client.post("/api/route", json={"text": RUBBISH})).json()
    kaart = packaged_router().meldkaart
    for block in [body["card"]["primary"], *body["card"]["secondary"]]:
        shown = {(c.kind, c.value) for c in kaart.channel(block["channel_id"]).shown_contacts()}
        assert {(c["kind"], c["value"]) for c in block["contacts"]} <= shown


async def test_route_fire_now_is_an_emergency_with_112_first(client: httpx.AsyncClient) -> None:
    body = (await client.post("/api/route", json={"text": FIRE, "lang": "en"})).json()
    assert body["channel"] == "112" and body["emergency"] is True
    assert body["card"]["kind"] == "emergency" and body["card"]["language"] == "en"
    assert body["text"].splitlines()[0].startswith("🚨")
    assert "112" in body["text"].splitlines()[0]


async def test_route_language_follows_lang_then_the_text(client: httpx.AsyncClient) -> None:
    english = (
        await client.post("/api/route", json={"text": "there is a fire in my kitchen right now"})
    ).json()
    assert english["card"]["language"] == "en"
    forced = (await client.post("/api/route", json={"text": RUBBISH, "lang": "en"})).json()
    assert forced["card"]["language"] == "en" and forced["language"] == "nl"


async def test_route_by_situation_answers_the_picked_option(client: httpx.AsyncClient) -> None:
    body = (
        await client.post("/api/route", json={"situation": "afval-bijplaatsing", "lang": "en"})
    ).json()
    assert body["situation"] == "afval-bijplaatsing" and body["channel"] == "melddesk"
    assert body["card"]["language"] == "en"


async def test_route_not_understood_says_so_kindly(client: httpx.AsyncClient) -> None:
    body = (await client.post("/api/route", json={"text": "qwxz plonk"})).json()
    assert body["channel"] is None and body["card"]["kind"] == "empty"
    assert "14 043" in body["card"]["message"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"not json", 400, "bad_json"),
        (b"\xff\xfe", 400, "bad_json"),
        (b"", 400, "bad_json"),
        (b"[1, 2]", 422, "not_an_object"),
        (b'"text"', 422, "not_an_object"),
        (b"{}", 422, "missing_text"),
        (b'{"text": null}', 422, "text_not_text"),
        (b'{"text": "hallo", "lang": null}', 422, "bad_lang"),
        (b'{"text": "hallo", "situation": null}', 422, "unknown_situation"),
        (b'{"text": 42}', 422, "text_not_text"),
        (b'{"text": ["a"]}', 422, "text_not_text"),
        (b'{"text": ""}', 422, "text_empty"),
        (b'{"text": "   \\n\\t"}', 422, "text_empty"),
        (b'{"text": "hallo", "lang": "de"}', 422, "bad_lang"),
        (b'{"text": "hallo", "lang": 1}', 422, "bad_lang"),
        (b'{"text": "hallo", "door": "telegram"}', 422, "unknown_field"),
        (b'{"situation": "bestaat-niet"}', 422, "unknown_situation"),
        (b'{"situation": 7}', 422, "unknown_situation"),
    ],
)
async def test_route_bad_bodies_get_clear_json_errors(
    client: httpx.AsyncClient, payload: bytes, status: int, code: str
) -> None:
    response = await client.post(
        "/api/route", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code and body["language"] == "nl"
    expected = catalog("nl")[f"web.error.{code}"]
    assert body["message"] == expected.format(field="door", allowed="text, lang, situation")


async def test_route_info_situation_is_not_a_pickable_report(client: httpx.AsyncClient) -> None:
    kaart = packaged_router().meldkaart
    info = next((s.id for s in kaart.situations.values() if not s.is_report), None)
    if info is None:
        pytest.skip("the meldkaart has no info entries")
    response = await client.post("/api/route", json={"situation": info})
    assert response.status_code == 422 and response.json()["error"] == "unknown_situation"


async def test_route_error_language_from_body_then_accept_language(
    client: httpx.AsyncClient,
) -> None:
    by_body = await client.post("/api/route", json={"text": "", "lang": "en"})
    assert by_body.json()["language"] == "en"
    assert by_body.json()["message"] == catalog("en")["web.error.text_empty"]
    by_header = await client.post(
        "/api/route", json={"text": ""}, headers={"accept-language": "en-GB,en;q=0.9,nl;q=0.5"}
    )
    assert by_header.json()["language"] == "en"
    dutch = await client.post(
        "/api/route", json={"text": ""}, headers={"accept-language": "fr;q=0.4, nl-BE;q=0.8"}
    )
    assert dutch.json()["language"] == "nl"


async def test_route_text_length_cap(services: Services) -> None:
    limit = services.settings.max_text_chars
    async with client_for(create_app(services)) as c:
        assert (await c.post("/api/route", json={"text": "a" * limit})).status_code == 200
        over = await c.post("/api/route", json={"text": "a" * (limit + 1)})
    assert over.status_code == 422
    assert over.json()["error"] == "text_too_long" and str(limit) in over.json()["message"]


async def test_route_needs_json_content_type(client: httpx.AsyncClient) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = await client.post(
            "/api/route", content=b'{"text": "hallo"}', headers={"content-type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.json()["error"] == "unsupported_media_type"
    ok = await client.post(
        "/api/route",
        content=b'{"text": "hallo"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200


async def test_body_size_cap_declared_and_streamed(tmp_path: Path) -> None:
    svc = await _services(tmp_path, max_body_bytes=100)
    try:
        async with client_for(create_app(svc)) as c:
            big = json.dumps({"text": "x" * 200}).encode()
            declared = await c.post(
                "/api/route", content=big, headers={"content-type": "application/json"}
            )
            assert declared.status_code == 413 and declared.json()["error"] == "body_too_large"
            assert "100" in declared.json()["message"]

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(10):
                    yield b" " * 20

            streamed = await c.post(
                "/api/route", content=chunks(), headers={"content-type": "application/json"}
            )
            assert streamed.status_code == 413 and streamed.json()["error"] == "body_too_large"
            small = await c.post("/api/route", json={"text": RUBBISH})
            assert small.status_code == 200
    finally:
        await svc.close()


async def test_every_answer_is_counted_with_its_door(services: Services) -> None:
    stats = RecordingStats()
    services.stats = stats  # type: ignore[assignment]
    async with client_for(create_app(services)) as c:
        await c.post("/api/route", json={"text": FIRE})
        await c.post(
            "/api/route", json={"text": RUBBISH, "lang": "en"}, headers={"x-meldwijzer-door": "web"}
        )
        await c.post("/api/route", json={"text": ""})  # refused: not an answer, not counted
        await c.post("/api/route", json={"text": "hallo"})  # a greeting is not a question
        await c.post("/api/route", json={"text": RUBBISH + " in Malberg"})
        await c.post("/api/route", json={"text": "losse stoeptegel bij 6217 AB"})
    assert [q.door for q in stats.questions] == ["api", "web", "api", "api"]
    first, second, malberg, postcode = stats.questions
    assert first.emergency and first.channel == "112" and first.language == "nl"
    assert second.channel == "melddesk" and second.language == "en"
    assert first.area is None and first.pc4 is None
    assert malberg.area == "noord-west" and malberg.pc4 is None
    assert postcode.pc4 == "6217"
    for q in stats.questions:  # nothing of the text reaches the counters
        assert "keuken" not in json.dumps(dataclasses.asdict(q))


async def test_a_counting_failure_does_not_fail_the_answer(services: Services) -> None:
    services.stats = RecordingStats(fail=True)  # type: ignore[assignment]
    async with client_for(create_app(services)) as c:
        response = await c.post("/api/route", json={"text": RUBBISH})
    assert response.status_code == 200 and response.json()["channel"] == "melddesk"


# -- GET /api/channels, /healthz, /openapi.json -----------------------------------------------


async def test_channels_lists_every_channel_with_verified_contacts(
    client: httpx.AsyncClient,
) -> None:
    kaart = packaged_router().meldkaart
    nl = (await client.get("/api/channels")).json()
    en = (await client.get("/api/channels?lang=en")).json()
    assert nl["language"] == "nl" and en["language"] == "en"
    assert [c["channel_id"] for c in nl["channels"]] == list(kaart.channels)
    for block in nl["channels"]:
        channel = kaart.channel(block["channel_id"])
        assert block["name"] == channel.name.nl
        assert len(block["contacts"]) == len(channel.shown_contacts())
    assert [c["name"] for c in en["channels"]] == [c.name.en for c in kaart.channels.values()]
    bad = await client.get("/api/channels?lang=xx")
    assert bad.status_code == 422 and bad.json()["error"] == "bad_lang"


async def test_healthz(services: Services) -> None:
    async with client_for(create_app(services)) as c:
        ok = await c.get("/healthz")
        assert ok.status_code == 200
        assert ok.json() == {
            "status": "ok",
            "version": ok.json()["version"],
            "database": "ok",
            "telegram": "off",
        }
        await services.db.close()
        down = await c.get("/healthz")
    assert down.status_code == 503
    assert down.json()["status"] == "degraded" and down.json()["database"] == "unavailable"


async def test_openapi_document_lists_the_endpoints(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert {"/api/route", "/api/channels", "/healthz", "/openapi.json"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    assert {"RouteAnswer", "AnswerCard", "ChannelBlock", "ContactLine", "ErrorBody"} <= set(schemas)
    contract = set(packaged_router().route(RUBBISH).to_json())
    assert contract <= set(schemas["RouteAnswer"]["properties"])
    request = schemas["RouteRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["text"]["maxLength"] == Settings().max_text_chars


async def test_docs_page_needs_no_other_site(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and "/static/docs.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    script = await client.get("/static/docs.js")
    assert script.status_code == 200 and "/openapi.json" in script.text


# -- errors, headers, CORS, rate limit -----------------------------------------------------------


async def test_unknown_paths_and_methods_are_json_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nope", headers={"accept-language": "en"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert missing.json()["language"] == "en"
    wrong = await client.get("/api/route")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert (await client.get("/i18n/de.json")).status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/api/channels", "/healthz", "/nope", "/static/app.css", "/docs"]
)
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers  # plain http here
    assert "server" not in headers or "uvicorn" not in headers["server"]
    expected_cache = "no-cache" if path.startswith("/static/") else "no-store"
    assert headers["cache-control"] == expected_cache


async def test_hsts_over_https(services: Services) -> None:
    transport = httpx.ASGITransport(create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        response = await c.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_cors_is_off_unless_configured(client: httpx.AsyncClient, tmp_path: Path) -> None:
    plain = await client.post(
        "/api/route", json={"text": RUBBISH}, headers={"origin": "https://example.org"}
    )
    assert "access-control-allow-origin" not in plain.headers
    svc = await _services(tmp_path, cors_origins=("https://www.gemeentemaastricht.nl",))
    try:
        async with client_for(create_app(svc)) as c:
            allowed = await c.post(
                "/api/route",
                json={"text": RUBBISH},
                headers={"origin": "https://www.gemeentemaastricht.nl"},
            )
            assert (
                allowed.headers["access-control-allow-origin"]
                == "https://www.gemeentemaastricht.nl"
            )
            preflight = await c.options(
                "/api/route",
                headers={
                    "origin": "https://www.gemeentemaastricht.nl",
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "content-type",
                },
            )
            assert preflight.status_code == 200
            other = await c.post(
                "/api/route", json={"text": RUBBISH}, headers={"origin": "https://evil.example"}
            )
            assert "access-control-allow-origin" not in other.headers
    finally:
        await svc.close()


async def test_rate_limit_per_client(tmp_path: Path) -> None:
    svc = await _services(tmp_path, rate_limit_per_minute=3)
    try:
        app = create_app(svc)
        async with (
            client_for(app, ("203.0.113.1", 1)) as one,
            client_for(app, ("203.0.113.2", 1)) as two,
        ):
            statuses = [
                (await one.post("/api/route", json={"text": RUBBISH})).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            limited = await one.get("/api/channels?lang=en")
            assert limited.status_code == 429
            body = limited.json()
            assert body["error"] == "rate_limited" and body["language"] == "en"
            wait = int(limited.headers["retry-after"])
            assert wait >= 1
            # "Try again in 1 second", "in 2 seconds": the plural form follows the number.
            assert f"in {wait} second{'' if wait == 1 else 's'}." in body["message"]
            assert limited.headers["content-security-policy"]
            assert (await two.post("/api/route", json={"text": RUBBISH})).status_code == 200
            assert (await one.get("/healthz")).status_code == 200  # not rate limited
            assert (await one.get("/")).status_code == 200
    finally:
        await svc.close()


def test_token_bucket_refills_and_forgets_old_clients() -> None:
    now = [0.0]
    limiter = RateLimiter(60, max_clients=2, clock=lambda: now[0])
    assert all(limiter.check("a") == 0.0 for _ in range(60))
    wait = limiter.check("a")
    assert 0.9 < wait <= 1.0
    now[0] += 1.0
    assert limiter.check("a") == 0.0 and limiter.check("a") > 0
    limiter.check("b")
    limiter.check("c")
    assert len(limiter) == 2  # "a" was the least recently seen
    assert limiter.check("a") == 0.0  # a forgotten client starts with a full bucket
    assert RateLimiter(0).check("x") == 0.0 and not RateLimiter(0).enabled


async def test_no_user_text_in_any_log(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Jansen woont op Hoogbrugstraat 12 en slaat zijn hond"
    caplog.set_level(logging.DEBUG)
    async with client_for(create_app(services)) as c:
        await c.post("/api/route", json={"text": secret})
        await c.post("/api/route", json={"text": secret, "extra": secret})
        await c.post(
            "/api/route", content=secret.encode(), headers={"content-type": "application/json"}
        )
        await c.get("/api/channels", params={"lang": secret})
        await c.get("/nope/" + "Hoogbrugstraat")
    # The service's own loggers (httpx here is the test client, on the other side of the wire).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert any(r.name == "meldwijzer.web" for r in server), "the access log should have written"
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in server)
    for word in ("Jansen", "Hoogbrugstraat", "hond"):
        assert word not in logged


async def test_unexpected_errors_are_json_500_without_details(services: Services) -> None:
    class Broken:
        meldkaart = packaged_router().meldkaart

        def route(self, text: str) -> Any:
            raise RuntimeError("boom " + text)

    services.router = Broken()  # type: ignore[assignment]
    app = create_app(services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app, raise_app_exceptions=False), base_url="http://t"
    ) as c:
        response = await c.post("/api/route", json={"text": "geheim"})
    assert response.status_code == 500
    assert response.json()["error"] == "server_error" and "geheim" not in response.text
    assert response.headers["content-security-policy"]


# -- the page and its texts ----------------------------------------------------------------------


async def test_page_language_from_browser_and_query(client: httpx.AsyncClient) -> None:
    dutch = await client.get("/")
    assert dutch.status_code == 200 and '<html lang="nl">' in dutch.text
    assert catalog("nl")["web.page.quick_exit"] in dutch.text
    english = await client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert (
        '<html lang="en">' in english.text and catalog("en")["web.page.quick_exit"] in english.text
    )
    assert english.headers["content-language"] == "en"
    assert '<html lang="en">' in (await client.get("/?lang=en")).text
    assert "{{" not in dutch.text and "}}" not in english.text


async def test_page_has_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    import re

    for path in ("/", "/docs"):
        html = (await client.get(path)).text
        for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
            assert tag.strip() == ""
        assert all("src=" in s for s in re.findall(r"<script\b[^>]*>", html))
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)


async def test_page_is_labelled_for_screen_readers(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert '<label for="question"' in html and 'id="question"' in html
    assert 'id="quick-exit"' in html and 'role="status"' in html
    assert 'name="viewport"' in html and 'href="tel:112"' in html


async def test_page_texts_are_complete_in_both_languages(client: httpx.AsyncClient) -> None:
    nl = (await client.get("/i18n/nl.json")).json()
    en = (await client.get("/i18n/en.json")).json()
    assert set(nl) == set(en) and "web.chat.copy" in nl and "answer.report_to" in nl
    assert nl["web.chat.copy"] == "Kopieer antwoord"
    web_nl = {k for k in catalog("nl") if k.startswith("web.")}
    web_en = {k for k in catalog("en") if k.startswith("web.")}
    assert web_nl == web_en
    script = (await client.get("/static/app.js")).text
    import re

    used = set(re.findall(r"""tr\("(web\.[a-z_.]+)""", script))
    used |= set(re.findall(r'data-i18n(?:-title)?="(web\.[a-z_.]+)"', (await client.get("/")).text))
    assert used and used <= web_nl


# -- the Telegram webhook ------------------------------------------------------------------------


class FakeTelegram:
    """Stands in for the running bot's Application: a bot-less update queue."""

    bot = None

    def __init__(self) -> None:
        self.update_queue: asyncio.Queue[Any] = asyncio.Queue()

    def queued(self) -> list[int]:
        ids = []
        while not self.update_queue.empty():
            ids.append(self.update_queue.get_nowait().update_id)
        return ids


async def test_webhook_checks_the_secret_token(tmp_path: Path) -> None:
    svc = await _services(
        tmp_path, webhook_url="https://bot.example.org/tg/hook", webhook_secret="s3cret-token"
    )
    fake = FakeTelegram()
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
    }
    try:
        async with client_for(create_app(svc, telegram_app=fake)) as c:
            none = await c.post("/tg/hook", json=update)
            wrong = await c.post(
                "/tg/hook", json=update, headers={"x-telegram-bot-api-secret-token": "nope"}
            )
            assert none.status_code == wrong.status_code == 403 and fake.update_queue.empty()
            headers = {"x-telegram-bot-api-secret-token": "s3cret-token"}
            ok = await c.post("/tg/hook", json=update, headers=headers)
            assert ok.status_code == 200 and fake.queued() == [1]
            bad = await c.post("/tg/hook", content=b"{", headers=headers)
            assert bad.status_code == 400
            odd = await c.post("/tg/hook", json={"hello": 1}, headers=headers)
            assert odd.status_code == 422 and fake.queued() == []
            health = (await c.get("/healthz")).json()
            assert health["telegram"] == "webhook"
    finally:
        await svc.close()


async def test_no_webhook_route_without_webhook_mode(tmp_path: Path) -> None:
    svc = await _services(
        tmp_path, webhook_url="https://bot.example.org/tg/hook", webhook_secret="x"
    )
    try:
        async with client_for(create_app(svc)) as c:
            assert (await c.post("/tg/hook", json={"update_id": 1})).status_code == 404
        svc.settings = dataclasses.replace(svc.settings, webhook_url=None)
        async with client_for(create_app(svc, telegram_app=FakeTelegram())) as c:
            assert (await c.post("/tg/hook", json={"update_id": 1})).status_code == 404
            assert (await c.get("/healthz")).json()["telegram"] == "polling"
    finally:
        await svc.close()


async def test_webhook_without_a_secret_refuses_everything(tmp_path: Path) -> None:
    svc = await _services(tmp_path, webhook_url="https://bot.example.org/", webhook_secret=None)
    fake = FakeTelegram()
    try:
        async with client_for(create_app(svc, telegram_app=fake)) as c:
            response = await c.post(
                "/", json={"update_id": 1}, headers={"x-telegram-bot-api-secret-token": ""}
            )
            assert (await c.get("/")).status_code == 200  # the page still answers on "/"
        assert response.status_code == 403 and fake.queued() == []
    finally:
        await svc.close()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/channels?x=1", "lang"),
        ("/api/area?q=6221AB&foo=1", "lang, q"),
        ("/api/area?foo=1", "lang, q"),
    ],
)
async def test_an_unknown_query_parameter_is_refused_by_name(
    client: httpx.AsyncClient, path: str, allowed: str
) -> None:
    """A typo like ?qq= is said, not silently ignored (GET /api/area?foo=1 was accepted)."""
    response = await client.get(path, headers={"accept-language": "en"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "unknown_parameter"
    assert f"Known: {allowed}." in body["message"]


async def test_the_documented_parameters_still_pass(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/area?q=6221AB&lang=en")).status_code == 200
    assert (await client.get("/api/channels?lang=nl")).status_code == 200


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{}", "one_message"),
        (b'{"text": "hallo", "situation": "hondenpoep"}', "one_message"),
        (b'{"text": 7}', "text_not_text"),
        (b'{"buurt": ["Wyck"]}', "not_a_name"),
        (b'{"text": "hallo", "door": "web"}', "unknown_field"),
        (b'{"text": "hallo", "state": []}', "bad_state"),
        (b'{"text": "hallo", "state": {"language": "de"}}', "bad_state"),
        (b'{"text": "hallo", "state": {"asked_area": "yes"}}', "bad_state"),
        (b'{"text": "hallo", "state": {"offered": [{"situation": 1}]}}', "bad_state"),
        (b'{"text": "hallo", "state": {"offered": [{"a": "b", "c": "d"}]}}', "unknown_field"),
        (b'{"text": "hallo", "state": {"words": "mijn buurman"}}', "unknown_field"),
    ],
)
async def test_chat_bad_bodies_get_clear_json_errors(
    client: httpx.AsyncClient, payload: bytes, code: str
) -> None:
    response = await client.post(
        "/api/chat", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == code and response.json()["message"]


@pytest.mark.parametrize(
    ("text", "words"), [("   ", "Typ wat er aan de hand is"), ("x" * 2001, "te lang")]
)
async def test_chat_says_kindly_what_it_cannot_answer(
    client: httpx.AsyncClient, text: str, words: str
) -> None:
    response = await client.post("/api/chat", json={"text": text, "lang": "nl"})
    assert response.status_code == 200
    answer = response.json()["answer"]
    assert answer["kind"] == "problem" and words in answer["message"]


async def test_chat_state_with_an_unknown_area_is_answered_without_it(
    client: httpx.AsyncClient,
) -> None:
    state = {"area": "atlantis", "buurt": "Wyck", "offered": [{"buurt": "Atlantis"}]}
    response = await client.post("/api/chat", json={"text": "1", "state": state})
    assert response.status_code == 200
    body = response.json()
    assert body["answer"]["kind"] == "problem"  # the offered buurt does not exist
    assert body["state"]["area"] is None
