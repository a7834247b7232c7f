"""Routing benchmark: start-up (load + index) and route() latency over a labelled set.

Run: .venv/bin/python bench/route_bench.py [SET.yaml]  (default: ../shared/eval/dev-routing.yaml)
Targets with the learned layer (issue 11): route() p99 <= 50 ms, start-up <= 2 s on the 2-core
machine; the rules alone (issue 2): p99 <= 2 ms, start-up <= 0.5 s. Long messages (4,000
characters) are timed apart. Prints figures only.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _figures import percentile  # noqa: E402  (bench/ is on the path: run as a script)

from bot.evaluation import load_cases  # noqa: E402
from bot.paths import MODELS_DIR  # noqa: E402
from bot.routing import Router  # noqa: E402


def main() -> None:
    path = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT.parent / "shared" / "eval" / "dev-routing.yaml"
    )
    texts = [case.text for case in load_cases(path)]
    for label, models in (("rules + learned layer", MODELS_DIR), ("rules alone", None)):
        print(f"== {label}")
        measure(texts, path, models, rounds=20 if models is None else 3)
        print()


def measure(texts: list[str], path: Path, models: Path | None, rounds: int) -> None:
    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        router = Router.load(models=models)
        starts.append(time.perf_counter() - t0)

    for text in texts:  # warm-up: caches of stems and spelling slips fill on first sight
        router.route(text)
    cold = Router.load(models=models)
    cold_times = []
    for text in texts:
        t0 = time.perf_counter()
        cold.route(text)
        cold_times.append((time.perf_counter() - t0) * 1000)

    times = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            router.route(text)
            times.append((time.perf_counter() - t0) * 1000)

    print(f"messages:         {len(texts)} ({path.name})")
    print(
        f"start-up:         first (cold) {starts[0] * 1000:.0f} ms, "
        f"then median {statistics.median(starts[1:]) * 1000:.0f} ms"
    )
    print(
        f"route() first pass: p50 {percentile(cold_times, 0.50):.3f} ms, "
        f"p99 {percentile(cold_times, 0.99):.3f} ms"
    )
    print(
        f"route() warm:     p50 {percentile(times, 0.50):.3f} ms, "
        f"p99 {percentile(times, 0.99):.3f} ms, "
        f"max {max(times):.3f} ms"
    )
    long_times = []
    for text in texts[:50]:
        long = (text + " ") * (4000 // (len(text) + 1))
        t0 = time.perf_counter()
        router.route(long)
        long_times.append((time.perf_counter() - t0) * 1000)
    print(
        f"route() 4,000 characters: p50 {percentile(long_times, 0.50):.1f} ms, "
        f"p99 {percentile(long_times, 0.99):.1f} ms"
    )
    print(f"throughput:       {len(times) / (sum(times) / 1000):.0f} messages/s on one core")


if __name__ == "__main__":
    main()
