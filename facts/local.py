"""Facts held in memory (a small world: the compliance scenarios, the handbook's
worlds, development) and our own registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from facts.organisations import OrganisationRegister, sub_units, with_sub_units
from policy.facts import ChildRecord, RegistryState, Relation, StaffMember


class InMemorySource(Protocol):
    """What a world held in memory answers: the CPR register's record of a child,
    an organisation's relation evidence with the child, the staff register."""

    def child_record(self, cpr: str) -> ChildRecord | None: ...

    def relations(self, organisation_id: str, cpr: str) -> list[Relation]: ...

    def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None: ...


@dataclass
class MemoryWorld:
    """A small world: the children the CPR register knows, the relation evidence
    about them (each item names the organisation that holds it, in the order the
    relation service lists it) and the staff register."""

    children: dict[str, ChildRecord] = field(default_factory=dict)
    evidence: dict[str, list[Relation]] = field(default_factory=dict)
    """Relation evidence by the child's CPR number."""
    staff: dict[tuple[str, str], StaffMember] = field(default_factory=dict)
    """Staff members by (organisation id, staff id)."""

    def child_record(self, cpr: str) -> ChildRecord | None:
        return self.children.get(cpr)

    def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        if cpr not in self.children:
            return []
        return [e for e in self.evidence.get(cpr, ()) if e.organisation_id == organisation_id]

    def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        return self.staff.get((organisation_id, staff_id))


@dataclass
class LocalFacts:
    """CPR and relation evidence, and the staff register, from a world in memory;
    consents from the registry reader."""

    world: InMemorySource
    read_registry: Callable[[str], Awaitable[RegistryState]]
    """The child's registry, read afresh (facts.registry_reads.RegistryReads.read)."""
    organisations: OrganisationRegister

    async def child(self, cpr: str) -> ChildRecord | None:
        return self.world.child_record(cpr)

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        return self.world.relations(organisation_id, cpr)

    async def registry(self, cpr: str) -> RegistryState:
        state = await self.read_registry(cpr)
        return with_sub_units(state, self.organisations)

    def sub_units(self, organisation_id: str) -> list[str]:
        """Every unit below the organisation in the organisation register."""
        return sub_units(self.organisations, organisation_id)

    async def part_of(self, organisation_id: str) -> list[str]:
        org = self.organisations.get(organisation_id)
        return list(org.part_of) if org else []

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        return self.world.staff_member(organisation_id, staff_id)


def in_memory_registry(
    read: Callable[[str], RegistryState],
) -> Callable[[str], Awaitable[RegistryState]]:
    """A registry held in memory (a corpus's, a test's), read as LocalFacts reads one."""

    async def read_now(cpr: str) -> RegistryState:
        return read(cpr)

    return read_now
