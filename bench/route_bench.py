"""Routing benchmark: start-up (load + index) and route() latency over a labelled set.

Run: .venv/bin/python bench/route_bench.py [SET.yaml]  (default: ../shared/eval/dev-routing.yaml)
Targets (issue 2): p99 <= 2 ms, start-up <= 0.5 s on the 2-core machine. Prints figures only.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import load_cases  # noqa: E402
from bot.routing import Router  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of VALUES, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    path = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT.parent / "shared" / "eval" / "dev-routing.yaml"
    )
    texts = [case.text for case in load_cases(path)]

    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        router = Router.load()
        starts.append(time.perf_counter() - t0)

    for text in texts:  # warm-up: caches of stems and spelling slips fill on first sight
        router.route(text)
    cold = Router.load()
    cold_times = []
    for text in texts:
        t0 = time.perf_counter()
        cold.route(text)
        cold_times.append((time.perf_counter() - t0) * 1000)

    times = []
    for _ in range(20):
        for text in texts:
            t0 = time.perf_counter()
            router.route(text)
            times.append((time.perf_counter() - t0) * 1000)

    print(f"messages:         {len(texts)} ({path.name})")
    print(
        f"start-up:         first (cold) {starts[0] * 1000:.0f} ms, "
        f"then median {statistics.median(starts[1:]) * 1000:.0f} ms (target <= 500 ms)"
    )
    print(
        f"route() first pass: p50 {percentile(cold_times, 50):.3f} ms, "
        f"p99 {percentile(cold_times, 99):.3f} ms"
    )
    print(
        f"route() warm:     p50 {percentile(times, 50):.3f} ms, "
        f"p99 {percentile(times, 99):.3f} ms, "
        f"max {max(times):.3f} ms (target p99 <= 2 ms)"
    )
    print(f"throughput:       {len(times) / (sum(times) / 1000):.0f} messages/s on one core")


if __name__ == "__main__":
    main()
