"""Deciding a scenario in-process, the way the API would.

A scenario is a small synthetic world: a child, the people around it, the
registry entries and one question. Here it is decided without HTTP: the
registry entries go through the registry service into an in-memory database,
facts come from the same local facts provider the service uses, and the
decision point is the service's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from db.schema import create_schema
from engine.base import EngineError, PolicyEngine
from engine.pdp import Citations, DecisionPoint
from facts.local import LocalFacts
from handbook.scenarios import (
    RegistryAttemptSpec,
    Scenario,
    SendScenario,
    StepSpec,
    scenario_organisations,
)
from policy.decision import Decision, DecisionRequest
from policy.errors import (
    Conflict,
    Forbidden,
    HoiError,
    InvalidRequest,
    NotEntitled,
    NotFound,
    Unavailable,
    Unmappable,
)
from policy.facts import ChildRecord, RegistryState
from policy.persons import DEV_HANDLE_KEY, PersonHandles
from registry import service
from registry.models import BlockCreate, ConsentCreate, ObjectionCreate, RecordedBy
from registry.on_behalf import check_professional_write
from registry.state import registry_state
from registry.writer import Writer

DEV_HANDLES = PersonHandles.from_secret(DEV_HANDLE_KEY)
"""The development key's handles: the service's own in development and tests, so
the handbook's answers name people exactly as the API does there."""


class NoEngine:
    """An engine for building inputs only (the decision point's document): it
    evaluates nothing."""

    name = "none"
    revision = "none"

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        raise EngineError("this engine only builds inputs; it evaluates nothing")

    async def ready(self) -> bool:
        return False

    async def aclose(self) -> None:
        return None


def _memory_db() -> Engine:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    create_schema(engine)
    return engine


