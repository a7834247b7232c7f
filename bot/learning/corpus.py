"""The routing corpus: authored, labelled messages in corpus/*.yaml, read with file and line."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.meldkaart import Meldkaart
from bot.yamlfile import DataError, LineDict, Problem, line_of_item, read_yaml

NOT_A_REPORT = "none"  # the label of chit-chat that matches no info entry either
LANGUAGES = frozenset({"nl", "en", "de", "fr", "li"})
_KEYS = ("text", "lang", "situation", "expect", "emergency")


@dataclass(frozen=True)
class Example:
    """One labelled message of the corpus."""

    text: str
    lang: str
    situation: str  # a meldkaart situation id, or NOT_A_REPORT
    expect: tuple[str, ...]
    emergency: bool
    file: str
    line: int


def corpus_files(folder: Path) -> list[Path]:
    """The corpus files in FOLDER, in a stable order."""
    return sorted(folder.glob("*.yaml"))


def load(files: Iterable[Path], kaart: Meldkaart) -> list[Example]:
    """Read and check every file; all problems are raised together, each with file and line."""
    examples: list[Example] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for path in files:
        try:
            doc = read_yaml(path, str(path))
        except DataError as error:
            problems.extend(error.problems)
            continue
        if not isinstance(doc, list):
            problems.append(Problem(str(path), 1, "expected a list of labelled messages"))
            continue
        for index, item in enumerate(doc):
            line = item.line if isinstance(item, LineDict) else line_of_item(doc, index, 0)
            example = _example(str(path), line, item, kaart, problems)
            if example is None:
                continue
            key = example.text.strip().lower()
            if key in seen:
                first = seen[key]
                problems.append(
                    Problem(example.file, example.line, f"same text as {first[0]}:{first[1]}")
                )
                continue
            seen[key] = (example.file, example.line)
            examples.append(example)
    if problems:
        raise DataError(problems)
    return examples


def _example(
    file: str, line: int, item: object, kaart: Meldkaart, problems: list[Problem]
) -> Example | None:
    if not isinstance(item, LineDict):
        problems.append(Problem(file, line, "each item must be a mapping with text, lang, ..."))
        return None
    before = len(problems)

    def fail(key: str, message: str) -> None:
        problems.append(Problem(file, item.line_of(key), message))

    for key in sorted(set(item) - set(_KEYS)):
        fail(key, f"unknown key {key!r} (expected {', '.join(_KEYS)})")
    for key in _KEYS:
        if key not in item:
            fail(key, f"missing {key!r}")
    text, lang, situation = item.get("text"), item.get("lang"), item.get("situation")
    expect, emergency = item.get("expect"), item.get("emergency")
    if "text" in item and (not isinstance(text, str) or not text.strip()):
        fail("text", "'text' must be a non-empty string")
    if "lang" in item and lang not in LANGUAGES:
        fail("lang", f"'lang' must be one of {', '.join(sorted(LANGUAGES))}, not {lang!r}")
    if "emergency" in item and not isinstance(emergency, bool):
        fail("emergency", "'emergency' must be true or false")
    if "situation" in item and situation != NOT_A_REPORT and situation not in kaart.situations:
        fail("situation", f"unknown situation {situation!r}")
    if "expect" in item:
        if not isinstance(expect, list) or not all(isinstance(c, str | int) for c in expect):
            fail("expect", "'expect' must be a list of channel ids")
        else:
            for channel in map(str, expect):
                if channel not in kaart.channels:
                    fail("expect", f"unknown channel {channel!r}")
    if len(problems) > before:
        return None
    assert isinstance(text, str) and isinstance(lang, str) and isinstance(situation, str)
    assert isinstance(expect, list) and isinstance(emergency, bool)
    channels = tuple(str(c) for c in expect)
    entry = kaart.situations.get(situation)
    own = entry.channel if entry else None
    # The situation's own channel or one of its alternatives (a wish to stay anonymous sends
    # a crime to Meld Misdaad Anoniem alone: policy rule 3).
    fitting = {own, *entry.alternatives} if entry else set()
    if emergency != (own == "112"):
        fail("emergency", f"'emergency: {str(emergency).lower()}' does not fit {situation!r}")
    elif own is None and channels:
        fail("expect", f"{situation!r} is not a report: 'expect' must be []")
    elif own is not None and not fitting & set(channels):
        fail("expect", f"'expect' must include {situation!r}'s channel {own!r} or an alternative")
    if len(problems) > before:
        return None
    return Example(text, lang, situation, channels, emergency, file, item.line)


def fingerprint(files: Iterable[Path]) -> str:
    """A SHA-256 over the corpus files' names and bytes: what a model was trained on."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
