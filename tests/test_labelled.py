"""A malformed evaluation set (`meldwijzer eval`) or corpus file (`meldwijzer train`) is refused
with its file, the line of the problem and what is wrong (bot/labelled.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.evaluation import load_cases
from bot.learning.corpus import load as load_corpus
from bot.meldkaart import load
from bot.yamlfile import DataError

# Three messages written for these tests, as YAML source; the second is broken by each case.
MESSAGES = [
    {
        "text": '"de lantaarnpaal bij de school is kapot"',
        "lang": "nl",
        "situation": "straatverlichting",
        "expect": "[melddesk]",
        "emergency": "false",
    },
    {
        "text": '"someone keeps parking on the pavement"',
        "lang": "en",
        "situation": "foutparkeren",
        "expect": "[melddesk]",
        "emergency": "false",
    },
    {
        "text": '"dank je wel"',
        "lang": "nl",
        "situation": "bedankt",
        "expect": "[]",
        "emergency": "false",
    },
]
# case: (key of the second message, its new value or None to leave it out,
#        the line in the eval set, the line in the corpus file, the problem)
BROKEN = {
    "wrong type": ("emergency", "nee", 8, 10, "'emergency' is true or false"),
    "not a list": ("expect", "melddesk", 7, 9, "'expect' must be a list"),
    "missing field": ("text", None, 5, 6, "'text' is missing"),
    "unknown channel id": (
        "expect",
        "[melddesk, meldbureau]",
        7,
        9,
        "expect: unknown channel id 'meldbureau'",
    ),
    "bad YAML": (
        "expect",
        "[melddesk",
        8,
        10,
        "not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line",
    ),
}


def _file(corpus: bool, key: str = "", value: str | None = "") -> str:
    """The three messages (with their situations for a corpus file), the second one's KEY
    set to VALUE (None: left out)."""
    lines = []
    for index, message in enumerate(MESSAGES):
        changed = {**message, key: value} if index == 1 and key else message
        items = [(k, v) for k, v in changed.items() if v is not None]
        items = [(k, v) for k, v in items if corpus or k != "situation"]
        lines += [f"{'-' if i == 0 else ' '} {k}: {v}" for i, (k, v) in enumerate(items)]
    return "\n".join(lines) + "\n"


def test_the_well_formed_files_load(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(_file(corpus=False), "utf-8")
    cases = load_cases(path, load())
    assert [(c.lang, c.expect, c.emergency, c.line) for c in cases] == [
        ("nl", ("melddesk",), False, 1),
        ("en", ("melddesk",), False, 5),
        ("nl", (), False, 9),
    ]
    path.write_text(_file(corpus=True), "utf-8")
    examples = load_corpus([path], load())
    assert [(e.situation, e.line) for e in examples] == [
        ("straatverlichting", 1),
        ("foutparkeren", 6),
        ("bedankt", 11),
    ]


@pytest.mark.parametrize("case", BROKEN)
def test_a_malformed_eval_set_names_file_line_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    key, value, line, _, problem = BROKEN[case]
    if case == "bad YAML":
        problem += " 7)"
    path = tmp_path / "broken-set.yaml"
    path.write_text(_file(False, key, value), "utf-8")
    assert main(["eval", "--learned", "off", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [f"  {path}:{line}: {problem}"]
    with pytest.raises(DataError) as caught:
        load_cases(path, load())
    assert [str(p) for p in caught.value.problems] == [f"{path}:{line}: {problem}"]


@pytest.mark.parametrize("case", BROKEN)
def test_a_malformed_corpus_file_names_file_line_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    key, value, _, line, problem = BROKEN[case]
    if case == "bad YAML":
        problem += " 9)"
    path = tmp_path / "corpus" / "broken-part.yaml"
    path.parent.mkdir()
    path.write_text(_file(True, key, value), "utf-8")
    out = tmp_path / "model"
    assert main(["train", "--corpus", str(path.parent), "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == [f"  {path}:{line}: {problem}"]
    assert not out.exists()


def test_an_eval_set_may_name_situations_and_they_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(_file(True, "situation", "nood-brand"), "utf-8")
    with pytest.raises(DataError) as caught:
        load_cases(path, load())
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:9: 'expect' must include 112, the channel of 'nood-brand'",
        f"{path}:10: 'emergency: false' does not fit 'nood-brand', which goes to 112",
    ]


def test_without_a_meldkaart_only_the_shape_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(_file(False, "expect", "[elsewhere]"), "utf-8")
    assert [c.expect for c in load_cases(path)] == [("melddesk",), ("elsewhere",), ()]


def test_an_eval_set_needs_only_the_text_a_corpus_file_every_key(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text('- text: "de container is vol"\n', "utf-8")
    assert [(c.lang, c.expect, c.emergency) for c in load_cases(path, load())] == [("", (), False)]
    with pytest.raises(DataError) as caught:
        load_corpus([path], load())
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1: '{key}' is missing" for key in ("lang", "situation", "expect", "emergency")
    ]


def test_a_situation_in_an_eval_set_is_checked_against_the_defaults_too(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text('- text: "het brandt"\n  situation: nood-brand\n', "utf-8")
    with pytest.raises(DataError) as caught:
        load_cases(path, load())
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1: 'expect' must include 112, the channel of 'nood-brand'",
        f"{path}:1: 'emergency: false' does not fit 'nood-brand', which goes to 112",
    ]
