"""HTTP benchmark: requests per second and latency of POST /api/route on `meldwijzer run`.

Run: .venv/bin/python bench/http_bench.py [--seconds 10] [--connections 16]
Starts `meldwijzer run` (no Telegram token, rate limit off, a fresh SQLite file) on 127.0.0.1
in a subprocess, then drives it from this process with a bounded async load loop: CONNECTIONS
keep-alive connections, each sending the next request as soon as the previous answer is read,
over a mix of resident messages (an emergency among them). Every answer is counted by the
statistics helper, as in production. Target (issue 7): >= 1000 requests/s with p99 <= 20 ms on
the 2-core machine. Prints figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _fakeload import process_cpu_seconds  # bench/ is on the path: run as a script
from _figures import percentile

ROOT = Path(__file__).resolve().parent.parent

MESSAGES = [
    "er staan weer vuilniszakken naast de container",
    "losse stoeptegel voor mijn deur",
    "de straatlantaarn in onze straat doet het niet",
    "er is nu brand in mijn keuken",
    "mijn buurman speelt elke nacht harde muziek",
    "er wordt gedeald op het pleintje bij de school",
    "there is a car parked on the pavement",
    "hondenpoep op de stoep",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def requests_bytes(port: int) -> list[bytes]:
    """One ready-made keep-alive request per message."""
    out = []
    for text in MESSAGES:
        body = json.dumps({"text": text}).encode()
        head = (
            f"POST /api/route HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length body; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def connection(
    port: int,
    requests: list[bytes],
    offset: int,
    until: float,
    warm_until: float,
    latencies: list[float],
    statuses: dict[int, int],
    slow: list[float],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while True:
            started = time.perf_counter()
            if started >= until:
                break
            writer.write(requests[i % len(requests)])
            i += 1
            status = await read_response(reader)
            done = time.perf_counter()
            if started >= warm_until:
                latencies.append((done - started) * 1000)
                if done - started > 0.1:
                    slow.append(started - warm_until)
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process PID so far (Linux /proc), or None."""
    return None if pid is None else process_cpu_seconds(pid)


async def load(
    port: int, seconds: float, connections: int, warm_up: float, pid: int | None = None
) -> None:
    requests = requests_bytes(port)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    slow: list[float] = []  # when (seconds into the run) a request took over 100 ms
    start = time.perf_counter()
    warm_until = start + warm_up
    until = warm_until + seconds
    cpu_at_warm: list[float | None] = []

    async def mark() -> None:
        await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
        cpu_at_warm.append(cpu_seconds(pid))

    marker = asyncio.create_task(mark())
    await asyncio.gather(
        *(
            connection(port, requests, n, until, warm_until, latencies, statuses, slow)
            for n in range(connections)
        )
    )
    measured = time.perf_counter() - warm_until
    cpu_end = cpu_seconds(pid)
    await marker
    count = len(latencies)
    print(f"connections:   {connections} keep-alive, {seconds:.0f} s after {warm_up:.0f} s warm-up")
    print(f"requests:      {count} ({', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))})")
    print(f"throughput:    {count / measured:.0f} requests/s (target >= 1000)")
    if cpu_end is not None and cpu_at_warm and cpu_at_warm[0] is not None and count:
        per_request = (cpu_end - cpu_at_warm[0]) / count * 1000
        print(
            f"server CPU:    {per_request:.2f} ms a request "
            f"(one core could serve about {1000 / per_request:.0f} requests/s)"
        )
    if latencies:
        print(
            f"latency:       p50 {percentile(latencies, 0.50):.1f} ms, "
            f"p90 {percentile(latencies, 0.90):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms "
            f"(target <= 20), max {max(latencies):.1f} ms"
        )
        if slow:
            at = f"{min(slow):.1f} to {max(slow):.1f}"
            print(f"over 100 ms:   {len(slow)} requests, started at {at} s")


def wait_until_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"meldwijzer run exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("meldwijzer run did not start in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warm-up", type=float, default=2)
    parser.add_argument("--port", type=int, help="load a service already running on this port")
    args = parser.parse_args()

    if args.port:
        print(f"server:        already running on 127.0.0.1:{args.port}")
        asyncio.run(load(args.port, args.seconds, args.connections, args.warm_up))
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL")
        }
        env.update(
            HOST="127.0.0.1",
            PORT=str(port),
            MELDWIJZER_DB=str(Path(tmp) / "bench.sqlite3"),
            MELDWIJZER_RATE_LIMIT="0",  # one client sends everything: no per-client limit
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(port, proc)
            print(
                f"server:        meldwijzer run (pid {proc.pid}) on 127.0.0.1:{port}, "
                f"{os.cpu_count()} cores shared with this load generator"
            )
            asyncio.run(load(port, args.seconds, args.connections, args.warm_up, proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
