"""Facts from the in-process synthetic population and our own registry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from policy.facts import ChildRecord, RegistryState, Relation
from sandbox.pilot import Organisation
from sandbox.population import Population


@dataclass
class LocalFacts:
    """CPR and relations from a Population; consents from the registry reader."""

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
        for block in state.blocks:
            if block.target.include_sub_units and block.target.id:
                block.target.sub_units = self.sub_units(block.target.id)
        return state

    def sub_units(self, organisation_id: str) -> list[str]:
        """Every unit below the organisation in the organisation register."""
        found: list[str] = []
        pending = (
            list(self.organisations[organisation_id].units)
            if (organisation_id in self.organisations)
            else []
        )
        while pending:
            unit = pending.pop(0)
            if unit in found:
                continue
            found.append(unit)
            org = self.organisations.get(unit)
            pending.extend(org.units if org else ())
        return sorted(found)

    async def part_of(self, organisation_id: str) -> list[str]:
        org = self.organisations.get(organisation_id)
        return list(org.part_of) if org else []
