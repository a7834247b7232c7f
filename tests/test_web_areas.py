"""GET /api/area, /api/spreekuren and the calendar feed, through httpx against the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from packaged import packaged_router

from bot.config import Settings
from bot.i18n import t
from bot.services import Services, open_services
from bot.web import create_app

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
LINE = "noord-oost 3-12-2026 14:00-15:30 Buurtcentrum Limmel | wijkagent en handhaver"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    svc = await open_services(Settings(db_path=tmp_path / "areas.sqlite3"), packaged_router())
    yield svc
    await svc.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    services.clock = lambda: NOW
    app = create_app(services)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_area_of_a_buurt(client: httpx.AsyncClient, services: Services) -> None:
    response = await client.get("/api/area", params={"q": "Malberg"})
    assert response.status_code == 200
    body = response.json()
    contract = services.areas.lookup("Malberg").to_json()
    assert {k: body[k] for k in contract} == contract
    assert body["area"] == "noord-west" and body["buurt"] == "Malberg"
    card = body["card"]
    assert card["kind"] == "area" and card["thor"]["phone"] and card["police"]["phone"]
    assert body["language"] == "nl" and body["text"].startswith(
        t("area.card_title", "nl", area="Noord-West")
    )


async def test_area_of_a_split_postcode_offers_buurten(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/area", params={"q": "6221 ab", "lang": "en"})).json()
    assert body["postcode"] == "6221AB" and body["area"] is None
    assert {c["buurt"] for c in body["candidates"]} >= {"Wyck", "Heugemerveld"}
    assert body["card"]["kind"] == "choose" and body["language"] == "en"
    assert "Heugemerveld" in body["text"] and body["calendar"] is None


async def test_area_outside_maastricht_and_po_box(client: httpx.AsyncClient) -> None:
    outside = (await client.get("/api/area", params={"q": "1012AB"})).json()
    assert outside["in_maastricht"] is False and outside["card"]["kind"] == "outside"
    assert "0900-8844" in outside["text"]
    po_box = (await client.get("/api/area", params={"q": "6201"})).json()
    assert po_box["card"]["kind"] == "po-box"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 422, "query_missing"),
        ({"q": ""}, 422, "query_missing"),
        ({"q": "   "}, 422, "query_missing"),
        ({"q": "x" * 201}, 422, "query_too_long"),
        ({"q": "Malberg", "lang": "fr"}, 422, "bad_lang"),
        ({"q": "xyzzy plof"}, 404, "area_not_found"),
        ({"q": "9999 ZZZ"}, 404, "area_not_found"),
    ],
)
async def test_area_bad_queries(
    client: httpx.AsyncClient, params: dict[str, str], status: int, code: str
) -> None:
    response = await client.get("/api/area", params=params, headers={"accept-language": "en"})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == code and body["language"] == "en" and body["message"]


async def test_area_not_found_speaks_the_asked_language(client: httpx.AsyncClient) -> None:
    nl = (await client.get("/api/area", params={"q": "xyzzy"})).json()
    en = (await client.get("/api/area", params={"q": "xyzzy", "lang": "en"})).json()
    assert nl["message"] == t("area.not_found", "nl", query="xyzzy")
    assert en["message"] == t("area.not_found", "en", query="xyzzy")


# -- spreekuren (issue 5's module) ---------------------------------------------------------------


@pytest.fixture
async def published(services: Services) -> None:
    spreekuren = pytest.importorskip("bot.spreekuren")
    staff_module = pytest.importorskip("bot.staff")
    staff = staff_module.StaffDirectory(services.db, {1}, services.areas)
    await staff.add(1, 55, ["noord-oost"], NOW, name="Wijkagent")
    draft = spreekuren.parse_line(services.areas, LINE, spreekuren.today_in_maastricht(NOW))
    await spreekuren.publish(services.db, staff, 55, draft, NOW)


@pytest.mark.usefixtures("published")
async def test_area_card_lists_the_next_spreekuren(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/area", params={"q": "Wittevrouwenveld"})).json()
    assert body["area"] == "noord-oost" and body["calendar"] == "/spreekuren/noord-oost.ics"
    assert len(body["card"]["spreekuren"]) == 1
    assert "Buurtcentrum Limmel" in body["card"]["spreekuren"][0]
    assert "Buurtcentrum Limmel" in body["text"]


@pytest.mark.usefixtures("published")
async def test_spreekuren_listing(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/spreekuren", params={"area": "noord-oost", "lang": "en"})).json()
    assert body["area"] == "noord-oost" and body["language"] == "en"
    [item] = body["spreekuren"]
    assert item["date"] == "2026-12-03" and item["place"] == "Buurtcentrum Limmel"
    assert item["start"].startswith("2026-12-03T14:00") and item["cancelled"] is False
    assert "Buurtcentrum Limmel" in body["text"]
    empty = (await client.get("/api/spreekuren", params={"area": "zuid-oost"})).json()
    assert empty["spreekuren"] == [] and "0900-8844" in empty["text"]


@pytest.mark.usefixtures("published")
async def test_spreekuren_feed_is_icalendar(client: httpx.AsyncClient) -> None:
    response = await client.get("/spreekuren/noord-oost.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    feed = response.text
    assert feed.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in feed
    assert "Buurtcentrum Limmel" in feed and "UID:" in feed
    other = await client.get("/spreekuren/zuid-oost.ics")
    assert other.status_code == 200 and "BEGIN:VEVENT" not in other.text


async def test_spreekuren_bad_areas(client: httpx.AsyncClient) -> None:
    pytest.importorskip("bot.spreekuren")
    missing = await client.get("/api/spreekuren")
    assert missing.status_code == 422 and missing.json()["error"] == "area_missing"
    assert "noord-oost" in missing.json()["message"]
    unknown = await client.get("/api/spreekuren", params={"area": "zuid"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_area"
    feed = await client.get("/spreekuren/zuid.ics")
    assert feed.status_code == 404 and feed.json()["error"] == "unknown_area"
    assert (
        await client.get("/api/spreekuren", params={"area": "noord-oost", "lang": "x"})
    ).status_code == 422


@pytest.mark.usefixtures("published")
async def test_spreekuren_payloads_match_the_schema(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert {"/api/area", "/api/spreekuren", "/spreekuren/{area}.ics"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    body = (await client.get("/api/spreekuren", params={"area": "noord-oost"})).json()
    assert set(body) == set(schemas["SpreekurenList"]["properties"])
    assert set(body["spreekuren"][0]) == set(schemas["SpreekuurLine"]["properties"])
    area = (await client.get("/api/area", params={"q": "Wittevrouwenveld"})).json()
    assert set(area) == set(schemas["AreaAnswer"]["properties"])
    assert set(area["card"]) == set(schemas["AreaCard"]["properties"])
