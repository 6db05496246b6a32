"""The child's GP registration (lægevalg) in the CPR register, with the clinic's
contact point from the provider register (SOR): one clinic per child, or none.

It answers about the child asked for only (echoing the number it was asked
about), and names the clinic, never the doctor's or anyone else's CPR number.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from facts.organisations import Organisation
from sandbox.population import Population
from sandbox.sources.base import SandboxSource, SourceControl, make_app


def gp_registration_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()

    @router.get("/registrations")
    async def registrations(patient: str) -> dict[str, Any]:
        record = population.child_record(patient)
        clinic = orgs.get(record.registered_gp) if record and record.registered_gp else None
        return {
            "patient": patient,
            "registration": (
                {
                    "organisation_id": clinic.id,
                    "name": clinic.name,
                    "sor_id": clinic.sor_id,
                    "phone": clinic.phone,
                    "secure_mail": clinic.secure_mail,
                }
                if clinic is not None
                else None
            ),
        }

    return make_app("laegevalg", "GP registration (lægevalg)", control, router)
