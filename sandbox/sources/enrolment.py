"""School and daycare enrolment in the style of STIL's registers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, by_cpr, make_app


def enrolment_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = by_cpr(population)

    @router.get("/enrolments")
    async def enrolments(cpr: str) -> dict[str, Any]:
        child = find(cpr)
        if child is None or not child.school:
            return {"enrolments": []}
        number = f"{child.municipality}{sum(map(ord, child.school['institution_name'])) % 1000:03d}"
        return {
            "enrolments": [
                {
                    "institution": {
                        "number": number,
                        "name": child.school["institution_name"],
                        "type": child.school["institution_type"],
                        "municipality_code": child.municipality,
                    },
                    "class_or_group": child.school["class_or_group"],
                }
            ]
        }

    return make_app("stil", "school and daycare enrolment", control, router)
