"""Hostile input for the property tests, and the scaling check for patterns on long input.

`hostile_text()` mixes any unicode (control characters included) with right-to-left text, emoji,
markup, SQL- and format-string-looking text, characters whose case or compatibility form
changes their length, and words of the domain, so the parsers get past their first check.
`long_text()` repeats such a piece up to 100 kB. `scaling()` times a function on 10 kB and
100 kB of the same adversarial text: a linear function takes about 10x as long, a quadratic
one 100x; anything under 2 ms on 100 kB counts as linear (the timer's noise is larger).
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest and without deadlines: the machine is shared; the suite has to stay fast on 2 cores.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW_PROPERTY = settings(PROPERTY, max_examples=25)  # each example loads data files

FRAGMENTS: tuple[str, ...] = (
    # right to left, bidi controls, zero width, byte order mark
    "مرحبا، هناك حريق",
    "שלום עולם",
    "\u202ebrand\u202c",
    "\u200f",
    "\u200e",
    "\u200b",
    "\u2066x\u2069",
    "\ufeff",
    # control characters and line ends
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\r\n",
    "\u2028",
    "\t",
    "\x0b",
    # emoji, with joiners, skin tones and flags
    "🔥",
    "🚨",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "👍🏽",
    "🇳🇱",
    "\U000e0067",
    # markup
    "<b>",
    "</b>",
    "<script>alert(1)</script>",
    "<a href='javascript:alert(1)'>x</a>",
    "&amp;",
    "&#0;",
    "*vet*",
    "_schuin_",
    "[link](http://x.nl)",
    "`code`",
    "```",
    "||spoiler||",
    "# kop",
    # SQL, format strings, paths
    "'; DROP TABLE spreekuren; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM stats_counts;--",
    "%s%s%n",
    "{0}",
    "{value}",
    "${jndi:ldap://x}",
    "\\",
    "../../etc/passwd",
    # length-changing case, compatibility forms, digits of other scripts
    "İ",
    "ß",
    "ﬁ",
    "Ⅻ",
    "²",
    "٦٢٢١",
    "𝟔𝟐𝟐𝟏",
    "６２２１ＡＢ",
    "ǅ",
    "\u0301",
)

DOMAIN_WORDS: tuple[str, ...] = (
    "er",
    "is",
    "brand",
    "nu",
    "op dit moment",
    "gisteren",
    "help",
    "vuilniszakken",
    "naast de container",
    "fiets gestolen",
    "my neighbour is hitting his wife",
    "right now",
    "Maastricht",
    "6221",
    "6221 AB",
    "6224",
    "6201",
    "1011 AB",
    "Wyck",
    "Malberg",
    "Noord-Oost",
    "noord-oost",
    "centrum",
    "elke",
    "eerste",
    "dinsdag",
    "van de maand",
    "t/m",
    "tot",
    "vanaf",
    "3-12-2026",
    "30 juni 2027",
    "morgen",
    "14:00-15:30",
    "14u-15u30",
    "9.30–11.00",
    "uur",
    "|",
    ",",
    "-",
)


def hostile_text(max_pieces: int = 12) -> st.SearchStrategy[str]:
    """Text made of any unicode, hostile fragments and domain words, in any order."""
    piece = st.one_of(
        st.text(max_size=20),
        st.sampled_from(FRAGMENTS),
        st.sampled_from(DOMAIN_WORDS),
        st.sampled_from((" ", "  ", "\n", ",", ".")),
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


def long_text() -> st.SearchStrategy[str]:
    """A hostile piece repeated up to 1, 10 or 100 kB."""

    def repeat(piece: str, size: int) -> str:
        return (piece * (size // len(piece) + 1))[:size]

    return st.builds(
        repeat, hostile_text(4).filter(bool), st.sampled_from((1_000, 10_000, 100_000))
    )


def any_text() -> st.SearchStrategy[str]:
    """Short hostile text most of the time, a long one sometimes."""
    return st.one_of(hostile_text(), hostile_text(), long_text())


def repeated(piece: str, size: int) -> str:
    """PIECE repeated to exactly SIZE characters."""
    return (piece * (size // len(piece) + 1))[:size]


NOISE_FLOOR = 0.002  # seconds on the large input: below this a ratio says nothing
MAX_RATIO = 20.0  # for a 10x longer input; linear is ~10, quadratic ~100


@dataclass(frozen=True)
class Scaling:
    """How one function's time grew from the small to the large input."""

    small: float
    large: float

    @property
    def ratio(self) -> float:
        """Large time over small time."""
        return self.large / max(self.small, 1e-6)

    @property
    def linear(self) -> bool:
        """Too fast to tell, or growing no faster than MAX_RATIO for a 10x input."""
        return self.large < NOISE_FLOOR or self.ratio < MAX_RATIO

    def __str__(self) -> str:
        if self.large == math.inf:
            return f"{self.small * 1e3:.2f} ms -> stopped, over its time budget"
        return f"{self.small * 1e3:.2f} ms -> {self.large * 1e3:.2f} ms (x{self.ratio:.1f})"


class _OverBudget(BaseException):  # not an Exception: no code under test may swallow it
    """The time budget of one run is spent."""


def best_time(
    func: Callable[[str], object], text: str, repeat: int = 3, budget: float = 0.0
) -> float:
    """The fastest of REPEAT runs of FUNC(TEXT), in seconds (the least disturbed one).

    With a BUDGET (seconds), a run still going then is stopped by SIGALRM (the regex engine
    checks for signals) and counts as endless: a quadratic pattern fails within seconds instead
    of hanging the suite for minutes.
    """
    best = float("inf")
    for _ in range(repeat):
        best = min(best, _timed(func, text, budget))
    return best


def _timed(func: Callable[[str], object], text: str, budget: float) -> float:
    def stop(signum: int, frame: object) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, stop) if budget else None
    if budget:
        signal.setitimer(signal.ITIMER_REAL, budget)
    start = time.perf_counter()
    try:
        func(text)
    except _OverBudget:
        return math.inf
    finally:
        if budget:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return time.perf_counter() - start


def scaling(
    func: Callable[[str], object], piece: str, small: int = 10_000, large: int = 100_000
) -> Scaling:
    """FUNC on PIECE repeated to SMALL and to LARGE characters (10x by default).

    The large input gets three times what linear growth allows, at least 0.5 s, at most 5 s.
    """
    large_text, small_text = repeated(piece, large), repeated(piece, small)
    found = Scaling(0.0, 0.0)
    for repeat in (1, 3):  # a second, closer look before calling it super-linear: shared machine
        little = best_time(func, small_text, repeat=repeat)
        budget = min(max(3 * MAX_RATIO * little, 0.5), 5.0)
        found = Scaling(little, best_time(func, large_text, repeat=repeat, budget=budget))
        if found.linear:
            break
    return found
