"""Every compliance scenario, through the API, on the embedded engine and on
real OPA; both must give the expected and identical answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.scenarios import Scenario, load_scenarios
from tests.conftest import DEFAULT_SUBJECT, ENGINES, AppFactory, auth_headers

SCENARIOS = load_scenarios()


def record(client: TestClient, scenario: Scenario) -> None:
    """Put the scenario's consents, objections and blocks in the registry, over the
    API, as a caseworker (whoever the scenario's requester is)."""
    registrar = auth_headers(DEFAULT_SUBJECT)
    cpr = scenario.cpr("child")
    for spec in scenario.consents:
        created = client.post(
            f"/v1/children/{cpr}/consents", json=scenario.consent_body(spec), headers=registrar
        )
        assert created.status_code == 201, created.text
        if spec.revoked:
            revoked = client.post(
                f"/v1/children/{cpr}/consents/{created.json()['id']}/revoke", headers=registrar
            )
            assert revoked.status_code == 200, revoked.text
    for objection in scenario.objections:
        body = {"given_by": scenario.cpr(objection.given_by), "categories": objection.categories}
        created = client.post(f"/v1/children/{cpr}/objections", json=body, headers=registrar)
        assert created.status_code == 201, created.text
    for block in scenario.blocks:
        body = block.model_dump(mode="json")
        created = client.post(f"/v1/children/{cpr}/blocks", json=body, headers=registrar)
        assert created.status_code == 201, created.text


def ask(client: TestClient, scenario: Scenario, engine: str) -> dict[str, Any]:
    """The scenario's question, over the API, with the requester's own token."""
    body = scenario.decision_body()
    response = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"]))
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    assert decision["engine"] == engine
    return decision


def run_scenario(make_client: AppFactory, scenario: Scenario, engine: str) -> dict[str, Any]:
    client = make_client(engine, population=scenario.population(), day=scenario.date)
    record(client, scenario)
    return ask(client, scenario, engine)


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


def check_expectations(scenario: Scenario, decision: dict[str, Any]) -> None:
    assert set(decision["categories"]) == set(scenario.ask)
    for category, expected in scenario.expect.items():
        got = decision["categories"][category]
        assert got["decision"] == expected.decision, (category, got["reasons"])
        if expected.rule_id is not None:
            assert got["rule_id"] == expected.rule_id
        if expected.legal_basis is not None:
            assert got["legal_basis"] == expected.legal_basis
        if expected.fields is not None:
            assert got["fields"] == expected.fields
        if expected.override is not None:
            assert got["override"] is expected.override
        if expected.reasons is not None:
            assert [r["code"] for r in got["reasons"]] == expected.reasons, got["reasons"]
        if expected.missing is not None:
            missing = [
                scenario.person(m["person"])
                for r in got["reasons"]
                if r["code"] == "missing_consent"
                for m in r["missing"]
            ]
            assert sorted(missing) == sorted(expected.missing)
        for reason in got["reasons"]:
            # Every reason cites its provisions and says how sure we are of them.
            assert [c["id"] for c in reason["citations"]] == reason["legal_basis"]
            assert all(
                c["review"] in {"draft", "unconfirmed", "approved"} for c in reason["citations"]
            )
            assert reason["basis_review"] is not None
        if expected.decision == "permit":
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
    decisions = {}
    for engine in ENGINES:
        decisions[engine] = run_scenario(make_client, scenario, engine)
        check_expectations(scenario, decisions[engine])
    assert _comparable(decisions["embedded"]) == _comparable(decisions["opa"])
