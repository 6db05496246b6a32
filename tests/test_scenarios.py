"""Every compliance scenario, through the API, on the embedded engine and on
real OPA; both must give the expected and identical answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from handbook.expectations import Expectation
from handbook.scenarios import (
    RegistryAttemptSpec,
    Scenario,
    SendScenario,
    load_scenarios,
    load_send_scenarios,
)
from handbook.worlds import DEV_HANDLES
from sandbox.worlds import scenario_population
from tests.conftest import ENGINES, AppFactory, auth_headers, citizen_headers

SCENARIOS = load_scenarios()


PROBLEM_BASE = "https://hoi-policy.example/problems/"


def _recorded(response: Any, refused: str | None) -> str | None:
    """The new entry's id; or, when the scenario expects a refusal, check it."""
    if refused is not None:
        assert response.status_code in (409, 422), response.text
        assert response.json()["type"] == PROBLEM_BASE + refused, response.text
        return None
    assert response.status_code == 201, response.text
    entry_id: str = response.json()["id"]
    return entry_id


def family(scenario: Scenario, person: str) -> dict[str, str]:
    """The citizen token of a person in the scenario: the family records its own."""
    return citizen_headers(scenario.cpr(person), person_id=f"citizen-{person}")


class Recorded:
    """The registry ids a scenario's facts got, by the person or target named."""

    def __init__(self) -> None:
        self.consents: dict[str, list[str]] = {}
        self.objections: dict[str, list[str]] = {}
        self.blocks: dict[str, tuple[str, str]] = {}


def record(client: TestClient, scenario: Scenario) -> Recorded:
    """Put the scenario's consents, objections and blocks in the registry, over the API."""
    cpr = scenario.cpr("child")
    ids = Recorded()
    for spec in scenario.consents:
        created = client.post(
            f"/v1/children/{cpr}/consents",
            json=scenario.consent_body(spec),
            headers=family(scenario, spec.given_by),
        )
        consent_id = _recorded(created, spec.refused)
        if consent_id is None:
            continue
        ids.consents.setdefault(spec.given_by, []).append(consent_id)
        if spec.revoked:
            revoked = client.post(
                f"/v1/children/{cpr}/consents/{consent_id}/revoke",
                headers=family(scenario, spec.given_by),
            )
            assert revoked.status_code == 200, revoked.text
    for objection in scenario.objections:
        created = client.post(
            f"/v1/children/{cpr}/objections",
            json=scenario.objection_body(objection),
            headers=family(scenario, objection.given_by),
        )
        objection_id = _recorded(created, objection.refused)
        if objection_id is not None:
            ids.objections.setdefault(objection.given_by, []).append(objection_id)
    for block in scenario.blocks:
        giver = scenario.block_giver(block)
        created = client.post(
            f"/v1/children/{cpr}/blocks",
            json=scenario.block_body(block),
            headers=family(scenario, giver),
        )
        block_id = _recorded(created, None)
        assert block_id is not None
        ids.blocks[block.target_id or "period"] = (block_id, giver)
    return ids


def attempt(
    client: TestClient, scenario: Scenario, ids: Recorded, spec: RegistryAttemptSpec
) -> None:
    """Someone tries to read or change the registry; check it is allowed or refused."""
    cpr = scenario.cpr("child")
    base = f"/v1/children/{cpr}"
    headers = (
        auth_headers(scenario.decision_body()["subject"])
        if spec.by == "requester"
        else family(scenario, spec.by)
    )
    behalf: dict[str, Any] = {}
    if spec.on_behalf_of is not None:
        handle = DEV_HANDLES.handle(cpr, scenario.cpr(spec.on_behalf_of))
        behalf = {"on_behalf_of": handle, "document_reference": spec.document_reference}
    body: dict[str, Any] | None = None
    if spec.action == "read":
        response = client.get(f"{base}/consents", headers=headers)
    elif spec.action == "record_consent":
        assert spec.consent is not None, spec.title
        body = {**scenario.consent_body(spec.consent), **behalf}
        response = client.post(f"{base}/consents", json=body, headers=headers)
        if response.status_code == 201:
            ids.consents.setdefault(spec.consent.given_by, []).append(response.json()["id"])
    elif spec.action == "record_objection":
        body = {"categories": [], **behalf}
        response = client.post(f"{base}/objections", json=body, headers=headers)
    elif spec.action == "set_block":
        assert spec.block is not None, spec.title
        block = scenario.block_body(spec.block)
        response = client.post(f"{base}/blocks", json=block, headers=headers)
    else:
        assert spec.entries_of is not None, spec.title
        if spec.action == "revoke_consent":
            target = f"consents/{ids.consents[spec.entries_of][0]}/revoke"
            if spec.on_behalf_of is not None:
                body = {"stated_by": behalf["on_behalf_of"]}
        elif spec.action == "withdraw_objection":
            target = f"objections/{ids.objections[spec.entries_of][0]}/withdraw"
        else:
            target = f"blocks/{ids.blocks[spec.entries_of][0]}/lift"
        response = client.post(f"{base}/{target}", json=body, headers=headers)
    if spec.expect == "allowed":
        assert response.status_code in (200, 201), f"{spec.title}: {response.text}"
    else:
        assert response.status_code in (403, 422), f"{spec.title}: {response.text}"
        if spec.status is not None:
            assert response.status_code == spec.status, f"{spec.title}: {response.text}"


