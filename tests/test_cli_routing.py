"""The CLI contract of `meldwijzer route`, `eval`, `validate` and `chat`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.paths import ROUTING_RULES_DIR
from bot.services import Services

HOLDOUT = Path(__file__).parent / "data" / "routing-holdout.yaml"


def test_route_json_prints_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "--json", "er staan weer vuilniszakken naast de container"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["channel"] == "melddesk"
    assert data["situation"] == "afval-bijplaatsing"
    assert data["emergency"] is False
    assert data["language"] == "nl"


def test_route_reads_stdin_one_object_per_line_blank_lines_included() -> None:
    lines = "er is brand in de keuken\n\nhallo\nmijn fiets is gestolen\n"
    out = subprocess.run(
        [sys.executable, "-m", "bot", "route", "--json"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    objects = [json.loads(line) for line in out]
    assert len(objects) == 4
    assert [o["channel"] for o in objects] == ["112", None, None, "politie"]
    assert objects[0]["emergency"] is True


def test_route_without_json_prints_the_resident_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["route", "--lang", "en", "someone is breaking into the car next door right now"]) == 0
    )
    first_line = capsys.readouterr().out.splitlines()[0]
    assert "112" in first_line


def test_non_emergency_answer_starts_with_its_own_channel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["route", "--lang", "nl", "losse stoeptegel in mijn straat"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Meld dit bij: Gemeente Maastricht")
    assert out.rstrip().splitlines()[-1] == "Bij direct gevaar: bel 112."


def test_eval_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(HOLDOUT)]) == 0
    out = capsys.readouterr().out
    for heading in (
        "top-1 accuracy:",
        "emergency recall:",
        "over-triage:",
        "non-reports:",
        "accuracy per channel",
        "most frequent confusions",
    ):
        assert heading in out


def test_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--json", str(HOLDOUT)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] > 50
    assert report["emergency_recall"] == 1.0
    assert "melddesk" in report["per_channel"]


def test_eval_of_a_broken_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- text: ok\n  expect: [melddesk\n", "utf-8")
    assert main(["eval", str(bad)]) == 2
    assert "bad.yaml:" in capsys.readouterr().err


def test_eval_of_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_validate_ok_and_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "meldkaart ok" in capsys.readouterr().out
    rules = tmp_path / "rules"
    shutil.copytree(ROUTING_RULES_DIR, rules)
    card = rules / "meldkaart.yaml"
    card.write_text(
        card.read_text("utf-8").replace("channel: melddesk", "channel: nergens", 1), "utf-8"
    )
    assert main(["validate", "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "meldkaart.yaml:" in err and "unknown channel id 'nergens'" in err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2


async def test_console_chat_answers_like_the_bot(services: Services) -> None:
    from bot.chat import run_console

    stdin = io.StringIO(
        "er is brand in de keuken\n\njongeren hangen rond bij de speeltuin\n2\n6229\n/stop\n"
    )
    stdout = io.StringIO()
    assert await run_console(stdin, stdout, services) == 0
    blocks = stdout.getvalue().split("\n\n")
    fire = next(b for b in blocks if "112" in b and "BEL NU" in b)
    assert fire.startswith("🚨 BEL NU 112")
    text = stdout.getvalue()
    assert "Doen de jongeren ook iets bedreigends" in text
    assert "Het gaat om: Jongeren die intimideren" in text  # option 2 picked
    assert "Zuid-Oost" in text  # 6229 -> area card


def test_validate_refuses_a_model_older_than_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from bot import paths

    corpus = tmp_path / "corpus"
    shutil.copytree(paths.CORPUS_DIR / "train", corpus / "train")
    with (corpus / "train" / "extra.yaml").open("w", encoding="utf-8") as extra:
        extra.write(
            '- text: "hondenpoep voor de deur van de bieb"\n  lang: nl\n'
            "  situation: hondenpoep\n  expect: [melddesk]\n  emergency: false\n"
        )
    monkeypatch.setattr(paths, "CORPUS_DIR", corpus)
    assert main(["validate"]) == 2
    assert "older than corpus/train" in capsys.readouterr().out
