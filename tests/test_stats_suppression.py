"""Small-cell suppression: cells under k hidden, and no total that uncovers a hidden cell."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stats import Count, Figure, Suppressed, suppress, suppress_counts

Totals = list[list[int]]


def labels(figures: Sequence[Figure]) -> list[str]:
    return [f.label for f in figures]


def possible_hidden_values(
    cells: Sequence[int], k: int, totals: Totals, shown: Suppressed
) -> dict[int, set[int]]:
    """What someone holding only the printed table can know of each hidden cell (brute force)."""
    hidden = [i for i, f in enumerate(shown.cells) if f.hidden]
    possible: dict[int, set[int]] = {i: set() for i in hidden}
    for guess in itertools.product(range(1, k), repeat=len(hidden)):
        values = [f.exact or 0 for f in shown.cells]
        for i, v in zip(hidden, guess, strict=True):
            values[i] = v
        consistent = True
        for group, figure in zip(totals, shown.totals, strict=True):
            total = sum(values[i] for i in group)
            if figure.exact is not None and total != figure.exact:
                consistent = False
            if figure.exact is None and not figure.low <= total <= figure.high:
                consistent = False
        if consistent:
            for i, v in zip(hidden, guess, strict=True):
                possible[i].add(v)
    return possible


def grid_totals(rows: int, cols: int) -> Totals:
    """Row totals, column totals and the grand total of a rows x cols table."""
    totals = [[r * cols + c for c in range(cols)] for r in range(rows)]
    totals += [[r * cols + c for r in range(rows)] for c in range(cols)]
    totals.append(list(range(rows * cols)))
    return totals


def test_a_cell_under_k_is_shown_as_less_than_k() -> None:
    shown = suppress([0, 1, 4, 5, 120], 5)
    assert labels(shown.cells) == ["0", "<5", "<5", "5", "120"]
    assert [f.json() for f in shown.cells] == [0, "<5", "<5", 5, 120]


def test_k_is_configurable() -> None:
    assert labels(suppress([1, 2, 3, 10], 3).cells) == ["<3", "<3", "3", "10"]
    assert labels(suppress([1, 2, 3], 1).cells) == ["1", "2", "3"]
    assert labels(suppress([1, 9, 10], 10).cells) == ["<10", "<10", "10"]


def test_a_total_with_one_hidden_cell_is_hidden() -> None:
    """The case the rule exists for: 27 - 10 - 15 would give away the hidden 2."""
    shown = suppress([10, 2, 15], 5, [[0, 1, 2]])
    [total] = shown.totals
    assert total.hidden
    assert total.label == "26–29"  # 10 + 15 + (1 to 4): nothing a reader could not work out
    assert total.json() == "26–29"


def test_a_total_with_no_hidden_cell_is_exact() -> None:
    [total] = suppress([10, 5, 15], 5, [[0, 1, 2]]).totals
    assert (total.exact, total.label) == (30, "30")


def test_two_hidden_ones_do_not_give_each_other_away() -> None:
    """Hiding only totals with exactly one hidden cell would print 12 here: 12-10 = 1+1."""
    cells = [1, 1, 10]
    totals: Totals = [[0, 1, 2]]
    shown = suppress(cells, 5, totals)
    assert shown.totals[0].hidden
    assert possible_hidden_values(cells, 5, totals, shown) == {0: {1, 2, 3, 4}, 1: {1, 2, 3, 4}}


def test_a_total_of_only_hidden_cells() -> None:
    shown = suppress([1, 2], 5, [[0, 1], [0]])
    assert labels(shown.totals) == ["2–8", "<5"]


def test_an_empty_total_is_zero() -> None:
    assert labels(suppress([0, 0], 5, [[0, 1], []]).totals) == ["0", "0"]


def test_row_column_and_grand_totals() -> None:
    # 2 x 3 table:   12  3  8  | 23
    #                 6  7  9  | 22
    #                ----------
    #                18 10 17  | 45
    cells = [12, 3, 8, 6, 7, 9]
    shown = suppress(cells, 5, grid_totals(2, 3))
    assert labels(shown.cells) == ["12", "<5", "8", "6", "7", "9"]
    rows, cols, grand = shown.totals[:2], shown.totals[2:5], shown.totals[5]
    assert labels(rows) == ["21–24", "22"]
    assert labels(cols) == ["18", "8–11", "17"]
    assert grand.hidden and grand.label == "43–46"


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress([-1], 5)


def test_ordering_never_uses_a_hidden_value() -> None:
    shown = suppress([1, 4, 9], 5)
    assert shown.cells[0].sort_key == shown.cells[1].sort_key
    assert shown.cells[2].sort_key == 9


def test_counts_and_their_total() -> None:
    cells, total = suppress_counts([Count(("a",), 7), Count(("b",), 2)], 5)
    assert labels(cells) == ["7", "<5"]
    assert total.label == "8–11"


def test_the_auditor_catches_the_naive_rule() -> None:
    """Sanity check of the auditor itself: 'hide a total only with one hidden cell' leaks."""
    cells = [1, 1, 10]
    totals: Totals = [[0, 1, 2]]
    naive = suppress(cells, 5, [])
    leaky = Suppressed(naive.cells, [Figure(12, 12, 12, 5)])
    assert possible_hidden_values(cells, 5, totals, leaky) == {0: {1}, 1: {1}}


tables = st.integers(1, 3).flatmap(
    lambda rows: st.integers(1, 3).flatmap(
        lambda cols: st.tuples(
            st.just(rows),
            st.just(cols),
            st.lists(st.integers(0, 12), min_size=rows * cols, max_size=rows * cols),
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(table=tables, k=st.integers(2, 5))
def test_no_printed_figure_narrows_a_hidden_cell(table: tuple[int, int, list[int]], k: int) -> None:
    """Whatever the table, a reader can place every hidden cell anywhere from 1 to k-1."""
    rows, cols, cells = table
    totals = grid_totals(rows, cols)
    shown = suppress(cells, k, totals)
    for i, possible in possible_hidden_values(cells, k, totals, shown).items():
        assert possible == set(range(1, k)), f"cell {i} of {cells} narrowed to {possible}"
    for group, figure in zip(totals, shown.totals, strict=True):
        true = sum(cells[i] for i in group)
        assert figure.low <= true <= figure.high
        assert figure.hidden == any(shown.cells[i].hidden for i in group)
