"""N-gram features of a message: character 2-5 grams within words, words and word pairs, TF-IDF.

The same code builds the vocabulary when training and turns a message into a sparse vector at
run time, so the numpy-only runtime sees exactly what scikit-learn was trained on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np

from bot.textnorm import normalise

CHAR_ORDERS = (2, 3, 4, 5)
MIN_DF = 2  # an n-gram seen in one training message only says nothing general


def ngrams(text: str) -> Counter[str]:
    """Every feature of TEXT with its count: c:<char gram>, w:<word>, b:<word pair>."""
    tokens = normalise(text).split()
    found: Counter[str] = Counter()
    for token in tokens:
        padded = f" {token} "
        for n in CHAR_ORDERS:
            for start in range(len(padded) - n + 1):
                found["c:" + padded[start : start + n]] += 1
        found["w:" + token] += 1
    for first, second in pairwise(tokens):
        found[f"b:{first} {second}"] += 1
    return found


class Vocabulary:
    """Feature names with their column and inverse document frequency."""

    def __init__(self, names: tuple[str, ...], idf: np.ndarray) -> None:
        self.names = names
        self.idf = idf.astype(np.float32)  # one per name
        self._column = {name: i for i, name in enumerate(names)}

    @classmethod
    def build(cls, texts: Sequence[str]) -> Vocabulary:
        """The features seen in at least MIN_DF of TEXTS, sorted, with smoothed IDF."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(ngrams(text).keys())
        names = tuple(sorted(name for name, count in df.items() if count >= MIN_DF))
        n = len(texts)
        idf = np.array([math.log((1 + n) / (1 + df[name])) + 1 for name in names], np.float32)
        return cls(names, idf)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """TEXT as a sparse L2-normalised TF-IDF vector: (columns, values)."""
        column = self._column
        pairs = [(column[f], count) for f, count in ngrams(text).items() if f in column]
        if not pairs:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        pairs.sort()
        columns = np.array([c for c, _ in pairs], np.int32)
        tf = np.array([1.0 + math.log(count) for _, count in pairs], np.float32)
        values = tf * self.idf[columns]
        values /= np.float32(np.linalg.norm(values))
        return columns, values

    def matrix(self, texts: Iterable[str]) -> object:
        """TEXTS as a scipy CSR matrix (training only: scipy comes with scikit-learn)."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for text in texts:
            columns, values = self.transform(text)
            indices.append(columns)
            data.append(values)
            indptr.append(indptr[-1] + len(columns))
        return csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                np.array(indptr),
            ),
            shape=(len(indptr) - 1, len(self.names)),
        )
