"""Out-of-fold figures of the learned layer on the corpus, and how it joins the rules.

Run: .venv/bin/python bench/learned_cv.py [--folds 5] [--grid] [--keep FILE]
Trains one model per fold (the corpus in corpus/train only; never the untouched slice, the
eval sets or tests/data), predicts the held-out fold, and prints top-1, emergency recall and
over-triage for: the rules alone, the n-gram model alone, the full model alone, and the
combination with the router's Limits (with --grid: a small grid around them). Prints only.
With --keep FILE the out-of-fold predictions are written to FILE once and read from it after
(about 20 minutes to train five folds, then a minute a run: for trying rules and Limits).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot import danger as danger_check  # noqa: E402
from bot.evaluation import Case, Report  # noqa: E402
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


def case_of(example: Example) -> Case:
    """A corpus example as an evaluation case."""
    return Case(example.text, example.lang, example.expect, example.emergency, example.line)


def line(report: Report, name: str) -> str:
    """One row of figures."""
    return (
        f"{name:<38} top-1 {report.top1():6.1%}  recall {report.emergency_recall():6.1%} "
        f"({report.emergencies_caught}/{report.emergencies})  over-triage "
        f"{report.over_triage_rate():5.1%} ({report.over_triage}/{report.non_emergencies})"
    )


def answer(channel: str | None) -> RouteResult:
    """A bare answer for a model judged alone."""
    return RouteResult(channel, None, (), channel == "112", 0.0, "nl", decided_by="learned")


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


def predict_out_of_fold(
    examples: list[Example], folds: int
) -> tuple[list[Prediction | None], list[Prediction | None]]:
    """Each example predicted by the full and the n-gram model trained on the other folds."""
    encoder = MemoEncoder()
    fold = folds_of(examples, folds)
    full: list[Prediction | None] = [None] * len(examples)
    ngram: list[Prediction | None] = [None] * len(examples)
    started = time.perf_counter()
    for k in range(folds):
        fit = [e for e, f in zip(examples, fold, strict=True) if f != k]
        trained = train.train(fit, encoder, "cv")  # type: ignore[arg-type]
        with_encoder = LearnedModel.from_arrays(trained.arrays, trained.manifest, encoder)  # type: ignore[arg-type]
        without = LearnedModel.from_arrays(trained.arrays, trained.manifest, None)
        for i, example in enumerate(examples):
            if fold[i] == k:
                full[i] = with_encoder.predict(example.text)
                ngram[i] = without.predict(example.text)
        print(f"fold {k + 1}/{folds} done ({time.perf_counter() - started:.0f} s)", flush=True)
    return full, ngram


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--corpus", default=str(ROOT / "corpus" / "train"))
    parser.add_argument(
        "--keep", help="a file for the out-of-fold predictions: written once, read after"
    )
    args = parser.parse_args()
    router = Router.load(models=None)
    examples = load_corpus(corpus_files(Path(args.corpus)), router.meldkaart)
    kept = Path(args.keep) if args.keep else None
    if kept is not None and kept.is_file():
        full, ngram = pickle.loads(kept.read_bytes())  # written by this script (see --keep)
        print(f"out-of-fold predictions read from {kept}")
    else:
        full, ngram = predict_out_of_fold(examples, args.folds)
        if kept is not None:
            kept.write_bytes(pickle.dumps((full, ngram)))
    rules = [router.route_by_rules(e.text) for e in examples]
    over = [
        danger_check.tempered(normalise(e.text), router.meldkaart.danger, r.language)
        for e, r in zip(examples, rules, strict=True)
    ]

    def scored(results: list[RouteResult]) -> Report:
        report = Report()
        for example, result in zip(examples, results, strict=True):
            report.add(case_of(example), result)
        return report

    def combined(limits: Limits, predictions: list[Prediction | None]) -> list[RouteResult]:
        return [
            combine(r, p, router.meldkaart, limits, o) if p else r
            for r, p, o in zip(rules, predictions, over, strict=True)
        ]

    print(f"\n{len(examples)} corpus messages, {args.folds}-fold out-of-fold predictions")
    print(line(scored(rules), "rules alone"))
    print(line(scored([answer(learned_channel(p, router)) for p in ngram if p]), "n-grams alone"))
    print(line(scored([answer(learned_channel(p, router)) for p in full if p]), "full alone"))
    print(line(scored(combined(Limits(), ngram)), "rules + n-gram model"))
    results = combined(Limits(), full)
    print(line(scored(results), "rules + full model (shipped)"))
    settled = combined(replace(Limits(), settle_unsure=0.10), full)
    print(line(scored(settled), "  same, unsure rules 112 settled <0.10"))
    by: dict[str, Report] = {}
    for example, result in zip(examples, results, strict=True):
        by.setdefault(result.decided_by, Report()).add(case_of(example), result)
    for decider, report in sorted(by.items()):
        print(line(report, f"  decided by {decider} ({report.total})"))
    if args.grid:
        grid(examples, results, lambda limits: combined(limits, full), scored)


def grid(
    examples: list[Example],
    base: list[RouteResult],
    combined: Callable[[Limits], list[RouteResult]],
    scored: Callable[[list[RouteResult]], Report],
) -> None:
    """Each Limits field in turn around the shipped ones: the figures, and against the shipped
    answers how many messages it puts right (+) and wrong (-)."""

    def right(example: Example, result: RouteResult) -> bool:
        return result.channel in example.expect if example.expect else result.channel is None

    def row(name: str, results: list[RouteResult]) -> None:
        report = scored(results)
        pairs = list(zip(examples, base, results, strict=True))
        helps = sum(1 for e, a, b in pairs if not right(e, a) and right(e, b))
        breaks = sum(1 for e, a, b in pairs if right(e, a) and not right(e, b))
        talk = f"{report.non_reports_112}/{report.non_reports}"
        print(f"{line(report, name)}  small talk 112 {talk}  +{helps} -{breaks}")

    shipped = Limits()
    print("\ngrid (full model), against the shipped Limits:")
    for overrule in (0.3, 0.4, 0.5):
        for margin in (0.0, 0.1, 0.2):
            limits = replace(shipped, overrule=overrule, margin=margin)
            row(f"overrule {overrule} margin {margin}", combined(limits))
    for not_report in (0.3, 0.5, 0.7, 1.01):
        row(f"not_report {not_report}", combined(replace(shipped, not_report=not_report)))
    for danger in (0.3, 0.35, 0.4, 0.5):
        row(f"danger {danger}", combined(replace(shipped, danger=danger)))
    for abstain in (0.35, 0.45, 0.55):
        row(f"abstain {abstain}", combined(replace(shipped, abstain=abstain)))


if __name__ == "__main__":
    main()
