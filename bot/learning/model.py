"""The learned model at run time: numpy only, loaded from models/routing.npz.

Two linear models over the same n-gram vocabulary, trained by `bot.learning.train`:
- `full`: n-grams and the sentence encoder's vector, used when the encoder loaded;
- `ngram`: n-grams alone, the fallback when it did not.
Each gives a probability per class (a situation id of the meldkaart, or "none").
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.learning.encoder import Encoder, load_encoder
from bot.learning.features import Vocabulary
from bot.paths import MODELS_DIR

log = logging.getLogger(__name__)

MODEL_FILE = "routing.npz"
MANIFEST_FILE = "routing.json"


class ModelError(ValueError):
    """A model file is missing, unreadable or does not fit this code."""


@dataclass(frozen=True)
class Prediction:
    """The learned layer's view of one message."""

    probabilities: dict[str, float]  # class -> probability, best first
    features: str  # "n-grams + use-m3" or "n-grams"

    @property
    def best(self) -> tuple[str, float]:
        """The most likely class and its probability."""
        return next(iter(self.probabilities.items()))


@dataclass(frozen=True)
class Contribution:
    """One feature's push towards a class, for `route --explain`."""

    feature: str
    weight: float


@dataclass(frozen=True)
class _Linear:
    ngram: np.ndarray  # (features, classes)
    dense: np.ndarray | None  # (encoder dim, classes)
    bias: np.ndarray  # (classes,)


class LearnedModel:
    """Situation probabilities for a message, from n-grams and (when loaded) sentence vectors."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        classes: tuple[str, ...],
        full: _Linear,
        ngram: _Linear,
        manifest: dict[str, object],
        encoder: Encoder | None,
    ) -> None:
        self.vocabulary = vocabulary
        self.classes = classes
        self.manifest = manifest
        self.encoder = encoder
        self._full = full
        self._ngram = ngram

    @classmethod
    def load(
        cls, folder: Path = MODELS_DIR, encoder: Encoder | str | None = "auto"
    ) -> LearnedModel:
        """Load the model files in FOLDER; ENCODER "auto" loads the one it was trained with."""
        arrays, manifest = read_model(folder)
        chosen = load_encoder(str(manifest.get("encoder", ""))) if encoder == "auto" else encoder
        assert not isinstance(chosen, str)
        return cls.from_arrays(arrays, manifest, chosen, str(folder / MODEL_FILE))

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, np.ndarray],
        manifest: dict[str, object],
        encoder: Encoder | None,
        where: str = "the model",
    ) -> LearnedModel:
        """A model from the arrays `train` produced (or a model file held)."""
        try:
            vocabulary = Vocabulary(_strings(arrays["vocabulary"]), arrays["idf"])
            classes = _strings(arrays["classes"])
            full = _Linear(arrays["full_ngram"], arrays["full_dense"], arrays["full_bias"])
            ngram = _Linear(arrays["ngram_ngram"], None, arrays["ngram_bias"])
        except KeyError as missing:
            raise ModelError(f"{where}: no array {missing} in it") from None
        if encoder is not None and (full.dense is None or full.dense.shape[0] != encoder.dim):
            log.warning("encoder %s does not fit the model; using n-grams only", encoder.name)
            encoder = None
        return cls(vocabulary, classes, full, ngram, manifest, encoder)

    @property
    def features(self) -> str:
        """What the model reads: n-grams, and the encoder when it loaded."""
        return f"n-grams + {self.encoder.name}" if self.encoder else "n-grams"

    def predict(self, text: str) -> Prediction:
        """Probabilities per class for TEXT, best first."""
        logits = self._logits(text)
        order = np.argsort(-logits, kind="stable")
        probabilities = _softmax(logits)
        return Prediction({self.classes[i]: float(probabilities[i]) for i in order}, self.features)

    def explain(self, text: str, cls_name: str, top: int = 6) -> list[Contribution]:
        """The n-grams that pushed TEXT most towards CLS_NAME."""
        linear = self._full if self.encoder else self._ngram
        column = self.classes.index(cls_name)
        columns, values = self.vocabulary.transform(text)
        pushes = values * linear.ngram[columns, column].astype(np.float32)
        order = np.argsort(-pushes, kind="stable")[:top]
        return [
            Contribution(self.vocabulary.names[columns[i]], float(pushes[i]))
            for i in order
            if pushes[i] > 0
        ]

    def _logits(self, text: str) -> np.ndarray:
        columns, values = self.vocabulary.transform(text)
        vector = self._sentence_vector(text)
        linear = self._ngram if vector is None else self._full
        logits = linear.bias + values @ linear.ngram[columns].astype(np.float32)
        if vector is not None and linear.dense is not None:
            logits += vector @ linear.dense
        return np.asarray(logits, np.float32)

    def _sentence_vector(self, text: str) -> np.ndarray | None:
        """The encoder's vector, or None (the n-gram model answers) if it fails on TEXT."""
        if self.encoder is None:
            return None
        try:
            return self.encoder.encode([text])[0]
        except Exception as error:  # an optional package's bug must not lose an answer
            log.warning(
                "sentence encoder failed on a message (%s); n-grams used", type(error).__name__
            )
            return None


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return np.asarray(shifted / shifted.sum(), np.float64)


def _strings(blob: np.ndarray) -> tuple[str, ...]:
    return tuple(blob.tobytes().decode("utf-8").split("\n"))


def strings_blob(strings: tuple[str, ...] | list[str]) -> np.ndarray:
    """Strings as one newline-joined UTF-8 byte array (no pickles in the model file)."""
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def write_model(folder: Path, arrays: dict[str, np.ndarray], manifest: dict[str, object]) -> None:
    """Write the arrays and manifest; the same input gives the same bytes (fixed zip dates)."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    (folder / MODEL_FILE).write_bytes(buffer.getvalue())
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")


def read_model(folder: Path) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """The arrays and manifest in FOLDER, or a ModelError that names the file."""
    path = folder / MODEL_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ModelError(f"{error.filename}: no such model file (run `meldwijzer train`)") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ModelError(f"{path}: cannot read the model ({error})") from None
    if not isinstance(manifest, dict):
        raise ModelError(f"{folder / MANIFEST_FILE}: expected a JSON object")
    return arrays, manifest
