"""The psychiatry (BUP) EPJ's FHIR R4 endpoint: a Bundle of Appointment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from facts.organisations import Organisation
from sandbox.population import Child, Population
from sandbox.sources.base import (
    CPR_SYSTEM,
    SOR_SYSTEM,
    SandboxSource,
    SourceControl,
    by_cpr,
    make_app,
)


def _appointment_resource(child: Child, n: int, orgs: dict[str, Organisation]) -> dict[str, Any]:
    appt = child.appointments[n]
    hh, mm = (int(x) for x in appt.time.split(":"))
    start = datetime(appt.date.year, appt.date.month, appt.date.day, hh, mm)
    dept = orgs[appt.department]
    return {
        "resourceType": "Appointment",
        "id": appt.id,
        "status": appt.status,
        "serviceType": [{"coding": [{"code": "bup", "display": "Børne- og ungdomspsykiatri"}]}],
        "start": start.isoformat() + "+01:00",
        "end": (start + timedelta(minutes=45)).isoformat() + "+01:00",
        "participant": [
            {
                "actor": {
                    "reference": f"Patient/{child.record.cpr}",
                    "identifier": {"system": CPR_SYSTEM, "value": child.record.cpr},
                },
                "status": "accepted",
            },
            {
                "actor": {
                    "reference": f"HealthcareService/{dept.id}",
                    "display": dept.name,
                    "identifier": {"system": SOR_SYSTEM, "value": dept.sor_id},
                },
                "status": "accepted",
            },
        ],
    }


def fhir_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = by_cpr(population)

    def bundle(request: Request, patient_identifier: str | None) -> JSONResponse:
        entries: list[dict[str, Any]] = []
        system, _, cpr = (patient_identifier or "").rpartition("|")
        child = find(cpr) if system in ("", CPR_SYSTEM) else None
        if child is not None:
            base = str(request.url).split("/Appointment")[0]
            for n in range(len(child.appointments)):
                resource = _appointment_resource(child, n, orgs)
                entries.append(
                    {
                        "fullUrl": f"{base}/Appointment/{resource['id']}",
                        "resource": resource,
                        "search": {"mode": "match"},
                    }
                )
        body = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
        if entries:
            body["entry"] = entries
        return JSONResponse(body, media_type="application/fhir+json")

    @router.get("/Appointment")
    async def search(
        request: Request,
        patient_identifier: Annotated[str | None, Query(alias="patient:identifier")] = None,
    ) -> JSONResponse:
        return bundle(request, patient_identifier)

    @router.post("/Appointment/_search")
    async def search_post(request: Request) -> JSONResponse:
        """FHIR's POST search: the same search with the parameters in a form body."""
        form = parse_qs((await request.body()).decode())
        values = form.get("patient:identifier") or []
        return bundle(request, values[0] if values else None)

    return make_app("fhir", "psychiatry EPJ (FHIR R4)", control, router)
