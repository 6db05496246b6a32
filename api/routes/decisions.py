"""The native decision API."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter, Request

from api.deps import AuditLogDep, DecisionPointDep, TraceIdDep
from audit.calls import start_recording
from policy.decision import Decision, DecisionRequest
from policy.errors import InvalidRequest

router = APIRouter(prefix="/v1", tags=["decisions"])

CLOCK_SKEW = timedelta(minutes=5)

log = logging.getLogger("hoi.api.decisions")


@router.post("/decisions", operation_id="createDecision", response_model=Decision)
async def create_decision(
    request: DecisionRequest,
    pdp: DecisionPointDep,
    audit: AuditLogDep,
    trace_id: TraceIdDep,
    http: Request,
) -> Decision:
    """May this person see these categories about this child, for this purpose?

    The answer is sent only after its audit record is committed."""
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
    calls = start_recording()
    decision = await pdp.decide(request)
    await audit.record_decision(
        request,
        decision,
        trace_id=trace_id,
        source_calls=calls,
        client_address=http.client.host if http.client else None,
    )
    log.info(
        "decision",
        extra={
            "decision_id": decision.decision_id,
            "trace_id": trace_id,
            "role": request.subject.role,
            "organisation_id": request.subject.organisation.id,
            "outcomes": {c: d.decision for c, d in decision.categories.items()},
        },
    )
    return decision
