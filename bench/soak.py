"""Soak: 1,000 simulated residents talk to the Telegram bot for ten minutes via the fake Bot API.

The fake server runs in its own process and plays the residents: each one acts, waits for the
bot's first reply (at most 10 s, else the update counts as lost), reads for a while (exponential
think time, mean THINK seconds) and acts again, until the time is up. What they do is a mix: reports
in Dutch and English, emergencies, bare postcodes, /gebied and /spreekuren with a postcode or
buurt, /start and /help, the buttons under the bot's last answer (options, buurten, spreekuren),
👍/👎, stickers, photos, voice notes, greetings, edited messages, /taal and the odd /wis. The bot
in this process long-polls and answers, with Telegram's flood limit off (the fake server is not
Telegram).

Prints a line per interval, then answers per second, p50/p99 latency from update to first reply
(after a warm-up), errors (updates not answered in time, calls Telegram would refuse, failures
seen by the bot's error handler, warnings logged) and the bot's resident memory (RSS) before the
load, after the warm-up and at the end. Memory is measured settled: after a garbage collection and
glibc's malloc_trim, which hands freed heap back to the system (without it RSS also holds freed
memory that glibc keeps for reuse; the raw end figure is printed beside it). The verdict subtracts
what the bot keeps by design per chat (the /wis memory, the chat-settings cache, PTB's
chat_data/user_data, all bounded); whatever growth is left must stay under max(5 MB, 5 %).
`--trace` shows where Python memory allocated after the warm-up is still held at the end.

Run:  .venv/bin/python bench/soak.py                 # 1000 residents, 600 s
      .venv/bin/python bench/soak.py --quick         # a ~30 s smoke run
      .venv/bin/python bench/soak.py --users 200 --seconds 120 --think 5
Loopback only; it stops by itself. A benchmark, not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import itertools
import json
import logging
import random
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _fakeload import (
    answer,
    cpu_seconds,
    fake_server,
    rss_mb,
    running_bot,
    stdin_orders,
)
from _figures import percentile
from fakebotapi import Call, FakeBotAPI, chat_object, text_update

from bot.chatsettings import ChatSettingsStore
from bot.telegram.context import CHATS, MEMORY
from bot.telegram.memory import MessageMemory

REPLY_TIMEOUT = 10.0  # seconds a resident waits for the first reply before it counts as lost
FIRST_USER = 100_000  # residents' user ids (= private chat ids) start here
GROWTH_LIMIT_MB = 5.0  # unexplained growth allowed: max(this, GROWTH_LIMIT_SHARE of the start)
GROWTH_LIMIT_SHARE = 0.05

# -- what residents send ------------------------------------------------------------------------

REPORTS = {
    "nl": [
        "er staan weer vuilniszakken naast de container",
        "losse stoeptegel voor mijn deur",
        "de straatlantaarn in onze straat doet het niet",
        "hondenpoep op de stoep bij de speeltuin",
        "mijn fiets is gestolen bij het station",
        "mijn buurman speelt elke nacht harde muziek",
        "er wordt gedeald op het pleintje bij de school",
        "er staat al dagen een busje op de stoep, 6229 AB",
        "jongeren hangen elke avond rond bij het winkelcentrum in Malberg",
        "er ligt grofvuil op de hoek van de straat",
        "een fietswrak staat al maanden tegen het hek",
        "ik maak me zorgen om mijn buurvrouw, ze komt niet meer buiten",
    ],
    "en": [
        "there is rubbish next to the container again",
        "someone stole my bike at the station",
        "a car is parked on the pavement every day",
        "the street light outside my house is broken",
        "loud music from the neighbours every night",
        "youths hanging around and shouting at people near the shops",
        "I think drugs are being sold in the park",
        "dog poo all over the pavement near the playground",
    ],
}
EMERGENCIES = {
    "nl": [
        "er is brand in mijn keuken nu",
        "mijn buurman slaat zijn vrouw op dit moment",
        "er ligt iemand bewusteloos op straat",
        "er wordt nu ingebroken bij de buren",
    ],
    "en": [
        "my neighbour is hitting his wife right now",
        "there is a fire in the building next door right now",
        "someone is lying unconscious in the street",
    ],
}
CHATTER = {
    "nl": ["hallo", "bedankt!", "wat kun je allemaal?", "qwzx vbnm plok", "ok"],
    "en": ["hello", "thanks!", "what can you do?", "asdf jkl", "ok"],
}
POSTCODES = ["6222", "6224", "6221 AB", "6229 AB", "6211 LE 12", "6212", "6226", "1011 AB"]
PLACES = [
    "Malberg",
    "Wyckerpoort",
    "Wittevrouwenveld",
    "Ceramique",
    "st pieter",
    "Heer",
    *POSTCODES,
]
COMMANDS = ["/start", "/help", "/privacy"]

STICKER = {
    "file_id": "s1",
    "file_unique_id": "u4",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
PHOTO = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]
VOICE = {"file_id": "a1", "file_unique_id": "u2", "duration": 4}

# What a resident does next, and how often (relative weights).
MIX: dict[str, float] = {
    "report": 30,
    "emergency": 4,
    "postcode": 7,
    "gebied": 7,
    "spreekuren": 5,
    "command": 4,
    "button": 10,
    "thumb": 14,
    "sticker": 4,
    "photo": 2,
    "voice": 2,
    "chatter": 5,
    "edited": 2,
    "language": 1,
    "wipe": 0.5,
}
ANSWERS = {
    "sendMessage",
    "sendPhoto",
    "sendSticker",
    "answerCallbackQuery",
    "editMessageReplyMarkup",
    "editMessageText",
    "deleteMessages",
}


# -- the residents (in the fake server's process) -----------------------------------------------


@dataclass
class Window:
    """What happened in one stretch of the run."""

    sent: int = 0
    answered: int = 0
    lost: int = 0
    rejected: int = 0
    latencies: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def summary(self) -> dict[str, Any]:
        """The stretch as figures."""
        ordered = sorted(self.latencies)
        elapsed = max(1e-9, time.monotonic() - self.started)
        return {
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "rejected": self.rejected,
            "answers_per_s": self.answered / elapsed,
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        }


@dataclass
class _Waiting:
    sent_at: float
    reply: asyncio.Future[float]


class Residents:
    """USERS residents acting in turn for SECONDS against the fake Bot API."""

    def __init__(
        self, api: FakeBotAPI, users: int, seconds: float, think: float, warmup: float, seed: int
    ) -> None:
        self.api = api
        self.users = users
        self.seconds = seconds
        self.think = think
        self.warmup = warmup
        self.random = random.Random(seed)
        self.total = Window()
        self.window = Window()
        self.kinds: Counter[str] = Counter()
        self._waiting: dict[int, _Waiting] = {}
        self._queries: dict[str, int] = {}
        self._last: dict[int, dict[str, Any]] = {}  # the newest message with buttons, per chat
        self._query_ids = itertools.count(1)
        self._first = 0.0
        self._last_reply = 0.0

    async def run(self) -> None:
        """Every resident acts until the time is up; returns when the last one is done."""
        self.api.on_call = self.on_call
        self._first = time.monotonic()
        self.total.started = self.window.started = self._first
        deadline = self._first + self.seconds
        await asyncio.gather(*(self._resident(FIRST_USER + i, deadline) for i in range(self.users)))

    async def _resident(self, user: int, deadline: float) -> None:
        lang = "nl" if self.random.random() < 0.7 else "en"
        await asyncio.sleep(self.random.uniform(0, self.think))  # residents arrive spread out
        while time.monotonic() < deadline:
            update = self._next_update(user, lang)
            waiting = _Waiting(time.monotonic(), asyncio.get_running_loop().create_future())
            self._waiting[user] = waiting
            self.api.push_update(update)
            self.total.sent += 1
            self.window.sent += 1
            try:
                at = await asyncio.wait_for(waiting.reply, REPLY_TIMEOUT)
            except TimeoutError:
                self.total.lost += 1
                self.window.lost += 1
            else:
                self._note_answer(at - waiting.sent_at, waiting.sent_at)
            finally:
                self._waiting.pop(user, None)
            pause = min(self.random.expovariate(1 / self.think), 5 * self.think)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    def _note_answer(self, latency: float, sent_at: float) -> None:
        self.total.answered += 1
        self.window.answered += 1
        if sent_at - self._first >= self.warmup:
            self.total.latencies.append(latency)
        self.window.latencies.append(latency)

    def _next_update(self, user: int, lang: str) -> dict[str, Any]:
        """The update for this resident's next action."""
        kind = self.random.choices(list(MIX), weights=list(MIX.values()))[0]
        pick = self.random.choice
        buttons = self._buttons(user)
        if kind == "thumb" and (thumbs := [b for b in buttons if b.startswith("fb:")]):
            return self._click(user, lang, pick(thumbs))
        if kind in ("button", "thumb") and (
            others := [b for b in buttons if not b.startswith(("fb:", "wis:"))]
        ):
            return self._click(user, lang, pick(others))
        if kind in ("button", "thumb"):
            kind = "report"  # nothing to press: type instead
        self.kinds[kind] += 1
        if kind in ("sticker", "photo", "voice"):
            media = {"sticker": STICKER, "photo": PHOTO, "voice": VOICE}[kind]
            return {"message": self._message(user, lang, **{kind: media})}
        text = {
            "report": lambda: pick(REPORTS[lang]),
            "edited": lambda: pick(REPORTS[lang]),
            "emergency": lambda: pick(EMERGENCIES[lang]),
            "postcode": lambda: pick(POSTCODES),
            "gebied": lambda: pick(["/gebied", *(["/gebied " + pick(PLACES)] * 4)]),
            "spreekuren": lambda: pick(["/spreekuren", "/spreekuren " + pick(PLACES)]),
            "command": lambda: pick(COMMANDS),
            "chatter": lambda: pick(CHATTER[lang]),
            "language": lambda: f"/taal {lang}",
            "wipe": lambda: "/wis",
        }[kind]()
        update = text_update(self.api, user, text, language_code=lang)
        if kind == "edited":
            update["message"]["edit_date"] = int(time.time())
            return {"edited_message": update["message"]}
        return update

    def _message(self, user: int, lang: str, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": self.api.next_message_id(user),
            "date": int(time.time()),
            "chat": chat_object(user),
            "from": _user(user, lang),
            **fields,
        }

    def _buttons(self, user: int) -> list[str]:
        message = self._last.get(user) or {}
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def _click(self, user: int, lang: str, data: str) -> dict[str, Any]:
        self.kinds["thumb" if data.startswith("fb:") else "button"] += 1
        query_id = str(next(self._query_ids))
        self._queries[query_id] = user
        return {
            "callback_query": {
                "id": query_id,
                "from": _user(user, lang),
                "chat_instance": str(user),
                "data": data,
                "message": self._last[user],
            }
        }

    def on_call(self, call: Call) -> None:
        """A Bot API call from the bot: the first reply a waiting resident gets is timed."""
        if call.method not in ANSWERS:
            return
        if call.method == "answerCallbackQuery":
            user = self._queries.pop(str(call.params.get("callback_query_id")), None)
        else:
            chat = call.params.get("chat_id")
            user = int(chat) if isinstance(chat, int | str) and str(chat).isdigit() else None
        if user is None:
            return
        if call.outcome == "rejected":
            self.total.rejected += 1
            self.window.rejected += 1
            return
        if call.outcome != "ok":
            return
        result = call.result
        if isinstance(result, dict) and "message_id" in result:
            markup = result.get("reply_markup") or {}
            last = self._last.get(user)
            if markup.get("inline_keyboard"):
                self._last[user] = result
            elif last is not None and last.get("message_id") == result["message_id"]:
                del self._last[user]  # its buttons are gone
        waiting = self._waiting.get(user)
        if waiting is not None and not waiting.reply.done():
            waiting.reply.set_result(call.at)
            self._last_reply = call.at

    def progress(self) -> dict[str, Any]:
        """The stretch since the last call, then start a new one."""
        summary = self.window.summary()
        self.window = Window()
        return summary

    def result(self) -> dict[str, Any]:
        """The whole run (latencies after the warm-up)."""
        summary = self.total.summary()
        elapsed = self._last_reply - self._first
        summary["answers_per_s"] = self.total.answered / elapsed if elapsed > 0 else 0.0
        summary["kinds"] = dict(self.kinds)
        return summary


