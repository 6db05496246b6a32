"""The staff register: staff lists joined with the national authorisation register
(Autorisationsregisteret; never disclosed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, make_app


def staff_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()

    @router.get("/members")
    async def members(organisation: str, id: str) -> dict[str, Any]:
        """One person of one organisation's staff list, with the authorisation the
        national register holds for them (none for a secretary or social worker)."""
        person = population.staff_member(organisation, id)
        found = []
        if person is not None:
            authorisation = person.authorisation
            found.append(
                {
                    "id": person.id,
                    "name": f"Synthetic staff {person.id}",
                    "role": person.role,
                    "organisation_id": person.organisation_id,
                    "organisation_name": orgs[organisation].name if organisation in orgs else None,
                    "authorisation": authorisation.model_dump() if authorisation else None,
                }
            )
        return {"organisation": organisation, "members": found}

    return make_app(
        "staff", "staff register (staff lists, Autorisationsregisteret)", control, router
    )
