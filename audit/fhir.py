"""Audit records as FHIR AuditEvent resources (R4 shape).

Decisions follow IHE BALP's consent authorization pattern
(`IHE.BasicAudit.AuthZconsent`): type DICOM 110113 Security Alert, subtype
AuthZ-Consent, action E, outcome 0 when any category is permitted and 8 when
all are denied; agents for the calling application, the user (information
recipient, with role and purpose of use), the user's organisation and this
service as the authorisation server (also the audit source); entities for the
patient (the child, by CPR identifier) and for each consent, objection and block
the decision relied on.

Disclosures follow BALP's privacy disclosure at the source
(`IHE.BasicAudit.PrivacyDisclosure.Source`): type DICOM 110106 Export, subtype
ISO 21089 disclose, action R, the patient entity and one entity per released
data category with its fields.

What the BALP profiles have no element for (policy revision, engine, decision
id, trace id, override) travels in extensions under our own URL. Deviation:
BALP requires at least one consent entity; a decision that rests on law alone
(or denies for a missing consent) relied on none, so it has none.

Validation uses the `fhir.resources` R4B models: AuditEvent did not change
between R4 (4.0.1) and R4B (4.3.0), and a test validates HL7's R4 example with
the same models.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle

from audit.models import AuditRecord, StoredRecord
from policy.catalogue import catalogue
from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM

DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUTHZ_SUBTYPE = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType"
AUTHZ_PROFILE = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.AuthZconsent"
DISCLOSURE_PROFILE = (
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source"
)
OUTCOME = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
BASE = "https://hoi-policy.example/fhir"
EXT = f"{BASE}/StructureDefinition/audit-"
SERVICE = {
    "identifier": {"system": f"{BASE}/service", "value": "hoi-policy"},
    "display": "HOI Policy decision point",
}

APPLICATION_SOURCE = {
    "site": "hoi-policy",
    "observer": SERVICE,
    "type": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
            "code": "4",
            "display": "Application Server",
        }
    ],
}
"""This service as the audit source of what it does as an application (a
disclosure, a read of the evaluation)."""

# Our purposes where HL7 has a matching purpose-of-use code.
_ACT_REASON = {
    "current_treatment": ("TREAT", "treatment"),
    "treatment_preparation": ("TREAT", "treatment"),
    "treatment_follow_up": ("TREAT", "treatment"),
    "coordination": ("COC", "coordination of care"),
}


def _purpose(purpose: str) -> dict[str, Any]:
    codings: list[dict[str, str]] = [{"system": f"{BASE}/purpose", "code": purpose}]
    if purpose in _ACT_REASON:
        code, display = _ACT_REASON[purpose]
        codings.append({"system": ACT_REASON, "code": code, "display": display})
    return {"coding": codings}


def _network(address: str | None) -> dict[str, str] | None:
    if not address:
        return None
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return {"address": address, "type": "1"}  # machine name
    return {"address": address, "type": "2"}  # IP address


def _patient(record: AuditRecord) -> dict[str, Any]:
    return {
        "what": {
            "type": "Patient",
            "identifier": {"system": CPR_SYSTEM, "value": record.child_cpr},
        },
        "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
        "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
    }


def _user(record: AuditRecord, organisation_name: Callable[[str], str | None]) -> dict[str, Any]:
    role = record.requester.role
    label = catalogue().roles[role].label if role in catalogue().roles else role
    return {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "IRCP",
                    "display": "information recipient",
                }
            ]
        },
        "who": {
            "identifier": {"system": f"{BASE}/subject", "value": record.requester.id},
        },
        "role": [{"coding": [{"system": f"{BASE}/role", "code": role, "display": label}]}],
        "requestor": True,
        "purposeOfUse": [_purpose(record.purpose)],
    }


def _organisation(
    record: AuditRecord, organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    org = record.requester.organisation_id
    who: dict[str, Any] = {"identifier": {"system": f"{BASE}/organisation", "value": org}}
    name = organisation_name(org)
    if name:
        who["display"] = name
    return {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
                    "code": "PROV",
                    "display": "healthcare provider",
                }
            ]
        },
        "who": who,
        "requestor": False,
    }


def _extensions(record: AuditRecord) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = [
        {"url": f"{EXT}decision-id", "valueString": record.decision_id},
        {"url": f"{EXT}trace-id", "valueString": record.trace_id},
        {"url": f"{EXT}policy-revision", "valueString": record.policy_revision},
        {"url": f"{EXT}engine", "valueCode": record.engine},
        {"url": f"{EXT}override", "valueBoolean": record.override.used},
    ]
    if record.override.used and record.override.reason:
        extensions.append({"url": f"{EXT}override-reason", "valueString": record.override.reason})
    return extensions


def _outcome_text(record: AuditRecord) -> str:
    parts = []
    for name, c in record.categories.items():
        if c.decision == "permit":
            basis = ", ".join(c.legal_basis)
            parts.append(f"{name}: permit under {c.rule_id} ({basis})")
        else:
            codes = ", ".join(f"{r.code} ({r.rule_id})" for r in c.reasons)
            parts.append(f"{name}: deny: {codes}")
    return "; ".join(parts)


def _relied_on_entities(record: AuditRecord) -> list[dict[str, Any]]:
    entities = []
    for kind, ids in (
        ("consent", record.relied_on.consents),
        ("objection", record.relied_on.objections),
        ("block", record.relied_on.blocks),
    ):
        for ident in ids:
            entities.append(
                {
                    "what": {
                        "type": "Consent",
                        "identifier": {"system": f"{BASE}/{kind}", "value": ident},
                    },
                    "type": {
                        "system": "http://hl7.org/fhir/resource-types",
                        "code": "Consent",
                        "display": "Consent",
                    },
                    "detail": [{"type": "relied-on-as", "valueString": kind}],
                }
            )
    return entities


def _event_id(stored: StoredRecord) -> str:
    record = stored.record
    if record.kind in ("decision", "evaluation_read"):
        return record.decision_id
    return f"{record.decision_id}.disclosure.{stored.seq}"


def decision_event(
    stored: StoredRecord, organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    record = stored.record
    denied = record.outcome == "deny"
    client: dict[str, Any] = {
        "type": {"coding": [{"system": DCM, "code": "110150", "display": "Application"}]},
        "who": {"display": "policy enforcement point (the calling system)"},
        "requestor": False,
    }
    network = _network(record.client_address)
    if network:
        client["network"] = network
    return {
        "resourceType": "AuditEvent",
        "id": _event_id(stored),
        "meta": {"profile": [AUTHZ_PROFILE]},
        "extension": _extensions(record),
        "type": {"system": DCM, "code": "110113", "display": "Security Alert"},
        "subtype": [
            {
                "system": AUTHZ_SUBTYPE,
                "code": "AuthZ-Consent",
                "display": "Authorization Decision using Roles and Consent",
            }
        ],
        "action": "E",
        "recorded": record.recorded_at.isoformat(),
        "outcome": "8" if denied else "0",
        "outcomeDesc": _outcome_text(record),
        "purposeOfEvent": [_purpose(record.purpose)],
        "agent": [
            client,
            _user(record, organisation_name),
            _organisation(record, organisation_name),
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                            "code": "authserver",
                            "display": "authorization server",
                        }
                    ]
                },
                "who": SERVICE,
                "requestor": False,
            },
        ],
        "source": {
            "site": "hoi-policy",
            "observer": SERVICE,
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "6",
                    "display": "Security Server",
                }
            ],
        },
        "entity": [_patient(record), *_relied_on_entities(record)],
    }


def disclosure_event(
    stored: StoredRecord, organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    record = stored.record
    recipient: dict[str, Any] = {
        "type": {"coding": [{"system": DCM, "code": "110152", "display": "Destination Role ID"}]},
        "who": _organisation(record, organisation_name)["who"],
        "requestor": False,
    }
    network = _network(record.client_address)
    if network:
        recipient["network"] = network
    calls = ", ".join(f"{c.source} {c.status} {c.duration_us} us" for c in record.source_calls)
    return {
        "resourceType": "AuditEvent",
        "id": _event_id(stored),
        "meta": {"profile": [DISCLOSURE_PROFILE]},
        "extension": _extensions(record),
        "type": {"system": DCM, "code": "110106", "display": "Export"},
        "subtype": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
                "code": "disclose",
                "display": "Disclose Record Lifecycle Event",
            }
        ],
        "action": "R",
        "recorded": record.recorded_at.isoformat(),
        "outcome": "0",
        "outcomeDesc": f"released {', '.join(sorted(record.released))}"
        + (f"; source calls: {calls}" if calls else ""),
        "purposeOfEvent": [_purpose(record.purpose)],
        "agent": [
            {
                "type": {
                    "coding": [{"system": DCM, "code": "110153", "display": "Source Role ID"}]
                },
                "who": SERVICE,
                "requestor": False,
                "network": {"address": "hoi-policy", "type": "1"},
            },
            recipient,
            _user(record, organisation_name),
        ],
        "source": APPLICATION_SOURCE,
        "entity": [
            _patient(record),
            *(
                {
                    "what": {"identifier": {"system": f"{BASE}/category", "value": category}},
                    "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                    "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
                    "detail": [{"type": "fields", "valueString": ",".join(fields)}],
                }
                for category, fields in sorted(record.released.items())
            ),
        ],
    }


def evaluation_event(
    stored: StoredRecord, organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    """A read of the pilot's evaluation: a query (DICOM 110112) by the user over a
    period, whose entity is the report (object role 3), not a patient."""
    record = stored.record
    shown = record.evaluation
    period = f"{shown.period_start}/{shown.period_end}" if shown else ""
    detail = [{"type": "view", "valueString": shown.view}] if shown else []
    if shown and shown.name:
        detail.append({"type": "name", "valueString": shown.name})
    return {
        "resourceType": "AuditEvent",
        "id": _event_id(stored),
        "extension": _extensions(record),
        "type": {"system": DCM, "code": "110112", "display": "Query"},
        "action": "E",
        "recorded": record.recorded_at.isoformat(),
        "outcome": "0",
        "outcomeDesc": f"evaluation {period} read ({shown.view if shown else 'unknown'})",
        "agent": [_user(record, organisation_name)],
        "source": APPLICATION_SOURCE,
        "entity": [
            {
                "what": {"identifier": {"system": f"{BASE}/evaluation", "value": period}},
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                "role": {"system": OBJECT_ROLE, "code": "3", "display": "Report"},
                "detail": detail,
            }
        ],
    }


_BUILDERS = {"decision": decision_event, "evaluation_read": evaluation_event}


def audit_event(
    stored: StoredRecord, organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    """The record as a validated FHIR AuditEvent (JSON)."""
    build = _BUILDERS.get(stored.record.kind, disclosure_event)
    event = AuditEvent.model_validate(build(stored, organisation_name))
    return event.model_dump(mode="json", exclude_none=True)


def audit_bundle(
    records: Sequence[StoredRecord], organisation_name: Callable[[str], str | None]
) -> dict[str, Any]:
    """A decision's records (the decision and its disclosures) as a Bundle."""
    entries = [
        {
            "fullUrl": f"{BASE}/AuditEvent/{_event_id(r)}",
            "resource": audit_event(r, organisation_name),
        }
        for r in records
    ]
    bundle = Bundle.model_validate(
        {"resourceType": "Bundle", "type": "collection", "entry": entries}
    )
    return bundle.model_dump(mode="json", exclude_none=True)
