"""Where a disclosure happens: the recorder sees what leaves (never the data), and
if it cannot record, nothing leaves. Records of excluded organisations are dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from broker.broker import DataBroker
from broker.disclosure import Disclosure
from broker.registry import load_registry
from policy.decision import CategoryDecision, Decision, DecisionRequest, ReliedOn
from sandbox.pilot import organisations
from sandbox.server import SandboxServer
from tests.broker.conftest import ALMA, CASEWORKER, OverviewApp, overview, services_of


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[Disclosure] = []

    async def record(self, disclosure: Disclosure) -> None:
        if self.fail:
            raise OSError("the audit store is down")
        self.seen.append(disclosure)


def test_each_disclosure_is_recorded_without_the_data(service: OverviewApp) -> None:
    client = service()
    recorder = Recorder()
    services_of(client).broker.recorder = recorder

    body = overview(client, ALMA, CASEWORKER)

    [disclosure] = recorder.seen
    assert disclosure.decision_id == body["decision_id"]
    assert disclosure.child_cpr == ALMA
    assert disclosure.subject_id == CASEWORKER["subject_id"]
    assert {c.category: c.records for c in disclosure.categories} == {
        c: len(d["records"]) for c, d in body["data"].items()
    }
    appointments = next(c for c in disclosure.categories if c.category == "psychiatry_appointments")
    assert appointments.fields == ["date", "time", "department", "status"]
    assert appointments.rule_id == "SUL-43-1-CONSENT"
    recorded = disclosure.model_dump_json()
    for record in body["data"]["psychiatry_contacts"]["records"]:
        assert record["phone"] not in recorded and record["secure_mail"] not in recorded


def test_nothing_leaves_when_the_disclosure_cannot_be_recorded(service: OverviewApp) -> None:
    client = service()
    services_of(client).broker.recorder = Recorder(fail=True)

    body = overview(client, ALMA, CASEWORKER)

    assert body["data"] == {}
    assert body["withheld"]["psychiatry_appointments"]["reasons"][0]["code"] == (
        "disclosure_not_recorded"
    )
    assert all(s["records"] == 0 for s in body["sources"])


def test_nothing_is_recorded_when_nothing_is_permitted(service: OverviewApp) -> None:
    client = service()
    recorder = Recorder()
    services_of(client).broker.recorder = recorder
    overview(client, ALMA, {**CASEWORKER, "role": "janitor"})
    assert recorder.seen == []


def _decision(exclude: list[str]) -> Decision:
    permit = CategoryDecision(
        category="psychiatry_appointments",
        decision="permit",
        fields=["date", "department"],
        rule_id="SUL-43-1-CONSENT",
        legal_basis=["sul-43-1"],
        reasons=[],
        relied_on=ReliedOn(),
        override=False,
        obligations=[],
        exclude_organisations=exclude,
    )
    return Decision(
        decision_id="d",
        decided_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
        engine="test",
        policy_revision="test",
        categories={"psychiatry_appointments": permit},
        relied_on=ReliedOn(),
    )


REQUEST = DecisionRequest.model_validate(
    {
        "subject": {
            "id": "cw",
            "role": "municipal_caseworker",
            "organisation": {"type": "municipality", "id": "851-family"},
        },
        "resource": {"child_cpr": ALMA, "categories": ["psychiatry_appointments"]},
        "context": {"purpose": "social_case_work"},
    }
)


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
        load_registry(sandbox_url=sandbox.url),
        part_of=lambda o: orgs[o].part_of if o in orgs else (),
    )
    try:
        result = await broker.overview(REQUEST, _decision(exclude))
    finally:
        await broker.aclose()
    records = result.data["psychiatry_appointments"].records
    assert bool(records) is shown
    assert all(set(r) == {"date", "department"} for r in records)