def _user(user: int, lang: str) -> dict[str, Any]:
    return {"id": user, "is_bot": False, "first_name": "Bewoner", "language_code": lang}


async def serve() -> None:
    """The fake Bot API playing the residents; orders: {"soak": {...}}, {"progress"}, {"result"}."""
    api = await FakeBotAPI(keep_calls=False).start()
    gc.freeze()  # the server's own pauses would count as the bot's latency
    print(f"PORT {api.port}", flush=True)
    orders = await stdin_orders()
    residents: Residents | None = None
    task: asyncio.Task[None] | None = None
    while line := await orders.readline():
        order = json.loads(line)
        if "soak" in order:
            residents = Residents(api, **order["soak"])
            task = asyncio.create_task(residents.run())
            answer({"started": True})
        elif residents is not None and "progress" in order:
            answer(residents.progress())
        elif residents is not None and task is not None and "result" in order:
            await task
            answer(residents.result())
        else:
            answer({"error": "unknown order"})
    await api.stop()


# -- the bot's side (this process) --------------------------------------------------------------


class Tally(logging.Handler):
    """Counts warnings and errors logged in the bot's process, by logger (never the message)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_logger: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record."""
        self.by_logger[record.name] += 1


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None


MALLOC_TRIM = _malloc_trim()


