"""Deciding a scenario in-process, the way the API would.

A scenario is a small synthetic world: a child, the people around it, the
registry entries and one question. Here it is decided without HTTP: the
registry entries go through the registry service into an in-memory database,
facts come from the same local facts provider the service uses, and the
decision point is the service's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from engine.base import PolicyEngine
from engine.pdp import Citations, DecisionPoint
from facts.local import LocalFacts
from policy.decision import Decision, DecisionRequest
from policy.facts import RegistryState
from registry import service
from registry.db import create_schema
from registry.models import BlockCreate, ConsentCreate, ObjectionCreate, Revocation
from registry.service import registry_state
from sandbox.pilot import organisations
from sandbox.scenarios import Scenario


def _memory_db() -> Engine:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    create_schema(engine)
    return engine


def _record(db: Engine, scenario: Scenario, now: datetime) -> None:
    """Put the scenario's consents, objections and blocks in the registry."""
    population = scenario.population()
    cpr = scenario.cpr("child")
    child = population.children.get(cpr)
    if child is None:
        if scenario.consents or scenario.objections or scenario.blocks:
            raise ValueError(f"{scenario.id}: registry entries for a child the register lacks")
        return
    with Session(db) as session:
        for spec in (c for c in scenario.consents if c.refused is None):
            body = ConsentCreate.model_validate(scenario.consent_body(spec))
            created = service.create_consent(session, child.record, body, now)
            if spec.revoked:
                revocation = Revocation(revoked_by=scenario.cpr(spec.given_by))
                service.revoke_consent(session, child.record, created.id, revocation, now)
        for objection in (o for o in scenario.objections if o.refused is None):
            body_o = ObjectionCreate.model_validate(scenario.objection_body(objection))
            service.create_objection(session, child.record, body_o, now)
        for block in scenario.blocks:
            body_b = BlockCreate.model_validate(scenario.block_body(block))
            service.create_block(session, child.record, body_b, now)


def moment(scenario: Scenario) -> datetime:
    """The scenario's decision time: ten in the morning on its date (as the tests do)."""
    return datetime.combine(scenario.date, time(10, 0), tzinfo=UTC)


class World:
    """One scenario's facts, recorded once; any number of questions asked in it."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.now = moment(scenario)
        self.db = _memory_db()
        _record(self.db, scenario, self.now)

    def _read_registry(self, cpr: str) -> RegistryState:
        with Session(self.db) as session:
            return registry_state(session, cpr)

    async def decide(
        self,
        engine: PolicyEngine,
        citations: Citations | None = None,
        question: Scenario | None = None,
    ) -> Decision:
        """The service's decision for the scenario's question (or another scenario's
        question about the same child, e.g. the same world asked by another role)."""
        facts = LocalFacts(self.scenario.population(), self._read_registry, organisations())
        now = self.now
        pdp = DecisionPoint(engine=engine, facts=facts, citations=citations, clock=lambda: now)
        body = (question or self.scenario).decision_body()
        return await pdp.decide(DecisionRequest.model_validate(body))

    def close(self) -> None:
        self.db.dispose()


async def decide(
    scenario: Scenario, engine: PolicyEngine, citations: Citations | None = None
) -> Decision:
    """The decision the service would give for the scenario's question."""
    world = World(scenario)
    try:
        return await world.decide(engine, citations)
    finally:
        world.close()


def rule_ids(decision: Decision) -> set[str]:
    """Every rule a decision shows: the permitting route and every reason's rule."""
    found = {c.rule_id for c in decision.categories.values() if c.rule_id}
    found |= {r.rule_id for c in decision.categories.values() for r in c.reasons}
    return found


async def decide_all(
    scenarios: Iterable[Scenario], engine: PolicyEngine, citations: Citations | None = None
) -> dict[str, Decision]:
    """Each scenario's decision, by scenario id (scenarios whose request the API
    refuses before deciding have none)."""
    return {
        s.id: await decide(s, engine, citations) for s in scenarios if s.refused_request is None
    }
