"""The native decision API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Request

from api import examples
from api.deps import AuditLogDep, DecisionPointDep, ProfessionalCaller, TraceIdDep
from api.errors import WITH_BODY, problem_responses
from audit.calls import start_recording
from audit.log import AuditLog
from engine.pdp import DecisionPoint
from policy.caller import Caller
from policy.decision import Decision, DecisionRequest, DecisionRequestBody
from policy.errors import InvalidRequest

router = APIRouter(prefix="/v1", tags=["decisions"])

CLOCK_SKEW = timedelta(minutes=5)

log = logging.getLogger("hoi.api.decisions")


@router.post(
    "/decisions",
    operation_id="createDecision",
    response_model=Decision,
    responses=problem_responses(*WITH_BODY),
)
async def create_decision(
    body: Annotated[DecisionRequestBody, Body(openapi_examples=examples.DECISION)],
    caller: ProfessionalCaller,
    pdp: DecisionPointDep,
    audit: AuditLogDep,
    trace_id: TraceIdDep,
    http: Request,
) -> Decision:
    """May this person see these categories about this child, for this purpose?

    The subject is the bearer token's professional; a subject in the body must match
    it in every field it gives (403 otherwise). The answer is sent only after its
    audit record is committed."""
    request = body.for_subject(caller.confirm(body.subject))
    check_time(request, pdp)
    return await decide_audited(
        pdp, audit, request, caller, trace_id=trace_id, client_address=client_address(http)
    )


def client_address(http: Request) -> str | None:
    return http.client.host if http.client else None


def check_time(request: DecisionRequest, pdp: DecisionPoint) -> None:
    """Decisions are made on the service's clock; a caller's time far from it is refused."""
    asked_at = request.context.time
    if asked_at is not None:
        if asked_at.tzinfo is None:
            raise InvalidRequest("give the time with a UTC offset", field="context.time")
        if abs(asked_at - pdp.clock()) > CLOCK_SKEW:
            raise InvalidRequest(
                "the time differs from the service's clock by more than five minutes; "
                "decisions are made on the service's clock",
                field="context.time",
            )


def _override_field(name: str) -> str:
    return f"context.override.{name}"


async def check_override(
    pdp: DecisionPoint,
    audit: AuditLog,
    request: DecisionRequest,
    caller: Caller,
    *,
    trace_id: str,
    client_address: str | None,
    override_field: Callable[[str], str] = _override_field,
) -> None:
    """Refuse an override request whose grounds or weighty reason are invalid, after
    committing an audit record of the attempt (it shows, flagged, in the citizen's
    log): an attempt to set a block aside always leaves a trace. `override_field`
    names the request's field for the problem (422)."""
    override = request.context.override
    problem = override.problem() if override is not None else None
    if problem is None:
        return
    name, message = problem
    await audit.record_override_attempt(
        request,
        refusal=f"Refused before any decision: {message}.",
        trace_id=trace_id,
        client_address=client_address,
        acting_system=caller.acting_system.id if caller.acting_system else None,
        policy_revision=pdp.engine.revision,
        engine=pdp.engine.name,
    )
    log.info(
        "override refused by validation",
        extra={
            "trace_id": trace_id,
            "role": request.subject.role,
            "organisation_id": request.subject.organisation.id,
        },
    )
    field = override_field(name)
    raise InvalidRequest(f"{field}: {message}", field=field)


async def decide_audited(
    pdp: DecisionPoint,
    audit: AuditLog,
    request: DecisionRequest,
    caller: Caller,
    *,
    trace_id: str,
    client_address: str | None,
    override_field: Callable[[str], str] = _override_field,
) -> Decision:
    """Decide, and return only once the decision's audit record is committed. The
    record names the professional and, when one acts for them, the system. An
    invalid override request is audited, then refused (InvalidRequest, 422)."""
    await check_override(
        pdp,
        audit,
        request,
        caller,
        trace_id=trace_id,
        client_address=client_address,
        override_field=override_field,
    )
    calls = start_recording()
    decision = await pdp.decide(request)
    await audit.record_decision(
        request,
        decision,
        trace_id=trace_id,
        source_calls=calls,
        client_address=client_address,
        acting_system=caller.acting_system.id if caller.acting_system else None,
    )
    log.info(
        "decision",
        extra={
            "decision_id": decision.decision_id,
            "trace_id": trace_id,
            "role": request.subject.role,
            "organisation_id": request.subject.organisation.id,
            "acting_system": caller.acting_system.id if caller.acting_system else None,
            "outcomes": {c: d.decision for c, d in decision.categories.items()},
        },
    )
    return decision
