"""Audit records: complete, committed before the answer, group-committed, and
disclosures limited to what the decision permitted."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.settings import Settings
from audit.models import AuditRecord, SourceCall
from policy.decision import DecisionRequest
from policy.errors import NotEntitled, NotFound
from sandbox.app import build_dev_services
from tests.audit.helpers import AUDITOR, DAY, request_body, story
from tests.conftest import DEFAULT_SUBJECT, AppFactory, auth_headers, fixed_clock


def _records(client: TestClient, decision_id: str) -> list[dict[str, object]]:
    response = client.get(f"/v1/audit/{decision_id}", headers=AUDITOR)
    assert response.status_code == 200, response.text
    records: list[dict[str, object]] = response.json()
    return records


def test_every_decision_is_recorded_with_what_was_decided_and_why(
    make_client: AppFactory,
) -> None:
    client = make_client(day=DAY)
    body = request_body(story(0))
    response = client.post(
        "/v1/decisions",
        json=body,
        headers={
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            **auth_headers(body["subject"]),
        },
    )
    decision = response.json()
    [stored] = _records(client, decision["decision_id"])
    record = stored["record"]
    assert isinstance(record, dict)
    assert record["kind"] == "decision"
    assert record["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert record["requester"] == {
        "id": "cw-851-family-1",
        "role": "municipal_caseworker",
        "organisation_type": "municipality",
        "organisation_id": "851-family",
        "health_professional": False,
        "acting_system": None,
    }
    assert record["child_cpr"] == story(0)
    assert record["purpose"] == "social_case_work"
    assert record["categories_asked"] == body["resource"]["categories"]
    assert record["outcome"] == "partial"
    assert record["policy_revision"] == decision["policy_revision"]
    assert record["engine"] == "embedded"
    appointments = record["categories"]["psychiatry_appointments"]
    assert appointments["decision"] == "permit"
    assert appointments["rule_id"] == "SUL-43-1-CONSENT"
    assert appointments["legal_basis"] == ["sul-43-1", "sul-44"]
    assert appointments["relied_on"]["consents"] == decision["relied_on"]["consents"]
    school = record["categories"]["school_daycare"]
    assert [(r["code"], r["rule_id"]) for r in school["reasons"]] == [
        ("no_legal_basis", "DENY-NO-LEGAL-BASIS")
    ]
    assert record["released"] == {
        "psychiatry_appointments": ["date", "time", "department", "status"],
        # the contact point's address is a field like any other (issue 13)
        "psychiatry_contacts": [
            "department",
            "section",
            "phone",
            "secure_mail",
            "sor_id",
            "recipient",
        ],
    }
    assert record["override"] == {
        "requested": False,
        "used": False,
        "grounds": None,
        "reason": None,
        "refused": False,
        "refusal": None,
    }
    sources = {c["source"] for c in record["source_calls"]}
    assert {"cpr", "consent_registry", "organisations", "relations"} <= sources
    assert all(c["status"] == "ok" for c in record["source_calls"])


def test_an_override_is_recorded_with_its_reason(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    body = request_body(
        story(4),
        id="bup-psychiatrist-1",
        role="bup_psychiatrist",
        organisation={"type": "region_psychiatry", "id": "bup-rn-aalborg-amb"},
        health_professional=True,
    )
    body["resource"]["categories"] = ["psychiatry_appointments"]
    body["context"] = {
        "purpose": "current_treatment",
        "override": {"grounds": "citizen_unreachable", "reason": "Acute admission, parents away"},
    }
    decision = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"])).json()
    record = _records(client, decision["decision_id"])[0]["record"]
    assert isinstance(record, dict)
    assert record["override"]["requested"] is True
    assert record["override"]["reason"] == "Acute admission, parents away"
    assert decision["categories"]["psychiatry_appointments"]["override"] is True
    assert record["override"]["used"] is True
    assert record["relied_on"]["blocks"] == decision["relied_on"]["blocks"] != []


def test_a_system_acting_for_a_professional_is_recorded_beside_them(
    make_client: AppFactory,
) -> None:
    """The municipal view calls for the caseworker (RFC 8693 `act`): the record
    names her as the requester and the view as the system that asked for her."""
    client = make_client(day=DAY)
    headers = auth_headers(DEFAULT_SUBJECT, act="sys-sapa-municipal-view")
    decision = client.post("/v1/decisions", json=request_body(story(0)), headers=headers).json()
    record = _records(client, decision["decision_id"])[0]["record"]
    assert isinstance(record, dict)
    assert record["requester"]["id"] == DEFAULT_SUBJECT["id"]
    assert record["requester"]["acting_system"] == "sys-sapa-municipal-view"


def test_authzen_decisions_are_audited_too(make_client: AppFactory) -> None:
    client = make_client(day=DAY)
    question = {
        "subject": {"type": "user", "id": DEFAULT_SUBJECT["id"]},
        "resource": {
            "type": "child",
            "id": story(0),
            "properties": {"categories": ["psychiatry_appointments"]},
        },
        "action": {"name": "view"},
        "context": {"purpose": "social_case_work"},
    }
    one = client.post("/access/v1/evaluation", json=question).json()
    many = client.post("/access/v1/evaluations", json={"evaluations": [question] * 3}).json()
    ids = [one["context"]["id"], *(e["context"]["id"] for e in many["evaluations"])]
    for decision_id in ids:
        [stored] = _records(client, decision_id)
        record = stored["record"]
        assert isinstance(record, dict) and record["kind"] == "decision"


def test_a_decision_whose_audit_record_cannot_be_written_is_not_sent(
    make_client: AppFactory,
) -> None:
    client = make_client(day=DAY)
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.begin() as conn:
        conn.execute(text("DROP TABLE audit_record"))
    response = client.post("/v1/decisions", json=request_body(story(0)))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "decision_id" not in response.text
    assert "nothing was released" in response.json()["detail"]


def _services(tmp_path: Path) -> Settings:
    return Settings(
        environment="test", var_dir=tmp_path, demo_reference_date=DAY, seed_demo_data=True
    )


def test_concurrent_decisions_share_commits(tmp_path: Path) -> None:
    """Group commit: 200 concurrent requests need far fewer than 200 commits,
    and every one gets its own place in the chain."""

    async def run() -> tuple[list[int], int]:
        services = build_dev_services(_services(tmp_path), clock=fixed_clock(DAY))
        try:
            request = DecisionRequest.model_validate(request_body(story(0)))
            decided = await services.pdp.decide(request)

            async def one() -> int:
                # Each request has its own decision; they reach the log at once.
                decision = decided.model_copy(update={"decision_id": str(uuid.uuid4())})
                receipt = await services.audit.record_decision(request, decision, trace_id="t")
                return receipt.seq

            seqs = await asyncio.gather(*(one() for _ in range(200)))
            return list(seqs), services.audit.batches
        finally:
            await services.aclose()

    seqs, batches = asyncio.run(run())
    assert sorted(seqs) == list(range(1, 201))
    assert batches < 50


def test_a_disclosure_is_recorded_against_its_decision(tmp_path: Path) -> None:
    async def run() -> list[str]:
        services = build_dev_services(_services(tmp_path), clock=fixed_clock(DAY))
        try:
            request = DecisionRequest.model_validate(request_body(story(0)))
            decision = await services.pdp.decide(request)
            await services.audit.record_decision(request, decision, trace_id="t")
            calls = [SourceCall(source="bup-epj", status="ok", duration_us=1830)]
            receipt = await services.audit.record_disclosure(
                decision.decision_id, {"psychiatry_appointments": ["date", "department"]}, calls
            )
            assert receipt.seq == 2
            with pytest.raises(NotEntitled):  # denied by the decision
                await services.audit.record_disclosure(
                    decision.decision_id, {"school_daycare": ["institution_name"]}
                )
            with pytest.raises(NotEntitled):  # a field the decision did not permit
                await services.audit.record_disclosure(
                    decision.decision_id, {"psychiatry_contacts": ["home_address"]}
                )
            with pytest.raises(NotFound):  # a decision never audited
                await services.audit.record_disclosure(
                    "no-such-decision", {"psychiatry_appointments": ["date"]}
                )
            return [decision.decision_id]
        finally:
            await services.aclose()

    [decision_id] = asyncio.run(run())
    app_settings = _services(tmp_path)
    services = build_dev_services(app_settings, clock=fixed_clock(DAY))
    try:
        from audit.query import records_of_decision

        records = records_of_decision(services.db, decision_id)
    finally:
        asyncio.run(services.aclose())
    assert [r.record.kind for r in records] == ["decision", "disclosure"]
    disclosure = records[1].record
    assert disclosure.released == {"psychiatry_appointments": ["date", "department"]}
    assert disclosure.source_calls == [SourceCall(source="bup-epj", status="ok", duration_us=1830)]
    assert disclosure.requester == records[0].record.requester
    assert disclosure.outcome == "disclosed"


def test_a_disclosure_rests_on_the_committed_decision_in_this_process_or_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log keeps the decisions it committed, so an overview's disclosure is
    checked without reading its decision back; a decision another worker process
    committed is read from the database, and checked the same way."""
    import audit.log
    from audit.store import find_decision

    reads: list[str] = []

    def counted(db: Engine, decision_id: str) -> AuditRecord | None:
        reads.append(decision_id)
        return find_decision(db, decision_id)

    monkeypatch.setattr(audit.log, "find_decision", counted)

    async def run() -> None:
        here = build_dev_services(_services(tmp_path), clock=fixed_clock(DAY))
        elsewhere = build_dev_services(_services(tmp_path), clock=fixed_clock(DAY))
        try:
            request = DecisionRequest.model_validate(request_body(story(0)))
            decision = await here.pdp.decide(request)
            await here.audit.record_decision(request, decision, trace_id="t")
            released = {"psychiatry_appointments": ["date", "department"]}
            await here.audit.record_disclosure(decision.decision_id, released)
            assert reads == []
            await elsewhere.audit.record_disclosure(decision.decision_id, released)
            assert reads == [decision.decision_id]
            with pytest.raises(NotEntitled):  # read back, and held to what it permitted
                await elsewhere.audit.record_disclosure(
                    decision.decision_id, {"psychiatry_contacts": ["home_address"]}
                )
        finally:
            await here.aclose()
            await elsewhere.aclose()

    asyncio.run(run())


