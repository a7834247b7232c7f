"""Small-cell suppression: every count, a line or a total, shown as its band of k, so no figure is
exact and no difference of figures gives a small count away; a table under k shows no lines."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stats import Count, Figure, Suppressed, fold, suppress, suppress_counts

Totals = list[list[int]]


def labels(figures: Sequence[Figure]) -> list[str]:
    return [f.label for f in figures]


def possible_cell_values(
    cells: Sequence[int], k: int, totals: Totals, shown: Suppressed
) -> dict[int, set[int]]:
    """What someone holding only the printed table can know of each cell (brute force)."""
    ranges = [range(f.low, f.high + 1) for f in shown.cells]
    possible: dict[int, set[int]] = {i: set() for i in range(len(cells))}
    for values in itertools.product(*ranges):
        if all(
            figure.low <= sum(values[i] for i in group) <= figure.high
            for group, figure in zip(totals, shown.totals, strict=True)
        ):
            for i, v in enumerate(values):
                possible[i].add(v)
    return possible


def grid_totals(rows: int, cols: int) -> Totals:
    """Row totals, column totals and the grand total of a rows x cols table."""
    totals = [[r * cols + c for c in range(cols)] for r in range(rows)]
    totals += [[r * cols + c for r in range(rows)] for c in range(cols)]
    totals.append(list(range(rows * cols)))
    return totals


def test_a_count_is_shown_as_its_band() -> None:
    shown = suppress([0, 1, 4, 5, 9, 10, 47, 120], 5)
    assert labels(shown.cells) == ["0", "<5", "<5", "5–9", "5–9", "10–14", "45–49", "120–124"]
    assert [f.json() for f in shown.cells][:4] == [0, "<5", "<5", "5–9"]
    assert [f.exact for f in shown.cells] == [0, *[None] * 7]  # only nothing is exact


def test_k_is_configurable() -> None:
    assert labels(suppress([1, 2, 3, 10], 3).cells) == ["<3", "<3", "3–5", "9–11"]
    assert labels(suppress([1, 2, 3], 1).cells) == ["1", "2", "3"]  # k = 1: no suppression
    assert labels(suppress([1, 9, 10, 19], 10).cells) == ["<10", "<10", "10–19", "10–19"]


def test_a_total_is_the_band_of_its_own_count() -> None:
    """The same band as the same questions asked for without a breakdown."""
    [total] = suppress([10, 2, 15], 5, [[0, 1, 2]]).totals
    assert (total.exact, total.label, total.json()) == (None, "25–29", "25–29")
    assert total == Figure.band(27, 5)


def test_a_table_under_k_shows_no_lines() -> None:
    """Four lines "<5" under a total "<5" would be 1 each."""
    cells, total = suppress_counts([Count((s,), 1) for s in "abcd"], 5)
    assert labels(cells) == ["<5"] * 4 and fold(total)
    _, total = suppress_counts([Count(("a",), 3), Count(("b",), 2)], 5)
    assert not fold(total)  # 5: "5–9", the lines may be shown


def test_the_reported_leak_is_closed() -> None:
    """`--by situation` printed 41, 17, <5 and 59–62, while `--by ""` printed 60: 60 - 58 = 2."""
    by_situation = suppress([41, 17, 2], 5, [[0, 1, 2]])
    assert labels(by_situation.cells) == ["40–44", "15–19", "<5"]
    assert labels(by_situation.totals) == ["60–64"]
    alone = Figure.band(60, 5)  # the same 60 questions asked for without a breakdown
    assert alone == by_situation.totals[0]
    # Everything both outputs say, together: the hidden cell can still be anything under 5.
    possible = {
        hidden
        for a, b, hidden in itertools.product(range(40, 45), range(15, 20), range(1, 5))
        if alone.low <= a + b + hidden <= alone.high
    }
    assert possible == {1, 2, 3, 4}


def test_an_empty_total_is_zero() -> None:
    assert labels(suppress([0, 0], 5, [[0, 1], []]).totals) == ["0", "0"]


def test_row_column_and_grand_totals() -> None:
    # 2 x 3 table:   12  3  8  | 23
    #                 6  7  9  | 22
    cells = [12, 3, 8, 6, 7, 9]
    shown = suppress(cells, 5, grid_totals(2, 3))
    assert labels(shown.cells) == ["10–14", "<5", "5–9", "5–9", "5–9", "5–9"]
    rows, cols, grand = shown.totals[:2], shown.totals[2:5], shown.totals[5]
    assert labels(rows) == ["20–24", "20–24"]
    assert labels(cols) == ["15–19", "10–14", "15–19"]
    assert grand.label == "45–49"


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress([-1], 5)


def test_ordering_never_uses_a_hidden_value() -> None:
    shown = suppress([1, 4, 6, 9], 5)
    assert shown.cells[0].sort_key == shown.cells[1].sort_key
    assert shown.cells[2].sort_key == shown.cells[3].sort_key


def test_counts_and_their_total() -> None:
    cells, total = suppress_counts([Count(("a",), 7), Count(("b",), 2)], 5)
    assert labels(cells) == ["5–9", "<5"]
    assert total.label == "5–9"


def test_the_auditor_catches_an_exact_total() -> None:
    """Sanity check of the auditor itself: the old rule's exact figures leak. Cells 10 and 2
    were printed as "10" and "<5", and the same 12 questions asked for alone as "12"."""
    cells = [10, 2]
    totals: Totals = [[0, 1]]
    old = Suppressed([Figure(10, 10, 10, 5), Figure(None, 1, 4, 5)], [Figure(12, 12, 12, 5)])
    assert possible_cell_values(cells, 5, totals, old)[1] == {2}
    assert possible_cell_values(cells, 5, totals, suppress(cells, 5, totals))[1] == {1, 2, 3, 4}


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(st.integers(0, 14), min_size=1, max_size=3), k=st.integers(5, 7))
def test_a_total_minus_its_other_lines_never_pins_a_line(cells: list[int], k: int) -> None:
    """A table of up to three lines and its total (k 5 or more): a small line keeps two
    values or more, unless the table is folded and its lines are not shown at all."""
    totals: Totals = [list(range(len(cells)))]
    shown = suppress(cells, k, totals)
    assert shown.totals[0].low <= sum(cells) <= shown.totals[0].high
    if fold(shown.totals[0]):
        return
    for i, possible in possible_cell_values(cells, k, totals, shown).items():
        assert cells[i] in possible
        if shown.cells[i].small:
            assert len(possible) >= 2, f"line {i} of {cells} pinned to {possible}"


@settings(max_examples=300, deadline=None)
@given(inner=st.integers(0, 200), between=st.integers(1, 9), k=st.integers(4, 10))
def test_no_two_bands_give_away_what_lies_between_them(inner: int, between: int, k: int) -> None:
    """A count Q and a larger one P = Q + H with H under k (a day more in the window, one
    situation more, all areas against one): their bands leave H at two values or more, and at
    every value 1..k-1 when P is shown from k on."""
    if between >= k:
        return
    small, large = Figure.band(inner, k), Figure.band(inner + between, k)
    possible = {
        h
        for h in range(1, k)
        if any(large.low <= q + h <= large.high for q in range(small.low, small.high + 1))
    }
    assert between in possible and len(possible) >= 2
    if not large.small:
        assert possible == set(range(1, k))
