"""Several webhook workers on PostgreSQL against one on SQLite: throughput, p99, memory.

Run: .venv/bin/python bench/workers_bench.py [--rate 400] [--seconds 8] [--workers 1,2,4]
Needs PostgreSQL (MELDWIJZER_BENCH_PG as a DSN, else a throw-away cluster of tests/pgserver.py).
For each setting it starts that many real `meldwijzer run` workers in webhook mode (each on its
own port, a fresh database), and the fake Bot API in its own process posts open-loop load
(RATE resident messages a second from 200 chats for SECONDS) round-robin to their webhooks, as
a load balancer spreads Telegram's calls; latency is from the post to the answer's
sendMessage. Everything shares this machine's cores (the workers, PostgreSQL, the load).
Telegram's flood limit (30 messages a second per worker's outbox) is off in the workers, as in
bench/telegram_bench.py: the point is what they carry, and Telegram's own limit (about 30
messages a second for the whole bot, however many workers) is the ceiling in production.
Prints figures only; the ratios are against one worker on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import pgserver  # noqa: E402
from _fakeload import FakeServer, fake_server, process_cpu_seconds  # noqa: E402

SECRET = "bench_secret"
TEXTS = [
    "er staan weer vuilniszakken naast de container",
    "losse stoeptegel voor mijn deur",
    "de straatlantaarn in onze straat doet het niet",
    "mijn buurman speelt elke nacht harde muziek",
    "there is a car parked on the pavement",
    "hondenpoep op de stoep",
]


# `meldwijzer run` with the outbox's flood limit off (build_application is looked up at start).
_WORKER = """
import functools, sys
import bot.telegram.app as app
app.build_application = functools.partial(app.build_application, flood_rate=0)
from bot.cli import main
sys.exit(main(["run"]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time each of the processes PIDS has used so far, in seconds."""
    used = {pid: process_cpu_seconds(pid) for pid in pids}
    return {pid: seconds for pid, seconds in used.items() if seconds is not None}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two looks; a process started in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_pids(cluster: Path | None) -> list[int]:
    """The PostgreSQL server processes of CLUSTER (its postmaster and the children), or every
    one on this machine when the server is not ours (MELDWIJZER_BENCH_PG)."""
    postmaster = None
    if cluster is not None:
        postmaster = int((cluster / "data" / "postmaster.pid").read_text().split()[0])
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                    continue
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if postmaster is None or postmaster in (int(entry.name), parent):
                    found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    """The resident memory of process PID, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def fresh_database(dsn: str) -> str:
    """A new, empty database on the server of DSN; its DSN."""
    name = f"bench_{secrets.token_hex(4)}"
    await pgserver.execute(dsn, f"CREATE DATABASE {name}")
    return dsn.rsplit("/", 1)[0] + f"/{name}"


@contextlib.asynccontextmanager
async def workers(
    count: int, database: str, api: FakeServer, folder: Path
) -> AsyncIterator[list[tuple[asyncio.subprocess.Process, int]]]:
    """COUNT `meldwijzer run` workers in webhook mode on DATABASE, up and registered."""
    started = []
    for _ in range(count):
        port = free_port()
        env = os.environ | {
            "TELEGRAM_BOT_TOKEN": "123456789:TEST-token-for-the-fake-bot-api",
            "TELEGRAM_API_URL": api.base_url,
            "MELDWIJZER_DB": database,
            "WEBHOOK_URL": "https://bot.example.org/tg/hook",
            "WEBHOOK_SECRET": SECRET,
            "MELDWIJZER_RATE_LIMIT": "0",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PYTHONPATH": str(ROOT),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            env=env,
            cwd=folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        started.append((process, port))
    try:
        async with httpx.AsyncClient() as client:
            for process, port in started:
                for _ in range(600):
                    assert process.returncode is None, "a worker stopped at start"
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success:
                            break
                    await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # the bots' getMe, menus and setWebhook
        yield started
    finally:
        for process, _ in started:
            if process.returncode is None:
                process.terminate()
        for process, _ in started:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
            if process.returncode is None:
                process.kill()
                await process.wait()


async def one_run(
    count: int, database: str, cluster: Path | None, rate: float, seconds: float, folder: Path
) -> dict[str, Any]:
    async with fake_server() as api, workers(count, database, api, folder) as running:
        hooks = [f"http://127.0.0.1:{port}/tg/hook" for _, port in running]
        load = {
            "texts": TEXTS,
            "rate": rate,
            "users": 200,
            "seconds": seconds,
            "webhooks": hooks,
            "secret": SECRET,
        }
        pids = [p.pid for p, _ in running]

        def look() -> tuple[dict[int, float], ...]:
            return cpu_seconds(pids), cpu_seconds(postgres_pids(cluster)), cpu_seconds([load_pid])

        load_pid = api.process.pid
        before = look()
        await api.order({"load": load})
        result = await api.order({"result": True})
        after = look()
        answered = max(1, result["answered"])
        # CPU milliseconds an answered update cost the workers, the database, the load.
        result["cpu_ms"] = [
            cpu_used(b, a) * 1000 / answered for a, b in zip(after, before, strict=True)
        ]
        result["rss_mb"] = max(rss_mb(pid) for pid in pids)
        return result


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        folder.chmod(0o755)
        dsn = os.environ.get("MELDWIJZER_BENCH_PG", "").strip()
        cluster = None
        if not dsn:
            cluster = folder / "cluster"
            dsn = pgserver.start(cluster)
        try:
            sqlite = str(folder / "b.sqlite3")
            rows = [("SQLite", 1, await one_run(1, sqlite, cluster, *args.load, folder))]
            for count in args.workers:
                database = await fresh_database(dsn)
                result = await one_run(count, database, cluster, *args.load, folder)
                rows.append(("PostgreSQL", count, result))
        finally:
            if cluster is not None:
                pgserver.stop(cluster)
    base = rows[0][2]["updates_per_s"] or 1.0
    print(f"offered {args.rate:.0f} updates/s for {args.seconds:.0f} s, 200 chats, webhook mode")
    print(
        "engine      workers  answered   updates/s  ratio   p50 ms   p99 ms  RSS/worker MB"
        "  CPU ms/update: workers  database  load"
    )
    for engine, count, r in rows:
        workers_ms, database_ms, load_ms = r["cpu_ms"]
        print(
            f"{engine:<11} {count:>7}  {r['answered']:>5}/{r['sent']:<5} {r['updates_per_s']:>8.1f}"
            f"  {r['updates_per_s'] / base:>5.2f}  {r['p50_ms']:>7.1f}  {r['p99_ms']:>7.1f}"
            f"  {r['rss_mb']:>8.1f}  {workers_ms:>22.2f}  {database_ms:>8.2f}  {load_ms:>4.2f}"
        )
    print(
        "A worker's CPU per update is what a core carries: 1000 / (workers + database) updates/s"
        " a core, whatever the machine."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=400.0, help="messages per second offered")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of the load")
    parser.add_argument("--workers", default="1,2,4", help="worker counts on PostgreSQL")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",")]
    args.load = (args.rate, args.seconds)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
