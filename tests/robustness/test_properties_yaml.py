"""The data loaders on broken files: a complete, usable result or a DataError, never a crash.

`read_yaml` gets arbitrary bytes and text; `meldkaart.load` and `knowledge.load` get tmp copies
of routing_rules/ and knowledge/ with one file mutated (lines deleted, doubled, truncated, a
value replaced by hostile YAML, markup, SQL or right-to-left text) or replaced outright. Every
problem names one of the folder's files and a line. A card or knowledge set the loader accepts
must work: the router and the area lookup built on it answer without raising.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.areas import AreaDirectory, AreaNotFound
from bot.knowledge import load as load_knowledge
from bot.meldkaart import load as load_meldkaart
from bot.paths import KNOWLEDGE_DIR, ROUTING_RULES_DIR
from bot.routing import Router
from bot.yamlfile import DataError, read_yaml

from .conftest import FRAGMENTS, PROPERTY, SLOW_PROPERTY, hostile_text

RULE_FILES = ("channels.yaml", "meldkaart.yaml", "danger.yaml")
KNOWLEDGE_FILES = ("areas.yaml", "buurten.csv", "postcodes.csv")

YAML_PIECES = (
    "a: 1\n",
    "- x\n",
    "  ",
    "\t",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "? [a]\n: b\n",
    "{[1]: 2}\n",
    "a: &x [1, 2]\n",
    "b: *x\n",
    "c: *nope\n",
    "<<: *x\n",
    "<<: [1]\n",
    "a: !!binary ÿ\n",
    "a: !!python/object:os.system ls\n",
    "a: 2026-13-45\n",
    "a: 1" + "0" * 5000 + "\n",
    "[" * 3000,
    "{a: " * 3000,
    "'",
    '"',
    "\\",
    ": :",
    "a: |\n  x\n",
    "\x00",
    "\ufeff",
    "a: b\na: c\n",
)
YAML_VALUES = (
    "null",
    "~",
    "0",
    "-1",
    "1e309",
    ".nan",
    "true",
    "[]",
    "{}",
    "[a, [b, [c]]]",
    "{a: {b: 1}}",
    "''",
    "'<b>vet</b>'",
    '"\'; DROP TABLE spreekuren; --"',
    "&anker x",
    "*anker",
    "!!binary aGk=",
    "2026-13-45",
    "'\\x00'",
    "|",
    ">",
    "'(unclosed'",
    "'\\b(a+)+$'",
    "http://example.org",
)


def _scalar() -> st.SearchStrategy[str]:
    """A YAML value: a tricky literal, or any hostile text as a JSON (= YAML) string."""
    return st.one_of(st.sampled_from(YAML_VALUES), hostile_text(4).map(json.dumps))


@st.composite
def mutated(draw: st.DrawFn, text: str, is_csv: bool = False) -> str:
    """TEXT with one to three edits a person or a bad merge could make."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "double", "value", "insert", "truncate", "indent"]))
        if edit == "delete":
            del lines[i]
        elif edit == "double":
            lines.insert(i, lines[i])
        elif edit == "value" and is_csv:
            fields = next(csv.reader([lines[i]]), [])
            if fields:
                fields[draw(st.integers(0, len(fields) - 1))] = draw(hostile_text(4))
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerow(fields)
                lines[i] = out.getvalue()
        elif edit == "value" and ":" in lines[i]:
            key = lines[i][: lines[i].index(":") + 1]
            lines[i] = f"{key} {draw(_scalar())}\n"
        elif edit == "insert":
            lines.insert(i, draw(st.one_of(st.sampled_from(YAML_PIECES), hostile_text(4))) + "\n")
        elif edit == "truncate":
            lines = [*lines[:i], lines[i][: draw(st.integers(0, len(lines[i])))]]
        elif edit == "indent":
            lines[i] = draw(st.sampled_from(["  ", "\t", " "])) + lines[i]
    return "".join(lines)


