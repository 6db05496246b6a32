"""Synthetic source systems, one FastAPI app per source, built from a Population.

Each app speaks the shape of the system it stands in for:

- `/cpr`: the CPR register with the GP registration (one person, custody, GP);
- `/fhir`: the psychiatry (BUP) EPJ's FHIR R4 endpoint (a Bundle of Appointment);
- `/sor`: psychiatry contact points in the style of SOR (units with SOR codes);
- `/fk-sag`: the municipal case index (cases with KLE code, unit, caseworker);
- `/fk-org`: municipal contact persons in the style of FK Organisation;
- `/stil`: school and daycare enrolment in the style of STIL's registers;
- `/brs`: relation evidence in the style of the treatment-relation service BRS
  (what one organisation itself has with the child; never disclosed);
- `/staff`: the organisations' staff register, staff lists joined with the
  national authorisation register (Autorisationsregisteret; never disclosed).

Every app counts its calls per endpoint and can be told to answer slowly or to
fail (`SourceControl`), so tests can prove which sources were called and what
happens when one is slow or down. Nothing here resembles a real person.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from facts.organisations import Organisation
from sandbox.pilot import organisations
from sandbox.population import Child, Population

CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
"""The identifier system FHIR profiles in Denmark use for CPR numbers."""
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
"""The identifier system for SOR codes."""


@dataclass(eq=False)
class SourceControl:
    """Call counters and failure knobs for one sandbox source."""

    delay_s: float = 0.0
    fail_status: int | None = None
    """Answer every call with this HTTP status (for example 503: the source is down)."""
    fail_next: int = 0
    """Answer the next N calls with 503, then recover."""
    required_bearer: str | None = None
    """When set, calls without `Authorization: Bearer <this>` get 401."""
    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self.calls[endpoint]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
        self.delay_s, self.fail_status, self.fail_next = 0.0, None, 0

    async def __call__(self, request: Request) -> None:
        route = request.scope.get("route")
        endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
        with self._lock:
            self.calls[endpoint] += 1
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        expected = f"Bearer {self.required_bearer}"
        if self.required_bearer is not None and request.headers.get("authorization") != expected:
            raise HTTPException(401, "missing or wrong bearer token")
        if self.fail_status is not None:
            raise HTTPException(self.fail_status, "the source is failing on purpose")
        if failing:
            raise HTTPException(503, "the source is failing on purpose (once)")


@dataclass
class SandboxSource:
    name: str
    app: FastAPI
    control: SourceControl


def _app(name: str, title: str, control: SourceControl, router: APIRouter) -> SandboxSource:
    app = FastAPI(title=f"Sandbox: {title}", docs_url=None, redoc_url=None, openapi_url=None)

    async def root() -> dict[str, str]:
        """The source's base URL answers (readiness probes); failure knobs apply."""
        return {"source": name}

    router.add_api_route("/", root, methods=["GET"], include_in_schema=False)
    app.include_router(router, dependencies=[Depends(control)])
    return SandboxSource(name, app, control)


def _by_cpr(population: Population) -> Callable[[str], Child | None]:
    return population.children.get


# --- CPR -------------------------------------------------------------------


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

    return _app("cpr", "CPR register", control, router)


# --- FHIR R4 Appointment ----------------------------------------------------


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
    find = _by_cpr(population)

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

    return _app("fhir", "psychiatry EPJ (FHIR R4)", control, router)


# --- SOR-style contact points ------------------------------------------------


def sor_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = _by_cpr(population)

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

    return _app("sor", "psychiatry contact points (SOR)", control, router)


# --- Municipal case index and contacts ---------------------------------------


def _kle(code: str) -> dict[str, str]:
    return {"code": code, "title": f"KLE group {code} (synthetic)"}


def case_index_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = _by_cpr(population)

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

    return _app("fk-sag", "municipal case index", control, router)


def organisation_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = _by_cpr(population)

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

    return _app("fk-org", "municipal contact persons", control, router)


# --- School and daycare enrolment ---------------------------------------------


def enrolment_source(population: Population, orgs: dict[str, Organisation]) -> SandboxSource:
    control = SourceControl()
    router = APIRouter()
    find = _by_cpr(population)

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

    return _app("stil", "school and daycare enrolment", control, router)


# --- Relation evidence (BRS style) --------------------------------------------


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

    return _app("brs", "treatment relations (BRS style)", control, router)


# --- Staff register (staff lists with authorisations) ----------------------------


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

    return _app("staff", "staff register (staff lists, Autorisationsregisteret)", control, router)


SOURCE_BUILDERS = {
    "cpr": cpr_source,
    "fhir": fhir_source,
    "sor": sor_source,
    "fk-sag": case_index_source,
    "fk-org": organisation_source,
    "stil": enrolment_source,
    "brs": relation_source,
    "staff": staff_source,
}


def build_sources(population: Population) -> dict[str, SandboxSource]:
    """Every sandbox source, keyed by its mount name."""
    orgs = organisations()
    return {name: build(population, orgs) for name, build in SOURCE_BUILDERS.items()}
