"""POST /v1/correspondence from outside: who may send what to whom, and what is kept.

The abuse tests come first: a sender named in the body, a recipient handle the
register does not hold, a citizen's token, the wrong municipality's unit. Then
what a permitted message leaves behind: one transaction holding the decision,
the disclosure and the outbox row, and a line in the family's access log."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from audit.store import RECORDS
from correspondence.outbox import OUTBOX
from handbook.scenarios import SEND_SCENARIO_DIR, SendScenario, load_send_scenarios
from sandbox.worlds import scenario_population
from tests.conftest import AppFactory, auditor_headers, auth_headers
from tests.test_scenarios import PROBLEM_BASE, family, record

SCENARIOS = {s.id: s for s in load_send_scenarios(SEND_SCENARIO_DIR)}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _world(make_client: AppFactory, name: str) -> tuple[TestClient, SendScenario]:
    scenario = SCENARIOS[name]
    client = make_client(population=scenario_population(scenario), day=scenario.date)
    record(client, scenario)
    return client, scenario


def _sender(scenario: SendScenario) -> dict[str, str]:
    return auth_headers(scenario.decision_body()["subject"], extra={"name": "Anna Testlæge"})


def _rows(client: TestClient) -> tuple[int, int]:
    """(audit records, outbox rows)."""
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.connect() as conn:
        records = conn.execute(select(func.count()).select_from(RECORDS)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one()
    return int(records), int(queued)


def _outbox(client: TestClient) -> list[dict[str, Any]]:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX))]


def _records(client: TestClient, kind: str) -> list[dict[str, Any]]:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.connect() as conn:
        bodies = conn.execute(select(RECORDS.c.body).where(RECORDS.c.kind == kind)).scalars()
        return [json.loads(b) for b in bodies]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"sender": {"organisation_id": "851-family"}}, "sender"),
        ({"subject": {"id": "gp-2", "role": "gp"}}, "subject"),
        ({"author": {"given": "Someone", "family": "Else"}}, "author"),
    ],
)
def test_the_body_cannot_say_who_sends(
    make_client: AppFactory, extra: dict[str, Any], field: str
) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    before = _rows(client)
    response = client.post(
        "/v1/correspondence", json={**scenario.message_body(), **extra}, headers=_sender(scenario)
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert _rows(client) == before


@pytest.mark.parametrize(
    "handle",
    ["org/851/unit/nowhere", "org/bup-rn/unit/851-family", "851-family", "org/851-family"],
)
def test_an_unknown_recipient_is_refused_naming_write_to_and_nothing_is_written(
    make_client: AppFactory, handle: str
) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    before = _rows(client)
    body = {**scenario.message_body(), "write_to": handle}
    response = client.post("/v1/correspondence", json=body, headers=_sender(scenario))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "write_to"
    assert _rows(client) == before


def test_a_citizen_or_an_auditor_cannot_send(make_client: AppFactory) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    for headers in (family(scenario, "mother"), auditor_headers()):
        response = client.post("/v1/correspondence", json=scenario.message_body(), headers=headers)
        assert response.status_code == 403, response.text
    assert _outbox(client) == []


def test_the_wrong_municipality_is_refused_audited_and_nothing_is_queued(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "wrong_recipient_another_municipality")
    response = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=_sender(scenario)
    )
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["type"] == PROBLEM_BASE + "correspondence-refused"
    codes = [r["code"] for r in problem["decision"]["categories"]["correspondence"]["reasons"]]
    assert "recipient_not_involved" in codes
    assert _outbox(client) == []
    assert _records(client, "disclosure") == []
    (refusal,) = [r for r in _records(client, "decision") if r["correspondence"]]
    assert refusal["decision_id"] == problem["decision_id"]
    assert refusal["outcome"] == "deny"
    assert refusal["correspondence"]["recipient_organisation_id"] == "849-family"
    assert "text" not in json.dumps(refusal["correspondence"])


def test_a_pdf_that_is_not_one_is_refused_by_content(make_client: AppFactory) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    before = _rows(client)
    fake = {
        "title": "Journal note",
        "content_type": "application/pdf",
        "data": base64.b64encode(b"MZ\x90\x00 not a pdf at all").decode(),
        "filename": "note.pdf",
    }
    body = {**scenario.message_body(), "attachments": [fake]}
    response = client.post("/v1/correspondence", json=body, headers=_sender(scenario))
    assert response.status_code == 422, response.text
    assert response.json()["field"].startswith("attachments[0]")
    assert _rows(client) == before


def test_a_permitted_message_leaves_decision_disclosure_and_outbox_row_together(
    make_client: AppFactory,
) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    attachment = {
        "title": "Status",
        "content_type": "application/pdf",
        "data": base64.b64encode(PDF).decode(),
    }
    body = {**scenario.message_body(), "attachments": [attachment]}
    response = client.post("/v1/correspondence", json=body, headers=_sender(scenario))
    assert response.status_code == 202, response.text
    sent = response.json()
    assert sent["recipient"]["write_to"] == "org/851/unit/851-family"
    (row,) = _outbox(client)
    assert row["message_id"] == sent["message_id"]
    assert row["decision_id"] == sent["decision_id"]
    assert row["recipient_organisation_id"] == "851-family"
    bundle = json.loads(row["bundle"])
    assert bundle["entry"][0]["resource"]["id"] == sent["message_id"]  # the MessageHeader
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "MessageHeader"
    assert "Provenance" in kinds
    (decision,) = [r for r in _records(client, "decision") if r["correspondence"]]
    (disclosure,) = _records(client, "disclosure")
    assert decision["decision_id"] == disclosure["decision_id"] == sent["decision_id"]
    assert disclosure["released"] == {"correspondence": ["message"]}
    assert disclosure["correspondence"]["attachments"] == 1
    # No content in the audit trail: neither the text nor the attachment.
    trail = json.dumps(_records(client, "decision") + _records(client, "disclosure"))
    assert scenario.send.text not in trail
    assert base64.b64encode(PDF).decode() not in trail
    # The family sees the message (not its content) in its access log.
    log = client.get(
        f"/v1/citizens/{scenario.cpr('child')}/access-log", headers=family(scenario, "mother")
    ).json()
    (line,) = [e for e in log["entries"] if e["kind"] == "correspondence"]
    assert line["summary"].startswith("Sent a message to Aalborg Kommune, Børne- og familie")
    assert line["released_categories"] == ["correspondence"]


def test_only_the_sending_organisation_sees_a_message_status(make_client: AppFactory) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    sent = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=_sender(scenario)
    ).json()
    url = f"/v1/correspondence/{sent['message_id']}"
    mine = client.get(url, headers=_sender(scenario))
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] in ("pending", "delivered")
    assert "bundle" not in mine.json()
    caseworker = {
        "id": "cw-9",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": "851-family"},
    }
    theirs = client.get(url, headers=auth_headers(caseworker))
    assert theirs.status_code == 404, theirs.text


def test_a_sent_message_is_delivered_acknowledged_and_filed_on_the_case(
    make_client: AppFactory,
) -> None:
    """The round trip on the development service: the relay posts the outbox row to
    the sandbox network, the family department's inbox files it on the child's open
    case and acknowledges; the sender reads the acknowledgement."""
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    sent = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=_sender(scenario)
    ).json()
    url = f"/v1/correspondence/{sent['message_id']}"
    deadline = time.monotonic() + 20
    status = client.get(url, headers=_sender(scenario)).json()
    while status["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = client.get(url, headers=_sender(scenario)).json()
    assert status["status"] == "delivered", status
    ack = status["acknowledgement"]
    assert ack["code"] == "ok"
    assert ack["acknowledges"] == sent["message_id"]
    assert ack["filing"] == "filed-on-case"
    assert ack["filed_on_case"] == "case-1"
    (row,) = _outbox(client)
    assert row["bundle"] is None  # the content is not kept once delivered


def _delivered(client: TestClient, message_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    status: dict[str, Any] = client.get(f"/v1/correspondence/{message_id}", headers=headers).json()
    while status["status"] == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
        status = client.get(f"/v1/correspondence/{message_id}", headers=headers).json()
    return status


def test_the_caseworker_replies_in_the_thread_and_the_reply_is_decided_too(
    make_client: AppFactory,
) -> None:
    """The family department answers the GP's message: the reply carries the GP's
    segment and a Provenance pointing at the GP's MessageHeader. It is a disclosure
    of its own, decided on the municipality's route (Forvaltningsloven § 28)."""
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    sent = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=_sender(scenario)
    ).json()
    assert _delivered(client, sent["message_id"], _sender(scenario))["status"] == "delivered"
    sandbox = client.app.state.services.sandbox  # type: ignore[attr-defined]
    gln = sent["recipient"]["gln"]
    previous = json.loads(sandbox.network.bundle(gln, sent["message_id"]))
    caseworker = {
        "id": "cw-1",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": "851-family"},
    }
    reply = {
        "child_cpr": scenario.cpr("child"),
        "write_to": "org/gp-gistrup-laegeklinik",
        "topic": "coordination",
        "text": "Thank you; we have a meeting with the family on Friday.",
        "activity": "reply",
        "previous": previous,
    }
    # Without the family's consent to the municipality writing to the GP: refused.
    refused = client.post("/v1/correspondence", json=reply, headers=auth_headers(caseworker))
    assert refused.status_code == 403, refused.text
    for parent in ("mother", "father"):
        consent = {
            "regime": "fvl-28-2-1",
            "categories": ["municipal_case_status"],
            "recipient": {"organisation_id": "gp-gistrup-laegeklinik"},
            "form": "written",
            "given_on": "2026-11-20",
        }
        created = client.post(
            f"/v1/children/{scenario.cpr('child')}/consents",
            json=consent,
            headers=family(scenario, parent),
        )
        assert created.status_code == 201, created.text
    answered = client.post("/v1/correspondence", json=reply, headers=auth_headers(caseworker))
    assert answered.status_code == 202, answered.text
    reply_id = answered.json()["message_id"]
    assert _delivered(client, reply_id, auth_headers(caseworker))["status"] == "delivered"
    gp_gln = answered.json()["recipient"]["gln"]
    bundle = json.loads(sandbox.network.bundle(gp_gln, reply_id))
    provenances = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance"
    ]
    assert len(provenances) == 2  # the GP's message and the reply
    revision = [
        entity["what"]["reference"]
        for p in provenances
        for entity in p.get("entity", [])
        if entity["role"] == "revision"
    ]
    assert revision == [f"MessageHeader/{sent['message_id']}"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"activity": "reply"}, "previous"),
        ({"previous": {"resourceType": "Bundle", "type": "message", "entry": []}}, "previous"),
        ({"activity": "forward", "previous": {"resourceType": "Patient"}}, "previous"),
        ({"category": "other"}, "title"),
    ],
)
def test_a_message_that_cannot_be_built_is_refused_before_anything_is_decided(
    make_client: AppFactory, change: dict[str, Any], field: str
) -> None:
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    before = _rows(client)
    body = {**scenario.message_body(), **change}
    response = client.post("/v1/correspondence", json=body, headers=_sender(scenario))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert _rows(client) == before


def test_without_a_message_network_nothing_is_accepted(make_client: AppFactory) -> None:
    """A service with no message network configured (no relay) refuses to send,
    rather than accept a message that could never leave."""
    client, scenario = _world(make_client, "gp_to_family_department_with_consent")
    client.app.state.services.correspondence.notify = None  # type: ignore[attr-defined]
    before = _rows(client)
    response = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=_sender(scenario)
    )
    assert response.status_code == 503, response.text
    assert _rows(client) == before
