"""Psychiatry contact points in the style of SOR (units with SOR codes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, by_cpr, make_app


def sor_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = by_cpr(population)

    @router.get("/contact-points")
    async def contact_points(patient: str) -> dict[str, Any]:
        child = find(patient)
        if child is None:
            return {"units": []}
        course = [child.course_department] if child.course_department else []
        departments = list(dict.fromkeys(course + [a.department for a in child.appointments]))
        units = []
        for dept_id in departments:
            dept = orgs[dept_id]
            parent = orgs[dept.part_of[0]] if dept.part_of else None
            units.append(
                {
                    "sor_id": str(int(dept.sor_id or "0") + 500),
                    "name": f"{dept.name}, kontaktsekretariat",
                    "unit_type": "section",
                    "organisation_id": dept.id,
                    "parent": {"sor_id": dept.sor_id, "name": dept.name},
                    "owner": {"sor_id": parent.sor_id, "name": parent.name} if parent else None,
                    "phone": dept.phone,
                    "secure_mail": dept.secure_mail,
                }
            )
        return {"units": units}

    return make_app("sor", "psychiatry contact points (SOR)", control, router)
