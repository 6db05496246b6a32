"""The policy decision point: facts in, engine, decision out. Fails closed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError

from engine.base import REVISION_KEY, EngineError, PolicyEngine
from engine.inputs import build_input, relation_facts
from metrics.instruments import ENGINE_FAILURES, ENGINE_SECONDS, timing
from policy.decision import (
    CategoryDecision,
    Context,
    Decision,
    DecisionRequest,
    MissingPerson,
    OverrideAnswer,
    Reason,
    ReliedOn,
    Resource,
    Subject,
    relied_on_union,
)
from policy.facts import (
    FactsProvider,
    FactsUnavailable,
    StaffFacts,
    start_noting_reuse,
)
from policy.persons import PersonHandles, PseudonymMap
from policy.sending import CORRESPONDENCE, SendQuestion
from tracing.spans import span

T = TypeVar("T")


async def _not_asked() -> None:
    return None


@dataclass(frozen=True)
class _Settled(Generic[T]):
    """An awaited call's value or its exception, to be raised only if used."""

    value: T | None = None
    error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


async def _settled(call: Awaitable[T]) -> _Settled[T]:
    try:
        return _Settled(value=await call)
    except Exception as exc:  # re-raised by result() when the value is used
        return _Settled(error=exc)


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


def _answered_by(result: dict[str, Any], default: str) -> str:
    """Take out the revision an engine reported with its answer (engine.base.REVISION_KEY)."""
    revision = result.pop(REVISION_KEY, None)
    return revision if isinstance(revision, str) and revision else default


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


def parse_override(result: dict[str, Any], request: DecisionRequest) -> OverrideAnswer:
    """The policy's answer to an override request; unreadable or missing: refused."""
    requested = request.context.override is not None
    try:
        answer = OverrideAnswer.model_validate(result.get("override"))
    except ValidationError:
        answer = None
    if answer is None or answer.requested != requested:
        return _override_not_decided(request, "the policy's answer was malformed")
    return answer


def _override_not_decided(request: DecisionRequest, detail: str) -> OverrideAnswer:
    if request.context.override is None:
        return OverrideAnswer()
    return OverrideAnswer(
        requested=True, allowed=False, refusal=f"No decision could be made: {detail}"
    )


def _name_missing(reason: Reason, names: PseudonymMap) -> Reason:
    """Whose consent is missing, by handle and in words; a person the policy
    named that is not one of the child's deciders is dropped, never shown."""
    if not reason.missing:
        return reason
    named: list[MissingPerson | str] = []
    for item in reason.missing:
        person = item.person if isinstance(item, MissingPerson) else item
        ref = names.describe(person)
        if ref is not None:
            named.append(MissingPerson(person=ref.handle, capacity=ref.capacity, label=ref.label))
    return reason.model_copy(update={"missing": named})


class RegistryAccess(BaseModel):
    """The policy's answer on a professional's access to the child's registry."""

    allowed: bool
    rule_id: str | None = None
    reasons: list[Reason] = Field(default_factory=list)


def _registry_refused(code: str, detail: str) -> RegistryAccess:
    rule = ENGINE_ERROR_RULE if code == "engine_error" else "DENY-MISSING-FACT"
    message = f"No decision could be made, so access is refused: {detail}"
    return RegistryAccess(
        allowed=False, reasons=[Reason(code=code, rule_id=rule, legal_basis=[], message=message)]
    )


