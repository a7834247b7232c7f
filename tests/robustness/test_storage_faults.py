"""Storage faults: kill -9 in the middle of writes, a locked database, a read-only database.

- A real writer process opens the SQLite database and publishes spreekuren and counts questions
  in a stream, printing one line per write after it is committed; it is killed with SIGKILL
  mid-stream, three times over. Reopened, the database passes `PRAGMA integrity_check`, the
  migrations apply, and every confirmed write is there, audit line included.
- Another process holds SQLite's write lock: a staff member publishing through the bot (the
  fake Bot API) gets a clear, friendly message, nothing is stored, the draft is kept, and
  "Publiceren" works once the lock is gone. A lock held briefly is waited out.
- The database is read-only: the same friendly message, residents still get their answers.
  Tests run as root here, where chmod does not stop writes, so the database is opened the way
  SQLite opens a file it may not write: read-only (`mode=ro`).
- At start, `meldwijzer run` (a real process) on a database it cannot use (a folder, a missing
  folder, a file that is no database, a read-only mount, a full disk) exits 2 with one sentence.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path
from time import monotonic, sleep
from typing import Any

import aiosqlite
import pytest
from areas_support import packaged_areas
from conftest import Replies, TelegramHarness
from packaged import packaged_router
from spreekuren_support import ADMIN, AGENT, LINE, NOW

from bot import spreekuren
from bot.config import Settings
from bot.dutchdates import Schedule, TimeRange
from bot.i18n import t
from bot.services import Services, open_services
from bot.spreekuren import Draft
from bot.staff import StaffDirectory, audit_log
from bot.stats import Question, Stats
from bot.storage import Database, StorageError, migrations

TESTS_DIR = Path(__file__).resolve().parent.parent
DAY = date(2026, 12, 3)
COUNTS_PER_ROUND = 5
QUESTION = Question(
    situation="afval-bijplaatsing",
    channel="melddesk",
    emergency=False,
    language="nl",
    door="telegram",
    area="noord-oost",
    pc4="6224",
)
STORAGE_ERROR_NL = t("spreekuren.tg.storage_error", "nl")


# -- kill -9 ----------------------------------------------------------------------------------


class _Warned(logging.Handler):
    """Remembers whether the counters logged a failed write."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = True


async def write_stream(path: str, run: int) -> None:
    """The writer process: publish and count until killed; print each write once committed."""
    warned = _Warned()
    logging.getLogger("bot.stats").addHandler(warned)
    db = await Database.open(path)
    staff = StaffDirectory(db, {ADMIN}, packaged_areas())
    stats = Stats(db, Settings(db_path=Path(path)), clock=lambda: NOW)
    areas = packaged_areas().ids()
    for i in itertools.count():
        draft = Draft(
            areas[i % len(areas)],
            Schedule(DAY),
            TimeRange(time(14), time(15, 30)),
            f"Wijkhuis {run}-{i}",
            "<b>'; DROP TABLE spreekuren; --",
        )
        stored = await spreekuren.publish(db, staff, ADMIN, draft, NOW)
        print(f"spreekuur {stored.id} {stored.place}", flush=True)
        for _ in range(COUNTS_PER_ROUND):
            await stats.record(QUESTION)
        warned.seen = False
        await stats.flush()
        if not warned.seen:
            print(f"counted {COUNTS_PER_ROUND}", flush=True)


def _run_and_kill(path: Path, run: int, confirmed_before_kill: int) -> list[str]:
    """Start a writer on PATH, SIGKILL it after CONFIRMED_BEFORE_KILL lines, return all lines."""
    code = (
        "import asyncio, sys\n"
        "from robustness.test_storage_faults import write_stream\n"
        "asyncio.run(write_stream(sys.argv[1], int(sys.argv[2])))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(run)],
        cwd=TESTS_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)  # never hang the suite
    watchdog.start()
    try:
        assert process.stdout is not None
        lines = []
        while len(lines) < confirmed_before_kill:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        sleep(random.Random(run).uniform(0, 0.004))  # land somewhere else in a write each time
        os.kill(process.pid, signal.SIGKILL)  # mid-stream: the writer never stops by itself
        rest, errors = process.communicate(timeout=30)
    finally:
        watchdog.cancel()
    assert process.returncode == -signal.SIGKILL, errors
    return [*lines, *rest.splitlines()]