def test_the_decisions_a_log_keeps_give_the_garbage_collector_nothing_to_walk(
    tmp_path: Path,
) -> None:
    """The kept decisions are the committed text: a few thousand of them as models
    held about a hundred objects each, and every full collection walked them all
    (pauses of over 100 ms under load)."""
    import gc

    async def run() -> int:
        services = build_dev_services(_services(tmp_path), clock=fixed_clock(DAY))
        try:
            request = DecisionRequest.model_validate(request_body(story(0)))
            decision = await services.pdp.decide(request)
            await services.audit.record_decision(request, decision, trace_id="t")
            gc.collect()
            before = len(gc.get_objects())
            for _ in range(300):
                another = decision.model_copy(update={"decision_id": str(uuid.uuid4())})
                await services.audit.record_decision(request, another, trace_id="t")
            gc.collect()
            return len(gc.get_objects()) - before
        finally:
            await services.aclose()

    assert asyncio.run(run()) < 300  # before: 65 an extra record kept


def test_the_cli_decision_is_audited_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cli.main import main

    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HOI_ENVIRONMENT", "test")
    from api.settings import get_settings

    get_settings.cache_clear()
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request_body(story(0))))
    try:
        assert main(["sandbox", "decide", str(path)]) in (0, 1)
        assert main(["audit", "verify"]) == 0
    finally:
        get_settings.cache_clear()
    services = build_dev_services(Settings(environment="test", var_dir=tmp_path))
    try:
        with services.db.connect() as conn:
            rows = conn.execute(text("SELECT kind FROM audit_record"))
            kinds = [str(row[0]) for row in rows]
    finally:
        asyncio.run(services.aclose())
    assert kinds == ["decision"]
