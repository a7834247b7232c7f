"""The README's and docs/'s `meldwijzer` examples run as shown, and their relative links resolve.

Every line `$ meldwijzer ...` (or `$ .venv/bin/meldwijzer ...`) in a ```sh block is run as
`python -m bot ...` in a subprocess, from the project root, on a temporary database. The output
shown under it must be the start of the real output: a line `...` skips real lines up to the
next shown line (at the end: the rest), and a line ending in `...` matches a real line that
starts with what comes before it. Commands that are not safe or fast offline are skipped; see
SKIPPED.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from spreekuren_support import publish, with_staff

from bot.clock import TZ
from bot.storage import Database

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# Subcommands whose examples are not run, and why.
SKIPPED = {
    "run": "starts the HTTP service (and the bot) and runs until stopped",
    "chat": "interactive: the example interleaves what is typed with the answers",
    "train": "retrains the model (about a minute and a half) and rewrites models/",
    "import-cbs": "needs the CBS file, which is downloaded by a deployment and not shipped",
    "report": "writes a folder of HTML and PNG files (matplotlib); tests/test_stats_report.py",
    "retention": "rolls up the counters of a live database; tests/test_stats_cli.py covers it",
}
# A line that writes a file (`> noord-oost.ics`) is not run either.
REDIRECT = re.compile(r"(^|\s)>{1,2}\s*\S")

# The spreekuren examples are shown on 1 December 2026 with one spreekuur published.
SPREEKUREN_NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
SPREEKUUR = "noord-oost 3-12-2026 14:00-15:30 Buurtcentrum Limmel | wijkagent en handhaver"
# The stats examples: counters of the first half of 2026 (situation, theme, channel, area).
STATS_ROWS = [
    ("2026-01-15", "noord-oost", "afval-bijplaatsing", "afval", "melddesk", 0, 42),
    ("2026-02-10", "noord-oost", "jeugdoverlast", "sociale-overlast", "melddesk", 0, 3),
    ("2026-02-12", "zuid-oost", "nood-geweld", "veiligheid", "112", 1, 6),
    ("2026-03-20", "noord-oost", "geluid-horeca-terras", "sociale-overlast", "melddesk", 0, 17),
]
# The clock the CLI reads, fixed for the spreekuren examples; then the same main as `python -m bot`.
RUNNER = (
    "import sys, datetime, bot.clock\n"
    "now = datetime.datetime.fromisoformat(sys.argv.pop(1))\n"
    "bot.clock.system_clock = lambda: now\n"
    "from bot.cli import main\n"
    "raise SystemExit(main())\n"
)


@dataclass
class Example:
    """One `$ meldwijzer ...` line of a page and the output shown under it."""

    page: str
    line: int
    command: str
    shown: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """page:line, for the test's name."""
        return f"{self.page}:{self.line}"


