"""Every text the code asks for exists in Dutch and in English, with the same placeholders.

The keys are extracted from the source (calls of `t` and `N_`, first argument, read with ast), so
a new `t("some.key", lang)` without catalog entries fails here, not in front of a resident.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, catalog, t
from bot.paths import LOCALES_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
KEYWORDS = {"t", "N_"}


def _literal_keys(node: ast.expr) -> list[str]:
    """The key(s) an argument names: a string, or either branch of `"a" if x else "b"`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) + _literal_keys(node.orelse)
    return []  # built at run time ("contact." + kind): checked where it is built


def _used_keys() -> dict[str, str]:
    """Every literal key passed to t(...) or N_(...) in bot/, with where it is used."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in KEYWORDS:
                continue
            for key in _literal_keys(node.args[0]):
                found.setdefault(key, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


USED = _used_keys()


def _fields(text: str | tuple[str, ...]) -> set[str]:
    forms = text if isinstance(text, tuple) else (text,)
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_the_extraction_finds_the_keys() -> None:
    assert "telegram.start" in USED and "answer.reminder_112" in USED


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_used_key_is_translated(lang: str) -> None:
    messages = catalog(lang)
    missing = sorted(f"{key} ({where})" for key, where in USED.items() if not messages.get(key))
    assert missing == [], f"no {lang} text for: {missing}"


def test_both_languages_have_the_same_keys() -> None:
    nl, en = set(catalog("nl")), set(catalog("en"))
    assert sorted(nl - en) == [], "only in Dutch"
    assert sorted(en - nl) == [], "only in English"


def test_placeholders_match_between_languages() -> None:
    nl, en = catalog("nl"), catalog("en")
    wrong = sorted(k for k in set(nl) & set(en) if _fields(nl[k]) != _fields(en[k]))
    assert wrong == []


def test_every_catalog_file_exists_in_both_languages() -> None:
    domains = {
        lang: {p.name for p in (LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")}
        for lang in LANGUAGES
    }
    assert domains["nl"] == domains["en"]


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [("nl", 1, "over 1 seconde opnieuw"), ("nl", 3, "over 3 seconden"), ("en", 1, "in 1 second.")],
)
def test_a_plural_message_follows_its_count(lang: str, count: int, expected: str) -> None:
    """The 429 text said "over 1 seconden"."""
    assert expected in t("web.error.rate_limited", lang, count=count)