class Answer:
    """One question's decision and, when the scenario expects something of it, the
    overview the requester's screen got for the same question."""

    def __init__(self, decision: dict[str, Any], overview: dict[str, Any] | None) -> None:
        self.decision = decision
        self.overview = overview


def ask(client: TestClient, scenario: Scenario, engine: str) -> dict[str, Any]:
    """The scenario's question, over the API, with the requester's own token. (The
    client's own token, which records the facts, is a caseworker's.)"""
    body = scenario.decision_body()
    response = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"]))
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    assert decision["engine"] == engine
    return decision


def answer(
    client: TestClient, scenario: Scenario, engine: str, expect: dict[str, Expectation]
) -> Answer:
    """The decision; when an expectation is about the overview, the requester then
    opens the overview for the same question too."""
    decision = ask(client, scenario, engine)
    headers = auth_headers(scenario.decision_body()["subject"])
    overview = None
    if any(e.needs_overview() for e in expect.values()):
        opened = client.get(
            f"/v1/children/{scenario.cpr('child')}/overview",
            params={"purpose": scenario.purpose, "categories": scenario.ask},
            headers=headers,
        )
        assert opened.status_code == 200, opened.text
        overview = opened.json()
    return Answer(decision, overview)


def read_access_log(client: TestClient, scenario: Scenario) -> dict[str, Any]:
    """The citizen's access log, read with the custody holder's (or young person's) login."""
    assert scenario.access_log is not None
    reader = scenario.access_log.read_by or scenario.decider()
    response = client.get(
        f"/v1/citizens/{scenario.cpr('child')}/access-log", headers=family(scenario, reader)
    )
    assert response.status_code == 200, response.text
    log: dict[str, Any] = response.json()
    return log


def run_scenario(make_client: AppFactory, scenario: Scenario, engine: str) -> list[dict[str, Any]]:
    """The scenario's decisions (first question, then one per step)."""
    return [a.decision for a in run_scenario_answers(make_client, scenario, engine)]


def run_scenario_answers(make_client: AppFactory, scenario: Scenario, engine: str) -> list[Answer]:
    """Record the facts, decide, then play each step and decide again; last, check
    the citizen's access log when the scenario expects something of it."""
    client = make_client(engine, population=scenario_population(scenario), day=scenario.date)
    cpr = scenario.cpr("child")
    ids = record(client, scenario)
    if scenario.refused_request is not None:
        body = scenario.decision_body()
        response = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"]))
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == PROBLEM_BASE + scenario.refused_request.type
        assert problem["field"] == scenario.refused_request.field
        return []
    for spec in scenario.registry_attempts:
        attempt(client, scenario, ids, spec)
    answers = [answer(client, scenario, engine, scenario.expect)]
    for step in scenario.then:
        for person in step.revoke_consents_of:
            for consent_id in ids.consents[person]:
                done = client.post(
                    f"/v1/children/{cpr}/consents/{consent_id}/revoke",
                    headers=family(scenario, person),
                )
                assert done.status_code == 200, done.text
        for person in step.withdraw_objections_of:
            for objection_id in ids.objections[person]:
                done = client.post(
                    f"/v1/children/{cpr}/objections/{objection_id}/withdraw",
                    headers=family(scenario, person),
                )
                assert done.status_code == 200, done.text
        for target in step.lift_blocks_on:
            block_id, given_by = ids.blocks[target]
            done = client.post(
                f"/v1/children/{cpr}/blocks/{block_id}/lift", headers=family(scenario, given_by)
            )
            assert done.status_code == 200, done.text
        answers.append(answer(client, scenario, engine, step.expect))
    if scenario.access_log is not None:
        problems = scenario.access_log.problems(read_access_log(client, scenario))
        assert not problems, problems
    return answers