def settled_rss_mb() -> float:
    """RSS after a garbage collection and malloc_trim: the memory the bot still holds."""
    gc.collect()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
    return rss_mb()


def kept_per_chat(app: Any) -> tuple[int, str]:
    """Bytes the bot keeps per chat by design (bounded), and what they are."""
    memory: MessageMemory = app.bot_data[MEMORY]
    chats: ChatSettingsStore = app.bot_data[CHATS]
    # The bench looks inside: the /wis memory keeps (time, message id) pairs in a deque per chat.
    ids = memory._ids
    pairs = sum(len(queue) for queue in ids.values())
    pair = sys.getsizeof((0.0, 10_000)) + sys.getsizeof(0.0) + sys.getsizeof(10_000)
    size = sys.getsizeof(ids) + sum(sys.getsizeof(q) + 40 for q in ids.values()) + pairs * pair
    cache = chats._cache
    size += sys.getsizeof(cache) + sum(sys.getsizeof(s) + 100 for s in cache.values())
    ptb = [app.chat_data, app.user_data]
    size += sum(sys.getsizeof(d) + sum(sys.getsizeof(v) for v in d.values()) for d in ptb)
    what = (
        f"/wis memory {pairs:,} ids in {len(ids):,} chats, settings cache {len(cache):,} chats, "
        f"chat_data {len(app.chat_data):,}, user_data {len(app.user_data):,}"
    )
    return size, what


