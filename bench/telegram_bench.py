"""Telegram bot throughput: N users message the bot at once through the fake Bot API.

The fake server runs in its own process (as Telegram would be elsewhere) and pushes text
messages from USERS private chats at RATE per second for SECONDS (open loop: it does not wait
for answers); the bot in this process long-polls it, answers, and the server times each
update -> reply. Prints updates per second answered, p50 / p99 latency (after a one-second
warm-up), this process's peak RSS and its CPU time per update (the figure that does not depend
on what else the machine is doing). Targets: >= 300 updates/s, p99 <= 50 ms, RSS <= 150 MB.

Telegram's own flood limit (30 messages a second over all chats) is switched off here: the
fake server is not Telegram, and the point is what the bot itself can carry.

Run: .venv/bin/python bench/telegram_bench.py [--rate 300] [--users 200] [--seconds 10]
It is a benchmark, not a test, and never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from _fakeload import cpu_seconds, fake_server, peak_rss_mb, running_bot

TARGET_RATE, TARGET_P99_MS, TARGET_RSS_MB = 300.0, 50.0, 150.0

# What residents type: reports, an emergency, a greeting, a postcode, a command, nonsense.
TEXTS = [
    "er staan weer vuilniszakken naast de container",
    "er is brand in mijn keuken nu",
    "losse stoeptegel voor mijn deur",
    "my neighbour is hitting his wife right now",
    "hallo",
    "6222",
    "/help",
    "qwzx vbnm plok",
    "hondenpoep op de stoep bij de speeltuin",
    "mijn fiets is gestolen bij het station",
]


async def bench(rate: float, users: int, seconds: float) -> dict[str, float]:
    """Run one load against a fresh bot; return the figures."""
    async with fake_server() as server, running_bot(server.base_url):
        load = {"texts": TEXTS, "rate": rate, "users": users, "seconds": seconds}
        await server.order({"load": load})
        cpu = cpu_seconds()
        result = await server.order({"result": True})
        result["cpu_ms"] = (cpu_seconds() - cpu) * 1000 / max(1, int(result["answered"]))
    result["rss_mb"] = peak_rss_mb()
    return {k: float(v) for k, v in result.items()}


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="messages per second")
    parser.add_argument("--users", type=int, default=200, help="private chats sending")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the load")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    r = asyncio.run(bench(args.rate, args.users, args.seconds))
    print(f"users {args.users}, offered {args.rate:.0f} updates/s for {args.seconds:.0f} s")
    print(f"answered      {r['answered']:.0f} of {r['sent']:.0f}")
    print(f"updates/s     {r['updates_per_s']:8.1f}   (target >= {TARGET_RATE:.0f})")
    print(f"p50 latency   {r['p50_ms']:8.1f} ms")
    print(f"p99 latency   {r['p99_ms']:8.1f} ms (target <= {TARGET_P99_MS:.0f})")
    print(f"max latency   {r['max_ms']:8.1f} ms")
    print(f"peak RSS      {r['rss_mb']:8.1f} MB (target <= {TARGET_RSS_MB:.0f}; the bot's process)")
    print(f"CPU / update  {r['cpu_ms']:8.2f} ms (the bot's process, all threads)")


if __name__ == "__main__":
    main()
