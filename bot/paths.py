"""Where the package finds its data files, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """The packaged copy in a wheel (bot/_data/NAME), else the source checkout's NAME/."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


ROUTING_RULES_DIR = _data_dir("routing_rules")
KNOWLEDGE_DIR = _data_dir("knowledge")
LOCALES_DIR = _PACKAGE / "locales"
MIGRATIONS_DIR = _PACKAGE / "migrations"
MODELS_DIR = _data_dir("models")
CORPUS_DIR = _PACKAGE.parent / "corpus"  # the source checkout's corpus (not in the wheel)
