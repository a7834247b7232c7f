"""YAML files read with line numbers, so every data error can name its file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DataError(ValueError):
    """A data file cannot be loaded; carries every problem found, each with file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        # The same problem found twice (one file read for several keys) is said once.
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class LineDict(dict):
    """A mapping from YAML that remembers where it and each of its keys stood."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of KEY, or of the mapping itself when KEY is absent."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence from YAML that remembers the line of each item."""

    item_lines: list[int]


# libyaml's parser when present (10x faster); our constructors run on top of either.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that builds LineDicts and LineLists and refuses duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:  # "? [a]" or "{[1]: 2}": valid YAML, but no key of ours
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be text or a number", key_node.start_mark
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_object(item, deep=True) for item in node.value)
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path, shown_name: str | None = None) -> Any:
    """Parse PATH; a syntax error becomes a DataError naming file and line."""
    name = shown_name or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError([Problem(name, 0, f"cannot read the file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise DataError([Problem(name, 0, "the file is not UTF-8 text")]) from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or str(exc)
        start = exc.context_mark.line + 1 if exc.context_mark else line
        if exc.context and start != line:  # an unclosed '[' or quote: where it was opened
            problem += f" ({exc.context} at line {start})"
        raise DataError([Problem(name, line, f"not valid YAML: {problem}")]) from exc
    except yaml.YAMLError as exc:
        raise DataError([Problem(name, 0, f"not valid YAML: {exc}")]) from exc
    except RecursionError as exc:  # '[' nested thousands deep
        raise DataError([Problem(name, 0, "not valid YAML: nested too deeply")]) from exc
    except ValueError as exc:  # a date like 2026-13-45, a number of 5,000 digits
        raise DataError([Problem(name, 0, f"not valid YAML: {exc}")]) from exc
