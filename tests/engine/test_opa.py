"""The link to OPA: OPA admits only our token, answers are bound to the question
by a nonce, bundles are signed, and any answer that is not a well-formed decision
for this question is a deny with engine_error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.opa import (
    OpaEngine,
    OpaServer,
    build_bundle,
    bundle_signing_key,
    verification_key,
)
from engine.pdp import DecisionPoint
from facts.local import LocalFacts, in_memory_registry
from policy.decision import Decision
from policy.facts import RegistryState
from policy.paths import REGO_DIR
from sandbox.pilot import organisations
from sandbox.population import population
from tests.broker.conftest import CASEWORKER_REQUEST, DAY
from tests.conftest import fixed_clock, require_opa
from tests.rogue_opa import permit_everything

DECISION_PATH = "/v1/data/hoi/decision/result"
REVISION = PolicyBundle(REGO_DIR).revision()
TOKEN = "k" * 43


def test_opa_refuses_a_request_without_the_token(opa_server: OpaServer) -> None:
    document = {"resource": {"categories": ["school_daycare"]}}
    anonymous = httpx.post(opa_server.url + DECISION_PATH, json={"input": document}, timeout=5)
    assert anonymous.status_code == 401
    wrong = httpx.post(
        opa_server.url + DECISION_PATH,
        json={"input": document},
        headers={"Authorization": "Bearer " + "x" * 43},
        timeout=5,
    )
    assert wrong.status_code == 401
    health = httpx.get(opa_server.url + "/health", timeout=5)
    assert health.status_code == 401


def test_the_service_asks_the_authenticated_opa_and_gets_its_answer(
    opa_server: OpaServer,
) -> None:
    async def go() -> Decision:
        engine = OpaEngine(opa_server.url, REVISION, token=opa_server.token, timeout=5)
        try:
            assert await engine.ready()
            return await _decide(engine)
        finally:
            await engine.aclose()

    decision = asyncio.run(go())
    outcome = decision.categories["psychiatry_appointments"]
    assert [r.code for r in outcome.reasons] != ["engine_error"]


def test_a_bundle_signed_with_another_key_is_refused(tmp_path: Path) -> None:
    opa = require_opa()
    ours = bundle_signing_key(tmp_path / "ours.pem")
    theirs = bundle_signing_key(tmp_path / "theirs.pem")
    forged = tmp_path / "forged.tar.gz"
    build_bundle(opa, PolicyBundle(REGO_DIR), forged, signing_key=theirs)
    server = OpaServer(
        opa, forged, token=TOKEN, verification_key=verification_key(ours, tmp_path / "ours.pub")
    )
    with pytest.raises(EngineError, match="signature"):
        server.start()


def test_an_unsigned_bundle_is_refused(tmp_path: Path) -> None:
    opa = require_opa()
    ours = bundle_signing_key(tmp_path / "ours.pem")
    unsigned = tmp_path / "unsigned.tar.gz"
    build_bundle(opa, PolicyBundle(REGO_DIR), unsigned, signing_key=None)
    server = OpaServer(
        opa, unsigned, token=TOKEN, verification_key=verification_key(ours, tmp_path / "ours.pub")
    )
    with pytest.raises(EngineError, match="signatures"):
        server.start()


def _echo(document: dict[str, Any]) -> str:
    return str(document.get("request", {}).get("nonce"))


# Each shape a broken or hostile OPA might answer with (the body, given the input).
MALFORMED: dict[str, Any] = {
    "result is a list": lambda d: {"result": [1, 2], "provenance": _prov()},
    "result is a string": lambda d: {"result": "permit", "provenance": _prov()},
    "result is a number": lambda d: {"result": 1, "provenance": _prov()},
    "result is missing": lambda d: {"provenance": _prov()},
    "result has no categories": lambda d: {"result": {"nonce": _echo(d)}, "provenance": _prov()},
    "categories is a list": lambda d: {
        "result": {"nonce": _echo(d), "categories": []},
        "provenance": _prov(),
    },
    "a category lacks fields": lambda d: {
        "result": {
            "nonce": _echo(d),
            "categories": {"psychiatry_appointments": {"decision": "permit"}},
        },
        "provenance": _prov(),
    },
    "body is a list": lambda d: [],
    "body is a string": lambda d: "permit",
    "provenance is a list": lambda d: {
        "result": {**permit_everything(d), "nonce": _echo(d)},
        "provenance": [],
    },
    "bundles is a string": lambda d: {
        "result": {**permit_everything(d), "nonce": _echo(d)},
        "provenance": {"bundles": "all"},
    },
    "no nonce echoed": lambda d: {"result": permit_everything(d), "provenance": _prov()},
    "another nonce echoed": lambda d: {
        "result": {**permit_everything(d), "nonce": "an-old-answer"},
        "provenance": _prov(),
    },
    "nonce echoed as a number": lambda d: {
        "result": {**permit_everything(d), "nonce": 7},
        "provenance": _prov(),
    },
    "another revision": lambda d: {
        "result": {**permit_everything(d), "nonce": _echo(d)},
        "provenance": _prov("sha256:0000000000000000"),
    },
}


def _prov(revision: str = REVISION) -> dict[str, Any]:
    return {"bundles": {"bundle.tar.gz": {"revision": revision}}}


async def _decide(engine: OpaEngine) -> Decision:
    point = DecisionPoint(engine=engine, facts=_facts(), clock=fixed_clock(DAY))
    return await point.decide(CASEWORKER_REQUEST)


def _facts() -> LocalFacts:
    """The facts of the caseworker's request, from the synthetic population."""
    return LocalFacts(
        population(DAY), in_memory_registry(lambda _: RegistryState()), organisations()
    )


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_a_malformed_or_unbound_answer_is_a_deny_with_engine_error(shape: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        document = json.loads(request.content)["input"]
        return httpx.Response(200, json=MALFORMED[shape](document))

    async def go() -> Decision:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        engine = OpaEngine("http://127.0.0.1:8181", REVISION, token=TOKEN, client=client)
        try:
            return await _decide(engine)
        finally:
            await engine.aclose()

    decision = asyncio.run(go())
    outcome = decision.categories["psychiatry_appointments"]
    assert outcome.decision == "deny"
    assert outcome.fields == []
    assert [r.code for r in outcome.reasons] == ["engine_error"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_each_question_carries_a_fresh_nonce() -> None:
    nonces: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        document = json.loads(request.content)["input"]
        nonces.append(document["request"]["nonce"])
        return httpx.Response(200, json={"result": {}, "provenance": _prov()})

    async def go() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        engine = OpaEngine("http://127.0.0.1:8181", REVISION, token=TOKEN, client=client)
        try:
            await _decide(engine)
            await _decide(engine)
        finally:
            await engine.aclose()

    asyncio.run(go())
    assert len(nonces) == 2 and nonces[0] != nonces[1]
    assert all(len(n) >= 16 for n in nonces)
