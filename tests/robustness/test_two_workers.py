"""Two real `meldwijzer run` workers in webhook mode on one PostgreSQL database act as one bot.

Updates are posted to either worker's webhook (as a load balancer would spread Telegram's
calls); the answers go to the fake Bot API. A staff member's guided conversation goes on
from one worker to the other and the spreekuur it publishes is listed through the other; an
update posted to both is answered once; both workers' counts land in one table; with one
worker killed -9 the other answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakebotapi import FakeBotAPI, text_update

from bot.storage import Database
from bot.telegram import runner
from tests.robustness.test_durability import (
    HOOK,
    RUBBISH,
    SECRET,
    WAIT,
    Run,
    answered,
    free_port,
    run_env,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 777
AGENT = 55


async def post(worker: Run, update: dict[str, Any]) -> None:
    """Deliver UPDATE to WORKER's webhook, as Telegram does; it must take it (200)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{worker.port}", timeout=WAIT) as c:
        got = await c.post("/tg/hook", json=update, headers={runner.SECRET_HEADER: SECRET})
    assert got.status_code == 200, got.text


async def says(
    api: FakeBotAPI, worker: Run, user: int, text: str, expect: str, lang: str = "en"
) -> str:
    """USER sends TEXT through WORKER; wait for the answer containing EXPECT and return it."""
    start = len(api.calls)
    update = text_update(api, user, text, language_code=lang) | {"update_id": api.new_update_id()}
    await post(worker, update)
    await api.wait_for(lambda: any(expect in t for t in api.texts_to(user, start)), timeout=WAIT)
    return next(t for t in api.texts_to(user, start) if expect in t)


async def presses(api: FakeBotAPI, worker: Run, user: int, label: str, expect: str) -> str:
    """USER presses the button LABEL under the bot's last message to them, through WORKER."""
    start = len(api.calls)
    query = api.button_press(user, label)
    await post(worker, {"update_id": api.new_update_id(), "callback_query": query})
    await api.wait_for(lambda: any(expect in t for t in api.texts_to(user, start)), timeout=WAIT)
    return next(t for t in api.texts_to(user, start) if expect in t)


async def total_counts(target: str) -> int:
    db = await Database.open(target)
    try:
        row = await db.fetchone("SELECT SUM(count) FROM stats_counts WHERE kind = 'question'")
        return int(row[0] or 0) if row else 0
    finally:
        await db.close()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_two_webhook_workers_on_postgresql_act_as_one_bot(
    fake_api: FakeBotAPI, db_target: str | Path, tmp_path: Path
) -> None:
    api, target = fake_api, str(db_target)
    env = run_env(api, tmp_path / "unused.sqlite3", 0, WEBHOOK_URL=HOOK, WEBHOOK_SECRET=SECRET)
    # PYTHONPATH: the workers run this checkout's bot/, whatever the venv has installed.
    env |= {"MELDWIJZER_DB": target, "MELDWIJZER_ADMINS": str(ADMIN), "PYTHONPATH": str(ROOT)}
    one = await Run.start(env | {"PORT": str(free_port())}, tmp_path)
    other = await Run.start(env | {"PORT": str(free_port())}, tmp_path)
    try:
        await asyncio.gather(one.http_up(), other.http_up())
        await api.wait_for(lambda: len(api.of("setWebhook")) >= 2, timeout=WAIT)

        # Staff added on one worker; a guided conversation begun on it goes on on the other.
        await says(api, one, ADMIN, f"/staff_toevoegen {AGENT} noord-oost", "publiceert", "nl")
        await says(api, one, AGENT, "/spreekuur_nieuw", "New drop-in hour in Noord-Oost. When?")
        await says(api, other, AGENT, "tomorrow", "What time?")
        await says(api, one, AGENT, "14:00-15:30", "Where?")
        await says(api, other, AGENT, "Wijkhuis Limmel", "A short note")
        await says(api, one, AGENT, "-", "This is what residents will see")
        await presses(api, other, AGENT, "Publish", "Published: #1 Noord-Oost")
        # Published through the other worker, listed through this one (and the other).
        listing = await says(api, one, 4242, "/spreekuren noord-oost", "Wijkhuis Limmel")
        assert "14:00" in listing
        await says(api, other, 4243, "/spreekuren noord-oost", "Wijkhuis Limmel")

        # One update delivered to both workers (Telegram's retry reaching the other) is answered
        # once.
        start = len(api.calls)
        twice = text_update(api, 7301, RUBBISH) | {"update_id": api.new_update_id()}
        await asyncio.gather(post(one, twice), post(other, twice))
        await api.wait_for(lambda: bool(api.texts_to(7301, start)), timeout=WAIT)
        # Residents through both workers: their counts go into one table.
        for n, worker in enumerate([one, other, one, other]):
            await says(api, worker, 7400 + n, RUBBISH, "", "nl")
        # Each worker writes its counts within a second: together they reach one table.
        for _ in range(int(WAIT * 10)):
            if await total_counts(target) >= 5:  # 7301 and 7400-7403
                break
            await asyncio.sleep(0.1)
        counted = await total_counts(target)
        assert counted >= 5
        assert answered(api, [7301]) == Counter({7301: 1})  # and 7301 only once, long after

        # One worker killed -9 while it answers an update it confirmed (its 200): the other
        # goes on answering, and takes that update over once the first stops beating.
        api.hold("sendMessage")
        orphan = text_update(api, 7600, RUBBISH) | {"update_id": api.new_update_id()}
        await post(one, orphan)
        await api.wait_for(lambda: bool(api.held("sendMessage")), timeout=WAIT)
        await one.kill9()
        await api.wait_for(lambda: not api.held("sendMessage"), timeout=WAIT)  # seen as lost
        api.release("sendMessage")
        assert answered(api, [7600]) == Counter()
        await says(api, other, 7500, RUBBISH, "", "nl")
        await api.wait_for(lambda: bool(answered(api, [7600])), timeout=WAIT)
        assert answered(api, [7600]) == Counter({7600: 1})
        assert "1 updates of a worker that stopped: handling them here" in other.log
        await other.stop()  # a graceful stop writes its last counts
        assert await total_counts(target) == counted + 2  # 7500 and the one taken over
        assert RUBBISH not in one.log + other.log and "Wijkhuis" not in one.log + other.log
    finally:
        for worker in (one, other):
            if worker.process.returncode is None:
                await worker.kill9()
