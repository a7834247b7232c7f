"""Shared fixtures: the fake Bot API server and the real bot built against it.

    async def test_something(telegram):            # the bot, initialised against the fake API
        replies = await telegram.send("/start")    # a command, with its bot_command entity
        assert "112" in replies.text

`telegram` fails the test at teardown when the bot's error handler saw an error or the fake
server refused a call (bad HTML, a text over 4096 characters, 65-byte callback data ...); a test
that provokes errors on purpose empties `telegram.errors` / checks `fake_api.rejected()` itself.
Updates go through `Application.process_update` (as a webhook delivers them); the replies go
through python-telegram-bot's real HTTP stack to the fake server.
"""

from __future__ import annotations

import itertools
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pgserver
import pytest
from engines import ENGINES
from fakebotapi import BOT_USERNAME, Call, FakeBotAPI, chat_object, visible_text
from packaged import packaged_router
from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.services import Services, open_services
from bot.storage import Database
from bot.telegram.app import build_application

RESIDENT = 4242  # a resident's user id (and private chat id)
ADMIN = 777  # a staff admin (MELDWIJZER_ADMINS)
GROUP = -1001234  # a professionals' team group


@dataclass
class Replies:
    """What the bot did in answer to one update: the calls it made to the Bot API."""

    calls: list[Call]

    def of(self, method: str) -> list[Call]:
        """The successful calls of METHOD."""
        return [c for c in self.calls if c.method == method and c.outcome == "ok"]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The parameters of every message sent (sendMessage), in order."""
        return [c.params for c in self.of("sendMessage")]

    @property
    def texts(self) -> list[str]:
        """The visible text of every message sent."""
        return [visible_text(m["text"]) for m in self.messages]

    @property
    def text(self) -> str:
        """Every message sent, visible text, joined."""
        return "\n\n".join(self.texts)

    @property
    def first_line(self) -> str:
        """The first line of the first message."""
        return self.texts[0].split("\n", 1)[0] if self.texts else ""

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button of every message sent, in order."""
        found: list[dict[str, Any]] = []
        for message in self.messages:
            markup = message.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                found.extend(row)
        return found

    def button(self, contains: str) -> dict[str, Any]:
        """The first inline button whose label contains CONTAINS."""
        for button in self.buttons():
            if contains in button["text"]:
                return button
        raise AssertionError(
            f"no button with {contains!r} in {[b['text'] for b in self.buttons()]}"
        )

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """The answers to callback queries (pop-ups and toasts)."""
        return [c.params for c in self.of("answerCallbackQuery")]


