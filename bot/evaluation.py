"""Measure the router on a labelled YAML set (the corpus format of bot/labelled.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot import labelled
from bot.meldkaart import Meldkaart
from bot.routing import Router, RouteResult
from bot.yamlfile import DataError, Problem


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    text: str
    lang: str
    expect: tuple[str, ...]  # acceptable first channels; empty = not a report
    emergency: bool
    line: int


@dataclass
class Report:
    """What `meldwijzer eval` prints."""

    total: int = 0
    correct: int = 0
    per_channel: dict[str, list[int]] = field(default_factory=dict)  # channel -> [right, total]
    emergencies: int = 0
    emergencies_caught: int = 0
    non_emergencies: int = 0
    over_triage: int = 0
    non_reports: int = 0
    non_reports_abstained: int = 0
    non_reports_112: int = 0
    non_reports_routed: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    confusion_deciders: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    decided: dict[str, list[int]] = field(default_factory=dict)  # decided_by -> [right, total]
    misses: list[tuple[Case, RouteResult]] = field(default_factory=list)

    def top1(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def emergency_recall(self) -> float:
        return self.emergencies_caught / self.emergencies if self.emergencies else 1.0

    def over_triage_rate(self) -> float:
        return self.over_triage / self.non_emergencies if self.non_emergencies else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "total": self.total,
            "top1": round(self.top1(), 4),
            "per_channel": {
                c: {"correct": r, "total": n, "accuracy": round(r / n, 4)}
                for c, (r, n) in sorted(self.per_channel.items())
            },
            "emergency_recall": round(self.emergency_recall(), 4),
            "over_triage": round(self.over_triage_rate(), 4),
            "non_reports": {
                "total": self.non_reports,
                "no_channel": self.non_reports_abstained,
                "answered_112": self.non_reports_112,
                "routed_to_a_channel": self.non_reports_routed,
            },
            "decided_by": {
                d: {"correct": r, "total": n} for d, (r, n) in sorted(self.decided.items())
            },
            "confusions": [
                {"expected": e, "got": g, "count": n, "decided_by": self.deciders(e, g)}
                for (e, g), n in self.confusions.most_common(10)
            ],
        }

    def add(self, case: Case, result: RouteResult) -> None:
        """Count one routed case."""
        got = result.channel or "(none)"
        self.total += 1
        if case.expect:
            ok = got in case.expect
            first = case.expect[0]
            right_total = self.per_channel.setdefault(first, [0, 0])
            right_total[1] += 1
            if ok:
                right_total[0] += 1
        else:
            ok = result.channel is None
            self.non_reports += 1
            if result.channel is None:
                self.non_reports_abstained += 1
            elif result.channel == "112":
                self.non_reports_112 += 1
            else:
                self.non_reports_routed += 1
        right_total = self.decided.setdefault(result.decided_by, [0, 0])
        right_total[1] += 1
        if ok:
            self.correct += 1
            right_total[0] += 1
        else:
            expected = case.expect[0] if case.expect else "(none)"
            self.confusions[(expected, got)] += 1
            self.confusion_deciders[(expected, got, result.decided_by)] += 1
            self.misses.append((case, result))
        if case.emergency:
            self.emergencies += 1
            self.emergencies_caught += result.channel == "112"
        elif "112" not in case.expect:
            self.non_emergencies += 1
            self.over_triage += result.channel == "112"

    def deciders(self, expected: str, got: str) -> dict[str, int]:
        """How often each part of the router decided one confusion."""
        return {
            d: n
            for (e, g, d), n in sorted(self.confusion_deciders.items())
            if (e, g) == (expected, got)
        }


def load_cases(path: Path, kaart: Meldkaart | None = None) -> list[Case]:
    """Read a labelled set; every malformed item is refused with file and line.

    With KAART, channel and situation ids are checked against it (`meldwijzer eval` does).
    """
    problems: list[Problem] = []
    messages = labelled.read(labelled.EvalSet, path, kaart, problems)
    if problems:
        raise DataError(problems)
    return [Case(m.text, m.lang, m.expect, m.emergency, line) for m, line in messages]


def evaluate(router: Router, cases: list[Case]) -> Report:
    """Route every case and count."""
    report = Report()
    for case in cases:
        report.add(case, router.route(case.text))
    return report


def render_report(report: Report) -> str:
    """The report as aligned text."""
    lines = [
        f"items:             {report.total}",
        f"top-1 accuracy:    {report.top1():.1%}  ({report.correct}/{report.total})",
        f"emergency recall:  {report.emergency_recall():.1%}  "
        f"({report.emergencies_caught}/{report.emergencies} answered 112 first)",
        f"over-triage:       {report.over_triage_rate():.1%}  "
        f"({report.over_triage}/{report.non_emergencies} non-emergencies answered 112 first)",
        f"non-reports:       {report.non_reports} items: "
        f"{report.non_reports_abstained} no channel, "
        f"{report.non_reports_routed} routed to a channel, {report.non_reports_112} answered 112",
        "",
        "accuracy per channel (by first expected channel):",
    ]
    for channel, (right, total) in sorted(report.per_channel.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"  {channel:<22} {right / total:6.1%}  ({right}/{total})")
    lines.append("")
    lines.append("decided by (right/answers):")
    for decider, (right, total) in sorted(report.decided.items()):
        lines.append(f"  {decider:<8} {right}/{total}")
    lines.append("")
    lines.append("most frequent confusions (expected -> got, decided by):")
    if not report.confusions:
        lines.append("  none")
    for (expected, got), count in report.confusions.most_common(10):
        by = ", ".join(f"{d} {n}" for d, n in report.deciders(expected, got).items())
        lines.append(f"  {count:3d}  {expected} -> {got}  ({by})")
    return "\n".join(lines)


def render_misses(report: Report) -> str:
    """Every miss: line, expected, got, what decided it, and the text."""
    return "\n".join(
        f"{case.line:5d}  {'/'.join(case.expect) or '(none)'} -> {result.channel or '(none)'}"
        f"  [{result.decided_by}]  {case.text}"
        for case, result in report.misses
    )
