"""What a resident types is never kept: not in any table, not in the database files, not in logs.

A conversation full of a name, a phone number, an e-mail address and a street address runs
through the real bot (fake Bot API); then every column of every row of every table, the raw
bytes of the SQLite files (with the WAL) and every captured log line are searched. The
resident's chat id may only be in chat_settings (language, area), and nowhere after /stop.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

NAME, OTHER_NAME = "Jan Pietersen", "Piet de Vries"
PHONE, PHONE_DIGITS, PHONE_INTL = "06-12345678", "0612345678", "+31 6 12345678"
EMAIL = "jan.pietersen@example.nl"
STREET, OTHER_STREET, PC6 = "Boschstraat 12", "Kapoenstraat 3", "6211 AX"

CONVERSATION = [
    "/start",
    f"Hoi, ik ben {NAME}. Mijn nummer is {PHONE}, mail me op {EMAIL}",
    f"Er staan weer vuilniszakken naast de container voor {STREET}, {PC6} Maastricht",
    f"/gebied {PC6}",
    f"Mijn buurman {OTHER_NAME} van {OTHER_STREET} slaat zijn vrouw, ik hoor het nu",
    "/taal en",
    f"My name is {NAME}, call me on {PHONE_INTL} or {PHONE_DIGITS}, I live at {STREET}",
    f"there is a fire at {OTHER_STREET} right now, {EMAIL}",
]
NEEDLES = [
    "Pietersen",
    NAME,
    OTHER_NAME,
    "de Vries",
    PHONE,
    PHONE_DIGITS,
    "12345678",
    "6 12345678",
    EMAIL,
    "example.nl",
    STREET,
    OTHER_STREET,
    "Kapoenstraat",
    PC6,
    PC6.replace(" ", ""),
]


async def every_value(db: Any) -> list[tuple[str, str, object]]:
    """(table, column, value) for every column of every row of every table."""
    tables = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    found = []
    for table in (row["name"] for row in tables):
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            for column in row.keys():  # noqa: SIM118 (sqlite3.Row has keys(), not iteration)
                found.append((table, column, row[column]))
    return found


def holds_id(value: object, chat_id: int) -> bool:
    """Is CHAT_ID this value, or a whole number inside it?"""
    if isinstance(value, int) and not isinstance(value, bool):
        return value == chat_id
    if isinstance(value, str | bytes):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        return re.search(rf"(?<!\d){chat_id}(?!\d)", text) is not None
    return False


def raw_files(db_path: Path) -> bytes:
    """The database file and its WAL and shared-memory files, as bytes."""
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            data += path.read_bytes()
    return data


async def test_nothing_a_resident_types_is_kept(
    telegram: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")  # our own code may not log text even in debug
    chat_id = telegram.RESIDENT
    db = telegram.services.db

    for text in CONVERSATION:
        replies = await telegram.send(text)
        assert replies.texts, f"no answer to {text!r}"
    answered = await telegram.send("er staan weer vuilniszakken naast de container", lang="en")
    await telegram.click(answered.button("👍")["callback_data"], on=answered.messages[0])

    await telegram.services.stats.flush()  # counts are written about once a second
    values = await every_value(db)
    assert any(t == "stats_counts" for t, _, _ in values), "the questions were counted"
    lowered = [(t, c, str(v).lower()) for t, c, v in values]
    for needle in NEEDLES:
        hits = [(t, c) for t, c, v in lowered if needle.lower() in v]
        assert hits == [], f"{needle!r} stored in {hits}"
    raw = raw_files(Path(db.path)).lower()
    for needle in NEEDLES:
        assert needle.lower().encode() not in raw, f"{needle!r} in the database files"

    places = {(t, c) for t, c, v in values if holds_id(v, chat_id)}
    assert places == {("chat_settings", "chat_id")}
    settings = await db.fetchone("SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,))
    assert settings is not None and set(settings.keys()) <= {"chat_id", "language", "area", "buurt"}

    await telegram.send("/stop")
    after = await every_value(db)
    assert [(t, c) for t, c, v in after if holds_id(v, chat_id)] == []
    assert [(t, c) for t, c, v in after if t == "stats_counts"], "the counts stay, anonymous"

    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    ).lower()
    for needle in NEEDLES:
        assert needle.lower() not in logged, f"{needle!r} in the logs"
    assert not holds_id(logged, chat_id), "the resident's chat id is in the logs"
    assert telegram.api.token.lower() not in logged, "the bot token is in the logs"