async def soak(
    users: int, seconds: float, think: float, every: float, seed: int, trace: bool = False
) -> None:
    """Run the residents against a fresh bot; print as it goes, then the figures."""
    warmup = min(10.0, seconds / 3)
    tally = Tally()
    logging.getLogger().addHandler(tally)
    failures: Counter[str] = Counter()

    async def on_error(update: object, context: Any) -> None:
        if context.error is not None:
            failures[type(context.error).__name__] += 1

    script = Path(__file__).resolve()
    async with fake_server(script, ["--serve"]) as server, running_bot(server.base_url) as bot:
        bot.app.add_error_handler(on_error)
        rss_start = settled_rss_mb()
        print(
            f"soak: {users} residents for {seconds:.0f} s, a resident acts every {think:g} s on "
            f"average (about {users / think:.0f} updates/s), seed {seed}"
        )
        print(
            f"{'time':>6}  {'sent':>6}  {'answers/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  "
            f"{'lost':>4}  {'refused':>7}  {'RSS MB':>7}"
        )
        order = {"users": users, "seconds": seconds, "think": think, "warmup": warmup, "seed": seed}
        await server.order({"soak": order})
        began, cpu = time.monotonic(), cpu_seconds()
        warm: dict[str, float] = {}

        async def mark_warm() -> None:
            await asyncio.sleep(warmup)
            warm["rss"], warm["kept"] = settled_rss_mb(), kept_per_chat(bot.app)[0]
            if trace:
                tracemalloc.start()

        marker = asyncio.create_task(mark_warm())
        while (elapsed := time.monotonic() - began) < seconds:
            await asyncio.sleep(min(every, seconds - elapsed))
            w = await server.order({"progress": True})
            print(
                f"{time.monotonic() - began:5.0f}s  {w['sent']:6d}  {w['answers_per_s']:9.1f}  "
                f"{w['p50_ms']:7.1f}  {w['p99_ms']:7.1f}  {w['lost']:4d}  {w['rejected']:7d}  "
                f"{settled_rss_mb():7.1f}",
                flush=True,
            )
        await marker
        result = await server.order({"result": True}, timeout=REPLY_TIMEOUT + 60)
        cpu_ms = (cpu_seconds() - cpu) * 1000 / max(1, int(result["answered"]))
        await asyncio.sleep(0.5)  # the last counts and edits settle
        raw_end = rss_mb()
        rss_end, (kept_end, kept_what) = settled_rss_mb(), kept_per_chat(bot.app)
        if trace:
            _print_growth(tracemalloc.take_snapshot())
            tracemalloc.stop()
    logging.getLogger().removeHandler(tally)
    _report(
        result,
        failures,
        tally,
        cpu_ms,
        warmup,
        (rss_start, warm["rss"], rss_end, raw_end),
        (int(warm["kept"]), kept_end),
        kept_what,
    )