def sh_blocks(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each ```sh block of PATH: the line number of its first line and its lines, unindented."""
    lines = path.read_text("utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```sh\s*$", lines[i])
        i += 1
        if not fence:
            continue
        indent, start, body = len(fence.group(1)), i + 1, []
        while i < len(lines) and not lines[i].strip().startswith("```"):
            body.append(lines[i][indent:])
            i += 1
        i += 1
        yield start, body


def collect() -> list[Example]:
    """Every `$ meldwijzer` example of the README and docs/."""
    found: list[Example] = []
    for path in PAGES:
        page = str(path.relative_to(ROOT))
        for start, body in sh_blocks(path):
            current: Example | None = None
            for offset, text in enumerate(body):
                if text.startswith("$ "):
                    current = None
                    command = text[2:]
                    if command.startswith(".venv/bin/"):
                        command = command[len(".venv/bin/") :]
                    if command.startswith("meldwijzer ") or command.startswith("printf "):
                        current = Example(page, start + offset, command)
                        found.append(current)
                elif current is not None:
                    current.shown.append(text)
    return [e for e in found if "meldwijzer" in e.command]


EXAMPLES = collect()


def skip_reason(example: Example) -> str | None:
    """Why EXAMPLE is not run, or None."""
    if REDIRECT.search(example.command):
        return "writes a file"
    words = shlex.split(example.command, comments=True)
    sub = words[words.index("meldwijzer") + 1] if "meldwijzer" in words else ""
    return SKIPPED.get(sub)


def argv_and_stdin(command: str) -> tuple[list[str], str | None]:
    """The arguments after `meldwijzer`, and the standard input of a `printf '...' |` pipe."""
    stdin = None
    piped = re.match(r"^printf '([^']*)' \| (meldwijzer .*)$", command)
    if piped:
        stdin = piped.group(1).encode().decode("unicode_escape")
        command = piped.group(2)
    words = shlex.split(command, comments=True)
    assert words[0] == "meldwijzer", command
    return words[1:], stdin


def matches(shown: list[str], real: list[str]) -> str | None:
    """None when SHOWN is the start of REAL (with `...` as described above), else the difference."""
    r = 0
    for s, want in enumerate(shown):
        if want.strip() == "...":
            if s == len(shown) - 1:
                return None
            following = shown[s + 1]
            while r < len(real) and not line_matches(following, real[r]):
                r += 1
            continue
        if r >= len(real):
            return f"shown line {want!r}: the real output has ended"
        if not line_matches(want, real[r]):
            return f"shown {want!r}\nreal  {real[r]!r}"
        r += 1
    return None


def line_matches(want: str, real: str) -> bool:
    """WANT equals REAL, or ends in `...` and REAL starts with what comes before it."""
    if want.rstrip().endswith("...") and want.strip() != "...":
        return real.startswith(want.rstrip()[:-3])
    return want.rstrip() == real.rstrip()


def spreekuren_db(path: Path) -> None:
    """A database with the spreekuur of the examples."""

    async def fill() -> None:
        db = await Database.open(path)
        staff = await with_staff(db)
        await publish(db, staff, SPREEKUUR, now=SPREEKUREN_NOW)
        await db.close()

    asyncio.run(fill())


def stats_db(path: Path) -> None:
    """A database with the counters of the examples."""

    async def migrate() -> None:
        await (await Database.open(path)).close()

    asyncio.run(migrate())
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO stats_counts (day, whole_month, hour_of_week, area, pc4, situation, "
            "theme, channel, emergency, language, door, kind, count) "
            "VALUES (?, 0, 40, ?, 'unknown', ?, ?, ?, ?, 'nl', 'telegram', 'question', ?)",
            STATS_ROWS,
        )
    conn.close()


def broken_rules(path: Path) -> None:
    """A copy of routing_rules/ with afval-bijplaatsing sent to an unknown channel."""
    shutil.copytree(ROOT / "routing_rules", path)
    kaart = path / "meldkaart.yaml"
    text = kaart.read_text("utf-8")
    at = text.index("  - id: afval-bijplaatsing\n")
    channel = text.index("    channel: melddesk\n", at)
    kaart.write_text(text[:channel] + "    channel: meldbureau\n" + text[channel + 22 :], "utf-8")


def run(example: Example, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run EXAMPLE as `python -m bot ...` from the project root, on a temporary database."""
    args, stdin = argv_and_stdin(example.command)
    env = {**os.environ, "MELDWIJZER_DB": str(tmp_path / "meldwijzer.sqlite3")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    prefix: list[str] = ["-m", "bot"]
    setups: dict[str, Callable[[], None]] = {
        "spreekuren": lambda: spreekuren_db(tmp_path / "meldwijzer.sqlite3"),
        "stats": lambda: stats_db(tmp_path / "meldwijzer.sqlite3"),
    }
    if args[0] in setups:
        setups[args[0]]()
    if args[0] == "spreekuren":
        prefix = ["-c", RUNNER, SPREEKUREN_NOW.isoformat()]
    if "--rules" in args:
        rules = tmp_path / "my-rules"
        broken_rules(rules)
        args[args.index("--rules") + 1] = str(rules)
    return subprocess.run(
        [sys.executable, *prefix, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_examples_were_found() -> None:
    """The collector sees the examples (a changed format would silently test nothing)."""
    commands = [e.command for e in EXAMPLES]
    assert any(c.startswith("meldwijzer route") for c in commands)
    assert any(c.startswith("meldwijzer eval tests/data/") for c in commands)
    assert sum(skip_reason(e) is None for e in EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs_as_shown(example: Example, tmp_path: Path) -> None:
    """The command runs, and its output starts as the page shows it."""
    reason = skip_reason(example)
    if reason:
        pytest.skip(reason)
    done = run(example, tmp_path)
    failed = done.returncode != 0
    # A failing example shows its message (stderr); then its exit status is 2, as documented.
    if failed:
        assert done.returncode == 2, done.stderr
        assert example.shown, f"{example.id}: exit {done.returncode}\n{done.stderr}"
    real = (done.stderr if failed else done.stdout).splitlines()
    problem = matches(example.shown, real)
    assert problem is None, f"{example.id}: {example.command}\n{problem}"


LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links() -> list[tuple[str, str]]:
    """(page, target) of every relative link in the README and docs/."""
    found = []
    for path in PAGES:
        text = re.sub(r"```.*?```", "", path.read_text("utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if not re.match(r"^[a-z]+:", target) and not target.startswith("#"):
                found.append((str(path.relative_to(ROOT)), target))
    return found


def test_relative_links_resolve() -> None:
    """Every relative link of the README and docs/ points to a file of the project."""
    links = relative_links()
    assert len(links) >= 10
    broken = [
        f"{page} -> {target}"
        for page, target in links
        if not ((ROOT / page).parent / target.split("#")[0]).exists()
    ]
    assert not broken, "\n".join(broken)


def test_readme_paths_exist() -> None:
    """Every path the README names (`bot/answers.py`, `knowledge/`, ...) exists."""
    text = (ROOT / "README.md").read_text("utf-8")
    paths = [
        p
        for p in re.findall(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`", text)
        if not p.startswith(".venv/")
    ]
    assert len(paths) >= 20
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, missing
