"""bot/schema.py: pydantic's errors become file:line problems with a readable path."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import pytest

from bot import schema
from bot.meldkaart import Text, load
from bot.paths import ROUTING_RULES_DIR
from bot.schema import Ident, Required, Schema, Words, known
from bot.yamlfile import DataError, Problem, read_yaml


class _Entry(Schema):
    id: Ident
    title: Text
    words: Words
    channel: Annotated[str, known("channels", "unknown channel id '{value}'")] | None = None


class _File(Schema):
    name: Required
    entries: list[_Entry]


DOC = """\
name: demo
entries:
  - id: first
    title: {nl: "Eerste", en: "First"}
    words:
      nl: [een]
      en: [one]
  - id: second
    title:
      nl: "Tweede"
    words:
      nl: [twee, 2, ""]
      en: [two]
      xx: [zwei]
    channel: nergens
  - just text
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "demo.yaml"
    path.write_text(text, "utf-8")
    problems: list[Problem] = []
    result = schema.check(
        _File, "demo.yaml", read_yaml(path), problems, {"channels": {"a"}}, {"entries": "entry"}
    )
    assert result is None
    return [str(p) for p in problems]


def test_every_error_names_its_line_and_entry(tmp_path: Path) -> None:
    assert _problems(tmp_path, DOC) == [
        "demo.yaml:10: entry 'second'.title: missing translation 'en'",
        "demo.yaml:12: entry 'second'.words.nl: item 3 is empty",
        "demo.yaml:14: entry 'second'.words: unknown language 'xx'",
        "demo.yaml:15: entry 'second': unknown channel id 'nergens'",
        "demo.yaml:16: entries[2]: expected a mapping (key: value lines)",
    ]


def test_a_missing_key_is_said_at_its_mapping(tmp_path: Path) -> None:
    text = DOC.replace("name: demo\n", "").replace("  - id: first\n", "  - idd: first\n")
    problems = _problems(tmp_path, text)
    assert problems[0] == "demo.yaml:1: 'name' is missing"
    assert problems[1] == "demo.yaml:2: entries[0]: 'id' is missing"


def test_a_file_that_is_no_mapping(tmp_path: Path) -> None:
    assert _problems(tmp_path, "- a\n- b\n") == [
        "demo.yaml:1: the file: expected a mapping (key: value lines)"
    ]


def test_duplicates_name_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(DOC.replace("id: second", "id: first"), "utf-8")
    problems = schema.duplicates("demo.yaml", read_yaml(path), "entries", "entry")
    assert [str(p) for p in problems] == [
        "demo.yaml:8: duplicate entry id 'first' (first at line 3)"
    ]


def test_problems_of_all_three_rule_files_come_in_one_run(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROUTING_RULES_DIR, rules)
    for name, old, new in (
        ("channels.yaml", "    anonymous: false\n", "    anonymous: nee\n"),
        ("meldkaart.yaml", "    channel: melddesk\n", "    channel: meldbureau\n"),
        ("danger.yaml", "      weight: 2\n", "      weight: two\n"),
    ):
        text = (rules / name).read_text("utf-8")
        (rules / name).write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(DataError) as caught:
        load(rules)
    files = {p.file for p in caught.value.problems}
    assert files == {"channels.yaml", "meldkaart.yaml", "danger.yaml"}
    assert "signal group 'harm-medical': 'weight' must be a whole number" in str(caught.value)


def test_an_unclosed_bracket_or_quote_says_where_it_was_opened(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    for text, said in (
        (
            "a: ok\nb: [1, 2\nc: 3\n",
            "did not find expected ',' or ']' (while parsing a flow sequence at line 2)",
        ),
        (
            'a: "open\nb: 2\n',
            "found unexpected end of stream (while scanning a quoted scalar at line 1)",
        ),
    ):
        path.write_text(text, "utf-8")
        with pytest.raises(DataError) as caught:
            read_yaml(path)
        assert str(caught.value) == f"demo.yaml:3: not valid YAML: {said}"
