"""Where routing runs: off the event loop, short texts on a thread of their own, long ones by turns.

Routing is CPU work and holds the GIL. Measured on the 2-core machine: a 4,000-character text
costs about 60 ms on one thread and no less with two (62 and 67 ms a text), so more threads add
contention, not throughput. A process pool would add throughput (26 ms a text with two
processes) but holds a copy of the router and its model in each process (180 MB). What a
resident feels is waiting, so this pool gives priority instead of more workers:

- a text of up to EXPRESS_CHARS characters (an emergency is told in a few words) is routed on
  the express thread, which long texts never use: it waits only for other short texts, a few
  milliseconds each;
- longer texts share the bulk thread. Each door (the bot, the web API) has at most BULK_TURNS
  texts waiting there; the rest wait in the door's own line, so one door's flood of long texts
  never queues in front of another door's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

EXPRESS_CHARS = 300
BULK_WORKERS = 1  # more threads add no throughput under the GIL (see above)
BULK_TURNS = 1  # a door's texts queued on the bulk thread at once

T = TypeVar("T")


class RoutingPool:
    """Runs a routing function off the event loop: short texts first, doors' long texts by turns."""

    def __init__(
        self,
        *,
        express_chars: int = EXPRESS_CHARS,
        bulk_workers: int = BULK_WORKERS,
        bulk_turns: int = BULK_TURNS,
    ) -> None:
        self.express_chars = express_chars
        self.bulk_turns = bulk_turns
        self._express = ThreadPoolExecutor(max_workers=1, thread_name_prefix="route-express")
        self._bulk = ThreadPoolExecutor(max_workers=bulk_workers, thread_name_prefix="route")
        self._doors: dict[str, asyncio.Semaphore] = {}

    async def run(self, work: Callable[[str], T], text: str, door: str = "") -> T:
        """WORK(TEXT) on the express thread when TEXT is short, else in DOOR's turn on the bulk."""
        loop = asyncio.get_running_loop()
        if len(text) <= self.express_chars:
            return await loop.run_in_executor(self._express, work, text)
        turn = self._doors.setdefault(door, asyncio.Semaphore(self.bulk_turns))
        async with turn:
            return await loop.run_in_executor(self._bulk, work, text)

    def shutdown(self) -> None:
        """Stop the threads; texts not yet started are dropped."""
        self._express.shutdown(wait=False, cancel_futures=True)
        self._bulk.shutdown(wait=False, cancel_futures=True)
