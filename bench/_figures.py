"""The one percentile every benchmark prints its latencies with."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The Q (0..1) quantile of VALUES by nearest rank: the smallest value with at least a
    share Q of them at or below it; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
