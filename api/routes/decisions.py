"""The native decision API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from api.deps import DecisionPointDep
from policy.decision import Decision, DecisionRequest
from policy.errors import InvalidRequest

router = APIRouter(prefix="/v1", tags=["decisions"])

CLOCK_SKEW = timedelta(minutes=5)


@router.post("/decisions", operation_id="createDecision", response_model=Decision)
async def create_decision(request: DecisionRequest, pdp: DecisionPointDep) -> Decision:
    """May this person see these categories about this child, for this purpose?"""
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
    return await pdp.decide(request)
