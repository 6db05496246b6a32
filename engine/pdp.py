"""The policy decision point: facts in, engine, decision out. Fails closed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from engine.base import EngineError, PolicyEngine
from engine.inputs import build_input
from policy.decision import (
    CategoryDecision,
    Decision,
    DecisionRequest,
    Reason,
    ReliedOn,
    relied_on_union,
)
from policy.facts import (
    ChildRecord,
    FactsUnavailable,
    RegistryState,
    Relation,
    StaffFacts,
    StaffMember,
)


class FactsProvider(Protocol):
    """The policy information point the PDP asks."""

    async def child(self, cpr: str) -> ChildRecord | None: ...

    async def relations(self, organisation_id: str, child: ChildRecord) -> list[Relation]: ...

    async def registry(self, cpr: str) -> RegistryState: ...

    async def part_of(self, organisation_id: str) -> list[str]: ...

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        """The person on the organisation's staff list (with their authorisation), or
        None; raises FactsUnavailable when the staff register does not answer."""
        ...


async def _not_asked() -> None:
    return None


class Citations(Protocol):
    """Resolves legal-basis ids on reasons into citations (the legal catalogue)."""

    def annotate(self, reason: Reason) -> Reason: ...


ENGINE_ERROR_RULE = "DENY-ENGINE-ERROR"


def _engine_error(category: str, detail: str) -> CategoryDecision:
    return _fail_closed(category, "engine_error", ENGINE_ERROR_RULE, detail)


def _fail_closed(category: str, code: str, rule_id: str, detail: str) -> CategoryDecision:
    return CategoryDecision(
        category=category,
        decision="deny",
        fields=[],
        rule_id=None,
        legal_basis=[],
        reasons=[
            Reason(
                code=code,
                rule_id=rule_id,
                legal_basis=[],
                message=f"No decision could be made, so access is denied: {detail}",
            )
        ],
        relied_on=ReliedOn(),
        override=False,
        obligations=[],
    )


def parse_result(result: dict[str, Any], asked: list[str]) -> dict[str, CategoryDecision]:
    """Turn the engine's answer into decisions; anything malformed or missing is a deny."""
    raw = result.get("categories")
    if not isinstance(raw, dict):
        return {c: _engine_error(c, "the policy returned no categories") for c in asked}
    decisions: dict[str, CategoryDecision] = {}
    for category in asked:
        try:
            decisions[category] = CategoryDecision.model_validate(raw[category])
        except (KeyError, ValidationError):
            decisions[category] = _engine_error(category, "the policy's answer was malformed")
    return decisions


@dataclass
class DecisionPoint:
    engine: PolicyEngine
    facts: FactsProvider
    citations: Citations | None = None
    timeout: float = 2.0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def document(self, request: DecisionRequest, now: datetime) -> dict[str, Any]:
        """Gather the facts and build the engine input."""
        cpr = request.resource.child_cpr
        subject = request.subject
        organisation = subject.organisation.id
        # The staff register is asked only about what the request claims: the
        # requester's own authorisation, and the clinician a secretary acts for.
        child, registry, part_of, own, clinician = await asyncio.gather(
            self.facts.child(cpr),
            self.facts.registry(cpr),
            self.facts.part_of(organisation),
            self.facts.staff_member(organisation, subject.id)
            if subject.health_professional
            else _not_asked(),
            self.facts.staff_member(organisation, subject.acting_for.id)
            if subject.acting_for is not None
            else _not_asked(),
        )
        relations = (
            await self.facts.relations(request.subject.organisation.id, child) if child else []
        )
        return build_input(
            request,
            today=now.date(),
            child=child,
            relations=relations,
            registry=registry,
            organisation_part_of=part_of,
            staff=StaffFacts(subject=own, acting_for=clinician),
        )

    async def decide(self, request: DecisionRequest) -> Decision:
        now = self.clock()
        asked = list(dict.fromkeys(request.resource.categories))
        try:
            async with asyncio.timeout(self.timeout):
                document = await self.document(request, now)
                result = await self.engine.evaluate(document)
            categories = parse_result(result, asked)
        except TimeoutError:
            categories = {c: _engine_error(c, "the decision timed out") for c in asked}
        except EngineError as exc:
            categories = {c: _engine_error(c, str(exc)) for c in asked}
        except FactsUnavailable as exc:
            categories = {
                c: _fail_closed(c, "missing_fact", "DENY-MISSING-FACT", str(exc)) for c in asked
            }
        if self.citations is not None:
            for decision in categories.values():
                decision.reasons = [self.citations.annotate(r) for r in decision.reasons]
        return Decision(
            decision_id=str(uuid.uuid4()),
            decided_at=now,
            engine=self.engine.name,
            policy_revision=self.engine.revision,
            categories=categories,
            relied_on=relied_on_union(categories),
        )
