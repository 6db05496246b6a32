"""Facts from the source systems: the child from the CPR source, relations from
the relation-evidence source (graded by the policy), staff and their
authorisations from the staff register, consents and blocks from our registry.
Any source failure is FactsUnavailable, which the decision point turns into a
deny (fail closed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from broker.adapters.cpr import read_person
from broker.adapters.relations import read_relation_evidence
from broker.adapters.staff import read_staff_member
from broker.client import SourceClient, SourceError
from facts.grading import evidence_of
from facts.organisations import OrganisationRegister, with_sub_units
from policy.facts import ChildRecord, FactsUnavailable, RegistryState, Relation, StaffMember


@dataclass
class SourceFacts:
    person: SourceClient
    relation_evidence: SourceClient
    staff: SourceClient
    read_registry: Callable[[str], Awaitable[RegistryState]]
    """The child's registry, read afresh (facts.registry_reads.RegistryReads.read)."""
    organisations: OrganisationRegister
    clock: Callable[[], datetime]

    async def child(self, cpr: str) -> ChildRecord | None:
        try:
            async with asyncio.timeout(self.person.spec.timeout_s):
                return await read_person(self.person, cpr)
        except (SourceError, TimeoutError) as exc:
            detail = exc.detail if isinstance(exc, SourceError) else "timeout"
            raise FactsUnavailable(f"the CPR register did not answer ({detail})") from exc

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        try:
            async with asyncio.timeout(self.relation_evidence.spec.timeout_s):
                evidence = await read_relation_evidence(
                    self.relation_evidence, cpr, organisation_id
                )
        except (SourceError, TimeoutError) as exc:
            detail = exc.detail if isinstance(exc, SourceError) else "timeout"
            raise FactsUnavailable(f"the relation service did not answer ({detail})") from exc
        return evidence_of(organisation_id, evidence)

    async def registry(self, cpr: str) -> RegistryState:
        state = await self.read_registry(cpr)
        return with_sub_units(state, self.organisations)

    async def part_of(self, organisation_id: str) -> list[str]:
        org = self.organisations.get(organisation_id)
        return list(org.part_of) if org else []

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        try:
            async with asyncio.timeout(self.staff.spec.timeout_s):
                return await read_staff_member(self.staff, organisation_id, staff_id)
        except (SourceError, TimeoutError) as exc:
            detail = exc.detail if isinstance(exc, SourceError) else "timeout"
            raise FactsUnavailable(f"the staff register did not answer ({detail})") from exc