def _report(
    result: dict[str, Any],
    failures: Counter[str],
    tally: Tally,
    cpu_ms: float,
    warmup: float,
    rss: tuple[float, float, float, float],
    kept: tuple[int, int],
    kept_what: str,
) -> None:
    rss_start, rss_warm, rss_end, raw_end = rss
    sent, answered = int(result["sent"]), int(result["answered"])
    errors = int(result["lost"]) + int(result["rejected"]) + sum(failures.values())
    warnings = sum(tally.by_logger.values())
    growth = rss_end - rss_warm
    kept_growth = (kept[1] - kept[0]) / 2**20
    unexplained = growth - kept_growth
    limit = max(GROWTH_LIMIT_MB, GROWTH_LIMIT_SHARE * rss_warm)
    print()
    print(f"updates sent    {sent:9,d}   ({_kinds(result['kinds'].items())})")
    print(f"answered        {answered:9,d}   ({100 * answered / max(1, sent):.2f} %)")
    print(f"answers/s       {result['answers_per_s']:9.1f}")
    print(
        f"p50 latency     {result['p50_ms']:9.1f} ms (update -> first reply, "
        f"after a {warmup:.0f} s warm-up)"
    )
    print(f"p99 latency     {result['p99_ms']:9.1f} ms")
    print(f"max latency     {result['max_ms']:9.1f} ms")
    print(
        f"errors          {errors:9d}   (not answered within {REPLY_TIMEOUT:.0f} s "
        f"{result['lost']}, refused by the Bot API {result['rejected']}, "
        f"bot errors {sum(failures.values())}{_listed(failures)})"
    )
    print(f"warnings logged {warnings:9d}{_listed(tally.by_logger)}")
    print(f"CPU / update    {cpu_ms:9.2f} ms (the bot's process, all threads)")
    print(f"RSS start       {rss_start:9.1f} MB (settled; the bot ready, before the load)")
    print(f"RSS warmed up   {rss_warm:9.1f} MB (after {warmup:.0f} s)")
    print(
        f"RSS end         {rss_end:9.1f} MB ({growth:+.1f} MB since the warm-up; "
        f"{raw_end:.1f} MB before gc and malloc_trim)"
    )
    print(f"  kept per chat {kept_growth:+9.1f} MB by design, bounded ({kept_what})")
    print(f"  unexplained   {unexplained:+9.1f} MB")
    verdict = (
        f"OK: memory does not grow (unexplained {unexplained:+.1f} MB, limit {limit:.1f} MB)"
        if unexplained <= limit
        else f"MEMORY GROWS: {unexplained:+.1f} MB beyond the bounded per-chat data "
        f"(limit {limit:.1f} MB)"
    )
    print(f"memory verdict  {verdict}")


def _print_growth(snapshot: tracemalloc.Snapshot, top: int = 15) -> None:
    """Where the memory allocated since the warm-up and still alive was allocated."""
    stats = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics(
        "lineno"
    )
    total = sum(s.size for s in stats)
    print(f"\nstill allocated since the warm-up (tracemalloc): {total / 2**20:.1f} MB; the top:")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        where = f"{frame.filename}:{frame.lineno}"
        print(f"  {stat.size / 2**20:7.2f} MB {stat.count:9,d} blocks  {where}")


def _kinds(items: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in sorted(items, key=lambda kv: -kv[1]))


def _listed(counts: Counter[str]) -> str:
    return f": {_kinds(counts.items())}" if counts else ""


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1000, help="residents (default 1000)")
    parser.add_argument("--seconds", type=float, default=600.0, help="length (default 600)")
    parser.add_argument(
        "--think",
        type=float,
        default=10.0,
        help="mean seconds between a resident's actions (default 10)",
    )
    parser.add_argument(
        "--every", type=float, default=60.0, help="seconds between progress lines (default 60)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the residents")
    parser.add_argument("--quick", action="store_true", help="a ~30 s smoke run")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="after the warm-up, trace allocations and print where memory grew "
        "(slower; the RSS figures then include tracemalloc's own)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return
    if args.quick:
        args.seconds, args.every = 30.0, 10.0
    if args.users < 1 or args.seconds <= 0 or args.think <= 0 or args.every <= 0:
        parser.error("users, seconds, think and every must be positive")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.WARNING)
    asyncio.run(soak(args.users, args.seconds, args.think, args.every, args.seed, args.trace))


if __name__ == "__main__":
    main()
