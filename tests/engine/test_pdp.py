"""Whatever goes wrong in deciding, the answer is a deny with a reason code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaEngine
from engine.pdp import DecisionPoint, parse_result
from facts.cache import CachedFacts
from facts.local import LocalFacts, in_memory_registry
from policy.catalogue import FactLifetimes
from policy.decision import DecisionRequest
from policy.facts import RegistryState
from policy.paths import REGO_DIR
from sandbox.pilot import organisations
from sandbox.worlds import scenario_population
from tests.conftest import AppFactory, auth_headers
from tests.test_scenarios import SCENARIOS

ASK = ["psychiatry_appointments", "psychiatry_contacts"]


class BrokenEngine:
    name = "broken"
    revision = "sha256:test"

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        if self.behaviour == "raise":
            raise EngineError("boom")
        if self.behaviour == "hang":
            await asyncio.sleep(30)
        if self.behaviour == "garbage":
            return {"categories": {"psychiatry_appointments": {"decision": "permit"}}}
        return {"something": "else"}

    async def ready(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None


def _ask(client: Any) -> dict[str, Any]:
    scenario = next(s for s in SCENARIOS if s.id == "caseworker_both_parents_consent")
    body = scenario.decision_body()
    body["resource"]["categories"] = ASK
    response = client.post("/v1/decisions", json=body, headers=auth_headers(body["subject"]))
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize("behaviour", ["raise", "hang", "garbage", "empty"])
def test_engine_failure_is_a_deny_with_engine_error(
    make_client: AppFactory, behaviour: str
) -> None:
    scenario = next(s for s in SCENARIOS if s.id == "caseworker_both_parents_consent")
    client = make_client(
        population=scenario_population(scenario), day=scenario.date, decision_timeout_s=0.2
    )
    client.app.state.services.pdp.engine = BrokenEngine(behaviour)  # type: ignore[attr-defined]
    decision = _ask(client)
    for category in ASK:
        outcome = decision["categories"][category]
        assert outcome["decision"] == "deny"
        assert outcome["fields"] == []
        assert [r["code"] for r in outcome["reasons"]] == ["engine_error"]


def test_readiness_reports_an_engine_that_is_not_ready(make_client: AppFactory) -> None:
    client = make_client()
    client.app.state.services.engine = BrokenEngine("raise")  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["engine"]}


def test_opa_unreachable_is_an_engine_error() -> None:
    async def go() -> None:
        engine = OpaEngine("http://127.0.0.1:9", "sha256:x", token=None, timeout=0.5)
        with pytest.raises(EngineError, match="OPA request failed"):
            await engine.evaluate({})
        await engine.aclose()

    asyncio.run(go())


def test_opa_answering_with_another_revision_is_an_engine_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "result": {"categories": {}},
                "provenance": {"bundles": {"b": {"revision": "sha256:other"}}},
            },
        )

    async def go() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        engine = OpaEngine("http://opa", "sha256:ours", token=None, client=client)
        with pytest.raises(EngineError, match="expected sha256:ours"):
            await engine.evaluate({})
        await engine.aclose()

    asyncio.run(go())


def test_a_category_missing_from_the_answer_is_denied() -> None:
    parsed = parse_result({"categories": {}}, ["school_daycare"])
    assert parsed["school_daycare"].decision == "deny"
    assert parsed["school_daycare"].reasons[0].code == "engine_error"


def test_a_decision_states_when_the_oldest_reused_fact_was_read() -> None:
    """Facts reused within their lifetime (facts/cache) are named in the decision
    and in its audit record, so nobody mistakes a reused fact for a fresh one."""
    scenario = next(s for s in SCENARIOS if s.id == "caseworker_both_parents_consent")
    first = datetime.combine(scenario.date, datetime.min.time(), UTC) + timedelta(hours=9)
    now = [first]
    facts = CachedFacts(
        LocalFacts(
            scenario_population(scenario),
            in_memory_registry(lambda _: RegistryState()),
            organisations(),
        ),
        FactLifetimes(cpr_s=60, relations_s=60, staff_register_s=60),
        lambda: now[0],
    )
    pdp = DecisionPoint(EmbeddedEngine(PolicyBundle(REGO_DIR)), facts, clock=lambda: now[0])
    request = DecisionRequest.model_validate(scenario.decision_body())
    assert asyncio.run(pdp.decide(request)).facts_read_at is None  # all read for it
    now[0] = first + timedelta(seconds=30)
    assert asyncio.run(pdp.decide(request)).facts_read_at == first
    now[0] = first + timedelta(seconds=61)
    assert asyncio.run(pdp.decide(request)).facts_read_at is None  # too old: read again
