"""Fairness: another resident's emergency is answered fast while chats or HTTP clients flood.

This process runs `meldwijzer run` as production does (`bot.server.serve`: the HTTP service and
the bot in one event loop, Telegram's flood limit of 30 messages a second on); the fake Bot API
runs in its own process (this script with --serve), and plays Telegram and the HTTP clients:

1. one chat sends 300 messages of 4,000 characters in under a second;
2. twenty chats send 15 such messages each, in under a second;
3. 8 HTTP clients send 2,000-character texts to POST /api/route, each the next as soon as it
   has its answer.

All the while a fresh chat writes "er is brand in mijn keuken, help" every EMERGENCY_EVERY
seconds, until the flood's answers stop (no answer to it for QUIET seconds). Printed per
phase: the emergency chats' time from the message to the bot's first answer (p50, p99, max;
target p99 <= 1 s) and whether that first answer is the 112 card; for the flooding chats how
many messages were answered (and whether in their own order: each answer must match its
message's theme, learned in a calibration round first), how many chats were told to slow down
and how many messages were not read; for HTTP the requests and their p50 / p99.

Run: .venv/bin/python bench/fairness_bench.py [--quick]
It is a benchmark, not a test, and never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import socket
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _fakeload import TOKEN, answer, fake_server, stdin_orders
from _figures import percentile
from fakebotapi import Call, FakeBotAPI, text_update, visible_text
from http_bench import read_response

from bot.config import Settings
from bot.i18n import t
from bot.server import serve

TARGET_P99_MS = 1000.0
EMERGENCY = "er is brand in mijn keuken, help"
EMERGENCY_EVERY = 0.2  # seconds between two emergency chats' messages
QUIET = 5.0  # seconds without an answer to a flooding chat: its backlog is done
PHASE_TIMEOUT = 300.0
THEMES = (  # each leads to another answer, so the order of the answers shows
    "er staan weer vuilniszakken naast de container",
    "mijn fiets is gestolen bij het station",
    "de straatlantaarn in onze straat doet het niet",
    "er staat al weken een auto op de stoep geparkeerd",
)
FLOODER, EMERGENCY_CHAT, CALIBRATION = 10_000, 500_000, 900_000  # chat ids start here


def long_text(theme: str, chars: int) -> str:
    """THEME told over and over, CHARS characters (other words would route elsewhere now and
    then, and the order of the answers could not be read)."""
    return ((theme + ". ") * (chars // len(theme) + 1))[:chars].strip()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the fake Telegram and the HTTP clients (the --serve process) --------------------------------


@dataclass
class Phase:
    """One flood with emergencies beside it, seen from Telegram's side."""

    api: FakeBotAPI
    answers: dict[str, str]  # theme -> the bot's answer to it
    chats: int = 0
    per_chat: int = 0
    chars: int = 4000
    within: float = 0.9
    http: int = 0
    http_port: int = 0
    http_chars: int = 2000
    seconds: float = 10.0
    sent: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # themes
    got: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    asked: dict[int, float] = field(default_factory=dict)  # emergency chat -> sent at
    first: dict[int, tuple[float, str]] = field(default_factory=dict)  # -> (at, text)
    http_ms: list[float] = field(default_factory=list)
    http_status: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last_flood_answer: float = 0.0

    def on_call(self, call: Call) -> None:
        """Note each message the bot sent."""
        if call.method != "sendMessage" or call.outcome != "ok":
            return
        chat = int(call.params["chat_id"])
        if chat >= EMERGENCY_CHAT:
            self.first.setdefault(chat, (call.at, visible_text(call.params["text"])))
        elif chat >= FLOODER:
            self.got[chat].append(visible_text(call.params["text"]))
            self.last_flood_answer = call.at

    async def run(self) -> dict[str, Any]:
        """Flood, send the emergencies until the flood is answered, then count."""
        self.api.on_call = self.on_call
        start = time.monotonic()
        self.last_flood_answer = start
        stop = asyncio.Event()
        tasks = [asyncio.create_task(self._emergencies(stop))]
        tasks += [asyncio.create_task(self._http_client(i, stop)) for i in range(self.http)]
        await self._flood()
        while True:
            now = time.monotonic()
            quiet = now - self.last_flood_answer >= QUIET
            if (now - start >= self.seconds and quiet) or now - start >= PHASE_TIMEOUT:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*tasks)
        await asyncio.sleep(2.0)  # the last emergencies' answers
        return self.result(time.monotonic() - start)

    async def _flood(self) -> None:
        total = self.chats * self.per_chat
        began = time.monotonic()
        for i in range(total):
            chat, n = FLOODER + i % self.chats, i // self.chats
            theme = THEMES[n % len(THEMES)]
            self.sent[chat].append(theme)
            text = long_text(theme, self.chars)
            self.api.push_update(text_update(self.api, chat, text))
            delay = began + (i + 1) * self.within / total - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _emergencies(self, stop: asyncio.Event) -> None:
        chat = EMERGENCY_CHAT
        while not stop.is_set():
            self.asked[chat] = time.monotonic()
            self.api.push_update(text_update(self.api, chat, EMERGENCY))
            chat += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), EMERGENCY_EVERY)

    async def _http_client(self, n: int, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.http_port)
        i = n
        try:
            while not stop.is_set():
                text = long_text(THEMES[i % len(THEMES)], self.http_chars)
                body = json.dumps({"text": text}).encode()
                head = (
                    "POST /api/route HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + body)
                began = time.monotonic()
                status = await read_response(reader)
                self.http_ms.append((time.monotonic() - began) * 1000)
                self.http_status[status] += 1
                i += self.http
        finally:
            writer.close()

    def result(self, seconds: float) -> dict[str, Any]:
        """The figures of this phase."""
        slow_down = visible_text(t("telegram.slow_down", "nl"))
        latencies = sorted(
            (self.first[c][0] - at) * 1000 for c, at in self.asked.items() if c in self.first
        )
        first_112 = sum("112" in text.split("\n", 1)[0] for _, text in self.first.values())
        answered = told = in_order = 0
        for chat, themes in self.sent.items():
            got = self.got.get(chat, [])
            told += got.count(slow_down)
            answers = [text for text in got if text != slow_down]
            answered += len(answers)
            in_order += _in_order(answers, [self.answers[theme] for theme in themes])
        return {
            "seconds": seconds,
            "emergencies": len(self.asked),
            "emergencies_answered": len(latencies),
            "first_112": first_112,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": latencies[-1] if latencies else float("nan"),
            "flood_chats": len(self.sent),
            "flood_sent": sum(len(v) for v in self.sent.values()),
            "flood_answered": answered,
            "chats_in_order": in_order,
            "chats_told_slow_down": told,
            "http_requests": len(self.http_ms),
            "http_status": dict(self.http_status),
            "http_p50_ms": percentile(self.http_ms, 0.50),
            "http_p99_ms": percentile(self.http_ms, 0.99),
        }


def _in_order(answers: list[str], expected: list[str]) -> bool:
    """True when ANSWERS are the answers to a subsequence of the messages, in their order."""
    remaining = iter(expected)
    return all(any(answer == wanted for wanted in remaining) for answer in answers)


async def calibrate(api: FakeBotAPI, themes: list[str], chars: int) -> dict[str, str]:
    """The bot's answer to each theme, one long message at a time."""
    answers: dict[str, str] = {}
    for i, theme in enumerate(themes):
        chat = CALIBRATION + i
        got: list[str] = []

        def note(call: Call, chat: int = chat, got: list[str] = got) -> None:
            if call.method == "sendMessage" and call.params.get("chat_id") == chat:
                got.append(visible_text(call.params["text"]))

        api.on_call = note
        api.push_update(text_update(api, chat, long_text(theme, chars)))
        await api.wait_for(lambda got=got: bool(got), timeout=60)
        answers[theme] = got[0]
    if len(set(answers.values())) < len(answers):
        raise SystemExit("two themes get the same answer: the order cannot be checked")
    return answers


async def serve_fake_telegram() -> None:
    """The fake Bot API; orders: {"calibrate": {...}}, then {"phase": {...}} one at a time."""
    api = await FakeBotAPI(keep_calls=False).start()
    print(f"PORT {api.port}", flush=True)
    orders = await stdin_orders()
    answers: dict[str, str] = {}
    while line := await orders.readline():
        order = json.loads(line)
        if "calibrate" in order:
            answers = await calibrate(api, **order["calibrate"])
            answer({"themes": len(answers)})
        elif "phase" in order:
            answer(await Phase(api, answers, **order["phase"]).run())
        else:
            answer({"error": "unknown order"})
    await api.stop()


# -- the service under test (this process) -------------------------------------------------------


@contextlib.asynccontextmanager
async def meldwijzer_run(api_url: str, port: int) -> AsyncIterator[None]:
    """`meldwijzer run` in this event loop on a fresh database: HTTP on PORT, the bot polling."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            telegram_token=TOKEN,
            telegram_api_url=api_url,
            db_path=Path(folder) / "bench.sqlite3",
            port=port,
            rate_limit_per_minute=0,
        )
        stop, started = asyncio.Event(), asyncio.Event()
        service = asyncio.create_task(serve(settings, stop=stop, started=started))
        await asyncio.wait({service, asyncio.create_task(started.wait())}, timeout=60)
        if service.done():
            await service  # it could not start: say why
        try:
            yield
        finally:
            stop.set()
            await service


PHASES = (
    ("one chat floods: 4,000-character messages in 0.9 s", {"chats": 1, "per_chat": 300}),
    ("twenty chats flood: 4,000-character messages in 0.9 s", {"chats": 20, "per_chat": 15}),
    ("8 HTTP clients send 2,000-character texts", {"http": 8, "seconds": 15.0}),
)


async def bench(quick: bool) -> None:
    """Calibrate, then run each phase and print its figures."""
    port = free_port()
    server_script = fake_server(Path(__file__), ["--serve"])
    async with server_script as server, meldwijzer_run(server.base_url, port):
        await server.order({"calibrate": {"themes": list(THEMES), "chars": 4000}})
        for title, phase in PHASES:
            order: dict[str, Any] = {**phase, "http_port": port}
            if quick:  # a third of each flood, 5 s of HTTP
                order["per_chat"] = int(order.get("per_chat", 0)) // 3
                order["seconds"] = 5.0
            result = await server.order({"phase": order}, timeout=PHASE_TIMEOUT + 60)
            report(title, result)


def report(title: str, r: dict[str, Any]) -> None:
    """Print one phase's figures."""
    print(f"== {title} ({r['seconds']:.0f} s)")
    print(
        f"emergencies   {r['emergencies_answered']} of {r['emergencies']} answered, "
        f"112 first in {r['first_112']}; p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
        f"max {r['max_ms']:.0f} ms (target p99 <= {TARGET_P99_MS:.0f} ms)"
    )
    if r["flood_chats"]:
        print(
            f"flooding      {r['flood_sent']} messages from {r['flood_chats']} chat(s): "
            f"{r['flood_answered']} answered ({r['chats_in_order']} of {r['flood_chats']} chats "
            f"in their own order), {r['flood_sent'] - r['flood_answered']} not read, "
            f"{r['chats_told_slow_down']} slow-down answer(s)"
        )
    if r["http_requests"]:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["http_status"].items()))
        print(
            f"HTTP          {r['http_requests']} requests ({statuses}); "
            f"p50 {r['http_p50_ms']:.0f} ms, p99 {r['http_p99_ms']:.0f} ms"
        )


def main() -> None:
    """Parse the options; serve (the fake side) or run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a third of the floods, 5 s of HTTP")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if args.serve:
        asyncio.run(serve_fake_telegram())
    else:
        asyncio.run(bench(args.quick))


if __name__ == "__main__":
    main()
