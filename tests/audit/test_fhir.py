"""The FHIR export: AuditEvents that validate, in BALP's consent-authorization
shape, structured like HL7's official R4 example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from policy.cpr import IDENTIFIER_SYSTEM as CPR_SYSTEM
from tests.audit.helpers import AUDITOR, DAY, decide, request_body, story
from tests.conftest import AppFactory, auth_headers

EXAMPLE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "conformance"
    / "fhir-r4-auditevent"
    / "AuditEvent-example-media.json"
)


def _example() -> dict[str, Any]:
    for candidate in (EXAMPLE, Path("/work/shared/conformance/fhir-r4-auditevent") / EXAMPLE.name):
        if candidate.exists():
            data: dict[str, Any] = json.loads(candidate.read_text())
            return data
    pytest.fail(f"the HL7 example is missing: {EXAMPLE}")


def _codes(concept: dict[str, Any]) -> set[tuple[str, str]]:
    codings = concept.get("coding", [concept])
    return {(c["system"], c["code"]) for c in codings}


def test_the_library_validates_hl7s_r4_example_unchanged() -> None:
    example = _example()
    event = AuditEvent.model_validate(example)
    assert json.loads(event.model_dump_json()) == example
    broken = {k: v for k, v in example.items() if k != "agent"}
    with pytest.raises(ValidationError):
        AuditEvent.model_validate(broken)


def _bundle(make_client: AppFactory, body: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    client = make_client(day=DAY)
    asker = auth_headers(body["subject"])
    decision = client.post("/v1/decisions", json=body, headers=asker).json()
    response = client.get(f"/v1/audit/{decision['decision_id']}/fhir", headers=AUDITOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    bundle = response.json()
    Bundle.model_validate(bundle)
    events = [AuditEvent.model_validate(e["resource"]) for e in bundle["entry"]]
    return decision, [json.loads(e.model_dump_json()) for e in events]


def test_a_permit_is_an_authz_consent_event_with_outcome_0(make_client: AppFactory) -> None:
    decision, [event] = _bundle(make_client, request_body(story(0)))
    assert event["id"] == decision["decision_id"]
    assert event["type"] == {
        "system": "http://dicom.nema.org/resources/ontology/DCM",
        "code": "110113",
        "display": "Security Alert",
    }
    assert event["subtype"][0]["code"] == "AuthZ-Consent"
    assert event["action"] == "E"
    assert event["outcome"] == "0"
    assert "school_daycare: deny" in event["outcomeDesc"]
    agent_types = [_codes(a["type"]) for a in event["agent"]]
    assert agent_types == [
        {("http://dicom.nema.org/resources/ontology/DCM", "110150")},
        {("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP")},
        {("http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV")},
        {("http://terminology.hl7.org/CodeSystem/extra-security-role-type", "authserver")},
    ]
    user = event["agent"][1]
    assert user["requestor"] is True
    assert user["who"]["identifier"]["value"] == "cw-851-family-1"
    assert event["agent"][2]["who"]["display"] == "Aalborg Kommune, Børne- og familieafdelingen"
    assert event["agent"][3]["who"] == event["source"]["observer"]  # BALP val-audit-source
    patient, *consents = event["entity"]
    assert patient["what"]["identifier"] == {"system": CPR_SYSTEM, "value": story(0)}
    assert _codes(patient["role"]) == {("http://terminology.hl7.org/CodeSystem/object-role", "1")}
    assert sorted(c["what"]["identifier"]["value"] for c in consents) == sorted(
        decision["relied_on"]["consents"]
    )
    assert all(
        _codes(c["type"]) == {("http://hl7.org/fhir/resource-types", "Consent")} for c in consents
    )
    extensions = {e["url"].rsplit("-", 1)[-1]: e for e in event["extension"]}
    assert extensions["revision"]["valueString"] == decision["policy_revision"]


def test_a_deny_has_outcome_8(make_client: AppFactory) -> None:
    _, [event] = _bundle(make_client, request_body(story(3), role="janitor"))
    assert event["outcome"] == "8"
    assert "unknown_role" in event["outcomeDesc"]


def test_our_event_has_the_shape_of_hl7s_example(make_client: AppFactory) -> None:
    """Same elements where both say the same thing: coded type and subtype,
    action, recorded, outcome, agents with coded type/who/requestor, a source
    with an observer, entities with what/type/role; the patient as the
    example's first entity (Person, Patient role, by identifier)."""
    example = _example()
    _, [ours] = _bundle(make_client, request_body(story(0)))
    shared = {"type", "subtype", "action", "recorded", "outcome", "agent", "source", "entity"}
    assert shared <= set(example) and shared <= set(ours)
    assert set(example["type"]) == set(ours["type"]) == {"system", "code", "display"}
    for agent in ours["agent"]:
        assert {"type", "who", "requestor"} <= set(agent)
    assert {"observer"} <= set(ours["source"]) and {"observer"} <= set(example["source"])
    assert _codes(ours["entity"][0]["type"]) == _codes(example["entity"][0]["type"])
    assert _codes(ours["entity"][0]["role"]) == _codes(example["entity"][0]["role"])
    assert "identifier" in ours["entity"][0]["what"]
    assert "identifier" in example["entity"][0]["what"]


def test_a_disclosure_is_an_export_event(make_client: AppFactory) -> None:
    from functools import partial

    from audit.models import SourceCall
    from audit.query import records_of_decision

    client = make_client(day=DAY)
    decision = decide(client, story(0))
    services = client.app.state.services  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(
        partial(
            services.audit.record_disclosure,
            decision["decision_id"],
            {"psychiatry_appointments": ["date", "department"]},
            [SourceCall(source="bup-epj", status="ok", duration_us=2100)],
        )
    )
    assert len(records_of_decision(services.db, decision["decision_id"])) == 2
    response = client.get(f"/v1/audit/{decision['decision_id']}/fhir", headers=AUDITOR)
    decision_event, disclosure = [e["resource"] for e in response.json()["entry"]]
    AuditEvent.model_validate(disclosure)
    assert decision_event["type"]["code"] == "110113"
    assert disclosure["type"]["code"] == "110106"
    assert disclosure["subtype"][0]["code"] == "disclose"
    assert disclosure["action"] == "R"
    patient, data = disclosure["entity"]
    assert patient["what"]["identifier"]["value"] == story(0)
    assert data["what"]["identifier"]["value"] == "psychiatry_appointments"
    assert data["detail"] == [{"type": "fields", "valueString": "date,department"}]
    assert "bup-epj ok 2100 us" in disclosure["outcomeDesc"]