async def test_kill_9_loses_no_confirmed_write(tmp_path: Path) -> None:
    path = tmp_path / "meldwijzer.sqlite3"
    lines: list[str] = []
    for run, after in enumerate((40, 120, 200)):
        lines += await asyncio.to_thread(_run_and_kill, path, run, after)
    confirmed = {}
    counted = 0
    for line in lines:
        kind, _, rest = line.strip().partition(" ")
        if kind == "spreekuur":
            number, _, place = rest.partition(" ")
            confirmed[int(number)] = place
        elif kind == "counted":
            counted += int(rest)
    assert len(confirmed) >= 100

    db = await Database.open(path)  # the migrations apply on the killed file
    try:
        assert await db.schema_version() == len(migrations())
        assert await db.integrity_check() == "ok"
        assert await db.fetchall("PRAGMA foreign_key_check") == []
        rows = await db.fetchall("SELECT id, place FROM spreekuren")
        stored = {r["id"]: r["place"] for r in rows}
        assert {i: stored.get(i) for i in confirmed} == confirmed  # every confirmed one, as typed
        assert len(stored) - len(confirmed) <= 3  # at most the one in flight at each kill
        audited = await db.fetchall(
            "SELECT target FROM audit_log WHERE action = 'spreekuur.create'"
        )
        assert {int(r["target"]) for r in audited} == set(stored)  # same transaction
        row = await db.fetchone("SELECT sum(count) FROM stats_counts WHERE kind = 'question'")
        total = int(row[0] or 0) if row else 0
        assert counted <= total <= counted + 3 * COUNTS_PER_ROUND
        # ... and the database takes new writes after the crash.
        again = await spreekuren.publish(
            db,
            StaffDirectory(db, {ADMIN}, packaged_areas()),
            ADMIN,
            Draft("noord-oost", Schedule(DAY), TimeRange(time(9), time(10)), "Na de crash"),
            NOW,
        )
        assert again.id == max(stored) + 1
    finally:
        await db.close()
    print(  # shown with -s, for the README
        f"kill -9 x3: {len(confirmed)} spreekuren and {counted} counts confirmed, all there; "
        f"{len(stored) - len(confirmed)} spreekuren and {total - counted} counts committed "
        "unconfirmed (in flight at a kill); integrity_check ok"
    )


# -- a locked database ------------------------------------------------------------------------

_LOCKER = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "conn.execute('BEGIN EXCLUSIVE')\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "conn.execute('ROLLBACK')\n"
)


@contextmanager
def held_lock(path: Path) -> Iterator[Callable[[], None]]:
    """Another process holds SQLite's write lock on PATH; call the result to let go early."""
    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdin is not None and locker.stdout is not None
    assert locker.stdout.readline().strip() == "locked"

    def release() -> None:
        if not locker.stdin.closed:  # type: ignore[union-attr]
            locker.stdin.close()  # type: ignore[union-attr]
        locker.wait(timeout=10)

    try:
        yield release
    finally:
        release()


async def _staff(bot: TelegramHarness) -> TelegramHarness:
    bot.services.clock = lambda: NOW
    added = await bot.send(f"/staff_toevoegen {AGENT} noord-oost Wijkagent", user=bot.ADMIN)
    assert "✅" in added.text
    return bot


async def _count(bot: TelegramHarness, table: str) -> int:
    row = await bot.services.db.fetchone(f"SELECT count(*) FROM {table}")
    return int(row[0]) if row else 0


