"""The native decision API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body

from api import examples
from api.deps import DecisionPointDep, ProfessionalCaller
from api.errors import WITH_BODY, problem_responses
from engine.pdp import DecisionPoint
from policy.decision import Decision, DecisionRequest, DecisionRequestBody
from policy.errors import InvalidRequest

router = APIRouter(prefix="/v1", tags=["decisions"])

CLOCK_SKEW = timedelta(minutes=5)


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
) -> Decision:
    """May this person see these categories about this child, for this purpose?

    The subject is the bearer token's professional; a subject in the body must match
    it in every field it gives (403 otherwise)."""
    request = body.for_subject(caller.confirm(body.subject))
    check_time(request, pdp)
    return await pdp.decide(request)


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
