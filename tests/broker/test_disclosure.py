"""Where a disclosure happens: the recorder sees what leaves (never the data), and
if it cannot record, nothing leaves. Records of excluded organisations are dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from audit.log import AuditUnavailable
from broker.broker import DataBroker
from broker.disclosure import Disclosure
from broker.sources import load_sources
from sandbox.pilot import organisations
from sandbox.population import population
from sandbox.server import SandboxServer
from tests.broker.conftest import (
    ALMA,
    CASEWORKER,
    CASEWORKER_REQUEST,
    DAY,
    OverviewApp,
    appointments_decision,
    overview,
    services_of,
)
from tests.conftest import auditor_headers, citizen_headers


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[Disclosure] = []

    async def record(self, disclosure: Disclosure) -> None:
        if self.fail:
            raise OSError("the audit store is down")
        self.seen.append(disclosure)


AUDITOR = auditor_headers()


def _audit_trail(client: TestClient, decision_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/audit/{decision_id}", headers=AUDITOR)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = [stored["record"] for stored in response.json()]
    return records


def test_the_decision_and_the_disclosure_are_audited_without_the_data(
    service: OverviewApp,
) -> None:
    client = service()
    body = overview(client, ALMA, CASEWORKER)

    decision, disclosure = _audit_trail(client, body["decision_id"])
    assert decision["kind"] == "decision"
    assert disclosure["kind"] == "disclosure"
    assert disclosure["released"] == {
        "psychiatry_appointments": ["date", "time", "department", "status"],
        # the contact point's address is released, and recorded as such (issue 13)
        "psychiatry_contacts": [
            "department",
            "section",
            "phone",
            "secure_mail",
            "sor_id",
            "recipient",
        ],
        "child_identity": ["name", "age", "custody_holders"],
    }
    assert {c["source"] for c in disclosure["source_calls"]} == {
        "bup-rn-appointments",
        "bup-rn-contact-points",
        "cpr",
    }
    recorded = json.dumps(disclosure)
    for record in body["data"]["psychiatry_contacts"]["records"]:
        assert record["phone"] not in recorded and record["secure_mail"] not in recorded
        assert record["recipient"]["write_to"] not in recorded


def test_nothing_leaves_when_the_disclosure_cannot_be_recorded(
    service: OverviewApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = service()

    async def refuse(*args: object, **kwargs: object) -> None:
        raise AuditUnavailable("the audit store is down")

    monkeypatch.setattr(services_of(client).audit, "record_disclosure", refuse)

    body = overview(client, ALMA, CASEWORKER)

    assert body["data"] == {}
    assert body["withheld"]["psychiatry_appointments"]["reasons"][0]["code"] == (
        "disclosure_not_recorded"
    )
    assert all(s["records"] == 0 for s in body["sources"])


def test_no_disclosure_is_recorded_when_nothing_is_permitted(service: OverviewApp) -> None:
    client = service()
    body = overview(client, ALMA, {**CASEWORKER, "role": "janitor"})
    [decision] = _audit_trail(client, body["decision_id"])
    assert decision["outcome"] == "deny"


@pytest.mark.anyio
async def test_the_broker_hands_its_recorder_what_leaves(sandbox: SandboxServer) -> None:
    recorder = Recorder()
    broker = DataBroker.build(load_sources(sandbox_url=sandbox.url), recorder=recorder)
    try:
        result = await broker.overview(CASEWORKER_REQUEST, appointments_decision([]))
    finally:
        await broker.aclose()
    [disclosure] = recorder.seen
    [category] = disclosure.categories
    assert category.released == ["date", "department"]
    assert category.records == len(result.data["psychiatry_appointments"].records) > 0
    assert [c.source for c in disclosure.source_calls] == ["bup-rn-appointments"]


@pytest.mark.anyio
async def test_a_failing_recorder_withholds_everything(sandbox: SandboxServer) -> None:
    broker = DataBroker.build(load_sources(sandbox_url=sandbox.url), recorder=Recorder(fail=True))
    try:
        result = await broker.overview(CASEWORKER_REQUEST, appointments_decision([]))
    finally:
        await broker.aclose()
    assert result.data == {}
    assert result.withheld["psychiatry_appointments"].reasons[0].code == "disclosure_not_recorded"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exclude", "shown"),
    [
        ([], True),
        (["bup-rn-hjoerring"], True),
        (["bup-rn-aalborg-amb"], False),
        (["bup-rn"], False),
    ],
)
async def test_records_of_excluded_organisations_and_their_units_are_dropped(
    sandbox: SandboxServer, exclude: list[str], shown: bool
) -> None:
    orgs = organisations()
    broker = DataBroker.build(
        load_sources(sandbox_url=sandbox.url),
        part_of=lambda o: orgs[o].part_of if o in orgs else (),
    )
    try:
        result = await broker.overview(CASEWORKER_REQUEST, appointments_decision(exclude))
    finally:
        await broker.aclose()
    records = result.data["psychiatry_appointments"].records
    assert bool(records) is shown
    assert all(set(r) == {"date", "department"} for r in records)


def test_a_block_on_a_source_department_drops_its_records_from_the_overview(
    service: OverviewApp,
) -> None:
    client = service()
    before = overview(client, ALMA, CASEWORKER)
    assert before["data"]["psychiatry_appointments"]["records"]
    mother = population(DAY).children[ALMA].record.custody_holders[0]
    block = {
        "target_kind": "source_organisation",
        "target_id": "bup-rn",  # the whole psychiatry region, with its departments
        "include_sub_units": True,
        "categories": ["psychiatry_appointments"],
        "valid_from": "2026-11-01",
    }
    # The mother sets the block with her own citizen login.
    created = client.post(
        f"/v1/children/{ALMA}/blocks", json=block, headers=citizen_headers(mother)
    )
    assert created.status_code == 201, created.text

    after = overview(client, ALMA, CASEWORKER)

    appointments = after["data"]["psychiatry_appointments"]  # still permitted ...
    assert appointments["records"] == []  # ... but nothing from the blocked source leaves
    # the audit trail counts what the block withheld, for the evaluation
    [disclosure] = [
        r for r in _audit_trail(client, after["decision_id"]) if r["kind"] == "disclosure"
    ]
    [call] = [c for c in disclosure["source_calls"] if c["source"] == "bup-rn-appointments"]
    assert (
        call["records"]
        == call["withheld"]
        == len(before["data"]["psychiatry_appointments"]["records"])
    )
    assert after["data"]["psychiatry_contacts"] == before["data"]["psychiatry_contacts"]


@pytest.mark.anyio
async def test_the_disclosure_counts_what_each_source_answered_and_a_block_withheld(
    sandbox: SandboxServer,
) -> None:
    """The evaluation's data quality (empty answers, records withheld by blocks) is
    read from these counts: the source's answer, and how many of its records the
    exclusion dropped; the professional's answer says neither."""
    orgs = organisations()
    seen: dict[tuple[str, ...], tuple[int, int, int]] = {}
    for exclude in ([], ["bup-rn"]):
        recorder = Recorder()
        broker = DataBroker.build(
            load_sources(sandbox_url=sandbox.url),
            recorder=recorder,
            part_of=lambda o: orgs[o].part_of if o in orgs else (),
        )
        try:
            result = await broker.overview(CASEWORKER_REQUEST, appointments_decision(exclude))
        finally:
            await broker.aclose()
        [disclosure] = recorder.seen
        [call] = disclosure.source_calls
        [status] = result.sources
        seen[tuple(exclude)] = (call.records, call.withheld, status.records)
        assert "withheld" not in status.model_dump()

    answered, withheld, shown = seen[()]
    assert answered > 0 and withheld == 0 and shown == answered
    assert seen[("bup-rn",)] == (answered, answered, 0)
