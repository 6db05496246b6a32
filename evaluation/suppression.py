"""Small-cell suppression: no published figure rests on fewer than five children,
and no suppressed figure can be worked out from the published ones.

A table is cells (row, column) with a value (lookups, permits, ...) and the set
of distinct children behind it; rows and columns have totals, and there is a
grand total. Primary suppression hides every cell (and total) with 1 to 4
children. Complementary suppression then hides more until no row or column
equation (cells plus total) has exactly one hidden term, so subtracting the
published from a total never gives a hidden figure, also not step by step
(`reconstructable` is that attack, and the tests run it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MIN_CHILDREN = 5

Key = tuple[str, str]
TOTAL = "total"


@dataclass
class Cell:
    value: int = 0
    children: set[str] = field(default_factory=set)

    def add(self, child: str, value: int = 1) -> None:
        self.value += value
        self.children.add(child)


@dataclass
class Table:
    """Counts by row and column, with totals; `hidden` after `suppress`."""

    name: str
    title: str
    rows: list[str]
    columns: list[str]
    cells: dict[Key, Cell] = field(default_factory=dict)
    hidden: set[Key] = field(default_factory=set)
    known: dict[Key, int] = field(default_factory=dict)
    """Figures of this table that another published table already gives away (a
    month's GP lookups outside the window are that month's total of the days
    table): never hidden, and known to the attacker (`link`)."""

    def add(self, row: str, column: str, child: str, value: int = 1) -> None:
        if row not in self.rows or column not in self.columns:
            raise KeyError(f"{self.name}: no cell ({row}, {column})")
        self.cells.setdefault((row, column), Cell()).add(child, value)

    def cell(self, row: str, column: str) -> Cell:
        """Any cell, including totals (`TOTAL` as row or column)."""
        if row == TOTAL or column == TOTAL:
            members = [
                c
                for (r, k), c in self.cells.items()
                if (row == TOTAL or r == row) and (column == TOTAL or k == column)
            ]
            total = Cell()
            for member in members:
                total.value += member.value
                total.children |= member.children
            return total
        return self.cells.get((row, column), Cell())

    def lines(self) -> list[list[Key]]:
        """Every additive equation: a row's cells and its total, a column's cells
        and its total, and the totals row and column with the grand total."""
        rows = [*self.rows, TOTAL]
        columns = [*self.columns, TOTAL]
        return [[(r, c) for c in columns] for r in rows] + [[(r, c) for r in rows] for c in columns]

    def published(self, row: str, column: str) -> int | None:
        return None if (row, column) in self.hidden else self.cell(row, column).value


def prune(table: Table) -> Table:
    """Drop rows and columns with nothing in them (a sector that never asked): an
    empty line is no secret, and hiding one would protect nothing."""
    used = {k for k, c in table.cells.items() if c.children}
    rows = [r for r in table.rows if any(k[0] == r for k in used)]
    columns = [c for c in table.columns if any(k[1] == c for k in used)]
    table.rows = rows or table.rows[:1]
    table.columns = columns or table.columns[:1]
    table.cells = {k: c for k, c in table.cells.items() if k in used}
    return table


def _spread_known(table: Table) -> None:
    """A figure that is the only one left in a line beside figures published
    elsewhere and empty cells is public too (a month's GP lookups all outside the
    window are that month's GP lookups): hiding it would protect nothing, and the
    attack would find it. Only figures of at least five children spread."""
    changed = bool(table.known)
    while changed:
        changed = False
        for line in table.lines():
            if not any(k in table.known for k in line):
                continue
            rest = [k for k in line if k not in table.known and table.cell(*k).children]
            if len(rest) == 1 and len(table.cell(*rest[0]).children) >= MIN_CHILDREN:
                table.known[rest[0]] = table.cell(*rest[0]).value
                changed = True


def suppress(table: Table) -> Table:
    """Hide small cells, then what would give them away; returns the table.

    Complements are the other figures of the line with the fewest children, never
    an empty cell (it may be known to be empty, so hiding it protects nothing),
    never a figure published elsewhere (`Table.known`), cells before totals."""
    prune(table)
    _spread_known(table)
    keys = [(r, c) for r in [*table.rows, TOTAL] for c in [*table.columns, TOTAL]]
    table.hidden = {
        k for k in keys if 0 < len(table.cell(*k).children) < MIN_CHILDREN and k not in table.known
    }

    def cost(key: Key) -> tuple[bool, int, int]:
        cell = table.cell(*key)
        return (TOTAL in key, len(cell.children), cell.value)

    changed = True
    while changed:
        changed = False
        for line in table.lines():
            hidden = [k for k in line if k in table.hidden]
            if len(hidden) != 1:
                continue
            candidates = [
                k
                for k in line
                if k not in table.hidden and k not in table.known and table.cell(*k).children
            ]
            if not candidates:
                continue  # the rest is empty: the hidden figure is the total's, hidden too
            table.hidden.add(min(candidates, key=cost))
            changed = True
    if reconstructable(table):
        # A line whose other figures are all published elsewhere or empty: fail
        # closed, every figure not already public is hidden.
        table.hidden = {k for k in keys if k not in table.known and table.cell(*k).children}
    return table


def reconstructable(table: Table) -> set[Key]:
    """The hidden figures an attacker works out from the published ones by
    subtracting along rows and columns, repeatedly. Must be empty."""
    known: dict[Key, int] = {
        (r, c): table.cell(r, c).value
        for r in [*table.rows, TOTAL]
        for c in [*table.columns, TOTAL]
        if (r, c) not in table.hidden
    }
    known |= table.known
    found: set[Key] = set()
    progress = True
    while progress:
        progress = False
        for line in table.lines():
            unknown = [k for k in line if k not in known]
            if len(unknown) != 1:
                continue
            (missing,) = unknown
            total_key = line[-1]
            parts = sum(known[k] for k in line[:-1] if k in known)
            known[missing] = parts if missing == total_key else known[total_key] - parts
            found.add(missing)
            progress = True
    return found


def rows_of(items: Iterable[str]) -> list[str]:
    return sorted(set(items), key=str)


def derivable_sum(table: Table, keys: Iterable[Key]) -> int | None:
    """What the figures at `keys` add up to, if an attacker can work it out from
    the published figures of `table` by any linear combination of its row and
    column equations (not just by subtracting along one line); else None.

    Another table whose totals are this sum (the municipal units' lookups of a
    month are the month's family department and PPR lookups) must then treat
    the sum as public (`Table.known`)."""
    import numpy as np

    grid = [(r, c) for r in [*table.rows, TOTAL] for c in [*table.columns, TOTAL]]
    unknown = sorted(k for k in grid if k in table.hidden)
    where = {k: i for i, k in enumerate(unknown)}
    wanted = np.zeros(len(unknown))
    constant = 0
    for key in keys:
        if key in where:
            wanted[where[key]] += 1
        else:
            constant += table.cell(*key).value
    if not wanted.any():
        return constant
    equations, sums = [], []
    for line in table.lines():
        row = np.zeros(len(unknown))
        value = 0
        for i, key in enumerate(line):
            sign = -1 if i == len(line) - 1 else 1  # cells minus their total is 0
            if key in where:
                row[where[key]] += sign
            else:
                value -= sign * table.cell(*key).value
        if row.any():
            equations.append(row)
            sums.append(value)
    if not equations:
        return None
    system = np.array(equations)
    if np.linalg.matrix_rank(np.vstack([system, wanted])) != np.linalg.matrix_rank(system):
        return None
    solution = np.linalg.lstsq(system, np.array(sums, dtype=float), rcond=None)[0]
    return constant + round(float(wanted @ solution))
