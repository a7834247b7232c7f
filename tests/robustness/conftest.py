"""Hostile input for the property tests, and the scaling check for patterns on long input.

`hostile_text()` mixes any unicode (control characters included) with right-to-left text, emoji,
markup, SQL- and format-string-looking text, characters whose case or compatibility form
changes their length, and words of the domain, so the parsers get past their first check.
`long_text()` repeats such a piece up to 100 kB. `scaling()` counts the calls a function makes
on 10 kB and 100 kB of the same adversarial text (a linear function makes about 10x as many, a
quadratic one 100x): counted work, not seconds, so a busy machine cannot fail it.
`linear_pattern()` checks a regular expression by its structure, since its work is not counted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

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


MAX_RATIO = 20.0  # for a 10x longer input; linear is ~10, quadratic ~100


@dataclass(frozen=True)
class Scaling:
    """How much work one function did on the small and on the large input."""

    small: int
    large: int

    @property
    def ratio(self) -> float:
        """Large work over small work."""
        return self.large / max(self.small, 1)

    @property
    def linear(self) -> bool:
        """Growing no faster than MAX_RATIO for a 10x input."""
        return self.ratio < MAX_RATIO

    def __str__(self) -> str:
        return f"{self.small:,} -> {self.large:,} calls (x{self.ratio:.1f})"


def work(func: Callable[[str], object], text: str) -> int:
    """The function calls (Python and C) FUNC(TEXT) makes: a count, the same on a busy machine.

    Run once before counting, so caches filled on a first call do not count.
    """
    func(text)
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        func(text)
    finally:
        sys.setprofile(None)
    return calls


def scaling(
    func: Callable[[str], object], piece: str, small: int = 10_000, large: int = 100_000
) -> Scaling:
    """The work of FUNC on PIECE repeated to SMALL and to LARGE characters (10x by default).

    A regular expression is one C call however long it runs: patterns are checked by their
    structure instead (`linear_pattern`), and the seconds are in bench/scaling_bench.py.
    """
    return Scaling(work(func, repeated(piece, small)), work(func, repeated(piece, large)))


_WORD_REPEATS = (  # each stops at the first character of another kind
    [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD)])],
    [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD), (_c.LITERAL, ord("'"))])],
    [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_SPACE)])],
)


def linear_pattern(pattern: re.Pattern[str]) -> str | None:
    """Why `pattern.search` may take super-linear time on long text, or None when it cannot.

    Linear by construction: every unbounded repeat repeats word characters or spaces only (it
    stops at the next character of the other kind) or is a tempered dot `(?:(?!X).)*` (it stops
    at the next X), and every alternative with such a repeat starts at a word boundary, so a
    long word is tried once.
    """
    tree = list(_parser.parse(pattern.pattern, pattern.flags))
    for body in _unbounded(tree):
        if body not in [list(b) for b in _WORD_REPEATS] and not _tempered_dot(body):
            return f"an unbounded repeat of {body!r} can run to the end of the text"
    for branch in _alternatives(tree):
        if any(True for _ in _unbounded(branch)) and branch[:1] != [(_c.AT, _c.AT_BOUNDARY)]:
            return "an alternative with an unbounded repeat does not start at a word boundary"
    return None


def _unbounded(items: list[tuple[object, object]]) -> Iterator[list[tuple[object, object]]]:
    for op, av in items:
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            _low, high, body = av  # type: ignore[misc]
            if high == _c.MAXREPEAT:
                yield list(body)
            yield from _unbounded(list(body))
        elif op is _c.SUBPATTERN:
            yield from _unbounded(list(av[-1]))  # type: ignore[index]
        elif op is _c.BRANCH:
            for branch in av[1]:  # type: ignore[index]
                yield from _unbounded(list(branch))
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _unbounded(list(av[1]))  # type: ignore[index]


def _tempered_dot(body: list[tuple[object, object]]) -> bool:
    if len(body) == 1 and body[0][0] is _c.SUBPATTERN:
        body = list(body[0][1][-1])  # type: ignore[index]
    return len(body) == 2 and body[0][0] is _c.ASSERT_NOT and body[1][0] is _c.ANY


def _alternatives(items: list[tuple[object, object]]) -> list[list[tuple[object, object]]]:
    if len(items) == 1 and items[0][0] is _c.BRANCH:
        return [alt for b in items[0][1][1] for alt in _alternatives(list(b))]  # type: ignore[index]
    if len(items) == 1 and items[0][0] is _c.SUBPATTERN:
        return _alternatives(list(items[0][1][-1]))  # type: ignore[index]
    return [items]
