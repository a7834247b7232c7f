"""The postcode and buurt parser on hostile input: an answer or AreaNotFound, always well-formed.

`AreaDirectory.lookup` (what a resident types after /gebied, on the page, in the CLI) and
`where_in` (the postcode or buurt a whole message mentions, for counting).
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import cache

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.areas import _FILLER, AreaDirectory, AreaNotFound, AreaResult, Status
from bot.textnorm import normalise

from .conftest import PROPERTY, any_text, hostile_text, scaling

NOT_FOUND_KEYS = {"area.empty", "area.not_found", "area.bad_postcode"}
_POSTCODE_SHOWN = re.compile(r"^[1-9][0-9]{3}(?:[A-Z]{2})?$")


@cache
def directory() -> AreaDirectory:
    """The packaged knowledge, without an imported CBS table."""
    return AreaDirectory.load()


def assert_well_formed(result: AreaResult) -> None:
    """Status, area, buurt and candidates agree with each other and with the knowledge."""
    knowledge = directory().knowledge
    assert result.postcode is None or _POSTCODE_SHOWN.match(result.postcode)
    assert result.area is None or result.area in knowledge.areas
    if result.area is not None:
        assert result.area_name == knowledge.areas[result.area].name
    else:
        assert result.area_name is None
    if result.buurt is not None:
        assert knowledge.buurten[result.buurt].area == result.area
    for candidate in result.candidates:
        assert knowledge.buurten[candidate.buurt].area == candidate.area
    candidate_areas = {c.area for c in result.candidates}
    if result.status == Status.FOUND:
        assert result.in_maastricht and result.area is not None
        assert candidate_areas <= {result.area}
    elif result.status == Status.CHOOSE:
        assert result.in_maastricht and result.area is None and len(candidate_areas) > 1
    elif result.status == Status.OUTSIDE:
        assert not result.in_maastricht and result.area is None and not result.candidates
    else:
        assert result.status == Status.PO_BOX
        assert result.in_maastricht and result.area is None and not result.candidates
    shown = result.to_json()
    assert json.loads(json.dumps(shown, ensure_ascii=False)) == shown


def assert_friendly(exc: AreaNotFound) -> None:
    """A known message key, in both languages, that never echoes a long input whole."""
    assert exc.key in NOT_FOUND_KEYS
    for lang in ("nl", "en"):
        message = exc.message(lang)
        assert message and len(message) < 400


@PROPERTY
@given(any_text())
def test_lookup_answers_or_says_not_found(text: str) -> None:
    try:
        result = directory().lookup(text)
    except AreaNotFound as exc:
        assert_friendly(exc)
        return
    assert_well_formed(result)
    assert result.query == text and not result.approximate


_SEPARATORS = st.sampled_from(["", " ", "  ", "-", " - ", "\t", "\u00a0"])


@PROPERTY
@given(
    st.integers(1000, 9999),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=2),
    _SEPARATORS,
    st.sampled_from([None, 1, 12, 123, 99999]),
    st.booleans(),
    st.sampled_from(["", " maastricht", ", Maastricht", ", Nederland", " "]),
)
def test_every_postcode_form_reads_the_same(
    pc4: int, letters: str, separator: str, number: int | None, upper: bool, place: str
) -> None:
    """'6221 AB', '6221ab', '6221-AB 12', ', Maastricht': the same postcode, or a clear no."""
    typed = f"{pc4}{separator}{letters.upper() if upper else letters}"
    if number is not None:
        typed += f" {number}"
    typed += place
    try:
        result = directory().lookup(typed)
    except AreaNotFound as exc:
        assert exc.key == "area.bad_postcode" and letters in ("sa", "sd", "ss"), typed
        return
    assert letters not in ("sa", "sd", "ss")
    assert_well_formed(result)
    assert result.postcode == f"{pc4}{letters.upper()}"
    assert result.in_maastricht == (str(pc4) in directory().knowledge.postcodes)


def _names() -> list[tuple[str, str]]:
    """Every buurt name and alias with the buurt it stands for."""
    knowledge = directory().knowledge
    return [(label, b.name) for b in knowledge.buurten.values() for label in (b.name, *b.aliases)]


@PROPERTY
@given(
    st.sampled_from(_names()),
    st.sampled_from(["{}", "{} ", "ik woon in {}", "buurt {}, Maastricht", "  {}  "]),
    st.sampled_from([str, str.upper, str.lower, str.title]),
)
def test_a_buurt_name_finds_its_buurt(name: tuple[str, str], frame: str, case: object) -> None:
    label, buurt = name
    # "Wijk" (Wyck) is also the filler word "wijk": "ik woon in wijk" stays ambiguous.
    assume(frame.strip() == "{}" or normalise(label) not in _FILLER)
    result = directory().lookup(frame.format(case(label)))  # type: ignore[operator]
    assert_well_formed(result)
    assert result.buurt == buurt or buurt in {c.buurt for c in result.candidates}


@PROPERTY
@given(any_text())
def test_where_in_any_text(text: str) -> None:
    """None or a Maastricht PC4, None or one of the four areas; never a guess."""
    where = directory().where_in(text)
    knowledge = directory().knowledge
    assert where.pc4 is None or where.pc4 in knowledge.postcodes
    assert where.area is None or where.area in knowledge.areas
    if where.pc4 is not None:
        assert where.area == directory().lookup(where.pc4).area


@PROPERTY
@given(
    hostile_text().filter(lambda s: not any(c.isdigit() for c in s)),
    st.sampled_from(sorted(directory().knowledge.postcodes)),
    any_text(),
)
def test_where_in_finds_the_first_postcode(before: str, pc4: str, after: str) -> None:
    """A Maastricht PC4 standing apart in a message is the one counted, whatever surrounds it."""
    text = f"{before} {pc4}  {after}"
    assume(len(before) + 6 < 4096)
    where = directory().where_in(text)
    assert where.pc4 == pc4
    assert where.area == directory().lookup(pc4).area


# -- time on long input -----------------------------------------------------------------------

AREA_PIECES = (",", ", ", " ", "a", "6221 ", "6221ab,", "maastricht ", "wyck malberg ", "🔥<b>")


@pytest.mark.parametrize("piece", AREA_PIECES)
def test_lookup_and_where_in_time_grows_linearly(piece: str) -> None:
    def lookup(text: str) -> None:
        with contextlib.suppress(AreaNotFound):
            directory().lookup(text)

    for name, func in (("lookup", lookup), ("where_in", directory().where_in)):
        grown = scaling(func, piece)
        assert grown.linear, f"{name}({piece!r} x 100,000): {grown}"
