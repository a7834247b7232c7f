"""knowledge/: the packaged files load, agree with the domain tables; errors name file and line."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from packaged import packaged_router

from bot.cli import main
from bot.knowledge import STAFF_ROLES, load
from bot.paths import KNOWLEDGE_DIR, LOCALES_DIR
from bot.yamlfile import DataError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "domain"
BOT = Path(__file__).resolve().parents[1] / "bot"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of knowledge/ to break."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def _problems(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load(folder)
    return [str(p) for p in caught.value.problems]


def _replace(path: Path, old: str, new: str) -> int:
    """Replace OLD (once) and return the 1-based line where it stood."""
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), "utf-8")
    return line


def test_the_packaged_knowledge_loads() -> None:
    knowledge = load()
    assert list(knowledge.areas) == ["noord-oost", "zuid-oost", "centrum-zuid-west", "noord-west"]
    assert [a.name for a in knowledge.areas.values()] == [
        "Noord-Oost",
        "Zuid-Oost",
        "Centrum / Zuid-West",
        "Noord-West",
    ]
    assert len(knowledge.buurten) == 45
    assert sum(len(a.buurten) for a in knowledge.areas.values()) == 45
    assert [p for p, row in knowledge.postcodes.items() if row.kind == "po-box"] == [
        "6201",
        "6202",
        "6203",
    ]
    assert len([row for row in knowledge.postcodes.values() if row.kind == "residential"]) == 18
    for buurt in knowledge.buurten.values():
        assert buurt.source and buurt.confidence in ("high", "medium", "low")
    for row in knowledge.postcodes.values():
        assert row.source and row.confidence
    assert {"Scharn", "Heer", "Boschpoort"} <= {
        b.name for b in knowledge.buurten.values() if b.confidence != "high"
    }


def test_validate_checks_the_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "knowledge ok: 4 areas, 45 buurten, 21 postcodes" in lines
    assert lines[-1] == "model ok: trained on corpus/train as it is"


def test_national_channels_exist_in_the_meldkaart() -> None:

    channels = packaged_router().meldkaart.channels
    knowledge = load(channel_ids=channels)
    assert {"112", "politie", "veilig-thuis"} <= set(knowledge.national_channels)
    with pytest.raises(DataError) as caught:
        load(channel_ids={"112"})
    assert "areas.yaml:" in str(caught.value) and "unknown channel id 'politie'" in str(
        caught.value
    )


@pytest.mark.skipif(
    not (SHARED / "buurten.csv").is_file(), reason="shared/domain is not beside the repo"
)
def test_buurten_agree_with_the_shared_table() -> None:
    knowledge = load()
    with (SHARED / "buurten.csv").open(encoding="utf-8") as fh:
        shared = {row["buurt"]: row for row in csv.DictReader(fh)}
    assert set(shared) == set(knowledge.buurten)
    for name, row in shared.items():
        buurt = knowledge.buurten[name]
        assert buurt.area == row["lwa_area"] and buurt.confidence == row["confidence"], name
        assert set(buurt.pc4) == set(row["pc4_likely"].split(";")), name


@pytest.mark.skipif(
    not (SHARED / "pc4.csv").is_file(), reason="shared/domain is not beside the repo"
)
def test_postcodes_agree_with_the_shared_table() -> None:
    knowledge = load()
    with (SHARED / "pc4.csv").open(encoding="utf-8") as fh:
        shared = {row["pc4"]: row for row in csv.DictReader(fh)}
    residential = {p: row for p, row in knowledge.postcodes.items() if row.kind == "residential"}
    assert set(shared) == set(residential)
    for code, row in shared.items():
        assert (residential[code].lat, residential[code].lon) == (
            float(row["lat"]),
            float(row["lon"]),
        )


def test_the_geonames_attribution_is_kept() -> None:
    readme = (KNOWLEDGE_DIR / "README.md").read_text("utf-8")
    assert "GeoNames" in readme and "CC BY 4.0" in readme
    assert "GeoNames (CC BY 4.0)" in (KNOWLEDGE_DIR / "postcodes.csv").read_text("utf-8")


# -- errors name file and line -----------------------------------------------------------------


def test_an_unknown_area_in_buurten_csv(folder: Path) -> None:
    line = _replace(folder / "buurten.csv", "Malberg,noord-west", "Malberg,west")
    problems = _problems(folder)
    assert any(
        p.startswith(f"buurten.csv:{line}: buurt 'Malberg': unknown area 'west'") for p in problems
    )


def test_a_bad_confidence_and_pc4(folder: Path) -> None:
    line = _replace(
        folder / "buurten.csv", "Amby,noord-oost,medium,6225", "Amby,noord-oost,sure,62x5"
    )
    problems = _problems(folder)
    assert (
        f"buurten.csv:{line}: buurt 'Amby': confidence 'sure' is not one of "
        "high, medium, low, unverified" in problems
    )
    assert f"buurten.csv:{line}: buurt 'Amby': '62x5' is not a four-digit postcode" in problems


def test_a_yaml_syntax_error(folder: Path) -> None:
    line = _replace(folder / "areas.yaml", '    name: "Zuid-Oost"', '    name: "Zuid-Oost')
    problems = _problems(folder)
    assert len(problems) == 1 and problems[0].startswith("areas.yaml:")
    assert int(problems[0].split(":")[1]) >= line


def test_a_staff_name_needs_a_source(folder: Path) -> None:
    line = _replace(
        folder / "areas.yaml",
        '      - {role: thor-senior, name: "", email: "", source: ""}',
        '      - {role: thor-senior, name: "A. Person", email: "not-an-address", source: ""}',
    )
    problems = _problems(folder)
    assert any(p.startswith(f"areas.yaml:{line}:") and "needs a source" in p for p in problems)
    assert any(
        p.startswith(f"areas.yaml:{line}:") and "not an e-mail address" in p for p in problems
    )


def test_a_filled_in_staff_entry_with_a_source_loads(folder: Path) -> None:
    _replace(
        folder / "areas.yaml",
        '      - {role: thor-senior, name: "", email: "", source: ""}',
        '      - {role: thor-senior, name: "A. Person", email: "a.person@example.org", '
        'source: "THOR, 2026-01"}',
    )
    area = load(folder).areas["noord-oost"]
    assert [(s.role, s.name) for s in area.named_staff] == [("thor-senior", "A. Person")]


def test_a_missing_buurt_in_areas_yaml(folder: Path) -> None:
    _replace(folder / "areas.yaml", "Lanakerveld, Boschpoort]", "Lanakerveld]")
    problems = _problems(folder)
    assert any(
        re.match(
            r"areas\.yaml:\d+: area 'noord-west': "
            r"buurt 'Boschpoort' \(buurten\.csv\) is not listed",
            p,
        )
        for p in problems
    )
    assert not any(p.split(":")[1] == "0" for p in problems)


def test_postcodes_csv_must_agree_with_the_buurten(folder: Path) -> None:
    line = _replace(folder / "postcodes.csv", "Scharn,zuid-oost,medium", "Scharn,noord-oost,medium")
    problems = _problems(folder)
    assert any(
        p.startswith(f"postcodes.csv:{line}: PC4 '6226': 'areas' should be zuid-oost")
        for p in problems
    )


def test_a_missing_column_and_a_short_row(folder: Path) -> None:
    path = folder / "postcodes.csv"
    path.write_text(path.read_text("utf-8").replace(",confidence,source", ",source", 1), "utf-8")
    assert _problems(folder) == ["postcodes.csv:1: missing column(s): confidence"]


def test_a_short_row(folder: Path) -> None:
    line = _replace(
        folder / "buurten.csv", "Heugem,zuid-oost,medium,6229,,Zuid,", "Heugem,zuid-oost,"
    )
    problems = _problems(folder)
    assert any(p.startswith(f"buurten.csv:{line}: expected 10 fields") for p in problems)


def test_an_alias_may_name_only_one_buurt(folder: Path) -> None:
    line = _replace(folder / "buurten.csv", ",Randwijck,", ",Randwijck;Heer,")
    problems = _problems(folder)
    assert any(
        p.startswith(f"buurten.csv:{line}:") and "'Heer' already names 'Heer'" in p
        for p in problems
    )


# -- both catalogs complete ---------------------------------------------------------------------


def _area_keys() -> set[str]:
    keys: set[str] = set()
    for module in ("areas.py", "areacard.py", "cli.py"):
        source = (BOT / module).read_text("utf-8")
        keys |= set(re.findall(r"[\"'](area\.[a-z_.]+)[\"']", source))
    return keys | {f"area.role.{role}" for role in STAFF_ROLES}


def _catalog(lang: str) -> dict[str, str]:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "areas.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id and not m.fuzzy}


def test_both_catalogs_are_complete() -> None:
    nl, en = _catalog("nl"), _catalog("en")
    assert set(nl) == set(en)
    used = _area_keys()
    assert {"area.card_title", "area.not_found", "area.po_box", "area.outside"} <= used
    assert used <= set(nl), used - set(nl)
    for key in nl:
        assert nl[key].strip() and en[key].strip(), key
        assert set(re.findall(r"{(\w+)}", nl[key])) == set(re.findall(r"{(\w+)}", en[key])), key
