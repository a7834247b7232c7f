"""Where a guided conversation's state is when the process could die: PTB persistence or ours.

Prints, for python-telegram-bot's ConversationHandler(persistent=True) on a recording
persistence: how often the state was written when the bot had sent the next question (default
update_interval 60 s, and 0.2 s), how long after, and whether a second Application on the same
persistence carries the conversation on. Then what bot.telegram.guided's store costs: one read
per private text message (wall and CPU time of `find`). Figures only; it never fails.

Run: .venv/bin/python bench/guided_state.py
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CommandHandler,
    ConversationHandler,
    DictPersistence,
    MessageHandler,
    PersistenceInput,
    filters,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fakebotapi import FakeBotAPI, text_update

from bot.guided import SqlConversationStore
from bot.storage import Database

READS = 5000


class Recording(DictPersistence):
    """Only conversations, each write noted with its time."""

    def __init__(self, update_interval: float) -> None:
        super().__init__(
            store_data=PersistenceInput(False, False, False, False),
            update_interval=update_interval,
        )
        self.writes: list[float] = []

    async def update_conversation(self, name: str, key: Any, new_state: object) -> None:
        self.writes.append(time.monotonic())
        await super().update_conversation(name, key, new_state)


async def ask_when(update: Update, context: Any) -> int:
    await context.bot.send_message(update.effective_chat.id, "Wanneer?")
    return 1


async def ask_time(update: Update, context: Any) -> int:
    await context.bot.send_message(update.effective_chat.id, "Hoe laat?")
    return 2


def application(api: FakeBotAPI, persistence: Recording) -> Any:
    app = ApplicationBuilder().token(api.token).base_url(api.base_url)
    app = app.persistence(persistence).build()
    states = {1: [MessageHandler(filters.TEXT, ask_time)]}
    entry = [CommandHandler("nieuw", ask_when)]
    app.add_handler(ConversationHandler(entry, states, [], name="new", persistent=True))
    return app


async def ptb(api: FakeBotAPI, interval: float) -> None:
    persistence = Recording(interval)
    first, second = application(api, persistence), application(api, persistence)
    async with first, second:
        await first.start()
        update = text_update(api, 55, "/nieuw") | {"update_id": api.new_update_id()}
        await first.process_update(Update.de_json(update, first.bot))
        asked = time.monotonic()
        written_when_asked = len(persistence.writes)
        waited = interval + 0.3 if interval < 5 else 1.0
        await asyncio.sleep(waited)
        after = (
            f"{(persistence.writes[0] - asked) * 1000:.0f} ms after"
            if persistence.writes
            else f"none within {waited:.1f} s"
        )
        sent = len(api.of("sendMessage"))
        update = text_update(api, 55, "morgen") | {"update_id": api.new_update_id()}
        await second.process_update(Update.de_json(update, second.bot))
        carried_on = len(api.of("sendMessage")) > sent
        await first.stop()
    print(
        f"PTB update_interval {interval:>4} s: written {written_when_asked}x when the question "
        f"was sent, first write {after}; a second worker carries on: {carried_on}"
    )


async def ours() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "guided.sqlite3")
        store = SqlConversationStore(db)
        used = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        for i in range(READS):
            await store.find(1000 + i % 200, 1000 + i % 200)
        wall = (time.perf_counter() - start) / READS * 1000
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime) / READS * 1000
        await db.close()
    print(
        "bot.guided: written before the question is sent (a kill -9 loses no step); "
        f"one read per private text: {wall:.3f} ms wall, {cpu:.3f} ms CPU"
    )


async def main() -> None:
    warnings.simplefilter("ignore")  # PTB's per_message advice
    api = await FakeBotAPI().start()
    try:
        for interval in (60.0, 0.2):
            await ptb(api, interval)
    finally:
        await api.stop()
    await ours()


if __name__ == "__main__":
    asyncio.run(main())
