"""The router and the danger check on hostile input: never a crash, always a well-formed answer,
and no pattern that takes super-linear time on long input.

Inputs: any unicode, control characters, right-to-left text, emoji, markup, SQL-looking text and
100 kB strings (see conftest.py). Growth is counted, never timed: the same adversarial text at
10x the length may make at most ~20x as many calls (linear is ~10x, quadratic ~100x), and every
danger pattern must be linear by its structure (the seconds are in bench/scaling_bench.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaged import packaged_router

from bot import danger
from bot.meldkaart import DangerRules, Meldkaart
from bot.routing import Router, RouteResult
from bot.textnorm import MAX_CHARS, normalise

from .conftest import FRAGMENTS, PROPERTY, any_text, linear_pattern, repeated, scaling

LANGUAGES = ("nl", "en", "de", "fr")
JSON_KEYS = {
    "channel",
    "situation",
    "alternatives",
    "emergency",
    "confidence",
    "language",
    "decided_by",
}


@cache
def router() -> Router:
    return packaged_router()


def kaart() -> Meldkaart:
    return router().meldkaart


def assert_well_formed(result: RouteResult) -> None:
    """Every field typed and consistent with the others and with the meldkaart."""
    channels, situations = kaart().channels, kaart().situations
    assert isinstance(result, RouteResult)
    assert result.channel is None or result.channel in channels
    assert result.situation is None or result.situation in situations
    assert (result.channel is None) == (result.situation is None)
    if result.info is not None:
        assert result.info in situations and not situations[result.info].is_report
        assert result.channel is None and not result.emergency
    assert isinstance(result.alternatives, tuple)
    assert all(a in channels for a in result.alternatives)
    assert result.channel not in result.alternatives
    assert len(set(result.alternatives)) == len(result.alternatives)
    assert all(c in situations for c in result.choices)
    assert type(result.emergency) is bool
    assert result.emergency == (result.channel == "112")
    assert (result.danger is not None) == result.emergency
    assert isinstance(result.confidence, float) and 0.0 <= result.confidence <= 1.0
    if result.channel is None:
        assert not result.alternatives and not result.choices
    assert result.language in LANGUAGES
    shown = result.to_json()
    assert set(shown) == JSON_KEYS
    assert json.loads(json.dumps(shown, ensure_ascii=False)) == shown
    assert json.loads(json.dumps(shown)) == shown


@PROPERTY
@given(any_text())
def test_any_text_gets_a_well_formed_answer(text: str) -> None:
    result = router().route(text)
    assert_well_formed(result)
    assert router().route(text) == result  # the spelling-slip cache changes nothing


@settings(PROPERTY, max_examples=15)
@given(st.text(min_size=1, max_size=50))
def test_text_beyond_the_limit_is_ignored(tail: str) -> None:
    head = repeated("er staan vuilniszakken naast de container ", MAX_CHARS)
    assert router().route(head + tail) == router().route(head)


# Separators that add no words: emoji, markup symbols, right-to-left marks, control characters.
# No letters in any script: the learned layer's sentence encoder reads Arabic too ("هناك حريق" is
# "there is a fire"), so a fragment the rules' normalisation drops is not noise to it.
_DECORATION = st.lists(
    st.sampled_from(
        [f for f in FRAGMENTS if not any(c.isalnum() for c in f)]
        + [" ", "  ", "!", "?!", "...", "*", "<>", "\n"]
    ),
    min_size=1,
    max_size=3,
).map(lambda parts: " " + "".join(parts) + " ")


@PROPERTY
@given(st.lists(_DECORATION, min_size=12, max_size=12), st.sampled_from(["nl", "en"]))
def test_decoration_keeps_the_obvious_answers(gaps: list[str], lang: str) -> None:
    """Emoji, markup and bidi marks between the words change neither 112 nor the melddesk."""
    sentences = {
        "nl": ("er is brand in mijn keuken nu", "er staan weer vuilniszakken naast de container"),
        "en": ("there is a fire in my kitchen right now", "rubbish bags next to the container"),
    }[lang]
    fire, rubbish = (
        "".join(w + gap for w, gap in zip(s.split(), gaps, strict=False)) for s in sentences
    )
    burning = router().route(fire)
    assert burning.emergency and burning.channel == "112", fire
    assert router().route(rubbish).channel == "melddesk", rubbish


@settings(PROPERTY, max_examples=30)
@given(any_text(), st.sampled_from(LANGUAGES))
def test_danger_check_takes_any_text(text: str, lang: str) -> None:
    """Normalised or not: None or a known kind, and 'happening now' is a plain yes or no.

    (Raw text is cut like normalised text is; its time on long input is checked below.)
    """
    rules = kaart().danger
    kinds = {k.id: k.situation for k in rules.kinds}
    for candidate in (text[:MAX_CHARS], normalise(text)):
        found = danger.check(candidate, rules, lang)
        if found is not None:
            assert found.kind in kinds and found.situation == kinds[found.kind]
            assert type(found.certain) is bool
        assert type(danger.happening_now(candidate, rules, lang)) is bool


# -- time on long input -----------------------------------------------------------------------

# Adversarial pieces: one endless word, compounds, runs of spaces, words that almost match a
# danger pattern or a key word group again and again, many different unknown words.
ROUTER_PIECES = (
    "a",
    "vuilnis",
    "hondenpoepvuilniszak",
    "brand ",
    "     x",
    "rook de de de de ",
    "in brand gestoken ",
    "zit aan het ",
    "is bezig ",
    "niet niet meer ",
    "help help snel ",
    "dood wil ",
    "geen stroom geen ",
    "my neighbour is ",
    "6221 ab ",
    "🔥<b>&amp;",
    "qwertyuiopasdfghjklzxcvbnm ",
    "abcdefghijklmnopqrstuvwxyz",
)


@pytest.mark.parametrize("piece", ROUTER_PIECES)
def test_router_work_grows_linearly(piece: str) -> None:
    """Below the 4,096-character cut (400 -> 4,000) and above it (10 kB -> 100 kB)."""
    for small, large in ((400, 4_000), (10_000, 100_000)):
        grown = scaling(router().route, piece, small, large)
        assert grown.linear, f"route({piece!r} x {large}): {grown}"


# Every cue list of danger.yaml, so a new one is checked without being named here.
CUE_SETS = tuple(f.name for f in dataclasses.fields(DangerRules) if f.name.endswith("_cues"))


def _danger_matchers() -> list[tuple[str, re.Pattern[str]]]:
    """Every regex the danger check runs, as the check combines them."""
    rules = kaart().danger
    found: list[tuple[str, re.Pattern[str]]] = []
    for kind in rules.kinds:
        for name, matcher in (("patterns", kind.matcher), ("guards", kind.guard)):
            if matcher is not None:
                found.append((f"{kind.id}.{name}", matcher))
    for cues in CUE_SETS:
        for lang in LANGUAGES:
            matcher = danger._cue_matcher(getattr(rules, cues), lang)
            if matcher is not None:
                found.append((f"{cues}.{lang}", matcher))
    if rules.signals is not None:
        found.extend((f"signals.{g.name}", g.matcher) for g in rules.signals.groups)
    unique = {matcher.pattern: (name, matcher) for name, matcher in reversed(found)}
    return list(unique.values())


def _single_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every single pattern of danger.yaml, with where it stands."""
    rules = kaart().danger
    found = []
    for kind in rules.kinds:
        found += [(f"{kind.id}.patterns", p) for p in kind.patterns]
        found += [(f"{kind.id}.guards", p) for p in kind.guards]
    for cues in CUE_SETS:
        found += [(cues, c.pattern) for c in getattr(rules, cues)]
    return found


