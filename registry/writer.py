"""Who writes to the registry, and the audit hook every write passes through.

A write is made for one person who decides for the child (`person`: the young
person or a custody holder). That person is the bearer token's citizen, or, when
a professional records what the family told them, the person the professional
named by handle. The API layer establishes both (api/routes/registry.py); the
registry only checks that the person was entitled and records who wrote it.

Every write calls `audit` with the `Change` before anything is stored, and the
hook returns only once the audit record is committed: nothing is stored that the
audit trail does not hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policy.persons import PersonHandles
from registry.models import RecordedBy


@dataclass(frozen=True)
class Change:
    """A registry write about to be stored."""

    action: str
    """consent.record, consent.revoke, objection.record, objection.withdraw,
    block.record or block.lift."""
    entry_id: str
    person: str
    """The CPR number of the person whose decision it is (never leaves the service)."""
    recorded_by: RecordedBy
    categories: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def entry_kind(self) -> str:
        return self.action.split(".")[0]


_ACTIONS = {"recorded": "record", "revoked": "revoke", "withdrawn": "withdraw", "lifted": "lift"}


def event_action(event: str) -> str:
    """The action a history event records (recorded -> record)."""
    return _ACTIONS[event]


@dataclass(frozen=True)
class Writer:
    """One registry write's author and the hooks it needs."""

    person: str
    recorded_by: RecordedBy
    names: PersonHandles
    audit: Callable[[Change], None]
    person_field: str = "token"
    """What an entitlement refusal points at: the token (a citizen acting for
    themselves) or `on_behalf_of`/`stated_by` (a professional naming the person)."""