async def _press(bot: TelegramHarness, replies: Replies, label: str) -> Replies:
    found = replies.button(label)
    return await bot.click(found["callback_data"], on=replies.messages[-1], user=AGENT)


async def test_a_locked_database_is_said_clearly_and_the_draft_kept(
    telegram: TelegramHarness,
) -> None:
    bot = await _staff(telegram)
    await bot.send("/spreekuur_nieuw", user=AGENT)
    await bot.send("3-12-2026", user=AGENT)
    await bot.send("14:00-15:30", user=AGENT)
    await bot.send("Buurtcentrum Limmel", user=AGENT)
    preview = await bot.send("wijkagent en handhaver", user=AGENT)
    audit_before = len(await audit_log(bot.services.db))
    with held_lock(bot.services.settings.db_path):
        pressed = monotonic()
        refused = await _press(bot, preview, "Publiceren")  # waits out the 5 s busy timeout
        assert refused.texts == [STORAGE_ERROR_NL]
        print(f"locked: staff told after {monotonic() - pressed:.1f} s")
        resident = await bot.send("er staan vuilniszakken naast de container")
        assert "Meld dit bij" in resident.text  # residents are answered all the same
    assert await _count(bot, "spreekuren") == 0
    assert len(await audit_log(bot.services.db)) == audit_before
    published = await _press(bot, preview, "Publiceren")  # the draft was kept
    assert "✅ Gepubliceerd: #1" in published.text
    await bot.services.stats.flush()  # the resident's question was kept in memory, not lost
    row = await bot.services.db.fetchone(
        "SELECT sum(count) FROM stats_counts WHERE situation = 'afval-bijplaatsing'"
    )
    assert row is not None and row[0] == 1


async def test_a_short_lock_is_waited_out(telegram: TelegramHarness) -> None:
    bot = await _staff(telegram)
    with held_lock(bot.services.settings.db_path) as release:
        asyncio.get_running_loop().call_later(1.0, release)
        published = await bot.send(f"/spreekuur_nieuw {LINE}", user=AGENT)
    assert "✅ Gepubliceerd: #1" in published.text
    assert await _count(bot, "spreekuren") == 1


