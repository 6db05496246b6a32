"""Where a disclosure happens: the broker calls a DisclosureRecorder with what is
about to leave, after filtering and before the answer is returned.

The record carries who, about whom, why, which categories, fields, sources and
how many records; never the data itself. The default records nothing; the
audit log (issue 6) plugs in here. If recording fails, the broker withholds the
data (fail closed): nothing leaves that could not be recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel


class DisclosedCategory(BaseModel):
    category: str
    fields: list[str]
    """The fields the decision permitted."""
    released: list[str]
    """The fields that actually leave (those the records carry)."""
    sources: list[str]
    records: int
    rule_id: str | None
    legal_basis: list[str]
    obligations: list[str]
    override: bool


class SourceCallMade(BaseModel):
    source: str
    status: Literal["ok", "timeout", "error"]
    duration_us: int
    records: int = 0
    """Records the source answered with."""
    withheld: int = 0
    """Of those, records not shown because their organisation is excluded (a block)."""


class Disclosure(BaseModel):
    decision_id: str
    policy_revision: str
    disclosed_at: datetime
    subject_id: str
    role: str
    organisation_id: str
    child_cpr: str
    purpose: str
    categories: list[DisclosedCategory]
    source_calls: list[SourceCallMade]


class DisclosureRecorder(Protocol):
    async def record(self, disclosure: Disclosure) -> None:
        """Make the disclosure durable; raise if it could not be recorded."""
        ...


class NoDisclosureRecorder:
    """Records nothing (until the audit log is wired in)."""

    async def record(self, disclosure: Disclosure) -> None:
        return None
