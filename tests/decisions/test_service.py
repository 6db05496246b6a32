"""The one audited decision path: audit before the answer, fail closed, an invalid
override audited then refused, a caller's far-off time refused before anything."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from audit.log import AuditLog, AuditUnavailable
from decisions import AuditedDecisions, Origin
from engine.pdp import DecisionPoint
from policy.caller import ActingSystem, Caller
from policy.decision import Decision, DecisionRequest, ReliedOn
from policy.errors import InvalidRequest
from tests.conftest import DEFAULT_SUBJECT

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
QUESTION: dict[str, Any] = {
    "subject": DEFAULT_SUBJECT,
    "action": "view",
    "resource": {"child_cpr": "6809144615", "categories": ["psychiatry_appointments"]},
    "context": {"purpose": "social_case_work"},
}


@dataclass
class Engine:
    name: str = "embedded"
    revision: str = "sha256:test"


@dataclass
class FakePdp:
    steps: list[str]
    engine: Engine = field(default_factory=Engine)

    def clock(self) -> datetime:
        return NOW

    async def decide(self, request: DecisionRequest) -> Decision:
        self.steps.append("decide")
        return Decision(
            decision_id="d-1",
            decided_at=NOW,
            engine=self.engine.name,
            policy_revision=self.engine.revision,
            categories={},
            relied_on=ReliedOn(),
        )


@dataclass
class FakeAudit:
    steps: list[str]
    fail: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)

    async def record_decision(
        self, request: DecisionRequest, decision: Decision, **kw: Any
    ) -> None:
        self.steps.append("audit decision")
        if self.fail:
            raise AuditUnavailable("the audit log cannot commit")
        self.records.append(kw)

    async def record_override_attempt(self, request: DecisionRequest, **kw: Any) -> None:
        self.steps.append("audit override attempt")
        self.records.append(kw)


def service(*, fail: bool = False) -> tuple[AuditedDecisions, list[str], FakeAudit]:
    steps: list[str] = []
    audit = FakeAudit(steps, fail=fail)
    decisions = AuditedDecisions(
        pdp=cast(DecisionPoint, FakePdp(steps)), audit=cast(AuditLog, audit)
    )
    return decisions, steps, audit


def ask(**context: Any) -> DecisionRequest:
    body = {**QUESTION, "context": {**QUESTION["context"], **context}}
    return DecisionRequest.model_validate(body)


ORIGIN = Origin(trace_id="t" * 32, client_address="192.0.2.1", acting_system="epj-1")


def test_the_answer_leaves_only_after_its_audit_record() -> None:
    decisions, steps, audit = service()
    decision = asyncio.run(decisions.decide(ask(), ORIGIN))
    assert decision.decision_id == "d-1"
    assert steps == ["decide", "audit decision"]
    assert audit.records[0]["trace_id"] == ORIGIN.trace_id
    assert audit.records[0]["client_address"] == "192.0.2.1"
    assert audit.records[0]["acting_system"] == "epj-1"


def test_no_answer_when_the_audit_cannot_commit() -> None:
    """Fail closed: the decision was made, but it never leaves unaudited."""
    decisions, steps, _ = service(fail=True)
    with pytest.raises(AuditUnavailable):
        asyncio.run(decisions.decide(ask(), ORIGIN))
    assert steps == ["decide", "audit decision"]


def test_an_invalid_override_is_audited_then_refused_before_any_decision() -> None:
    decisions, steps, audit = service()
    request = ask(override={"grounds": "weighty_reason", "reason": "short"})
    with pytest.raises(InvalidRequest) as refused:
        asyncio.run(
            decisions.decide(request, ORIGIN, field_of=lambda name: f"evaluations.3.{name}")
        )
    assert steps == ["audit override attempt"]
    assert refused.value.field is not None
    assert refused.value.field.startswith("evaluations.3.")
    assert audit.records[0]["policy_revision"] == "sha256:test"


@pytest.mark.parametrize(
    ("asked_at", "refused"),
    [
        (NOW, False),
        (NOW + timedelta(minutes=4), False),
        (NOW - timedelta(minutes=6), True),
        (NOW + timedelta(days=365), True),
    ],
)
def test_a_time_far_from_the_service_clock_is_refused(asked_at: datetime, refused: bool) -> None:
    decisions, steps, _ = service()
    request = ask(time=asked_at.isoformat())
    if refused:
        with pytest.raises(InvalidRequest, match="service's clock"):
            decisions.check_time(request)
    else:
        decisions.check_time(request)
    assert steps == []


def test_a_time_without_offset_is_refused() -> None:
    decisions, _, _ = service()
    with pytest.raises(InvalidRequest, match="UTC offset"):
        decisions.check_time(ask(time="2026-03-02T10:00:00"))


def test_the_origin_names_the_acting_system_from_the_caller() -> None:
    caller = Caller(
        kind="delegated",
        id="p-1",
        role="caseworker",
        issuer="https://idp.example",
        acting_system=ActingSystem(id="sys-9"),
    )
    assert Origin.of(caller, trace_id="x").acting_system == "sys-9"
    assert Origin.of(None, trace_id="x").acting_system is None
