"""Facts from the in-process synthetic population and our own registry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from facts.organisations import sub_units, with_sub_units
from policy.facts import ChildRecord, RegistryState, Relation, StaffMember
from sandbox.pilot import Organisation
from sandbox.population import Population


@dataclass
class LocalFacts:
    """CPR and relation evidence, and the staff register, from a Population;
    consents from the registry reader."""

    population: Population
    read_registry: Callable[[str], RegistryState]
    organisations: dict[str, Organisation]

    async def child(self, cpr: str) -> ChildRecord | None:
        child = self.population.children.get(cpr)
        return child.record if child else None

    async def relations(self, organisation_id: str, child: ChildRecord) -> list[Relation]:
        return self.population.relations(organisation_id, child.cpr)

    async def registry(self, cpr: str) -> RegistryState:
        state = await asyncio.to_thread(self.read_registry, cpr)
        return with_sub_units(state, self.organisations)

    def sub_units(self, organisation_id: str) -> list[str]:
        """Every unit below the organisation in the organisation register."""
        return sub_units(self.organisations, organisation_id)

    async def part_of(self, organisation_id: str) -> list[str]:
        org = self.organisations.get(organisation_id)
        return list(org.part_of) if org else []

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        return self.population.staff_member(organisation_id, staff_id)
