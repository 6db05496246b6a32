"""The CPR register with the GP registration (one person, custody, GP)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, make_app


def cpr_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()

    @router.get("/persons/{cpr}")
    async def person(cpr: str) -> dict[str, Any]:
        record = population.persons.get(cpr)
        if record is None:
            raise HTTPException(404, "no person with this number")
        holders = [
            {
                "cpr": h,
                "name": population.persons[h].name if h in population.persons else None,
                "relation": record.holder_relation(h),
            }
            for h in record.custody_holders
        ]
        gp = orgs.get(record.registered_gp) if record.registered_gp else None
        return {
            "cpr": record.cpr,
            "name": record.name,
            "birth_date": record.birth_date.isoformat(),
            "municipality": record.municipality,
            "acting_municipality": record.acting_municipality,
            "custody_holders": holders,
            "registered_gp": (
                {"organisation_id": gp.id, "name": gp.name, "sor_id": gp.sor_id} if gp else None
            ),
        }

    return make_app("cpr", "CPR register", control, router)
