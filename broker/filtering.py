"""Keep only what a category decision permits: its fields, and no record from an
organisation the decision excludes (for example a department the family blocked).

Fail closed: a denied category yields nothing; when organisations are excluded,
a record whose origin is unknown is dropped too, and a record is dropped when
its origin or any organisation its origin is part of is excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from broker.adapters.base import SourceRecord
from policy.decision import CategoryDecision


def _no_parents(_: str) -> tuple[str, ...]:
    return ()


def permitted_records(
    records: Iterable[SourceRecord],
    decision: CategoryDecision,
    *,
    part_of: Callable[[str], tuple[str, ...]] = _no_parents,
) -> list[dict[str, Any]]:
    """The records as they may leave: permitted fields only, excluded origins dropped."""
    if decision.decision != "permit":
        return []
    allowed = set(decision.fields)
    excluded = set(decision.exclude_organisations)
    kept: list[dict[str, Any]] = []
    for record in records:
        if excluded:
            if record.origin is None:
                continue
            if record.origin in excluded or excluded.intersection(part_of(record.origin)):
                continue
        kept.append({name: value for name, value in record.data.items() if name in allowed})
    return kept
