"""FHIR R4 `Consent` export: a recorded consent as a FHIR resource (the mapping
is in registry/fhir/__init__.py)."""

from __future__ import annotations

import html
from typing import Any

from policy.catalogue import catalogue
from registry.fhir.codes import (
    ACTION_SYSTEM,
    CATEGORY_SYSTEM,
    CONSENT_ID_SYSTEM,
    CPR_SYSTEM,
    FORM_EXTENSION,
    LOINC,
    ORGANISATION_SYSTEM,
    ORGANISATION_TYPE_SYSTEM,
    PARTICIPATION_SYSTEM,
    PATIENT_CONSENT,
    PERSON_HANDLE_SYSTEM,
    PURPOSE_SYSTEM,
    REGIME_SYSTEM,
    SCOPE_SYSTEM,
    validated,
)
from registry.models import ConsentPublic


def _reference(system: str, value: str, kind: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"identifier": {"system": system, "value": value}}
    if kind:
        ref["type"] = kind
    return ref


def consent_to_fhir(consent: ConsentPublic) -> dict[str, Any]:
    """Our consent as a FHIR R4 Consent resource (validated before it is returned)."""
    regime = catalogue().regimes[consent.regime]
    recipient = (
        _reference(ORGANISATION_SYSTEM, consent.recipient.organisation_id, "Organization")
        if consent.recipient.organisation_id
        else _reference(ORGANISATION_TYPE_SYSTEM, str(consent.recipient.organisation_type))
    )
    summary = (
        f"{regime.label}: {consent.form} consent given {consent.given_on.isoformat()} "
        f"by the {consent.capacity.replace('_', ' ')} for "
        f"{', '.join(consent.categories)}; valid until {consent.valid_until.isoformat()}; "
        f"status {consent.status}."
    )
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": consent.given_on.isoformat(), "end": consent.valid_until.isoformat()},
        "actor": [
            {
                "role": {"coding": [{"system": PARTICIPATION_SYSTEM, "code": "PRCP"}]},
                "reference": recipient,
            }
        ],
        "action": [{"coding": [{"system": ACTION_SYSTEM, "code": "access"}]}],
        "class": [{"system": CATEGORY_SYSTEM, "code": c} for c in consent.categories],
    }
    if consent.purposes:
        provision["purpose"] = [{"system": PURPOSE_SYSTEM, "code": p} for p in consent.purposes]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": consent.id,
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(summary)}</div>',
        },
        "extension": [{"url": FORM_EXTENSION, "valueCode": consent.form}],
        "identifier": [
            {"system": CONSENT_ID_SYSTEM, "value": consent.id},
            *(
                {"system": i.system, "value": i.value} if i.system else {"value": i.value}
                for i in consent.source_identifiers
            ),
        ],
        "status": "active" if consent.status == "active" else "inactive",
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": LOINC, "code": PATIENT_CONSENT}]}],
        "patient": _reference(CPR_SYSTEM, consent.child_cpr, "Patient"),
        "dateTime": consent.given_on.isoformat(),
        "performer": [
            _reference(
                PERSON_HANDLE_SYSTEM,
                consent.given_by.handle,
                "Patient" if consent.capacity == "child" else "RelatedPerson",
            )
        ],
        "policyRule": {
            "coding": [{"system": REGIME_SYSTEM, "code": consent.regime, "display": regime.label}]
        },
        "provision": provision,
    }
    if consent.custodian:
        resource["organization"] = [
            _reference(ORGANISATION_SYSTEM, consent.custodian, "Organization")
        ]
    return validated(resource)
