"""Psychiatry appointments from a FHIR R4 server: `Appointment` search by the
patient's CPR identifier, answered with a searchset Bundle.

Parsed with fhir.resources' R4B models (the package ships R4B, R5 and STU3;
R4B's Appointment is R4's). The department is the `HealthcareService` (or
`Location`) participant; its id is the record's origin.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from broker.adapters.base import FetchQuery, SourceRecord
from broker.client import SourceClient, SourceError
from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM

_PLACE_TYPES = ("HealthcareService/", "Location/")


def _place(appointment: Appointment) -> tuple[str | None, str | None]:
    """The department's display name and id."""
    for participant in appointment.participant or []:
        actor = participant.actor
        reference = (actor.reference or "") if actor else ""
        if actor is not None and reference.startswith(_PLACE_TYPES):
            return actor.display, reference.split("/", 1)[1]
    return None, None


def appointments_from_bundle(body: Any) -> list[SourceRecord]:
    try:
        bundle = Bundle.model_validate(body)
    except ValidationError as exc:
        raise SourceError("bad_response: not a FHIR Bundle") from exc
    if bundle.type != "searchset":
        raise SourceError("bad_response: not a search result")
    records = []
    for entry in bundle.entry or []:
        resource = entry.resource
        if not isinstance(resource, Appointment):
            continue  # included resources (OperationOutcome, Patient) are not appointments
        department, origin = _place(resource)
        start = resource.start
        records.append(
            SourceRecord(
                origin=origin,
                data={
                    "date": start.date().isoformat() if start else None,
                    "time": start.strftime("%H:%M") if start else None,
                    "department": department,
                    "status": resource.status,
                },
            )
        )
    return records


async def fhir_r4_appointment(client: SourceClient, query: FetchQuery) -> list[SourceRecord]:
    body = await client.get_json(
        "Appointment", {"patient:identifier": f"{CPR_SYSTEM}|{query.child_cpr}"}
    )
    return appointments_from_bundle(body)
