"""Facts the policy decides on (what the PIP supplies)."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from policy.errors import HoiError

HolderRelation = Literal["mother", "father"]


class ChildRecord(BaseModel):
    """The child as the CPR register knows it."""

    model_config = ConfigDict(frozen=True)

    cpr: str
    name: str
    birth_date: dt.date
    custody_holders: tuple[str, ...]
    registered_gp: str | None = None
    municipality: str | None = None
    """The municipality the child lives in (CPR), by municipality code."""
    acting_municipality: str | None = None
    """For a child placed outside the municipality that placed it: the municipality
    that still acts for the child (Retssikkerhedsloven § 9), by code."""
    holder_relations: tuple[HolderRelation | None, ...] = ()
    """Per custody holder (same order): how the CPR register relates them to the
    child, where it says (mother, father); used only to name them in words."""

    def holder_relation(self, holder: str) -> HolderRelation | None:
        if holder not in self.custody_holders:
            return None
        index = self.custody_holders.index(holder)
        return self.holder_relations[index] if index < len(self.holder_relations) else None


EvidenceType = Literal["referral", "episode", "appointment", "consultation", "case"]


class Relation(BaseModel):
    """One piece of evidence of the requester organisation's relation to the
    child, in the style of the treatment-relation service (BRS): a referral, an
    episode of care, an appointment, a GP consultation or a municipal case, with
    its dates and whether it is open. The policy grades it into relation kinds
    (rego/hoi/relation), with windows that are policy data."""

    model_config = ConfigDict(frozen=True)

    type: EvidenceType
    organisation_id: str
    date: dt.date | None = None
    """Received (referral), started (episode), held or booked (appointment,
    consultation), opened (case)."""
    ended_on: dt.date | None = None
    """The last day of a referral, episode or case that has ended or will end."""
    active: bool = True
    """Whether the source says it is open (a referral not ended, an episode or case not closed)."""


Capacity = Literal["child", "custody_holder"]


class ConsentFact(BaseModel):
    """A recorded consent as the policy reads it.

    `valid_until` is the effective last day (already capped by the regime at
    record time); `superseded_by` names a newer consent that replaced it."""

    id: str
    regime: str
    giver: str
    capacity: Capacity
    categories: list[str]
    recipient: dict[str, str | None]
    purposes: list[str] = Field(default_factory=list)
    form: str
    given_on: dt.date
    valid_until: dt.date
    revoked_at: str | None = None
    superseded_by: str | None = None


class ObjectionFact(BaseModel):
    id: str
    person: str
    categories: list[str] = Field(default_factory=list)
    recipient: dict[str, str | None] | None = None
    withdrawn_at: str | None = None


BlockKind = Literal["professional", "organisation", "source_organisation", "period"]


class BlockTarget(BaseModel):
    """Whom or what a block is against.

    - `professional`: a named professional (the requester's id) sees nothing;
    - `organisation`: requesters acting for the organisation (with
      `include_sub_units`, also for its sub-units) see nothing;
    - `source_organisation`: records that come from the organisation (and its
      sub-units when included) are withheld from everyone, the rest stays visible;
    - `period`: everyone is blocked while the block is in force (no id).
    `sub_units` is filled by the information point from the organisation register."""

    kind: BlockKind
    id: str | None = None
    include_sub_units: bool = False
    sub_units: list[str] = Field(default_factory=list)


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


class FactsUnavailable(HoiError):
    """A policy information source could not answer; the decision must deny."""


AuthorisationStatus = Literal["valid", "suspended", "revoked"]


class Authorisation(BaseModel):
    """A health-professional authorisation as the national authorisation register
    (Autorisationsregisteret, Styrelsen for Patientsikkerhed) records it."""

    model_config = ConfigDict(frozen=True)

    id: str
    profession: str
    status: AuthorisationStatus


class StaffMember(BaseModel):
    """One person on an organisation's staff list, with their authorisation (if any).

    Ids are the organisation's own ids for its staff (the bearer token's `sub`), so
    a staff member is looked up by organisation and id together. No name: the policy
    needs none."""

    model_config = ConfigDict(frozen=True)

    id: str
    role: str
    organisation_id: str
    authorisation: Authorisation | None = None


class StaffFacts(BaseModel):
    """What the staff register says about the people a decision names: the requester
    (asked only when their token claims a health-professional authorisation) and the
    clinician a request acts for (asked only when one is named). None: not asked, or
    not on the organisation's staff list."""

    subject: StaffMember | None = None
    acting_for: StaffMember | None = None


_reused: ContextVar[list[dt.datetime] | None] = ContextVar("hoi_reused_facts", default=None)


def start_noting_reuse() -> list[dt.datetime]:
    """Begin noting, for the current decision, when each fact it reuses (rather
    than reads afresh) was read from its source; the returned list fills up, also
    from tasks the decision spawns."""
    reads: list[dt.datetime] = []
    _reused.set(reads)
    return reads


def note_reuse(read_at: dt.datetime) -> None:
    """A fact read from its source at `read_at` was reused for this decision."""
    reads = _reused.get()
    if reads is not None:
        reads.append(read_at)


class FactsProvider(Protocol):
    """The policy information point the decision point asks (engine/pdp.py), and
    the shape every layer of facts keeps: the cache (facts/cache.py) and the
    recorder (audit/calls.py) wrap one and are one."""

    async def child(self, cpr: str) -> ChildRecord | None: ...

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        """The organisation's relation evidence about the child with this CPR number
        (asked beside the CPR register, so it may be asked about a number the
        register does not know; its answer is then not used)."""
        ...

    async def registry(self, cpr: str) -> RegistryState: ...

    async def part_of(self, organisation_id: str) -> list[str]: ...

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        """The person on the organisation's staff list (with their authorisation), or
        None; raises FactsUnavailable when the staff register does not answer."""
        ...
