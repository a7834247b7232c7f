"""At-least-once handling: an update the bot took from Telegram is answered, once, across kill -9.

`meldwijzer run` runs as a real process against the fake Bot API, which holds the bot's answers
(`hold("sendMessage")`) so that updates are fetched and confirmed but not yet answered when the
process is killed with SIGKILL. After a restart on the same database each is answered exactly
once, and the stored text of every handled update is gone from the database file. The same for
a webhook call whose handling dies half-way. A webhook update delivered twice is answered once.
With Telegram unreachable at start the HTTP service answers all the while, the bot says so in
one log line per try, and starts once Telegram answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakebotapi import FakeBotAPI, text_update

from bot.config import ConfigError, Settings
from bot.server import serve
from bot.services import open_services
from bot.telegram import runner
from bot.telegram.app import build_application

RUBBISH = "er staan weer vuilniszakken naast de container"
SECRET = "s3cret_token-1"
HOOK = "https://bot.example.org/tg/hook"
WAIT = 90.0  # seconds: generous, the machine is shared


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answered(api: FakeBotAPI, chats: Iterable[int]) -> Counter[int]:
    """How many answers reached each of CHATS (sent and carried out by Telegram)."""
    wanted = set(chats)
    return Counter(
        int(c.params["chat_id"])
        for c in api.of("sendMessage")
        if int(c.params["chat_id"]) in wanted
    )


def stored_payloads(db: Path) -> int:
    """Updates in the inbox with their text still stored (not yet handled); 0 without an inbox."""
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'inbox'").fetchone():
            return 0
        row = conn.execute("SELECT COUNT(*) FROM inbox WHERE payload IS NOT NULL").fetchone()
        return int(row[0])


@dataclass
class Run:
    """`meldwijzer run` as a process, its log lines collected as they come."""

    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> Run:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        run = cls(process, int(env["PORT"]))
        run._reader = asyncio.create_task(run._read())
        return run

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def http_up(self) -> None:
        """Wait until the HTTP service answers /healthz."""
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as client:
            for _ in range(int(WAIT * 10)):
                assert self.process.returncode is None, self.log
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"the HTTP service did not come up:\n{self.log}")

    async def kill9(self) -> None:
        """SIGKILL: no goodbye, no last writes."""
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), WAIT)
        assert self._reader is not None
        await self._reader

    async def stop(self) -> str:
        """SIGTERM, as a graceful stop; returns the whole log."""
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), WAIT)
        assert self._reader is not None
        await self._reader
        assert self.process.returncode == 0, self.log
        return self.log


def run_env(api: FakeBotAPI, db: Path, port: int, **extra: str) -> dict[str, str]:
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "MELDWIJZER_DB": str(db),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET"):
        env.pop(name, None)
    return env | extra


@contextlib.asynccontextmanager
async def running(env: dict[str, str], cwd: Path) -> AsyncIterator[Run]:
    """A `meldwijzer run` that is stopped gracefully at the end, or killed if it still runs."""
    run = await Run.start(env, cwd)
    try:
        yield run
    finally:
        if run.process.returncode is None:
            await run.stop()


# -- kill -9 ----------------------------------------------------------------------------------


async def test_kill_9_after_fetching_loses_and_doubles_no_update(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    api = fake_api
    db = tmp_path / "run.sqlite3"
    env = run_env(api, db, free_port())
    chats = range(7001, 7011)
    first = await Run.start(env, tmp_path)
    try:
        api.push_update(text_update(api, 7000, RUBBISH))  # the bot is up and polling
        await api.wait_for(lambda: bool(answered(api, [7000])), timeout=WAIT)
        api.hold("sendMessage")
        last = max(api.push_update(text_update(api, chat, RUBBISH)) for chat in chats)
        # Telegram was told they are read, and their answers are on their way (held).
        await api.wait_for(
            lambda: api.confirmed > last and bool(api.held("sendMessage")), timeout=WAIT
        )
    finally:
        await first.kill9()
    await api.wait_for(lambda: not api.held("sendMessage"), timeout=WAIT)  # seen as lost
    api.release("sendMessage")
    assert answered(api, chats) == Counter()  # none answered before the kill
    assert stored_payloads(db) == len(chats)  # kept where the restart finds them

    async with running(env, tmp_path) as second:
        await api.wait_for(lambda: len(answered(api, chats)) == len(chats), timeout=WAIT)
        await api.wait_for(lambda: stored_payloads(db) == 0, timeout=WAIT)
        api.push_update(text_update(api, 7100, RUBBISH))  # and new updates still come in
        await api.wait_for(lambda: bool(answered(api, [7100])), timeout=WAIT)
    log = second.log
    assert answered(api, chats) == Counter({chat: 1 for chat in chats})  # each exactly once
    assert f"{len(chats)} updates stored but not handled" in log
    assert RUBBISH not in first.log + log and api.token not in first.log + log
    # What the residents typed is gone from the file, not only from the table.
    assert RUBBISH.encode() not in db.read_bytes()
    assert not Path(f"{db}-wal").exists() or RUBBISH.encode() not in Path(f"{db}-wal").read_bytes()


async def test_a_webhook_call_that_dies_half_way_is_answered_after_the_restart(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    api = fake_api
    db = tmp_path / "run.sqlite3"
    env = run_env(api, db, free_port(), WEBHOOK_URL=HOOK, WEBHOOK_SECRET=SECRET)
    first = await Run.start(env, tmp_path)
    try:
        await first.http_up()
        await api.wait_for(lambda: bool(api.of("setWebhook")), timeout=WAIT)
        api.hold("sendMessage")
        update = text_update(api, 7201, RUBBISH) | {"update_id": 5001}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{first.port}") as client:
            got = await client.post("/tg/hook", json=update, headers={runner.SECRET_HEADER: SECRET})
        assert got.status_code == 200  # Telegram will not send it again
        await api.wait_for(lambda: bool(api.held("sendMessage")), timeout=WAIT)
    finally:
        await first.kill9()
    await api.wait_for(lambda: not api.held("sendMessage"), timeout=WAIT)
    api.release("sendMessage")
    assert answered(api, [7201]) == Counter()

    async with running(env, tmp_path) as second:
        await api.wait_for(lambda: bool(answered(api, [7201])), timeout=WAIT)
        await api.wait_for(lambda: stored_payloads(db) == 0, timeout=WAIT)
    assert answered(api, [7201]) == Counter({7201: 1})
    assert RUBBISH not in second.log


# -- a webhook update delivered twice ---------------------------------------------------------


@pytest.mark.parametrize("served_by", ["the HTTP service", "python-telegram-bot"])
async def test_a_webhook_update_delivered_twice_is_answered_once(
    fake_api: FakeBotAPI, tmp_path: Path, served_by: str
) -> None:
    api = fake_api
    settings = Settings(
        telegram_token=api.token,
        telegram_api_url=api.base_url,
        db_path=tmp_path / "run.sqlite3",
        host="127.0.0.1",
        port=free_port(),
        webhook_url=HOOK,
        webhook_secret=SECRET,
    )
    first = text_update(api, 7301, RUBBISH) | {"update_id": 6001}
    second = text_update(api, 7302, RUBBISH) | {"update_id": 6002}
    async with _webhook(settings, served_by) as url, httpx.AsyncClient() as client:
        headers = {runner.SECRET_HEADER: SECRET}
        statuses = [
            (await client.post(url, json=update, headers=headers)).status_code
            for update in (first, first, second, first)
        ]
        await api.wait_for(lambda: len(answered(api, [7301, 7302])) == 2, timeout=WAIT)
    # Stopped: everything taken in is handled by now.
    assert statuses == [200, 200, 200, 200]  # a second delivery is fine, only not handled
    assert answered(api, [7301, 7302]) == Counter({7301: 1, 7302: 1})


@contextlib.asynccontextmanager
async def _webhook(settings: Settings, served_by: str) -> AsyncIterator[str]:
    """The bot taking webhook calls; yields the URL to post them to."""
    if served_by == "the HTTP service":
        stop, started = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(settings, stop=stop, started=started))
        await asyncio.wait_for(started.wait(), WAIT)
        try:
            yield f"http://127.0.0.1:{settings.port}/tg/hook"
        finally:
            stop.set()
            await asyncio.wait_for(task, WAIT)
        return
    services = await open_services(settings)
    app = build_application(settings, services, timeout=2.0)
    try:
        await runner.start(app, settings)
        try:
            yield f"http://127.0.0.1:{settings.port}/tg/hook"
        finally:
            await runner.stop(app)
    finally:
        await services.close()


# -- Telegram unreachable at start ------------------------------------------------------------


async def test_telegram_unreachable_at_start_keeps_the_service_up(tmp_path: Path) -> None:
    api = FakeBotAPI()
    api_port = free_port()  # nothing listens here yet
    api.port = api_port
    env = run_env(api, tmp_path / "run.sqlite3", free_port())
    async with running(env, tmp_path) as run:
        await run.http_up()
        await _wait(lambda: run.log.count("could not reach Telegram") >= 2)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{run.port}") as client:
            for _ in range(3):
                answer = await client.post("/api/route", json={"text": RUBBISH})
                assert answer.status_code == 200
                assert answer.json()["channel"]
        await api.start(api_port)  # Telegram answers again
        try:
            api.push_update(text_update(api, 7401, RUBBISH))
            await api.wait_for(lambda: bool(answered(api, [7401])), timeout=WAIT)
        finally:
            log = await run.stop()
            await api.stop()
    assert "polling for updates" in log
    tries = [line for line in log.splitlines() if "could not reach Telegram" in line]
    assert len(tries) >= 2
    assert "Traceback" not in log  # each try is one line
    assert api.token not in log


async def _wait(predicate: Any, timeout: float = WAIT) -> None:
    for _ in range(int(timeout * 10)):
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


# -- the parts, in process ---------------------------------------------------------------------


@pytest.mark.parametrize("served_by", ["the HTTP service", "python-telegram-bot"])
async def test_a_webhook_update_not_stored_is_not_confirmed(
    fake_api: FakeBotAPI,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    served_by: str,
) -> None:
    """Storing fails (the database is locked): no 200, so Telegram sends it again; one log line."""
    settings = dataclasses.replace(
        bot_settings, webhook_url=HOOK, webhook_secret=SECRET, host="127.0.0.1", port=free_port()
    )
    update = text_update(fake_api, 7501, RUBBISH) | {"update_id": 8001}
    headers = {runner.SECRET_HEADER: SECRET}
    async with _webhook(settings, served_by) as url, httpx.AsyncClient(timeout=30) as client:
        # Another connection holds the write lock (in a thread: the bot shares this loop).
        locker = sqlite3.connect(settings.db_path, timeout=30, check_same_thread=False)
        await asyncio.to_thread(locker.execute, "BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.WARNING):
                refused = await client.post(url, json=update, headers=headers)
        finally:
            await asyncio.to_thread(locker.rollback)
            locker.close()
        assert refused.status_code in (500, 503)  # anything but 2xx: Telegram sends it again
        again = await client.post(url, json=update, headers=headers)
        assert again.status_code == 200
        await fake_api.wait_for(lambda: bool(answered(fake_api, [7501])), timeout=WAIT)
    assert answered(fake_api, [7501]) == Counter({7501: 1})
    said = [r for r in caplog.records if "not stored" in r.getMessage()]
    assert len(said) == 1
    assert [r for r in caplog.records if r.exc_info] == []  # no traceback
    assert RUBBISH not in caplog.text


async def test_a_token_telegram_refuses_ends_the_run_clearly(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    """Not a network fault: `meldwijzer run` stops with the message (exit 2), token not shown."""
    settings = Settings(
        telegram_token="1:not-the-token",
        telegram_api_url=fake_api.base_url,
        db_path=tmp_path / "run.sqlite3",
        host="127.0.0.1",
        port=free_port(),
    )
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN") as refused:
        await asyncio.wait_for(serve(settings), WAIT)
    assert "not-the-token" not in str(refused.value)
