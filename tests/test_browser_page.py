"""The web page in a real browser: Debian's headless chromium driven by Playwright's Python package.

Skips cleanly when /usr/bin/chromium or playwright is missing (a fresh machine with only Python
and make still passes `make test`; .ci/run installs chromium first). Nothing leaves the machine:
the page talks to the service on 127.0.0.1, and the quick exit's neutral site is intercepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from packaged import packaged_router

from bot.config import Settings
from bot.i18n import catalog
from bot.server import serve
from bot.web.page import QUICK_EXIT_URL

CHROMIUM = Path(os.environ.get("MELDWIJZER_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api")

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUBBISH = "er staan weer vuilniszakken naast de container"
FIRE = "er is nu brand in mijn keuken"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def service(tmp_path: Path) -> AsyncIterator[str]:
    """`meldwijzer run` without a token, in this event loop, on a free port."""
    settings = dataclasses.replace(
        Settings(db_path=tmp_path / "browser.sqlite3"), host="127.0.0.1", port=free_port()
    )
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, started=started))
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        await task
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def ask(page: Any, text: str) -> Any:
    """Type TEXT like a person (keyboard only) and wait for the newest answer card."""
    before = await page.locator("#log article").count()
    await page.locator("#question").fill(text)
    await page.locator("#question").press("Enter")
    # Locator waits, not wait_for_function: the page's CSP (rightly) forbids eval.
    await page.locator("#log article").nth(before).wait_for()
    return page.locator("#log article").last


async def test_the_page_answers_questions_and_postcodes(browser: Any, tmp_path: Path) -> None:
    kaart = packaged_router().meldkaart
    nl = catalog("nl")
    async with service(tmp_path) as url:
        context = await browser.new_context(locale="nl-NL", viewport={"width": 1000, "height": 900})
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await page.goto(url)
        await page.wait_for_selector("body[data-ready=true]")
        assert await page.locator("html").get_attribute("lang") == "nl"
        assert await page.locator("#quick-exit").inner_text() == nl["web.page.quick_exit"]

        # Keyboard only: the first Tab reaches the skip link, and focus is visible.
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.className")
        assert "skip-link" in focused
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"

        card = await ask(page, RUBBISH)
        assert await card.get_attribute("data-kind") in ("report", "followup")
        heading = await card.locator("h3").inner_text()
        assert kaart.channel("melddesk").name.nl in heading
        assert await card.locator(".contacts a").count() >= 1
        await card.get_by_role("button", name=nl["web.chat.copy"]).click()
        copied = await page.evaluate("navigator.clipboard.readText()")
        assert kaart.channel("melddesk").name.nl in copied and "112" in copied

        # What happens next is behind "Meer", in the answer already: no second request.
        expect = kaart.channel("melddesk").expect.nl
        assert expect not in await card.inner_text()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        more = card.get_by_role("button", name=nl["web.chat.more"])
        assert await more.get_attribute("aria-expanded") == "false"
        await more.press("Enter")  # keyboard only
        assert await card.locator(".details-body").is_visible()
        assert expect in await card.locator(".details-body").inner_text()
        assert nl["answer.area_hint"] in await card.locator(".details-body").inner_text()
        less = card.get_by_role("button", name=nl["web.chat.less"])
        assert await less.get_attribute("aria-expanded") == "true"
        await less.click()
        assert not await card.locator(".details-body").is_visible()
        assert requests == []

        emergency = await ask(page, FIRE)
        assert await emergency.get_attribute("data-kind") == "emergency"
        assert await emergency.locator("button.more").count() == 0  # the 112 card is whole
        assert await emergency.locator("a.call112-link[href='tel:112']").is_visible()
        assert (await emergency.locator(".call112-link").inner_text()).startswith("🚨")

        split = await ask(page, "6221 AB")
        assert await split.get_attribute("data-kind") == "area"
        assert await split.get_attribute("data-area-kind") == "choose"
        before = await page.locator("#log article").count()
        await split.get_by_role("button", name="Wyck").first.click()
        await page.locator("#log article").nth(before).wait_for()
        wyck = page.locator("#log article").last
        assert "Centrum" in await wyck.locator("h3").inner_text()

        malberg = await ask(page, "Malberg")
        assert await malberg.get_attribute("data-area-kind") == "area"
        assert "Noord-West" in await malberg.locator("h3").inner_text()
        assert "14 043" in await malberg.inner_text()
        for href in await malberg.locator(".area-text a").evaluate_all(
            "links => links.map(a => a.href)"
        ):
            assert href.startswith("https://") and not href.endswith(".")
        assert await malberg.locator("p.reminder").count() == 1

        shots = tmp_path / "screenshots"
        shots.mkdir()
        await page.screenshot(path=str(shots / "page-nl.png"), full_page=True)

        # English, switched on the page.
        await page.locator("#lang-switch").click()
        await page.locator("html[lang=en]").wait_for(state="attached")
        assert (
            await page.locator("#quick-exit").inner_text() == catalog("en")["web.page.quick_exit"]
        )
        english = await ask(page, "rubbish bags next to the container")
        assert await english.get_attribute("data-kind") in (
            "report",
            "followup",
            "choices",
            "empty",
        )
        assert errors == [], errors
        await context.close()


async def test_the_page_works_on_a_phone_and_the_quick_exit_leaves(
    browser: Any, tmp_path: Path
) -> None:
    async with service(tmp_path) as url:
        context = await browser.new_context(
            locale="en-GB", viewport={"width": 375, "height": 740}, device_scale_factor=2
        )
        page = await context.new_page()
        neutral: list[str] = []

        async def neutral_site(route: Any) -> None:
            neutral.append(route.request.url)
            await route.fulfill(status=200, content_type="text/html", body="<title>weer</title>")

        await page.route(QUICK_EXIT_URL + "**", neutral_site)
        await page.goto(url)
        await page.wait_for_selector("body[data-ready=true]")
        assert await page.locator("html").get_attribute("lang") == "en"
        card = await ask(page, "my neighbour is hitting his wife right now")
        assert await card.get_attribute("data-kind") == "emergency"
        wide = await page.evaluate(
            "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
        )
        assert wide, "the page scrolls sideways on a phone"
        size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
        shots = tmp_path / "screenshots"
        shots.mkdir()
        await page.screenshot(path=str(shots / "phone-en.png"), full_page=True)

        await page.locator("#quick-exit").click()
        await page.wait_for_url(QUICK_EXIT_URL + "**")
        assert neutral
        # location.replace: going back does not return to the conversation.
        await page.go_back()
        assert not page.url.startswith(url)
        await context.close()


async def test_the_docs_page_draws_the_schema(browser: Any, tmp_path: Path) -> None:
    async with service(tmp_path) as url:
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url + "/docs")
        await page.wait_for_selector("body[data-ready=true]")
        text = await page.locator("#reference").inner_text()
        assert "/api/route" in text and "/api/area" in text and "curl" in text
        doc = json.loads(await (await page.request.get(url + "/openapi.json")).text())
        for path in doc["paths"]:
            assert path in text
        # Request bodies show their fields, not an unexpanded reference.
        route = page.locator("section.op", has_text="POST /api/route").locator("pre").first
        body = await route.inner_text()
        assert "$ref" not in body and '"text"' in body and '"situation"' in body
        assert errors == []
