"""Relation evidence in the style of the treatment-relation service BRS (what one
organisation itself has with the child; never disclosed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, make_app


def relation_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()

    @router.get("/relations")
    async def relations(patient: str, organisation: str) -> dict[str, Any]:
        """What the organisation itself has with the patient: referrals, episodes,
        appointments, consultations, cases, with dates. Grading is the policy's job."""
        found = [
            e.model_dump(mode="json", exclude={"organisation_id"})
            for e in population.relations(organisation, patient)
        ]
        return {"organisation": organisation, "relations": found}

    return make_app("brs", "treatment relations (BRS style)", control, router)
