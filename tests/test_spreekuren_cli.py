"""`meldwijzer spreekuren [--area ID] [--json] [--ics]` on the database of MELDWIJZER_DB.

The command line reads the real clock, so the database is filled relative to it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from spreekuren_support import HANDHAVER, publish, with_staff

from bot.cli import main
from bot.clock import system_clock
from bot.storage import Database


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "meldwijzer.sqlite3"
    monkeypatch.setenv("MELDWIJZER_DB", str(path))
    now = system_clock()
    day = (now + timedelta(days=7)).date()

    async def fill() -> None:
        db = await Database.open(path)
        staff = await with_staff(db)
        await publish(
            db,
            staff,
            f"noord-oost {day:%d-%m-%Y} 14:00-15:30 Buurtcentrum Limmel | wijkagent en handhaver",
            now=now,
        )
        await publish(
            db,
            staff,
            f"zuid-oost {day:%d-%m-%Y} 10:00-11:00 Wijkhuis <Heer>",
            actor=HANDHAVER,
            now=now,
        )
        await db.close()

    asyncio.run(fill())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["spreekuren", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("database")
def test_json_for_one_area(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--area", "noord-oost", "--json")
    body = json.loads(out)
    assert code == 0 and body["area"] == "noord-oost"
    [item] = body["spreekuren"]
    assert item["place"] == "Buurtcentrum Limmel" and item["start"].endswith(("+01:00", "+02:00"))
    assert "14.00–15.30 uur" in item["text"]


@pytest.mark.usefixtures("database")
def test_json_for_every_area(capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads(run(capsys, "--json")[1])
    assert body["area"] is None
    assert [i["area"] for i in body["spreekuren"]] == ["zuid-oost", "noord-oost"]


@pytest.mark.usefixtures("database")
def test_text_lists_every_area_and_says_when_there_is_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys)
    assert code == 0
    assert "Spreekuren van THOR en politie in Noord-Oost:" in out and "Wijkhuis <Heer>" in out
    assert "Voor Noord-West staan er nu geen spreekuren gepland" in out and "14 043" in out
    english = run(capsys, "--area", "Centrum", "--lang", "en")[1]
    assert "No drop-in hours" in english and "Centrum / Zuid-West" in english


@pytest.mark.usefixtures("database")
def test_ics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--area", "noord-oost", "--ics")
    assert code == 0
    [event] = Calendar.from_ical(out).walk("VEVENT")
    assert str(event["LOCATION"]) == "Buurtcentrum Limmel"
    assert str(event["UID"]).startswith("spreekuur-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--area", "zuid"), "ken ik niet"),
        (("--json", "--ics"), "not both"),
    ],
)
@pytest.mark.usefixtures("database")
def test_bad_usage_exits_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and message in err


def test_a_missing_database_lists_nothing_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.sqlite3"
    monkeypatch.setenv("MELDWIJZER_DB", str(path))
    code, out, _ = run(capsys, "--area", "noord-oost", "--json")
    assert code == 0 and json.loads(out)["spreekuren"] == [] and not path.exists()
