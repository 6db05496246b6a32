"""FHIR code systems and identifier systems of the Consent mapping, and the
validation both directions share (the `fhir.resources` R4B Consent model)."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.consent import Consent
from pydantic import ValidationError

from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM
from policy.errors import Unmappable

FHIR_JSON = "application/fhir+json"
BASE = "https://hoi-policy.example/fhir"
PERSON_HANDLE_SYSTEM = "urn:hoi-policy:person-handle"
"""Exported consents name the giver by the per-child handle, never by CPR number."""
REGIME_SYSTEM = f"{BASE}/CodeSystem/consent-regime"
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/data-category"
PURPOSE_SYSTEM = f"{BASE}/CodeSystem/purpose"
ORGANISATION_SYSTEM = f"{BASE}/NamingSystem/organisation"
ORGANISATION_TYPE_SYSTEM = f"{BASE}/CodeSystem/organisation-type"
CONSENT_ID_SYSTEM = f"{BASE}/NamingSystem/consent"
FORM_EXTENSION = f"{BASE}/StructureDefinition/consent-form"
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
PATIENT_CONSENT = "59284-0"
PARTICIPATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RECIPIENT_ROLES = ("PRCP", "IRCP")
ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def validated(resource: Any) -> dict[str, Any]:
    """The resource checked against the FHIR model, as normalised FHIR JSON."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Consent":
        raise Unmappable(
            "this is not a FHIR Consent resource",
            [{"field": "resourceType", "message": "must be Consent"}],
        )
    try:
        model = Consent.model_validate(resource)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "resource",
                "message": f"not valid FHIR: {e['msg']}",
            }
            for e in exc.errors()
        ]
        raise Unmappable("the resource is not a valid FHIR R4 Consent", errors) from exc
    document: dict[str, Any] = json.loads(model.model_dump_json())
    return document


__all__ = [
    "ACTION_SYSTEM",
    "BASE",
    "CATEGORY_SYSTEM",
    "CONSENT_ID_SYSTEM",
    "CPR_SYSTEM",
    "FHIR_JSON",
    "FORM_EXTENSION",
    "LOINC",
    "ORGANISATION_SYSTEM",
    "ORGANISATION_TYPE_SYSTEM",
    "PARTICIPATION_SYSTEM",
    "PATIENT_CONSENT",
    "PERSON_HANDLE_SYSTEM",
    "PURPOSE_SYSTEM",
    "RECIPIENT_ROLES",
    "REGIME_SYSTEM",
    "SCOPE_SYSTEM",
    "V3_ACT_CODE",
    "validated",
]
