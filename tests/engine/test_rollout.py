"""A policy rollout: every decision names the revision that made it.

OPA following a bundle server (HOI_OPA_FOLLOW_BUNDLES) accepts the one revision
its verified bundle carries and reports it with each answer; pinned, it accepts
only this checkout's. The embedded engine swaps to a new revision in one step
and keeps the old one when the new does not load."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.base import EngineError
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import OpaEngine
from engine.pdp import DecisionPoint
from policy.decision import Decision
from policy.paths import REGO_DIR
from tests.broker.conftest import CASEWORKER_REQUEST, DAY
from tests.conftest import fixed_clock
from tests.engine.test_opa import _facts
from tests.rogue_opa import permit_everything

TOKEN = "k" * 43
OURS = PolicyBundle(REGO_DIR).revision()


def _opa_answering(revisions: list[list[str]]) -> httpx.AsyncClient:
    """An OPA whose n-th answer names the bundle revisions revisions[n]."""
    answers = iter(revisions)

    def handler(request: httpx.Request) -> httpx.Response:
        document = json.loads(request.content)["input"]
        result = {**permit_everything(document), "nonce": document["request"]["nonce"]}
        bundles = {f"b{i}": {"revision": r} for i, r in enumerate(next(answers))}
        return httpx.Response(200, json={"result": result, "provenance": {"bundles": bundles}})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def _decide(engine: Any) -> Decision:
    point = DecisionPoint(engine=engine, facts=_facts(), clock=fixed_clock(DAY))
    return await point.decide(CASEWORKER_REQUEST)


def test_following_opa_each_decision_names_the_revision_that_answered() -> None:
    async def go() -> list[Decision]:
        client = _opa_answering([["sha256:aaaa"], ["sha256:aaaa"], ["sha256:bbbb"]])
        engine = OpaEngine("http://127.0.0.1:8181", OURS, token=TOKEN, client=client, follow=True)
        try:
            return [await _decide(engine) for _ in range(3)]
        finally:
            await engine.aclose()

    decisions = asyncio.run(go())
    assert [d.policy_revision for d in decisions] == ["sha256:aaaa", "sha256:aaaa", "sha256:bbbb"]
    assert all(d.categories["psychiatry_appointments"].decision == "permit" for d in decisions)


@pytest.mark.parametrize("revisions", [[], ["sha256:aaaa", "sha256:bbbb"]], ids=["none", "two"])
def test_following_opa_an_answer_from_no_or_several_revisions_is_engine_error(
    revisions: list[str],
) -> None:
    async def go() -> Decision:
        client = _opa_answering([revisions])
        engine = OpaEngine("http://127.0.0.1:8181", OURS, token=TOKEN, client=client, follow=True)
        try:
            return await _decide(engine)
        finally:
            await engine.aclose()

    outcome = asyncio.run(go()).categories["psychiatry_appointments"]
    assert (outcome.decision, [r.code for r in outcome.reasons]) == ("deny", ["engine_error"])


def test_pinned_opa_refuses_a_rolled_out_revision() -> None:
    async def go() -> Decision:
        client = _opa_answering([["sha256:bbbb"]])
        engine = OpaEngine("http://127.0.0.1:8181", OURS, token=TOKEN, client=client)
        try:
            return await _decide(engine)
        finally:
            await engine.aclose()

    decision = asyncio.run(go())
    outcome = decision.categories["psychiatry_appointments"]
    assert (outcome.decision, [r.code for r in outcome.reasons]) == ("deny", ["engine_error"])
    assert decision.policy_revision == OURS


def _variant(tmp_path: Path) -> Path:
    """The policy with one comment added: the same decisions, another revision."""
    out = tmp_path / "rego"
    shutil.copytree(REGO_DIR, out)
    module = PolicyBundle(out).decision_modules()[0]
    module.write_text(module.read_text("utf-8") + "\n# another revision\n", "utf-8")
    return out


def test_the_embedded_engine_reloads_a_new_revision_in_one_step(tmp_path: Path) -> None:
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
    variant = PolicyBundle(_variant(tmp_path))
    assert variant.revision() != OURS

    async def go() -> tuple[Decision, Decision]:
        before = await _decide(engine)
        assert engine.reload(variant) == variant.revision()
        after = await _decide(engine)
        await engine.aclose()
        return before, after

    before, after = asyncio.run(go())
    assert (before.policy_revision, after.policy_revision) == (OURS, variant.revision())
    assert engine.revision == variant.revision()
    assert before.categories == after.categories  # the variant decides the same


def test_a_revision_that_does_not_load_leaves_the_running_one(tmp_path: Path) -> None:
    engine = EmbeddedEngine(PolicyBundle(REGO_DIR))
    broken = _variant(tmp_path)
    module = next(p for p in PolicyBundle(broken).decision_modules())
    module.write_text(module.read_text("utf-8") + "\nthis is not rego\n", "utf-8")
    with pytest.raises(EngineError):
        engine.reload(PolicyBundle(broken))
    decision = asyncio.run(_decide(engine))
    assert decision.policy_revision == OURS
    reasons = [r.code for r in decision.categories["psychiatry_appointments"].reasons]
    assert reasons and "engine_error" not in reasons  # decided by the running policy