def _comparable(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision without what differs by design between runs and engines."""
    categories = decision["categories"]
    for outcome in categories.values():
        outcome["relied_on"]["consents"] = len(outcome["relied_on"]["consents"])
        outcome["relied_on"]["objections"] = len(outcome["relied_on"]["objections"])
        outcome["relied_on"]["blocks"] = len(outcome["relied_on"]["blocks"])
        for reason in outcome["reasons"]:
            for key in ("consents", "objections", "blocks"):
                if key in reason:
                    reason[key] = len(reason[key])
    return {"categories": categories, "policy_revision": decision["policy_revision"]}


def check_expectations(scenario: Scenario, expect: dict[str, Expectation], answer: Answer) -> None:
    decision = answer.decision
    assert set(decision["categories"]) == set(scenario.ask)
    for category, expected in expect.items():
        got = decision["categories"][category]
        problems = expected.problems(
            got,
            person=lambda handle: scenario.person(handle, DEV_HANDLES),
            overview=answer.overview,
        )
        assert not problems, (category, problems)
        for reason in got["reasons"]:
            # Every reason cites its provisions and says how sure we are of them.
            assert [c["id"] for c in reason["citations"]] == reason["legal_basis"]
            assert all(
                c["review"] in {"draft", "unconfirmed", "approved"} for c in reason["citations"]
            )
            assert reason["basis_review"] is not None
        if got["decision"] == "permit":
            assert got["fields"], "a permit names the fields it releases"
            assert got["legal_basis"], "a permit names its legal basis"


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 40
    codes = {code for s in SCENARIOS for e in s.expect.values() for code in (e.reasons or [])}
    required = {
        "no_legal_basis",
        "unknown_role",
        "no_relation",
        "missing_consent",
        "consent_expired",
        "objection",
        "blocked",
    }
    assert required <= codes, f"scenarios never show {sorted(required - codes)}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_scenario_on_both_engines(make_client: AppFactory, scenario: Scenario) -> None:
    runs = {}
    expectations = [scenario.expect, *(step.expect for step in scenario.then)]
    if scenario.refused_request is not None:
        expectations = []
    for engine in ENGINES:
        runs[engine] = run_scenario_answers(make_client, scenario, engine)
        assert len(runs[engine]) == len(expectations)
        for expect, answer in zip(expectations, runs[engine], strict=True):
            check_expectations(scenario, expect, answer)
    for embedded, opa in zip(runs["embedded"], runs["opa"], strict=True):
        assert _comparable(embedded.decision) == _comparable(opa.decision)


SEND_SCENARIOS = load_send_scenarios()


def send(client: TestClient, scenario: SendScenario, engine: str) -> dict[str, Any]:
    """The scenario's message, sent with the requester's own token: 202 on a permit,
    403 with the decision on a refusal. Returns the decision."""
    subject = scenario.decision_body()["subject"]
    response = client.post(
        "/v1/correspondence", json=scenario.message_body(), headers=auth_headers(subject)
    )
    if scenario.expect_send.decision == "permit":
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"
    else:
        assert response.status_code == 403, response.text
        assert response.json()["type"] == PROBLEM_BASE + "correspondence-refused"
    decision: dict[str, Any] = response.json()["decision"]
    assert decision["engine"] == engine
    return decision


def test_there_are_send_scenarios_for_each_route_and_refusal() -> None:
    codes = {r for s in SEND_SCENARIOS for r in (s.expect_send.reasons_include or [])}
    assert {"missing_consent", "wrong_channel", "recipient_not_involved"} <= codes
    assert len([s for s in SEND_SCENARIOS if s.expect_send.decision == "permit"]) >= 3


@pytest.mark.parametrize("scenario", SEND_SCENARIOS, ids=lambda s: s.id)
def test_send_scenario_on_both_engines(make_client: AppFactory, scenario: SendScenario) -> None:
    outcomes = {}
    for engine in ENGINES:
        client = make_client(engine, population=scenario_population(scenario), day=scenario.date)
        record(client, scenario)
        decision = send(client, scenario, engine)
        assert set(decision["categories"]) == {"correspondence"}
        outcome = decision["categories"]["correspondence"]
        problems = scenario.expect_send.problems(
            outcome, person=lambda handle: scenario.person(handle, DEV_HANDLES)
        )
        assert not problems, problems
        if scenario.expect_send.channel is not None:
            channels = [r.get("channel", {}).get("id") for r in outcome["reasons"]]
            assert scenario.expect_send.channel in channels, outcome["reasons"]
        for reason in outcome["reasons"]:
            assert [c["id"] for c in reason["citations"]] == reason["legal_basis"]
        if scenario.access_log is not None:
            problems = scenario.access_log.problems(read_access_log(client, scenario))
            assert not problems, problems
        outcomes[engine] = _comparable(decision)
    assert outcomes["embedded"] == outcomes["opa"]
