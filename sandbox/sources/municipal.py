"""The municipal case index (cases with KLE code, unit, caseworker) and contact
persons in the style of FK Organisation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, by_cpr, make_app


def _kle(code: str) -> dict[str, str]:
    return {"code": code, "title": f"KLE group {code} (synthetic)"}


def case_index_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = by_cpr(population)

    @router.get("/cases")
    async def cases(child: str) -> dict[str, Any]:
        found = find(child)
        return {
            "cases": [
                {
                    "id": c.id,
                    "kle": _kle(c.kle),
                    "status": "open" if c.open else "closed",
                    "responsible_unit": {"id": c.unit, "name": orgs[c.unit].name},
                    "caseworker_id": c.caseworker_id,
                }
                for c in (found.cases if found else [])
            ]
        }

    return make_app("fk-sag", "municipal case index", control, router)


def organisation_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = by_cpr(population)

    @router.get("/contacts")
    async def contacts(child: str) -> dict[str, Any]:
        found = find(child)
        result = []
        for case in found.cases if found else []:
            worker = population.caseworkers.get(case.caseworker_id)
            unit = orgs[case.unit]
            result.append(
                {
                    "kle": _kle(case.kle),
                    "unit": {
                        "id": unit.id,
                        "name": unit.name,
                        "phone": unit.phone,
                        "secure_mail": unit.secure_mail,
                    },
                    "caseworker": (
                        {
                            "id": worker.id,
                            "name": worker.name,
                            "phone": worker.phone,
                            "secure_mail": worker.secure_mail,
                        }
                        if worker
                        else None
                    ),
                }
            )
        return {"contacts": result}

    return make_app("fk-org", "municipal contact persons", control, router)
