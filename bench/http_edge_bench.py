"""HTTP edge benchmark: a slowloris flood on `meldwijzer run`; does the webhook still answer?

Run: .venv/bin/python bench/http_edge_bench.py [--slow 2000] [--seconds 15] [--files 1024]
Starts `meldwijzer run` in webhook mode (against the fake Bot API in this process) under an
open-file limit of FILES, as issue 12's attack had, then opens SLOW connections as fast as it
can, each sending half a request and one more header byte a second. Meanwhile it calls the
webhook (a resident's emergency, on a fresh connection) and /healthz four times a second. Prints
how many files the server held at most, what became of the slow connections (closed to make
room, answered 408 at the header deadline, still open), and how the webhook and /healthz
answered during the flood. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake Bot API lives beside the tests

from _figures import percentile  # noqa: E402  (bench/ is on the path: run as a script)
from fakebotapi import FakeBotAPI, text_update  # noqa: E402

SECRET = "bench_secret-1"
HALF_SENT = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-Slow: "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_files(pid: int) -> int:
    """How many files process PID has open (Linux /proc), 0 when unknown."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


async def slow_client(port: int, outcomes: Counter[str], stop: asyncio.Event) -> None:
    """One slowloris connection: half a request, then a byte a second, until the server acts."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HALF_SENT)
    except OSError:
        outcomes["refused at connect"] += 1
        return
    outcome = "still open at the end"
    try:
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(reader.read(64), 1.0)
            except TimeoutError:
                writer.write(b"x")
                continue
            if data.startswith(b"HTTP/1.1 408"):
                outcome = "answered 408 at the header deadline"
            elif data:
                outcome = "answered " + data.split(b"\r\n")[0].decode(errors="replace")
            else:
                outcome = "closed without an answer"
            break
    except OSError:
        outcome = "closed without an answer"  # reset by the service
    finally:
        outcomes[outcome] += 1
        writer.close()


async def probe(
    url: str, api: FakeBotAPI, stop: asyncio.Event, results: dict[str, list[float | None]]
) -> None:
    """Call the webhook and /healthz four times a second, each on a fresh connection."""
    update_id = 1000
    while not stop.is_set():
        for path in ("/tg/hook", "/healthz"):
            update_id += 1
            started = time.perf_counter()
            try:
                async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                    if path == "/healthz":
                        response = await client.get(path)
                    else:
                        update = {"update_id": update_id, **text_update(api, 4242, "brand, help")}
                        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                        response = await client.post(path, json=update, headers=headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            results[path].append((time.perf_counter() - started) * 1000 if ok else None)
        await asyncio.sleep(0.25)


async def bench(slow: int, seconds: float, files: int) -> None:
    api = await FakeBotAPI().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tmp = tempfile.mkdtemp()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "MELDWIJZER_DB": str(Path(tmp) / "bench.sqlite3"),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "WEBHOOK_URL": "https://bot.example.org/tg/hook",
        "WEBHOOK_SECRET": SECRET,
    }

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=limit_files,
    )
    try:
        await api.wait_for(lambda: bool(api.of("setWebhook")), timeout=60)
        stop = asyncio.Event()
        outcomes: Counter[str] = Counter()
        results: dict[str, list[float | None]] = {"/tg/hook": [], "/healthz": []}
        peak = 0

        async def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, open_files(proc.pid))
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        prober = asyncio.create_task(probe(url, api, stop, results))
        started = time.perf_counter()
        clients = []
        for _ in range(slow):
            clients.append(asyncio.create_task(slow_client(port, outcomes, stop)))
            await asyncio.sleep(0)  # let each connect before the next
        opened_in = time.perf_counter() - started
        await asyncio.sleep(max(0.0, seconds - opened_in))
        stop.set()
        await asyncio.gather(sampler, prober, *clients)
        replies = len(api.of("sendMessage"))
    finally:
        if proc.returncode is None:
            proc.terminate()
        _, err = await proc.communicate()
        await api.stop()

    print(f"server:        meldwijzer run in webhook mode, open-file limit {files}")
    for line in err.decode().splitlines():
        if "lowered" in line:
            print("               " + line.split(": ", 1)[-1])
    print(f"slow clients:  {slow} opened in {opened_in:.1f} s (half a request, a byte a second)")
    print(f"server files:  at most {peak} open at once (limit {files})")
    for outcome, n in outcomes.most_common():
        print(f"  {n:6d}  {outcome}")
    for path, got in results.items():
        answered = [ms for ms in got if ms is not None]
        line = f"{path + ':':14s} {len(answered)} of {len(got)} calls answered 200 during the flood"
        if answered:
            line += (
                f"; p50 {percentile(answered, 0.50):.0f} ms,"
                f" p99 {percentile(answered, 0.99):.0f} ms, max {max(answered):.0f} ms"
            )
        print(line)
    print(f"bot replies:   {replies} sent for the webhook's updates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=2000, help="slow connections to open")
    parser.add_argument("--seconds", type=float, default=15, help="how long the flood lasts")
    parser.add_argument("--files", type=int, default=1024, help="the server's open-file limit")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.slow + 256  # this process holds every slow connection too
    if soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    asyncio.run(bench(args.slow, args.seconds, args.files))


if __name__ == "__main__":
    main()