@dataclass
class DecisionPoint:
    engine: PolicyEngine
    facts: FactsProvider
    citations: Citations | None = None
    handles: PersonHandles | None = None
    """Names the people who decide for the child by handle, never by CPR number;
    without it (bare tests of the engine) the policy sees the numbers."""
    timeout: float = 2.0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def document(self, request: DecisionRequest, now: datetime) -> dict[str, Any]:
        """Gather the facts and build the engine input."""
        document, _ = await self._document(request, now)
        return document

    async def _document(
        self, request: DecisionRequest, now: datetime
    ) -> tuple[dict[str, Any], PseudonymMap | None]:
        cpr = request.resource.child_cpr
        subject = request.subject
        organisation = subject.organisation.id
        # Every source is asked at once. The staff register is asked only about
        # what the request claims: the requester's own authorisation, and the
        # clinician a secretary acts for. Relation evidence is asked beside the
        # CPR register; when the register does not know the child, its answer
        # (or its failure) is not used, as if it had not been asked.
        child, evidence, registry, part_of, own, clinician = await asyncio.gather(
            self.facts.child(cpr),
            _settled(self.facts.relations(organisation, cpr)),
            self.facts.registry(cpr),
            self.facts.part_of(organisation),
            self.facts.staff_member(organisation, subject.id)
            if subject.health_professional
            else _not_asked(),
            self.facts.staff_member(organisation, subject.acting_for.id)
            if subject.acting_for is not None
            else _not_asked(),
        )
        relations = evidence.result() if child is not None else []
        names = self.handles.pseudonym(child) if self.handles is not None else None
        document = build_input(
            request,
            today=now.date(),
            child=child,
            relations=relations,
            registry=registry,
            organisation_part_of=part_of,
            pseudonym=names or str,
            staff=StaffFacts(subject=own, acting_for=clinician),
        )
        return document, names

    async def registry_access(self, subject: Subject, child_cpr: str) -> RegistryAccess:
        """May this professional see the child's consent situation and record what
        the family gave them? The policy decides (rego/hoi/registry); any failure
        is a refusal with a reason code, never an allow."""
        request = DecisionRequest.model_construct(
            subject=subject,
            action="view",
            resource=Resource.model_construct(child_cpr=child_cpr, categories=[]),
            context=Context.model_construct(
                purpose="coordination", time=None, case_reference=None, override=None
            ),
        )
        try:
            async with asyncio.timeout(self.timeout):
                document, _ = await self._document(request, self.clock())
                result = await self.engine.evaluate(document)
            _answered_by(result, "")
            access = RegistryAccess.model_validate(result.get("registry"))
        except TimeoutError:
            access = _registry_refused("engine_error", "the decision timed out")
        except EngineError as exc:
            access = _registry_refused("engine_error", str(exc))
        except FactsUnavailable as exc:
            access = _registry_refused("missing_fact", str(exc))
        except ValidationError:
            access = _registry_refused("engine_error", "the policy's answer was malformed")
        if self.citations is not None:
            access.reasons = [self.citations.annotate(r) for r in access.reasons]
        return access

    async def decide(self, request: DecisionRequest) -> Decision:
        return await self._decide(request, list(dict.fromkeys(request.resource.categories)))

    async def decide_send(self, request: DecisionRequest, question: SendQuestion) -> Decision:
        """May this sender disclose a message about the child to this recipient?
        One 'category', `correspondence`, permitted or denied with reasons like a
        lookup's. `request` carries the sender and the child (action
        send_correspondence, no categories); the recipient's own relation evidence
        is read beside the other facts."""
        return await self._decide(request, [CORRESPONDENCE], question)

    async def _send_document(
        self, request: DecisionRequest, now: datetime, question: SendQuestion
    ) -> tuple[dict[str, Any], PseudonymMap | None]:
        cpr = request.resource.child_cpr
        (document, names), theirs = await asyncio.gather(
            self._document(request, now),
            self.facts.relations(question.recipient.organisation_id, cpr),
        )
        document["resource"][CORRESPONDENCE] = {
            **question.model_dump(mode="json"),
            "recipient_relations": relation_facts(theirs),
        }
        return document, names

    async def _decide(
        self, request: DecisionRequest, asked: list[str], question: SendQuestion | None = None
    ) -> Decision:
        now = self.clock()
        names: PseudonymMap | None = None
        revision = self.engine.revision  # what failed closed is recorded under this
        reused = start_noting_reuse()
        try:
            async with asyncio.timeout(self.timeout):
                if question is None:
                    document, names = await self._document(request, now)
                else:
                    document, names = await self._send_document(request, now, question)
                with (
                    timing(ENGINE_SECONDS.labels(self.engine.name)),
                    span("engine.evaluate", engine=self.engine.name, revision=self.engine.revision),
                ):
                    result = await self.engine.evaluate(document)
            revision = _answered_by(result, revision)
            if question is not None:
                result = {"categories": {CORRESPONDENCE: result.get(CORRESPONDENCE)}}
            categories = parse_result(result, asked)
            override = parse_override(result, request) if question is None else OverrideAnswer()
        except TimeoutError:
            ENGINE_FAILURES.labels("timeout").inc()
            categories = {c: _engine_error(c, "the decision timed out") for c in asked}
            override = _override_not_decided(request, "the decision timed out")
        except EngineError as exc:
            ENGINE_FAILURES.labels("engine_error").inc()
            categories = {c: _engine_error(c, str(exc)) for c in asked}
            override = _override_not_decided(request, str(exc))
        except FactsUnavailable as exc:
            ENGINE_FAILURES.labels("missing_fact").inc()
            categories = {
                c: _fail_closed(c, "missing_fact", "DENY-MISSING-FACT", str(exc)) for c in asked
            }
            override = _override_not_decided(request, str(exc))
        for decision in categories.values():
            if names is not None:
                decision.reasons = [_name_missing(r, names) for r in decision.reasons]
            if self.citations is not None:
                decision.reasons = [self.citations.annotate(r) for r in decision.reasons]
        return Decision(
            decision_id=str(uuid.uuid4()),
            decided_at=now,
            engine=self.engine.name,
            policy_revision=revision,
            categories=categories,
            relied_on=relied_on_union(categories),
            override=override,
            facts_read_at=min(reused, default=None),
        )
