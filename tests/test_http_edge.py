"""The HTTP edge on real sockets: read deadlines, the connection cap and its headroom, proxies.

Every test starts a real uvicorn on 127.0.0.1 (the service through `serve`, or `meldwijzer run`
in a subprocess) and talks to it over raw sockets, as a slow or hostile client would. Waiting is
on conditions (a response, end of file) with generous bounds, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fakebotapi import FakeBotAPI, text_update
from test_http_server import base_settings, free_port, running

from bot.config import ConfigError, Settings
from bot.web.edge import ConnectionGuard, guarded_protocol

WAIT = 20.0  # seconds a condition may take on a loaded machine before the test gives up
SECRET = "s3cret_token-1"
HALF_SENT = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(url: str, first: bytes = b"") -> Conn:
    """A raw connection to the service at URL, having sent FIRST."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    if first:
        writer.write(first)
        await writer.drain()
    return reader, writer


async def until_closed(conn: Conn) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(conn[0].read(), WAIT)


def status_and_json(raw: bytes) -> tuple[int, dict[str, Any], bytes]:
    """The status, the JSON body and the header block of one raw response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), head.lower()


def close_all(conns: list[Conn]) -> None:
    for _, writer in conns:
        writer.close()


async def test_a_half_sent_request_gets_408_after_the_header_deadline(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, header_timeout=0.3)
    async with running(settings) as url:
        slow = await connect(url, b"GET /healthz HTTP/1.1\r\nAccept-Language: en\r\nHost: x\r\n")
        silent = await connect(url)
        status, body, head = status_and_json(await until_closed(slow))
        assert status == 408 and body["error"] == "request_timeout" and body["language"] == "en"
        assert "112" in body["message"] and b"connection: close" in head
        assert await until_closed(silent) == b""  # nothing asked, nothing answered: just closed
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).status_code == 200


async def test_a_body_sent_too_slowly_gets_408(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, body_timeout=0.3)
    async with running(settings) as url:
        head = (
            b"POST /api/route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 60\r\n\r\n"
        )
        conn = await connect(url, head + b'{"text": "er is brand')
        status, body, _ = status_and_json(await until_closed(conn))
        assert status == 408 and body["error"] == "request_timeout" and body["language"] == "nl"
        async with httpx.AsyncClient(base_url=url) as client:
            routed = await client.post("/api/route", json={"text": "er is brand in mijn keuken"})
            assert routed.status_code == 200 and routed.json()["emergency"] is True


async def test_endless_headers_get_431(tmp_path: Path) -> None:
    async with running(base_settings(tmp_path)) as url:
        conn = await connect(url, b"GET / HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(ConnectionError):  # the server may close while we still write
            for n in range(100):
                conn[1].write(b"X-Filler-%d: %s\r\n" % (n, b"a" * 1000))
                await conn[1].drain()
        status, body, _ = status_and_json(await until_closed(conn))
        assert status == 431 and body["error"] == "headers_too_large"


async def test_idle_connections_up_to_the_limit_make_room_oldest_first(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, max_connections=20, webhook_headroom=4)
    async with running(settings) as url:
        flood = [await connect(url, HALF_SENT if n % 2 else b"") for n in range(20)]
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                health = await client.get("/healthz", timeout=WAIT)
                assert health.status_code == 200
                assert await until_closed(flood[0]) == b""  # the longest waiting made room
                routed = await client.post("/api/route", json={"text": "hondenpoep op de stoep"})
                assert routed.status_code == 200
        finally:
            close_all(flood)


@contextlib.asynccontextmanager
async def bare_server(app: Any, guard: ConnectionGuard) -> AsyncIterator[str]:
    """uvicorn on 127.0.0.1 serving APP through the guarded protocol; yields its URL."""
    port = free_port()
    protocol = guarded_protocol(guard)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)


async def test_requests_being_answered_leave_headroom_for_the_webhook_and_health() -> None:
    release, waiting = asyncio.Event(), asyncio.Event()
    held = 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal held
        if scope["path"] == "/slow":  # an answer that takes long (a busy core, say)
            held += 1
            if held == 7:
                waiting.set()
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = ConnectionGuard(
        max_connections=10,
        headroom=3,
        header_timeout=WAIT,
        body_timeout=WAIT,
        priority_paths=frozenset({"/healthz", "/tg/hook"}),
    )
    async with bare_server(app, guard) as url:
        slow = [await connect(url, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") for _ in range(7)]
        await asyncio.wait_for(waiting.wait(), WAIT)
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
            refused = await client.get("/slow", headers={"Accept-Language": "en"})
            assert refused.status_code == 503 and refused.json()["error"] == "busy"
            assert refused.headers["retry-after"] == "1"
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.post("/tg/hook", content=b"{}")).status_code == 200
            release.set()
            for conn in slow:
                assert (await asyncio.wait_for(conn[0].readline(), WAIT)).startswith(
                    b"HTTP/1.1 200"
                )
            assert (await client.get("/slow")).status_code == 200
        close_all(slow)


def _low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))


async def test_a_flood_under_a_low_open_file_limit_leaves_the_webhook_answering(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    """The attack of issue 12: more half-sent requests than the process has open files."""
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "MELDWIJZER_DB": str(tmp_path / "run.sqlite3"),
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "TELEGRAM_API_URL": fake_api.base_url,
        "WEBHOOK_URL": "https://bot.example.org/tg/hook",
        "WEBHOOK_SECRET": SECRET,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_low_file_limit,
    )
    url = f"http://127.0.0.1:{port}"
    flood: list[Conn] = []
    try:
        await fake_api.wait_for(lambda: bool(fake_api.of("setWebhook")), WAIT)
        for _ in range(300):  # twice the open-file limit
            flood.append(await connect(url, HALF_SENT))
        update = {"update_id": 77, **text_update(fake_api, 4242, "er is brand in mijn keuken")}
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
            hook = await client.post(
                "/tg/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert hook.status_code == 200
            assert (await client.get("/healthz")).status_code == 200
        await fake_api.wait_for(lambda: bool(fake_api.of("sendMessage")), WAIT)
        assert "112" in fake_api.of("sendMessage")[0].params["text"]
    finally:
        close_all(flood)
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), WAIT)
    log = err.decode()
    assert "MELDWIJZER_MAX_CONNECTIONS lowered from 1000 to 32" in log
    assert "idle or slow connections closed" in log


def test_the_edge_settings_are_checked() -> None:
    read = Settings.from_env
    with pytest.raises(ConfigError, match="MELDWIJZER_HEADER_TIMEOUT"):
        read({"MELDWIJZER_HEADER_TIMEOUT": "0"})
    with pytest.raises(ConfigError, match="MELDWIJZER_WEBHOOK_HEADROOM"):
        read({"MELDWIJZER_MAX_CONNECTIONS": "50", "MELDWIJZER_WEBHOOK_HEADROOM": "50"})
