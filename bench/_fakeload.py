"""Shared by the Telegram benchmarks: the fake Bot API in its own process, the bot against it.

The fake server runs in a process of its own (as Telegram would be elsewhere), so its work does
not count as the bot's. A server script (tests/fakebotapi.py, or bench/soak.py's residents)
prints "PORT n", then reads one JSON order a line on standard input and answers each with one
JSON line; it stops when standard input closes. `running_bot` is the real bot
(`build_application`, long polling) on a fresh database in a temporary folder, with Telegram's
flood limit off: the fake server is not Telegram, and the point is what the bot can carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.services import Services, open_services
from bot.telegram import runner
from bot.telegram.app import build_application

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
FAKE_API = TESTS / "fakebotapi.py"
TOKEN = "123456789:TEST-token-for-the-fake-bot-api"  # the fake server's token
ORDER_TIMEOUT = 120.0  # seconds an order may take before the server counts as gone

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # fakebotapi lives beside the tests that use it


@dataclass
class FakeServer:
    """A fake Bot API server process, driven by JSON orders on its standard input."""

    process: asyncio.subprocess.Process
    port: int

    @property
    def base_url(self) -> str:
        """The bot's `TELEGRAM_API_URL` for this server."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def order(self, order: dict[str, Any], timeout: float = ORDER_TIMEOUT) -> dict[str, Any]:
        """Send one order; return the server's answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps(order) + "\n").encode())
        await self.process.stdin.drain()
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not raw:
            raise RuntimeError("the fake Bot API stopped")
        return dict(json.loads(raw))


@contextlib.asynccontextmanager
async def fake_server(
    script: Path = FAKE_API, args: Sequence[str] = ()
) -> AsyncIterator[FakeServer]:
    """Run SCRIPT as the fake Bot API; it is told to stop (stdin closed) on the way out."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), ORDER_TIMEOUT)).decode()
        if not first.startswith("PORT "):
            raise RuntimeError(f"the fake Bot API did not start: {first!r}")
        yield FakeServer(process, int(first.split()[1]))
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


@dataclass
class RunningBot:
    """The bot under load and its services."""

    app: Any  # the PTB Application
    services: Services


@contextlib.asynccontextmanager
async def running_bot(base_url: str, *, flood_rate: float = 0) -> AsyncIterator[RunningBot]:
    """The real bot long-polling BASE_URL on a fresh database; stopped and closed after."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            telegram_token=TOKEN,
            telegram_api_url=base_url,
            db_path=Path(folder) / "bench.sqlite3",
        )
        services = await open_services(settings)
        try:
            app = build_application(settings, services, flood_rate=flood_rate)
            await runner.start(app, settings)
            try:
                yield RunningBot(app, services)
            finally:
                await runner.stop(app)
        finally:
            await services.close()


# -- the server side ----------------------------------------------------------------------------


async def stdin_orders() -> asyncio.StreamReader:
    """Standard input as a stream, for a server script's order loop."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def answer(payload: dict[str, Any]) -> None:
    """Answer one order (a server script's reply line)."""
    print(json.dumps(payload), flush=True)


# -- measuring ----------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process so far, user and system, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time process PID has used so far (Linux /proc), or None when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux; the peak elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """The most resident memory this process has had, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
