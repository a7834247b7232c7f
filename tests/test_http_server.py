"""`meldwijzer run`: the HTTP service on a real socket, with the bot beside it in the same loop."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakebotapi import FakeBotAPI, text_update

from bot.config import ConfigError, Settings
from bot.server import ServerError, serve

RUBBISH = "er staan weer vuilniszakken naast de container"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[str]:
    """The service running in this loop; yields its base URL and stops it afterwards."""
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, started=started))
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        await task  # raises what stopped it
    assert started.is_set(), "the service did not start in time"
    try:
        yield f"http://{settings.host}:{settings.port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


def base_settings(tmp_path: Path, **changes: Any) -> Settings:
    return dataclasses.replace(
        Settings(db_path=tmp_path / "run.sqlite3"), host="127.0.0.1", port=free_port(), **changes
    )


async def test_without_a_token_the_http_service_is_the_main_job(tmp_path: Path) -> None:
    settings = base_settings(tmp_path)
    async with running(settings) as url, httpx.AsyncClient(base_url=url) as client:
        health = await client.get("/healthz")
        assert health.json()["telegram"] == "off" and health.json()["database"] == "ok"
        routed = await client.post("/api/route", json={"text": RUBBISH})
        assert routed.status_code == 200 and routed.json()["channel"] == "melddesk"
        assert "server" not in routed.headers
        page = await client.get("/")
        assert page.status_code == 200 and "/static/app.js" in page.text
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=url) as client:
            await client.get("/healthz")


async def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = dataclasses.replace(base_settings(tmp_path), port=port)
        with pytest.raises(ServerError, match=f"127.0.0.1:{port}"):
            await asyncio.wait_for(serve(settings), 20)


async def test_polling_bot_runs_beside_the_service(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    settings = base_settings(
        tmp_path, telegram_token=fake_api.token, telegram_api_url=fake_api.base_url
    )
    async with running(settings) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz")).json()["telegram"] == "polling"
        fake_api.push_update(text_update(fake_api, 4242, RUBBISH))
        await fake_api.wait_for(lambda: bool(fake_api.of("sendMessage")), timeout=15)
        routed = await client.post("/api/route", json={"text": RUBBISH})
        assert routed.status_code == 200
    assert fake_api.of("getUpdates")


async def test_webhook_mode_takes_updates_on_the_service(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    settings = base_settings(
        tmp_path,
        telegram_token=fake_api.token,
        telegram_api_url=fake_api.base_url,
        webhook_url="https://bot.example.org/tg/hook",
        webhook_secret="s3cret_token-1",
    )
    async with running(settings) as url, httpx.AsyncClient(base_url=url) as client:
        # The bot starts beside the running service (it would wait for Telegram if need be).
        await fake_api.wait_for(lambda: bool(fake_api.of("setWebhook")), timeout=15)
        registered = fake_api.of("setWebhook")
        assert registered and registered[-1].params["url"] == "https://bot.example.org/tg/hook"
        assert registered[-1].params["secret_token"] == "s3cret_token-1"
        assert (await client.get("/healthz")).json()["telegram"] == "webhook"
        update = {"update_id": 9001, **text_update(fake_api, 4242, RUBBISH)}
        wrong = await client.post(
            "/tg/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        )
        assert wrong.status_code == 403
        await asyncio.sleep(0.2)
        assert not fake_api.of("sendMessage")
        ok = await client.post(
            "/tg/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_token-1"}
        )
        assert ok.status_code == 200
        await fake_api.wait_for(lambda: bool(fake_api.of("sendMessage")), timeout=15)
    assert not fake_api.of("getUpdates")


async def test_webhook_mode_needs_a_secret(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    settings = base_settings(
        tmp_path,
        telegram_token=fake_api.token,
        telegram_api_url=fake_api.base_url,
        webhook_url="https://bot.example.org/tg/hook",
    )
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        await serve(settings)


def test_meldwijzer_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL")}
    env.update(HOST="127.0.0.1", PORT=str(port), MELDWIJZER_DB=str(tmp_path / "cli.sqlite3"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    secret = "Jansen Hoogbrugstraat vuilniszakken"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.1)
        assert health.json()["telegram"] == "off"
        routed = httpx.post(f"http://127.0.0.1:{port}/api/route", json={"text": secret})
        assert routed.status_code == 200
        httpx.get(f"http://127.0.0.1:{port}/api/channels", params={"lang": secret})
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Meldwijzer on http://127.0.0.1" in err
    for word in ("Jansen", "Hoogbrugstraat", "vuilniszakken"):
        assert word not in err and word not in out


def test_another_database_url_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ConfigError, match="cannot be used here") as error:
        Settings.from_env({"MELDWIJZER_DB": "mysql+pymysql://u:geheim@h/d"})
    assert "geheim" not in str(error.value) and "@h/d" not in str(error.value)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_dsn_selects_postgresql_and_is_shown_without_its_password(scheme: str) -> None:
    dsn = f"{scheme}://meldwijzer:geheim@db:5432/meldwijzer"
    settings = Settings.from_env({"MELDWIJZER_DB": dsn})
    assert settings.database == dsn
    assert settings.database_shown == "postgresql://meldwijzer@db:5432/meldwijzer"
    assert "geheim" not in repr(settings)


def test_the_platforms_database_url_is_used_when_meldwijzer_db_is_unset() -> None:
    dsn = "postgres://u:geheim@db.internal:5432/app"
    assert Settings.from_env({"DATABASE_URL": dsn}).database == dsn
    chosen = Settings.from_env({"DATABASE_URL": dsn, "MELDWIJZER_DB": "here.sqlite3"})
    assert chosen.database == Path("here.sqlite3")


def test_sqlite_urls_and_plain_paths_are_files() -> None:
    assert Settings.from_env({"MELDWIJZER_DB": "sqlite:///data/m.sqlite3"}).db_path == Path(
        "data/m.sqlite3"
    )
    assert Settings.from_env({"MELDWIJZER_DB": "sqlite:////srv/m.sqlite3"}).db_path == Path(
        "/srv/m.sqlite3"
    )
    assert Settings.from_env({"MELDWIJZER_DB": "data/m.sqlite3"}).db_path == Path("data/m.sqlite3")
