"""Why the router answered what it did: rule matches, the learned layer's view, near phrasings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.learning.corpus import Example, corpus_files
from bot.learning.corpus import load as load_corpus
from bot.learning.features import Vocabulary
from bot.learning.model import Contribution
from bot.routing import Router, RouteResult


@dataclass(frozen=True)
class Explanation:
    """Everything `meldwijzer route --explain` prints."""

    result: RouteResult
    rules: RouteResult
    rule_danger: str | None  # the danger kind the rules found, if any
    rule_scores: list[tuple[str, float]]  # best-scoring situations by key words
    learned: list[tuple[str, float]]  # best classes of the learned layer
    learned_features: str | None
    strongest: list[Contribution]  # n-grams that pushed towards the learned best class
    nearest: list[tuple[float, Example]]  # the closest training phrasings


def explain(router: Router, text: str, corpus: Path | None = None, top: int = 5) -> Explanation:
    """Route TEXT and say why; CORPUS (a folder) adds the nearest training phrasings."""
    result = router.route(text)
    rules = router.route_by_rules(text)
    scores = router.rule_scores(text)[:top]
    learned: list[tuple[str, float]] = []
    strongest: list[Contribution] = []
    nearest: list[tuple[float, Example]] = []
    model = router.learned
    if model is not None:
        prediction = model.predict(text)
        learned = list(prediction.probabilities.items())[:top]
        strongest = model.explain(text, learned[0][0])
        if corpus is not None:
            examples = load_corpus(corpus_files(corpus), router.meldkaart)
            nearest = _nearest(model.vocabulary, text, examples, top)
    return Explanation(
        result,
        rules,
        rules.danger,
        scores,
        learned,
        model.features if model else None,
        strongest,
        nearest,
    )


def _nearest(
    vocabulary: Vocabulary, text: str, examples: list[Example], top: int
) -> list[tuple[float, Example]]:
    """The examples whose n-gram vectors are closest to TEXT's (cosine)."""
    columns, values = vocabulary.transform(text)
    query = dict(zip(columns.tolist(), values.tolist(), strict=True))
    similarities = []
    for example in examples:
        other_columns, other_values = vocabulary.transform(example.text)
        score = float(
            sum(query.get(c, 0.0) * v for c, v in zip(other_columns, other_values, strict=True))
        )
        similarities.append(score)
    order = np.argsort(-np.array(similarities), kind="stable")[:top]
    return [(similarities[i], examples[i]) for i in order]


def render(explanation: Explanation) -> str:
    """The explanation as plain text for the console."""
    r = explanation.result
    lines = [
        f"answer:      {r.channel or '(none)'}  situation {r.situation or r.info or '-'}"
        f"{'' if r.situation_named else ' (not named: unsure)'}"
        f"  alternatives {', '.join(r.alternatives) or '-'}  decided by {r.decided_by}",
        f"rules:       {explanation.rules.channel or '(none)'}  situation "
        f"{explanation.rules.situation or explanation.rules.info or '-'}"
        f"  danger {explanation.rule_danger or '-'}",
        "  key-word scores: "
        + (", ".join(f"{s} {v:.2f}" for s, v in explanation.rule_scores) or "none"),
    ]
    if explanation.learned_features is None:
        lines.append("learned:     off (no model loaded)")
        return "\n".join(lines)
    lines.append(f"learned:     ({explanation.learned_features})")
    lines.extend(f"  {p:6.1%}  {name}" for name, p in explanation.learned)
    lines.append(
        "  strongest n-grams: "
        + (", ".join(f"{c.feature!r} {c.weight:+.2f}" for c in explanation.strongest) or "none")
    )
    if explanation.nearest:
        lines.append("nearest training phrasings:")
        lines.extend(
            f"  {score:.2f}  [{e.situation}] {e.text}  ({Path(e.file).name}:{e.line})"
            for score, e in explanation.nearest
        )
    return "\n".join(lines)