def _copy(source: Path, target: Path, name: str, text: str | bytes) -> Path:
    """A copy of SOURCE in TARGET with NAME replaced by TEXT."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    path = target / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return target


def assert_problems_located(exc: DataError, files: tuple[str, ...]) -> None:
    """Every problem names a file of the folder and a line; the message is plain text."""
    assert exc.problems
    for problem in exc.problems:
        assert problem.file in files
        assert isinstance(problem.line, int) and problem.line >= 0
        assert problem.message and str(problem)


# -- read_yaml --------------------------------------------------------------------------------


@PROPERTY
@given(
    st.one_of(
        st.binary(max_size=200),
        st.lists(st.sampled_from(YAML_PIECES), max_size=6).map(lambda p: "".join(p).encode()),
        hostile_text().map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_read_yaml_takes_any_bytes(tmp_path_factory: object, data: bytes) -> None:
    path = tmp_path_factory.mktemp("yaml") / "file.yaml"  # type: ignore[attr-defined]
    path.write_bytes(data)
    try:
        read_yaml(path)
    except DataError as exc:
        assert_problems_located(exc, ("file.yaml",))


# PyYAML itself writes NEL and the Unicode line and paragraph separators in a way it reads back
# as a space (a quirk of the library, and no data file of ours holds them): left out here.
_NO_YAML_BREAKS = str.maketrans("", "", "\x85\u2028\u2029")
_YAML_TEXT = hostile_text(3).map(lambda s: s.translate(_NO_YAML_BREAKS))
_PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _YAML_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_YAML_TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


@PROPERTY
@given(_PLAIN)
def test_read_yaml_reads_back_what_yaml_writes(tmp_path_factory: object, value: object) -> None:
    """Any text, markup or RTL as keys and values: written by PyYAML, read back the same."""
    path = tmp_path_factory.mktemp("yaml") / "file.yaml"  # type: ignore[attr-defined]
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    assert read_yaml(path) == value


# -- the meldkaart ----------------------------------------------------------------------------


def _original(folder: Path, name: str) -> str:
    return (folder / name).read_text("utf-8")


@st.composite
def broken_rules(draw: st.DrawFn) -> tuple[str, str | bytes]:
    name = draw(st.sampled_from(RULE_FILES))
    text = draw(
        st.one_of(
            mutated(_original(ROUTING_RULES_DIR, name)),
            mutated(_original(ROUTING_RULES_DIR, name)),
            mutated(_original(ROUTING_RULES_DIR, name)),
            st.binary(max_size=100),
            hostile_text(),
        )
    )
    return name, text


@SLOW_PROPERTY
@given(broken_rules())
def test_a_broken_meldkaart_is_refused_or_works(
    tmp_path_factory: object, broken: tuple[str, str | bytes]
) -> None:
    name, text = broken
    folder = _copy(ROUTING_RULES_DIR, tmp_path_factory.mktemp("rules") / "r", name, text)  # type: ignore[attr-defined]
    try:
        kaart = load_meldkaart(folder)
    except DataError as exc:
        assert_problems_located(exc, RULE_FILES)
        return
    router = Router(kaart)
    for message in ("er is brand", "vuilniszakken naast de container", *FRAGMENTS[:3]):
        result = router.route(message)
        assert result.channel is None or result.channel in kaart.channels


# -- the knowledge ----------------------------------------------------------------------------


@st.composite
def broken_knowledge(draw: st.DrawFn) -> tuple[str, str | bytes]:
    name = draw(st.sampled_from(KNOWLEDGE_FILES))
    original = _original(KNOWLEDGE_DIR, name)
    text = draw(
        st.one_of(
            mutated(original, is_csv=name.endswith(".csv")),
            mutated(original, is_csv=name.endswith(".csv")),
            mutated(original, is_csv=name.endswith(".csv")),
            st.binary(max_size=100),
            hostile_text(),
        )
    )
    return name, text


@PROPERTY
@given(broken_knowledge())
def test_broken_knowledge_is_refused_or_works(
    tmp_path_factory: object, broken: tuple[str, str | bytes]
) -> None:
    name, text = broken
    folder = _copy(KNOWLEDGE_DIR, tmp_path_factory.mktemp("knowledge") / "k", name, text)  # type: ignore[attr-defined]
    try:
        knowledge = load_knowledge(folder)
    except DataError as exc:
        assert_problems_located(exc, KNOWLEDGE_FILES)
        return
    directory = AreaDirectory(knowledge)
    for query in ("6221 AB", "6224", "6201", "Wyck", "Malberg", "noord-oost", "1011 AB"):
        try:
            result = directory.lookup(query)
        except AreaNotFound:
            continue
        assert result.area is None or result.area in knowledge.areas
    directory.where_in("ik woon in Malberg, 6224 AB")
