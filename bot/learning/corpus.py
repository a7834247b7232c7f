"""The routing corpus: authored, labelled messages in corpus/*.yaml, read with file and line.

Their shape and checks are typed models in bot/labelled.py (shared with evaluation sets).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot import labelled
from bot.meldkaart import Meldkaart
from bot.yamlfile import DataError, Problem


@dataclass(frozen=True)
class Example:
    """One labelled message of the corpus."""

    text: str
    lang: str
    situation: str  # a meldkaart situation id, or labelled.NOT_A_REPORT
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
        for message, line in labelled.read(labelled.CorpusFile, path, kaart, problems):
            example = Example(
                message.text,
                message.lang,
                message.situation,
                message.expect,
                message.emergency,
                str(path),
                line,
            )
            key = example.text.strip().lower()
            if key in seen:
                first = f"{seen[key][0]}:{seen[key][1]}"
                problems.append(Problem(example.file, line, f"same text as {first}"))
                continue
            seen[key] = (example.file, line)
            examples.append(example)
    if problems:
        raise DataError(problems)
    return examples


def fingerprint(files: Iterable[Path]) -> str:
    """A SHA-256 over the corpus files' names and bytes: what a model was trained on."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
