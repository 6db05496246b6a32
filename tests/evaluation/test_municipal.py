"""Per municipality, where cells allow: the municipal units' lookups, permits and
overviews by month, suppressed like every table, and also against the sector
tables they add up to."""

from __future__ import annotations

import random

from audit.models import AuditRecord
from evaluation.figures import compute
from evaluation.report import publish
from evaluation.suppression import (
    MIN_CHILDREN,
    TOTAL,
    Table,
    derivable_sum,
    reconstructable,
    suppress,
)
from tests.evaluation.records import lookup, reason

MUNICIPALITY = {"851-family": "851", "851-ppr": "851", "787-family": "787", "101-ppr": "101"}


def _published(records: list[AuditRecord]) -> dict[str, Table]:
    figures = compute(records, [], recipient_type=lambda _: None, municipality_of=MUNICIPALITY.get)
    return {t.name: t for t in publish(figures).tables}


def _lookups(
    unit: str, role: str, children: range, month: int = 11, **kw: object
) -> list[AuditRecord]:
    return [
        lookup(f"{unit}-{i}", role=role, unit=unit, month=month, **kw)  # type: ignore[arg-type]
        for i in children
    ]


def test_lookups_permits_and_overviews_by_the_requesting_units_municipality() -> None:
    records = _lookups("851-family", "municipal_caseworker", range(12), permit=True)
    records += _lookups("851-ppr", "ppr_psychologist", range(6), reasons=[reason("no_relation")])
    records += _lookups("787-family", "municipal_caseworker", range(9), permit=True)
    records += _lookups("787-family", "municipal_caseworker", range(20, 27), kind="disclosure")
    records += _lookups("gp-a", "gp", range(30))  # no municipality: not in these tables
    tables = _published(records)
    lookups = tables["municipal_lookups"]
    assert lookups.rows == ["787", "851"]
    assert lookups.published("851", "2026-11") == 18
    assert lookups.published("787", "2026-11") == 9
    assert tables["municipal_permitted"].published("851", "2026-11") == 12
    assert tables["municipal_overviews"].published("787", "2026-11") == 7
    # The month's total is the sector table's family department and PPR lookups.
    assert lookups.known[(TOTAL, "2026-11")] == 27


def test_a_unit_the_register_does_not_know_counts_as_unknown() -> None:
    records = _lookups("999-family", "municipal_caseworker", range(6))
    assert _published(records)["municipal_lookups"].rows == ["unknown"]


def test_a_small_municipality_cannot_be_worked_out_from_the_published_figures() -> None:
    """The abuse: three children looked up by a small municipality's PPR. Its cell
    is hidden, and so much beside it that no row or column sum, nor the sector
    table's family department and PPR totals, gives the 3 back."""
    records = _lookups("851-family", "municipal_caseworker", range(15), month=10)
    records += _lookups("851-family", "municipal_caseworker", range(15))
    records += _lookups("787-family", "municipal_caseworker", range(8), month=10)
    records += _lookups("787-family", "municipal_caseworker", range(9))
    records += _lookups("101-ppr", "ppr_psychologist", range(3))
    records += _lookups("gp-a", "gp", range(20))
    tables = _published(records)
    municipal = tables["municipal_lookups"]
    assert ("101", "2026-11") in municipal.hidden
    assert ("101", TOTAL) in municipal.hidden
    assert reconstructable(municipal) == set()
    for key in municipal.hidden:  # not even by combining every equation
        assert derivable_sum(municipal, [key]) is None, key
    for key, cell in municipal.cells.items():
        if 0 < len(cell.children) < MIN_CHILDREN:
            assert key in municipal.hidden
    # What the sector table gives away about the municipal units is treated as public.
    sector = tables["lookups"]
    for month in ("2026-10", "2026-11", TOTAL):
        assert municipal.known.get((TOTAL, month)) == derivable_sum(
            sector, [(month, "family_department"), (month, "ppr")]
        )


def _one_municipality() -> Table:
    table = Table("m", "m", ["851"], ["2026-10", "2026-11"])
    for i in range(10):
        table.add("851", "2026-10", f"a{i}")
    for i in range(3):
        table.add("851", "2026-11", f"b{i}")
    return table


def test_a_total_published_elsewhere_gives_a_table_suppressed_alone_away() -> None:
    """The test of the link: suppressed on its own, a municipality's table hides
    its October total, but the sector table publishes October's municipal lookups
    (10); with that, 13 - 10 gives November's 3 children back."""
    alone = suppress(_one_municipality())
    assert ("851", "2026-11") in alone.hidden
    assert reconstructable(alone) == set()
    alone.known = {(TOTAL, "2026-10"): 10}
    assert ("851", "2026-11") in reconstructable(alone)

    linked = _one_municipality()
    linked.known = {(TOTAL, "2026-10"): 10}
    suppress(linked)
    assert ("851", "2026-11") in linked.hidden
    assert reconstructable(linked) == set()


def test_random_municipal_months_never_give_a_small_cell_away() -> None:
    units = [
        ("851-family", "municipal_caseworker"),
        ("851-ppr", "ppr_psychologist"),
        ("787-family", "municipal_caseworker"),
        ("101-ppr", "ppr_psychologist"),
        ("gp-a", "gp"),
    ]
    for seed in range(80):
        rng = random.Random(seed)
        records = []
        for n in range(rng.randint(0, 80)):
            unit, role = rng.choice(units)
            records.append(
                lookup(
                    f"c{rng.randint(0, 50)}",
                    role=role,
                    unit=unit,
                    month=rng.choice([9, 10, 11]),
                    day=1 + n % 27,
                    permit=rng.random() < 0.5,
                    kind=rng.choice(["decision", "decision", "disclosure"]),
                )
            )
        tables = _published(records)
        for name in ("lookups", "overviews", *(n for n in tables if n.startswith("municipal"))):
            table = tables[name]
            assert reconstructable(table) == set(), (seed, name)
            for key, cell in table.cells.items():
                if 0 < len(cell.children) < MIN_CHILDREN:
                    assert key in table.hidden, (seed, name, key)
