"""Texts for people, by key, from babel gettext catalogs (Dutch first, English always).

Catalogs live in bot/locales/<lang>/LC_MESSAGES/<domain>.po; every domain is merged, so each
part of the product (core, telegram, spreekuren, web, ...) keeps its own file. A message id is a
stable key such as "start.body"; code asks for `t("start.body", lang, name=...)`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

from bot.paths import LOCALES_DIR

LANGUAGES: tuple[str, ...] = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


def normalise_language(code: str | None) -> str:
    """Dutch for Dutch-language codes (nl, nl-BE, li), English for everything else."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return "nl" if base in ("nl", "li", "vls") else "en"


Message = str | tuple[str, ...]  # a text, or its plural forms in the catalog's order


@cache
def catalog(lang: str) -> dict[str, Message]:
    """Every translated message of one language, merged over all domains."""
    messages: dict[str, Message] = {}
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        messages.update(_read(po))
    return messages


def _read(path: Path) -> dict[str, Message]:
    with path.open("rb") as fh:
        cat = read_po(fh, locale=path.parent.parent.name)
    found: dict[str, Message] = {}
    for m in cat:
        if not m.id or m.fuzzy or not m.string:
            continue
        if isinstance(m.id, str):
            found[m.id] = str(m.string)
        elif all(m.string):  # msgid_plural: one form per plural category
            found[str(m.id[0])] = tuple(str(s) for s in m.string)
    return found


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The text for KEY in LANG, with {placeholders} filled from VALUES.

    A message with plural forms takes the form for the number in VALUES["count"].
    """
    lang = lang if lang in LANGUAGES else normalise_language(lang)
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise KeyError(f"no text for message '{key}' in any catalog")
    if isinstance(text, tuple):
        text = _plural_form(text, lang, values.get("count"))
    return text.format(**values) if values else text


def _plural_form(forms: tuple[str, ...], lang: str, count: object) -> str:
    if not isinstance(count, int):
        raise KeyError("a message with plural forms needs an integer 'count'")
    # Dutch and English have two forms, in gettext's order: one, other.
    return forms[0] if Locale.parse(lang).plural_form(count) == "one" else forms[-1]


def N_(key: str) -> str:
    """Mark a key for extraction where the text is looked up later."""
    return key
