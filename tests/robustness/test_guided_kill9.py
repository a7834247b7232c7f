"""kill -9 of a real `meldwijzer run` (long polling against the fake Bot API) half-way a staff
member's guided /spreekuur_nieuw: after the restart their next message carries the conversation
on, in their language, to a published spreekuur, and the draft is gone once it has ended."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from fakebotapi import FakeBotAPI, text_update

ADMIN = 777
AGENT = 55
START_TIMEOUT = 90.0  # seconds for a bot process to start and answer, on a busy machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def meldwijzer_run(api: FakeBotAPI, db: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run` polling API on DB; killed at the end if still running."""
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "MELDWIJZER_DB": str(db),
        "MELDWIJZER_ADMINS": str(ADMIN),
        "HOST": "127.0.0.1",
        "PORT": str(_free_port()),
    }
    env.pop("WEBHOOK_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=db.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def says(api: FakeBotAPI, user: int, text: str, expect: str, lang: str = "en") -> str:
    """USER sends TEXT; wait for the bot's answer containing EXPECT and return it."""
    start = len(api.calls)
    api.push_update(text_update(api, user, text, language_code=lang))
    await api.wait_for(
        lambda: any(expect in t for t in api.texts_to(user, start)), timeout=START_TIMEOUT
    )
    return next(t for t in api.texts_to(user, start) if expect in t)


async def presses(api: FakeBotAPI, user: int, label: str, expect: str) -> str:
    """USER presses the button LABEL under the bot's last message to them."""
    start = len(api.calls)
    api.push_update({"callback_query": api.button_press(user, label)})
    await api.wait_for(
        lambda: any(expect in t for t in api.texts_to(user, start)), timeout=START_TIMEOUT
    )
    return next(t for t in api.texts_to(user, start) if expect in t)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


async def test_kill_9_half_way_a_guided_conversation(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    api, db = fake_api, tmp_path / "run.sqlite3"
    async with meldwijzer_run(api, db) as first:
        await says(api, ADMIN, f"/staff_toevoegen {AGENT} noord-oost", "publiceert nu", lang="nl")
        await says(api, AGENT, "/spreekuur_nieuw", "New drop-in hour in Noord-Oost. When?")
        await says(api, AGENT, "tomorrow", "What time?")
        os.kill(first.pid, signal.SIGKILL)  # not a graceful stop: nothing runs after this
        assert await first.wait() == -signal.SIGKILL
    [(step,)] = rows(db, "SELECT step FROM guided_conversations")
    assert step == "times"

    async with meldwijzer_run(api, db) as second:
        start = len(api.calls)
        await says(api, AGENT, "14:00-15:30", "Where?")  # the conversation goes on
        await says(api, AGENT, "Wijkhuis Limmel", "A short note")
        preview = await says(api, AGENT, "-", "This is what residents will see")
        assert "14:00–15:30, Wijkhuis Limmel" in preview
        assert rows(db, "SELECT count(*) FROM spreekuren") == [(0,)]  # nothing before "Publish"
        await presses(api, AGENT, "Publish", "✅ Published: #1 Noord-Oost")
        assert not [t for t in api.texts_to(AGENT, start) if "Sorry" in t]
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), START_TIMEOUT) == 0
    assert rows(db, "SELECT place, start_time, end_time FROM spreekuren") == [
        ("Wijkhuis Limmel", "14:00", "15:30")
    ]
    assert rows(db, "SELECT count(*) FROM guided_conversations") == [(0,)]  # the draft is gone