@dataclass
class TelegramHarness:
    """The bot under test, with helpers that play Telegram's part."""

    RESIDENT = RESIDENT
    ADMIN = ADMIN
    GROUP = GROUP

    app: Application[Any, Any, Any, Any, Any, Any]
    api: FakeBotAPI
    services: Services
    errors: list[BaseException] = field(default_factory=list)
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def feed(self, update: dict[str, Any]) -> Replies:
        """Process one update (as a webhook would deliver it) and return what the bot did."""
        update = dict(update)
        update.setdefault("update_id", self.api.new_update_id())
        start = len(self.api.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return Replies(self.api.calls[start:])

    def user(self, user_id: int = RESIDENT, lang: str | None = "nl") -> dict[str, Any]:
        """A Telegram User object for USER_ID."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Bewoner"}
        if lang is not None:
            user["language_code"] = lang
        return user

    def message(
        self,
        *,
        user: int = RESIDENT,
        chat: int | None = None,
        lang: str | None = "nl",
        **fields: Any,
    ) -> dict[str, Any]:
        """A Message object from USER in CHAT (their private chat by default) with FIELDS."""
        chat_id = user if chat is None else chat
        return {
            "message_id": self.api.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_object(chat_id),
            "from": self.user(user, lang),
            **fields,
        }

    async def send(
        self,
        text: str,
        *,
        user: int = RESIDENT,
        chat: int | None = None,
        lang: str | None = "nl",
        edited: bool = False,
    ) -> Replies:
        """A text message; a leading /command gets its bot_command entity, as Telegram sends."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        mention = f"@{BOT_USERNAME}"
        if mention in text:
            fields.setdefault("entities", []).append(
                {"type": "mention", "offset": text.index(mention), "length": len(mention)}
            )
        message = self.message(user=user, chat=chat, lang=lang, **fields)
        if edited:
            message["edit_date"] = int(time.time())
            return await self.feed({"edited_message": message})
        return await self.feed({"message": message})

    async def send_message(
        self,
        *,
        user: int = RESIDENT,
        chat: int | None = None,
        lang: str | None = "nl",
        **fields: Any,
    ) -> Replies:
        """Any other message: a photo, a voice note, a location, a contact ..."""
        return await self.feed({"message": self.message(user=user, chat=chat, lang=lang, **fields)})

    async def click(
        self,
        data: str,
        *,
        on: dict[str, Any] | None = None,
        user: int = RESIDENT,
        chat: int | None = None,
        lang: str | None = "nl",
    ) -> Replies:
        """Press an inline button with DATA, under the sent message ON (or a bare one)."""
        chat_id = user if chat is None else chat
        message = dict(on) if on is not None else {"text": "…"}
        message.setdefault("message_id", self.api.next_message_id(chat_id))
        message.update(
            {
                "date": int(time.time()),
                "chat": chat_object(chat_id),
                "from": self.api.bot_user(),
            }
        )
        message.pop("chat_id", None)
        for key in ("parse_mode", "link_preview_options"):
            message.pop(key, None)
        query = {
            "id": str(next(self._query_ids)),
            "from": self.user(user, lang),
            "chat_instance": str(chat_id),
            "data": data,
            "message": message,
        }
        return await self.feed({"callback_query": query})


# -- the two storage engines -----------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Register the `both_engines` mark (tests/engines.py)."""
    config.addinivalue_line("markers", "both_engines: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `both_engines` that uses the database runs once on each engine."""
    chosen = any(
        "engine" in str(mark.args[0]) for mark in metafunc.definition.iter_markers("parametrize")
    )  # a test that names its engine itself (one only) keeps it
    marked = metafunc.definition.get_closest_marker("both_engines")
    if marked and not chosen and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """The DSN of a throw-away PostgreSQL server: MELDWIJZER_TEST_PG (.ci/run starts one), or
    one started here for the session; the test is skipped where PostgreSQL is not installed,
    and fails instead when MELDWIJZER_REQUIRE_PG is set (CI)."""
    given = os.environ.get("MELDWIJZER_TEST_PG", "").strip()
    if given:
        yield given
        return
    required = bool(os.environ.get("MELDWIJZER_REQUIRE_PG"))
    if pgserver.bin_dir() is None:
        reason = "PostgreSQL is not installed here (no initdb): its variant of the test is skipped"
        if required:
            pytest.fail(f"MELDWIJZER_REQUIRE_PG is set but {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="meldwijzer-pg-"))
    folder.chmod(0o755)  # the postgres user must reach the cluster inside it
    try:
        dsn = pgserver.start(folder / "cluster")
    except RuntimeError as exc:
        pgserver.stop(folder)
        if required:
            pytest.fail(f"no PostgreSQL server for the tests: {exc}")
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")
    try:
        yield dsn
    finally:
        pgserver.stop(folder / "cluster")
        pgserver.stop(folder)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The storage engine of the test: sqlite unless the test is marked `both_engines`."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def db_target(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str | Path]:
    """What MELDWIJZER_DB would say for a fresh, empty database on ENGINE: a file in the test's
    folder, or the test server's DSN with a schema of its own (search_path), dropped after."""
    if engine == "sqlite":
        yield tmp_path / "meldwijzer.sqlite3"
        return
    dsn = request.getfixturevalue("pg_dsn")
    schema = f"t_{secrets.token_hex(6)}"
    await pgserver.execute(dsn, f"CREATE SCHEMA {schema}")
    yield f"{dsn}{'&' if '?' in dsn else '?'}search_path={schema}"
    await pgserver.execute(dsn, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
async def db(db_target: str | Path) -> AsyncIterator[Database]:
    """A fresh database with every migration applied, closed after the test."""
    opened = await Database.open(db_target)
    yield opened
    await opened.close()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API server, listening on 127.0.0.1."""
    api = await FakeBotAPI().start()
    yield api
    await api.stop()


@pytest.fixture
def bot_settings(db_target: str | Path, fake_api: FakeBotAPI) -> Settings:
    """Settings pointing the bot at the fake server, with a fresh database and one admin."""
    if isinstance(db_target, Path):
        where: dict[str, Any] = {"db_path": db_target}
    else:
        where = {"database_url": db_target}
    return Settings(
        telegram_token=fake_api.token,
        telegram_api_url=fake_api.base_url,
        admins=frozenset({ADMIN}),
        **where,
    )


@pytest.fixture
async def services(bot_settings: Settings) -> AsyncIterator[Services]:
    """The core services on the test database."""
    opened = await open_services(bot_settings, packaged_router())
    yield opened
    await opened.close()


@pytest.fixture
async def telegram(
    fake_api: FakeBotAPI, bot_settings: Settings, services: Services
) -> AsyncIterator[TelegramHarness]:
    """The real Application, initialised against the fake server; errors fail the test."""
    app = build_application(bot_settings, services, timeout=1.0)
    harness = TelegramHarness(app, fake_api, services)

    async def collect(update: object, context: Any) -> None:
        if context.error is not None:
            harness.errors.append(context.error)

    app.add_error_handler(collect)
    async with app:
        await app.start()  # running, as in production: PTB then awaits the counting tasks
        try:
            yield harness
        finally:
            await app.stop()
    assert harness.errors == [], f"the bot's error handler saw: {harness.errors!r}"
    assert fake_api.rejected() == [], f"Telegram would refuse: {fake_api.rejected()!r}"