async def test_counts_kept_during_a_lock_are_written_soon_after_it(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """50 counts of a locked minute reach the disk without another question asking for them."""
    caplog.set_level(logging.INFO, "bot.stats")
    services.stats.flush_seconds = 0.2
    path = services.settings.db_path
    with held_lock(path):
        for _ in range(50):
            await services.stats.record(QUESTION)
        while "not written" not in caplog.text:  # the timer tried, waited out the busy timeout
            await asyncio.sleep(0.05)
    deadline = monotonic() + 30  # only a guard against hanging: no timing is asserted
    while await _on_disk(path) != 50:
        assert monotonic() < deadline, "the counts of the locked minute were never written"
        await asyncio.sleep(0.05)
    assert "written again" in caplog.text


async def _on_disk(path: Path) -> int:
    """The questions counted in the file, read through a connection of its own."""
    async with aiosqlite.connect(path) as conn:
        cursor = await conn.execute("SELECT sum(count) FROM stats_counts")
        row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


async def test_gebied_taal_and_stop_say_what_happened_while_the_database_is_locked(
    telegram: TelegramHarness,
) -> None:
    """Before, each got only "Sorry, bij mij ging iets mis"; now each says what it could do."""
    path = telegram.services.settings.db_path
    chosen = await telegram.send("/taal en")  # stored before the lock
    assert chosen.texts == [t("telegram.language_set", "en")]
    with held_lock(path):
        card = await telegram.send("/gebied 6221 AB")  # needs no write: the card all the same
        assert "Centrum" in card.text and "remember" not in card.text
        language = await telegram.send("/taal nl")  # said in the language chosen
        assert language.texts == [t("telegram.language_not_saved", "nl")]
        stop = await telegram.send("/stop")
        assert stop.texts == [t("telegram.stop_failed", "en")]  # nothing deleted, and it says so
        other = await telegram.send("/stop", user=4343)  # nothing kept: nothing to delete
        assert other.texts == [t("telegram.stopped_nothing", "nl")]
    assert await _settings_of(telegram, telegram.RESIDENT) == ("en", None)  # all as before
    assert (await telegram.send("/stop")).texts == [t("telegram.stopped", "en")]
    assert await _settings_of(telegram, telegram.RESIDENT) is None


async def _settings_of(bot: TelegramHarness, chat_id: int) -> tuple[str | None, str | None] | None:
    row = await bot.services.db.fetchone(
        "SELECT language, area FROM chat_settings WHERE chat_id = ?", (chat_id,)
    )
    return None if row is None else (row["language"], row["area"])


# -- a read-only database ---------------------------------------------------------------------


def _read_only(connect: Callable[..., Any]) -> Callable[..., Any]:
    """aiosqlite.connect as SQLite opens a file it may not write: read-only."""

    def opened(database: str | Path, **kwargs: Any) -> Any:
        return connect(f"file:{Path(database).resolve()}?mode=ro", uri=True, **kwargs)

    return opened


@pytest.fixture
def db_mode() -> str:
    """'rw' for the ordinary database; a test parametrizes 'ro' for a read-only one."""
    return "rw"


@pytest.fixture
async def services(
    bot_settings: Settings, db_mode: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """The core services; with db_mode 'ro' on a database (staff in it) opened read-only."""
    if db_mode == "ro":
        db = await Database.open(bot_settings.db_path)
        await StaffDirectory(db, {ADMIN}, packaged_areas()).add(
            ADMIN, AGENT, ["noord-oost"], NOW, name="Wijkagent"
        )
        await db.close()
        monkeypatch.setattr(aiosqlite, "connect", _read_only(aiosqlite.connect))
    opened = await open_services(bot_settings, packaged_router())
    yield opened
    await opened.close()


@pytest.mark.parametrize("db_mode", ["ro"])
async def test_a_read_only_database_is_said_clearly(telegram: TelegramHarness) -> None:
    telegram.services.clock = lambda: NOW
    refused = await telegram.send(f"/spreekuur_nieuw {LINE}", user=AGENT)
    assert refused.texts == [STORAGE_ERROR_NL]
    listing = await telegram.send("/spreekuren noord-oost", user=AGENT)  # reading still works
    assert "Noord-Oost" in listing.text
    answer = await telegram.send("er staan vuilniszakken naast de container")
    assert "Meld dit bij" in answer.text
    await telegram.services.stats.flush()  # fails quietly; the count stays in memory
    assert await _count(telegram, "spreekuren") == 0


@pytest.mark.parametrize("db_mode", ["ro"])
async def test_gebied_and_taal_on_a_read_only_database(telegram: TelegramHarness) -> None:
    card = await telegram.send("/gebied 6221 AB", lang="en")
    assert "Centrum" in card.text and "remember" not in card.text
    language = await telegram.send("/taal en")
    assert language.texts == [t("telegram.language_not_saved", "en")]
    stop = await telegram.send("/stop")  # nothing was kept, so nothing needs deleting
    assert stop.texts == [t("telegram.stopped_nothing", "nl")]


async def test_read_only_and_locked_storage_raise_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the bot: the error type every door catches, and a message that says what it is."""
    path = tmp_path / "m.sqlite3"
    db = await Database.open(path)
    await StaffDirectory(db, {ADMIN}, packaged_areas()).add(ADMIN, AGENT, ["noord-oost"], NOW)
    await db.close()
    monkeypatch.setattr(aiosqlite, "connect", _read_only(aiosqlite.connect))
    db = await Database.open(path)
    try:
        draft = spreekuren.parse_line(packaged_areas(), LINE, NOW.date())
        with pytest.raises(StorageError, match="read-only"):
            await spreekuren.publish(
                db, StaffDirectory(db, {ADMIN}, packaged_areas()), AGENT, draft, NOW
            )
    finally:
        await db.close()
    with pytest.raises(StorageError, match="cannot open"):  # read-only, and not there yet
        await Database.open(tmp_path / "new.sqlite3")


async def test_a_database_that_cannot_be_opened_leaves_no_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosqlite stops the thread of a failed connection without waiting for it; one still
    running when the event loop closes died with "Event loop is closed" (on stderr at start,
    a thread warning in the tests)."""
    monkeypatch.setattr(aiosqlite, "connect", _read_only(aiosqlite.connect))
    before = set(threading.enumerate())
    for _ in range(5):
        with pytest.raises(StorageError, match="cannot open"):
            await Database.open(tmp_path / "new.sqlite3")
        assert set(threading.enumerate()) <= before


# -- an unusable database at start ------------------------------------------------------------

# A read-only or full disk needs a file system of its own: a private mount namespace (unshare,
# no root needed where user namespaces are allowed) gets a read-only bind mount or a small
# tmpfs, gone with the process. As root, chmod would not stop SQLite, so no fallback then.
_MOUNT = {
    "read-only": 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"',
    "full": (
        'mount -t tmpfs -o size=256k tmpfs "$1" && cp "$2" "$1/" '
        '&& { head -c 1000000 /dev/zero > "$1/filler" 2>/dev/null; true; }'
    ),
}


def _namespaces_work() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _meldwijzer_run(db: Path, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """`meldwijzer run` on DB in a real process; a hang (the old fault) fails the test."""
    env = {**os.environ, "MELDWIJZER_DB": str(db), "HOST": "127.0.0.1", "PORT": "0"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "bot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # it used to hang for ever here
        check=False,
    )


def _a_database(path: Path) -> Path:
    """A real, migrated database file at PATH, as an earlier run left it."""

    async def make() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(make())
    return path


def _refused(done: subprocess.CompletedProcess[str], *phrases: str) -> None:
    """Exit 2 with one sentence on stderr that names the problem; nothing served."""
    lines = done.stderr.strip().splitlines()
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert len(lines) == 1 and lines[0].startswith("meldwijzer: cannot "), done.stderr
    for phrase in phrases:
        assert phrase in lines[0]
    assert "Traceback" not in done.stderr and "Meldwijzer on http" not in done.stderr


def test_a_folder_as_database_is_refused_at_start(tmp_path: Path) -> None:
    _refused(_meldwijzer_run(tmp_path), str(tmp_path), "is a folder")


def test_a_missing_folder_is_refused_and_not_made(tmp_path: Path) -> None:
    db = tmp_path / "volume" / "meldwijzer.sqlite3"
    _refused(_meldwijzer_run(db), "the folder", "does not exist")
    assert not db.parent.exists()  # a typo or a missing volume must not get a fresh database


def test_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("boodschappen: brood, melk\n" * 50, "utf-8")
    _refused(_meldwijzer_run(db), "not an SQLite database")
    assert db.read_text("utf-8").startswith("boodschappen")  # left as it was


@pytest.mark.parametrize(
    ("fault", "phrase"), [("read-only", "read-only"), ("full", "disk is full")]
)
async def test_a_read_only_or_full_disk_is_refused_at_start(
    tmp_path: Path, fault: str, phrase: str
) -> None:
    if not await asyncio.to_thread(_namespaces_work):
        pytest.skip("no private mount namespace here (unshare -rm)")
    template = await asyncio.to_thread(_a_database, tmp_path / "meldwijzer.sqlite3")
    volume = tmp_path / "volume"
    volume.mkdir()
    if fault == "read-only":
        template.rename(volume / template.name)
    prefix = ["unshare", "-rm", "sh", "-c", f'{_MOUNT[fault]} && shift 2 && exec "$@"', "sh"]
    done = await asyncio.to_thread(
        _meldwijzer_run, volume / template.name, [*prefix, str(volume), str(template)]
    )
    _refused(done, str(volume / template.name), phrase)
