"""Decide, check an override, audit, return: in that order, and only that way.

Guarantees, for every caller:

- durable audit before the answer: `decide` returns only once the decision's
  audit record is committed; if the audit log cannot commit, the error propagates
  and no decision leaves (fail closed);
- an override request with invalid grounds is audited as an attempt, flagged in
  the citizen's log, and then refused (InvalidRequest) before anything is decided;
- a caller's time far from the service's clock is refused before anything is
  decided or recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from audit.calls import start_recording
from audit.log import AuditLog
from audit.models import SourceCall
from engine.pdp import DecisionPoint
from metrics.instruments import (
    CATEGORY_DECISIONS,
    DECISION_SECONDS,
    DENY_REASONS,
    DecisionKind,
    timing,
)
from policy.caller import Caller
from policy.decision import Decision, DecisionRequest, relied_on_union
from policy.errors import InvalidRequest
from tracing.spans import span

CLOCK_SKEW = timedelta(minutes=5)
"""How far a caller's `context.time` may be from the service's clock."""

log = logging.getLogger("hoi.decisions")


def override_field(name: str) -> str:
    """The request field of an override problem, as the native API names it."""
    return f"context.override.{name}"


def together_key(request: DecisionRequest) -> str | None:
    """Questions with the same key differ only in the categories they ask, and may
    be decided with one evaluation of the policy (`decide_together`); None for a
    question that asks to set a block aside, which is always decided alone (the
    policy's answer to an override depends on the categories asked)."""
    if request.context.override is not None:
        return None
    return request.model_dump_json(exclude={"resource": {"categories"}})


def count_decision(decision: Decision, kind: DecisionKind = "lookup") -> None:
    """Count a decision's categories in the metrics: outcome and the rule that
    permitted, or each reason it was denied for (codes and rule ids, no person)."""
    for category, answer in decision.categories.items():
        first = answer.reasons[0].rule_id if answer.reasons else "none"
        rule = (answer.rule_id or first) if answer.decision == "permit" else first
        CATEGORY_DECISIONS.labels(kind, category, answer.decision, rule).inc()
        if answer.decision == "deny":
            for reason in answer.reasons:
                DENY_REASONS.labels(kind, category, reason.code, reason.rule_id).inc()


def _part(joint: Decision, request: DecisionRequest) -> Decision:
    """The decision on `request`'s categories, cut from a joint decision."""
    categories = {c: joint.categories[c] for c in dict.fromkeys(request.resource.categories)}
    return joint.model_copy(
        update={
            "decision_id": str(uuid.uuid4()),
            "categories": categories,
            "relied_on": relied_on_union(categories),
        }
    )


@dataclass(frozen=True)
class Origin:
    """Where a question comes from, as the audit record keeps it: plain values,
    so the service does not depend on how the question arrived."""

    trace_id: str
    client_address: str | None = None
    acting_system: str | None = None
    """The system acting for the professional (the token's `act` claim), if any."""

    @classmethod
    def of(
        cls, caller: Caller | None, *, trace_id: str, client_address: str | None = None
    ) -> Origin:
        acting = caller.acting_system.id if caller and caller.acting_system else None
        return cls(trace_id=trace_id, client_address=client_address, acting_system=acting)


@dataclass(frozen=True)
class AuditedDecisions:
    """The decision point and the audit log, used together the one permitted way."""

    pdp: DecisionPoint
    audit: AuditLog

    def check_time(self, request: DecisionRequest) -> None:
        """Decisions are made on the service's clock; a caller's time far from it is refused."""
        asked_at = request.context.time
        if asked_at is None:
            return
        if asked_at.tzinfo is None:
            raise InvalidRequest("give the time with a UTC offset", field="context.time")
        if abs(asked_at - self.pdp.clock()) > CLOCK_SKEW:
            raise InvalidRequest(
                "the time differs from the service's clock by more than five minutes; "
                "decisions are made on the service's clock",
                field="context.time",
            )

    async def check_override(
        self,
        request: DecisionRequest,
        origin: Origin,
        *,
        field_of: Callable[[str], str] = override_field,
    ) -> None:
        """Refuse an override request whose grounds or weighty reason are invalid,
        after committing an audit record of the attempt: an attempt to set a block
        aside always leaves a trace. `field_of` names the request's field for the
        problem (InvalidRequest)."""
        override = request.context.override
        problem = override.problem() if override is not None else None
        if problem is None:
            return
        name, message = problem
        await self.audit.record_override_attempt(
            request,
            refusal=f"Refused before any decision: {message}.",
            trace_id=origin.trace_id,
            client_address=origin.client_address,
            acting_system=origin.acting_system,
            policy_revision=self.pdp.engine.revision,
            engine=self.pdp.engine.name,
        )
        log.info(
            "override refused by validation",
            extra={
                "trace_id": origin.trace_id,
                "role": request.subject.role,
                "organisation_id": request.subject.organisation.id,
            },
        )
        field = field_of(name)
        raise InvalidRequest(f"{field}: {message}", field=field)

    async def decide(
        self,
        request: DecisionRequest,
        origin: Origin,
        *,
        field_of: Callable[[str], str] = override_field,
    ) -> Decision:
        """Decide, and return only once the decision's audit record is committed.
        The record names the professional and, when one acts for them, the system.
        An invalid override request is audited, then refused (InvalidRequest)."""
        with (
            timing(DECISION_SECONDS.labels("lookup")),
            span(
                "decide",
                role=request.subject.role,
                purpose=request.context.purpose,
                categories=len(request.resource.categories),
            ),
        ):
            await self.check_override(request, origin, field_of=field_of)
            calls = start_recording()
            decision = await self.pdp.decide(request)
            await self._audit(request, decision, origin, calls)
        return decision

    async def decide_together(
        self,
        groups: Sequence[Sequence[DecisionRequest]],
        origin: Origin,
        *,
        concurrency: int = 16,
    ) -> list[list[Decision]]:
        """Decide each group of questions that share one `together_key` with one
        evaluation of the policy on all its categories (at most `concurrency` groups
        at a time), then commit every question's record, each its own decision with
        its own id, in one transaction; return only once that is durable. Sound
        because a category's outcome does not depend on the other categories asked
        (tests/engine/test_categories_apart.py holds the policy to that). One commit
        for the call: a call's records are all written, or none and no answer."""
        if not groups:
            return []
        gate = asyncio.Semaphore(concurrency)

        async def joint(
            requests: Sequence[DecisionRequest],
        ) -> tuple[list[Decision], Sequence[SourceCall]]:
            first = requests[0]
            union = list(dict.fromkeys(c for r in requests for c in r.resource.categories))
            joint_request = first.model_copy(
                update={"resource": first.resource.model_copy(update={"categories": union})}
            )
            async with gate:
                with span("decide_together", questions=len(requests), categories=len(union)):
                    calls = start_recording()
                    decided = await self.pdp.decide(joint_request)
            return [_part(decided, r) for r in requests], calls

        for group in groups:
            keys = {together_key(r) for r in group}
            if not group or None in keys or len(keys) != 1:
                raise ValueError("only questions with one together_key are decided together")
        start = time.perf_counter()
        parts = await asyncio.gather(*(joint(g) for g in groups))
        await self.audit.record_decisions(
            [
                (request, decision, calls)
                for group, (decisions, calls) in zip(groups, parts, strict=True)
                for request, decision in zip(group, decisions, strict=True)
            ],
            trace_id=origin.trace_id,
            client_address=origin.client_address,
            acting_system=origin.acting_system,
        )
        answered = time.perf_counter() - start  # every group's answer waits for the commit
        for group, (decisions, _) in zip(groups, parts, strict=True):
            DECISION_SECONDS.labels("lookup").observe(answered)
            for request, decision in zip(group, decisions, strict=True):
                self._decided(request, decision, origin)
        return [decisions for decisions, _ in parts]

    async def _audit(
        self,
        request: DecisionRequest,
        decision: Decision,
        origin: Origin,
        calls: Sequence[SourceCall],
    ) -> None:
        await self.audit.record_decision(
            request,
            decision,
            trace_id=origin.trace_id,
            source_calls=calls,
            client_address=origin.client_address,
            acting_system=origin.acting_system,
        )
        self._decided(request, decision, origin)

    @staticmethod
    def _decided(request: DecisionRequest, decision: Decision, origin: Origin) -> None:
        """Count an audited decision in the metrics and log it (no person's number)."""
        count_decision(decision)
        log.info(
            "decision",
            extra={
                "decision_id": decision.decision_id,
                "trace_id": origin.trace_id,
                "role": request.subject.role,
                "organisation_id": request.subject.organisation.id,
                "acting_system": origin.acting_system,
                "outcomes": {c: d.decision for c, d in decision.categories.items()},
            },
        )