@dataclass
class Entries:
    """The registry ids the scenario's entries got, by the person (or block target) named."""

    consents: dict[str, list[str]] = field(default_factory=dict)
    objections: dict[str, list[str]] = field(default_factory=dict)
    blocks: dict[str, tuple[str, str]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """An entry the scenario says the registry refuses, and what the registry said."""

    what: str
    expected: str
    got: str | None
    """The problem type the registry refused with; None: it accepted the entry."""


def _writer(scenario: Scenario, name: str, handles: PersonHandles) -> Writer:
    """The person writes with their own citizen login (audited by the API; here
    the world is a throwaway in-memory registry, so there is nothing to audit)."""
    return Writer(
        person=scenario.cpr(name),
        recorded_by=RecordedBy(kind="citizen"),
        names=handles,
        audit=lambda _: None,
    )


def _record(db: Engine, scenario: Scenario, now: datetime, handles: PersonHandles) -> Entries:
    """Put the scenario's consents, objections and blocks in the registry."""
    child = scenario.child_record()
    entries = Entries()
    if child is None:
        if scenario.consents or scenario.objections or scenario.blocks:
            raise ValueError(f"{scenario.id}: registry entries for a child the register lacks")
        return entries

    def by(name: str) -> Writer:
        return _writer(scenario, name, handles)

    for spec in scenario.consents:
        if spec.refused is not None:
            entries.refusals.append(
                _refused(
                    db,
                    f"the {spec.regime} consent given by {spec.given_by}",
                    spec.refused,
                    partial(
                        _create_consent,
                        child=child,
                        body=scenario.consent_body(spec),
                        now=now,
                        writer=by(spec.given_by),
                    ),
                )
            )
    for objection in scenario.objections:
        if objection.refused is not None:
            body_o = ObjectionCreate.model_validate(scenario.objection_body(objection))
            entries.refusals.append(
                _refused(
                    db,
                    f"the objection of {objection.given_by}",
                    objection.refused,
                    partial(
                        service.record_objection,
                        child=child,
                        body=body_o,
                        now=now,
                        writer=by(objection.given_by),
                    ),
                )
            )
    with Session(db) as session:
        for spec in (c for c in scenario.consents if c.refused is None):
            body = ConsentCreate.model_validate(scenario.consent_body(spec))
            created = service.record_consent(session, child, body, now, by(spec.given_by))
            entries.consents.setdefault(spec.given_by, []).append(created.id)
            if spec.revoked:
                service.record_revocation(session, child, created.id, now, by(spec.given_by))
        for objection in (o for o in scenario.objections if o.refused is None):
            body_o = ObjectionCreate.model_validate(scenario.objection_body(objection))
            made = service.record_objection(session, child, body_o, now, by(objection.given_by))
            entries.objections.setdefault(objection.given_by, []).append(made.id)
        for block in scenario.blocks:
            body_b = BlockCreate.model_validate(scenario.block_body(block))
            giver = scenario.block_giver(block)
            set_block = service.record_block(session, child, body_b, now, by(giver))
            entries.blocks[block.target_id or "period"] = (set_block.id, giver)
    return entries


def _create_consent(
    session: Session, *, child: ChildRecord, body: dict[str, Any], now: datetime, writer: Writer
) -> object:
    """Record a consent as the API would: a body the API's model refuses is an
    invalid request, as the API answers it."""
    try:
        consent = ConsentCreate.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequest(str(first["msg"]), field=where) from exc
    return service.record_consent(session, child, consent, now, writer)


AS_THE_API_ANSWERS: tuple[tuple[type[HoiError], int, str], ...] = (
    (Unmappable, 422, "unmappable"),
    (InvalidRequest, 422, "invalid-request"),
    (NotEntitled, 422, "not-entitled"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Unavailable, 503, "unavailable"),
)
"""The status and problem type the API answers a registry refusal with. The HTTP
mapping lives at the API boundary (`api.errors.PROBLEMS`), which the handbook may
not import; a test keeps the two the same."""


def as_the_api_answers(exc: HoiError) -> tuple[int, str]:
    """The status and problem type the API would answer `exc` with."""
    for kind, status, slug in AS_THE_API_ANSWERS:
        if isinstance(exc, kind):
            return status, slug
    return 500, "internal"


def _refused(db: Engine, what: str, expected: str, write: Callable[[Session], object]) -> Refusal:
    """Try an entry the registry should refuse; note the problem type it gave."""
    with Session(db) as session:
        try:
            write(session)
        except HoiError as exc:
            session.rollback()
            return Refusal(what, expected, as_the_api_answers(exc)[1])
    return Refusal(what, expected, None)


def moment(scenario: Scenario) -> datetime:
    """The scenario's decision time: ten in the morning on its date (as the tests do)."""
    return datetime.combine(scenario.date, time(10, 0), tzinfo=UTC)


class World:
    """One scenario's facts, recorded once; any number of questions asked in it."""

    def __init__(self, scenario: Scenario, handles: PersonHandles = DEV_HANDLES) -> None:
        self.scenario = scenario
        self.now = moment(scenario)
        self.db = _memory_db()
        self.handles = handles
        self.world = scenario.world()
        self.organisations = scenario_organisations()
        self.entries = _record(self.db, scenario, self.now, handles)

    def play(self, step: StepSpec) -> None:
        """What happens in a step of the scenario (consents revoked, objections
        withdrawn, blocks lifted), each by the person whose entry it is."""
        scenario = self.scenario
        child = scenario.child_record()
        assert child is not None, f"{scenario.id}: steps for a child the register lacks"
        with Session(self.db) as session:
            for person in step.revoke_consents_of:
                for consent_id in self.entries.consents.get(person, []):
                    writer = _writer(scenario, person, self.handles)
                    service.record_revocation(session, child, consent_id, self.now, writer)
            for person in step.withdraw_objections_of:
                for objection_id in self.entries.objections.get(person, []):
                    writer = _writer(scenario, person, self.handles)
                    service.record_withdrawal(session, child, objection_id, self.now, writer)
            for target in step.lift_blocks_on:
                block_id, giver = self.entries.blocks[target]
                writer = _writer(scenario, giver, self.handles)
                service.record_lift(session, child, block_id, self.now, writer)

    async def _read_registry(self, cpr: str) -> RegistryState:
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
        asked = question or self.scenario
        pdp = self._pdp(engine, citations)
        if isinstance(asked, SendScenario):
            return await pdp.decide_send(*asked.question(self.organisations))
        return await pdp.decide(DecisionRequest.model_validate(asked.decision_body()))

    async def document(self) -> dict[str, Any]:
        """The engine input the service builds for the scenario's question."""
        request = DecisionRequest.model_validate(self.scenario.decision_body())
        return await self._pdp(NoEngine(), None).document(request, self.now)

    def _pdp(self, engine: PolicyEngine, citations: Citations | None) -> DecisionPoint:
        facts = LocalFacts(self.world, self._read_registry, self.organisations)
        now = self.now
        return DecisionPoint(
            engine=engine,
            facts=facts,
            citations=citations,
            handles=self.handles,
            clock=lambda: now,
        )

    async def registry_rules(self, engine: PolicyEngine) -> set[str]:
        """The rule that decides whether the scenario's requester may read and
        record the child's registry (when the scenario tries it)."""
        if not any(a.by == "requester" for a in self.scenario.registry_attempts):
            return set()
        request = DecisionRequest.model_validate(self.scenario.decision_body())
        access = await self._pdp(engine, None).registry_access(
            request.subject, request.resource.child_cpr
        )
        return ({access.rule_id} if access.rule_id else set()) | {r.rule_id for r in access.reasons}

    async def attempt(self, engine: PolicyEngine, spec: RegistryAttemptSpec) -> int:
        """Someone tries to read or change the child's registry, as the registry API
        would let them: the family with their own login; a professional only when
        the policy grants registry access, only recording what the family gave or
        told them (with the document), never setting or lifting a block or
        withdrawing an objection. The HTTP status the API would answer."""
        scenario = self.scenario
        child = scenario.child_record()
        if child is None:
            return 404
        if spec.by == "requester":
            request = DecisionRequest.model_validate(scenario.decision_body())
            access = await self._pdp(engine, None).registry_access(request.subject, child.cpr)
            if not access.allowed:
                return 403
            if spec.action == "read":
                return 200
            try:  # the registry's own rule for what a professional may write
                check_professional_write(
                    spec.action,
                    handle=spec.on_behalf_of,
                    document=spec.document_reference,
                    field="on_behalf_of",
                )
            except HoiError as exc:
                return as_the_api_answers(exc)[0]
            assert spec.on_behalf_of is not None
            writer = Writer(
                person=scenario.cpr(spec.on_behalf_of),
                recorded_by=RecordedBy(
                    kind="professional",
                    professional_id=request.subject.id,
                    role=request.subject.role,
                    organisation_id=request.subject.organisation.id,
                    document_reference=spec.document_reference,
                ),
                names=self.handles,
                audit=lambda _: None,
            )
        else:
            if spec.on_behalf_of is not None:
                return 422
            writer = _writer(scenario, spec.by, self.handles)
        try:
            return self._write(child, spec, writer)
        except HoiError as exc:
            return as_the_api_answers(exc)[0]

    def _write(self, child: ChildRecord, spec: RegistryAttemptSpec, writer: Writer) -> int:
        now, entries = self.now, self.entries
        with Session(self.db) as session:
            if spec.action == "read":
                return 200
            if spec.action == "record_consent":
                assert spec.consent is not None, spec.title
                body = ConsentCreate.model_validate(self.scenario.consent_body(spec.consent))
                made = service.record_consent(session, child, body, now, writer)
                entries.consents.setdefault(spec.consent.given_by, []).append(made.id)
                return 201
            if spec.action == "record_objection":
                body_o = ObjectionCreate.model_validate({"categories": []})
                service.record_objection(session, child, body_o, now, writer)
                return 201
            if spec.action == "set_block":
                assert spec.block is not None, spec.title
                body_b = BlockCreate.model_validate(self.scenario.block_body(spec.block))
                service.record_block(session, child, body_b, now, writer)
                return 201
            assert spec.entries_of is not None, spec.title
            if spec.action == "revoke_consent":
                consent_id = entries.consents[spec.entries_of][0]
                service.record_revocation(session, child, consent_id, now, writer)
            elif spec.action == "withdraw_objection":
                objection_id = entries.objections[spec.entries_of][0]
                service.record_withdrawal(session, child, objection_id, now, writer)
            else:
                service.record_lift(session, child, entries.blocks[spec.entries_of][0], now, writer)
            return 200

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


async def registry_rules_all(
    scenarios: Iterable[Scenario], engine: PolicyEngine
) -> dict[str, set[str]]:
    """Per scenario that has the requester try the registry: the rules that decided it."""
    found: dict[str, set[str]] = {}
    for scenario in scenarios:
        if scenario.refused_request is not None:
            continue
        world = World(scenario)
        try:
            found[scenario.id] = await world.registry_rules(engine)
        finally:
            world.close()
    return found
