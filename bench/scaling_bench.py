"""Seconds on long input: the router, the danger patterns and the area lookup at 10x the length.

The tests check growth by counting calls and by the patterns' structure (tests/robustness);
this prints what that means in time. Linear is about x10 for a 10x longer text, quadratic x100.
Run: .venv/bin/python bench/scaling_bench.py
Prints figures; it is a benchmark, not a test, and never fails on time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from bot import danger
from bot.areas import AreaDirectory, AreaNotFound
from bot.paths import ROUTING_RULES_DIR
from bot.routing import Router

PIECES = ("a", "vuilnis", "brand ", "     x", "in brand gestoken ", "help help snel ", "6221 ab ")
SIZES = ((400, 4_000), (10_000, 100_000))


def best_time(func: Callable[[str], object], text: str, repeat: int = 3) -> float:
    """The fastest of REPEAT runs, in seconds (the least disturbed one)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(text)
        best = min(best, time.perf_counter() - start)
    return best


def repeated(piece: str, size: int) -> str:
    """PIECE repeated to exactly SIZE characters."""
    return (piece * (size // len(piece) + 1))[:size]


def main() -> None:
    """Print small -> large times and their ratio for each function and piece."""
    router = Router.load(ROUTING_RULES_DIR)
    rules = router.meldkaart.danger
    areas = AreaDirectory.load()

    def lookup(text: str) -> None:
        with contextlib.suppress(AreaNotFound):
            areas.lookup(text)

    functions: dict[str, Callable[[str], object]] = {
        "route": router.route,
        "danger.check": lambda text: danger.check(text, rules, "nl"),
        "areas.lookup": lookup,
    }
    worst = 0.0
    for name, func in functions.items():
        for piece in PIECES:
            for small, large in SIZES:
                little = best_time(func, repeated(piece, small))
                big = best_time(func, repeated(piece, large))
                ratio = big / max(little, 1e-6)
                worst = max(worst, ratio if big > 0.002 else 0.0)
                print(
                    f"{name:13} {piece!r:20} {small:>6,} -> {large:>7,} chars: "
                    f"{little * 1e3:7.2f} -> {big * 1e3:8.2f} ms  x{ratio:5.1f}"
                )
    print(f"worst ratio above 2 ms: x{worst:.1f} (linear ~10, quadratic ~100)")


if __name__ == "__main__":
    main()
