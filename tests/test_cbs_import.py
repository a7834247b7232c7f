"""The CBS "buurt, wijk en gemeente voor postcode-huisnummer" import and the exact PC6 table."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.areas import AreaDirectory, Candidate, Status
from bot.cbs import find_buurten_file, normalise_code, read_cbs, store
from bot.cli import main
from bot.knowledge import load as load_knowledge
from bot.storage import Database

FIXTURES = Path(__file__).parent / "fixtures" / "cbs"
PC6_FILE = FIXTURES / "pc6hnr20240801_gwb.csv"
BUURTEN_FILE = FIXTURES / "buurt_2024.csv"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "meldwijzer.sqlite3"
    monkeypatch.setenv("MELDWIJZER_DB", str(path))
    return path


@pytest.fixture
def imported(db_path: Path, capsys: pytest.CaptureFixture[str]) -> AreaDirectory:
    assert main(["import-cbs", str(PC6_FILE)]) == 0
    capsys.readouterr()
    return AreaDirectory.load(db=db_path)


def test_the_fixture_is_in_the_cbs_format() -> None:
    raw = BUURTEN_FILE.read_bytes()
    assert "Céramique".encode("latin-1") in raw  # latin-1 bytes, as CBS ships it
    assert "Céramique".encode() not in raw
    assert (
        PC6_FILE.read_text("latin-1").splitlines()[0]
        == "PC6;Huisnummer;Buurt2024;Wijk2024;Gemeente2024"
    )


@pytest.mark.parametrize(
    ("raw", "digits", "code"),
    [
        ("0935", 4, "0935"),
        ("935", 4, "0935"),
        ("GM0935", 4, "0935"),
        (' "GM0935" ', 4, "0935"),
        ("BU09350400", 8, "09350400"),
        ("09350400", 8, "09350400"),
        ("9350400", 8, "09350400"),
        ("", 4, ""),
        ("onbekend", 4, ""),
    ],
)
def test_cbs_codes_in_every_style(raw: str, digits: int, code: str) -> None:
    assert normalise_code(raw, digits) == code


def test_read_keeps_maastricht_and_reports_unknown_buurten() -> None:
    result = read_cbs(PC6_FILE, BUURTEN_FILE, load_knowledge())
    assert result.year == "2024"
    assert result.addresses == 17  # the Amsterdam and Heerlen rows are left out
    assert all(pc6.startswith("62") for pc6 in result.pc6)
    assert result.buurten["09350007"] == ("Céramique", "centrum-zuid-west")
    assert result.buurten["09350406"] == ("Heugemerveld", "zuid-oost")
    assert [(u.code, u.name, u.addresses) for u in result.unknown] == [
        ("09350999", "Sphinx-Noord", 1)
    ]
    assert result.skipped_pc6 == 1  # 6211PL holds the unknown buurt: left to the PC4 table
    assert "6211PL" not in result.table().pc6


def test_the_buurt_table_is_found_beside_the_pc6_file(tmp_path: Path) -> None:
    assert find_buurten_file(PC6_FILE) == BUURTEN_FILE
    lonely = tmp_path / "pc6hnr20240801_gwb.csv"
    shutil.copy(PC6_FILE, lonely)
    assert find_buurten_file(lonely) is None


def test_cli_import_then_exact_answers(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-cbs", str(PC6_FILE)]) == 0
    captured = capsys.readouterr()
    assert "17 addresses" in captured.out and "2024" in captured.out
    assert "Sphinx-Noord" in captured.err and "09350999" in captured.err  # reported, not guessed

    assert main(["area", "--json", "6221 KV"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["area"], out["buurt"], out["candidates"]) == ("centrum-zuid-west", "Céramique", [])

    assert main(["area", "--json", "6224jk"]) == 0  # the Scharn fringe of 6224, exactly
    out = json.loads(capsys.readouterr().out)
    assert (out["area"], out["buurt"]) == ("zuid-oost", "Scharn")


def test_exact_pc6_wins_over_the_pc4_guess(imported: AreaDirectory) -> None:
    assert imported.table is not None and imported.table.year == "2024"
    ceramique = imported.lookup("6221kv")
    assert (ceramique.status, ceramique.area, ceramique.buurt) == (
        Status.FOUND,
        "centrum-zuid-west",
        "Céramique",
    )
    assert ceramique.exact and ceramique.postcode == "6221KV"
    boschpoort = imported.lookup("6219 AA")
    assert (boschpoort.area, boschpoort.buurt, boschpoort.exact) == (
        "noord-west",
        "Boschpoort",
        True,
    )


def test_a_split_pc6_uses_the_house_number(imported: AreaDirectory) -> None:
    both = imported.lookup("6221 GE")
    assert both.status is Status.CHOOSE and both.exact
    assert [c.buurt for c in both.candidates] == ["Heugemerveld", "Wyck"]  # most addresses first
    odd = imported.lookup("6221 GE 3")
    assert (odd.area, odd.buurt) == ("zuid-oost", "Heugemerveld")
    even = imported.lookup("6221GE 4")
    assert (even.area, even.buurt) == ("centrum-zuid-west", "Wyck")
    unknown_number = imported.lookup("6221 GE 99")
    assert unknown_number.status is Status.CHOOSE


def test_pc4_and_unknown_pc6_after_an_import(imported: AreaDirectory) -> None:
    pc4 = imported.lookup("6221")  # the buurten CBS has for 6221, most addresses first
    assert {c.buurt for c in pc4.candidates} == {
        "Céramique",
        "Heugemerveld",
        "Sint Maartenspoort",
        "Wyck",
    }
    assert pc4.candidates[-1] == Candidate("centrum-zuid-west", "Sint Maartenspoort")  # 1 address
    assert not pc4.exact and pc4.status is Status.CHOOSE
    fallback = imported.lookup("6216 AB")  # not in the table: the best-effort PC4 answer
    assert (fallback.area, fallback.buurt, fallback.exact) == (
        "noord-west",
        "Brusselsepoort",
        False,
    )
    skipped = imported.lookup("6211 PL")  # its buurt was unknown: never guessed, PC4 candidates
    assert not skipped.exact and skipped.status is Status.CHOOSE
    # 6211 has a PC6 with an unknown buurt, so the CBS rows of 6211 are incomplete: best effort.
    assert {c.buurt for c in imported.lookup("6211").candidates} == set(
        imported.knowledge.postcodes["6211"].buurten
    )


def test_reimport_replaces_the_table(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-cbs", str(PC6_FILE), "--buurten", str(BUURTEN_FILE)]) == 0
    assert main(["import-cbs", str(PC6_FILE)]) == 0
    capsys.readouterr()
    table = AreaDirectory.load(db=db_path).table
    assert table is not None
    assert sum(e.addresses for entries in table.pc6.values() for e in entries) == 15  # no 6211PL


def test_prefixed_codes_and_a_utf8_name_table(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pc6 = tmp_path / "pc6hnr20250801_gwb.csv"
    pc6.write_bytes(
        b"PC6;Huisnummer;Buurt2025;Wijk2025;Gemeente2025\n"
        b"6221KV;1;BU09350007;WK093500;GM0935\n"
        b"6226AB;2;BU9350405;WK93504;GM935\n"
        b"1011AB;1;BU03630000;WK036300;GM0363\n"
    )
    names = tmp_path / "buurt_2025.csv"
    names.write_text("buurtcode2025;buurtnaam2025\n09350007;Céramique\n09350405;Scharn\n", "utf-8")
    assert main(["import-cbs", str(pc6)]) == 0
    assert "2 addresses" in capsys.readouterr().out
    directory = AreaDirectory.load(db=db_path)
    assert directory.lookup("6221KV").buurt == "Céramique"
    assert directory.lookup("6226 AB").buurt == "Scharn" and directory.lookup("6226 AB").exact


def test_import_errors_exit_2(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-cbs", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err

    lonely = tmp_path / "pc6hnr20240801_gwb.csv"
    shutil.copy(PC6_FILE, lonely)
    assert main(["import-cbs", str(lonely)]) == 2
    assert "--buurten" in capsys.readouterr().err

    other = tmp_path / "elsewhere" / "pc6hnr20240801_gwb.csv"
    other.parent.mkdir()
    other.write_bytes(
        b"PC6;Huisnummer;Buurt2024;Wijk2024;Gemeente2024\n1011AB;1;03630000;036300;0363\n"
    )
    shutil.copy(BUURTEN_FILE, other.parent / "buurt_2024.csv")
    assert main(["import-cbs", str(other)]) == 2
    assert "0935" in capsys.readouterr().err

    wrong = tmp_path / "wrong" / "pc6.csv"
    wrong.parent.mkdir()
    wrong.write_bytes(b"postcode,nummer\n6221KV,1\n")
    assert main(["import-cbs", str(wrong), "--buurten", str(BUURTEN_FILE)]) == 2
    err = capsys.readouterr().err
    assert "pc6.csv:1:" in err  # names the file and line
    assert not db_path.exists()  # nothing written when the input is wrong


def test_a_stale_row_is_not_trusted(imported: AreaDirectory, db_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE postcode_buurten SET area = 'noord-west' WHERE pc6 = '6221KV'")
    directory = AreaDirectory.load(db=db_path)
    result = directory.lookup("6221 KV")  # buurten.csv says Céramique is Centrum / Zuid-West
    assert not result.exact and result.status is Status.CHOOSE


def test_no_database_or_no_import_means_no_table(tmp_path: Path) -> None:
    assert AreaDirectory.load(db=tmp_path / "absent.sqlite3").table is None
    assert AreaDirectory.load(db=":memory:").table is None
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    assert AreaDirectory.load(db=empty).table is None


async def test_the_import_time_is_the_one_it_is_given(tmp_path: Path) -> None:
    """The core takes its clock from the caller (the CLI passes the system clock)."""
    buurten = find_buurten_file(PC6_FILE)
    assert buurten is not None
    result = read_cbs(PC6_FILE, buurten, load_knowledge())
    db = await Database.open(tmp_path / "meldwijzer.sqlite3")
    try:
        assert await store(db, result, PC6_FILE.name, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) > 0
        row = await db.fetchone("SELECT imported_at FROM postcode_import WHERE id = 1")
    finally:
        await db.close()
    assert row is not None and row[0] == "2026-01-02T03:04:05+00:00"
