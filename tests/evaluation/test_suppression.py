"""Small cells are hidden, and nothing hidden can be worked out from what is published."""

from __future__ import annotations

import random

import pytest

from evaluation.suppression import MIN_CHILDREN, TOTAL, Table, reconstructable, suppress


def table_of(counts: dict[tuple[str, str], int], rows: list[str], columns: list[str]) -> Table:
    """One lookup per child: a cell of n counts n children."""
    table = Table("t", "t", rows, columns)
    serial = 0
    for (row, column), n in counts.items():
        for _ in range(n):
            serial += 1
            table.add(row, column, f"child-{serial}")
    return table


def test_a_small_cell_is_hidden_and_so_is_one_beside_it() -> None:
    """The abuse: 3 children in one cell, and the row total published; without a
    second hidden cell, total minus the rest gives the 3 back."""
    counts = {
        ("2026-09", "gp"): 3,
        ("2026-09", "ppr"): 40,
        ("2026-09", "psychiatry"): 12,
        ("2026-10", "gp"): 9,
        ("2026-10", "ppr"): 35,
        ("2026-10", "psychiatry"): 20,
    }
    table = suppress(table_of(counts, ["2026-09", "2026-10"], ["gp", "ppr", "psychiatry"]))
    assert ("2026-09", "gp") in table.hidden
    assert len([k for k in table.hidden if k[0] == "2026-09"]) >= 2
    assert len([k for k in table.hidden if k[1] == "gp"]) >= 2
    assert reconstructable(table) == set()
    assert table.published("2026-10", "ppr") == 35


def test_the_attack_works_on_primary_suppression_alone() -> None:
    """The test of the test: with only the small cell hidden, the attack finds it."""
    counts = {("a", "x"): 2, ("a", "y"): 30, ("b", "x"): 20, ("b", "y"): 25}
    table = table_of(counts, ["a", "b"], ["x", "y"])
    table.hidden = {("a", "x")}
    assert reconstructable(table) == {("a", "x")}


def test_a_small_total_is_hidden() -> None:
    table = suppress(table_of({("a", "x"): 2, ("a", "y"): 1}, ["a"], ["x", "y"]))
    assert (TOTAL, TOTAL) in table.hidden
    assert reconstructable(table) == set()


def test_many_children_in_one_cell_count_once_each() -> None:
    table = Table("t", "t", ["a"], ["x"])
    for _ in range(50):
        table.add("a", "x", "the-same-child")
    suppress(table)
    assert ("a", "x") in table.hidden  # 50 lookups, but one child


@pytest.mark.parametrize("seed", range(200))
def test_no_hidden_figure_can_be_reconstructed_in_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, 5))]
    columns = [f"c{i}" for i in range(rng.randint(1, 5))]
    counts = {
        (r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 13, 30]) for r in rows for c in columns
    }
    table = suppress(table_of(counts, rows, columns))
    for key in [(r, c) for r in [*rows, TOTAL] for c in [*columns, TOTAL]]:
        children = len(table.cell(*key).children)
        if 0 < children < MIN_CHILDREN:
            assert key in table.hidden
    assert reconstructable(table) == set()
