"""Facts the policy decides on (what the PIP supplies)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ChildRecord(BaseModel):
    """The child as the CPR register knows it."""

    model_config = ConfigDict(frozen=True)

    cpr: str
    name: str
    birth_date: dt.date
    custody_holders: tuple[str, ...]
    registered_gp: str | None = None


RelationKind = Literal[
    "registered_gp", "consultation", "treatment_course", "open_case", "historical"
]


class Relation(BaseModel):
    """A requester organisation's relation to the child, graded like BRS."""

    model_config = ConfigDict(frozen=True)

    kind: RelationKind
    organisation_id: str
    date: dt.date | None = None
    active: bool = True
    grade: Literal["A+", "A", "B+", "B", "C"] | None = None


class ConsentFact(BaseModel):
    id: str
    regime: str
    giver: str
    categories: list[str]
    recipient: dict[str, str | None]
    purposes: list[str] = Field(default_factory=list)
    form: str
    valid_from: dt.date
    valid_until: dt.date
    revoked_at: str | None = None


class ObjectionFact(BaseModel):
    id: str
    person: str
    categories: list[str] = Field(default_factory=list)
    recipient: dict[str, str | None] | None = None
    withdrawn_at: str | None = None


class BlockTarget(BaseModel):
    kind: Literal["professional", "organisation"]
    id: str
    include_sub_units: bool = False


class BlockFact(BaseModel):
    id: str
    target: BlockTarget
    categories: list[str] = Field(default_factory=list)
    valid_from: dt.date
    valid_until: dt.date | None = None
    lifted_at: str | None = None


class RegistryState(BaseModel):
    """The consent, objection and block registry for one child at decision time."""

    consents: list[ConsentFact] = Field(default_factory=list)
    objections: list[ObjectionFact] = Field(default_factory=list)
    blocks: list[BlockFact] = Field(default_factory=list)


class FactsUnavailable(Exception):
    """A policy information source could not answer; the decision must deny."""
