"""Area lookup speed: p50 / p99 per kind of query, and load time. Target: p99 <= 1 ms.

Run: .venv/bin/python bench/area_bench.py [--rounds N] [--db PATH]
Prints figures; it is a benchmark, not a test, and never fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from _figures import percentile  # bench/ is on the path: run as a script

from bot.areas import AreaDirectory, AreaNotFound
from bot.knowledge import fold

TARGET_P99_MS = 1.0


def _typos(name: str) -> list[str]:
    key = fold(name)
    mid = len(key) // 2
    slips = [key[:mid] + key[mid + 1 :], key[:mid] + "x" + key[mid + 1 :]]
    if len(key) > 5:
        slips.append(key[: mid - 1] + key[mid] + key[mid - 1] + key[mid + 1 :])
    return slips


def _queries(directory: AreaDirectory) -> dict[str, list[str]]:
    buurten = list(directory.knowledge.buurten)
    pc4s = list(directory.knowledge.postcodes)
    return {
        "buurt names": buurten + [b.lower() for b in buurten],
        "typos": [typo for b in buurten for typo in _typos(b)],
        "PC4": pc4s,
        "PC6 postcodes": [f"{p} {x}" for p in pc4s for x in ("AB", "kv", "-GE")],
        "outside / garbage": ["1011 AB", "9999ZZ", "hallo", "qwertyuiop", "6221 SA", ""],
    }


def _time(call: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        with contextlib.suppress(AreaNotFound):
            call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _row(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = percentile(ordered, 0.99)
    flag = "ok" if p99 <= TARGET_P99_MS else "SLOW"
    return (
        f"{label:<20} n={len(ordered):>6}  p50={p50 * 1000:7.1f} µs  "
        f"p99={p99 * 1000:7.1f} µs  {flag}"
    )


def main() -> None:
    """Load the directory, then time every kind of lookup."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50, help="repeats of every query")
    parser.add_argument("--db", type=Path, help="a database with an imported CBS table")
    args = parser.parse_args()

    loads = []
    for _ in range(5):
        start = time.perf_counter()
        directory = AreaDirectory.load(db=args.db)
        loads.append((time.perf_counter() - start) * 1000)
    print(
        f"load (knowledge{' + CBS table' if directory.table else ''}): "
        f"median {statistics.median(loads):.1f} ms over {len(loads)} loads"
    )

    every: list[float] = []
    for label, queries in _queries(directory).items():
        samples = [s for q in queries for s in _time(lambda q=q: directory.lookup(q), args.rounds)]
        every += samples
        print(_row(label, samples))
    spots = [(p.lat, p.lon) for p in directory.knowledge.postcodes.values() if p.lat is not None]
    spots += [(52.37, 4.89), (50.80, 5.70)]
    samples = [
        s
        for lat, lon in spots
        for s in _time(lambda lat=lat, lon=lon: directory.lookup_location(lat, lon), args.rounds)
    ]
    every += samples
    print(_row("locations", samples))
    print(_row("all lookups", every))
    print(f"target: p99 <= {TARGET_P99_MS:.0f} ms per lookup")


if __name__ == "__main__":
    main()
