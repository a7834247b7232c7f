"""`meldwijzer stats`, `report` and `retention`: formats, suppression, exit 2 on bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import main
from bot.config import Settings
from bot.stats import TZ, Question, Stats
from bot.storage import Database

KAART = SimpleNamespace(situations={})  # themes are given explicitly below


def seed(path: Path, questions: list[tuple[datetime, int, Question]]) -> None:
    """Write counters the way the bot does (through Stats), with a clock set per batch."""

    async def run() -> None:
        db = await Database.open(path)
        moment = [datetime(2026, 1, 1, tzinfo=TZ)]
        stats = Stats(db, Settings(), clock=lambda: moment[0], meldkaart=KAART)  # type: ignore[arg-type]
        for when, times, question in questions:
            moment[0] = when
            for _ in range(times):
                await stats.record(question)
        await stats.feedback("afval-bijplaatsing", True, "telegram")
        await stats.flush()  # as the doors do when they stop
        await db.close()

    asyncio.run(run())


def q(
    area: str | None,
    theme: str,
    situation: str = "x",
    pc4: str | None = None,
    emergency: bool = False,
) -> Question:
    return Question(situation, "melddesk", emergency, "nl", "telegram", area, pc4, theme=theme)


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("MELDWIJZER_DB", str(path))
    monkeypatch.delenv("MELDWIJZER_STATS_MIN_CELL", raising=False)
    jan, feb = datetime(2026, 1, 14, 9, tzinfo=TZ), datetime(2026, 2, 20, 22, tzinfo=TZ)
    seed(
        path,
        [
            (jan, 12, q("noord-oost", "afval")),
            (feb, 3, q("noord-oost", "fiets")),
            (jan, 7, q("zuid-oost", "afval")),
            (feb, 8, q("zuid-oost", "fiets", emergency=True)),
            (feb, 2, q(None, "afval")),
        ],
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_one_object_per_cell(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--by",
        "area,theme",
        "--format",
        "json",
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {"area": "noord-oost", "theme": "afval", "count": "10–14"},
        {"area": "noord-oost", "theme": "fiets", "count": "<5"},
        {"area": "unknown", "theme": "afval", "count": "<5"},
        {"area": "zuid-oost", "theme": "afval", "count": "5–9"},
        {"area": "zuid-oost", "theme": "fiets", "count": "5–9"},
    ]


def test_table_hides_a_total_that_would_give_a_cell_away(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--area",
        "noord-oost",
        "--by",
        "theme",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["theme", "count"]
    assert lines[2].split() == ["afval", "10–14"] and lines[3].split() == ["fiets", "<5"]
    assert lines[-1].split() == ["total", "15–19"]  # never 15: 15 - 12 would be the 3 bikes
    code, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--area",
        "zuid-oost",
        "--by",
        "theme,emergency",
    )
    assert out.splitlines()[-1].split() == ["total", "15–19"]


def test_csv_and_other_fields(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        "--by",
        "month,weekday,hour,emergency",
        "--format",
        "csv",
    )
    assert code == 0
    assert out.splitlines() == [
        "month,weekday,hour,emergency,count",
        "2026-02,fri,22,no,5–9",
        "2026-02,fri,22,yes,5–9",
    ]
    code, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--by",
        "kind",
        "--format",
        "json",
    )
    assert json.loads(out) == [
        {"kind": "helpful", "count": "<5"},
        {"kind": "question", "count": "30–34"},
    ]
    code, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--by",
        "",
        "--format",
        "json",
    )
    assert json.loads(out) == [{"count": "30–34"}]  # the same band as the total of any --by


def test_a_table_under_k_shows_only_its_total(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 2 questions without an area: lines under a total under 5 would give them away."""
    code, out, _ = run(
        capsys, "stats", "--from", "2026-01-01", "--to", "2026-06-30", "--area", "unknown",
        "--by", "month,situation", "--format", "json",
    )  # fmt: skip
    assert (code, json.loads(out)) == (0, [])
    _, out, _ = run(
        capsys, "stats", "--from", "2026-01-01", "--to", "2026-06-30", "--area", "unknown",
        "--by", "month",
    )  # fmt: skip
    assert out.splitlines()[-1].split() == ["total", "<5"] and len(out.splitlines()) == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-1-1", "--to", "2026-02-01"], "YYYY-MM-DD"),
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from '2026-02-30'"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "after"),
        (["--from", "2026-01-01", "--to", "2026-02-01", "--by", "area,street"], "street"),
        (["--from", "2026-01-01", "--to", "2026-02-01", "--by", "area,area"], "twice"),
        (["--from", "2026-01-01", "--to", "2026-02-01", "--area", "mars"], "noord-oost"),
    ],
)
def test_bad_input_exits_2(
    db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "stats", *argv)
    assert (code, out) == (2, "")
    assert message in err and err.startswith("meldwijzer: ")


def test_a_missing_database_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MELDWIJZER_DB", str(tmp_path / "none.sqlite3"))
    code, _, err = run(capsys, "stats", "--from", "2026-01-01", "--to", "2026-02-01")
    assert code == 2 and "MELDWIJZER_DB" in err
    assert not (tmp_path / "none.sqlite3").exists()


def test_k_comes_from_the_environment(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MELDWIJZER_STATS_MIN_CELL", "10")
    _, out, _ = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--by",
        "area",
        "--format",
        "json",
    )
    assert json.loads(out) == [
        {"area": "noord-oost", "count": "10–19"},
        {"area": "unknown", "count": "<10"},
        {"area": "zuid-oost", "count": "10–19"},
    ]
    monkeypatch.setenv("MELDWIJZER_STATS_MIN_CELL", "five")
    code, _, err = run(capsys, "stats", "--from", "2026-01-01", "--to", "2026-06-30")
    assert code == 2 and "MELDWIJZER_STATS_MIN_CELL" in err


def test_report_writes_its_files(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys, "report", "--period", "2026H1", "--area", "zuid-oost", "--out", str(out_dir)
    )
    assert (code, err) == (0, "")
    assert sorted(Path(p).name for p in out.split()) == [
        "heatmap-zuid-oost.png",
        "index.html",
        "report.json",
    ]
    data = json.loads((out_dir / "report.json").read_text("utf-8"))
    assert data["areas"][0]["total"] == "15–19"
    code, out, _ = run(capsys, "report", "--period", "2026Q1", "--out", str(tmp_path / "all"))
    names = sorted(Path(p).name for p in out.split())
    assert code == 0 and "heatmap-noord-west.png" in names and "heatmap-unknown.png" in names


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--period", "2026H3"], "2026H1"),
        (["--period", "2026H1", "--area", "mars"], "--area"),
    ],
)
def test_report_refuses_bad_input(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "report", *argv, "--out", str(tmp_path / "x"))
    assert code == 2 and message in err
    assert not (tmp_path / "x").exists()


def test_report_out_must_be_a_folder(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "report", "--period", "2026H1", "--out", str(tmp_path / "file"))
    assert code == 2 and "not a folder" in err


def test_retention(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--by",
        "area",
        "--format",
        "json",
    )[1]
    code, out, _ = run(capsys, "retention", "--months", "1")
    assert code == 0 and "rolled" in out
    after = run(
        capsys,
        "stats",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--by",
        "area",
        "--format",
        "json",
    )[1]
    assert after == before
    code, _, err = run(
        capsys, "stats", "--from", "2026-01-10", "--to", "2026-12-31", "--by", "area"
    )
    assert "2026-01 is kept only as a whole month" in err
    code, _, err = run(capsys, "retention", "--months", "0")
    assert code == 2 and "at least 1 month" in err
