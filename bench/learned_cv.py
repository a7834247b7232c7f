"""Out-of-fold figures of the learned layer on the corpus, and how it joins the rules.

Run: .venv/bin/python bench/learned_cv.py [--folds 5] [--grid]
Trains one model per fold (the corpus in corpus/train only; never the untouched slice, the
eval sets or tests/data), predicts the held-out fold, and prints top-1, emergency recall and
over-triage for: the rules alone, the n-gram model alone, the full model alone, and the
combination with the router's Limits (with --grid: a small grid around them). Prints only.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot import danger as danger_check  # noqa: E402
from bot.learning import train  # noqa: E402
from bot.learning.corpus import Example, corpus_files  # noqa: E402
from bot.learning.corpus import load as load_corpus  # noqa: E402
from bot.learning.encoder import load_encoder  # noqa: E402
from bot.learning.model import LearnedModel, Prediction  # noqa: E402
from bot.routing import Limits, Router, RouteResult, combine  # noqa: E402
from bot.textnorm import normalise  # noqa: E402


class MemoEncoder:
    """The real encoder with a memory: each corpus text is encoded once for all folds."""

    def __init__(self) -> None:
        encoder = load_encoder()
        assert encoder is not None, "the sentence encoder is needed"
        self.inner, self.name, self.dim = encoder, encoder.name, encoder.dim
        self.memo: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for text, row in zip(missing, self.inner.encode(missing), strict=True):
                self.memo[text] = row
        return np.vstack([self.memo[t] for t in texts])


@dataclass
class Score:
    right: int = 0
    total: int = 0
    emergencies: int = 0
    caught: int = 0
    calm: int = 0
    over: int = 0

    def add(self, example: Example, channel: str | None) -> None:
        self.total += 1
        self.right += (channel in example.expect) if example.expect else channel is None
        if example.emergency:
            self.emergencies += 1
            self.caught += channel == "112"
        elif "112" not in example.expect:
            self.calm += 1
            self.over += channel == "112"

    def line(self, name: str) -> str:
        return (
            f"{name:<34} top-1 {self.right / self.total:6.1%}  "
            f"recall {self.caught / max(1, self.emergencies):6.1%} "
            f"({self.caught}/{self.emergencies})  "
            f"over-triage {self.over / max(1, self.calm):5.1%} ({self.over}/{self.calm})"
        )


def learned_channel(prediction: Prediction, router: Router) -> str | None:
    situation = router.meldkaart.situations.get(prediction.best[0])
    return situation.channel if situation else None


def folds_of(examples: list[Example], k: int) -> list[int]:
    from sklearn.model_selection import StratifiedKFold

    labels = [e.situation for e in examples]
    fold = [0] * len(examples)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=train.SEED)
    for i, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        for j in test:
            fold[j] = i
    return fold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--corpus", default=str(ROOT / "corpus" / "train"))
    args = parser.parse_args()
    router = Router.load(models=None)
    examples = load_corpus(corpus_files(Path(args.corpus)), router.meldkaart)
    encoder = MemoEncoder()
    fold = folds_of(examples, args.folds)
    full: list[Prediction | None] = [None] * len(examples)
    ngram: list[Prediction | None] = [None] * len(examples)
    started = time.perf_counter()
    for k in range(args.folds):
        fit = [e for e, f in zip(examples, fold, strict=True) if f != k]
        trained = train.train(fit, encoder, "cv")  # type: ignore[arg-type]
        with_encoder = LearnedModel.from_arrays(trained.arrays, trained.manifest, encoder)  # type: ignore[arg-type]
        without = LearnedModel.from_arrays(trained.arrays, trained.manifest, None)
        for i, example in enumerate(examples):
            if fold[i] == k:
                full[i] = with_encoder.predict(example.text)
                ngram[i] = without.predict(example.text)
        print(f"fold {k + 1}/{args.folds} done ({time.perf_counter() - started:.0f} s)", flush=True)
    rules = [router.route_by_rules(e.text) for e in examples]
    over = [
        danger_check.tempered(normalise(e.text), router.meldkaart.danger, r.language)
        for e, r in zip(examples, rules, strict=True)
    ]

    def scored(results: list[str | None]) -> Score:
        score = Score()
        for example, channel in zip(examples, results, strict=True):
            score.add(example, channel)
        return score

    def combined(limits: Limits, predictions: list[Prediction | None]) -> list[RouteResult]:
        return [
            combine(r, p, router.meldkaart, limits, o) if p else r
            for r, p, o in zip(rules, predictions, over, strict=True)
        ]

    print(f"\n{len(examples)} corpus messages, {args.folds}-fold out-of-fold predictions")
    print(scored([r.channel for r in rules]).line("rules alone"))
    print(scored([learned_channel(p, router) for p in ngram if p]).line("n-gram model alone"))
    print(scored([learned_channel(p, router) for p in full if p]).line("n-grams + encoder alone"))
    print(scored([r.channel for r in combined(Limits(), ngram)]).line("rules + n-gram model"))
    results = combined(Limits(), full)
    print(scored([r.channel for r in results]).line("rules + full model (shipped)"))
    settled = combined(replace(Limits(), settle_unsure=0.10), full)
    print(scored([r.channel for r in settled]).line("  same, unsure rules 112 settled <0.10"))
    by: dict[str, Score] = {}
    for example, result in zip(examples, results, strict=True):
        by.setdefault(result.decided_by, Score()).add(example, result.channel)
    for decider, score in sorted(by.items()):
        print(score.line(f"  decided by {decider} ({score.total})"))
    if args.grid:
        print("\ngrid (full model):")
        base = Limits()
        for danger in (0.25, 0.3, 0.35, 0.4, 0.5):
            for overrule in (0.6, 0.7, 0.8, 0.9):
                for abstain in (0.3, 0.45):
                    limits = replace(base, danger=danger, overrule=overrule, abstain=abstain)
                    line = scored([r.channel for r in combined(limits, full)])
                    print(line.line(f"danger {danger} overrule {overrule} abstain {abstain}"))


if __name__ == "__main__":
    main()