GENERIC_PIECES = (
    "a",
    " ",
    "in brand gestoken ",
    "rook is zit ligt nog help kind man de het een ",
    "abcdefghij klmnopqrst ",
)


def test_danger_matchers_are_linear_by_structure() -> None:
    """The combined regexes of every kind, cue set and signal group."""
    slow = [f"{name}: {why}" for name, m in _danger_matchers() if (why := linear_pattern(m))]
    assert slow == []


def test_each_danger_pattern_is_linear_by_structure() -> None:
    """Every single pattern of danger.yaml, so the message names the one to fix."""
    patterns = _single_patterns()
    slow = [f"{name} {p.pattern!r}: {why}" for name, p in patterns if (why := linear_pattern(p))]
    assert slow == []


@pytest.mark.parametrize("piece", GENERIC_PIECES[2:])
def test_danger_check_work_grows_linearly(piece: str) -> None:
    rules = kaart().danger
    grown = scaling(lambda text: danger.check(text, rules, "nl"), piece)
    assert grown.linear, f"danger.check on {piece!r}: {grown}"


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bin brand gestoken\b.*\b(geblust|al uit)\b",  # the old fire guard: '.*' to the end
        r"brand[\w']*weer",  # starts inside a word: a 100 kB word is tried 100,000 times
        r"\b(?:\w+\s*)+x",  # a repeat of words and spaces
    ],
)
def test_the_structure_check_catches_super_linear_patterns(pattern: str) -> None:
    assert linear_pattern(re.compile(pattern)) is not None


def test_the_structure_check_accepts_the_linear_forms() -> None:
    for pattern in (
        r"\bbrand[\w']*\b",
        r"\bin brand gestoken\b(?:(?!\bin brand gestoken\b).)*\b(geblust|al uit)\b",
        r"\b(?:\w+\s+){0,4}brand\b",
    ):
        assert linear_pattern(re.compile(pattern)) is None, pattern


def test_the_work_count_catches_quadratic_code() -> None:
    """The check itself: a function that looks at every pair of words fails it."""

    def pairs(text: str) -> int:
        words = text.split()
        return sum(1 for a in words for b in words if len(a) < len(b))

    assert not scaling(pairs, "in brand ", 200, 2_000).linear
